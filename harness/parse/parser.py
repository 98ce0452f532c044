"""Free-text answer -> WordNet synset, independent of the gold label.

Steps: normalise (think blocks, code fences, JSON answers, markdown, "Answer:" prefixes), tokenise,
find noun mentions by longest match over all WordNet noun lemmas (plus CLIP class names and
aliases; tables in lemmas.py, word lists in lexicon.py), undo plurals/inflections and British
spellings, pick each mention's sense (senses relevant to the label space first, context words break
ties between classes), join compounds, then choose the answer's subject.
"""
from __future__ import annotations

import gc
from dataclasses import asdict, dataclass, field
from functools import lru_cache

from harness.parse.lemmas import Lemmas, relevant
from harness.parse.lexicon import (BACKGROUND, BACKGROUND_ROOTS, CONNECTORS, COORDINATORS, CORRECTIONS,
                             FIRST_SENSE, MATERIALS, MAX_NGRAM, NEGATORS, NON_NOUN_ENDINGS,
                             QUANTIFIERS, STOP, TOKEN_RE, WORD_RE, deletes, normalise, stem,
                             variants)
from harness.parse.lexicon import key as lemma_key
from harness.wordnet.graph import LabelSpace, label_space, wordnet

_MISSING, _STOP, _LONGER, _NOUN_AFTER_ARTICLE = object(), object(), object(), object()
ARTICLES = frozenset(["a", "an", "the", "one", "some"])
COPULAS = frozenset(["is", "are", "was", "be", "s", "like"])  # "it's" -> "it", "s"


@dataclass(slots=True)
class ParseResult:
    """What an answer names: the class in the label space, the most specific synset, and how."""

    wnid: str | None
    synset: str | None
    label: str | None
    match: str
    candidates: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


class _Word:
    """A lemma found at some window of tokens, with its sense choice made once per key."""

    __slots__ = ("n", "senses", "how", "key", "relevant", "multi", "sense", "rank")

    def __init__(self, n: int, senses: list[str], how: str, key: str) -> None:
        self.n, self.senses, self.how, self.key = n, senses, how, key


class _Mention:
    """One occurrence of a word in an answer; sense and rank may differ from the word's default
    when the context disambiguates it."""

    __slots__ = ("start", "end", "word", "sense", "rank", "ambiguous")

    def __init__(self, start: int, end: int, word: _Word) -> None:
        self.start, self.end, self.word = start, end, word
        self.sense, self.rank, self.ambiguous = word.sense, word.rank, False


