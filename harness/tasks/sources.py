"""Where samples come from: a manifest, ImageNet val folders, ImageNetV2 folders/tarballs, HF.

Each loader returns Samples with lazy image reads. Labels are always wnids; integer class indices
are mapped through the sorted-wnid order (ImageNetV2 folder "10" is class 10, not the 3rd folder).
"""
from __future__ import annotations

import csv
import gzip
import io
import os
import tarfile
from pathlib import Path
from typing import Iterator

from harness.resources import cache_dir
from harness.tasks.sample import Sample
from harness.wordnet.graph import imagenet_classes
from harness.errors import DataError

IMAGE_EXTS = {".jpeg", ".jpg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}






def index_to_wnid() -> list[str]:
    return [c["wnid"] for c in imagenet_classes()]


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTS and p.is_file())


def _require_dir(path: Path, what: str) -> Path:
    if not path.exists():
        raise DataError(f"{path}: {what} not found; pass --data-dir with the extracted dataset")
    if not path.is_dir():
        raise DataError(f"{path}: {what} must be a directory")
    return path


PATH_COLUMNS = ("file", "path", "image")
LABEL_COLUMNS = ("wnid", "label", "class", "class_name")


def _manifest_rows(path: Path) -> list[dict]:
    import json

    if path.suffix.lower() == ".jsonl":
        rows = []
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    raise DataError(f"{path}:{n}: not a JSON object") from None
        return rows
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def load_manifest(path: Path, resolver=None) -> list[Sample]:
    """CSV or JSONL listing an image (`file`/`path`, relative to the manifest) and its label
    (`wnid`, or a class name in `label`/`class`)."""
    if not path.is_file():
        raise DataError(f"{path}: manifest not found")
    rows = _manifest_rows(path)
    if not rows:
        raise DataError(f"{path}: manifest lists no images")
    pcol = next((c for c in PATH_COLUMNS if c in rows[0]), None)
    lcol = next((c for c in LABEL_COLUMNS if c in rows[0]), None)
    if pcol is None or lcol is None:
        raise DataError(f"{path}: needs an image column ({'/'.join(PATH_COLUMNS)}) and a label "
                        f"column ({'/'.join(LABEL_COLUMNS)}); found {sorted(rows[0])}")
    labels = [str(r[lcol]) for r in rows]
    mapping = resolver.resolve_all(labels, str(path)) if resolver else {x: x for x in labels}
    base = path.parent
    return [Sample(id=Path(str(r[pcol])).stem, gold_wnid=mapping[str(r[lcol])],
                   path=base / str(r[pcol])) for r in rows]


def load_class_folders(root: Path, resolver=None) -> list[Sample]:
    """<root>/<label>/<image>: folders named by wnid (ImageNet layout) or by class name."""
    _require_dir(root, "image folder")
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    if resolver is None:
        known = set(index_to_wnid())
        bad = [d.name for d in folders if d.name not in known]
        if bad:
            raise DataError(f"{root / bad[0]}: folder name is not an ImageNet-1k wnid "
                            "(expected e.g. n01440764)")
        mapping = {d.name: d.name for d in folders}
    else:
        mapping = resolver.resolve_all([d.name for d in folders], str(root))
    out = []
    for d in folders:
        out += [Sample(id=f"{d.name}/{p.stem}", gold_wnid=mapping[d.name], path=p)
                for p in _images(d)]
    if not out:
        raise DataError(f"{root}: no images found in class folders")
    return out


def load_imagenet_val(root: Path, ground_truth: Path) -> list[Sample]:
    """Flat ILSVRC2012_val_*.JPEG + the shipped ground truth, or wnid class folders."""
    _require_dir(root, "ImageNet val folder")
    flat = sorted(root.glob("ILSVRC2012_val_*.JPEG"))
    if not flat:
        return load_class_folders(root)
    with gzip.open(ground_truth, "rt") as f:
        truth = {r["filename"]: r["wnid"] for r in csv.DictReader(f)}
    unknown = [p.name for p in flat if p.name not in truth]
    if unknown:
        raise DataError(f"{root}: {len(unknown)} files are not ILSVRC2012 val images "
                        f"(e.g. {unknown[0]})")
    return [Sample(id=p.stem, gold_wnid=truth[p.name], path=p) for p in flat]


