"""Aggregate per-sample records into results.json, and render the short results table."""
from __future__ import annotations

from harness import __version__
from harness.records import SCHEMA, RunConfig
from harness.scoring.stats import bootstrap_mean, proportion
from harness.store.rundir import now_iso


def metrics(records: list[dict]) -> dict:
    """Errored samples count as wrong (the model gave no usable answer); n counts them."""
    ok = [r for r in records if r.get("error") is None]
    return {
        "top1": proportion([bool(r.get("correct")) for r in records]),
        "contains": proportion([bool(r.get("contains")) for r in records]),
        "hierarchical": bootstrap_mean([float(r.get("hier_score") or 0.0) for r in records]),
        "unparsed_rate": proportion([r.get("pred_synset") is None for r in ok]),
    }


def build(config: RunConfig, records: list[dict], samples_sha256: str) -> dict:
    return {
        "schema": SCHEMA,
        "task": config.task,
        "model": config.model,
        "model_id": config.model_id,
        "prompt": config.prompt,
        "label_space": config.label_space,
        "backend": config.backend,
        "machine": config.machine,
        "n": len(records),
        "n_expected": config.n_samples,
        "n_errors": sum(r.get("error") is not None for r in records),
        "complete": len(records) >= config.n_samples,
        "metrics": metrics(records),
        "samples_sha256": samples_sha256,
        "harness_version": __version__,
        "created": now_iso(),
    }


def table(results: dict) -> str:
    """A small fixed-width table (percentages with 95% intervals)."""
    rows = [("metric", "value", "95% CI", "method")]
    for name, m in results["metrics"].items():
        rows.append((name, f"{100 * m['value']:.1f}%",
                     f"[{100 * m['ci_low']:.1f}, {100 * m['ci_high']:.1f}]", m["method"]))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    head = (f"task {results['task']} | model {results['model']} | n {results['n']} "
            f"| errors {results['n_errors']}")
    lines = [head] + ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)
