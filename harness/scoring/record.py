"""The per-sample record: one line of samples.jsonl (field names are a data contract, design.md).

`error_kind` says why a sample has no usable answer, and so what a resume does with it:
- image: the input itself is bad (cannot be read or decoded): counted wrong, never retried, the
  run can still be complete;
- transport: no usable HTTP exchange (reset, timeout, server down) and
- server: the server answered with an error or with something that is not an answer;
  both are not a measurement: the run stays incomplete and `--resume` asks again;
- parse: the answer could not be read (reserved for parser failures).
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

RECORD_FIELDS = ("id", "gold_wnid", "response", "pred_wnid", "pred_synset", "match", "correct",
                 "contains", "hier_score", "latency_s", "error")
ERROR_KINDS = ("image", "transport", "server", "parse")
PERMANENT_KINDS = ("image",)
OPTIONAL = ("options", "top5", "finish_reason")  # written only when set


@dataclass(slots=True)
class SampleRecord:
    id: str
    gold_wnid: str
    response: str = ""
    pred_wnid: str | None = None
    pred_synset: str | None = None
    match: str = "none"
    correct: bool = False
    contains: bool = False
    hier_score: float = 0.0
    latency_s: float = 0.0
    error: str | None = None
    error_kind: str | None = None
    cached: bool = False
    image_sha256: str | None = None
    finish_reason: str | None = None
    options: list[str] | None = None  # multiple-choice prompts: the classes shown, in order
    top5: list[str] | None = None  # classifiers: best five classes of the label space
    extra: dict[str, Any] = field(default_factory=dict)  # unknown fields, kept on rewrite

    @classmethod
    def failure(cls, sample_id: str, gold: str, kind: str, error: str, response: str = "",
                latency: float = 0.0) -> "SampleRecord":
        assert kind in ERROR_KINDS, kind
        return cls(sample_id, gold, response=response, latency_s=round(latency, 4),
                   error=error, error_kind=kind)

    @property
    def permanent(self) -> bool:
        """Done for good: answered, or failed for a reason asking again cannot fix."""
        return self.error is None or self.error_kind in PERMANENT_KINDS

    @property
    def failed(self) -> bool:
        """No measurement: a transport or server failure that a resume retries."""
        return not self.permanent

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in _FIELDS:
            value = getattr(self, f)
            if f in OPTIONAL and value is None:
                continue
            out[f] = value
        out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SampleRecord":
        known = {k: d[k] for k in _FIELDS if k in d}
        rec = cls(**known, extra={k: v for k, v in d.items() if k not in _KNOWN})
        rec.id = str(rec.id)
        if rec.error is not None and rec.error_kind is None:  # written before error_kind
            rec.error_kind = "image" if str(rec.error).startswith("image:") else "transport"
        return rec


_FIELDS = tuple(f.name for f in fields(SampleRecord) if f.name != "extra")
_KNOWN = frozenset(_FIELDS)
