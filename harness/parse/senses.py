"""Sense choice for the answer parser: which WordNet synset a found lemma means in this answer.

Made once per lemma key (Word), then per mention from the answer's context: cue words of living
and made things (rules.json animal_cues / artifact_cues) and each sense's gloss and hypernym
words first, then, between classes sharing the word, the words of each class's gloss and
hypernyms. The label space's preference never overrides context that points elsewhere;
when a class sense competes with a more frequent sense of the other kind and nothing decides, the
mention is `ambiguous` and lists both.
"""
from __future__ import annotations

from harness.parse.lemmas import Lemmas, relevant
from harness.parse.lexicon import (ANIMAL_CUES, ARTICLES, ARTIFACT, ARTIFACT_CUES, BACKGROUND,
                                   BODY_PART, POSSESSIVES,
                                   EATING, FIRST_SENSE, FOOD, FOOD_CUES,
                                   HANDLING, MATERIALS, ORGANISM, PERSON, PERSON_CUES, PHYSICAL,
                                   BUILT, SCENE, SHAPE, STOP, WORD_RE, WORN, other_words, stem)
from harness.parse.lexicon import key as lemma_key
from harness.wordnet.graph import LabelSpace, wordnet

KINDS = ("living", "made", "food")
CUE_TABLES = (("animal_cues", ANIMAL_CUES), ("artifact_cues", ARTIFACT_CUES),
              ("food_cues", FOOD_CUES), ("person_cues", PERSON_CUES))
ALL_CUES = ANIMAL_CUES | ARTIFACT_CUES | FOOD_CUES | PERSON_CUES
PEOPLE_CUES = ANIMAL_CUES | PERSON_CUES  # a living sense that is a person ("a pitcher")
_BODY = frozenset((BODY_PART,))
_NOT_OWNERS = frozenset("it that there what he she who this here".split())  # "it's", not "dog's"
CUE_WINDOW = 5  # words either side of a mention that can decide living vs made
CONTEXT_WINDOW = 40  # words either side used for class glosses (keeps 1 MB answers linear)


class Word:
    """A lemma found at some window of tokens, with its default sense chosen once per key.
    living/made/food: the sense it would have as a living or a made thing or food (None if it
    has none); conflict: it has two of these, so the answer's cue words decide; rival: the more
    frequent WordNet sense of the other kind (living or made) than the default, or None; multi:
    its relevant senses fall under 2+ classes (gloss words decide); contextual: conflict or
    multi; cue_only: a food conflict only cue words can decide; wearer: a more frequent sense
    that is a person, taken when the word wears something ("a kid in a helmet"), for a word
    whose default is no class (a boxer in a Santa hat stays the dog)."""

    __slots__ = ("n", "senses", "how", "key", "relevant", "multi", "sense", "rank", "living",
                 "made", "food", "person", "conflict", "rival", "rule", "contextual", "cue_only",
                 "wearer")

    def __init__(self, n: int, how: str, base: Word | None = None) -> None:
        self.n, self.how = n, how
        if base is not None:
            for name in Word.__slots__[1:]:
                if name != "how":
                    setattr(self, name, getattr(base, name))


class Mention:
    """One occurrence of a word in an answer; sense and rank may differ from the word's default
    when the context disambiguates it."""

    __slots__ = ("start", "end", "word", "sense", "rank", "ambiguous", "alts")

    def __init__(self, start: int, end: int, word: Word) -> None:
        # one store per statement: ~25% faster than tuple assignment (one per noun found)
        self.start = start
        self.end = end
        self.word = word
        self.sense = word.sense
        self.rank = word.rank
        self.ambiguous = False
        self.alts = ()


