"""Which of an answer's nouns it is about: what a person wears settled, a fronted phrase skipped,
then the subject (or the predicate of "is a"), as rules the parser applies after finding the
mentions and joining compounds (compounds.py)."""
from __future__ import annotations

from harness.parse.compounds import NOT_BEFORE_CLAUSE
from harness.parse.lexicon import (ARTICLES, CLAUSE_OPENERS, CONCESSIONS, CONTRACTION_STEMS,
                                   COPULAS, DRESSED, EVIDENCE_OPENERS, FRONTING_ADVERBS,
                                   INVERSION_VERBS, MODALS, NEGATORS, PARTICIPLE_OPENERS,
                                   PREPOSITIONS, QUANTITIES, SENTENCE, SETTING_WORDS,
                                   SUBJECT_WORDS, WEARING, other_words)
from harness.parse.senses import Mention, Senses
from harness.parse.trace import Trace

PREDICATE_GAP = 4  # "is a", "is most likely a", "appears to be a"
WORD_NEGATORS = NEGATORS - {"t"}  # "t" negates only after a contraction stem
POINTING_PRONOUNS = SUBJECT_WORDS - {"i", "we", "there"}  # "it", "this", "these", "they" ...


def _comparison(tokens: tuple[str, ...], at: int) -> bool:
    """"like" after a verb of motion or state is a comparison ("drifting like a jellyfish"),
    after "looks"/"seems" a predicate ("looks like a lynx")."""
    before = tokens[at - 1] if at else ""
    return before.endswith(("ing", "ed")) and before not in ("looking", "seeming")


def worn(senses: Senses, tokens: tuple[str, ...], mentions: list[Mention],
         trace: Trace | None) -> list[Mention]:
    """What a person wears right after them ("a man in a blue helmet", "a girl in a white
    dress") is dropped when another thing follows: that thing, not the clothes, is what the
    answer shows ("... is riding a mountain bike", "... playing the violin"). Wearing decides
    senses too: the garment, not the book's jacket; the child, not the goat leather ("a kid in
    a helmet"), when the word's more frequent sense is a person."""
    dropped, last = set(), None
    for k in range(len(mentions) - 1, 0, -1):
        person, m = mentions[k - 1], mentions[k]
        if person.rank != 3 and person.word.wearer is None:
            continue
        link, gap = tokens[person.end], tokens[person.end:m.start]
        if link not in WEARING or "," in gap or not COPULAS.isdisjoint(gap):  # no noun between
            continue
        dressed = link in DRESSED  # "in", "wearing": what follows is worn; "with" may be held
        garment = m.sense if senses.worn(m.sense) else (
            senses.worn_sense(m.word) if dressed else None)
        if garment is None or (person.rank != 3 and not dressed):
            continue
        if trace and (person.rank != 3 or garment != m.sense):
            trace.add("worn", "dress_words, worn_roots: a person and what they wear",
                      person=person.word.wearer if person.rank != 3 else person.sense,
                      worn=garment)
        if person.rank != 3:
            person.sense, person.rank = person.word.wearer, 3
        if garment != m.sense:
            m.sense, m.rank = garment, senses.rank(garment)
        if last is None:  # the last thing neither a person nor worn nor scenery, once
            last = _last_thing(senses, tokens, mentions)
        if k < last:
            if trace:
                trace.add("worn", "worn_roots: what a person wears is their attribute",
                          skipped=" ".join(tokens[m.start:m.end]))
            dropped.add(k)
    return [m for k, m in enumerate(mentions) if k not in dropped] if dropped else mentions


