"""Where samples come from: a manifest, ImageNet val folders, ImageNetV2 folders/tarballs, HF.

Each loader returns Samples with lazy image reads and ids unique within the task (see
harness/tasks/sample.py for how ids are made). Labels are always wnids; integer class indices
are mapped through the sorted-wnid order (ImageNetV2 folder "10" is class 10, not the 3rd folder).
A listing keeps every entry whose name looks like an image, whatever it is (a FIFO, a directory,
a dangling link): reading it then fails and the run records it as `image: ...`, so nothing in
the folder is dropped without a trace. Paths in messages go through `shown()`, which can always
be printed, whatever bytes the file name holds.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
import tarfile
from pathlib import Path
from typing import Iterator

from harness.errors import DataError, MissingExtra
from harness.resources import cache_dir
from harness.tasks.sample import Sample, path_ids, read_regular_file, shown, unique
from harness.wordnet.graph import imagenet_classes

IMAGE_EXTS = {".jpeg", ".jpg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}






def index_to_wnid() -> list[str]:
    return [c["wnid"] for c in imagenet_classes()]


def _images(folder: Path) -> list[Path]:
    """Entries named like images, of any file type (see the module docstring), by name. The
    names alone decide: no stat per file, which a 50k-image folder would notice."""
    try:
        with os.scandir(folder) as it:
            names = [e.name for e in it if os.path.splitext(e.name)[1].lower() in IMAGE_EXTS]
    except OSError as e:
        raise DataError(f"{shown(folder)}: cannot list the folder ({e.strerror or e})") from None
    return [folder / n for n in sorted(names)]


def _subdirs(root: Path) -> list[Path]:
    try:
        return sorted(p for p in root.iterdir() if p.is_dir())
    except OSError as e:
        raise DataError(f"{shown(root)}: cannot list the folder ({e.strerror or e})") from None


def _require_dir(path: Path, what: str) -> Path:
    if not path.exists():
        raise DataError(f"{shown(path)}: {what} not found; pass --data-dir with the extracted "
                        "dataset")
    if not path.is_dir():
        raise DataError(f"{shown(path)}: {what} must be a directory")
    return path


ID_COLUMN = "id"
PATH_COLUMNS = ("file", "path", "image")
LABEL_COLUMNS = ("wnid", "label", "class", "class_name")


def _manifest_rows(path: Path) -> list[dict]:
    import json

    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise DataError(f"{shown(path)}:{line}: not UTF-8 text; save the manifest as UTF-8") \
            from None
    if path.suffix.lower() != ".jsonl":
        return list(csv.DictReader(io.StringIO(text, newline="")))
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError:
                raise DataError(f"{shown(path)}:{n}: not a JSON object") from None
    return rows


def _manifest_ids(path: Path, rows: list[dict], pcol: str) -> list[str]:
    """The `id` column where the manifest has one, else ids from the listed paths."""
    if ID_COLUMN not in rows[0]:
        return path_ids([str(r[pcol]) for r in rows])
    ids = [str(r.get(ID_COLUMN) or "").strip() for r in rows]
    if not all(ids):
        raise DataError(f"{shown(path)}: row {ids.index('') + 1} has an empty `{ID_COLUMN}`; "
                        "give every row an id (or drop the column)")
    return ids


def load_manifest(path: Path, resolver=None) -> list[Sample]:
    """CSV or JSONL listing an image (`file`/`path`, relative to the manifest), its label
    (`wnid`, or a class name in `label`/`class`) and optionally its `id`."""
    if not path.is_file():
        raise DataError(f"{shown(path)}: manifest not found")
    rows = _manifest_rows(path)
    if not rows:
        raise DataError(f"{shown(path)}: manifest lists no images")
    pcol = next((c for c in PATH_COLUMNS if c in rows[0]), None)
    lcol = next((c for c in LABEL_COLUMNS if c in rows[0]), None)
    if pcol is None or lcol is None:
        raise DataError(f"{shown(path)}: needs an image column ({'/'.join(PATH_COLUMNS)}) and a "
                        f"label column ({'/'.join(LABEL_COLUMNS)}); found {sorted(rows[0])}")
    empty = next((n for n, r in enumerate(rows, 1) if not str(r.get(pcol) or "").strip()), None)
    if empty is not None:
        raise DataError(f"{shown(path)}: row {empty} names no image in `{pcol}`")
    labels = [str(r[lcol]) for r in rows]
    mapping = resolver.resolve_all(labels, str(path)) if resolver else {x: x for x in labels}
    base = path.parent
    ids = _manifest_ids(path, rows, pcol)
    return list(unique((Sample(id=i, gold_wnid=mapping[str(r[lcol])], path=base / str(r[pcol]))
                        for i, r in zip(ids, rows)), path))


def load_class_folders(root: Path, resolver=None) -> list[Sample]:
    """<root>/<label>/<image>: folders named by wnid (ImageNet layout) or by class name."""
    _require_dir(root, "image folder")
    folders = _subdirs(root)
    names = [shown(d.name) for d in folders]
    if resolver is None:
        known = set(index_to_wnid())
        bad = [n for n in names if n not in known]
        if bad:
            raise DataError(f"{shown(root / bad[0])}: folder name is not an ImageNet-1k wnid "
                            "(expected e.g. n01440764)")
        mapping = {n: n for n in names}
    else:
        mapping = resolver.resolve_all(names, shown(root))
    files = [(n, p) for d, n in zip(folders, names) for p in _images(d)]
    if not files:
        raise DataError(f"{shown(root)}: no images found in class folders")
    ids = path_ids([f"{n}/{shown(p.name)}" for n, p in files])
    return list(unique((Sample(id=i, gold_wnid=mapping[n], path=p)
                        for i, (n, p) in zip(ids, files)), root))


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
        raise DataError(f"{shown(root)}: {len(unknown)} files are not ILSVRC2012 val images "
                        f"(e.g. {shown(unknown[0])})")
    ids = path_ids([p.name for p in flat])
    return list(unique((Sample(id=i, gold_wnid=truth[p.name], path=p)
                        for i, p in zip(ids, flat)), root))


def find_v2_root(data_dir: Path, variant: str) -> Path:
    """Accept the extracted `imagenetv2-<variant>-format-val` folder or a folder holding it."""
    name = f"imagenetv2-{variant}-format-val"
    for cand in (data_dir / name, data_dir):
        if cand.is_dir() and any(p.is_dir() and p.name.isdigit() for p in cand.iterdir()):
            return cand
    raise DataError(f"{shown(data_dir)}: no ImageNetV2 folders; expected "
                    f"{name}/<class index>/<id>.jpeg")


def load_imagenetv2(root: Path) -> list[Sample]:
    """<root>/<class index>/<id>.jpeg. The folder name is the integer index, mapped numerically."""
    _require_dir(root, "ImageNetV2 folder")
    wnids = index_to_wnid()
    files = []
    for d in sorted(_subdirs(root), key=_int_dir):
        idx = _int_dir(d)
        if not 0 <= idx < len(wnids):
            raise DataError(f"{shown(d)}: class index {idx} is outside 0..{len(wnids) - 1}")
        files += [(idx, p) for p in _images(d)]
    if not files:
        raise DataError(f"{shown(root)}: no images found in class-index folders")
    ids = path_ids([f"{idx}/{shown(p.name)}" for idx, p in files])
    return list(unique((Sample(id=i, gold_wnid=wnids[idx], path=p)
                        for i, (idx, p) in zip(ids, files)), root))


def _int_dir(p: Path) -> int:
    if not (p.name.isascii() and p.name.isdigit()):
        raise DataError(f"{shown(p)}: ImageNetV2 folders must be integer class indices")
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


def require_hub(what: str) -> None:
    """Fail in seconds, in one line, when the Hugging Face Hub cannot be reached (offline mode,
    no network), instead of spending half a minute in the client's retries."""
    import socket
    import urllib.parse

    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        raise DataError(f"{what} needs the Hugging Face Hub, and HF_HUB_OFFLINE is set; pass "
                        "--data-dir with a local copy")
    url = urllib.parse.urlsplit(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    try:
        socket.create_connection((url.hostname, url.port or 443), timeout=3).close()
    except OSError:
        raise DataError(f"{what} needs the Hugging Face Hub, and {url.hostname} cannot be "
                        "reached; pass --data-dir with a local copy") from None


def fetch_imagenetv2(variant: str, repo: str = "vaishaal/ImageNetV2") -> Path:
    """Download `imagenetv2-<variant>.tar.gz` from the HF Hub once and extract it into the cache."""
    dest = cache_dir() / "imagenetv2"
    fname = f"imagenetv2-{variant}.tar.gz"
    if (dest / f".extracted-{fname}").exists():
        return dest
    require_hub(f"downloading {repo}/{fname}")
    try:
        from huggingface_hub import hf_hub_download
    except ImportError:
        raise MissingExtra("huggingface_hub", "hf", "downloading ImageNetV2") from None
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
    if not Path(dataset).exists():  # a local dataset folder needs no hub
        require_hub(f"streaming {dataset}")
    try:
        from datasets import Image, load_dataset
    except ImportError:
        raise MissingExtra("datasets", "hf", f"streaming {dataset}") from None
    try:
        ds = load_dataset(dataset, config, split=split, streaming=True)
    except Exception as e:
        raise DataError(f"could not open HF dataset {dataset} ({type(e).__name__}: "
                        f"{str(e).splitlines()[0] if str(e) else ''}); it may be gated: run "
                        "`hf auth login`, or pass --data-dir with a local copy") from None
    ds = ds.cast_column(image_column, Image(decode=False))
    if limit:
        ds = ds.shuffle(seed=seed, buffer_size=10_000).take(limit)
    # checked and opened now (before any run dir or request); the rows stream lazily
    return unique(_hf_samples(ds, split, wnids, image_column, label_column), dataset)


def _hf_samples(ds, split: str, wnids: tuple[str, ...], image_column: str,
                label_column: str) -> Iterator[Sample]:
    for k, row in enumerate(ds):
        img = row[image_column]
        data = img.get("bytes") or read_regular_file(img["path"])
        # a row's own file name, else its content: never its position, which a seeded
        # shuffle changes (two runs would give one id to two images)
        sid = Path(img["path"]).stem if img.get("path") else \
            "sha256-" + hashlib.sha256(data).hexdigest()[:16]
        yield Sample(id=shown(sid), gold_wnid=wnids[int(row[label_column])],
                     loader=io.BytesIO(data).getvalue)
