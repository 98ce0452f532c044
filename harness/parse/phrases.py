"""Rules over an answer's words around its nouns, applied by the parser to the mentions it found:
nouns inside a refusal or the viewer's side, verbs after a negated auxiliary, the nouns before a
turn (a correction, a conclusion, a subject phrase: "the main object here is ..."), and
containers or portions that hold what follows them. Each rule is a table of rules.json; most
answers hold none of their words, which one set test finds out.
"""
from __future__ import annotations

from harness.parse.lexicon import (ARTICLES, CONCLUSIONS, COPULAS, CORRECTIONS, FILLED,
                                   FRAMING_PHRASES, MATERIALS, NEGATED_AUX, NEGATORS, PERSON,
                                   POINTING, POSSESSIVES, PREPOSITIONS, QUANTIFIERS, QUANTITIES,
                                   REFUSAL_PHRASES, SENTENCE, SHOWING_PHRASES, STOP,
                                   SUBJECT_FILLERS, SUBJECT_PHRASES, VIEWER_PHRASES)
from harness.parse.senses import Mention
from harness.parse.subject import opens_fronted
from harness.parse.trace import Trace
from harness.wordnet.graph import wordnet

# Phrases whose nouns name nothing in the image, longest first; their last words, with the
# corrections, conclusions and negators, make one test for the rare cases.
EMPTY_PHRASES = tuple(sorted(dict.fromkeys(REFUSAL_PHRASES + VIEWER_PHRASES), key=len,
                             reverse=True))
PHRASE_ENDS = frozenset(p[-1] for p in EMPTY_PHRASES)
TURN_PHRASES = CONCLUSIONS + POINTING + SUBJECT_PHRASES
TURNS = CORRECTIONS | {p[-1] for p in TURN_PHRASES}  # "actually", "main object"
AUX_ENDS = frozenset(p[-1] for p in NEGATED_AUX)  # "didn t", "cannot"
FRAMING = FRAMING_PHRASES + SHOWING_PHRASES  # found by their first word, which is rare
FRAMING_FIRST = frozenset(p[0] for p in FRAMING)
UNUSUAL = PHRASE_ENDS | TURNS | NEGATORS | AUX_ENDS | FRAMING_FIRST
_ENDING: dict[str, list[tuple[str, ...]]] = {}  # last word -> the turn phrases ending with it
for _p in TURN_PHRASES:
    _ENDING.setdefault(_p[-1], []).append(_p)
_POINTING_ENDS = frozenset(p[-1] for p in POINTING)
COUNTERS = QUANTIFIERS | {"loaves", "glasses"} | {  # and their plurals: "two bowls of soup"
    w + "es" if w.endswith(("x", "ch", "sh", "ss")) else w[:-1] + "ies" if w.endswith("y") else
    w + "s" for w in QUANTIFIERS if not w.endswith(("s", "f"))}
PORTION_NEXT = COUNTERS | FILLED | {"of"}  # what can follow a container or portion word
PORTION_WORDS = COUNTERS | MATERIALS  # what can be one
HEDGES = STOP - ARTICLES - POSSESSIVES - PREPOSITIONS - QUANTITIES - {"of"}  # "most likely"
_BETWEEN_NAMED = frozenset({",", "which", "that", "itself", "themselves"})
_A = {("a",), ("an",)}
_SEEMING = frozenset({"seems", "appears", "to"})
_OF_PREPOSITIONS = PREPOSITIONS | {"of"}
_NO_CLAUSE = COPULAS | {",", ";", SENTENCE}


