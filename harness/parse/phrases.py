"""Rules over an answer's words around its nouns, applied by the parser to the mentions it found:
nouns inside a refusal or the viewer's side, verbs after a negated auxiliary, the nouns before a
correction or a conclusion, and containers or portions that hold what follows them. Each rule is
a table of rules.json; most answers hold none of their words, which one set test finds out.
"""
from __future__ import annotations

from harness.parse.lexicon import (CONCLUSIONS, CORRECTIONS, FILLED, MATERIALS, NEGATED_AUX,
                                   NEGATORS, QUANTIFIERS, REFUSAL_PHRASES, VIEWER_PHRASES)
from harness.parse.senses import Mention
from harness.parse.trace import Trace

# Phrases whose nouns name nothing in the image, longest first; their last words, with the
# corrections, conclusions and negators, make one test for the rare cases.
EMPTY_PHRASES = tuple(sorted(dict.fromkeys(REFUSAL_PHRASES + VIEWER_PHRASES), key=len,
                             reverse=True))
PHRASE_ENDS = frozenset(p[-1] for p in EMPTY_PHRASES)
TURNS = CORRECTIONS | {p[-1] for p in CONCLUSIONS}  # "actually", "... points towards"
AUX_ENDS = frozenset(p[-1] for p in NEGATED_AUX)  # "didn t", "cannot"
UNUSUAL = PHRASE_ENDS | TURNS | NEGATORS | AUX_ENDS
PORTION_NEXT = QUANTIFIERS | FILLED | {"of"}  # what can follow a container or portion word


def unusual(tokens: tuple[str, ...], mentions: list[Mention],
            trace: Trace | None) -> list[Mention]:
    """Nouns inside a refusal phrase or the viewer's side name nothing ("as an AI language
    model", "smiling at the camera"), nor does a verb after a negated auxiliary ("didn't
    load"); after a correction or a conclusion only the later nouns count ("a bottle...
    actually a wine bottle", "... but the colour points towards a lime")."""
    if mentions and not PHRASE_ENDS.isdisjoint(tokens):
        mentions = _outside_phrases(tokens, mentions, trace)
    if mentions and not AUX_ENDS.isdisjoint(tokens):
        verbs = [m for m in mentions if m.start and tokens[m.start - 1] in AUX_ENDS and any(
            tokens[max(0, m.start - len(p)):m.start] == p for p in NEGATED_AUX)]
        if verbs:
            if trace:
                trace.add("verb", "negated_auxiliaries: a word after a negated auxiliary is a "
                          "verb", words=[" ".join(tokens[m.start:m.end]) for m in verbs])
            mentions = [m for m in mentions if m not in verbs]
    if not TURNS.isdisjoint(tokens):
        fix = _last_turn(tokens)
        if fix is not None and any(m.start > fix for m in mentions):
            if trace and any(m.start <= fix for m in mentions):
                trace.add("turn", "corrections, conclusion_phrases: only the nouns after the "
                          "last correction or conclusion count", word=tokens[fix])
            mentions = [m for m in mentions if m.start > fix]
    return mentions


def _outside_phrases(tokens: tuple[str, ...], mentions: list[Mention],
                     trace: Trace | None) -> list[Mention]:
    covered = {k for p in EMPTY_PHRASES for i in range(len(tokens))
               if tokens[i : i + len(p)] == p for k in range(i, i + len(p))}
    keep = [m for m in mentions if m.start not in covered]  # linear in the answer
    if trace and len(keep) < len(mentions):
        trace.add("refusal phrase", "refusal_phrases, viewer_phrases: its nouns name "
                  "nothing in the image")
    return keep


def _last_turn(tokens: tuple[str, ...]) -> int | None:
    """The index of the last token of the last correction word or conclusion phrase."""
    last = None
    for k, t in enumerate(tokens):
        if t in CORRECTIONS:
            last = k
        elif t in TURNS and any(p[-1] == t and k + 1 >= len(p) and tokens[k + 1 - len(p):k + 1]
                                == p for p in CONCLUSIONS):
            last = k
    return last


def portion(tokens: tuple[str, ...], i: int) -> bool:
    """Whether the one-word noun at i (not the last token) counts or holds what follows: "a
    group of meerkats", "a basket full of pomegranates", "a jar filled with honey", and a
    material before one ("a glass bowl of trifle"): rules.json quantifiers, filled_words,
    materials."""
    first, nxt = tokens[i], tokens[i + 1]
    if first in MATERIALS and nxt in QUANTIFIERS and i + 2 < len(tokens) and portion(
            tokens, i + 1):
        return True
    if first not in QUANTIFIERS:
        return False
    return nxt == "of" or (nxt in FILLED and i + 2 < len(tokens) and tokens[i + 2] in (
        "of", "with"))


def find_phrase(tokens: tuple[str, ...], phrases) -> tuple[str, ...] | None:
    """The first of the phrases (token tuples) that occurs in the answer, or None."""
    present = set(tokens)
    for p in phrases:
        if p[0] in present and all(w in present for w in p):
            if len(p) == 1 or any(tokens[i : i + len(p)] == p for i in range(len(tokens))):
                return p
    return None
