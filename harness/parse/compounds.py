"""Which adjacent words form one noun: compounds joined ("computer monitor", "a round silver
water tower"), -s forms where a verb goes dropped ("a couple rides a tandem"), and nouns used as
adjectives dropped ("a round white yurt", "the composition is simple"). Rules the parser applies
to the mentions it found, before it chooses the subject (subject.py)."""
from __future__ import annotations

from harness.parse.lexicon import (ARTICLES, CLAUSE_OPENERS, COPULAS, DESCRIBING_WORDS,
                                   INVERSION_VERBS, PREPOSITIONS, QUANTITIES, SENTENCE, other_words)
from harness.parse.senses import Mention, Senses
from harness.parse.trace import Trace

RELATIVES = frozenset({"who", "which"})  # a word in -s after one is its verb
_BEFORE_ADJECTIVE = COPULAS | ARTICLES
NOT_BEFORE_CLAUSE = PREPOSITIONS | COPULAS | INVERSION_VERBS | ARTICLES | frozenset({
    "of", "and", "or", ","})  # an article after one of these is inside the fronted phrase
_NOT_MODIFIED = NOT_BEFORE_CLAUSE | CLAUSE_OPENERS | frozenset(
    "that which who whose while as but so then where when because like than after before "
    "during until into onto through toward towards".split())
STOP_BETWEEN = frozenset({",", ";", SENTENCE, "of"}) | COPULAS | ARTICLES | PREPOSITIONS
# what ends a noun phrase, going back from its noun ("a monarch in ermine robes" holds two)


def compounds(senses: Senses, tokens: tuple[str, ...], mentions: list[Mention],
              trace: Trace | None) -> list[Mention]:
    """Adjacent nouns form one ("computer monitor", "Labrador puppy", "pinwheel toy"):
    keep the better-ranked; on a tie the head (last) unless the first is a hyponym of it.
    Materials ("rubber duck") and lemmas made of function words ("large white" butterfly,
    unless a kind of the next noun) are modifiers, and so is a living thing before a made
    one or the reverse ("a jaguar car" is a car), and a place before a person ("a street
    performer")."""
    out: list[Mention] = []
    tail = -1  # where the compound out[-1] ends: past a noun it kept its first over ("a round
    # silver water tower": "round" over "silver", then the water tower over both)
    for m in mentions:
        prev = out[-1] if out else None
        if m.word.how == "inflection" and _verb(tokens, m, prev, tail == m.start) or adjective(
                tokens, m):
            if trace:
                trace.add("compound", _VERB if m.word.how == "inflection" else _ADJECTIVE,
                          skipped=" ".join(tokens[m.start:m.end]))
            continue
        if prev is not None and tail == m.start:
            tail = m.end if not tokens[m.end - 1].endswith("ing") else -1  # "a hat plating
            # food": a participle ends the phrase
            if _plural_before(tokens, prev, m):
                if trace:
                    trace.add("compound", _PLURAL, keep=" ".join(tokens[m.start:m.end]))
                out.append(m)
                continue
            kind_of_next = any(senses.wn.descendants_contains(prev.sense, s)
                               for s in m.word.senses)
            words = tokens[prev.end - prev.word.n : prev.end]  # the word, not the compound
            modifier, why = senses.modifier(prev, m, words, kind_of_next)
            keep_prev = not modifier and (prev.rank < m.rank or (prev.rank == m.rank and
                                                                 kind_of_next)) and not (
                m.rank == 3 and m.word.n == 1 and prev.rank == 2 and senses.scene(prev.sense))
            # a person named after a place is that person: "a street performer"
            if trace:
                trace.add("compound", why or "the better-ranked noun of two adjacent",
                               keep=" ".join(tokens[(prev if keep_prev else m).start:
                                                    (prev if keep_prev else m).end]))
            if not keep_prev:
                m.start = prev.start
                out[-1] = m
            continue
        out.append(m)
        tail = m.end
    return out or mentions  # every one a verb ("rides a ..."): keep what was found

_PLURAL = "a plural noun does not modify the next word, which is its verb (\"two llamas stand\")"
_VERB = ("a word in -s where a verb goes is a verb (\"a couple rides a tandem\", \"a rig stands on "
         "legs\")")


_ADJECTIVE = ("describing_words before another word, or a bare adjective after a copula or in a "
              "rare noun sense after an article, describe: \"a round white yurt\", \"the "
              "composition is simple\", \"a thick bank of fog\"")