def _last_thing(senses: Senses, tokens: tuple[str, ...], mentions: list[Mention]) -> int:
    """Index of the last mention that can be the subject beside a person (Senses.beside: "a
    man in a suit and tie holding a cup", "A man wearing a helmet. He rides a motorcycle."), or
    -1; scenery does not count ("a woman in a swimsuit on a beach"), nor what a later sentence
    places with a fronted phrase ("... wearing a flat cap. Behind him are a mailbox and ...")."""
    last, placed, k = -1, False, 0  # placed: in a later sentence opening with a fronted phrase
    for j, o in enumerate(mentions):
        while k < o.start:  # the tokens once, noting where each sentence starts
            if tokens[k] == SENTENCE:
                nxt = tokens[k + 1] if k + 1 < len(tokens) else ""
                placed = opens_fronted(nxt)
            k += 1
        if senses.beside(o) and not senses.worn(o.sense) and not placed:
            last = j
    return last


def fronted(tokens: tuple[str, ...], mentions: list[Mention],
            trace: Trace | None) -> tuple[list, bool]:
    """Drop the nouns of a sentence-initial prepositional or participle phrase ("Behind the
    sofa, a cat ...", "Sitting on a fence is a goldfinch"): it ends at the first comma, or
    at an inverted verb before an article ("On the table sits a teapot")."""
    first = tokens[0] if tokens else ""
    if first not in CLAUSE_OPENERS and not _participial(tokens, mentions) and not (
            first in FRONTING_ADVERBS and tokens[1:2] and tokens[1] in CLAUSE_OPENERS):
        return mentions, False  # "High on a ridge sits ..." opens with one too
    stop = tokens.index(SENTENCE) if SENTENCE in tokens else len(tokens)  # the first sentence's
    commas = [k for k in range(stop) if tokens[k] == ","]
    end = commas[0] if commas else None
    for k in commas[1:]:  # "On the counter, next to the toaster, there is a vase"
        if tokens[end + 1] not in CLAUSE_OPENERS and not _participle_phrase(tokens, end + 1):
            break
        end = k
    if first in EVIDENCE_OPENERS:  # "Based on the coat, broad head and tail, this is a ..."
        end = next((k for k in commas if k + 1 < len(tokens) and tokens[k + 1] in
                    SUBJECT_WORDS), end)
    elif end is not None:  # "At low tide a long sandbar emerges in ..., connecting ...": the
        end = _clause_at(tokens, mentions, end)  # phrase ends where a clause starts
    inverted = next((k for k in range(1, stop - 1) if tokens[k] in INVERSION_VERBS and (
        tokens[k + 1] in ARTICLES or tokens[k + 1] in QUANTITIES or tokens[k + 1].isdigit() or
        tokens[k - 1] == "there" or tokens[k + 1] == "what")),
        None)  # "Floating in the ocean is a plastic bag, drifting ...": before the comma;
    # "On the wall there is ivy": after "there", what follows is the subject, article or not
    if end is None or not any(m.start > end for m in mentions) or inverted is not None and (
            inverted < end or tokens[inverted - 1] == ","):  # "..., gravel paths, stands a"
        end = inverted
    rest = [m for m in mentions if end is not None and m.start > end]
    if not rest:
        return mentions, False
    if trace:
        trace.add("fronted", "clause_openers: a fronted phrase names the background",
                       skipped=" ".join(tokens[: end + 1]))
    return rest, True


def _clause_at(tokens: tuple[str, ...], mentions: list[Mention], end: int) -> int:
    """Where a fronted phrase running to the comma at end really ends: before an article that
    follows a word of the phrase (not a preposition, verb or participle: "Spanning the valley
    is") and opens a noun phrase whose noun a verb follows ("At low tide | a long sandbar
    emerges ..."), else end."""
    for m in mentions:
        if m.end >= end:
            break
        if m.start < 2 or not (tokens[m.end] in COPULAS or tokens[m.end].endswith("s") and (
                tokens[m.end] in other_words())):
            continue
        for k in range(m.start - 1, max(0, m.start - 4), -1):
            if tokens[k] in ARTICLES:
                before = tokens[k - 1]
                if before not in NOT_BEFORE_CLAUSE and not participle(before):
                    return k - 1
                break
    return end


