"""Free-text answer -> WordNet synset, independent of the gold label.

Steps: normalise (think blocks, code fences, JSON answers, markdown, "Answer:" prefixes), tokenise,
find noun mentions by longest match over all WordNet noun lemmas (plus CLIP class names), undo
plurals/inflections and British spellings, pick each mention's sense (senses relevant to the label
space first, context words break ties between classes), then take the first mention as the subject.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import lru_cache

from harness.lexicon import (ALIASES, BACKGROUND, BACKGROUND_ROOTS, CONNECTORS, COORDINATORS,
                             CORRECTIONS, MAX_NGRAM, NEGATORS, NON_NOUN_ENDINGS, QUANTIFIERS, STOP,
                             TOKEN_RE, WORD_RE, deletes, normalise, stem, variants)
from harness.lexicon import key as lemma_key
from harness.wordnet import LabelSpace, clip_names, imagenet_classes, label_space, wordnet

_MISSING = object()


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


@dataclass(slots=True)
class _Mention:
    start: int
    end: int
    senses: list[str]
    how: str  # lemma | inflection | fuzzy
    key: str = ""
    sense: str = ""
    ambiguous: bool = False
    rank: int = 2


class Parser:
    """Parses answers into synsets of one label space. Reuse one instance: it caches results."""

    def __init__(self, space: LabelSpace | None = None) -> None:
        self.space = space or label_space("imagenet-1k")
        self.wn = wordnet()
        self.lookup = self._build_lookup()
        self.glosses = self._build_context_words()
        self.vocab = {w for key in self.lookup for w in key.split("_")}
        self.span: dict[str, int] = {}  # first word -> most words in a usable key
        for key, senses in self.lookup.items():
            words = key.split("_")
            if len(words) > 1 and any(w in STOP for w in words) and not any(
                    map(self._relevant, senses)):
                continue  # never matchable: see _find
            self.span[words[0]] = max(self.span.get(words[0], 0), len(words))
        self.fuzzy = self._build_fuzzy_index()
        self._corrections: dict[str, str | None] = {}
        self._windows: dict[tuple, tuple | None] = {}
        self._ranks: dict[str, int] = {}
        self._senses: dict[str, tuple[list[str], bool, str, int]] = {}  # key -> sense choice
        self.parse = lru_cache(maxsize=200_000)(self._parse)

    def _build_lookup(self) -> dict[str, list[str]]:
        """Normalised lemma key ('hot_dog', 't_shirt') -> wnids in sense order, + CLIP names."""
        table: dict[str, list[str]] = {}
        for lemma, ids in self.wn.lemmas.items():
            key = lemma_key(lemma)
            if key:
                table.setdefault(key, []).extend(self.wn.wnids[i] for i in ids)
        for name, wnid in ALIASES.items():
            if wnid in self.space:
                table.setdefault(lemma_key(name), []).insert(0, wnid)
        for wnid, name in clip_names().items():
            if wnid in self.space:
                key = lemma_key(name)
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
            for d in deletes(w):
                index.setdefault(d, set()).add(w)
        return index

    def _correct(self, token: str) -> str | None:
        """A misspelt class word (edit distance ~1), if exactly one candidate fits."""
        if (len(token) < 5 or not token.isalpha() or token in self.vocab or token in STOP
                or token.endswith(NON_NOUN_ENDINGS) or any(b in self.vocab for b, _ in
                                                            variants(token))):
            return None
        hits = set().union(*(self.fuzzy.get(d, set()) for d in deletes(token)))
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
            out[wnid] = {stem(w) for w in words if w not in STOP and len(w) > 2}
        return out

    def _find(self, tokens: list[str], i: int) -> _Mention | None:
        """Longest lemma starting at token i (memoised on the token window)."""
        first = tokens[i]
        if first in STOP and first not in self.span:
            return None
        longest = min(MAX_NGRAM, max(self.span.get(first, 1), 2), len(tokens) - i)
        window = (len(tokens) > 1, *tokens[i : i + longest])
        hit = self._windows.get(window, _MISSING)
        if hit is _MISSING:
            hit = self._windows[window] = self._match(window[1:], window[0])
        if hit is None:
            return None
        n, senses, how, key = hit
        return _Mention(i, i + n, senses, how, key)

    def _match(self, window: tuple[str, ...], in_sentence: bool) -> tuple | None:
        """(n words, senses, how, key) of the longest lemma at the window's start. The last
        word may be inflected, and "trolley bus" may be written "trolleybus". N-grams holding a
        function word must name something relevant, so "a man" is not the place A'man,
        "a cup of tea" is a cup, and "don't know" is no noun."""
        for n in range(len(window), 0, -1):
            words = list(window[:n])
            if n == 1 and (words[0] in STOP or words[0].isdigit() or
                           (len(words[0]) < 3 and in_sentence)):
                return None
            edge_stop = n > 1 and any(w in STOP for w in words)
            keys = [("_".join(words), "lemma")] + (
                [("".join(words), "lemma")] if n == 2 else []) + [
                ("_".join(words[:-1] + [b]), how) for b, how in variants(words[-1])
                if not (n == 1 and b in STOP)]
            for key, how in keys:
                senses = self.lookup.get(key)
                if senses and not (edge_stop and not any(map(self._relevant, senses))):
                    return n, senses, how, key
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
        if m.key not in self._senses:
            relevant = sorted((s for s in dict.fromkeys(m.senses) if self._relevant(s)),
                              key=lambda s: lemma_key(self.wn.name(s)) != m.key)
            multi = len({c for s in relevant for c in self.space.classes_for(s)}) >= 2
            first = relevant[0] if relevant else m.senses[0]
            self._senses[m.key] = relevant, multi, first, self._rank(first)
        relevant, multi, m.sense, m.rank = self._senses[m.key]
        m.ambiguous = False
        if multi:  # only words shared by several classes need the rest of the answer
            classes = {s: self.space.classes_for(s) for s in relevant}
            context = {stem(t) for k, t in enumerate(tokens)
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
            words |= self.glosses.get(c) or {stem(w) for w in WORD_RE.findall(
                self.wn.name(c).lower())}
        return words

    def _tokens(self, text: str) -> tuple[list[str], set[int]]:
        tokens, fixed = TOKEN_RE.findall(normalise(text)), set()
        cache = self._corrections
        for i, t in enumerate(tokens):
            c = cache[t] if t in cache else cache.setdefault(t, self._correct(t))
            if c:
                tokens[i] = c
                fixed.add(i)
        return tokens, fixed

    def _rank(self, synset: str) -> int:
        """0: a class or under one; 1: a hypernym of classes; 2: other nouns and background."""
        if synset not in self._ranks:
            self._ranks[synset] = self._rank_uncached(synset)
        return self._ranks[synset]

    def _rank_uncached(self, synset: str) -> int:
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
        if len(mentions) == 1:
            return 0
        has_negation = not NEGATORS.isdisjoint(tokens)

        def negated(m: _Mention) -> bool:
            return has_negation and not NEGATORS.isdisjoint(tokens[max(0, m.start - 3):m.start])

        best = min(range(len(mentions)), key=lambda k: (negated(mentions[k]),
                                                        mentions[k].rank == 2, k))
        for k in range(best + 1, len(mentions)):
            if self.wn.descendants_contains(mentions[k].sense, mentions[best].sense):
                best = k
        return best

    def _parse(self, text: str) -> ParseResult:
        if len(self._windows) > 1_000_000:  # bound memory on very long streams of answers
            self._windows.clear()
            self._corrections.clear()
        tokens, fixed = self._tokens(text)
        mentions = self._mentions(tokens)
        if CORRECTIONS.intersection(tokens):  # "a bottle... actually a wine bottle"
            fix = max(k for k, t in enumerate(tokens) if t in CORRECTIONS)
            if any(m.start > fix for m in mentions):
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


@lru_cache(maxsize=8)
def parser_for(space_name: str = "imagenet-1k") -> Parser:
    return Parser(label_space(space_name))
