"""Published baselines shipped in leaderboards/baselines/ (CNNs, CLIP, VLMs), with provenance.

Accuracies in the CSVs are percentages as published; loaders return fractions in [0, 1].
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import lru_cache

from harness.resources import resource_dir

VARIANTS = ("matched-frequency", "threshold0.7", "top-images")
TESTBED_COLUMNS = {"matched-frequency": "top1_imagenetv2_matched_frequency",
                   "threshold0.7": "top1_imagenetv2_threshold07",
                   "top-images": "top1_imagenetv2_top_images"}
CNN_COLUMNS = {"matched-frequency": "top1_v2_matched_frequency",
               "threshold0.7": "top1_v2_threshold0.7", "top-images": "top1_v2_top_images"}
TESTBED_SOURCE = "modestyachts/imagenet-testbed robustness_top1s.csv"


@dataclass(frozen=True)
class Baseline:
    """One published model: ImageNet val and V2 accuracies (fractions; None if unpublished)."""

    model: str
    kind: str  # cnn | clip | vlm
    val: float | None
    v2: dict  # variant -> fraction or None
    standard: bool  # trained on ImageNet-1k only, no robustness intervention
    source: str
    note: str = ""


def _frac(text: str | None) -> float | None:
    text = (text or "").strip()
    return float(text) / 100 if text else None


def _csv(name: str) -> list[dict]:
    with (resource_dir("leaderboards") / "baselines" / name).open(newline="") as f:
        return list(csv.DictReader(f))


@lru_cache(maxsize=1)
def testbed() -> list[dict]:
    """imagenet-testbed rows: the model pool the effective-robustness fit is computed from."""
    return _csv("imagenet_testbed_top1.csv")


@lru_cache(maxsize=1)
def cnn_baselines() -> list[Baseline]:
    """The curated classic models (AlexNet ... ViT-B/16) and CLIP zero-shot rows."""
    out = []
    for r in _csv("cnn_baselines.csv"):
        kind = "clip" if "clip" in r["model"].lower() else "cnn"
        out.append(Baseline(model=r["model"], kind=kind, val=_frac(r["top1_val"]),
                            v2={v: _frac(r[c]) for v, c in CNN_COLUMNS.items()},
                            standard=r["standard_imagenet_only"] == "1", source=r["source"],
                            note=f"{r['family']} ({r['year']}), {r['pretrain_data']}"))
    return out


@lru_cache(maxsize=1)
def published_vlms() -> list[Baseline]:
    """Zhang et al. 2024 open-world ImageNet numbers (no V2 numbers were published)."""
    data = json.loads((resource_dir("leaderboards") / "baselines" / "vlm_anchor.json").read_text())
    paper = data["paper"]
    src = f"{paper['authors'].split(',')[0]} et al., {paper['venue']} (arXiv {paper['arxiv']})"
    out = []
    for r in data["results"]:
        if r.get("imagenet_top1") is None:
            continue
        setting = r.get("setting", "open-world")
        name = r["model"] if setting == "open-world" else f"{r['model']} ({setting})"
        unverified = "unverified" in str(r.get("verification", ""))
        out.append(Baseline(model=name, kind="clip" if "clip" in name.lower() else "vlm",
                            val=_frac(str(r["imagenet_top1"])), v2={v: None for v in VARIANTS},
                            standard=False, note=setting,
                            source=src + ("; not checked against the paper's table"
                                          if unverified else "")))
    return out