def adjective(tokens: tuple[str, ...], m: Mention) -> bool:
    """_adjective, with its cheapest tests first, inline (this runs for most nouns of most
    answers): a class word after an article or copula is never one."""
    if tokens[m.start] in DESCRIBING_WORDS:
        return _adjective(tokens, m)
    return m.rank > 0 and m.start > 0 and tokens[m.start - 1] in _BEFORE_ADJECTIVE and (
        _adjective(tokens, m))


def _adjective(tokens: tuple[str, ...], m: Mention) -> bool:
    """A one-word noun used as an adjective: a describing word before a word that is no article,
    preposition or verb ("a round white yurt"; rules.json describing_words), or a word that is also
    an adjective or verb (lexicon.other_words) right after a copula with no article, naming no
    class ("the composition is simple", "a beekeeper is working"), or after an article, in a
    rare noun sense, before a noun ("a thick bank of fog": not "a seal swimming")."""
    if m.word.n != 1 or m.word.how != "lemma":
        return False
    word, nxt = tokens[m.start], tokens[m.end] if m.end < len(tokens) else ""
    before = tokens[m.start - 1] if m.start else ""
    if word in DESCRIBING_WORDS:  # a colour, an adjective or a noun after it, not "a round of"
        return _modifier_next(nxt) or before in ("a", "an") and nxt.endswith("ed") and (
            nxt not in _NOT_MODIFIED)  # "a flat engraved plaque"
    if before in ARTICLES:  # "a thick bank of fog", "a pale blue poke bonnet": a rare noun
        return m.rank > 0 and word in other_words() and _modifier_next(nxt) and not (
            word.endswith("ing"))  # sense, then a noun or an adjective; not "a building"
    return m.rank > 0 and m.start > 1 and tokens[m.start - 2] != "there" and (
        word in other_words())


def _modifier_next(nxt: str) -> bool:
    """What follows a word used as an adjective: a word that is no function word, verb form or
    clause opener ("round white yurt", "thick bank"; not "a seal on", "a seal that", "a seal
    basking", "a stand holds")."""
    return nxt.isalpha() and nxt not in _NOT_MODIFIED and not nxt.endswith(("ing", "ed")) and not (
        nxt.endswith("s") and nxt in other_words())  # "a stand holds a vase"


def _verb(tokens: tuple[str, ...], m: Mention, prev: Mention | None, adjacent: bool) -> bool:
    """A one-word -s form is a verb, not a plural, before an article when no article or count
    comes before it ("a couple rides a tandem", "a girl holds a kitten"), a verb of position
    (rules.json inversion_verbs) between a noun and a preposition, or right after "a"
    and one noun, or a few adjectives and one noun ("a siamang calls loudly", "a big orange
    snowplow pushes snow": "a siamang calls" cannot be a plural compound)."""
    if not (m.word.n == 1 and tokens[m.start].endswith("s")):  # the caller checked "inflection"
        return False
    before = tokens[m.start - 1] if m.start else ""
    if before in RELATIVES:  # "the bride, who stands halfway down"
        return True
    if tokens[m.start] in INVERSION_VERBS and m.end < len(tokens) and (
            tokens[m.end] in ARTICLES and before not in ARTICLES or  # "..., stands a rocker"
            tokens[m.end] in PREPOSITIONS and adjacent):
        return True  # "an oil rig stands on steel legs"
    if before and m.end < len(tokens) and tokens[m.end] in ARTICLES and (
            before not in ARTICLES and before not in QUANTITIES and not before.isdigit() and
            before != ","):  # "Bananas. A bunch ...": the answer, not a verb
        return True
    return adjacent and prev.end == m.start and prev.word.n == 1 and _after_a(
        tokens, prev.start)  # "a siamang calls loudly", "a big orange snowplow pushes snow"


def _after_a(tokens: tuple[str, ...], start: int) -> bool:
    """"a" or "an" opens the phrase at start, with at most two words between (no comma)."""
    for k in range(start - 1, max(-1, start - 4), -1):
        if tokens[k] in ("a", "an"):
            return True
        if tokens[k] in STOP_BETWEEN:
            return False
    return False


def _plural_before(tokens: tuple[str, ...], prev: Mention, m: Mention) -> bool:
    """English compounds take a singular modifier ("dog bed", not "dogs bed"): after a plural
    noun the next word is its verb, and both stay apart."""
    return prev.word.how == "inflection" and tokens[prev.end - 1].endswith("s") and not (
        m.word.key.startswith(prev.word.key))