def unusual(tokens: tuple[str, ...], mentions: list[Mention],
            trace: Trace | None) -> tuple[list[Mention], str | None]:
    """Nouns inside a refusal phrase or the viewer's side name nothing ("as an AI language
    model", "smiling at the camera"), nor does a verb after a negated auxiliary ("didn't
    load"); after a turn only the later nouns count ("a bottle... actually a wine bottle",
    "... but the colour points towards a lime", "the object in the foreground is ..."), and
    which turn that was: "named" (a subject phrase: "The focus of the photo is the bride"),
    "turn" (a correction or a conclusion: "Final answer: a seashore") or None."""
    if mentions and not PHRASE_ENDS.isdisjoint(tokens):
        mentions = _outside_phrases(tokens, mentions, trace)
    if mentions and not AUX_ENDS.isdisjoint(tokens):
        verbs = [m for m in mentions if m.start and tokens[m.start - 1] in AUX_ENDS and any(
            tokens[max(0, m.start - len(p)):m.start] == p for p in NEGATED_AUX)]
        if verbs:
            if trace:
                trace.add("verb", "negated_auxiliaries: a word after a negated auxiliary is a "
                          "verb", words=sorted({" ".join(tokens[m.start:m.end]) for m in verbs}))
            dropped = set(map(id, verbs))  # linear in the answer, however many there are
            mentions = [m for m in mentions if id(m) not in dropped]
    if not TURNS.isdisjoint(tokens):
        fix, named = _last_turn(tokens, mentions)
        if fix is not None and any(m.start > fix for m in mentions):
            if trace and any(m.start <= fix for m in mentions):
                trace.add("turn", "corrections, conclusion_phrases, pointing_phrases, "
                          "subject_phrases: only the nouns after the last turn count",
                          word=tokens[fix])
            return _after(mentions, fix), "named" if named else "turn"  # named: a subject
            # phrase named the subject; turn: a correction or a conclusion turned
    if not FRAMING_FIRST.isdisjoint(tokens):
        fix = _framing(tokens, mentions)
        if fix is not None and any(m.start > fix for m in mentions):
            if trace:
                trace.add("turn", "framing_phrases, showing_phrases: the noun that fills or is "
                          "shown in the picture", word=tokens[fix + 1])
            return _after(mentions, fix), "named"
    return mentions, None


def _after(mentions: list[Mention], fix: int) -> list[Mention]:
    """The mentions after a turn at fix, led by an earlier one when that is a better-ranked
    kind of the first of them ("This is a tabby. Answer: cat." stays the tabby)."""
    kept = [m for m in mentions if m.start > fix]
    kind = _earlier_kind(mentions, kept[0], fix + 1, False)
    return kept if kind is None else [kind, *kept]


def _earlier_kind(mentions: list[Mention], named: Mention, before: int,
                  by_head: bool) -> Mention | None:
    """The first mention starting before `before` that ranks better than named and is a kind
    of it (its sense below named's, or with by_head its lemma ending in named's word: "a crash
    helmet ... the helmet"), or None."""
    anc, key = wordnet().ancestors, "_" + named.word.key
    return next((m for m in mentions if m.start < before and m.rank < named.rank and (
        named.sense in anc(m.sense) or by_head and m.word.key.endswith(key))), None)


def _outside_phrases(tokens: tuple[str, ...], mentions: list[Mention],
                     trace: Trace | None) -> list[Mention]:
    covered = {k for p in EMPTY_PHRASES for i in range(len(tokens))
               if tokens[i : i + len(p)] == p for k in range(i, i + len(p))}
    keep = [m for m in mentions if m.start not in covered or m.end - 1 not in covered]
    # linear in the answer; a compound running past the phrase stays ("The file cabinet")
    if trace and len(keep) < len(mentions):
        trace.add("refusal phrase", "refusal_phrases, viewer_phrases: its nouns name "
                  "nothing in the image")
    return keep


def _last_turn(tokens: tuple[str, ...],
               mentions: list[Mention]) -> tuple[int | None, bool]:
    """(index, named): the index of the last token of the last correction word or conclusion
    phrase, or of the copula after a subject phrase ("the main object here is ..."), or of the
    token before the noun a subject phrase names after it ("The fence is the main subject");
    named: a subject phrase named it. Pointing right after a class noun, or after
    "that"/"which", is literal: "a cannon points towards the sea", "an arrow that
    points towards a church" (evidence is no class: "the colour points towards a lime").
    Each turn word present is looked for from the end by tuple.index (no loop over tokens)."""
    n, rev, found = len(tokens), tokens[::-1], (-1, None, False)
    class_ends: set[int] | None = None  # where a class noun ends, for literal pointing
    for t in TURNS.intersection(tokens):
        r = -1
        while True:
            try:
                r = rev.index(t, r + 1)
            except ValueError:
                break
            k = n - 1 - r
            if k <= found[0]:
                break
            if class_ends is None and t in _POINTING_ENDS:
                class_ends = {m.end for m in mentions if m.rank == 0}
            turn = _turn_at(tokens, k, t, class_ends, mentions)
            if turn is not None:
                found = (k, *turn)
                break
    return found[1], found[2]