def participle(word: str) -> bool:
    """A word that can be a participle: -ing or -ed (5+ letters), or rules.json
    participle_openers ("seen", "taken")."""
    return word.endswith(("ing", "ed")) and len(word) > 4 or word in PARTICIPLE_OPENERS


def opens_fronted(word: str) -> bool:
    """A sentence starting with this word opens with a fronted phrase: a clause opener
    ("Behind him ...") or a participle ("Standing in the square ...")."""
    return word in CLAUSE_OPENERS or participle(word)


def _participle_phrase(tokens: tuple[str, ...], k: int) -> bool:
    """A participle and its preposition start a phrase at k ("..., surrounded by petals, a
    finch"): not a participle before its noun ("..., sliced bread and butter")."""
    return participle(tokens[k]) and k + 1 < len(tokens) and tokens[k + 1] in PREPOSITIONS


def _participial(tokens: tuple[str, ...], mentions: list[Mention]) -> bool:
    """Whether the first word is a participle (-ing/-ed, rules.json participle_openers) opening
    a clause ("Perched on a branch, ...", "Filling most of the frame, ..."), not an adjective
    before its noun ("Sliced meatloaf with ...") nor the first word of a lemma ("Swimming pool,
    ...") nor a noun named first ("Moped, parked by a wall")."""
    word = tokens[0]  # participle(word), inline: this runs for most answers
    if not (word.endswith(("ing", "ed")) and len(word) > 4 or word in PARTICIPLE_OPENERS):
        return False
    first = mentions[0]
    return (first.start > 0 or first.end == 1 and tokens[1:2] != (",",)) and not any(
        m.start == 1 for m in mentions[:2])


def negator_at(tokens: tuple[str, ...], k: int) -> bool:
    """A negator, counting "t" only after a contraction stem ("isn't", not "T-shirt")."""
    t = tokens[k]
    return t in NEGATORS and (t != "t" or k > 0 and tokens[k - 1] in CONTRACTION_STEMS)


def has_negator(tokens: tuple[str, ...]) -> bool:
    """Whether the answer holds a negator (negator_at) anywhere."""
    if not WORD_NEGATORS.isdisjoint(tokens):
        return True
    return "t" in tokens and any(negator_at(tokens, k) for k, t in enumerate(tokens) if t == "t")


def is_negated(tokens: tuple[str, ...], m: Mention) -> bool:
    """A negator within three words before the mention ("not a dog", "no cat", "isn't a fox")."""
    return any(negator_at(tokens, k) for k in range(max(0, m.start - 3), m.start))


def denied(tokens: tuple[str, ...], m: Mention) -> bool:
    """The mention itself is denied: a negator right before it or before its article ("not a
    cat", "no dogs", "isn't a fox"); not a hedge or an interjection before it ("Not sure.
    Husky.", "No, a husky.", "no doubt a husky")."""
    k = m.start - 1
    if k >= 0 and tokens[k] in ARTICLES:
        k -= 1
    return k >= 0 and negator_at(tokens, k)


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
        negated = [is_negated(tokens, m) for m in mentions]
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
        if sense in anc(mentions[k].sense) and mentions[k].sense != sense and not (
                negated and negated[k]) and not _hedged_after_plain(tokens, mentions, best, k):
            best, sense = k, mentions[k].sense  # not "not a husky", nor "could also be a coyote"
    return best


def _hedged_after_plain(tokens, mentions: list[Mention], best: int, k: int) -> bool:
    """Mention k is a hedged alternative to a plain predicate at best ("it is probably a wolf,
    although it could also be a coyote"), not a refinement ("It is a dog. It could be a
    beagle.")."""
    return not CONCESSIONS.isdisjoint(tokens[mentions[best].end:mentions[k].start]) and (
        _predicate_kind(tokens, mentions, k) is True) and (
        _predicate_kind(tokens, mentions, best) is False)

