"""Answers of several sentences, and answers about people: which sentence names the subject.

Long descriptions ("Describe the main object") often open with the setting and name the object
later: "The beach is wet at low tide, with shells in the sand. Lying in a puddle is an orange
starfish." Within one sentence the rules of subject.py hold; across sentences (scene_first):

- The first sentence that names anything decides. Its head is its first noun outside a
  prepositional phrase (embedded: "on a big brown rug", "at floor level"), not a kind of picture
  ("a wildlife photograph").
- A head that is a person or a thing keeps the subject ("A golden retriever lies on a rug. Beside
  it ..."), unless a later sentence puts a better-ranked thing after a fronted phrase ("... a
  wooden table. Lying on top of the pages is a violin") or at the centre of the picture after a
  list ("There's a table, a lamp and books. In the center, though, is an hourglass").
- A head that is scenery (rules.json scene_roots), or no head ("The photo was taken on a highway
  at dusk."), hands the subject on: to a later fronted or inverted phrase ("Lying on the couch is
  a French bulldog"; not one about the setting, "In the distance is a castle"), else to a later
  sentence's first thing if it outranks what the scene held. A scene that is a class ("A
  volcano with a plume of smoke.") gives way only to a participle phrase ("Running along the
  waterline is a dog"), and a first sentence that is a label ("A seashore.") to nothing.
- Pronouns in a later fronted phrase point back (rules.json back_references, person_pronouns):
  "Next to it are a few leaflets" leaves the envelope its subject.

A later "It's a rooster." names the subject (named_later), and a person with only natural
scenery around them is the subject, naming no class (person_first).
"""
from __future__ import annotations

from harness.parse.lexicon import (ARTICLES, BACK_REFERENCES, CENTRE_WORDS, COORDINATORS,
                                   COPULAS, EVIDENCE_OPENERS, INVERSION_VERBS, PERSON,
                                   PERSON_PRONOUNS, PERSON_VERBS, PICTURE_WORDS, POSSESSIVES,
                                   PREPOSITIONS, QUANTITIES, SENTENCE, SETTING_WORDS)
from harness.parse.senses import Mention, Senses
from harness.parse.subject import fronted, is_negated, named_by_pronoun, participle, subject
from harness.parse.trace import Trace

NP_REACH = 6  # words back from a noun to the preposition that governs it ("on a big brown rug")
LONG_FRONT = 8  # a fronted phrase ending at a comma with more words than this holds a clause
FRAGMENT = 5  # words of a first sentence that labels the scene ("Inside a church.", "At a geyser.")
_BREAKS = COPULAS | INVERSION_VERBS | {",", ";", SENTENCE, "there"}
DETERMINERS = ARTICLES | POSSESSIVES
_OPENS = DETERMINERS | QUANTITIES | {SENTENCE, ","}  # what can come right before a noun phrase
_VERB_OR_PREP = COPULAS | INVERSION_VERBS | PREPOSITIONS | {SENTENCE}
_PICTURE = {(w,) for w in PICTURE_WORDS}


def beyond_one(senses: Senses, tokens: tuple[str, ...], mentions: list[Mention], best: int,
               flags: tuple[str | None, bool], trace: Trace | None) -> int:
    """The subject once other sentences and people are weighed (best: the single-sentence
    rules' choice; flags: the turn phrases.unusual found, whether the answer negates): a
    later sentence after a scene (scene_first, then refined by the same rules: "... is a
    bird ... it's a robin"), a later "It's a ..." (named_later), a person with only scenery
    (person_first)."""
    turn, negations = flags
    if SENTENCE in tokens:
        later = None if turn else scene_first(senses, tokens, mentions, trace)  # not after
        # "The main subject is ...", "Final answer: ..."
        if later is not None and later != best:
            best = later if mentions[later].rank == 3 else later + subject(
                senses, tokens, mentions[later:], True, negations)
        if mentions[best].rank < 3:
            best = named_later(senses, tokens, mentions, best, trace)
    if mentions[0].rank == 3 and not turn:  # a person first: what they wear, hold or play
        best = person_object(senses, tokens, mentions, best, trace)
    if mentions[0].rank == 3 and best:  # a person first, and a thing chosen
        best = person_first(senses, tokens, mentions, best, turn == "named", trace)
    return best


