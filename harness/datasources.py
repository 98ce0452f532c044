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

from harness.records import Sample
from harness.wordnet import imagenet_classes

IMAGE_EXTS = {".jpeg", ".jpg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}


def cache_dir() -> Path:
    return Path(os.environ.get("HARNESS_CACHE") or Path.home() / ".cache" / "harness")


class DataError(Exception):
    """A dataset that cannot be used as given; the message says what to do."""


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


def load_manifest(path: Path) -> list[Sample]:
    """CSV with `file` (relative to the CSV) and `wnid` columns."""
    if not path.is_file():
        raise DataError(f"{path}: manifest not found")
    base = path.parent
    out = []
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            rel = Path(row["file"])
            out.append(Sample(id=rel.stem, gold_wnid=row["wnid"], path=base / rel))
    if not out:
        raise DataError(f"{path}: manifest lists no images")
    return out


def load_class_folders(root: Path) -> list[Sample]:
    """<root>/<wnid>/<image>: the ImageNet train/val 'ImageFolder' layout."""
    _require_dir(root, "image folder")
    known = set(index_to_wnid())
    out = []
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        if d.name not in known:
            raise DataError(f"{d}: folder name is not an ImageNet-1k wnid (expected e.g. n01440764)")
        out += [Sample(id=p.stem, gold_wnid=d.name, path=p) for p in _images(d)]
    if not out:
        raise DataError(f"{root}: no images found in wnid folders")
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


def iter_hf_imagenet(dataset: str, split: str, limit: int | None, seed: int) -> Iterator[Sample]:
    """Stream an HF image-classification dataset (image bytes + integer label) without a full load.

    With a limit, a seeded shuffle buffer picks the subset (exact stratification would need a
    pass over every label first, which streaming avoids).
    """
    from datasets import Image, load_dataset

    try:
        ds = load_dataset(dataset, split=split, streaming=True)
    except Exception as e:
        raise DataError(f"could not open HF dataset {dataset} ({type(e).__name__}: {e}); it may be "
                        "gated: run `hf auth login` or pass --data-dir") from None
    ds = ds.cast_column("image", Image(decode=False))
    if limit:
        ds = ds.shuffle(seed=seed, buffer_size=10_000).take(limit)
    wnids = index_to_wnid()
    for k, row in enumerate(ds):
        img = row["image"]
        data = img.get("bytes") or Path(img["path"]).read_bytes()
        sid = Path(img.get("path") or f"{split}_{k:06d}").stem
        yield Sample(id=sid, gold_wnid=wnids[int(row["label"])], loader=io.BytesIO(data).getvalue)