def _turn_at(tokens: tuple[str, ...], k: int, t: str, class_ends: set[int] | None,
             mentions: list[Mention]) -> tuple[int, bool] | None:
    """The turn (index, named) a correction word or a phrase ending at k makes, or None."""
    if t in CORRECTIONS:
        return k, False
    for p in _ENDING.get(t, ()):
        start = k + 1 - len(p)
        if start < 0 or tokens[start:k + 1] != p:
            continue
        if p in SUBJECT_PHRASES:  # the turn is the copula that follows
            if tokens[k + 1:k + 2] == (",",) and (tokens[k + 2:k + 3] == ("namely",) or tokens[
                    k + 2:k + 3] in _A) and _fronted_before(tokens, start):  # "Spanning the
                return k + 1, True  # valley is the main subject, a long stone viaduct"
            cop = _copula_after(tokens, k + 1)
            if cop is None:  # or the subject comes first: "The fence ... is the main subject"
                at = _named_before(tokens, start, mentions)
                return None if at is None else (at, True)
            return (cop, True) if _new_thing(tokens, cop, start, mentions) else None
        if p in POINTING and (start and tokens[start - 1] in ("that", "which") or (
                class_ends and start in class_ends)):
            return None
        return k, False
    return None


def _fronted_before(tokens: tuple[str, ...], start: int) -> bool:
    """The sentence holding the phrase at start opens with a fronted phrase (a participle or a
    clause opener), so the noun before its copula is no subject: "Spanning the valley is the
    main subject, a viaduct"; not "The church is the main subject, a stone building"."""
    k = start
    while k > 0 and tokens[k - 1] != SENTENCE:
        k -= 1
    return opens_fronted(tokens[k])


def _framing(tokens: tuple[str, ...], mentions: list[Mention]) -> int | None:
    """The turn of the last framing or showing phrase: before the noun right before a framing
    phrase ("The mountain dominates the frame"), or at the end of a showing phrase ("The photo
    mainly shows the dock itself"); None if none names a noun."""
    found = None
    for i, t in enumerate(tokens):  # only answers holding a first word get here
        if t not in FRAMING_FIRST:
            continue
        for p in FRAMING:
            if tokens[i:i + len(p)] == p:
                at = _noun_before(tokens, i, mentions) if p in FRAMING_PHRASES else i + len(p) - 1
                found = found if at is None else at
    return found


def _named_before(tokens: tuple[str, ...], start: int, mentions: list[Mention]) -> int | None:
    """Where the noun phrase ends that a subject phrase after a copula names ("The fence, which
    is the main subject of the photo", "the people are clearly the main subject"): the turn is
    the token before that noun, which only the noun itself may follow up to the copula (a
    comma, "which", "that", "itself", hedges), or an earlier kind of it ("a mousetrap ... The trap
    is the main object"). None if no noun comes right before."""
    k = start - 1 if start and tokens[start - 1] == "the" else start
    while k > 0 and (tokens[k - 1] in HEDGES and tokens[k - 1] not in COPULAS or tokens[
            k - 1].endswith("ly")):
        k -= 1
    if not k or tokens[k - 1] not in COPULAS:
        return None
    return _noun_before(tokens, k - 1, mentions)


def _noun_before(tokens: tuple[str, ...], k: int, mentions: list[Mention]) -> int | None:
    """The turn before the noun that ends at k, past a comma, "which", "that" or "itself" (an
    earlier class that is a kind of it, if there is one), or None."""
    while k > 0 and tokens[k - 1] in _BETWEEN_NAMED:
        k -= 1
    at = next((j for j in range(len(mentions) - 1, -1, -1) if mentions[j].end == k), None)
    if at is None:
        return None
    while at and (mentions[at - 1].end == mentions[at].start or _modifies(
            tokens, mentions[at - 1], mentions[at])):  # "a tennis racket with yellow strings
        at -= 1  # fills the frame": the phrase's head (and a compound from its first word)
    named = mentions[at]
    kind = _earlier_kind(mentions, named, named.start, True) or named  # a class named before:
    # "a wooden mousetrap ... The trap is the main object", "a crash helmet ... The helmet is
    # clearly the focus"
    return kind.start - 1


