"""Leaderboards: definitions in leaderboards/*.yaml, built only from runs that verify.

A run enters a leaderboard only if its samples.jsonl hashes to the recorded samples_sha256, the
metrics recomputed from those samples equal results.json, it is complete, and its task and label
space belong to the definition. Everything else is reported and left out, never included quietly.
"""
from __future__ import annotations

import csv
import glob
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from harness import __version__
from harness.report.baselines import VARIANTS
from harness.report.generalization import drop, effective_robustness
import logging

note = logging.getLogger("harness").warning  # shown by the CLI
from harness.report.baselines import cnn_baselines, published_vlms
from harness.report.compare import N_V2, baseline_rows
from harness.resources import named_yaml
from harness.scoring.aggregate import metrics as recompute
from harness.scoring.stats import accuracy
from harness.store.rundir import RunDir, now_iso
from harness.errors import HarnessError, LeaderboardError

DEF_FIELDS = {"name", "title", "description", "label_space", "imagenet_task", "shift_tasks",
              "primary_shift", "metrics", "baselines", "sort"}
VARIANT_OF = {f"imagenet-v2-{v}": v for v in VARIANTS}
CSV_COLUMNS = ["model", "status", "kind", "prompt", "machine"] + [
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

    @property
    def tasks(self) -> set[str]:
        return {self.imagenet_task, *self.shift_tasks}


def load_definition(name_or_path: str) -> Definition:
    path = named_yaml("leaderboards", name_or_path, "leaderboard")
    raw = yaml.safe_load(path.read_text()) or {}
    unknown = set(raw) - DEF_FIELDS
    if unknown:
        raise LeaderboardError(f"{path}: unknown field(s) {sorted(unknown)}")
    return Definition(**raw)


@dataclass
class Entry:
    """A verified run: what the leaderboard needs from it."""

    path: Path
    task: str
    model: str
    prompt: str
    machine: str
    created: str
    records: list[dict]
    metrics: dict


def verify(path: Path, definition: Definition) -> Entry:
    """Raise LeaderboardError with the reason a run cannot be used."""
    run = RunDir(path)
    if not run.results.exists():
        raise LeaderboardError(f"{path}: no results.json (run in progress or crashed); skipped")
    if not run.samples.exists():
        raise LeaderboardError(f"{path}: samples.jsonl is missing; the run cannot be verified")
    try:
        res = json.loads(run.results.read_text())
        cfg = run.manifest()
        records = run.read_records()
    except (ValueError, OSError, HarnessError) as e:
        raise LeaderboardError(f"{path}: unreadable ({e})") from None
    if not res.get("complete", False):
        raise LeaderboardError(f"{path}: partial run ({res.get('n')}/{res.get('n_expected')} "
                               "samples); resume it first")
    digest = hashlib.sha256(run.samples.read_bytes()).hexdigest()
    if digest != res.get("samples_sha256"):
        raise LeaderboardError(f"{path}: samples.jsonl does not match samples_sha256 in "
                               "results.json (edited after scoring?); run `harness score`")
    kind = "classify" if cfg.backend == "hf-classifier" else "generate"
    if not _same(recompute(records, kind), res.get("metrics", {})):
        raise LeaderboardError(f"{path}: metrics recomputed from samples.jsonl differ from "
                               "results.json")
    if res.get("task") not in definition.tasks:
        raise LeaderboardError(f"{path}: task {res.get('task')!r} is not part of leaderboard "
                               f"{definition.name}")
    if res.get("label_space") != definition.label_space:
        raise LeaderboardError(f"{path}: label space {res.get('label_space')!r} differs from "
                               f"{definition.label_space!r}")
    return Entry(run.path, res["task"], res["model"], res["prompt"], cfg.machine,
                 res.get("created", ""), [r.to_dict() for r in records], res["metrics"])


def _same(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    return all(math.isclose(a[m][k], b[m].get(k, math.nan), rel_tol=0, abs_tol=1e-9)
               for m in a for k in ("value", "ci_low", "ci_high"))


def collect(patterns: list[str], definition: Definition) -> list[Entry]:
    """Verified entries from run dirs or globs (searched recursively for run.json); the newest
    run wins when the same model, prompt and task appear twice."""
    paths: list[Path] = []
    for pattern in patterns:
        hits = [Path(p) for p in sorted(glob.glob(pattern, recursive=True))] or [Path(pattern)]
        for hit in hits:
            paths += [r.parent for r in sorted(hit.glob("**/run.json"))] if hit.is_dir() else []
    chosen: dict[tuple, Entry] = {}
    for path in dict.fromkeys(paths):
        try:
            entry = verify(path, definition)
        except LeaderboardError as e:
            note(f"left out: {e}")
            continue
        key = (entry.model, entry.prompt, entry.task)
        if key in chosen:
            old, new = sorted([chosen[key], entry], key=lambda x: (x.created, str(x.path)))
            note(f"duplicate {key}: using the newest {new.path}, not {old.path}")
            chosen[key] = new
        else:
            chosen[key] = entry
    return list(chosen.values())


def measured_rows(entries: list[Entry], definition: Definition) -> list[dict]:
    """One row per (model, prompt) with its ImageNet and V2 runs paired."""
    groups: dict[tuple, dict[str, Entry]] = {}
    for e in entries:
        groups.setdefault((e.model, e.prompt), {})[e.task] = e
    rows = []
    for (model, prompt), by_task in sorted(groups.items()):
        base = by_task.get(definition.imagenet_task)
        row: dict = {"model": model, "status": "measured", "kind": "measured", "prompt": prompt,
                     "machine": "; ".join(sorted({e.machine for e in by_task.values()})),
                     "runs": [str(e.path) for e in by_task.values()], "source": "this harness"}
        k_in = n_in = 0
        if base:
            k_in, n_in = base.metrics["top1"]["k"], base.metrics["top1"]["n"]
            row["imagenet"] = accuracy(k_in, n_in)
            row["imagenet_contains"] = base.metrics["contains"]["value"]
            row["imagenet_hierarchical"] = base.metrics["hierarchical"]["value"]
            row["n_imagenet"] = n_in
        for task in definition.shift_tasks:
            if task in by_task:
                m = by_task[task].metrics["top1"]
                row[f"v2_{VARIANT_OF[task]}"] = accuracy(m["k"], m["n"])
                if task == definition.primary_shift:
                    row["n_v2"] = m["n"]
                    if base:
                        row["drop"] = drop(k_in, n_in, m["k"], m["n"])
                        row["effective_robustness"] = effective_robustness(
                            k_in, n_in, m["k"], m["n"], VARIANT_OF[task])
        rows.append(row)
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
               "machine": "", "runs": [], "source": b["source"], "imagenet": b["imagenet"],
               "drop": b["drop"], "effective_robustness": b["effective_robustness"]}
        for v, acc in other[b["model"]].v2.items():
            if acc is not None:
                row[f"v2_{v}"] = accuracy(round(acc * N_V2), N_V2)
        rows.append({k: v for k, v in row.items() if v is not None})
    return rows


def sort_key(definition: Definition):
    def key(row: dict) -> tuple:
        main, base = row.get(definition.sort), row.get("imagenet") or {}
        return (row["status"] != "measured", main is None,
                -(main or base or {"value": -math.inf})["value"], row["model"])
    return key


def build(patterns: list[str], name: str, out: Path) -> dict:
    """Verify runs, compute rows, write README.md, index.html, results.csv/json, scatter.png."""
    from harness.report.page import render_html, render_markdown, render_png

    definition = load_definition(name)
    entries = collect(patterns, definition)
    rows = sorted(measured_rows(entries, definition) + published_rows(definition),
                  key=sort_key(definition))
    board = {"schema": 1, "name": definition.name, "title": definition.title,
             "description": definition.description, "primary_shift": definition.primary_shift,
             "created": now_iso(), "harness_version": __version__, "rows": rows}
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(board, indent=2) + "\n")
    write_csv(rows, out / "results.csv")
    (out / "README.md").write_text(render_markdown(board))
    (out / "index.html").write_text(render_html(board))
    render_png(board, out / "scatter.png")
    note(f"leaderboard {definition.name}: {len(entries)} verified runs, {len(rows)} rows -> {out}")
    return board


def write_csv(rows: list[dict], path: Path) -> None:
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
        w.writeheader()
        for r in rows:
            flat = {k: r.get(k, "") for k in ("model", "status", "kind", "prompt", "machine",
                                              "imagenet_contains", "imagenet_hierarchical",
                                              "n_imagenet", "n_v2", "source")}
            flat["runs"] = " ".join(r.get("runs", []))
            for col, key in [("imagenet_top1", "imagenet"), ("drop", "drop"),
                             ("effective_robustness", "effective_robustness")] + [
                    (f"v2_{v}_top1", f"v2_{v}") for v in VARIANTS]:
                m = r.get(key) or {}
                for suffix, field_ in (("value", "value"), ("low", "ci_low"), ("high", "ci_high")):
                    flat[f"{col}_{suffix}"] = "" if field_ not in m else f"{m[field_]:.6f}"
            w.writerow(flat)
