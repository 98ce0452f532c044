"""Finding tasks: built-in tasks/, user folders, installed packages, Python decorators.

Precedence (the first source that defines a name wins; every shadowed definition is reported):
1. folders given with `--tasks-dir`, 2. folders in `HARNESS_TASKS_PATH` (os.pathsep-separated),
3. entry points in the group `harness.tasks`, 4. the tasks shipped with the harness.
A folder holds task YAML files and/or Python files that call `@register_task`. A definition that
fails to load is reported with its origin; the other tasks stay usable.
"""
from __future__ import annotations

import importlib.util
import os
import types
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable, Sequence

from harness.resources import did_you_mean, resource_dir
from harness.tasks.task import Task, TaskError, parse_task

ENTRY_POINT_GROUP = "harness.tasks"
_PY_TASKS: dict[str, tuple[Callable[[], Task], str]] = {}
_CURRENT_ORIGIN = ["python"]


def register_task(name: str) -> Callable[[Callable[[], Task]], Callable[[], Task]]:
    """Decorator for tasks defined in Python: `@register_task("my-task") def make(): ...`."""
    def deco(fn: Callable[[], Task]) -> Callable[[], Task]:
        _PY_TASKS[name] = (fn, _CURRENT_ORIGIN[0])
        return fn
    return deco


@dataclass
class Found:
    task: Task
    origin: str  # where the definition came from, for `harness tasks` and error messages


@dataclass
class Problem:
    origin: str
    message: str


@dataclass
class Catalog:
    tasks: dict[str, Found]
    problems: list[Problem]
    shadowed: list[str]


def _sources(extra: Sequence[str | Path]) -> list[tuple[str, Path]]:
    env = [Path(p) for p in os.environ.get("HARNESS_TASKS_PATH", "").split(os.pathsep) if p]
    return ([("--tasks-dir", Path(d)) for d in extra] +
            [("HARNESS_TASKS_PATH", d) for d in env])


def _from_dir(folder: Path, label: str, problems: list[Problem]) -> list[Found]:
    if not folder.is_dir():
        problems.append(Problem(f"{label} {folder}", "not a directory"))
        return []
    out: list[Found] = []
    for path in sorted(folder.iterdir()):
        if path.suffix in (".yaml", ".yml"):
            try:
                out.append(Found(parse_task(path), f"{label} {path}"))
            except (TaskError, OSError) as e:
                problems.append(Problem(f"{label} {path}", str(e)))
        elif path.suffix == ".py" and not path.name.startswith("_"):
            out += _from_python(path, f"{label} {path}", problems)
    return out


def _registered_by(origin: str) -> list[str]:
    return [name for name, (_, o) in _PY_TASKS.items() if o == origin]


def _from_python(path: Path, origin: str, problems: list[Problem]) -> list[Found]:
    _CURRENT_ORIGIN[0] = origin
    try:
        spec = importlib.util.spec_from_file_location(f"harness_user_tasks.{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except Exception as e:  # a user's plugin may raise anything; report it, keep going
        problems.append(Problem(origin, f"import failed: {type(e).__name__}: {e}"))
        return []
    finally:
        _CURRENT_ORIGIN[0] = "python"
    return _build(_registered_by(origin), problems)


def _build(names: list[str], problems: list[Problem]) -> list[Found]:
    out = []
    for name in names:
        fn, origin = _PY_TASKS[name]
        try:
            task = fn()
            if not isinstance(task, Task) or task.name != name:
                raise TaskError(f"@register_task({name!r}) must return a Task named {name!r}")
            out.append(Found(task, origin))
        except Exception as e:
            problems.append(Problem(origin, f"task {name!r} failed to build: {e}"))
    return out


def _from_entry_points(problems: list[Problem]) -> list[Found]:
    out: list[Found] = []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        origin = f"entry point {ep.name} ({ep.value})"
        _CURRENT_ORIGIN[0] = origin
        try:
            obj = ep.load()
            obj = obj() if callable(obj) and not isinstance(obj, (Task, str, Path)) else obj
        except Exception as e:
            problems.append(Problem(origin, f"import failed: {type(e).__name__}: {e}"))
            continue
        finally:
            _CURRENT_ORIGIN[0] = "python"
        if isinstance(obj, types.ModuleType) or obj is None:  # tasks came by @register_task
            out += _build(_registered_by(origin), problems)
        elif isinstance(obj, (str, Path)):
            out += _from_dir(Path(obj), origin, problems)
        else:
            items = obj if isinstance(obj, (list, tuple)) else [obj]
            for t in items:
                if isinstance(t, Task):
                    out.append(Found(t, origin))
                else:
                    problems.append(Problem(origin, "must give a Task, a list of Tasks or a "
                                                    f"folder of task files, not {type(t).__name__}"))
    return out


def catalog(dirs: Sequence[str | Path] = ()) -> Catalog:
    """Every task by name (aliases included), what failed to load, and what was shadowed.
    `dirs` (from `--tasks-dir`) are searched before everything else."""
    problems: list[Problem] = []
    found: list[Found] = []
    for label, folder in _sources(dirs):
        found += _from_dir(folder, label, problems)
    found += _from_entry_points(problems)
    found += _from_dir(resource_dir("tasks"), "built-in", problems)
    known = {f.task.name for f in found}
    found += _build([n for n in _registered_by("python") if n not in known], problems)
    tasks: dict[str, Found] = {}
    shadowed: list[str] = []
    for f in found:
        for name in [f.task.name, *f.task.aliases]:
            if name in tasks:
                if tasks[name].task is not f.task:
                    shadowed.append(f"{name}: {f.origin} is shadowed by {tasks[name].origin}")
            else:
                tasks[name] = f
    return Catalog(tasks, problems, shadowed)


def all_tasks(dirs: Sequence[str | Path] = ()) -> dict[str, Task]:
    return {name: f.task for name, f in catalog(dirs).tasks.items()}


def get_task(name: str, dirs: Sequence[str | Path] = ()) -> Task:
    cat = catalog(dirs)
    if name in cat.tasks:
        return cat.tasks[name].task
    broken = [p for p in cat.problems if names_task(p, name)]
    if broken:
        raise TaskError(f"task {name!r} failed to load ({broken[0].origin}): {broken[0].message}")
    note = (f"; {len(cat.problems)} definition(s) failed to load (see `harness tasks`)"
            if cat.problems else "")
    raise TaskError(f"unknown task {name!r}{did_you_mean(name, cat.tasks)}; available: "
                    f"{', '.join(sorted(cat.tasks))}{note}")


def names_task(problem: Problem, name: str) -> bool:
    """Does a load failure concern the task `name` (its file is NAME.yaml/.py, or it says so)?"""
    stem = Path(problem.origin.split(" ", 1)[-1]).stem
    return stem == name or f"'{name}'" in problem.message
