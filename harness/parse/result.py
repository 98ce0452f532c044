"""What the parser returns, and its JSON form (written once per distinct result, see stream.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from json.encoder import encode_basestring


def _str(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


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
        """`"wnid": ..., ..., "candidates": [...]`: the JSON object body after the id, exactly as
        json.dumps(to_dict(), ensure_ascii=False) writes it, at a fraction of its cost (one
        string encoder call per field; `harness parse` writes one per distinct result)."""
        return (f'"wnid": {_str(self.wnid)}, "synset": {_str(self.synset)}, "label": '
                f'{_str(self.label)}, "match": {_str(self.match)}, "candidates": ['
                f'{", ".join(map(_str, self.candidates))}]')


NOTHING = ParseResult(None, None, None, "none", [])