class Parser:
    """Parses answers into synsets of one label space. Reuse one instance: it caches results."""

    def __init__(self, space: LabelSpace | None = None) -> None:
        self.space = space or label_space("imagenet-1k")
        self.wn = wordnet()
        self.lemmas = Lemmas.build(self.space)
        # Caches filled while parsing; answers share most words, so each is worked out once.
        self._clean: set[str] = set()  # tokens that need no spelling correction
        self._corrections: dict[str, str] = {}  # misspelt token -> class word
        # (alone, in a sentence): token -> _head(token); several tokens -> _Word or None
        self._heads: tuple[dict, dict] = ({}, {})
        self._windows: tuple[dict, dict] = ({}, {})
        self._words: dict[str, _Word] = {}  # lemma key -> _Word (sense chosen once)
        self._ranks: dict[str, int] = {}
        self._about: dict[str, tuple] = {}  # sense -> _describe(sense)
        self._results: dict[tuple[str, ...], ParseResult] = {}  # normalised tokens -> result
        self.parse = lru_cache(maxsize=200_000)(self._parse)
        # The ~300k containers of the tables live as long as the process; in the permanent
        # generation the garbage collector stops walking them on each full collection (one such
        # walk cost ~70 ms per 50k parsed answers).
        gc.freeze()

    def _correct(self, token: str) -> str | None:
        """A misspelt class word (edit distance ~1), if exactly one candidate fits."""
        if (len(token) < 5 or not token.isalpha() or token in self.lemmas.vocab or token in STOP
                or token.endswith(NON_NOUN_ENDINGS) or any(b in self.lemmas.vocab for b, _ in
                                                            variants(token))):
            return None
        hits = set().union(*(self.lemmas.fuzzy.get(d, set()) for d in deletes(token)))
        return hits.pop() if len(hits) == 1 else None

    def _head(self, token: str, in_sentence: bool) -> object:
        """What a token starts: _LONGER if it begins a multi-word lemma, _STOP if nothing,
        else its one-word match (a _Word or None)."""
        if token in self.lemmas.prefixes:
            return _LONGER
        if token in self.lemmas.class_stops:
            return _NOUN_AFTER_ARTICLE
        return _STOP if token in STOP else self._match((token,), in_sentence)

    def _match(self, window: tuple[str, ...], in_sentence: bool) -> _Word | None:
        """The longest lemma at the window's start. The last word may be inflected, and
        "trolley bus" may be written "trolleybus". N-grams holding a function word must name
        something relevant, so "a man" is not the place A'man, "a cup of tea" is a cup, and
        "don't know" is no noun."""
        lem = self.lemmas
        for n in range(len(window), 0, -1):
            words = list(window[:n])
            if n == 1 and (words[0] in STOP and words[0] not in lem.class_stops or
                           words[0].isdigit() or
                           (len(words[0]) < 3 and in_sentence and words[0] not in lem.short)):
                return None
            edge_stop = n > 1 and any(w in STOP for w in words)
            keys = [("_".join(words), "lemma")] + (
                [("".join(words), "lemma")] if n == 2 else []) + [
                ("_".join(words[:-1] + [b]), how) for b, how in variants(words[-1])
                if not (n == 1 and b in STOP and b not in lem.class_stops)]
            for key, how in keys:
                senses = lem.lookup.get(key)
                if senses and not (edge_stop and not any(map(self._relevant, senses))):
                    return self._word(n, senses, how, key)
        return None

    def _word(self, n: int, senses: list[str], how: str, key: str) -> _Word:
        """Sense choice for a lemma, made once per key: an alias or a FIRST_SENSE word's first
        sense; else among senses relevant to the label space, those the word is the main name of
        first ("turtle" the reptile before the turtleneck), then WordNet frequency order; a CLIP
        class name whose sense is a hypernym of that class alone means the class. `multi`: the
        relevant senses fall under 2+ classes (see _disambiguate)."""
        word = _Word(n, senses, how, key)
        base = self._words.get(key)
        if base is None:
            alias = senses[0] if key in FIRST_SENSE else self.lemmas.aliases.get(key)
            relevant = sorted((s for s in dict.fromkeys(senses) if self._relevant(s)),
                              key=lambda s: (s != alias, lemma_key(self.wn.name(s)) != key))
            base = self._words[key] = word
            word.relevant = relevant
            word.multi = alias is None and len(
                {c for s in relevant for c in self.space.classes_for(s)}) >= 2
            word.sense = alias or (relevant[0] if relevant else min(
                senses, key=lambda s: (self._background(s), lemma_key(self.wn.name(s)) != key)))
            clip = self.lemmas.clip_keys.get(key)
            if clip and self._rank(word.sense) == 1 and self._classes_below(word.sense) == [clip]:
                word.sense = clip  # "tent", "couch", "scarf": the CLIP name of the one class below
            word.rank = self._rank(word.sense)
        word.relevant, word.multi, word.sense, word.rank = (base.relevant, base.multi, base.sense,
                                                            base.rank)
        return word

    def _classes_below(self, synset: str) -> list[str]:
        return [c for c in self.space.wnids if self.wn.descendants_contains(c, synset)]

    def _mentions(self, tokens: tuple[str, ...]) -> list[_Mention]:
        """Longest lemma matches left to right (memoised per token window)."""
        found, i, n = [], 0, len(tokens)
        heads, windows = self._heads[n > 1], self._windows[n > 1]
        lookup, prefixes = self.lemmas.lookup, self.lemmas.prefixes
        while i < n:
            first = tokens[i]
            word = heads.get(first, _MISSING)
            if word is _MISSING:
                word = heads[first] = self._head(first, n > 1)
            if word is _NOUN_AFTER_ARTICLE:  # "an orange" and "an orange." but not "orange fur"
                nominal = (i == 0 or tokens[i - 1] in ARTICLES) and (
                    i + 1 == n or tokens[i + 1] in STOP and tokens[i + 1] not in COORDINATORS)
                word = windows.get((first,), _MISSING) if n == 1 or nominal else _STOP
                if word is _MISSING:
                    word = windows[(first,)] = self._match((first,), False)
            if word is _STOP:
                i += 1
                continue
            if word is _LONGER or (i + 1 < n and first + tokens[i + 1] in lookup):
                # as far as the words so far start a longer lemma, and one word more (or a
                # two-word spelling joined up: "trolley bus")
                j, run = i + 1, first
                while j < n and j - i < MAX_NGRAM and run in prefixes:
                    run += "_" + tokens[j]
                    j += 1
                window = tokens[i : max(j, i + 2)]
                word = windows.get(window, _MISSING)
                if word is _MISSING:
                    word = windows[window] = self._match(window, n > 1)
            if word is None:
                i += 1
                continue
            end = i + word.n
            if not (word.n == 1 and end < n and tokens[end] == "of" and first in QUANTIFIERS):
                found.append(_Mention(i, end, word))
            i = end
        return found

    def _relevant(self, synset: str) -> bool:
        return relevant(self.space, synset)

    def _disambiguate(self, m: _Mention, stems: list[str]) -> None:
        """A word shared by several classes: the sense whose class gloss and hypernyms share
        most words with the rest of the answer (up to 40 words either side, which keeps a 1 MB
        answer linear) wins, then a sense that is itself a class; a remaining tie is
        `ambiguous`."""
        relevant = m.word.relevant
        classes = {s: self.space.classes_for(s) for s in relevant}
        context = set(stems[max(0, m.start - 40) : m.start])
        context.update(stems[m.end : m.end + 40])
        context.discard("")
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
            words |= self.lemmas.glosses.get(c) or {stem(w) for w in WORD_RE.findall(
                self.wn.name(c).lower())}
        return words

    def _tokens(self, text: str) -> tuple[tuple[str, ...], set[int]]:
        """Normalised tokens with misspelt class words corrected, and which were corrected."""
        tokens = TOKEN_RE.findall(normalise(text))
        clean = self._clean
        if clean.issuperset(tokens):
            return tuple(tokens), set()
        fixed = set()
        for i, t in enumerate(tokens):
            if t in clean:
                continue
            c = self._corrections.get(t)
            if c is None:
                c = self._correct(t)
                if c is None:
                    clean.add(t)
                    continue
                self._corrections[t] = c
            tokens[i] = c
            fixed.add(i)
        return tuple(tokens), fixed

    def _rank(self, synset: str) -> int:
        """0: a class or under one; 1: a hypernym of classes; 2: other nouns; 3: people and
        body parts, in most photos but (almost) never the label (lexicon.BACKGROUND)."""
        if synset not in self._ranks:
            self._ranks[synset] = self._rank_uncached(synset)
        return self._ranks[synset]

    def _rank_uncached(self, synset: str) -> int:
        if self.space.classes_for(synset):
            return 0
        if self._background(synset):
            return 3
        return 1 if self.space.is_ancestor_of_class(synset) else 2

    def _compounds(self, tokens: tuple[str, ...], mentions: list[_Mention]) -> list[_Mention]:
        """Adjacent nouns form one ("computer monitor", "Labrador puppy", "pinwheel toy"):
        keep the better-ranked; on a tie the head (last) unless the first is a hyponym of it.
        Materials ("rubber duck") and lemmas made of function words ("large white" butterfly,
        unless a kind of the next noun) are modifiers."""
        out: list[_Mention] = []
        for m in mentions:
            prev = out[-1] if out else None
            if prev is not None and prev.end == m.start:
                kind_of_next = any(self.wn.descendants_contains(prev.sense, s)
                                   for s in m.word.senses)
                words = tokens[prev.end - prev.word.n : prev.end]  # the word, not the compound
                modifier = (prev.word.n == 1 and words[0] in MATERIALS) or (
                    not kind_of_next and STOP.issuperset(words))
                keep_prev = not modifier and (prev.rank < m.rank or (prev.rank == m.rank and
                                                                     kind_of_next))
                if not keep_prev:
                    m.start = prev.start
                    out[-1] = m
                continue
            out.append(m)
        return out

    def _subject(self, tokens: tuple[str, ...], mentions: list[_Mention]) -> int:
        """Index of the mention the answer is about: the first relevant, non-negated one, moved
        on to the predicate of "is a"/"looks like a" if that names a class and the earlier noun
        does not, then to a later, more specific hyponym ("an animal, a golden retriever")."""
        if NEGATORS.isdisjoint(tokens):
            negated = [False] * len(mentions)
            best = next((k for k, m in enumerate(mentions) if m.rank < 2), None)
            if best is None:  # no relevant noun: the first other noun, else a person
                best = next((k for k, m in enumerate(mentions) if m.rank == 2), 0)
        else:
            negated = [not NEGATORS.isdisjoint(tokens[max(0, m.start - 3):m.start])
                       for m in mentions]
            best = min(range(len(mentions)), key=lambda k: (negated[k], mentions[k].rank >= 2,
                                                            mentions[k].rank == 3))
        rank = mentions[best].rank
        if rank and any(m.rank < rank for m in mentions[best + 1:]):
            # "Based on the coat, this looks like a Samoyed.": the predicate names the class
            cop = next((c for c in range(len(tokens) - 1) if tokens[c] in COPULAS and
                        tokens[c + 1] in ARTICLES), len(tokens))
            k = next((k for k, m in enumerate(mentions) if m.start > cop), 0)
            if k > best and mentions[k].rank < rank and not negated[k]:
                best = k
        for k in range(best + 1, len(mentions)):
            if self.wn.descendants_contains(mentions[k].sense, mentions[best].sense):
                best = k
        return best

    def _parse(self, text: str) -> ParseResult:
        if len(self._results) > 500_000 or len(self._windows[1]) > 1_000_000:  # bound memory
            for cache in (*self._heads, *self._windows, self._clean, self._corrections,
                          self._results):
                cache.clear()
        tokens, fixed = self._tokens(text)
        if fixed:
            return self._read(tokens, fixed)
        result = self._results.get(tokens)  # "A tabby cat." and "**Answer:** tabby cat"
        if result is None:
            result = self._results[tokens] = self._read(tokens, fixed)
        return result

    def _read(self, tokens: tuple[str, ...], fixed: set[int]) -> ParseResult:
        mentions = self._mentions(tokens)
        if not CORRECTIONS.isdisjoint(tokens):  # "a bottle... actually a wine bottle"
            fix = max(k for k, t in enumerate(tokens) if t in CORRECTIONS)
            if any(m.start > fix for m in mentions):
                mentions = [m for m in mentions if m.start > fix]
        if not mentions:
            return ParseResult(None, None, None, "none", [])
        shared = [m for m in mentions if m.word.multi]
        if shared:  # context words, stemmed once per answer
            stems = [stem(t) if t not in STOP and len(t) > 2 else "" for t in tokens]
            for m in shared:
                self._disambiguate(m, stems)
        group = mentions
        if len(mentions) > 1:
            mentions = self._compounds(tokens, mentions)
            mentions = group = mentions[self._subject(tokens, mentions):]
            for k in range(1, len(mentions)):  # "a husky or a malamute": keep the alternatives
                gap = tokens[mentions[k - 1].end : mentions[k].start]
                if not all(t in CONNECTORS for t in gap) or COORDINATORS.isdisjoint(gap):
                    group = mentions[:k]
                    break
        primary = mentions[0]
        sense = primary.sense
        about = self._about.get(sense) or self._describe(sense)
        classes, wnid, label = about
        if primary.ambiguous or len(classes) > 1:
            how = "ambiguous"
        elif wnid is None and self.space.is_ancestor_of_class(sense):
            how = "hypernym"
        elif fixed and not fixed.isdisjoint(range(primary.start, primary.end)):
            how = "fuzzy"
        elif primary.word.how == "lemma" and primary.end - primary.start == len(tokens):
            how = "exact"
        else:
            how = primary.word.how
        if len(group) == 1:
            cands = list(classes) if classes else [sense]
        else:
            cands = list(dict.fromkeys(c for m in group for c in (
                self.space.classes_for(m.sense) or (m.sense,))))
        return ParseResult(wnid, sense, label, how, cands)

    def _describe(self, sense: str) -> tuple[tuple[str, ...], str | None, str]:
        """(classes the sense falls under, the first of them, human label), cached per sense."""
        classes = self.space.classes_for(sense)
        wnid = classes[0] if classes else None
        label = self.space.label(wnid) if wnid else self.wn.name(sense)
        self._about[sense] = classes, wnid, label
        return classes, wnid, label


_PARSERS: dict[tuple[str, tuple[str, ...]], Parser] = {}


def parser_for(space: LabelSpace | str = "imagenet-1k") -> Parser:
    """The one shared parser of a label space (built once per process: the tables take ~1 s)."""
    space = label_space(space) if isinstance(space, str) else space
    key = (space.name, space.wnids)
    if key not in _PARSERS:
        _PARSERS[key] = Parser(space)
    return _PARSERS[key]
