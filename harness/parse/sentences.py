"""Answers of several sentences: a first sentence that only sets the scene hands the subject on.

Long descriptions ("Describe the main object") often open with the setting and name the object
later: "The beach is wet at low tide, with shells in the sand. Lying in a puddle is an orange
starfish." Within one sentence the parser's subject rules hold (subject.py); across sentences:

- The first sentence *sets the scene* when its head (its first noun outside a prepositional
  phrase that is not a person) is scenery (rules.json scene_roots), or when it has no such noun
  at all ("The photo was taken on a highway shoulder at dusk."). A head that is a class, even a
  place, gives way only to a later participle phrase and its inverted subject ("The photograph
  shows a sunny beach ... . Running along the waterline is a dog"; not "A volcano with a plume
  of smoke. In the foreground there are a few boats").
- Then a later sentence that opens with a fronted phrase ("Lying on the couch is ...", "In the
  middle, ...", "At the base of a tree there is ...") names the subject: its first noun after
  that phrase, unless the phrase points back at something named before ("Next to it sits ...",
  "Behind her ...") or at the background ("In the background stands ...").
- Failing that, the first later sentence whose subject is a thing that ranks better than
  anything the scene holds names it ("The sea is choppy, with mountains on the horizon. An orca
  leaps ...": the mountains are in a prepositional phrase, and scenery).

A first sentence whose head is a thing ("A golden retriever lies on a rug. Beside it ...") keeps
it. Each sentence's nouns are read the way subject.py reads a whole answer.
"""
from __future__ import annotations

from harness.parse.lexicon import (ARTICLES, COORDINATORS, COPULAS, INVERSION_VERBS,
                                   POSSESSIVES, PREPOSITIONS, QUANTITIES, SENTENCE,
                                   SENTENCE_BACKREFS)
from harness.parse.senses import Mention, Senses
from harness.parse.subject import fronted, participle
from harness.parse.trace import Trace

NP_REACH = 6  # words back from a noun to the preposition that governs it ("on a big brown rug")
_BREAKS = COPULAS | INVERSION_VERBS | {",", ";", SENTENCE, "there"}
DETERMINERS = ARTICLES | POSSESSIVES
_OPENS = DETERMINERS | QUANTITIES | {SENTENCE, ","}  # what can come right before a noun phrase


def scene_first(senses: Senses, tokens: tuple[str, ...], mentions: list[Mention], best: int,
                trace: Trace | None) -> int:
    """Index in mentions of the subject for an answer of several sentences (best: the one the
    single-sentence rules chose); best itself unless the first sentence only sets the scene."""
    first_end = tokens.index(SENTENCE)
    if mentions[-1].start < first_end or mentions[best].start > first_end:
        return best  # nothing named later, or the rules already looked on
    first = [m for m in mentions if m.start < first_end]
    inside = embedded(senses, tokens, mentions)
    head = next((m for m in first if not inside[id(m)] and m.rank < 3), None)  # not a person
    if head is not None and not senses.scene(head.sense):
        return best  # a thing: "A golden retriever lies on a rug. Beside it ..."
    strict = head is not None and head.rank == 0  # a place that is a class ("A volcano ...")
    held = min((m.rank for m in first if not inside[id(m)] and _thing(senses, m)), default=3)
    for lo, hi in _sentences(tokens, first_end):
        got = _subject_of(senses, tokens, [m for m in mentions if lo <= m.start < hi], lo, hi,
                          inside, held, strict)
        if got is not None:
            if trace:
                trace.add("scene first", "scene_roots: the first sentence sets the scene; the "
                          "subject is named later", words=" ".join(tokens[got.start:got.end]))
            return mentions.index(got)
    return best


def person_first(senses: Senses, tokens: tuple[str, ...], mentions: list[Mention],
                 best: int, named: bool, trace: Trace | None) -> int:
    """0 when the answer's first noun is a person (or people, or a body part) and the rest of
    its sentence names no other thing, only scenery ("A man is standing at the edge of a cliff,
    looking out over the sea.", "A woman smiling at the camera."), or when a subject phrase
    named the person (named: "The focus of the photo is the bride ..."): the person is the
    subject, and the answer names no class. Anything else in the sentence, held, worn or sat
    on, is the subject as before ("A woman holding a sax", "A man sitting on a park bench"), and
    so is what the person wears right after them ("The subject is a woman in a kimono")."""
    head = mentions[0]
    if best == 0 or head.rank != 3 or not _opened(tokens, head.start):
        return best
    if named:
        if len(mentions) > 1 and tokens[head.end:head.end + 1] == ("in",) and senses.worn(
                mentions[1].sense) and mentions[1].start - head.end <= NP_REACH:
            return best
    else:
        stop = tokens.index(SENTENCE, head.end) if SENTENCE in tokens[head.end:] else len(tokens)
        if any(m.start < stop and m.rank < 3 and not senses.scene(m.sense)
               for m in mentions[1:]):
            return best
    if trace:
        trace.add("person", "background_roots, scene_roots: a person named as the subject, or "
                  "with only scenery around them", words=" ".join(tokens[head.start:head.end]))
    return 0