class Senses:
    def __init__(self, space: LabelSpace, lemmas: Lemmas) -> None:
        self.space, self.lemmas, self.wn = space, lemmas, wordnet()
        self._bases: dict[str, Word | None] = {}  # lemma key -> default sense (None: abstract)
        self._words: dict[tuple, Word | None] = {}  # (key, n, how) -> Word (they are immutable)
        self._ranks: dict[str, int] = {}
        self._about: dict[str, tuple] = {}
        self._kinds: dict[str, frozenset[str]] = {}  # sense -> _kind_words(sense)
        self._scenes: dict[str, bool] = {}  # sense -> scene(sense)

    def relevant(self, synset: str) -> bool:
        return relevant(self.space, synset)

    def physical(self, synset: str) -> bool:
        return PHYSICAL in self.wn.ancestors(synset)

    def subject_like(self, m, tokens: tuple[str, ...] | None) -> bool:
        """Can be what the answer is about: a noun the label space can score, or another thing
        that heads its phrase (the answer ends, or a function word or participle follows, but
        not "of": "a red rose in a vase", "a mouse eating cheese", "a deer stands alone", a verb
        in -s WordNet lists (lexicon.other_words); not "a cone of ice cream",
        "an empty wooden chair"), is not scenery ("a kitchen with a toaster": rules.json
        scene_roots) and is not mostly a word for people ("kids", "a man": WordNet's first
        sense is a person)."""
        if m.rank < 2:
            return True
        nxt = "" if tokens is None or m.end >= len(tokens) else tokens[m.end]  # None: any
        return m.rank == 2 and (not nxt or nxt in STOP and nxt != "of" or nxt.endswith(
            ("ing", "ed")) or nxt.endswith("s") and nxt in other_words()) and not (
            self.background(m.word.senses[0])) and not self.scene(m.sense)  # "a deer stands"

    def beside(self, m: Mention) -> bool:
        """Whether the mention can be what a picture is about beside a person: no person, and
        no scenery unless a class that is built (rules.json built_roots: "a man sitting on a
        stone wall", "a man in front of a church"; not "a man standing on a beach")."""
        return m.rank < 3 and (not self.scene(m.sense) or m.rank == 0 and self._under(
            BUILT, m.sense))

    def scene(self, synset: str) -> bool:
        """A place or scenery (rules.json scene_roots): a photo's setting. Memoised: the
        sentence rules ask it of every noun of a long answer."""
        got = self._scenes.get(synset)
        if got is None:
            got = self._scenes[synset] = self._under(SCENE, synset)
        return got

    def _under(self, roots: frozenset[str], synset: str) -> bool:
        """The synset is one of the roots or below one."""
        return synset in roots or not roots.isdisjoint(self.wn.ancestors(synset))

    def kind(self, synset: str) -> str | None:
        anc = self.wn.ancestors(synset)
        return ("living" if ORGANISM in anc else "made" if ARTIFACT in anc else
                "food" if not FOOD.isdisjoint(anc) else None)

    def word(self, n: int, senses, how: str, key: str) -> Word | None:
        """The lemma's default sense, or None if it names no physical thing: none of its senses
        is physical, or its most frequent sense is abstract and no sense is one the label space
        can score (a rare physical sense of an abstract word is not what an answer means)."""
        got = self._words.get((key, n, how), self)
        if got is self:
            base = self._bases.get(key, self)
            if base is self:
                base = self._bases[key] = self._base(senses, key)
            got = self._words[key, n, how] = None if base is None else Word(n, how, base)
        return got

    def _base(self, senses, key: str) -> Word | None:
        """An alias or a FIRST_SENSE word's first sense; else among physical senses relevant to
        the label space, those the word is the main name of first ("turtle" the reptile before
        the turtleneck), then WordNet frequency order; a CLIP class name whose sense is a
        hypernym of that class alone means the class. Abstract senses are never chosen."""
        phys = [s for s in dict.fromkeys(senses) if self.physical(s) or self.relevant(s)]
        if phys and phys[0] != senses[0] and key not in self.lemmas.aliases and not any(
                map(self.relevant, phys)):
            phys = self._shaped(senses[0], phys)
        if not phys:
            return None  # "no idea", "help" (not the assistant), "pattern" (not the design)
        w = Word(0, "lemma")
        w.senses, w.key = tuple(phys), key
        alias = phys[0] if key in FIRST_SENSE else self.lemmas.aliases.get(key)
        w.rule = "first_sense" if key in FIRST_SENSE else "aliases" if alias else "sense order"
        w.relevant = sorted((s for s in phys if self.relevant(s)),
                            key=lambda s: (s != alias, lemma_key(self.wn.name(s)) != key))
        if alias is None and w.relevant and not any(
                self.physical(s) or self.space.classes_for(s) for s in w.relevant) and any(
                map(self.physical, phys)):
            w.relevant = []  # "an open book": the volume, not the written work above "comic book"
        w.multi = alias is None and len(
            {c for s in w.relevant for c in self.space.classes_for(s)}) >= 2
        w.sense = alias or (w.relevant[0] if w.relevant else self._plain(phys, key))
        clip = self.lemmas.clip_keys.get(key)
        if clip and self.rank(w.sense) == 1 and self._classes_below(w.sense) == [clip]:
            w.sense, w.rule = clip, "CLIP name"  # "tent", "couch": the one class below
        w.rank = self.rank(w.sense)
        w.living, w.made, w.food = (self._preferred(phys, w.relevant, k) for k in KINDS)
        w.person = self._person_first(phys, w.sense) if alias is None else None
        w.wearer = None if w.rank < 2 or w.rank == 3 or w.sense not in phys else next(
            (s for s in phys[:phys.index(w.sense)] if PERSON in self.wn.ancestors(s)), None)
        w.conflict = alias is None and sum(k is not None for k in (
            w.living, w.made, w.food, w.person)) > 1
        own = self.kind(w.sense)
        if w.conflict and own is not None and getattr(w, own) is not None:
            setattr(w, own, w.sense)  # context that says "living" keeps the living default
        other = w.made if own == "living" else w.living if own == "made" else None
        w.rival = other if (w.conflict and other is not None and w.sense in phys and phys.index(
            other) < phys.index(w.sense) and self.rank(w.sense) == 0 and not self.relevant(
            other)) else None
        # food conflicts are decided by cue words alone: nothing to do in an answer without any
        w.cue_only = w.conflict and w.food is not None and w.rival is None and not w.multi
        w.contextual = (w.conflict and not w.cue_only) or w.multi  # in_context has work to do
        return w

    def _plain(self, phys: list[str], key: str) -> str:
        """The sense of a word the label space cannot score: a physical one that is not a person
        or body part ("a cardinal" on a branch is the bird; rules.json first_sense keeps "a man"
        a person), the word's own name first; abstract senses never (phys holds a physical one
        whenever this is asked)."""
        return min((s for s in phys if self.physical(s)), key=lambda s: (
            self.background(s), lemma_key(self.wn.name(s)) != key))

    def _shaped(self, first: str, phys: list[str]) -> list[str]:
        """When the most frequent sense is a shape (rules.json shape_roots), the made things and
        food of that shape ("doughnut" the pastry, not the ring); else nothing."""
        if SHAPE.isdisjoint(self.wn.ancestors(first)):
            return []
        return [s for s in phys if self.kind(s) in ("made", "food")]

    def _person_first(self, phys: list[str], sense: str) -> str | None:
        """A person sense more frequent than the class the word defaults to ("a boxer" throwing
        a punch is the fighter, not the dog; "a pitcher" on the mound the player): person cue
        words decide, and without them the class stays."""
        if sense not in phys or not self.space.classes_for(sense) or self.background(sense):
            return None
        return next((s for s in phys[:phys.index(sense)] if self.background(s)), None)

    def _preferred(self, phys: list[str], rel: list[str], kind: str) -> str | None:
        mine = [s for s in phys if self.kind(s) == kind and not self.background(s)]
        return next((s for s in rel if s in mine), mine[0] if mine else None)

    def prefer_singular(self, keys: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """"oxen" is a lemma of cattle and the plural of ox: the more specific singular wins. A
        plural whose own lemma names only people ("hooks", "Scopes", "Banks") means its singular
        when that names something else ("a hooks near a window": hooks). Of "-se" and "-s" for
        "-ses", the word with more WordNet senses ("crosses": cross, not the lacrosse crosse)."""
        token, lookup = keys[0][0], self.lemmas.lookup
        exact, bases = lookup.get(token), self.wn.exceptions.get(token, ())
        people = exact is not None and all(self.rank(e) == 3 for e in exact)
        if token.endswith("ses"):  # "crosses": cross, not the crosse; "vases": vase, not vas
            two = list(dict.fromkeys(k for k in keys[1:] if k[0] in (token[:-1], token[:-2])
                                     and lookup.get(k[0])))
            if len({k[0] for k in two}) == 2:
                best = max(two, key=lambda k: len(lookup[k[0]]))  # its physical senses
                keys = [keys[0], best] + [x for x in keys[1:] if x != best]
        for k in keys[1:]:
            if k[0] in bases and exact and any(b != e and self.wn.descendants_contains(b, e)
                                               for b in lookup.get(k[0], ()) for e in exact) or (
                    people and any(self.rank(b) < 3 for b in lookup.get(k[0], ()))):
                return [k] + [x for x in keys if x != k]
        return keys

    def modifier(self, prev, m, words, kind_of_next: bool) -> tuple[bool, str]:
        """Whether the first of two adjacent nouns only modifies the second, and why."""
        if prev.word.n == 1 and words[0] in MATERIALS:
            return True, "materials: a material before a noun says what it is made of"
        if not kind_of_next and STOP.issuperset(words):
            return True, "a lemma of function words modifies the next noun"
        kinds = {self.kind(prev.sense), self.kind(m.sense)}
        if not kind_of_next and prev.word.n == 1 and kinds == {"living", "made"} and (
                m.rank <= 1 or all(self.kind(s) == "made" for s in m.word.senses)):
            return True, "a living thing before a made one (or the reverse) is a modifier"
        return False, ""

    def owned(self, tokens, mentions, trace) -> None:
        """After a possessive ("his chest", "her red nails", "the dog's ears"; up to two words
        between), a word whose most frequent sense is a body part (rules.json body_part_root)
        means it: not the chest, the nail or the ear of corn the label space would prefer."""
        for m in mentions:
            first = m.word.senses[0]
            if first == m.sense or not self._under(_BODY, first) or not any(
                    tokens[k] in POSSESSIVES or tokens[k] == "s" and k and tokens[k - 1] not in (
                        _NOT_OWNERS) for k in range(max(0, m.start - 3), m.start)):
                continue
            m.sense, m.rank, m.ambiguous, m.alts = first, self.rank(first), False, ()
            if trace:
                trace.add("context", "body_part_root: after a possessive, a body part",
                          words=" ".join(tokens[m.start:m.end]), synset=first,
                          name=self.wn.name(first))

    def needs_context(self, tokens, mentions) -> bool:
        """Whether in_context has anything to decide in this answer (most have nothing)."""
        cue_only = False
        for m in mentions:
            if m.word.contextual:
                return True
            cue_only = cue_only or m.word.cue_only
        return cue_only and not ALL_CUES.isdisjoint(tokens)  # once: linear in the answer

    def in_context(self, tokens, mentions, trace) -> None:
        """Per mention: living vs made by cue words; classes sharing the word by gloss words."""
        stems = inside = None
        cued = not ALL_CUES.isdisjoint(tokens)  # else food against a plant or animal ties
        for m in mentions:
            w, decided = m.word, False
            if w.conflict:
                won = None
                if cued or w.food is None:
                    if inside is None:  # modifier words of the answer's nouns, once per answer
                        inside = {k for o in mentions for k in range(o.start, o.end - 1)}
                    won = self._by_cues(m, tokens, inside)
                if won:
                    m.sense, table, cues, near = won
                    decided, m.rank = True, self.rank(m.sense)
                    if trace:
                        kind = self._kind_words(m.sense)
                        trace.add("context", table + " and the sense's gloss and hypernym words",
                                  words=" ".join(tokens[m.start:m.end]),
                                  cues=[t for t in near if t in cues or stem(t) in kind],
                                  synset=m.sense, name=self.wn.name(m.sense))
                elif w.rival is not None:
                    m.ambiguous, m.alts = True, (w.rival,)
                    if trace:
                        trace.add("context", "no cue decides between a class and a more "
                                  "frequent sense of another kind: ambiguous",
                                  words=" ".join(tokens[m.start:m.end]), senses=[m.sense, w.rival])
            if w.multi and not decided:
                if stems is None:  # context words, stemmed once per answer
                    stems = [stem(t) if t not in STOP and len(t) > 2 else "" for t in tokens]
                self._disambiguate(m, stems, trace)

    def _by_cues(self, m, tokens, inside: set[int]):
        """(sense, cue table, cues, words near) of the kind whose cue words (rules.json) and, for
        living vs made, gloss and hypernym words occur most near the mention; None on a tie.
        Food against a plant or an animal is decided by cue words alone (a plant's hypernyms,
        "grass", are a photo's scenery), and so is a person sense (rules.json person_cues)."""
        w = m.word
        glosses = w.food is None
        window = (*range(max(0, m.start - CUE_WINDOW), m.start),
                  *range(m.end, min(len(tokens), m.end + CUE_WINDOW)))
        near = [tokens[k] for k in window if k not in inside]  # cue words, but not the
        # modifiers of another noun ("sleeping bag" is no sleeping animal)
        stems = {stem(tokens[k]) for k in window if tokens[k] not in STOP and len(
            tokens[k]) > 2} if glosses else set()
        tables = CUE_TABLES if w.living is None or PERSON not in self.wn.ancestors(
            w.living) else ((("animal_cues, person_cues", PEOPLE_CUES),) + CUE_TABLES[1:])
        before = tokens[max(0, m.start - CUE_WINDOW):m.start]
        eaten = 0 if glosses or EATING.isdisjoint(before) else sum(t in EATING for t in before)
        # "a girl eating a banana": the banana is eaten (food), where "a mouse eating cheese"
        # is the eater
        handled = 0 if HANDLING.isdisjoint(before) else sum(
            t in HANDLING and nxt in ARTICLES for t, nxt in zip(before, before[1:]))
        # "flying a kite": the toy; not "a flying beetle", "a hawk flying overhead"
        scores = []
        for kind, sense, (table, cues) in zip(KINDS + ("person",),
                                              (w.living, w.made, w.food, w.person), tables):
            if sense is None:
                continue
            score = 0 if cues.isdisjoint(near) else sum(t in cues for t in near)
            if glosses and kind in ("living", "made"):
                score += len(stems & self._kind_words(sense))
            score += eaten if kind == "food" else -eaten if kind == "living" else 0
            score += handled if kind == "made" else 0
            scores.append((score, sense, table, cues))
        scores.sort(key=lambda x: -x[0])  # stable: on equal scores, living, made, food, person
        if scores[0][0] == scores[1][0]:
            return None
        return (*scores[0][1:], near)

    def _kind_words(self, synset: str) -> frozenset[str]:
        """Stemmed words of a sense's gloss (classes) and hypernym names below the top levels:
        "bird of prey" next to "kite" points to the bird."""
        got = self._kinds.get(synset)
        if got is None:
            words = set(self.lemmas.glosses.get(synset, ()))
            for a in self.wn.ancestors(synset):
                if self.wn.depth(a) >= 4:
                    words.update(stem(x) for x in WORD_RE.findall(self.wn.name(a).lower())
                                 if x not in STOP and len(x) > 2)
            got = self._kinds[synset] = frozenset(words)
        return got

    def _disambiguate(self, m, stems: list[str], trace) -> None:
        """A word shared by several classes: the sense whose class gloss and hypernyms share
        most words with the rest of the answer wins, then a sense that is itself a class; a
        remaining tie is `ambiguous`."""
        rel = m.word.relevant
        classes = {s: self.space.classes_for(s) for s in rel}
        context = set(stems[max(0, m.start - CONTEXT_WINDOW): m.start])
        context.update(stems[m.end: m.end + CONTEXT_WINDOW])
        context.discard("")
        scores = [(len(context & self._sense_words(s)), s in self.space.index, -k, s)
                  for k, s in enumerate(rel) if classes[s]]
        best = max(scores)
        tied = {c for sc in scores if sc[:2] == best[:2] for c in classes[sc[3]]}
        m.sense, m.ambiguous = best[3], m.ambiguous or len(tied) > 1
        m.rank = self.rank(m.sense)
        if trace:
            trace.add("context", "class glosses: most shared words with the answer"
                      + (" (tie: ambiguous)" if len(tied) > 1 else ""), synset=m.sense,
                      name=self.wn.name(m.sense))

    def _sense_words(self, synset: str) -> frozenset[str] | set[str]:
        words: set[str] = set()
        for c in self.space.classes_for(synset) or (synset,):
            words |= self.lemmas.glosses.get(c) or {stem(w) for w in WORD_RE.findall(
                self.wn.name(c).lower())}
        return words

    def worn(self, synset: str) -> bool:
        """Clothing, headwear or a helmet (rules.json worn_roots)."""
        return self._under(WORN, synset)

    def worn_sense(self, word: Word) -> str | None:
        """The word's first sense that is worn ("jacket" the garment), if any."""
        return next((s for s in word.senses if self.worn(s)), None)

    def background(self, synset: str) -> bool:
        return not self.space.classes_for(synset) and self._under(BACKGROUND, synset)

    def rank(self, synset: str) -> int:
        """0: a class or under one; 1: a hypernym of classes; 2: other nouns; 3: people and
        body parts, in most photos but (almost) never the label (rules.json background_roots)."""
        r = self._ranks.get(synset)
        if r is None:
            r = self._ranks[synset] = (0 if self.space.classes_for(synset) else
                                       3 if self.background(synset) else
                                       1 if self.space.is_ancestor_of_class(synset) else 2)
        return r

    def _classes_below(self, synset: str) -> list[str]:
        return [c for c in self.space.wnids if self.wn.descendants_contains(c, synset)]

    def describe(self, sense: str) -> tuple[tuple[str, ...], str | None, str]:
        """(classes the sense falls under, the first of them, human label), cached per sense."""
        about = self._about.get(sense)
        if about is None:
            classes = self.space.classes_for(sense)
            wnid = classes[0] if classes else None
            label = self.space.label(wnid) if wnid else self.wn.name(sense)
            about = self._about[sense] = classes, wnid, label
        return about
