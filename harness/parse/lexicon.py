"""Word lists and text normalisation for the answer parser (kept apart so parse.py stays short).

The lists encode how VLM answers are phrased: function words and image talk that are also WordNet
noun lemmas ("a photo of", "a group of"), connectors between alternatives, British spellings,
and the suffix rules that undo plurals the way WordNet's morphy does.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache

from harness.wordnet.graph import wordnet

MAX_NGRAM = 6
THINK_RE = re.compile(r"<think>.*?(</think>|$)", re.S | re.I)
FENCE_RE = re.compile(r"```[a-z]*\n?|```", re.I)
PREFIX_RE = re.compile(r"^\s*(final answer|answer|prediction|label|class|object|category)\s*[:\-]\s*",
                       re.I)
MARKUP_RE = re.compile(r"[*_#`>|]+")
BULLET_RE = re.compile(r"^\s*(?:[-+•]|\d+[.)])\s+", re.M)
TOKEN_RE = re.compile(r"[a-z0-9]+|[,/;]")
WORD_RE = re.compile(r"[a-z0-9]+")
JSON_KEYS = ("label", "answer", "class", "object", "name", "category", "prediction")

# Words that are WordNet noun lemmas but, in an answer, are function words, image talk, hedges,
# quantifiers ("a photo of", "a group of") or participles ("a bat hanging upside down"): they
# never name the object (multi-word lemmas holding them still match: "sleeping bag").
STOP = frozenset("""
a an the this that these those it its it's is are was were be been being am i me my you your we
our they their he she his her him them there here what which who whom whose where when why how
of in on at by for with without from to into onto over under above below near next behind beside
between among around through across along against up down out off about as than then so such
and or but nor either neither both not no yes none only also just very quite really maybe perhaps
possibly probably likely seems seem appears appear looks look like can could may might will would
shall should must do does did done have has had having get gets got show shows showing shown
depict depicts depicting depicted feature features featuring contain contains containing see seen
displays displayed captures captured presents portrays illustrates highlights includes including
showcases consists consisting
photo photograph picture image pic shot snapshot view scene closeup close frame background
foreground front side top bottom left right center centre middle corner part edge surface
object thing item something anything nothing stuff kind type sort variety species breed form
one ones two three some any many much few several lot lots group pair couple set bunch piece
pieces number variety bit sample example instance case answer label class category name
color colour colored coloured white black red blue green yellow brown grey gray orange pink purple
large small big little tiny huge long short tall old young new good great close-up sure unsure
unclear unknown uncertain determine tell identify identified recognize say said think guess
well oh ok okay hmm sorry unable cannot can't don't main subject focus primary prominent
enough don t know isn doesn didn aren wasn couldn wouldn ve ll re m s d
clear blur blurry possible impossible sharp dark
sitting standing lying hanging running flying swimming walking eating playing holding wearing
resting sleeping looking grazing floating crawling jumping climbing perched parked hiding feeding
drinking riding carrying leaning posing waiting smiling growing blooming
""".split())
QUANTIFIERS = frozenset("group pair couple set bunch piece slice head herd flock school pack swarm "
                        "collection pile stack row line bowl plate cup glass bottle box bag "
                        "close-up closeup photo picture image view kind type sort variety breed "
                        "species".split())
CONNECTORS = frozenset("or and a an the either possibly perhaps maybe probably likely also "
                       "even rather specifically , / ;".split())
CORRECTIONS = frozenset(["actually", "correction"])
COORDINATORS = frozenset("or and , / ;".split())
BRITISH = {"colour": "color", "grey": "gray", "aluminium": "aluminum", "tyre": "tire",
           "aeroplane": "airplane", "jewellery": "jewelry", "moustache": "mustache",
           "pyjamas": "pajamas", "plough": "plow", "doughnut": "donut", "cheque": "check",
           "storey": "story", "kerb": "curb", "sulphur": "sulfur", "mould": "mold"}
# People and body parts are in most photos but are (almost) never ImageNet's label: an answer's
# subject is the first other noun unless the person is itself a class (scuba diver, groom).
BACKGROUND_ROOTS = ("n00007846", "n05220461", "n07942152", "n07950920")  # person, body part,
# people, multitude
BACKGROUND = frozenset(BACKGROUND_ROOTS)
NEGATORS = frozenset("not no t never neither nor without".split())
NON_NOUN_ENDINGS = ("ed", "ing", "ly", "ful", "ish", "est")
# Everyday names whose usual meaning in a photo is not WordNet's first sense, or that WordNet
# lacks or files under a synset outside the ImageNet class users mean. Any noun synset may be
# named; the alias is the word's first sense.
ALIASES = {
    "computer monitor": "n03782006", "computer screen": "n03782006", "pc monitor": "n03782006",
    "lcd monitor": "n03782006",  # monitor (class), not the CRT screen
    "smartphone": "n02992529", "smart phone": "n02992529", "iphone": "n02992529",
    "mobile": "n02992529",  # cellular telephone
    "tv": "n04404412", "tv set": "n04404412", "flat screen tv": "n04404412",  # television class
    "cassette tape": "n02978881", "audio cassette": "n02978881",  # cassette (class)
    "ice cream cone": "n07614500",  # ice cream (class); plurals come from the inflection rules
    "plane": "n02691156",  # airplane before the carpenter's plane
    "tub": "n02808440",  # bathtub before the vat
    "van": "n04520170",  # the truck, before the camper and the vanguard
    "serpent": "n01726692", "spud": "n07710616",
    "grill": "n03459591",  # the barbecue grill, before the grillroom (restaurant)
    "soda": "n07927512",  # the soft drink, before sodium carbonate
    "motorcycle helmet": "n03127747", "motorbike helmet": "n03127747",  # crash helmet (class)
    "slot machine": "n04243546",  # the one-armed bandit (class), before any coin machine
}
# Words whose WordNet first (most frequent) sense is what a photo answer means, although a rarer
# sense falls under a class: "grapes" are not grapeshot (a projectile), "a bat" is not a squash
# racket, "wind" is not a wind instrument.
FIRST_SENSE = frozenset("bat grape sausage wood string wind spot shell cell globe engine".split())
# Materials that are also class names ("rubber" eraser, "brass" plaque, "wool", "velvet",
# "iron"): before another noun they say what it is made of ("a rubber duck", "a wool sweater").
MATERIALS = frozenset("rubber brass wool velvet iron steel silk leather plastic metal wood stone "
                      "paper cotton denim".split())
SUFFIXES = (("ies", "y"), ("ves", "f"), ("ves", "fe"), ("ches", "ch"), ("shes", "sh"),
            ("xes", "x"), ("ses", "s"), ("zes", "z"), ("men", "man"), ("es", "e"), ("s", ""),
            ("our", "or"), ("ise", "ize"), ("tre", "ter"))


def normalise(text: str) -> str:
    """Strip reasoning, fences, JSON wrappers, list bullets and answer prefixes; lowercase.
    Markdown markers ("**", "#") are removed only where they hide a bullet or a prefix: the
    tokenizer (TOKEN_RE) skips them anyway, and this runs once per answer."""
    if "<" in text:
        text = THINK_RE.sub(" ", text)
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
        if "\n" in text or text.lstrip()[:1] in "-+•0123456789":
            text = BULLET_RE.sub(" ", text)
        text = PREFIX_RE.sub("", text.strip())
    return text.lower()


@lru_cache(maxsize=100_000)
def variants(token: str) -> list[tuple[str, str]]:
    """Base forms of a word: (form, how). noun.exc first, then morphy-style suffix rules."""
    out = [(b, "inflection") for b in wordnet().exceptions.get(token, [])]
    if token in BRITISH:
        out.append((BRITISH[token], "inflection"))
    for suf, rep in SUFFIXES:
        if token.endswith(suf) and len(token) > len(suf) + 2:
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
