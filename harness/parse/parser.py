"""Free-text answer -> WordNet synset, independent of the gold label.

Steps (each one recorded by `Parser.explain`): normalise (think blocks, code fences, JSON answers,
markdown, list bullets, "Answer:" prefixes), tokenise, correct misspelt class words (bounded work),
find noun mentions by longest match over all WordNet noun lemmas (plus CLIP class names and
aliases; rules.json), undo plurals/inflections and British spellings, keep physical things only
(a photo shows no abstractions), pass over containers and portions ("a basket full of ..."),
drop nouns of refusal phrases, verbs after negated auxiliaries and nouns before a correction or
conclusion and subject phrases (phrases.py), pick each mention's sense (context cue words
first, a body part after a possessive, then the label space), join compounds and drop nouns used
as adjectives (compounds.py), settle what a person wears, skip a fronted phrase
("Next to a keyboard, a gecko ..."), choose the answer's subject; with no physical noun left, or
every one denied, a refusal cue makes the match "refusal".
"""
from __future__ import annotations

from harness.parse.compounds import adjective, compounds
from harness.parse.lemmas import Lemmas, tables_for
from harness.parse.lexicon import (ARTICLES, BRITISH, CONNECTORS, COORDINATORS, MAX_NGRAM,
                                   NON_NOUN_ENDINGS, POSSESSIVES, REFUSAL_CUES, SENTENCE, STOP,
                                   TOKEN_RE, deletes, normalise, other_words, tokenize, variants)
from harness.parse.phrases import (PORTION_NEXT, PORTION_WORDS, UNUSUAL, find_phrase, portion,
                                   unusual)
from harness.parse.result import NOTHING, ParseResult
from harness.parse.senses import Mention, Senses, Word
from harness.parse.sentences import beyond_one
from harness.parse.subject import denied, fronted, has_negator, subject, worn
from harness.parse.trace import Trace
from harness.wordnet.graph import LabelSpace, label_space

__all__ = ["Parser", "ParseResult", "normalise", "parser_for"]

_MISSING, _STOP, _LONGER, _NOUN_AFTER_ARTICLE = object(), object(), object(), object()
_NO_FIX: frozenset[int] = frozenset()  # no token corrected
# Bounded work on hostile input (issue: hardening). A token longer than the longest class word + 1
# cannot be one edit away from it; at most MAX_CORRECTIONS unseen tokens per answer are tried.
MAX_CORRECTIONS = 64
# Memory on hostile input: tokens longer than any WordNet word are skipped uncached, and the result
# caches keep only answers up to LONG_ANSWER characters.
MAX_TOKEN = 64
LONG_ANSWER = 4096
TEXT_CACHE = 200_000  # answers whose result is kept by their text


