"""Per-sample records -> results.json: metrics with 95% intervals and honest counts.

Errored samples count as wrong (the model gave no usable answer) and are in n. A run is complete
only when every selected sample has a record and none of them is a transport/server failure
(those are not a measurement; `--resume` retries them). Ambiguous answers are counted wrong
(see harness/scoring/score.py) and counted here so the table can show them.
"""
from __future__ import annotations

from typing import Any

from harness.manifest import SCHEMA, RunManifest
from harness.resources import version
from harness.scoring.record import SampleRecord
from harness.scoring.stats import bootstrap_mean, proportion


def metrics(records: list[SampleRecord], kind: str = "generate") -> dict[str, dict]:
    """top1 and hierarchical for everything; Zhang et al.'s `contains` and the unparsed rate for
    free-text answers; top-5 for classifiers (where `contains` would only measure name
    overlaps)."""
    out = {"top1": proportion([r.correct for r in records])}
    if kind == "classify":
        out["top5"] = proportion([bool(r.top5) and r.gold_wnid in r.top5 for r in records])
    else:
        out["contains"] = proportion([r.contains for r in records])
    out["hierarchical"] = bootstrap_mean([float(r.hier_score or 0.0) for r in records])
    if kind != "classify":
        ok = [r for r in records if r.error is None]
        out["unparsed_rate"] = proportion([r.pred_synset is None for r in ok])
    return out


def counts(records: list[SampleRecord]) -> dict[str, int]:
    return {
        "n": len(records),
        "n_errors": sum(r.error is not None for r in records),
        "n_image_errors": sum(r.error_kind == "image" for r in records),
        "n_failed": sum(r.failed for r in records),
        "n_ambiguous": sum(r.match == "ambiguous" for r in records),
        "n_cached": sum(r.cached for r in records),
        "n_truncated": sum(r.finish_reason == "length" for r in records),
    }


def build(manifest: RunManifest, records: list[SampleRecord], samples_sha256: str,
          created: str) -> dict[str, Any]:
    kind = "classify" if manifest.backend == "hf-classifier" else "generate"
    c = counts(records)
    return {
        "schema": SCHEMA,
        "task": manifest.task,
        "model": manifest.model,
        "model_id": manifest.model_id,
        "prompt": manifest.prompt,
        "prompt_sha256": manifest.prompt_content.sha256 if manifest.prompt_content else None,
        "label_space": manifest.label_space,
        "backend": manifest.backend,
        "machine": manifest.machine,
        "limit": manifest.limit,
        "shard": manifest.shard,
        "data_fingerprint": manifest.data_fingerprint,
        **c,
        "n_expected": manifest.n_samples,
        "complete": c["n"] >= manifest.n_samples and c["n_failed"] == 0,
        "ambiguous_rule": "counted wrong",
        "metrics": metrics(records, kind),
        "samples_sha256": samples_sha256,
        "harness_version": version(),
        "created": created,
    }
