"""Load tests/data/parser_cases.tsv and check one case (shared by the test and the README figure)."""
from __future__ import annotations

from pathlib import Path

from harness.parse.parser import ParseResult
from harness.wordnet.graph import imagenet_classes, wordnet

CASES = Path(__file__).parent / "data" / "parser_cases.tsv"


def load_cases(path: Path = CASES) -> list[tuple[str, str, str | None]]:
    """(expected, answer text, expected match or None)."""
    out = []
    for line in path.read_text().splitlines():
        if line.startswith("#") or "\t" not in line:
            continue
        expected, text = line.split("\t", 1)
        expected, _, match = expected.partition("@")
        out.append((expected, text.replace("\\n", "\n"), match or None))
    return out


def resolve_class(ref: str) -> str:
    """A class wnid from a wnid, a unique first lemma, a unique lemma or a unique CLIP name."""
    classes = imagenet_classes()
    if ref.startswith("n") and ref[1:].isdigit():
        return ref
    for field in ("first", "lemma", "clip"):
        hits = {c["wnid"] for c in classes if
                (field == "first" and c["lemmas"][0].lower() == ref.lower()) or
                (field == "lemma" and ref.lower() in (x.lower() for x in c["lemmas"])) or
                (field == "clip" and c["clip_name"].lower() == ref.lower())}
        if len(hits) == 1:
            return hits.pop()
        if len(hits) > 1:
            raise ValueError(f"class reference {ref!r} is ambiguous: {sorted(hits)}")
    raise ValueError(f"class reference {ref!r} names no ImageNet class")


def check(expected: str, got: ParseResult, match: str | None) -> str | None:
    """None if the parse meets the expectation, else a short reason."""
    if expected == "none":
        ok = got.synset is None
    elif expected.startswith("~"):
        senses = {wordnet().wnids[i] for i in wordnet().lemmas.get(expected[1:].replace(" ", "_"),
                                                                    [])}
        ok = got.wnid is None and got.synset in senses
    else:
        ok = got.wnid in {resolve_class(r) for r in expected.split("|")}
    if ok and match and got.match != match:
        return f"match {got.match!r}, expected {match!r}"
    return None if ok else f"got wnid={got.wnid} synset={got.synset} ({got.label}, {got.match})"