def _opened(tokens: tuple[str, ...], start: int) -> bool:
    """A noun phrase starts before the noun at start: the answer's start, or an article,
    possessive, count, comma or sentence end a few adjectives before it ("a little girl"); not
    a copula or verb ("It's tough to say": an adjective WordNet also lists as a person)."""
    for k in range(start - 1, max(-1, start - 1 - NP_REACH), -1):
        if tokens[k] in _OPENS:
            return True
        if tokens[k] in _BREAKS:
            return False
    return start < NP_REACH


def _sentences(tokens: tuple[str, ...], first_end: int):
    """(start, end) of each sentence after the first."""
    lo = first_end + 1
    while lo < len(tokens):
        hi = tokens.index(SENTENCE, lo) if SENTENCE in tokens[lo:] else len(tokens)
        yield lo, hi
        lo = hi + 1


def _subject_of(senses: Senses, tokens: tuple[str, ...], ms: list[Mention], lo: int, hi: int,
                inside: dict[int, bool], held: int, strict: bool) -> Mention | None:
    """The sentence's subject if it is a thing: its first thing after a fronted phrase (a phrase
    that points back or at the background names no new subject), else its first thing outside
    a prepositional phrase if that ranks better than `held`, the best rank among the things the
    scene holds ("a runway, a control tower and runway lights. A white airliner ..."; "a kitchen
    with a toaster. A cat ..." keeps the toaster). The noun after a fronted phrase may be a
    person ("Standing at the end of a dock is a woman ..."), named as the subject. strict (the
    scene is itself a class: "The photograph shows a sunny beach ..."): only a participle
    phrase and its inverted subject outweigh it ("Running along the waterline is a dog")."""
    if not ms:
        return None
    part = tokens[lo:hi]
    shifted = [_moved(m, -lo) for m in ms]
    rest, lead = fronted(part, shifted, None)
    if lead:
        cut = rest[0].start
        if not SENTENCE_BACKREFS.isdisjoint(part[:cut]) or strict and not participle(part[0]):
            return None
        if rest[0].rank == 3 and not (len(rest) > 1 and senses.worn(rest[1].sense)):
            return ms[shifted.index(rest[0])]  # a person, unless what they wear follows
        return next((ms[shifted.index(m)] for m in rest if _thing(senses, m)), None)
    if strict:
        return None
    return next((m for m in ms if not inside[id(m)] and m.rank < held and _thing(senses, m)),
                None)


def _thing(senses: Senses, m: Mention) -> bool:
    """Can be the subject: not scenery nor a person, and a noun the label space can score or a
    thing that heads its phrase (Senses.subject_like)."""
    return m.rank < 3 and not senses.scene(m.sense) and senses.subject_like(m, None)


def _moved(m: Mention, by: int) -> Mention:
    out = Mention(m.start + by, m.end + by, m.word)
    out.sense, out.rank, out.ambiguous, out.alts = m.sense, m.rank, m.ambiguous, m.alts
    return out


def embedded(senses: Senses, tokens: tuple[str, ...], mentions: list[Mention]) -> dict:
    """id(mention) -> whether it sits in a prepositional phrase ("on a big brown rug", "at floor
    level"): a preposition before its phrase (at its article or possessive, or within NP_REACH
    words of a bare noun, with no verb, comma or noun between). Through "of" the phrase's head
    decides ("at the edge of a cliff", "a cup of tea"); "of" itself never counts ("a photo of
    a cat"). "with" after scenery or a person brings what the scene holds or the person has ("a
    kitchen with a toaster", "a girl with a dog"), which is no prepositional phrase. A noun
    joined by "and" or "or" to the noun before it shares its phrase, and so does a list item
    after a comma ("with leaves, moss and ferns"), but not a noun that a verb or a phrase of
    its own follows ("..., a white yurt with a door stands alone")."""
    ends = {m.end: m for m in mentions}
    out: dict[int, bool] = {}
    for m in mentions:
        out[id(m)] = _in_phrase(senses, tokens, m, ends, out)
    return out


def _in_phrase(senses: Senses, tokens: tuple[str, ...], m: Mention, ends: dict,
               out: dict) -> bool:
    k, reach, opened = m.start - 1, m.start - 1 - NP_REACH, False
    while k > max(-1, reach):
        t = tokens[k]
        if t in DETERMINERS:  # the phrase starts here: what comes before it decides
            opened = True
        elif t == "of":
            before = ends.get(k)
            if before is not None:  # "a cup of tea": as the cup
                return out.get(id(before), False)
            opened = False  # "the edge of a cliff": the head, "edge", decides
        elif t in COORDINATORS:  # "... and a farmhouse", "leaves, moss"
            before = ends.get(k)
            return before is not None and out.get(id(before), False) and (
                t != "," or _listed(tokens, m))
        elif t in PREPOSITIONS:
            before = ends.get(k)
            return not (t == "with" and before is not None and (
                before.rank == 3 or senses.scene(before.sense)))
        elif opened or t in _BREAKS or ends.get(k + 1) is not None:
            return False  # a verb, a comma or a noun before the phrase
        k -= 1
    return False


def _listed(tokens: tuple[str, ...], m: Mention) -> bool:
    """The noun is a list item: the list goes on or the sentence ends after it."""
    return m.end == len(tokens) or tokens[m.end] in COORDINATORS or tokens[m.end] == SENTENCE