class Parser:
    """Parses answers into synsets of one label space. Reuse one instance (parser_for): it caches
    results. Not thread-safe (the caches and explain's trace are per instance)."""

    def __init__(self, space: LabelSpace | None = None) -> None:
        self.space = space or label_space("imagenet-1k")
        self.lemmas: Lemmas = tables_for(self.space)
        self.senses = Senses(self.space, self.lemmas)
        self.trace: Trace | None = None  # set only while explain() runs
        # Caches filled while parsing; answers share most words, so each is worked out once.
        self._clean: set[str] = set()  # tokens that need no spelling correction
        self._corrections: dict[str, str] = {}  # misspelt token -> class word
        # (alone, in a sentence): token -> _head(token); several tokens -> Word or None
        self._heads: tuple[dict, dict] = ({}, {})
        self._windows: tuple[dict, dict] = ({}, {})
        self._singles: tuple[dict, dict] = ({}, {})  # token -> its one-word match (_match)
        self._singles_out: dict[tuple, ParseResult] = {}  # one-thing results (_result)
        self._results: dict[tuple[str, ...], ParseResult] = {}  # normalised tokens -> result
        self._memos = 0  # entries of the next-token memos inside self._heads
        self._new = 0  # answers parsed (not from a cache)
        self._by_text: dict[str, ParseResult] = {}  # answer -> result

    def parse(self, text: str) -> ParseResult:
        """What the answer names. Answers up to LONG_ANSWER characters are cached by their text
        (a dict emptied when full: lru_cache's per-entry links cost the GC's passes); longer ones
        are parsed each time, so a stream of megabyte answers cannot fill memory."""
        got = self._by_text.get(text)
        if got is None:
            got = self.parse_once(text)
            if len(text) <= LONG_ANSWER:
                if len(self._by_text) >= TEXT_CACHE:
                    self._by_text.clear()
                self._by_text[text] = got
        return got

    def parse_once(self, text: str) -> ParseResult:
        """parse, without keeping the text: for a caller with its own cache by text
        (`harness parse` keeps each answer's JSON). Results are still cached by their tokens
        ("A tabby cat." and "**Answer:** tabby cat"), unless a token was corrected."""
        tokens = tokenize(text)
        fixed = _NO_FIX
        if not self._clean.issuperset(tokens):
            fixed = self._correct_all(tokens)
            if fixed:
                self._bound_sometimes()
                return self._read(tuple(tokens), fixed)
        tokens = tuple(tokens)
        result = self._results.get(tokens)
        if result is None:
            self._new += 1
            if not self._new & 255:  # _bound_sometimes, inline: most answers come this way
                self._bound()
            if len(text) > LONG_ANSWER:  # not kept: a stream of megabyte answers stays flat
                return self._read(tokens, fixed)
            result = self._results[tokens] = self._read(tokens, fixed)
        return result

    def _bound_sometimes(self) -> None:
        self._new += 1
        if not self._new & 255:  # every 256 new answers: the check is not free
            self._bound()

    def _bound(self) -> None:
        """Empty the word-level caches when they pass their bound (hostile streams of distinct
        words): results, windows and next-token memos alike."""
        if len(self._results) > 500_000 or len(self._windows[1]) > 1_000_000 or len(
                self._clean) > 1_000_000 or self._memos > 1_000_000:
            for cache in (*self._heads, *self._windows, *self._singles, self._clean,
                          self._corrections, self._results, self._singles_out):
                cache.clear()
            self._memos = 0

    def explain(self, text: str) -> tuple[ParseResult, list[dict]]:
        """The result and the rules applied at each step, uncached: [{"step", "rule", ...}]."""
        self.trace = Trace()
        try:
            tokens, fixed = self._tokens(text)
            return self._read(tokens, fixed), self.trace.steps
        finally:
            self.trace = None

    # --- tokens -----------------------------------------------------------------------------

    def _tokens(self, text: str) -> tuple[tuple[str, ...], frozenset[int] | set[int]]:
        """Normalised tokens with misspelt class words corrected, and which were corrected."""
        norm = normalise(text)
        tokens = TOKEN_RE.findall(norm)
        if self.trace:
            self.trace.add("normalise", "markup, think blocks, JSON, bullets, prefixes", text=norm)
        fixed = _NO_FIX if self._clean.issuperset(tokens) else self._correct_all(tokens)
        return tuple(tokens), fixed

    def _correct_all(self, tokens: list[str]) -> frozenset[int] | set[int]:
        """Correct misspelt class words in place; the indices corrected."""
        clean, tried, fixed = self._clean, 0, set()
        for i, t in enumerate(tokens):
            if t in clean:
                continue
            c = self._corrections.get(t)
            if c is None:
                tried += 1
                if tried > MAX_CORRECTIONS:
                    continue  # bounded work per answer; not cached, a shorter answer may try it
                c = self._correct(t)
                if c is None:
                    if len(t) <= self.lemmas.max_word:
                        clean.add(t)
                    continue
                self._corrections[t] = c
            if self.trace:
                self.trace.add("spelling", "one edit from exactly one class word", token=t, to=c)
            tokens[i] = c
            fixed.add(i)
        return fixed or _NO_FIX

    def _correct(self, token: str) -> str | None:
        """A misspelt class word (edit distance ~1), if exactly one candidate fits and the token
        is no English word of another part of speech (lexicon.other_words)."""
        lem = self.lemmas
        if (len(token) < 5 or len(token) > lem.max_word or not token.isalpha() or
                token in lem.vocab or token in STOP or token.endswith(NON_NOUN_ENDINGS) or
                any(b in lem.vocab for b, _ in variants(token))):
            return None
        hits = set().union(*(lem.fuzzy.get(d, ()) for d in deletes(token)))
        if len(hits) != 1 or token in other_words():  # a real word is no misspelling
            return None
        return hits.pop()

    # --- mentions ---------------------------------------------------------------------------

    def _head(self, token: str, in_sentence: bool) -> object:
        """What a token starts: _LONGER if it begins a multi-word lemma, _STOP if nothing,
        else its one-word match (a Word or None). A plural of a function word ("colors",
        "images") is one too, unless it names something the label space can score."""
        lem = self.lemmas
        if token in lem.prefixes:
            return _LONGER
        if token in lem.class_stops:
            return _NOUN_AFTER_ARTICLE
        if token in STOP:
            return _STOP
        if any(b in STOP and b not in lem.class_stops for b, _ in variants(token)) and not any(
                map(self.senses.relevant, lem.lookup.get(token, ()))):
            return _STOP
        return self._match((token,), in_sentence)

    def _match(self, window: tuple[str, ...], in_sentence: bool) -> Word | None:
        """The longest lemma at the window's start that names a physical thing. The last word
        may be inflected, and "trolley bus" may be written "trolleybus". N-grams holding a
        function word must name something relevant, so "a man" is not the place A'man, "a cup of
        tea" is a cup, and "don't know" is no noun. An irregular plural WordNet also files as a
        lemma of a hypernym ("oxen" is cattle) means its singular when that is more specific."""
        lem = self.lemmas
        for n in range(len(window), 0, -1):
            if n == 1 < len(window):  # the first word alone: the same for every word after it
                singles = self._singles[in_sentence]
                word = singles.get(window[0], _MISSING)
                if word is _MISSING:
                    word = singles[window[0]] = self._match(window[:1], in_sentence)
                return word
            words = list(window[:n])
            if n == 1 and (words[0] in STOP and words[0] not in lem.class_stops or
                           words[0].isdigit() or
                           (len(words[0]) < 3 and in_sentence and words[0] not in lem.short)):
                return None
            edge_stop = n > 1 and any(w in STOP for w in words)
            joined = n == 2 and _joinable(*words)  # "trolley bus" written "trolleybus"
            keys = [("_".join(words), "lemma")] + (
                [("".join(words), "lemma")] if joined else []) + [
                ("_".join(words[:-1] + [b]), how) for b, how in variants(words[-1])
                if not (n == 1 and b in STOP and b not in lem.class_stops)]
            if n > 1 and not BRITISH.keys().isdisjoint(words):  # "colour television"
                us = [BRITISH.get(w, w) for w in words]
                keys += [("_".join(us), "inflection")] + (
                    [("".join(us), "inflection")] if joined else []) + [
                    ("_".join(us[:-1] + [b]), how) for b, how in variants(us[-1])]
            if n == 1 and len(keys) > 1:
                keys = self.senses.prefer_singular(keys)
            for key, how in keys:
                senses = lem.lookup.get(key)
                if senses and not (edge_stop and not any(map(self.senses.relevant, senses))):
                    word = self.senses.word(n, senses, how, key)
                    if word is not None:
                        return word
        return None

    def _mentions(self, tokens: tuple[str, ...]) -> list[Mention]:
        """Longest lemma matches left to right, memoised: per token what it starts (_head), and
        per window of tokens its match. A token that starts longer lemmas keeps a dict of the
        tokens seen after it (the hot path: "on a table", "white background")."""
        found, i, n = [], 0, len(tokens)
        in_sentence = n > 1
        heads, windows = self._heads[in_sentence], self._windows[in_sentence]
        lookup, prefixes = self.lemmas.lookup, self.lemmas.prefixes
        while i < n:
            first = tokens[i]
            try:  # most tokens are function words seen before: the hot path
                word = heads[first]
            except KeyError:
                if len(first) > MAX_TOKEN:  # no word is this long: not cached, not looked up
                    i += 1
                    continue
                word = self._head(first, in_sentence)
                heads[first] = word = {} if word is _LONGER else word
            if word is _STOP:
                i += 1
                continue
            if word.__class__ is dict:  # it starts longer lemmas: what the next token makes
                nxt = tokens[i + 1] if i + 1 < n else ""
                got = word.get(nxt, _MISSING)
                if got is _MISSING:  # _LONGER: the window may hold more words than these two
                    got = _LONGER if f"{first}_{nxt}" in prefixes else self._window(
                        tokens, i, in_sentence)
                    if len(nxt) <= MAX_TOKEN:
                        word[nxt] = got
                        self._memos += 1
                word = self._window(tokens, i, in_sentence) if got is _LONGER else got
            elif word is _NOUN_AFTER_ARTICLE:
                # "an orange", "an orange, the fruit"; not "orange fur"
                nominal = (i == 0 or tokens[i - 1] in ARTICLES) and (
                    i + 1 == n or tokens[i + 1] in STOP and tokens[i + 1] not in COORDINATORS
                    or tokens[i + 1] == "," and i + 2 < n and tokens[i + 2] in ARTICLES)
                word = windows.get((first,), _MISSING) if n == 1 or nominal else _STOP
                if word is _MISSING:
                    word = windows[(first,)] = self._match((first,), False)
                if word is _STOP:
                    i += 1
                    continue
            elif i + 1 < n and first + tokens[i + 1] in lookup and _joinable(first, tokens[i + 1]):
                # "trolley bus": "trolleybus"
                word = self._window(tokens, i, in_sentence)
            if word is None:
                i += 1
                continue
            end = i + word.n
            if not (word.n == 1 and end < n and tokens[end] in PORTION_NEXT and (
                    first in PORTION_WORDS) and portion(tokens, i)):
                found.append(Mention(i, end, word))
            i = end
        return found

    def _window(self, tokens: tuple[str, ...], i: int, in_sentence: bool):
        """The match of the window at i: as far as the words so far start a longer lemma, and
        one word more (or a two-word spelling joined up)."""
        n, prefixes = len(tokens), self.lemmas.prefixes
        j, run = i + 1, tokens[i]
        while j < n and j - i < MAX_NGRAM and run in prefixes:
            run += "_" + tokens[j]
            j += 1
        window = tokens[i : j if j > i + 2 else i + 2]
        if len(window[-1]) > MAX_TOKEN:  # no lemma holds it: the window ends before it
            window = window[:-1]
        windows = self._windows[in_sentence]
        word = windows.get(window, _MISSING)
        if word is _MISSING:
            word = windows[window] = self._match(window, in_sentence)
        return word

    # --- one answer -------------------------------------------------------------------------

    def _read(self, tokens: tuple[str, ...], fixed: frozenset[int] | set[int]) -> ParseResult:
        tr = self.trace
        mentions = self._mentions(tokens)
        if tr:
            for m in mentions:
                tr.mention(" ".join(tokens[m.start:m.end]), m.word, self.senses)
        rare = not UNUSUAL.isdisjoint(tokens)  # rules.json phrase tables (phrases.py)
        turn = None  # what phrases.unusual found: a subject phrase ("named"), another turn
        negations = rare and has_negator(tokens)  # not the "t" of "T-shirt"
        if rare:
            mentions, turn = unusual(tokens, mentions, self.trace)
        if len(mentions) == 1 and adjective(tokens, mentions[0]):  # "a flat orange background"
            mentions = []
        if negations and all(denied(tokens, m) for m in mentions):
            if tr and mentions:
                tr.add("negated", "negators: every thing the answer names is negated")
            mentions = []  # "This is not a cat.", "not a wolf, not a fox": it names nothing
        if not mentions:
            cue = find_phrase(tokens, REFUSAL_CUES)
            if tr:
                tr.add("refusal" if cue else "none", "refusal_cues: " + " ".join(cue) if cue
                       else "no physical noun")
            return ParseResult(None, None, None, "refusal", []) if cue else NOTHING
        if self.senses.needs_context(tokens, mentions):
            self.senses.in_context(tokens, mentions, tr)
        if not POSSESSIVES.isdisjoint(tokens) or "s" in tokens:  # "his chest", "a dog's ears"
            self.senses.owned(tokens, mentions, tr)
        group = mentions
        if len(mentions) > 1:
            mentions = worn(self.senses, tokens, compounds(self.senses, tokens, mentions, tr), tr)
            mentions, lead = (mentions, False) if turn == "named" else fronted(tokens, mentions,
                                                                               tr)
            best = subject(self.senses, tokens, mentions, lead, negations)
            if mentions[0].rank == 3 or SENTENCE in tokens:  # people, or several sentences
                best = beyond_one(self.senses, tokens, mentions, best, (turn, negations), tr)
            mentions = group = mentions[best:]
            for k in range(1, len(mentions)):  # "a husky or a malamute": keep the alternatives
                gap = tokens[mentions[k - 1].end : mentions[k].start]
                if COORDINATORS.isdisjoint(gap) or not CONNECTORS.issuperset(gap):
                    group = mentions[:k]
                    break
        return self._result(tokens, fixed, mentions[0], group)

    def _result(self, tokens, fixed, primary: Mention, group: list[Mention]) -> ParseResult:
        """The ParseResult of the subject and its alternatives. Most answers name one thing with
        nothing corrected: then the result depends on the sense, how it matched and whether it
        is the whole answer, and equal ones are shared (results are never modified)."""
        if len(group) == 1 and not primary.alts and not fixed and self.trace is None:
            key = (primary.sense, primary.word.how, primary.ambiguous,
                   primary.end - primary.start == len(tokens))
            got = self._singles_out.get(key)
            if got is None:
                got = self._singles_out[key] = self._new_result(tokens, fixed, primary, group)
            return got
        return self._new_result(tokens, fixed, primary, group)

    def _new_result(self, tokens, fixed, primary: Mention, group: list[Mention]) -> ParseResult:
        sense = primary.sense
        classes, wnid, label = self.senses.describe(sense)
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
        for alt in primary.alts:  # the senses context could not rule out
            if alt not in cands:
                cands.append(alt)
        if self.trace:
            self.trace.add("subject", "the first non-negated thing that is not scenery "
                           "(parse/subject.py)",
                           words=" ".join(tokens[primary.start:primary.end]), synset=sense,
                           match=how)
        return ParseResult(wnid, sense, label, how, cands)


def _joinable(a: str, b: str) -> bool:
    """Two words that may be one lemma written apart ("trolley bus", "lawn mower"); single
    letters are not ("h g" of gibberish is no "hg", mercury)."""
    return len(a) > 1 and len(b) > 1


_PARSERS: dict[tuple[str, ...], Parser] = {}


def parser_for(space: LabelSpace | str = "imagenet-1k") -> Parser:
    """The one parser per label space (a name or a LabelSpace), built on first use. Keyed by the
    space's wnids (parsing depends on nothing else), so a custom space with a built-in one's wnids
    shares its parser; at most 8 are kept."""
    if isinstance(space, str):
        space = label_space(space)
    key = space.wnids
    parser = _PARSERS.get(key)
    if parser is None:
        if len(_PARSERS) >= 8:
            _PARSERS.pop(next(iter(_PARSERS)))
        parser = _PARSERS[key] = Parser(space)
    return parser
