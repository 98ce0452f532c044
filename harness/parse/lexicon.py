"""Text normalisation and word forms for the answer parser, and its word lists by name.

The lists live in rules.json, each entry with its reason (see rules.py); they encode how VLM answers
are phrased: function words and image talk that are also WordNet noun lemmas ("a photo of", "a
group of"), connectors between alternatives, British spellings, the suffix rules that undo plurals
the way WordNet's morphy does, refusal cues and the cue words that tell living from made senses.
"""
from __future__ import annotations

import gzip
import json
import re
import unicodedata
from functools import lru_cache

from harness.parse.rules import entries, mapping, phrases, words
from harness.wordnet.graph import DATA, wordnet

MAX_NGRAM = 6
THINK_RE = re.compile(r"<think>.*?(</think>|$)", re.S | re.I)
FENCE_RE = re.compile(r"```[a-z]*\n?|```", re.I)
MARKUP_RE = re.compile(r"[*_#`>|]+")
BULLET_RE = re.compile(r"^\s*(?:[-+•]|\d+[.)])\s+", re.M)
TOKEN_RE = re.compile(r"[a-z0-9]+|[,/;]|(?<= )\.(?= )")  # "." only as normalise's sentence end
SENTENCE = "."  # the token between two sentences ("A beach. Lying on it is a starfish")
# A sentence ends at . ! or ? before a space and a capital (or a digit, quote, bracket or bold
# mark and then one), unless the word before the stop is an abbreviation or an initial
# ("St. Bernard", "e.g. A", "J. Smith"): group 1 is that word.
SENTENCE_RE = re.compile(r"(\w*)\s?[.!?]+[\"')\]*]*\s+(?=[\"'(\[*_]*[A-Z0-9])")
WORD_RE = re.compile(r"[a-z0-9]+")

STOP = words("stop") | {"."}  # function words, image talk, hedges, quantities, participles;
# "." is the SENTENCE token: a noun before it ends its phrase, as before any stop word
QUANTIFIERS = words("quantifiers")
CONNECTORS = words("connectors")
CORRECTIONS = words("corrections")
CONCLUSIONS = phrases("conclusion_phrases")
POINTING = phrases("pointing_phrases")
SUBJECT_PHRASES = phrases("subject_phrases")
FRAMING_PHRASES = phrases("framing_phrases")
SHOWING_PHRASES = phrases("showing_phrases")
SUBJECT_FILLERS = phrases("subject_fillers")
NEGATED_AUX = phrases("negated_auxiliaries")
FILLED = words("filled_words")
COORDINATORS = words("coordinators")
PREPOSITIONS = words("prepositions")
POSSESSIVES = words("possessives")
SETTING_WORDS = words("setting_words")
CENTRE_WORDS = words("centre_words")
PICTURE_WORDS = words("picture_words")
BACK_REFERENCES = words("back_references")
PERSON_PRONOUNS = words("person_pronouns")
PERSON_VERBS = words("person_verbs")
NEGATORS = words("negators")
CONTRACTION_STEMS = words("contraction_stems")
ARTICLES = words("articles")
COPULAS = words("copulas")
INVERSION_VERBS = words("inversion_verbs")
CLAUSE_OPENERS = words("clause_openers")
FRONTING_ADVERBS = words("fronting_adverbs")
DESCRIBING_WORDS = words("describing_words")
PARTICIPLE_OPENERS = words("participle_openers")
EVIDENCE_OPENERS = words("evidence_openers")
SUBJECT_WORDS = words("subject_words")
QUANTITIES = words("quantities")
MODALS = words("modals")
CONCESSIONS = words("concessions")
BRITISH = mapping("british")
BACKGROUND_ROOTS = tuple(mapping("background_roots"))
BACKGROUND = frozenset(BACKGROUND_ROOTS)
PERSON = next(w for w, name in mapping("background_roots").items() if name == "person")
PHYSICAL = next(iter(mapping("physical_root")))
BODY_PART = next(iter(mapping("body_part_root")))
SCENE = frozenset(mapping("scene_roots"))
BUILT = frozenset(mapping("built_roots"))
ORGANISM = next(iter(mapping("organism_root")))
ARTIFACT = next(iter(mapping("artifact_root")))
FOOD = frozenset(mapping("food_roots"))
SHAPE = frozenset(mapping("shape_roots"))
ANIMAL_CUES = words("animal_cues")
ARTIFACT_CUES = words("artifact_cues")
FOOD_CUES = words("food_cues")
EATING = words("eating_verbs")
HANDLING = words("handling_verbs")
PERSON_CUES = words("person_cues")
REFUSAL_CUES = phrases("refusal_cues")
REFUSAL_PHRASES = phrases("refusal_phrases")
VIEWER_PHRASES = phrases("viewer_phrases")
WORN = frozenset(mapping("worn_roots"))
WEARING = words("wearing_words")
DRESSED = words("dress_words")
NON_NOUN_ENDINGS = tuple(sorted(words("non_noun_endings")))
ALIASES = mapping("aliases")
ABBREVIATIONS = words("abbreviations")
FIRST_SENSE = words("first_sense")
MATERIALS = words("materials")
SUFFIXES = tuple(e for e, _ in entries("suffixes"))
JSON_KEYS = tuple(e for e, _ in entries("json_keys"))
PREFIX_RE = re.compile(r"^\s*(" + "|".join(e for e, _ in entries("answer_prefixes")) +
                       r")\s*[:\-]\s*", re.I)
