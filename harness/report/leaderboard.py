"""Leaderboards: definitions in leaderboards/*.yaml, built only from runs that verify.

Every figure comes from samples.jsonl (harness.report.verify); run.json says what was run. A run
is ranked only when it is the full canonical selection of its benchmark; subsets, partial runs
and runs with transport failures are listed apart; a run that does not verify is named with its
reason and left out. One bad run never stops the build.
"""
from __future__ import annotations

import csv
import glob
import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from harness import __version__
from harness.errors import HarnessError, LeaderboardError
from harness.report.baselines import VARIANTS, cnn_baselines, published_vlms
from harness.report.compare import N_V2, N_VAL, baseline_rows
from harness.report.generalization import drop, effective_robustness
from harness.report.verify import Entry, verify
from harness.resources import named_yaml
from harness.scoring.stats import accuracy
from harness.store.rundir import now_iso

__all__ = ["LeaderboardError", "build", "load_definition", "collect"]
log = logging.getLogger("harness")
DEF_FIELDS = {"name", "title", "description", "label_space", "imagenet_task", "shift_tasks",
              "primary_shift", "metrics", "baselines", "sort", "canonical"}
VARIANT_OF = {f"imagenet-v2-{v}": v for v in VARIANTS}
CSV_COLUMNS = ["rank", "model", "model_id", "status", "kind", "prompt", "prompt_sha256",
               "machine"] + [
    f"{t}_{s}" for t in ["imagenet_top1", *(f"v2_{v}_top1" for v in VARIANTS), "drop",
                         "effective_robustness"] for s in ("value", "low", "high")] + [
    "imagenet_contains", "imagenet_hierarchical", "n_imagenet", "n_v2", "source", "runs"]


@dataclass
class Definition:
    name: str
    title: str
    imagenet_task: str
    shift_tasks: list[str]
    primary_shift: str
    label_space: str = "imagenet-1k"
    description: str = ""
    metrics: list[str] = field(default_factory=lambda: ["top1"])
    baselines: list[str] = field(default_factory=lambda: ["cnn", "clip", "vlm"])
    sort: str = "effective_robustness"
    canonical: dict = field(default_factory=dict)  # task -> {size, selections: [...]}

    @property
    def tasks(self) -> set[str]:
        return {self.imagenet_task, *self.shift_tasks}


def load_definition(name_or_path: str) -> Definition:
    """A definition by name or YAML path; `canonical:` may name a JSON file next to it."""
    path = named_yaml("leaderboards", name_or_path, "leaderboard")
    raw = yaml.safe_load(path.read_text()) or {}
    unknown = set(raw) - DEF_FIELDS
    if unknown:
        raise LeaderboardError(f"{path}: unknown field(s) {sorted(unknown)}")
    if isinstance(raw.get("canonical"), str):
        spec = path.parent / raw["canonical"]
        try:
            raw["canonical"] = json.loads(spec.read_text())
        except (OSError, ValueError) as e:
            raise LeaderboardError(f"{path}: canonical file {spec} unreadable ({e})") from None
    return Definition(**raw)


def run_dirs(patterns: list[str]) -> list[Path]:
    """Run dirs under the given dirs or globs (searched recursively for run.json). A pattern
    that names nothing is an error: a typo must not build a page without the user's runs."""
    paths: list[Path] = []
    for pattern in patterns:
        hits = [Path(p) for p in sorted(glob.glob(pattern, recursive=True))]
        if not hits:
            raise LeaderboardError(f"{pattern}: no such run directory or glob match")
        for hit in hits:
            paths += [r.parent for r in sorted(hit.glob("**/run.json"))] if hit.is_dir() else []
    return list(dict.fromkeys(paths))


def collect(patterns: list[str], definition: Definition) -> tuple[list[Entry], list[dict]]:
    """Verified entries and the left-out runs ({run, reason}); never raises for one run."""
    entries, left_out = [], []
    for path in run_dirs(patterns):
        try:
            entries.append(verify(path, definition.tasks, definition.label_space,
                                  definition.canonical))
        except HarnessError as e:
            left_out.append({"run": str(path), "reason": str(e)})
        except Exception as e:  # noqa: BLE001  a file no check foresaw: name it, keep building
            left_out.append({"run": str(path), "reason": f"{path}: cannot be verified "
                             f"({type(e).__name__}: {str(e)[:120]})"})
    for item in left_out:
        log.warning("left out: %s", item["reason"])
    return entries, left_out


def choose(entries: list[Entry]) -> tuple[dict[tuple, Entry], list[Entry]]:
    """Rankable winners per (model, prompt, task) and the runs listed apart. Of several runs of
    one key the full canonical one wins, then the newest."""
    best: dict[tuple, Entry] = {}
    for e in entries:
        if e.not_ranked is not None:
            continue
        old = best.get(e.key)
        if old is None or (e.facts.created, str(e.path)) > (old.facts.created, str(old.path)):
            best[e.key] = e
        if old is not None:
            log.info("duplicate %s: using the newest %s", e.key, best[e.key].path)
    apart = [e for e in entries if e.not_ranked is not None]
    return best, apart


def _value(e: Entry, name: str) -> float | None:
    """A secondary metric's value, None where this harness does not compute it for the run."""
    return (e.metrics.get(name) or {}).get("value")