def _first_like(senses: Senses, tokens, mentions: list[Mention], lead: bool) -> int:
    """The first mention that can be the subject (after a fronted phrase, the next noun is);
    with only scenery, the first other noun, else the first (a person)."""
    like = senses.subject_like
    for k, m in enumerate(mentions):
        if m.rank < 2 or like(m, None if lead and k == 0 else tokens):
            return k
    return next((k for k, m in enumerate(mentions) if m.rank == 2), 0)

def _predicate(tokens, mentions: list[Mention], best: int, negated) -> int:
    """A later mention named as a predicate that ranks better than best's: a copula within
    PREDICATE_GAP words before it, with no participle or preposition between ("It is a
    birdhouse", "they are crayfish", "this is most likely consommé"; not "is playing with a
    ball"). A plain one wins over a hedged one ("could be a husky ... it is a Malamute", "My
    best guess is an Australian Terrier, although it could also be a Yorkshire"), then the
    first; a hedged one never replaces a plain predicate at best ("It is probably a wolf,
    although it could also be a coyote")."""
    plain_best = _predicate_kind(tokens, mentions, best) is False
    found = []
    for k in range(best + 1, len(mentions)):
        hedged = _predicate_kind(tokens, mentions, k)
        if hedged is not None and not (hedged and plain_best) and (
                mentions[k].rank < mentions[best].rank) and not (negated and negated[k]):
            found.append((hedged, k))
    return min(found)[1] if found else best


def _inverted_at(tokens: tuple[str, ...], cop: int, reach: int = 12) -> bool:
    """The copula at cop follows a fronted phrase that opens a later sentence ("... . Behind
    him are a mailbox and a bicycle", "Standing in the square is an obelisk"): what follows is
    that sentence's subject (parse/sentences.py decides whether it is the answer's), no
    predicate naming the answer's subject. Looks back `reach` words at most (linear in long
    answers)."""
    for k in range(cop - 1, max(0, cop - reach) - 1, -1):
        if tokens[k] == SENTENCE:
            return k + 1 < cop and opens_fronted(tokens[k + 1]) and (
                tokens[cop - 1] == "there" or tokens[cop - 1] not in SUBJECT_WORDS)
            # "In the distance there is a valley", not "Given the coat, it is a ..."
    return False


def _predicate_kind(tokens, mentions: list[Mention], k: int) -> bool | None:
    """None if mention k is not a predicate, else whether it is hedged ("could be a ...")."""
    m = mentions[k]
    lo = max(mentions[k - 1].end if k else 0, m.start - PREDICATE_GAP)
    gap = tokens[lo:m.start]
    cop = next((c for c, t in enumerate(gap) if t in COPULAS and not (
        t == "like" and _comparison(tokens, lo + c))), None)
    if cop is None or any(t.endswith("ing") or t in CLAUSE_OPENERS for t in gap[cop + 1:]) or (
            lo + cop and tokens[lo + cop - 1] in SETTING_WORDS) or _inverted_at(tokens, lo + cop):
        return None  # "The background is a yard", "Behind him is a red mailbox"
    return not MODALS.isdisjoint(tokens[max(0, lo + cop - 2):lo + cop])


def named_by_pronoun(tokens: tuple[str, ...], mentions: list[Mention], k: int) -> bool:
    """Mention k is what a pronoun is said to be ("It's a rooster.", "These are most likely
    mongooses.", "this is most likely a pelican"): the answer naming its subject outright."""
    m = mentions[k]
    lo = max(mentions[k - 1].end if k else 0, m.start - PREDICATE_GAP)
    cop = next((c for c in range(lo, m.start) if tokens[c] in COPULAS and tokens[c] != "like"),
               None)
    if cop is None:
        return False
    before = tokens[cop - 2] if cop > 1 else ""
    return cop > 0 and tokens[cop - 1] in POINTING_PRONOUNS and not (
        before in PREPOSITIONS or before == "of" or participle(before)) and (
        # not "Next to it are leaflets", "Following it is a tractor", "Opposite it is a cab"
        _predicate_kind(tokens, mentions, k) is not None)
