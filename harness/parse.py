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
well oh ok okay hmm sorry unable cannot can't don't main subject focus primary prominent
enough don t know isn doesn didn aren wasn couldn wouldn ve ll re m s d
""".split())
QUANTIFIERS = frozenset("group pair couple set bunch piece slice head herd flock school pack swarm "
                        "collection pile stack row line bowl plate cup glass bottle box bag "
                        "close-up closeup photo picture image view kind type sort variety breed "
                        "species".split())
CONNECTORS = frozenset("or and a an the either possibly perhaps maybe probably likely also "
                       "even rather specifically , / ;".split())
CORRECTIONS = frozenset(["actually", "correction"])
COORDINATORS = frozenset("or and , / ;".split())
BRITISH = {"colour": "color", "grey": "gray", "aluminium": "aluminum", "tyre": "tire",
           "aeroplane": "airplane", "jewellery": "jewelry", "moustache": "mustache",
           "pyjamas": "pajamas", "plough": "plow", "doughnut": "donut", "cheque": "check",
           "storey": "story", "kerb": "curb", "sulphur": "sulfur", "mould": "mold"}
# People and body parts are in most photos but are (almost) never ImageNet's label: an answer's
# subject is the first other noun unless the person is itself a class (scuba diver, groom).
BACKGROUND_ROOTS = ("n00007846", "n05220461", "n07942152", "n07950920")  # person, body part,
# people, multitude
BACKGROUND = frozenset(BACKGROUND_ROOTS)
NEGATORS = frozenset("not no t never neither nor without".split())
NON_NOUN_ENDINGS = ("ed", "ing", "ly", "ful", "ish", "est")
# Everyday names that WordNet files under a synset outside the ImageNet class users mean.
ALIASES = {"computer monitor": "n03782006", "computer screen": "n03782006",
           "pc monitor": "n03782006", "lcd monitor": "n03782006"}
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
    how: str  # lemma | inflection | fuzzy
    key: str = ""
    sense: str = ""
    ambiguous: bool = False
    rank: int = 2


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


@lru_cache(maxsize=100_000)
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
        self.vocab = {w for key in self.lookup for w in key.split("_")}
        self.span: dict[str, int] = {}  # first word -> most words in a key starting with it
        for key in self.lookup:
            words = key.split("_")
            self.span[words[0]] = max(self.span.get(words[0], 0), len(words))
        self.fuzzy = self._build_fuzzy_index()
        self.parse = lru_cache(maxsize=200_000)(self._parse)

    def _build_lookup(self) -> dict[str, list[str]]:
        """Normalised lemma key ('hot_dog', 't_shirt') -> wnids in sense order, + CLIP names."""
        table: dict[str, list[str]] = {}
        for lemma, ids in self.wn.lemmas.items():
            key = _key(lemma)
            if key:
                table.setdefault(key, []).extend(self.wn.wnids[i] for i in ids)
        for name, wnid in ALIASES.items():
            if wnid in self.space:
                table.setdefault(_key(name), []).insert(0, wnid)
        for wnid, name in clip_names().items():
            if wnid in self.space:
                key = _key(name)
                senses = table.setdefault(key, [])
                if wnid not in senses:
                    senses.append(wnid)
        return table

    def _build_fuzzy_index(self) -> dict[str, set[str]]:
        """Delete-1 neighbourhoods of class-name words (>= 5 letters), for misspellings."""
        words = {w for key, senses in self.lookup.items()
                 if any(sn in self.space.index for sn in senses)
                 for w in key.split("_") if len(w) >= 5 and w.isalpha()}
        index: dict[str, set[str]] = {}
        for w in words:
            for d in _deletes(w):
                index.setdefault(d, set()).add(w)
        return index

    def _correct(self, token: str) -> str | None:
        """A misspelt class word (edit distance ~1), if exactly one candidate fits."""
        if (len(token) < 5 or not token.isalpha() or token in self.vocab or token in STOP
                or token.endswith(NON_NOUN_ENDINGS) or any(b in self.vocab for b, _ in
                                                            _variants(token))):
            return None
        hits = set().union(*(self.fuzzy.get(d, set()) for d in _deletes(token)))
        return hits.pop() if len(hits) == 1 else None

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
        """Longest lemma starting at token i (last word may be inflected; "trolley bus" may be
        written "trolleybus"). N-grams holding a function word must name something relevant,
        so "a man" is not the place A'man, "a cup of tea" is a cup, "don't know" no noun."""
        longest = max(self.span.get(tokens[i], 1), 2)
        for n in range(min(MAX_NGRAM, longest, len(tokens) - i), 0, -1):
            words = tokens[i : i + n]
            if n == 1 and (words[0] in STOP or words[0].isdigit() or
                           (len(words[0]) < 3 and len(tokens) > 1)):
                return None
            edge_stop = n > 1 and any(w in STOP for w in words)
            keys = [("_".join(words), "lemma")] + (
                [("".join(words), "lemma")] if n == 2 else []) + [
                ("_".join(words[:-1] + [b]), how) for b, how in _variants(words[-1])
                if not (n == 1 and b in STOP)]
            for key, how in keys:
                senses = self.lookup.get(key)
                if senses and not (edge_stop and not any(map(self._relevant, senses))):
                    return _Mention(i, i + n, senses, how, key)
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

    def _resolve(self, m: _Mention, tokens: list[str]) -> None:
        """Pick the mention's sense: among senses relevant to the label space, those the word
        is the main name of first ("turtle" the reptile before the turtleneck), then WordNet
        frequency order. When they fall under two or more classes, the one whose gloss and
        hypernyms share most words with the rest of the answer wins, then a sense that is
        itself a class; a remaining tie is `ambiguous`."""
        m.sense, m.ambiguous = m.senses[0], False
        relevant = sorted((s for s in dict.fromkeys(m.senses) if self._relevant(s)),
                          key=lambda s: _key(self.wn.name(s)) != m.key)
        if relevant:
            m.sense = relevant[0]
            classes = {s: self.space.classes_for(s) for s in relevant}
            if len({c for cs in classes.values() for c in cs}) >= 2:
                context = {_stem(t) for k, t in enumerate(tokens)
                           if not m.start <= k < m.end and t not in STOP and len(t) > 2}
                scores = [(len(context & self._sense_words(s)), s in self.space.index, -k, s)
                          for k, s in enumerate(relevant) if classes[s]]
                best = max(scores)
                tied = {c for sc in scores if sc[:2] == best[:2] for c in classes[sc[3]]}
                m.sense, m.ambiguous = best[3], len(tied) > 1
        m.rank = self._rank(m.sense)

    def _background(self, synset: str) -> bool:
        return not self.space.classes_for(synset) and (
            synset in BACKGROUND_ROOTS or bool(self.wn.ancestors(synset) & BACKGROUND))

    def _sense_words(self, synset: str) -> set[str]:
        words: set[str] = set()
        for c in self.space.classes_for(synset) or (synset,):
            words |= self.glosses.get(c) or {_stem(w) for w in WORD_RE.findall(
                self.wn.name(c).lower())}
        return words

    def _tokens(self, text: str) -> tuple[list[str], set[int]]:
        tokens, fixed = TOKEN_RE.findall(normalise(text)), set()
        for i, t in enumerate(tokens):
            c = self._correct(t)
            if c:
                tokens[i] = c
                fixed.add(i)
        return tokens, fixed

    def _rank(self, synset: str) -> int:
        """0: a class or under one; 1: a hypernym of classes; 2: other nouns and background."""
        if self.space.classes_for(synset):
            return 0
        if self._background(synset):
            return 2
        return 1 if self.space.is_ancestor_of_class(synset) else 2

    def _compounds(self, mentions: list[_Mention]) -> list[_Mention]:
        """Adjacent nouns form one ("computer monitor", "Labrador puppy", "pinwheel toy"):
        keep the better-ranked; on a tie the head (last) unless the first is a hyponym of it."""
        out: list[_Mention] = []
        for m in mentions:
            prev = out[-1] if out else None
            if prev is not None and prev.end == m.start:
                keep_prev = prev.rank < m.rank or (prev.rank == m.rank and
                                                    self.wn.descendants_contains(prev.sense,
                                                                                 m.sense))
                if not keep_prev:
                    m.start = prev.start
                    out[-1] = m
                continue
            out.append(m)
        return out

    def _subject(self, tokens: list[str], mentions: list[_Mention]) -> int:
        """Index of the mention the answer is about: the first relevant, non-negated one, moved
        on to a later, more specific hyponym ("an animal, a golden retriever")."""
        def negated(m: _Mention) -> bool:
            return bool(NEGATORS.intersection(tokens[max(0, m.start - 3) : m.start]))

        best = min(range(len(mentions)), key=lambda k: (negated(mentions[k]),
                                                        mentions[k].rank == 2, k))
        for k in range(best + 1, len(mentions)):
            if self.wn.descendants_contains(mentions[k].sense, mentions[best].sense):
                best = k
        return best

    def _parse(self, text: str) -> ParseResult:
        tokens, fixed = self._tokens(text)
        mentions = self._mentions(tokens)
        fix = max((k for k, t in enumerate(tokens) if t in CORRECTIONS), default=-1)
        if any(m.start > fix for m in mentions):  # "a bottle... actually a wine bottle"
            mentions = [m for m in mentions if m.start > fix]
        if not mentions:
            return ParseResult(None, None, None, "none")
        for m in mentions:
            self._resolve(m, tokens)
        mentions = self._compounds(mentions)
        mentions = mentions[self._subject(tokens, mentions):]
        primary, group = mentions[0], [mentions[0]]
        if fixed.intersection(range(primary.start, primary.end)):
            primary.how = "fuzzy"
        for prev, nxt in zip(mentions, mentions[1:]):
            gap = tokens[prev.end : nxt.start]
            if all(t in CONNECTORS for t in gap) and COORDINATORS.intersection(gap):
                group.append(nxt)
            else:
                break
        classes = self.space.classes_for(primary.sense)
        wnid = classes[0] if classes else None
        if primary.ambiguous or len(classes) > 1:
            how = "ambiguous"
        elif wnid is None and self.space.is_ancestor_of_class(primary.sense):
            how = "hypernym"
        elif primary.how == "lemma" and primary.end - primary.start == len(tokens):
            how = "exact"
        else:
            how = primary.how
        cands = [c for m in group for c in (self.space.classes_for(m.sense) or (m.sense,))]
        label = self.space.label(wnid) if wnid else self.wn.name(primary.sense)
        return ParseResult(wnid, primary.sense, label, how, list(dict.fromkeys(cands)))


def _key(text: str) -> str:
    """Lookup key of a lemma or phrase: lowercase words joined by '_'."""
    return "_".join(WORD_RE.findall(text.lower()))


def _deletes(word: str) -> set[str]:
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def _stem(word: str) -> str:
    for suf in ("ing", "ed", "es", "s"):
        if word.endswith(suf) and len(word) > len(suf) + 2:
            return word[: -len(suf)]
    return word


@lru_cache(maxsize=8)
def parser_for(space_name: str = "imagenet-1k") -> Parser:
    return Parser(label_space(space_name))