def person_object(senses: Senses, tokens: tuple[str, ...], mentions: list[Mention], best: int,
                  trace: Trace | None) -> int:
    """The first class a person named first wears, holds, plays or uses (rules.json
    person_verbs: "A street performer stands on a square. He is playing a red accordion", "a
    man sits on a stool strumming a guitar"), unless best is one already; else best.
    ("wears a pale blue poke bonnet": WordNet's "pale" is a picket, no class.)"""
    inside = embedded(senses, tokens, mentions)  # a thing heading the verb: "a coffee table
    things = {m.end for m in mentions if m.rank < 3 and not inside[id(m)]}  # holding a laptop",
    # not "sits on a stool strumming a guitar"
    if mentions[best].rank == 0 and _object_of_person(tokens, mentions[best].start, things):
        return best
    for k in range(1, len(mentions)):
        m = mentions[k]
        if m.rank == 0 and k != best and _object_of_person(tokens, m.start, things) and not (
                is_negated(tokens, m)):
            if trace:
                trace.add("person", "person_verbs: what the person wears, holds or plays",
                          words=" ".join(tokens[m.start:m.end]))
            return k
    return best


def _object_of_person(tokens: tuple[str, ...], start: int, things: set[int]) -> bool:
    """A verb of wearing, holding or playing governs the noun at start ("playing a red piano
    accordion", "holding up a shirt"): within NP_REACH words, no break nor preposition between,
    and no thing right before the verb (things: where they end; "a table holding a laptop")."""
    for k in range(start - 1, max(-1, start - 1 - NP_REACH), -1):
        t = tokens[k]
        if t in PERSON_VERBS:
            return k not in things
        if t in _BREAKS or t in PREPOSITIONS or t == "of":
            return False
    return False


def scene_first(senses: Senses, tokens: tuple[str, ...], mentions: list[Mention],
                trace: Trace | None) -> int | None:
    """Index in mentions of the subject a later sentence of the answer names, when the first
    sentence that names anything only sets the scene or a later one puts a thing at the centre
    of the picture; else None (the single-sentence rules' choice stands)."""
    start = mentions[0].start  # "Hello! Happy to help. There's a grassy field, ...": from here
    first_end = tokens.index(SENTENCE, start) if SENTENCE in tokens[start:] else len(tokens)
    if mentions[-1].start < first_end:
        return None  # one sentence names everything
    first = [m for m in mentions if m.start < first_end]
    inside = embedded(senses, tokens, mentions)
    head = next((m for m in first if not inside[id(m)] and (m.rank < 3 or _person(
        tokens, m)) and tokens[m.end:m.end + 1] not in _PICTURE), None)  # a person too, if it
    # heads a phrase (not "of dry grass"); not a kind of picture ("a wildlife photograph")
    k = start
    while k and tokens[k - 1] != SENTENCE:  # where the first sentence starts
        k -= 1
    opener = tokens[k + 1] if tokens[k] in ARTICLES and k + 1 < len(tokens) else tokens[k]
    thing = head is not None and not senses.scene(head.sense) and opener not in SETTING_WORDS and (
        not _fills_background(tokens, head.end))  # a thing, not a sentence about the setting:
    # "The background is a blur of leaves, ...", "The bark of a pine fills the background"
    if thing and head.rank == 3:  # "A surfer riding a big wave ...": the person's answer
        return None
    held = min((m.rank for m in first if not inside[id(m)] and _thing(senses, m)), default=3)
    strict = not thing and head is not None and head.rank == 0  # a class: "A volcano with"
    fragment = first_end - k <= FRAGMENT  # a label: "A seashore.", "Inside a church."
    if (strict or thing) and fragment:
        return None  # the answer, said as a label: "A seashore. Running along it is a dog."
    if fragment and not thing and any(m.rank == 0 for m in first):
        held = 0  # a fragment naming a class: a plain later subject is no better ("Inside a
        # church. Rows of pews face the altar.")
    beat = head.rank if thing else 3  # what a later fronted phrase's subject must outrank
    j, plain = len(first), None
    for lo, hi in _sentences(tokens, first_end):
        ms = []
        while j < len(mentions) and mentions[j].start < hi:  # each mention once: linear
            ms.append(mentions[j])
            j += 1
        got, fronted_ = _subject_of(senses, tokens, ms, lo, hi, inside, (
            held, beat, strict, thing, len(first) > 2))
        if got is None or plain is not None and not (fronted_ and got.rank <= plain.rank and (
                BACK_REFERENCES.isdisjoint(tokens[lo:got.start]))):
            continue  # a later fronted phrase outranks a sentence's first thing, unless it
        plain = got  # points back to it ("Next to it is ..."): "... A picnic table sits near
        if fronted_:  # a fire pit. Parked on the pad is an RV"
            break
    if plain is not None and trace:
        trace.add("scene first", "scene_roots, centre_words: the first sentence sets the scene, "
                  "or a later one puts its subject at the centre",
                  words=" ".join(tokens[plain.start:plain.end]))
    return None if plain is None else mentions.index(plain)


