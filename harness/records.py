"""Data contracts shared by every stage (see design.md): samples, run config, per-sample records.

Field names here are read by other tools and external checks; change them only with a schema bump.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from harness.tasks.sample import Sample, fingerprint  # noqa: F401  (moved there)

SCHEMA = 1
RECORD_FIELDS = ("id", "gold_wnid", "response", "pred_wnid", "pred_synset", "match", "correct",
                 "contains", "hier_score", "latency_s", "error")
METRICS = ("top1", "contains", "hierarchical", "unparsed_rate")
# Error kinds a resume does not retry: the input itself is bad, asking again cannot help.
PERMANENT_ERRORS = ("image:",)


@dataclass
class RunConfig:
    """Everything needed to reproduce or resume a run; written to run.json before any request."""

    task: str
    model: str
    model_id: str
    base_url: str | None
    prompt: str
    backend: str = "openai"
    label_space: str = "imagenet-1k"
    label_space_wnids: list[str] | None = None  # custom spaces travel with the run
    max_tokens: int = 64
    temperature: float = 0.0
    seed: int = 0
    limit: int | None = None
    concurrency: int = 32
    timeout_s: float = 120.0
    max_retries: int = 4
    retry_budget: int = 1000
    max_outage_s: float = 300.0
    cache: bool = True
    image_size: int | None = None
    data_dir: str | None = None
    data_fingerprint: str = ""
    n_samples: int = 0
    harness_version: str = ""
    created: str = ""
    managed_server: bool = False
    machine: str = ""

    def to_dict(self) -> dict:
        return {"schema": SCHEMA, **asdict(self)}

    @classmethod
    def from_dict(cls, d: dict) -> "RunConfig":
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def error_record(sample: Sample, error: str, response: str = "", latency: float = 0.0) -> dict:
    return {"id": sample.id, "gold_wnid": sample.gold_wnid, "response": response,
            "pred_wnid": None, "pred_synset": None, "match": "none", "correct": False,
            "contains": False, "hier_score": 0.0, "latency_s": round(latency, 4), "error": error}


def is_permanent(record: dict) -> bool:
    """Done for good: answered, or failed for a reason retrying cannot fix."""
    err = record.get("error")
    return err is None or str(err).startswith(PERMANENT_ERRORS)
