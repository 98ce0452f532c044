"""Tasks: a data source, a label space and a default prompt, defined in YAML or Python.

`Task.select()` turns a task into the samples of one run: all of them, or a seeded subset
stratified over classes (`--limit`). Discovery (built-in, user folders, entry points) lives in
registry.py; this module only knows what one task is.
"""
from __future__ import annotations

import difflib
import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import yaml

from harness.errors import TaskError
from harness.tasks import sources as ds
from harness.tasks.labels import LabelResolver, space_from_spec
from harness.tasks.sample import Sample, fingerprint
from harness.wordnet.graph import LabelSpace

TASK_FIELDS = {"name", "description", "aliases", "label_space", "prompt", "size", "citation",
               "license", "homepage", "source", "limit"}
SOURCE_FIELDS = {
    "manifest": {"path"},
    "class-folders": {"path", "hf_dataset", "split", "config", "image_column", "label_column"},
    "imagenetv2": {"path", "variant", "hf_repo"},
    "imagenet-val": {"path", "ground_truth", "hf_dataset", "split", "config", "image_column",
                     "label_column"},
    "hf": {"hf_dataset", "split", "config", "image_column", "label_column"},
}




@dataclass
class Selection:
    """The samples of one run. `samples` may be a lazy stream (HF datasets)."""

    samples: Iterable[Sample]
    total: int
    fingerprint: str


@dataclass
class Task:
    name: str
    source: dict
    description: str = ""
    label_space: str | dict = "imagenet-1k"
    prompt: str = "open-ended"
    size: int | None = None
    aliases: list[str] = field(default_factory=list)
    citation: str = ""
    license: str = ""
    homepage: str = ""
    limit: int | None = None
    path: Path | None = None  # the file it came from

    @property
    def space_name(self) -> str:
        return self.label_space if isinstance(self.label_space, str) else self.label_space["name"]

    def space(self) -> LabelSpace:
        return space_from_spec(self.label_space, self.path.parent if self.path else None)

    def select(self, data_dir: str | Path | None = None, limit: int | None = None,
               seed: int | None = None) -> Selection:
        """The samples for a run; raises DataError / LabelError with a one-line reason. A
        subset (`limit`) needs the run's seed: there is no default seed but the run's own."""
        limit = limit or self.limit
        if limit is not None and seed is None:
            raise TaskError(f"task {self.name}: a subset of {limit} samples needs a seed")
        src = self.source
        local = Path(data_dir) if data_dir else (self._rel(src["path"]) if src.get("path")
                                                  else None)
        if local is None and src.get("hf_dataset"):
            return self._hf(limit, seed)
        samples = self._local(local)
        if limit is not None and limit < len(samples):
            samples = stratified(samples, limit, seed)
        return Selection(samples, len(samples), fingerprint(samples))

    def _local(self, folder: Path | None) -> list[Sample]:
        src, kind = self.source, self.source["type"]
        if kind == "imagenetv2":
            variant = src["variant"]
            root = folder or ds.fetch_imagenetv2(variant, src.get("hf_repo", "vaishaal/ImageNetV2"))
            return ds.load_imagenetv2(ds.find_v2_root(root, variant))
        if folder is None:
            raise ds.DataError(f"task {self.name} needs --data-dir (a local copy of the dataset)")
        if kind == "manifest":
            if folder.is_dir():
                folder = next((folder / n for n in ("labels.csv", "labels.jsonl")
                               if (folder / n).is_file()), folder / "labels.csv")
            return ds.load_manifest(folder, LabelResolver(self.space()))
        if kind == "imagenet-val":
            return ds.load_imagenet_val(folder, self._rel(src["ground_truth"]))
        return ds.load_class_folders(folder, LabelResolver(self.space()))

    def _hf(self, limit: int | None, seed: int) -> Selection:
        src = self.source
        split = src.get("split", "validation")
        if not limit and not self.size:
            raise TaskError(f"task {self.name} streams {src['hf_dataset']} and gives no `size:`; "
                            "add its number of samples to the task file (a run must know when "
                            "it is complete), or pass --limit")
        total = min(limit, self.size or limit) if limit else self.size
        key = f"{src['hf_dataset']}:{src.get('config')}:{split}:{limit}:{seed}"
        stream = ds.iter_hf(src["hf_dataset"], split, limit, seed, self.space().wnids,
                            src.get("image_column", "image"), src.get("label_column", "label"),
                            src.get("config"))
        return Selection(stream, total, hashlib.sha256(key.encode()).hexdigest())

    def _rel(self, rel: str) -> Path:
        return (self.path.parent if self.path else Path.cwd()) / rel


def stratified(samples: list[Sample], n: int, seed: int) -> list[Sample]:
    """n samples spread evenly over classes: seeded shuffles, then round-robin over classes."""
    rng = random.Random(seed)
    by_class: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_class[s.gold_wnid].append(s)
    classes = sorted(by_class)
    rng.shuffle(classes)
    for c in classes:
        rng.shuffle(by_class[c])
    out: list[Sample] = []
    depth = 0
    while len(out) < n:
        for c in classes:
            if depth < len(by_class[c]):
                out.append(by_class[c][depth])
                if len(out) == n:
                    break
        depth += 1
    return out


def _unknown(fields: set[str], valid: set[str], where: str) -> None:
    for f in sorted(fields - valid):
        close = difflib.get_close_matches(f, sorted(valid), n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"valid: {sorted(valid)}"
        raise TaskError(f"{where}: unknown field {f!r}; {hint}")


def _line_of(text: str, key: str) -> int:
    for n, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith(f"{key}:"):
            return n
    return 1


def parse_task(path: Path) -> Task:
    """One YAML file -> Task, with an error naming the file and line for anything wrong."""
    text = path.read_text()
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise TaskError(f"{path}{where}: invalid YAML ({getattr(e, 'problem', e)})") from None
    if not isinstance(raw, dict) or "name" not in raw or "source" not in raw:
        raise TaskError(f"{path}:1: a task needs at least `name` and `source`")
    for key in set(raw) - TASK_FIELDS:
        _unknown({key}, TASK_FIELDS, f"{path}:{_line_of(text, key)}")
    src = raw["source"]
    kind = src.get("type") if isinstance(src, dict) else None
    if kind not in SOURCE_FIELDS:
        raise TaskError(f"{path}:{_line_of(text, 'source')}: source.type must be one of "
                        f"{sorted(SOURCE_FIELDS)}")
    for key in set(src) - SOURCE_FIELDS[kind] - {"type"}:
        _unknown({key}, SOURCE_FIELDS[kind], f"{path}:{_line_of(text, key)}: source")
    return Task(path=path, **raw)