def named_later(senses: Senses, tokens: tuple[str, ...], mentions: list[Mention],
                best: int, trace: Trace | None) -> int:
    """The last mention of a later sentence that a pronoun is said to be ("The picture shows a
    farmyard with a red barn. ... It's a rooster."), when it ranks no worse than best and is no
    hypernym of it ("A tabby. It is a cat." keeps the tabby); else best."""
    chosen, m = best, mentions[best]
    later = tokens.index(SENTENCE, m.end) if SENTENCE in tokens[m.end:] else len(tokens)
    anc = senses.wn.ancestors(m.sense)
    for k in range(best + 1, len(mentions)):
        o = mentions[k]
        if o.start > later and o.rank <= m.rank and o.sense not in anc and (
                o.sense != m.sense) and named_by_pronoun(tokens, mentions, k) and not (
                is_negated(tokens, o)):
            chosen = k
    if trace and chosen != best:
        trace.add("named", "subject_words: a later sentence says what it is (\"It's a ...\")",
                  words=" ".join(tokens[mentions[chosen].start:mentions[chosen].end]))
    return chosen


def person_first(senses: Senses, tokens: tuple[str, ...], mentions: list[Mention],
                 best: int, named: bool, trace: Trace | None) -> int:
    """0 when the answer's first noun is a person (or people, or a body part) and the answer
    names nothing else a picture could be about, only natural scenery ("A man is standing at
    the edge of a cliff, looking out over the sea.", "A woman smiling at the camera.";
    Senses.beside), or, when a subject phrase named the person (named: "The subject is a
    little girl asleep on a beanbag"), no class nor hypernym of one ("a woman on a horse" is the
    horse): the person is the
    subject, and the answer names no class. Anything else held, worn, ridden or sat on stays
    the subject, in any sentence ("A woman. She holds an umbrella.", "A man sitting on a stone
    wall", "The focus of the image is a man on a unicycle")."""
    head = mentions[0]
    if best == 0 or head.rank != 3 or not _opened(tokens, head.start) or tokens[
            head.end:head.end + 1] == ("s",):  # not a possessor: "a child's tricycle"
        return best
    if any(senses.beside(m) and (m.rank < 2 or not named) for m in mentions[1:]):
        return best  # "... a man on a unicycle", "The focus is a man. He plays a saxophone."
    if trace:
        trace.add("person", "background_roots, built_roots: a person with only natural "
                  "scenery around them, or named as the subject", words=" ".join(
                      tokens[head.start:head.end]))
    return 0


def _fills_background(tokens: tuple[str, ...], end: int) -> bool:
    """After the noun ending at end, a verb and "the background" (one word may come between,
    and an "of" phrase before the verb: "The rough bark of a pine tree fills the whole
    background"): the noun is the setting."""
    k = end
    if tokens[k:k + 1] == ("of",):  # "of a pine tree": on to the word after its noun
        k = next((j for j in range(k + 2, min(len(tokens), k + NP_REACH)) if tokens[j] not in
                  DETERMINERS and tokens[j - 1] not in DETERMINERS and tokens[j + 1:j + 2] == (
                      "the",)), k)
    rest = tokens[k + 1:k + 5]
    return rest[:1] == ("the",) and not SETTING_WORDS.isdisjoint(rest[1:3])


def _person(tokens: tuple[str, ...], m: Mention) -> bool:
    """A person noun heading its phrase: one starts there (_opened) and a verb, a participle
    or a preposition follows ("A surfer riding a wave", "A man on a bench"), not an adjective,
    a noun or a comma ("a dry, golden grassland", "dry yellow grass": WordNet's "dry" is also
    a prohibitionist)."""
    nxt = tokens[m.end] if m.end < len(tokens) else ""
    return _opened(tokens, m.start) and (not nxt or nxt in _VERB_OR_PREP or nxt.endswith(
        ("ing", "ed", "s")))


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
    """(start, end) of each sentence after the first: one pass over the tokens."""
    lo = first_end + 1
    for k in range(lo, len(tokens) + 1):
        if k == len(tokens) or tokens[k] == SENTENCE:
            if k > lo:
                yield lo, k
            lo = k + 1


