"""What the parser returns, and its JSON form (written once per distinct result, see stream.py)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

MATCHES = ("exact", "lemma", "inflection", "fuzzy", "hypernym", "ambiguous", "refusal", "none")


@dataclass(slots=True)
class ParseResult:
    """What an answer names: the class in the label space, the most specific synset, and how.
    `match` is one of MATCHES; "refusal" (a refusal, apology or non-answer) and "none" (nothing
    parsed) have no synset."""

    wnid: str | None
    synset: str | None
    label: str | None
    match: str
    candidates: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The `harness parse` fields (design.md), without dataclasses.asdict's deep copy."""
        return {"wnid": self.wnid, "synset": self.synset, "label": self.label,
                "match": self.match, "candidates": list(self.candidates)}

    def json_fields(self) -> str:
        """`"wnid": ..., ..., "candidates": [...]`: the JSON object body after the id."""
        return json.dumps(self.to_dict(), ensure_ascii=False)[1:-1]


NOTHING = ParseResult(None, None, None, "none", [])
