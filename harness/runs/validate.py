"""`harness validate TASK`: load a task the way a run would and report every problem found."""
from __future__ import annotations

import io
import itertools
from pathlib import Path
from typing import Sequence

from harness.tasks.sources import DataError
from harness.tasks.labels import LabelError
from harness.prompts.prompt import PromptError, load_prompt
from harness.tasks.registry import catalog, names_task
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
        out["problems"].append(str(e))
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
    from PIL import Image

    step = max(1, len(samples) // n)
    problems = []
    for s in samples[::step][:n]:
        try:
            Image.open(io.BytesIO(s.read_bytes())).load()
        except Exception as e:  # any decoder failure is a finding, not a crash
            problems.append(f"{s.path or s.id}: cannot open image ({type(e).__name__}: {e})")
    return problems


def _done(out: dict) -> dict:
    out["ok"] = not out["problems"]
    return out