def _subject_of(senses: Senses, tokens: tuple[str, ...], ms: list[Mention], lo: int, hi: int,
                inside: dict[int, bool], bar: tuple) -> tuple[Mention | None, bool]:
    """(subject, fronted): the subject a later sentence names, or None, and whether a fronted
    phrase named it (which outranks an earlier sentence's plain first thing); bar = (held, beat,
    strict, thing, listed), from the first sentence. A fronted phrase that puts it at the centre
    of the picture names it after a scene, after a list of things ("There's a table, a lamp and
    books. In the center, though, is an hourglass"; not "A pizza. In the center is an olive",
    nor "At its center is a dome") or in a participle phrase ("Drifting in the middle is a
    nautilus"). Otherwise a fronted phrase names it ("Lying on the couch is a French bulldog",
    "In the middle, two zebras ..."; not one about the setting: "In the background stands ...")
    when it outranks `beat` (the first sentence's head, when that is a thing: "... a wooden
    table. Lying on top of the pages is a violin"; any rank after a scene), even a person
    ("Standing on a dock is a woman ...") or, after a verb of position, scenery ("Standing alone
    is an old oak tree"); strict (the scene is itself a class: "The photograph shows a sunny
    beach ..."), only a participle phrase does ("Running along the waterline is a dog"). Failing
    that, after a scene, the sentence's first thing outside a prepositional phrase if it ranks
    better than `held`, the best rank among the things the scene holds ("a runway, a control
    tower and runway lights. A white airliner ..."; "a kitchen with a toaster. A cat ..." keeps
    the toaster)."""
    if not ms:
        return None, False
    held, beat, strict, thing, listed = bar
    part = tokens[lo:hi]
    shifted = [_moved(m, -lo) for m in ms]
    rest, lead = fronted(part, shifted, None)
    if not lead and participle(part[0]):  # "Standing upright on its hind legs ... is a meerkat"
        rest, lead = _inverted(part, shifted)
    if lead:
        cut, first = rest[0].start, ms[shifted.index(rest[0])]
        inverted = not INVERSION_VERBS.isdisjoint(part[:cut])  # "Floating above ... is the"
        if part[0] in EVIDENCE_OPENERS or cut > LONG_FRONT and not inverted:
            return None, True  # evidence ("Based on the mane, ..."), or a clause before the comma
        back = not BACK_REFERENCES.isdisjoint(part[:cut])  # "At its center", "in front of it"
        if not CENTRE_WORDS.isdisjoint(part[:cut]) and rest[0] is shifted[0] and (
                not (thing or strict) or not back and (participle(part[0]) or listed)) and (
                part[rest[0].end:rest[0].end + 1] != ("s",)) and rest[0].rank < 3:
            return first, True  # nothing but the centre before it: "In the middle of the frame"
        pointing = BACK_REFERENCES if thing or strict else PERSON_PRONOUNS  # after a scene
        if not SETTING_WORDS.isdisjoint(part[:cut]) or strict and (  # that is no class, "it"
                not participle(part[0]) or rest[0].rank == 3) or (  # is the scene
                not pointing.isdisjoint(part[:cut]) and (thing or strict or first.rank >= held)):
            return None, True  # "Next to it are a few leaflets", "Behind him are a fountain, ..."
        if PERSON in senses.wn.ancestors(rest[0].sense) and not thing:  # or what they wear
            worn = len(rest) > 1 and senses.worn(rest[1].sense)
            return (ms[shifted.index(rest[1])] if worn else first), True
        if _thing(senses, rest[0]) or inverted:
            return (first if first.rank < beat and (first.rank < 2 or not strict) else None
                    ), True
        got = next((m for m in rest if _thing(senses, m)), None)
        return (ms[shifted.index(got)] if got is not None and got.rank < beat and (
            got.rank < 2 or not strict) else None), True  # after a class scene, an animal or
        # a class
    if strict or thing:
        return None, False
    return next((m for m in ms if not inside[id(m)] and m.rank < held and _thing(senses, m)),
                None), False


def _inverted(part: tuple[str, ...], ms: list[Mention]) -> tuple[list[Mention], bool]:
    """The mentions after a verb of position and its article, if the sentence has one (a
    participle phrase fronted without a comma, which subject.fronted does not take when its
    second word is a noun: "Standing upright ... is a meerkat")."""
    k = next((k for k in range(1, len(part) - 1) if part[k] in INVERSION_VERBS and (
        part[k + 1] in ARTICLES or part[k + 1] in QUANTITIES)), None)
    rest = [m for m in ms if k is not None and m.start > k]
    return (rest, True) if rest else (ms, False)


def _thing(senses: Senses, m: Mention) -> bool:
    """Can be the subject: a noun the label space can score, even a place ("a mobile home"),
    or a thing that heads its phrase (Senses.subject_like) and is not scenery nor a person."""
    return m.rank == 0 or m.rank < 3 and not senses.scene(m.sense) and senses.subject_like(
        m, None)


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
        elif t in COORDINATORS:  # "... and a farmhouse", "leaves, moss", "gulls overhead and"
            before = ends.get(k) or ends.get(k - 1)
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