def _modifies(tokens: tuple[str, ...], head: Mention, m: Mention) -> bool:
    """m sits in a prepositional phrase after head ("an airliner in white livery", "the lake
    itself, with its deep water"): a preposition and words of no clause between them."""
    gap = tokens[head.end:m.start]
    while gap and gap[0] in _BETWEEN_NAMED:  # "the lake itself, with its deep water"
        gap = gap[1:]
    return bool(gap) and gap[0] in _OF_PREPOSITIONS and _NO_CLAUSE.isdisjoint(gap)


def _copula_after(tokens: tuple[str, ...], j: int) -> int | None:
    """The index of "is"/"are"/"was" at j after commas, rules.json subject_fillers, a participle
    phrase set off by commas ("The main object, lying across a notebook, is a stethoscope") and
    "seems to"/"appears to", when a predicate follows it (no participle), or None."""
    n = len(tokens)
    while j < n and tokens[j] not in COPULAS:
        if tokens[j] == ",":
            j += 1
            if j < n and tokens[j].endswith(("ing", "ed")) and "," in tokens[j:j + 10]:
                j = tokens.index(",", j)  # ", lying across an open notebook, is a": an aside
            continue
        if tokens[j] in _SEEMING:  # "seems to be", "appears to be"
            j += 1
            continue
        filler = next((f for f in SUBJECT_FILLERS if tokens[j:j + len(f)] == f), None)
        if filler is None:
            return None
        j += len(filler)
    if j + 1 < n and tokens[j] != "like" and not tokens[j + 1].endswith(("ing", "ed")):
        return j  # "is a ...", not "is hovering near a feeder"
    return None


def _new_thing(tokens: tuple[str, ...], cop: int, start: int, mentions: list[Mention]) -> bool:
    """What the copula at cop introduces is a new thing: "a"/"an" or a count, after at most
    three hedges ("is most likely a dung beetle", "is clearly a volleyball"), or "the"/a
    possessive when nothing was named before the phrase or a class or a person follows ("The
    focus of the photo is the bride", "The main object is the huge pipe organ"); not a part or
    a property of what was named ("A lion. What stands out is its mane.", "The object is
    silver", "A bird. The focus is on the beak.")."""
    k, n = cop + 1, len(tokens)
    while k < n and k <= cop + 3 and (tokens[k] in HEDGES or tokens[k].endswith("ly") or (
            tokens[k] == "on" and tokens[k + 1:k + 2] == ("the",))):  # "is on the dishwasher"
        k += 1
    word = tokens[k] if k < n else ""
    if word in ("a", "an") or word in QUANTITIES or word.isdigit():
        return True
    if word != "the" and word not in POSSESSIVES:
        return False
    after = next((m for m in mentions if m.start > k), None)
    return not any(m.start < start for m in mentions) or after is not None and (
        after.rank == 0 or PERSON in wordnet().ancestors(after.sense))  # a class or a person


def portion(tokens: tuple[str, ...], i: int) -> bool:
    """Whether the one-word noun at i (not the last token) counts or holds what follows: "a
    group of meerkats", "a basket full of pomegranates", "a jar filled with honey", and a
    material before one ("a glass bowl of trifle"): rules.json quantifiers (and their
    plurals), filled_words, materials. Looks two words ahead at most (no recursion over a run
    of such words)."""
    if tokens[i] in COUNTERS and _holds(tokens, i + 1):
        return True
    return tokens[i] in MATERIALS and tokens[i + 1] in COUNTERS and _holds(tokens, i + 2)


def _holds(tokens: tuple[str, ...], j: int) -> bool:
    """Whether "of", "full of" or "filled with" starts at j."""
    if j >= len(tokens):
        return False
    return tokens[j] == "of" or (tokens[j] in FILLED and j + 1 < len(tokens) and tokens[
        j + 1] in ("of", "with"))


def find_phrase(tokens: tuple[str, ...], phrases) -> tuple[str, ...] | None:
    """The first of the phrases (token tuples) that occurs in the answer, or None."""
    present = set(tokens)
    for p in phrases:
        if p[0] in present and all(w in present for w in p):
            if len(p) == 1 or any(tokens[i : i + len(p)] == p for i in range(len(tokens))):
                return p
    return None
