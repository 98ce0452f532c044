"""Multiple-choice prompts: the options shown for a sample, and reading the answer back.

Options are the gold class plus k−1 distractors: the WordNet-nearest classes (deepest common
hypernym with the gold class: hard negatives) or random classes, shuffled with a per-sample seed
so a re-run, a resume or `harness score` sees exactly the same options. The answer is read as a
letter ("B", "(B)", "Answer: B.") or, failing that, parsed as a name.
"""
from __future__ import annotations

import random
import re
import string
from functools import lru_cache

from harness.parse.parser import ParseResult
from harness.wordnet.graph import LabelSpace, clip_names, wordnet
from harness.errors import PromptError

LETTER_RE = re.compile(r"^\W*(?:(?:the\s+)?(?:final\s+)?(?:answer|option|choice)(?:\s+is)?\s*[:\-]?"
                       r"\s*)?\(?([A-Z])\)?(?=$|[\s.:)\],])", re.I)


def options(gold: str, sample_id: str, space: LabelSpace, k: int, strategy: str,
            seed: int) -> list[str]:
    """k class wnids including the gold one, in the order they are shown."""
    rng = random.Random(f"{seed}:{sample_id}")
    others = [w for w in space.wnids if w != gold]
    k = max(2, min(k, len(space.wnids)))
    if strategy == "nearest":
        depth = _closeness(gold, space)
        rng.shuffle(others)  # random order among equally near classes
        others.sort(key=lambda w: -depth[w])
        picked = others[: k - 1]
    elif strategy == "random":
        picked = rng.sample(others, k - 1)
    else:
        raise PromptError(f"choices.distractors must be nearest or random, not {strategy!r}")
    shown = [gold, *picked]
    rng.shuffle(shown)
    return shown


@lru_cache(maxsize=4096)
def _closeness(gold: str, space: LabelSpace) -> dict[str, int]:
    """Depth of the deepest hypernym each class shares with `gold` (higher = nearer)."""
    wn = wordnet()
    return {w: wn.max_depth(wn.lca(gold, w)) for w in space.wnids}


def option_names(wnids: list[str], space: LabelSpace) -> list[dict]:
    """[{letter, name}] with CLIP names, falling back to the WordNet name where two clash."""
    names = [clip_names().get(w) or space.label(w) for w in wnids]
    names = [space.label(w) if names.count(n) > 1 else n for w, n in zip(wnids, names)]
    return [{"letter": string.ascii_uppercase[i], "name": n} for i, n in enumerate(names)]


def read_choice(text: str, shown: list[str], parser) -> ParseResult:
    """The option a multiple-choice answer picks: by letter, else by the class it names."""
    text = text or ""
    m = LETTER_RE.match(text)
    if m and m.group(1).isupper() and string.ascii_uppercase.index(m.group(1)) < len(shown):
        named = parser.parse(text[m.end():])
        if named.wnid in shown:  # "A goldfish." names option C: the name wins over the article
            return named
        w = shown[string.ascii_uppercase.index(m.group(1))]
        return ParseResult(w, w, parser.space.label(w), "choice", [w])
    return parser.parse(text)