# Chat-template residue a broken model or server leaves in its answer ("<|im_end|>", "</s>",
# "[INST]", "ASSISTANT: ASSISTANT:"): markup, not words of the answer.
SPECIAL_RE = re.compile(r"<\|[^|<>\s]{1,40}\|>|</?s>|\[/?inst\]|<image>", re.I)
ROLE_RE = re.compile(r"\b(?:" + "|".join(e for e, _ in entries("role_labels")) + r")\s*:", re.I)
# A fronted phrase, then a colon and the subject ("Stretched out across the sofa: a Great Dane",
# "Displayed in a glass case at the museum: a steel breastplate"): what follows concludes.
FRONT_COLON_RE = re.compile(r"^\s*((?:" + "|".join(sorted(CLAUSE_OPENERS)) +
                            r"|[a-z]{3,}(?:ed|ing))\b[^:.!?\n]{2,100}):[ \t]*(?=(?:a|an|the)\b)",
                            re.I)
# An answer prefix after a sentence ("... indicate a Malinois. Answer: Malinois."): the answer's
# conclusion, which replaces the nouns before it (rules.json conclusion_phrases: "final answer").
INNER_PREFIX_RE = re.compile(r"(?<=[.!?]) +(?:" + "|".join(
    e for e, _ in entries("answer_prefixes")) + r")\s*:", re.I)
# "Main object: a lace bonnet\nSetting: a porch": a line's key names a field, not the answer (one to
# three words at the line's start, none an article or copula: not "There is a cat: ..."; nor a
# conclusion, whose words are kept: "Final answer: dhole" after a list of options).
KEY_RE = re.compile(r"^[ \t]*(?!(?:[a-z]+ ){0,2}(?:a|an|the|is|are|this|it)\b|(?:"
                    + "|".join(" ".join(p) for p in CONCLUSIONS + POINTING) + r")[ \t]*:)"
                    r"[a-z]+(?:[ -][a-z]+){0,2}[ \t]*:(?=[ \t]*[a-z])", re.I | re.M)
# (not "cat: 0.8"; a key may be hyphenated: "Runner-up: Italian greyhound")
# A hyphenated adjective in -ed or -like holds no noun of the answer ("chocolate-glazed donut",
# "snow-capped mountains", "otter-like tail"): written as one word it matches no lemma on its own,
# and the class names spelt this way ("flat-coated retriever", CLIP's "frilled-necked lizard")
# have their hyphenless key in the tables.
HYPHEN_ADJ_RE = re.compile(r"\b([a-z]+)-(?!(?:bed|shed|sled)\b)([a-z]*[a-df-z]ed|like|"
                           + "|".join(sorted(words("hyphen_participles"))) + r")\b(?!-)")
# (not "high-speed", nor the nouns in -ed: "rose-bed", "tool-shed", "dog-sled", nor a longer
# hyphenated word: "bicycle-built-for-two")


def normalise(text: str) -> str:
    """Strip reasoning, fences, JSON wrappers, list bullets and answer prefixes; lowercase.
    Markdown markers ("**", "#") are removed only where they hide a bullet or a prefix: the
    tokenizer (TOKEN_RE) skips them anyway, and this runs once per answer."""
    if "<" in text:
        text = SPECIAL_RE.sub(" ", THINK_RE.sub(" ", text))
    elif "[" in text:
        text = SPECIAL_RE.sub(" ", text)
    if "`" in text:
        text = FENCE_RE.sub(" ", text)
    text = text.strip()
    if text.startswith("{"):
        try:
            obj = json.loads(text)
            if isinstance(obj, dict):
                for k in JSON_KEYS:
                    if isinstance(obj.get(k), str):
                        text = obj[k]
                        break
        except ValueError:
            pass
    if "\n" in text or ":" in text or "-" in text or text[:1] in "+•0123456789":
        text = MARKUP_RE.sub(" ", text)
        if ":" in text:
            text = INNER_PREFIX_RE.sub(" final answer ", ROLE_RE.sub(" ", text))
            text = FRONT_COLON_RE.sub(r"\1 final answer ", text)
            if "\n" in text:  # field lines, not "Error: could not process the image"
                text = KEY_RE.sub(" ; ", text)  # each field an alternative, not a compound
        if "\n" in text or text.lstrip()[:1] in "-+•0123456789":
            text = BULLET_RE.sub(" ; ", text)  # list items are alternatives
        text = PREFIX_RE.sub("", text.strip())
    if "." in text or "!" in text or "?" in text:
        text = SENTENCE_RE.sub(_sentence_end, text)
    text = text.lower()
    if "-" in text:
        text = HYPHEN_ADJ_RE.sub(_join, text)
    return text if text.isascii() else fold_accents(text).lower()


