"""Convert ../shared/data into the compact files the package ships.

Run from the repo root: `python scripts/build_data.py [SHARED_DATA_DIR]`. The output is committed,
so the harness never reads ../shared at run time.
"""
from __future__ import annotations

import csv
import gzip
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"
PKG_DATA = ROOT / "harness" / "data"
SAMPLE_DIR = ROOT / "tasks" / "imagenet-sample"
BASELINES = ROOT / "leaderboards" / "baselines"
CLASS_FIELDS = ("index", "wnid", "lemmas", "gloss", "clip_name", "parents", "depth")


def build_classes() -> None:
    data = json.loads((SRC / "imagenet_classes.json").read_text())
    classes = [{k: c[k] for k in CLASS_FIELDS} for c in data["classes"]]
    wnids = [c["wnid"] for c in classes]
    assert wnids == sorted(wnids) and len(wnids) == 1000
    out = {"_about": "ILSVRC-2012 classes in sorted-wnid order (index = position). WordNet 3.0 "
                     "lemmas/glosses; CLIP names from openai/CLIP. Built by scripts/build_data.py.",
           "classes": classes}
    (PKG_DATA / "imagenet_classes.json").write_text(json.dumps(out, separators=(",", ":")))


def build_wordnet() -> None:
    wn = SRC / "wordnet"
    wnids, names = [], []
    for line in (wn / "words.txt").read_text().splitlines():
        wnid, lemmas = line.split("\t")
        wnids.append(wnid)
        names.append(lemmas.split(", ")[0])
    pos = {w: i for i, w in enumerate(wnids)}
    parents: list[list[int]] = [[] for _ in wnids]
    for fname in ("wordnet.is_a.txt", "wordnet.instance_is_a.txt"):
        for line in (wn / fname).read_text().splitlines():
            parent, child = line.split()
            parents[pos[child]].append(pos[parent])
    index = json.loads(gzip.decompress((wn / "noun_lemma_index.json.gz").read_bytes()))
    lemmas = {lemma: [pos[w] for w in ws] for lemma, ws in index["lemmas"].items()}
    out = {"_about": "WordNet 3.0 nouns (Princeton; see LICENSE-WordNet). Synsets by integer id: "
                     "wnids[i], names[i] (first lemma), parents[i] (is-a and instance-of). "
                     "lemmas: lowercase lemma with '_' for spaces -> synset ids in sense order. "
                     "exceptions: noun.exc irregular forms.",
           "wnids": wnids, "names": names, "parents": parents,
           "lemmas": lemmas, "exceptions": index["exceptions"]}
    raw = json.dumps(out, separators=(",", ":")).encode()
    (PKG_DATA / "wordnet.json.gz").write_bytes(gzip.compress(raw, 9, mtime=0))


def build_subsets() -> None:
    for name in ("imagenet_a_wnids.txt", "imagenet_r_wnids.txt"):
        shutil.copyfile(SRC / name, PKG_DATA / name)


def build_sample(every: int = 10) -> None:
    """One image per class for every `every`-th class: 100 real images, shorter side 256 px."""
    img_dir = SAMPLE_DIR / "images"
    img_dir.mkdir(parents=True, exist_ok=True)
    rows = list(csv.DictReader((SRC / "images" / "labels.csv").open()))
    keep = [r for r in rows if int(r["class_index"]) % every == 0]
    with (SAMPLE_DIR / "labels.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["file", "wnid"])
        for r in keep:
            shutil.copyfile(SRC / "images" / r["file"], img_dir / r["file"])
            w.writerow([f"images/{r['file']}", r["wnid"]])


def build_baselines() -> None:
    BASELINES.mkdir(parents=True, exist_ok=True)
    for rel in ("baselines/cnn_baselines.csv", "baselines/effective_robustness_fit.json",
                "baselines/imagenet_testbed_top1.csv",
                "baselines/imagenetv2_paper_model_accuracies.csv", "vlm_anchor.json"):
        shutil.copyfile(SRC / rel, BASELINES / Path(rel).name)


if __name__ == "__main__":
    PKG_DATA.mkdir(parents=True, exist_ok=True)
    build_classes()
    build_wordnet()
    build_subsets()
    build_sample()
    build_baselines()
    print(f"wrote {PKG_DATA}, {SAMPLE_DIR}, {BASELINES}")