def find_v2_root(data_dir: Path, variant: str) -> Path:
    """Accept the extracted `imagenetv2-<variant>-format-val` folder or a folder holding it."""
    name = f"imagenetv2-{variant}-format-val"
    for cand in (data_dir / name, data_dir):
        if cand.is_dir() and any(p.is_dir() and p.name.isdigit() for p in cand.iterdir()):
            return cand
    raise DataError(f"{data_dir}: no ImageNetV2 folders; expected {name}/<class index>/<id>.jpeg")


def load_imagenetv2(root: Path) -> list[Sample]:
    """<root>/<class index>/<id>.jpeg. The folder name is the integer index, mapped numerically."""
    _require_dir(root, "ImageNetV2 folder")
    wnids = index_to_wnid()
    out = []
    for d in sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: _int_dir(p)):
        idx = _int_dir(d)
        if not 0 <= idx < len(wnids):
            raise DataError(f"{d}: class index {idx} is outside 0..{len(wnids) - 1}")
        out += [Sample(id=f"{idx}/{p.stem}", gold_wnid=wnids[idx], path=p) for p in _images(d)]
    if not out:
        raise DataError(f"{root}: no images found in class-index folders")
    return out


def _int_dir(p: Path) -> int:
    if not p.name.isdigit():
        raise DataError(f"{p}: ImageNetV2 folders must be integer class indices")
    return int(p.name)


def extract_tarball(tarball: Path, dest: Path) -> Path:
    """Extract once (marker file), refusing members that would escape `dest`."""
    marker = dest / f".extracted-{tarball.name}"
    if marker.exists():
        return dest
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball) as tar:
        tar.extractall(dest, filter="data")
    marker.touch()
    return dest


def fetch_imagenetv2(variant: str, repo: str = "vaishaal/ImageNetV2") -> Path:
    """Download `imagenetv2-<variant>.tar.gz` from the HF Hub once and extract it into the cache."""
    from huggingface_hub import hf_hub_download

    dest = cache_dir() / "imagenetv2"
    fname = f"imagenetv2-{variant}.tar.gz"
    if (dest / f".extracted-{fname}").exists():
        return dest
    try:
        tarball = hf_hub_download(repo_id=repo, filename=fname, repo_type="dataset")
    except Exception as e:  # network, auth, offline mode: all end the same way for the user
        raise DataError(f"could not download {repo}/{fname} from the Hugging Face Hub "
                        f"({type(e).__name__}); pass --data-dir with the extracted folder") from None
    return extract_tarball(Path(tarball), dest)


def iter_hf(dataset: str, split: str, limit: int | None, seed: int, wnids: tuple[str, ...],
            image_column: str = "image", label_column: str = "label",
            config: str | None = None) -> Iterator[Sample]:
    """Stream an HF image dataset (image bytes + integer label = index into `wnids`) without
    loading it whole. With a limit, a seeded shuffle buffer picks the subset (exact
    stratification would need a pass over every label first, which streaming avoids)."""
    from datasets import Image, load_dataset

    try:
        ds = load_dataset(dataset, config, split=split, streaming=True)
    except Exception as e:
        raise DataError(f"could not open HF dataset {dataset} ({type(e).__name__}: "
                        f"{str(e).splitlines()[0] if str(e) else ''}); it may be gated: run "
                        "`hf auth login`, or pass --data-dir with a local copy") from None
    ds = ds.cast_column(image_column, Image(decode=False))
    if limit:
        ds = ds.shuffle(seed=seed, buffer_size=10_000).take(limit)
    for k, row in enumerate(ds):
        img = row[image_column]
        data = img.get("bytes") or Path(img["path"]).read_bytes()
        sid = Path(img.get("path") or f"{split}_{k:06d}").stem
        yield Sample(id=sid, gold_wnid=wnids[int(row[label_column])],
                     loader=io.BytesIO(data).getvalue)
