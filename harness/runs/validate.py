"""`harness validate TASK`: load a task the way a run would and report every problem found.

Loading the samples runs the loaders' own checks (duplicate ids among them); images are read and
decoded with the run's code and limits. Every message can be printed, whatever bytes a file name
holds (see `shown`)."""
from __future__ import annotations

import itertools
from pathlib import Path
from typing import Sequence

from harness.tasks.sources import DataError
from harness.tasks.labels import LabelError
from harness.prompts.images import ImageError, decode_image
from harness.prompts.prompt import PromptError, load_prompt
from harness.tasks.registry import catalog, names_task
from harness.tasks.sample import shown
from harness.tasks.task import TaskError

N_IMAGES = 8


def validate(name: str, data_dir: str | None = None, n_images: int = N_IMAGES,
             task_dirs: Sequence[str | Path] = (), prompt_dirs: Sequence[str | Path] = ()) -> dict:
    """{task, origin, ok, checks: [passed checks], problems: [messages]}."""
    cat = catalog(task_dirs)
    out: dict = {"task": name, "origin": None, "ok": False, "checks": [], "problems": []}
    if name not in cat.tasks:
        broken = [f"{p.origin}: {p.message}" for p in cat.problems if names_task(p, name)]
        out["problems"] = broken or [f"unknown task {name!r}; see `harness tasks`"]
        return out
    found = cat.tasks[name]
    task, out["origin"] = found.task, found.origin
    out["problems"] += [s for s in cat.shadowed if s.startswith(f"{name}:")]
    try:
        space = task.space()
        out["checks"].append(f"label space {space.name}: {len(space)} classes")
    except LabelError as e:
        out["problems"].append(f"{task.path}: {e}")
        return out
    try:
        load_prompt(task.prompt, prompt_dirs)
        out["checks"].append(f"prompt {task.prompt} loads")
    except PromptError as e:
        out["problems"].append(f"{task.path}: prompt: {e}")
    try:
        sel = task.select(data_dir)
        samples = list(itertools.islice(sel.samples, None if sel.total else n_images))
    except (DataError, LabelError, TaskError, OSError) as e:
        out["problems"].append(shown(str(e)))
        return _done(out)
    outside = sorted({s.gold_wnid for s in samples if s.gold_wnid not in space})
    if outside:
        out["problems"].append(f"{len(outside)} label(s) outside the label space, e.g. {outside[0]}")
    else:
        out["checks"].append(f"{len(samples)} samples, every label in the space")
    if task.size and sel.total and sel.total != task.size:
        out["problems"].append(f"{task.path}: size says {task.size}, found {sel.total} samples")
    out["problems"] += _open_images(samples, n_images)
    if not any("cannot open" in p for p in out["problems"]):
        out["checks"].append(f"opened {min(n_images, len(samples))} images")
    return _done(out)


def _open_images(samples: list, n: int) -> list[str]:
    step = max(1, len(samples) // n)
    problems = []
    for s in samples[::step][:n]:
        where = shown(s.path) if s.path is not None else s.id
        try:
            decode_image(s.read_bytes())
        except OSError as e:
            problems.append(f"{where}: cannot open image (cannot read: {e.strerror or e})")
        except ImageError as e:
            problems.append(f"{where}: cannot open image ({str(e).removeprefix('image: ')})")
    return problems


def _done(out: dict) -> dict:
    out["ok"] = not out["problems"]
    return out
