"""Tasks: YAML definitions in tasks/ (and later plugin folders), loaded through one registry.

A task names a data source, a label space and a default prompt. `Task.select()` turns it into the
samples of one run: all of them, or a seeded subset stratified over classes (`--limit`).
"""
from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import yaml

from harness import datasources as ds
from harness.records import Sample, fingerprint
from harness.resources import resource_dir

TASK_FIELDS = {"name", "description", "aliases", "label_space", "prompt", "source", "size",
               "citation", "license", "homepage"}
SOURCE_TYPES = {"manifest", "imagenet-val", "imagenetv2", "class-folders"}


class TaskError(Exception):
    """A task name or definition that cannot be used; the message says what to do."""


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
    label_space: str = "imagenet-1k"
    prompt: str = "open-ended"
    size: int | None = None
    aliases: list[str] = field(default_factory=list)
    citation: str = ""
    license: str = ""
    homepage: str = ""
    path: Path | None = None  # the YAML file it came from

    def select(self, data_dir: str | Path | None = None, limit: int | None = None,
               seed: int = 0) -> Selection:
        """The samples for a run; raises DataError with a one-line reason."""
        kind = self.source["type"]
        if kind in ("imagenet-val", "class-folders") and data_dir is None and self.source.get(
                "hf_dataset"):
            return self._hf(limit, seed)
        samples = self._local(Path(data_dir) if data_dir else None)
        if limit is not None and limit < len(samples):
            samples = stratified(samples, limit, seed)
        return Selection(samples, len(samples), fingerprint(samples))

    def _local(self, data_dir: Path | None) -> list[Sample]:
        src, kind = self.source, self.source["type"]
        if kind == "manifest":
            return ds.load_manifest(data_dir / "labels.csv" if data_dir else self._rel(src["path"]))
        if data_dir is None and kind != "imagenetv2":
            raise ds.DataError(f"task {self.name} needs --data-dir (a folder of the dataset)")
        if kind == "imagenet-val":
            return ds.load_imagenet_val(data_dir, self._rel(src["ground_truth"]))
        if kind == "class-folders":
            return ds.load_class_folders(data_dir)
        variant = src["variant"]
        root = (ds.find_v2_root(data_dir, variant) if data_dir else
                ds.find_v2_root(ds.fetch_imagenetv2(variant, src.get("hf_repo",
                                                                      "vaishaal/ImageNetV2")),
                                variant))
        return ds.load_imagenetv2(root)

    def _hf(self, limit: int | None, seed: int) -> Selection:
        src = self.source
        total = min(limit, self.size or limit) if limit else (self.size or 0)
        key = f"{src['hf_dataset']}:{src.get('split', 'validation')}:{limit}:{seed}"
        stream = ds.iter_hf_imagenet(src["hf_dataset"], src.get("split", "validation"), limit, seed)
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


def parse_task(path: Path) -> Task:
    """One YAML file -> Task, with a clear error naming the file for anything wrong."""
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise TaskError(f"{path}{where}: invalid YAML ({getattr(e, 'problem', e)})") from None
    if not isinstance(raw, dict) or "name" not in raw or "source" not in raw:
        raise TaskError(f"{path}: a task needs at least `name` and `source`")
    unknown = set(raw) - TASK_FIELDS
    if unknown:
        raise TaskError(f"{path}: unknown field(s) {sorted(unknown)}; valid: {sorted(TASK_FIELDS)}")
    if raw["source"].get("type") not in SOURCE_TYPES:
        raise TaskError(f"{path}: source.type must be one of {sorted(SOURCE_TYPES)}")
    return Task(path=path, **raw)


TaskFactory = Callable[[], Task]
_PY_TASKS: dict[str, TaskFactory] = {}


def register_task(name: str) -> Callable[[TaskFactory], TaskFactory]:
    """Decorator for tasks defined in Python: `@register_task("my-task") def make(): ...`."""
    def deco(fn: TaskFactory) -> TaskFactory:
        _PY_TASKS[name] = fn
        return fn
    return deco


def task_dirs() -> list[Path]:
    return [resource_dir("tasks")]


def all_tasks() -> dict[str, Task]:
    """Name -> Task for every known task (aliases included)."""
    found: dict[str, Task] = {}
    for d in task_dirs():
        for path in sorted(d.glob("*.yaml")):
            task = parse_task(path)
            for name in [task.name, *task.aliases]:
                found.setdefault(name, task)
    for name, fn in _PY_TASKS.items():
        found.setdefault(name, fn())
    return found


def get_task(name: str) -> Task:
    tasks = all_tasks()
    if name not in tasks:
        raise TaskError(f"unknown task {name!r}; available: {', '.join(sorted(tasks))}")
    return tasks[name]
