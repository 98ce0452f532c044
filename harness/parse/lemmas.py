"""The answer parser's lookup tables for one label space, built once per space and cached on disk.

Every WordNet noun lemma (plus hyphenless spellings, CLIP class names and the rules' aliases)
maps to its synsets in sense order; around that sit the indexes the parser's hot loop needs: word
runs that start a longer lemma, misspelling neighbourhoods of class words, and the words that
describe each class (for disambiguation). Building takes ~1 s; `harness parse` is asked to run at
100k lines/s start-up included, so the built tables are kept as a marshal file in the user cache
(harness.resources.cached_build: tables/parser-*.marshal), keyed by a hash of the data they come
from (WordNet, the class list, rules.json, and the code: this module, lexicon.py, rules.py,
graph.py) and the label space. They hold only strings, tuples, frozensets and dicts of them,
which the garbage collector does not walk.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass
from dataclasses import fields as dataclass_fields
from pathlib import Path

from harness.parse.lexicon import ALIASES, BRITISH, STOP, WORD_RE, deletes, stem
from harness.parse.lexicon import key as lemma_key
from harness.parse.rules import RULES_FILE, words
from harness.wordnet.graph import DATA, LabelSpace, clip_names, imagenet_classes, wordnet
from harness.resources import cached_build

NOT_SHORT = words("not_short")
KEEP_CACHED = 8  # table files kept on disk (~4 MB each), newest first


@dataclass(frozen=True)
class Lemmas:
    lookup: dict[str, tuple[str, ...]]  # lemma key ("hot_dog") -> synsets, most frequent first
    vocab: frozenset[str]  # every word of every key
    prefixes: frozenset[str]  # "ice", "ice_cream": word runs that start a longer usable key
    fuzzy: dict[str, tuple[str, ...]]  # delete-1 neighbourhood -> class words (>= 5 letters)
    glosses: dict[str, frozenset[str]]  # class -> stemmed words of its gloss and hypernym names
    aliases: dict[str, str]  # key -> the synset it means first (lexicon.ALIASES)
    clip_keys: dict[str, str]  # key of a class's (unique) CLIP name -> that class
    short: frozenset[str]  # two-letter keys that name a class ("ox", "rv", "tv")
    class_stops: frozenset[str]  # function words that also name a class ("orange")
    max_word: int  # the longest class word: longer tokens are never spelling-corrected

    @classmethod
    def build(cls, space: LabelSpace) -> Lemmas:
        lookup = {k: tuple(v) for k, v in _lookup(space).items()}
        fuzzy = _fuzzy(lookup, space)
        names = [(lemma_key(n), w) for w, n in clip_names().items() if w in space]
        uses = Counter(k for k, _ in names)  # "missile", "sunglasses" name two classes each
        return cls(
            lookup=lookup,
            vocab=frozenset(w for key in lookup for w in key.split("_")),
            prefixes=_prefixes(lookup, space),
            fuzzy={d: tuple(sorted(ws)) for d, ws in fuzzy.items()},
            glosses=_glosses(space),
            aliases={lemma_key(name): wnid for name, wnid in ALIASES.items()},
            clip_keys={k: w for k, w in names if uses[k] == 1},
            short=frozenset(k for k, senses in lookup.items() if len(k) < 3 and k not in STOP
                            and any(map(space.classes_for, senses))) - NOT_SHORT,
            class_stops=frozenset(w for w in STOP if space.index.keys() & lookup.get(w, ())),
            max_word=max(map(len, fuzzy), default=0) + 1,
        )


def relevant(space: LabelSpace, synset: str) -> bool:
    """A synset the label space can score: a class, under one, or a hypernym of one."""
    return bool(space.classes_for(synset)) or space.is_ancestor_of_class(synset)


def _lookup(space: LabelSpace) -> dict[str, list[str]]:
    wn = wordnet()
    table: dict[str, list[str]] = {}
    for lemma, ids in wn.lemmas.items():
        key = lemma_key(lemma)
        if key:
            table.setdefault(key, []).extend(wn.wnids[i] for i in ids)
    for lemma, ids in wn.lemmas.items():  # "hand-held computer" written "handheld"
        if "-" in lemma and (key := lemma_key(lemma.replace("-", ""))) not in table:
            table[key] = [wn.wnids[i] for i in ids]
    for name, wnid in ALIASES.items():
        table.setdefault(lemma_key(name), []).insert(0, wnid)
    for wnid, full in clip_names().items():
        if wnid in space:  # "swim trunks / shorts", "kite (bird of prey)": each name
            for name in filter(str.strip, re.split(r" / |[()]", full)):
                for spelling in {name, name.replace("-", "")}:  # "frilled-necked lizard"
                    senses = table.setdefault(lemma_key(spelling), [])
                    if wnid not in senses:
                        senses.append(wnid)
    for key in [k for k in table if k.count("_") == 1]:  # "lawn mower" written "lawnmower"
        joined = key.replace("_", "")
        if joined not in table and any(relevant(space, s) for s in table[key]):
            table[joined] = list(table[key])
    return table


def _prefixes(lookup: dict[str, list[str]], space: LabelSpace) -> frozenset[str]:
    out: set[str] = set()
    for key, senses in lookup.items():
        if "_" not in key:
            continue
        words = key.split("_")
        if any(w in STOP for w in words) and not any(relevant(space, s) for s in senses):
            continue  # never matchable: see Parser._match
        out.update("_".join(words[:k]) for k in range(1, len(words)))
    uk = {us: gb for gb, us in BRITISH.items()}  # "jewellery store" starts like "jewelry store"
    out.update("_".join(uk.get(w, w) for w in p.split("_")) for p in list(out)
               if not uk.keys().isdisjoint(p.split("_")))
    return frozenset(out)


def _fuzzy(lookup: dict[str, list[str]], space: LabelSpace) -> dict[str, set[str]]:
    words = {w for key, senses in lookup.items() if any(s in space.index for s in senses)
             for w in key.split("_") if len(w) >= 5 and w.isalpha()}
    index: dict[str, set[str]] = {}
    for w in words:
        for d in deletes(w):
            index.setdefault(d, set()).add(w)
    return index


def _glosses(space: LabelSpace) -> dict[str, set[str]]:
    wn = wordnet()
    gloss = {c["wnid"]: c["gloss"] for c in imagenet_classes()}
    out: dict[str, set[str]] = {}
    for wnid in space.wnids:
        words = WORD_RE.findall(gloss.get(wnid, "").lower())
        for a in wn.ancestors(wnid):
            if wn.depth(a) >= 4:
                words += WORD_RE.findall(wn.name(a).lower())
        out[wnid] = frozenset(stem(w) for w in words if w not in STOP and len(w) > 2)
    return out


_TABLES: dict[tuple[str, ...], Lemmas] = {}


def tables_for(space: LabelSpace) -> Lemmas:
    """The space's tables: from memory, else the disk cache (resources.cached_build, keyed by
    every file they are derived from), else built."""
    got = _TABLES.get(space.wnids)
    if got is None:
        here = Path(__file__).parent
        sources = [(DATA / "wordnet.json.gz").read_bytes(),
                   (DATA / "imagenet_classes.json").read_bytes(), RULES_FILE.read_bytes(),
                   *(p.read_bytes() for p in (Path(__file__), here / "lexicon.py",
                                              here / "rules.py", here.parent / "wordnet" /
                                              "graph.py")),  # the code that shapes them
                   "\n".join(space.wnids).encode()]
        fields = {f.name for f in dataclass_fields(Lemmas)}
        raw = cached_build("parser", sources, lambda: asdict(Lemmas.build(space)),
                           lambda v: isinstance(v, dict) and v.keys() == fields, KEEP_CACHED)
        got = Lemmas(**raw)
        _TABLES[space.wnids] = got
    return got