def tokenize(text: str) -> list[str]:
    """TOKEN_RE.findall(normalise(text)), fast for the commonest answers: ASCII words and spaces,
    with commas, full stops and apostrophes inside and an end mark ("The image shows a stove in
    a room.", "It's a cat, possibly a lynx."). normalise changes such a text only by strip() and
    lower() (no markup, JSON, bullet or prefix; one starting with a digit may be a list item and
    takes the slow path unless it is all words), and its tokens are its words and commas:
    split() gives them without the regular expression's per-call cost. Hyphens between words
    ("A close-up of a beetle") split words too, unless the answer starts with a prefix
    ("Answer - ...") or holds a hyphenated -ed/-like adjective, which normalise rewrites."""
    core = text.rstrip(". !?")
    if core.isascii():
        flat = core.replace(" ", "")
        if flat.isalnum():
            return core.lower().split()
        flat = flat.replace(",", "").replace(".", "").replace("'", "")
        if flat.isalnum() and not core[:1].isdigit():
            if ". " not in core:  # one sentence: the commonest answer, inline
                return core.lower().replace(",", " , ").replace(".", " ").replace("'", " ").split()
            return _plain(core)
        if "-" in flat and flat.replace("-", "").isalnum() and core[:1].isalpha():
            low = core.lower()  # "A close-up of ...": normalise would only drop an "Answer -"
            if not (HYPHEN_ADJ_RE.search(low) or PREFIX_RE.match(low)):  # or join a -ed word
                return _plain(core.replace("-", " "))
    return TOKEN_RE.findall(normalise(text))


def _plain(core: str) -> list[str]:
    """tokenize's fast path for plain answers of several sentences: words and commas, SENTENCE
    between sentences (SENTENCE_RE's test, without a call per match)."""
    parts = core.split(". ")
    joined = [parts[0]]
    for before, part in zip(parts, parts[1:]):
        nxt = part.lstrip(" '")[:1]
        if before[-1:] == " ":  # a full stop on its own: TOKEN_RE's SENTENCE
            joined.append(" \x00 ")
        elif nxt.isupper() or nxt.isdigit():
            last = before[before.rfind(" ") + 1:]
            if not last.isalpha():  # "e.g", "U.S", "dog's": SENTENCE_RE's word is the last part
                last = last.replace(".", " ").replace("'", " ").replace(",", " ").rsplit(
                    " ", 1)[-1]
            abbreviation = len(last) == 1 and last.isalpha() or last.lower() in ABBREVIATIONS
            joined.append(" " if abbreviation else " \x00 ")
        else:
            joined.append(" ")
        joined.append(part)
    return "".join(joined).lower().replace(",", " , ").replace(".", " ").replace(
        "'", " ").replace("\x00", SENTENCE).split()


def _sentence_end(m: re.Match) -> str:
    """Where SENTENCE_RE matched, the word before it and a SENTENCE token, unless that word is
    an abbreviation or a single letter (it keeps its stop, which the tokenizer drops)."""
    word = m[1]
    if len(word) == 1 and word.isalpha() or word.lower() in ABBREVIATIONS:
        return m[0]
    return f"{word} {SENTENCE} "


def _join(m: re.Match) -> str:
    return m[1] + m[2]  # a function: a template string is re-expanded in Python on every call


def fold_accents(text: str) -> str:
    """"consommé" -> "consomme", "crème brûlée" -> "creme brulee": WordNet's lemmas are ASCII
    (the tokenizer would split a word at an accented letter). Other scripts are kept."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def other_words() -> frozenset[str]:
    """Common English words of 5+ letters that WordNet lists as adjectives, verbs or adverbs,
    inflected (scripts/build_other_words.py): real words, which spelling correction leaves
    alone ("another" is not "panther", "certain" not "curtain"). Read on first use."""
    raw = (DATA / "wordnet_other_words.txt.gz").read_bytes()
    return frozenset(gzip.decompress(raw).decode("ascii").split())


@lru_cache(maxsize=100_000)
def variants(token: str) -> list[tuple[str, str]]:
    """Base forms of a word: (form, how). noun.exc first, then morphy-style suffix rules."""
    out = [(b, "inflection") for b in wordnet().exceptions.get(token, [])]
    if token in BRITISH:
        out.append((BRITISH[token], "inflection"))
    for suf, rep in SUFFIXES:
        if token.endswith(suf) and len(token) - len(suf) + len(rep) > 2:  # "buses": "bus"
            out.append((token[: -len(suf)] + rep, "inflection"))
    return out


def key(text: str) -> str:
    """Lookup key of a lemma or phrase: lowercase words joined by '_'."""
    return "_".join(WORD_RE.findall(text.lower()))


def deletes(word: str) -> set[str]:
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def stem(word: str) -> str:
    for suf in ("ing", "ed", "es", "s"):
        if word.endswith(suf) and len(word) > len(suf) + 2:
            return word[: -len(suf)]
    return word
