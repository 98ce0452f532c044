"""Verification of one run for a leaderboard: recomputed from samples.jsonl, checked against
run.json, and classified as the full canonical benchmark or not.

Three outcomes: LeaderboardError (the run is named with the reason and left out: tampered,
relabelled, unreadable), an Entry with `not_ranked` set (a real measurement, but of a subset, a
partial run or one with transport failures: listed apart, never ranked), or a rankable Entry.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError, LeaderboardError
from harness.report.runinfo import RunFacts, load_run, n_failed
from harness.scoring.aggregate import metrics as recompute
from harness.scoring.record import SampleRecord
from harness.store.rundir import RunDir

AGREE_FIELDS = ("task", "model", "model_id", "prompt", "label_space")  # run.json == results.json
METRIC_FIELDS = ("value", "ci_low", "ci_high", "k", "n")


@dataclass
class Entry:
    """A verified run: its facts, metrics recomputed from its samples, and why it is not
    rankable (None when it is the full canonical selection)."""

    facts: RunFacts
    metrics: dict
    not_ranked: str | None

    @property
    def key(self) -> tuple[str, str, str]:
        return (*self.facts.identity, self.facts.task)

    @property
    def path(self) -> Path:
        return self.facts.path

    @property
    def top1(self) -> tuple[int, int]:
        """(k, n) of top-1, as recomputed from the samples when the run was verified."""
        return self.metrics["top1"]["k"], self.metrics["top1"]["n"]


def verify(path: Path, tasks: set[str], label_space: str, canonical: dict) -> Entry:
    """Raise LeaderboardError with the reason a run cannot be used at all."""
    run = RunDir(path)
    if not run.results.exists():
        raise LeaderboardError(f"{path}: no results.json (run in progress or crashed); skipped")
    if not run.samples.exists():
        raise LeaderboardError(f"{path}: samples.jsonl is missing; the run cannot be verified")
    facts = load_run(path, need_results=True)
    if run.samples_sha256() != facts.results.get("samples_sha256"):
        raise LeaderboardError(f"{path}: samples.jsonl does not match samples_sha256 in "
                               "results.json (edited after scoring?); run `harness score`")
    kind = "classify" if facts.manifest.get("backend") == "hf-classifier" else "generate"
    records = [SampleRecord.from_dict(r) for r in facts.records]
    _check_scores(path, facts, records, kind == "classify")
    metrics = recompute(records, kind)
    _check_metrics(path, metrics, facts.results, n_failed(facts.records))
    _check_manifest(path, facts)
    if facts.task not in tasks:
        raise LeaderboardError(f"{path}: task {facts.task!r} is not part of this leaderboard "
                               f"({', '.join(sorted(tasks))})")
    if facts.manifest.get("label_space") != label_space:
        raise LeaderboardError(f"{path}: label space {facts.manifest.get('label_space')!r} "
                               f"differs from {label_space!r}")
    return Entry(facts, metrics, not_canonical(facts, canonical.get(facts.task)))


def _check_scores(path: Path, facts: RunFacts, records: list[SampleRecord],
                  classifier: bool) -> None:
    """Every record's verdict is re-derived from its answer: a `correct` set by hand (and the
    hashes and totals redone to match) is caught here."""
    from harness.parse import parser_for
    from harness.runs.rescore import scored_fields
    from harness.wordnet import custom_space, label_space

    wnids = facts.manifest.get("label_space_wnids")
    name = str(facts.manifest.get("label_space") or "imagenet-1k")
    try:
        space = custom_space(name, wnids) if wnids else label_space(name)
    except HarnessError as e:
        raise LeaderboardError(f"{path}: {e}") from None
    parser = parser_for(space)
    for rec in records:
        now = scored_fields(rec, parser, space, classifier)
        if now and (now["correct"], now["pred_wnid"]) != (rec.correct, rec.pred_wnid):
            raise LeaderboardError(f"{path}: sample {rec.id!r} says correct={rec.correct} "
                                   f"(pred {rec.pred_wnid}), but its answer scores "
                                   f"correct={now['correct']} (pred {now['pred_wnid']}); run "
                                   "`harness score` on it")


def _show(x: object) -> str:
    text = repr(x)
    return text if len(text) <= 24 else f"{text[:12]}… ({len(text)} chars)"


def _agree(claimed: object, actual: float | int) -> bool:
    """Exact for counts, 1e-9 for fractions; anything non-numeric or absurd disagrees."""
    if isinstance(claimed, bool) or not isinstance(claimed, (int, float)):
        return False
    if isinstance(claimed, int) and isinstance(actual, int):
        return claimed == actual
    try:
        return math.isclose(float(claimed), float(actual), rel_tol=0, abs_tol=1e-9)
    except (OverflowError, ValueError):
        return False


def _check_metrics(path: Path, metrics: dict, results: dict, failed: int) -> None:
    """Every figure results.json states (k, n, value, interval) must be what the samples give.
    Metrics this harness does not compute (another version's) are not shown, so not checked."""
    claimed = results.get("metrics")
    if not isinstance(claimed, dict) or "top1" not in claimed:
        raise LeaderboardError(f"{path}: results.json has no metrics.top1; run `harness score`")
    for name, actual in metrics.items():
        if name not in claimed:
            continue  # written by a harness with another metric set: nothing stated to check
        stated = claimed[name] if isinstance(claimed[name], dict) else {}
        for field in METRIC_FIELDS:
            if field not in actual or (field not in stated and field in ("k", "n")):
                continue
            if not _agree(stated.get(field), actual[field]):
                raise LeaderboardError(
                    f"{path}: {name}.{field} is {_show(stated.get(field))} in results.json but "
                    f"{_show(actual[field])} from samples.jsonl; left out (run `harness score`)")
    for field, actual in (("n", metrics["top1"]["n"]), ("n_failed", failed)):
        if field in results and not _agree(results[field], actual):
            raise LeaderboardError(f"{path}: {field} is {_show(results[field])} in results.json "
                                   f"but {actual} from samples.jsonl")


def _check_manifest(path: Path, facts: RunFacts) -> None:
    """task, model, prompt, label space: run.json is the source; results.json must agree."""
    for field in AGREE_FIELDS:
        if field in facts.results and field in facts.manifest and \
                facts.results[field] != facts.manifest[field]:
            raise LeaderboardError(
                f"{path}: {field} is {_show(facts.results[field])} in results.json but "
                f"{_show(facts.manifest[field])} in run.json (relabelled?); left out")


def selection_digest(records: list[dict]) -> str:
    """sha256 over sorted "{id}\\t{gold_wnid}" lines: which items the samples cover."""
    h = hashlib.sha256()
    for sid, gold in sorted((str(r.get("id")), str(r.get("gold_wnid"))) for r in records):
        h.update(f"{sid}\t{gold}\n".encode())
    return h.hexdigest()


def not_canonical(facts: RunFacts, canon: dict | None) -> str | None:
    """Why this run is not the full canonical benchmark (None when it is)."""
    m, n = facts.manifest, len(facts.records)
    reasons = []
    if m.get("limit"):
        reasons.append(f"--limit {m['limit']}")
    if m.get("shard"):
        reasons.append(f"shard {m['shard']}")
    failed = n_failed(facts.records)
    if failed:
        reasons.append(f"{failed} of {n} samples failed (transport/server); resume the run")
    expected = m.get("n_samples")
    if isinstance(expected, int) and n < expected:
        reasons.append(f"partial: {n} of {expected} samples")
    if reasons:
        return "; ".join(reasons)
    return _selection_reason(facts, canon, n)


def _selection_reason(facts: RunFacts, canon: dict | None, n: int) -> str | None:
    if canon is None:
        return f"no canonical selection is declared for {facts.task}"
    if n != canon["size"]:
        return f"{n:,} images, not the {canon['size']:,} of the full {facts.task}"
    fp = facts.manifest.get("data_fingerprint")
    if not fp:
        return "data fingerprint not recorded; cannot show this is the full benchmark"
    selection = next((s for s in canon["selections"] if s["fingerprint"] == fp), None)
    if selection is None:
        return f"data fingerprint is not that of the canonical {facts.task} selection"
    if selection_digest(facts.records) != selection["set_sha256"]:
        return "samples.jsonl ids or labels differ from the canonical selection"
    return None