def measured_rows(best: dict[tuple, Entry], definition: Definition) -> list[dict]:
    """One row per (model identity, prompt identity), its ImageNet and V2 runs paired."""
    groups: dict[tuple, dict[str, Entry]] = {}
    for (model_id, prompt_id, task), e in best.items():
        groups.setdefault((model_id, prompt_id), {})[task] = e
    rows = []
    for (model_id, prompt_id), by_task in sorted(groups.items()):
        base = by_task.get(definition.imagenet_task)
        first = base or next(iter(by_task.values()))
        row: dict = {"model": first.facts.model, "model_id": model_id, "status": "measured",
                     "kind": "measured", "prompt": first.facts.prompt,
                     "prompt_sha256": first.facts.prompt_sha or "",
                     "machine": "; ".join(sorted({str(e.facts.manifest.get("machine") or "")
                                                  for e in by_task.values()} - {""})),
                     "runs": {t: str(e.path) for t, e in sorted(by_task.items())},
                     "source": "this harness"}
        if base:
            k_in, n_in = base.top1
            row.update(imagenet=accuracy(k_in, n_in), n_imagenet=n_in,
                       imagenet_contains=_value(base, "contains"),
                       imagenet_hierarchical=_value(base, "hierarchical"))
        for task in definition.shift_tasks:
            if task in by_task:
                _add_shift(row, task, by_task[task], definition)
        rows.append(row)
    return rows


def _add_shift(row: dict, task: str, e: Entry, definition: Definition) -> None:
    k, n = e.top1
    row[f"v2_{VARIANT_OF[task]}"] = accuracy(k, n)
    if task != definition.primary_shift:
        return
    row["n_v2"] = n
    if "imagenet" in row:
        k_in, n_in = row["imagenet"]["k"], row["imagenet"]["n"]
        row["drop"] = drop(k_in, n_in, k, n)
        row["effective_robustness"] = effective_robustness(k_in, n_in, k, n, VARIANT_OF[task])


def apart_rows(apart: list[Entry]) -> list[dict]:
    """Subsets, partial runs, runs with failures: one row each, with why it is not ranked."""
    rows = []
    for e in sorted(apart, key=lambda x: (x.facts.model, x.facts.task, x.facts.created)):
        k, n = e.top1
        rows.append({"model": e.facts.model, "model_id": e.facts.model_id,
                     "prompt": e.facts.prompt, "task": e.facts.task, "n": n,
                     "top1": accuracy(k, n), "why": e.not_ranked, "run": str(e.path),
                     "created": e.facts.created})
    return rows


def published_rows(definition: Definition) -> list[dict]:
    """Baseline rows (drop and ER on the primary shift; every published V2 variant shown)."""
    variant = VARIANT_OF[definition.primary_shift]
    other = {b.model: b for b in cnn_baselines() + published_vlms()}
    rows = []
    for b in baseline_rows(variant):
        if b["kind"] not in definition.baselines:
            continue
        row = {"model": b["model"], "status": "published", "kind": b["kind"], "prompt": "",
               "machine": "", "runs": {}, "source": b["source"], "imagenet": b["imagenet"],
               "n_imagenet": N_VAL if b["imagenet"] else None,
               "drop": b["drop"], "effective_robustness": b["effective_robustness"]}
        for v, acc in other[b["model"]].v2.items():
            if acc is not None:
                row[f"v2_{v}"] = accuracy(round(acc * N_V2), N_V2)
        if row.get(f"v2_{variant}"):
            row["n_v2"] = N_V2
        rows.append({k: v for k, v in row.items() if v is not None})
    return rows


def rank(rows: list[dict], metric: str) -> list[dict]:
    """One order over measured and published rows alike: the declared metric, descending
    (ties by ImageNet top-1); rows without it follow, unranked, by ImageNet top-1."""
    def key(row: dict) -> tuple:
        main, base = row.get(metric), row.get("imagenet")
        return (main is None, -(main or {"value": 0})["value"],
                -(base or {"value": -math.inf})["value"], row["model"])
    out = sorted(rows, key=key)
    for i, row in enumerate(out, 1):
        row["rank"] = i if row.get(metric) is not None else None
    return out


def build(patterns: list[str], name: str, out: Path) -> dict:
    """Verify runs, compute rows, write README.md, index.html, results.csv/json, scatter.png."""
    from harness.report.page import render_html, render_markdown, render_png

    definition = load_definition(name)
    entries, left_out = collect(patterns, definition)
    best, apart = choose(entries)
    rows = rank(measured_rows(best, definition) + published_rows(definition), definition.sort)
    board = {"schema": 2, "name": definition.name, "title": definition.title,
             "description": definition.description, "primary_shift": definition.primary_shift,
             "sort": definition.sort, "created": now_iso(), "harness_version": __version__,
             "rows": rows, "apart": apart_rows(apart), "left_out": left_out}
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(board, indent=2) + "\n")
    write_csv(rows, out / "results.csv")
    (out / "README.md").write_text(render_markdown(board))
    (out / "index.html").write_text(render_html(board))
    render_png(board, out / "scatter.png")
    log.info("leaderboard %s: %d ranked runs, %d listed apart, %d left out, %d rows -> %s",
             definition.name, len(best), len(apart), len(left_out), len(rows), out)
    return board


def write_csv(rows: list[dict], path: Path) -> None:
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
        w.writeheader()
        for r in rows:
            flat = {k: ("" if r.get(k) is None else r.get(k, "")) for k in (
                "rank", "model", "model_id", "status", "kind", "prompt", "prompt_sha256",
                "machine", "imagenet_contains", "imagenet_hierarchical", "n_imagenet", "n_v2",
                "source")}
            flat["runs"] = " ".join(r.get("runs", {}).values())
            for col, key in [("imagenet_top1", "imagenet"), ("drop", "drop"),
                             ("effective_robustness", "effective_robustness")] + [
                    (f"v2_{v}_top1", f"v2_{v}") for v in VARIANTS]:
                m = r.get(key) or {}
                for suffix, field_ in (("value", "value"), ("low", "ci_low"), ("high", "ci_high")):
                    flat[f"{col}_{suffix}"] = "" if field_ not in m else f"{m[field_]:.6f}"
            w.writerow(flat)
