"""Which of an answer's nouns it is about: compounds joined, a fronted phrase skipped, then the
subject (or the predicate of "is a"), as rules the parser applies after finding the mentions."""
from __future__ import annotations

from harness.parse.lexicon import (ARTICLES, CLAUSE_OPENERS, COPULAS, INVERSION_VERBS,
                                   NEGATORS)
from harness.parse.senses import Mention, Senses
from harness.parse.trace import Trace


def compounds(senses: Senses, tokens: tuple[str, ...], mentions: list[Mention],
              trace: Trace | None) -> list[Mention]:
    """Adjacent nouns form one ("computer monitor", "Labrador puppy", "pinwheel toy"):
    keep the better-ranked; on a tie the head (last) unless the first is a hyponym of it.
    Materials ("rubber duck") and lemmas made of function words ("large white" butterfly,
    unless a kind of the next noun) are modifiers, and so is a living thing before a made
    one or the reverse ("a jaguar car" is a car)."""
    out: list[Mention] = []
    for m in mentions:
        prev = out[-1] if out else None
        if prev is not None and prev.end == m.start:
            kind_of_next = any(senses.wn.descendants_contains(prev.sense, s)
                               for s in m.word.senses)
            words = tokens[prev.end - prev.word.n : prev.end]  # the word, not the compound
            modifier, why = senses.modifier(prev, m, words, kind_of_next)
            keep_prev = not modifier and (prev.rank < m.rank or (prev.rank == m.rank and
                                                                 kind_of_next))
            if trace:
                trace.add("compound", why or "the better-ranked noun of two adjacent",
                               keep=" ".join(tokens[(prev if keep_prev else m).start:
                                                    (prev if keep_prev else m).end]))
            if not keep_prev:
                m.start = prev.start
                out[-1] = m
            continue
        out.append(m)
    return out

def fronted(tokens: tuple[str, ...], mentions: list[Mention],
            trace: Trace | None) -> tuple[list, bool]:
    """Drop the nouns of a sentence-initial prepositional or participle phrase ("Behind the
    sofa, a cat ...", "Sitting on a fence is a goldfinch"): it ends at the first comma, or
    at an inverted verb before an article ("On the table sits a teapot")."""
    first = tokens[0] if tokens else ""
    if not (first in CLAUSE_OPENERS or (first.endswith(("ing", "ed")) and len(first) > 4
                                         and mentions[0].start > 0)):
        return mentions, False
    commas = [k for k, t in enumerate(tokens) if t == ","]
    end = commas[0] if commas else None
    for k in commas[1:]:  # "On the counter, next to the toaster, there is a vase"
        if tokens[end + 1] not in CLAUSE_OPENERS:
            break
        end = k
    if end is None or not any(m.start > end for m in mentions):
        end = next((k for k in range(1, len(tokens) - 1) if tokens[k] in INVERSION_VERBS
                    and tokens[k + 1] in ARTICLES), None)
    rest = [m for m in mentions if end is not None and m.start > end]
    if not rest:
        return mentions, False
    if trace:
        trace.add("fronted", "clause_openers: a fronted phrase names the background",
                       skipped=" ".join(tokens[: end + 1]))
    return rest, True

def subject(senses: Senses, tokens: tuple[str, ...], mentions: list[Mention], lead: bool,
             negations: bool) -> int:
    """Index of the mention the answer is about: the first non-negated thing that is not
    scenery (rules.json scene_roots) nor a person (background_roots), moved
    on to the predicate of "is a"/"looks like a" if that names a class and the earlier noun
    does not, then to a later, more specific hyponym ("an animal, a golden retriever")."""
    if not negations:
        negated = None
        best = 0 if mentions[0].rank < 2 else _first_like(senses, tokens, mentions, lead)
    else:
        negated = [not NEGATORS.isdisjoint(tokens[max(0, m.start - 3):m.start])
                   for m in mentions]
        best = min(range(len(mentions)), key=lambda k: (negated[k], mentions[k].rank >= 2,
                                                        mentions[k].rank == 3))
    rank = mentions[best].rank
    if rank:
        for m in mentions[best + 1:]:
            if m.rank < rank:  # "Based on the coat, this looks like a Samoyed.": the
                best = _predicate(tokens, mentions, best, negated)  # predicate names it
                break
    anc, sense = senses.wn.ancestors, mentions[best].sense
    for k in range(best + 1, len(mentions)):
        if sense in anc(mentions[k].sense) and mentions[k].sense != sense:
            best, sense = k, mentions[k].sense
    return best

def _first_like(senses: Senses, tokens, mentions: list[Mention], lead: bool) -> int:
    """The first mention that can be the subject (after a fronted phrase, the next noun is);
    with only scenery, the first other noun, else the first (a person)."""
    like = senses.subject_like
    for k, m in enumerate(mentions):
        if m.rank < 2 or like(m, None if lead and k == 0 else tokens):
            return k
    return next((k for k, m in enumerate(mentions) if m.rank == 2), 0)

def _predicate(tokens, mentions: list[Mention], best: int, negated) -> int:
    """The first mention after "is a"/"looks like a", if it ranks better than best's."""
    cop = next((c for c in range(len(tokens) - 1) if tokens[c] in COPULAS and
                tokens[c + 1] in ARTICLES), len(tokens))
    k = next((k for k, m in enumerate(mentions) if m.start > cop), 0)
    if k > best and mentions[k].rank < mentions[best].rank and not (negated and negated[k]):
        return k
    return best
