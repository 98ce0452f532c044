"""Derive the canonical selections of leaderboards/canonical/imagenet-generalization.json.

A developer tool, run by hand (never at run time or in tests):
    python leaderboards/canonical/derive.py /work/shared/data/imagenetv2 > \
        leaderboards/canonical/imagenet-generalization.json

For each benchmark and each folder layout the harness loads it from, the sample ids and gold
wnids are listed the way harness/tasks/sources.py lists them, then hashed two ways:
- `fingerprint`: sha256 over "{id}\\t{gold_wnid}\\n" in selection order (= run.json
  data_fingerprint, harness.tasks.sample.fingerprint);
- `set_sha256`: the same lines sorted by id, so samples.jsonl (written in completion order)
  can be checked against the selection without knowing that order.
"""
from __future__ import annotations

import csv
import hashlib
import json
import sys
from pathlib import Path

VARIANTS = ("matched-frequency", "threshold0.7", "top-images")


def hashes(pairs: list[tuple[str, str]]) -> dict:
    def digest(items):
        h = hashlib.sha256()
        for i, g in items:
            h.update(f"{i}\t{g}\n".encode())
        return h.hexdigest()
    return {"fingerprint": digest(pairs), "set_sha256": digest(sorted(pairs))}


def imagenet_val(rows: list[dict]) -> dict:
    """Flat ILSVRC2012_val_*.JPEG (id = stem, sorted by file name) or wnid class folders
    (id = wnid/stem, sorted by folder then file name)."""
    flat = sorted((r["filename"].rsplit(".", 1)[0], r["wnid"]) for r in rows)
    folders = sorted((f"{g}/{i}", g) for i, g in flat)
    return {"size": len(flat), "source": "ImageNetV2 data/datasets/imagenet-validation-original.json",
            "selections": [{"layout": "flat ILSVRC2012_val_*.JPEG", **hashes(flat)},
                           {"layout": "wnid class folders", **hashes(folders)}]}


def imagenetv2(rows: list[dict], variant: str) -> dict:
    """<class index>/<image id>.jpeg: folders in index order, files sorted by name."""
    pairs = sorted(((int(r["class_index"]), r["image_id"]), r["wnid"]) for r in rows)
    listed = [(f"{idx}/{iid}", g) for (idx, iid), g in pairs]
    return {"size": len(listed), "source": f"ImageNetV2 imagenetv2_{variant}_labels.csv",
            "selections": [{"layout": f"imagenetv2-{variant}-format-val", **hashes(listed)}]}


def main(folder: Path) -> dict:
    def read(name: str) -> list[dict]:
        with (folder / name).open(newline="") as f:
            return list(csv.DictReader(f))
    out = {"about": __doc__.split("\n\n")[0].strip(),
           "imagenet": imagenet_val(read("imagenet_val_ground_truth.csv"))}
    for v in VARIANTS:
        out[f"imagenet-v2-{v}"] = imagenetv2(read(f"imagenetv2_{v}_labels.csv"), v)
    return out


if __name__ == "__main__":
    json.dump(main(Path(sys.argv[1])), sys.stdout, indent=2)
    sys.stdout.write("\n")
