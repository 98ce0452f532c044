"""Free-text answer -> WordNet synset, independent of the gold label.

Steps: normalise (think blocks, code fences, JSON answers, markdown, "Answer:" prefixes), tokenise,
find noun mentions by longest match over all WordNet noun lemmas (plus CLIP class names), undo
plurals/inflections and British spellings, pick each mention's sense (senses relevant to the label
space first, context words break ties between classes), then take the first mention as the subject.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache

from harness.wordnet import LabelSpace, clip_names, imagenet_classes, label_space, wordnet

MAX_NGRAM = 6
THINK_RE = re.compile(r"<think>.*?(</think>|$)", re.S | re.I)
FENCE_RE = re.compile(r"```[a-z]*\n?|```", re.I)
PREFIX_RE = re.compile(r"^\s*(final answer|answer|prediction|label|class|object|category)\s*[:\-]\s*",
                       re.I)
TOKEN_RE = re.compile(r"[a-z0-9]+|[,/;]")
WORD_RE = re.compile(r"[a-z0-9]+")
JSON_KEYS = ("label", "answer", "class", "object", "name", "category", "prediction")

# Words that are WordNet noun lemmas but, in an answer, are function words, image talk, hedges or
# quantifiers ("a photo of", "a group of"): they never name the object.
STOP = frozenset("""
a an the this that these those it its it's is are was were be been being am i me my you your we
our they their he she his her him them there here what which who whom whose where when why how
of in on at by for with without from to into onto over under above below near next behind beside
between among around through across along against up down out off about as than then so such
and or but nor either neither both not no yes none only also just very quite really maybe perhaps
possibly probably likely seems seem appears appear looks look like can could may might will would
shall should must do does did done have has had having get gets got show shows showing shown
depict depicts depicting depicted feature features featuring contain contains containing see seen
photo photograph picture image pic shot snapshot view scene closeup close frame background
foreground front side top bottom left right center centre middle corner part edge surface
object thing item something anything nothing stuff kind type sort variety species breed form
one ones two three some any many much few several lot lots group pair couple set bunch piece
pieces number variety bit sample example instance case answer label class category name
color colour colored coloured white black red blue green yellow brown grey gray orange pink purple
large small big little tiny huge long short tall old young new good great close-up sure unsure
unclear unknown uncertain determine tell identify identified recognize say said think guess
well oh ok okay hmm sorry unable cannot can't don't
""".split())
QUANTIFIERS = frozenset("group pair couple set bunch piece slice herd flock school pack swarm "
                        "collection pile stack row line bowl plate cup glass bottle box bag "
                        "close-up closeup photo picture image view kind type sort variety breed "
                        "species".split())
CONNECTORS = frozenset("or and a an the either possibly perhaps maybe probably likely also "
                       "even rather specifically , / ;".split())
COORDINATORS = frozenset("or and , / ;".split())
BRITISH = {"colour": "color", "grey": "gray", "aluminium": "aluminum", "tyre": "tire",
           "aeroplane": "airplane", "jewellery": "jewelry", "moustache": "mustache",
           "pyjamas": "pajamas", "plough": "plow", "doughnut": "donut", "cheque": "check",
           "storey": "story", "kerb": "curb", "sulphur": "sulfur", "mould": "mold"}
SUFFIXES = (("ies", "y"), ("ves", "f"), ("ves", "fe"), ("ches", "ch"), ("shes", "sh"),
            ("xes", "x"), ("ses", "s"), ("zes", "z"), ("men", "man"), ("es", "e"), ("s", ""),
            ("our", "or"), ("ise", "ize"), ("tre", "ter"))


@dataclass
class ParseResult:
    """What an answer names: the class in the label space, the most specific synset, and how."""

    wnid: str | None
    synset: str | None
    label: str | None
    match: str
    candidates: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Mention:
    start: int
    end: int
    senses: list[str]
    how: str  # exact | lemma | inflection


def normalise(text: str) -> str:
    """Strip reasoning, fences, JSON wrappers, markdown and answer prefixes; lowercase."""
    text = THINK_RE.sub(" ", text)
    text = FENCE_RE.sub(" ", text).strip()
    if text.startswith("{"):
        try:
            obj = json.loads(text)
            if isinstance(obj, dict):
                for k in JSON_KEYS:
                    if isinstance(obj.get(k), str):
                        text = obj[k]
                        break
        except ValueError:
            pass
    text = re.sub(r"[*_#`>|]+", " ", text)
    text = re.sub(r"^\s*(?:[-+•]|\d+[.)])\s+", " ", text, flags=re.M)
    text = PREFIX_RE.sub("", text.strip())
    return text.lower().replace("\u2019", "'")


def _variants(token: str) -> list[tuple[str, str]]:
    """Base forms of a word: (form, how). noun.exc first, then morphy-style suffix rules."""
    out = [(b, "inflection") for b in wordnet().exceptions.get(token, [])]
    if token in BRITISH:
        out.append((BRITISH[token], "inflection"))
    for suf, rep in SUFFIXES:
        if token.endswith(suf) and len(token) > len(suf) + 2:
            out.append((token[: -len(suf)] + rep, "inflection"))
    return out


class Parser:
    """Parses answers into synsets of one label space. Reuse one instance: it caches results."""

    def __init__(self, space: LabelSpace | None = None) -> None:
        self.space = space or label_space("imagenet-1k")
        self.wn = wordnet()
        self.lookup = self._build_lookup()
        self.glosses = self._build_context_words()
        self.parse = lru_cache(maxsize=200_000)(self._parse)

    def _build_lookup(self) -> dict[str, list[str]]:
        """Normalised lemma key ('hot_dog', 't_shirt') -> wnids in sense order, + CLIP names."""
        table: dict[str, list[str]] = {}
        for lemma, ids in self.wn.lemmas.items():
            key = "_".join(WORD_RE.findall(lemma.lower()))
            if key:
                table.setdefault(key, []).extend(self.wn.wnids[i] for i in ids)
        for wnid, name in clip_names().items():
            if wnid in self.space:
                key = "_".join(WORD_RE.findall(name.lower()))
                senses = table.setdefault(key, [])
                if wnid not in senses:
                    senses.append(wnid)
        return table

    def _build_context_words(self) -> dict[str, set[str]]:
        """Stemmed words describing each class (gloss + hypernym names), for disambiguation."""
        out: dict[str, set[str]] = {}
        gloss = {c["wnid"]: c["gloss"] for c in imagenet_classes()}
        for wnid in self.space.wnids:
            words = WORD_RE.findall(gloss.get(wnid, "").lower())
            for a in self.wn.ancestors(wnid):
                if self.wn.depth(a) >= 4:
                    words += WORD_RE.findall(self.wn.name(a).lower())
            out[wnid] = {_stem(w) for w in words if w not in STOP and len(w) > 2}
        return out

    def _find(self, tokens: list[str], i: int) -> _Mention | None:
        """Longest lemma starting at token i (last word may be inflected)."""
        for n in range(min(MAX_NGRAM, len(tokens) - i), 0, -1):
            words = tokens[i : i + n]
            if n == 1 and (words[0] in STOP or words[0].isdigit() or
                           (len(words[0]) < 3 and len(tokens) > 1)):
                return None
            key = "_".join(words)
            if key in self.lookup:
                return _Mention(i, i + n, self.lookup[key], "lemma")
            for base, how in _variants(words[-1]):
                key = "_".join(words[:-1] + [base])
                if key in self.lookup and not (n == 1 and base in STOP):
                    return _Mention(i, i + n, self.lookup[key], how)
        return None

    def _mentions(self, tokens: list[str]) -> list[_Mention]:
        found, i = [], 0
        while i < len(tokens):
            m = self._find(tokens, i)
            if m is None:
                i += 1
                continue
            if not (m.end < len(tokens) and tokens[m.end] == "of" and
                    tokens[m.start] in QUANTIFIERS and m.end - m.start == 1):
                found.append(m)
            i = m.end
        return found

    def _relevant(self, synset: str) -> bool:
        return bool(self.space.classes_for(synset)) or self.space.is_ancestor_of_class(synset)

    def _choose_sense(self, m: _Mention, context: set[str]) -> tuple[str, bool]:
        """Most frequent relevant sense; context overlap decides between distinct classes."""
        relevant = [s for s in dict.fromkeys(m.senses) if self._relevant(s)]
        if not relevant:
            return m.senses[0], False
        classes = {s: self.space.classes_for(s) for s in relevant}
        distinct = {c for cs in classes.values() for c in cs}
        if len(distinct) < 2 or not any(classes.values()):
            return relevant[0], False
        scores = [(len(context & self._sense_words(s)), -k, s) for k, s in enumerate(relevant)]
        best = max(scores)
        tied = [s for sc, _, s in scores if sc == best[0]]
        return best[2], best[0] == 0 or len({c for s in tied for c in classes[s]}) > 1

    def _sense_words(self, synset: str) -> set[str]:
        words: set[str] = set()
        for c in self.space.classes_for(synset) or (synset,):
            words |= self.glosses.get(c) or {_stem(w) for w in WORD_RE.findall(
                self.wn.name(c).lower())}
        return words

    def _parse(self, text: str) -> ParseResult:
        tokens = TOKEN_RE.findall(normalise(text))
        mentions = self._mentions(tokens)
        if not mentions:
            return ParseResult(None, None, None, "none")
        primary, group = mentions[0], [mentions[0]]
        for prev, nxt in zip(mentions, mentions[1:]):
            gap = tokens[prev.end : nxt.start]
            if all(t in CONNECTORS for t in gap) and COORDINATORS.intersection(gap):
                group.append(nxt)
            else:
                break
        resolved = []
        for m in group:
            context = {_stem(t) for k, t in enumerate(tokens)
                       if not m.start <= k < m.end and t not in STOP and len(t) > 2}
            resolved.append(self._choose_sense(m, context))
        synset, ambiguous = resolved[0]
        classes = self.space.classes_for(synset)
        wnid = classes[0] if classes else None
        if ambiguous or len(classes) > 1:
            how = "ambiguous"
        elif wnid is None and self.space.is_ancestor_of_class(synset):
            how = "hypernym"
        elif primary.how == "lemma" and primary.end - primary.start == len(tokens):
            how = "exact"
        else:
            how = primary.how
        cands = [c for s, _ in resolved for c in (self.space.classes_for(s) or (s,))]
        label = self.space.label(wnid) if wnid else self.wn.name(synset)
        return ParseResult(wnid, synset, label, how, list(dict.fromkeys(cands)))


def _stem(word: str) -> str:
    for suf in ("ing", "ed", "es", "s"):
        if word.endswith(suf) and len(word) > len(suf) + 2:
            return word[: -len(suf)]
    return word


@lru_cache(maxsize=8)
def parser_for(space_name: str = "imagenet-1k") -> Parser:
    return Parser(label_space(space_name))
