"""Where the shipped tasks/, prompts/ and leaderboards/ live: inside the wheel or in a checkout."""
from __future__ import annotations

import gc
import hashlib
import logging
import marshal
import os
from pathlib import Path
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator

from harness.errors import HarnessError

PKG = Path(__file__).resolve().parent
BUNDLED = PKG / "_bundled"  # wheel builds copy the top-level folders here (pyproject force-include)
CHECKOUT = PKG.parent


def resource_dir(name: str) -> Path:
    """`tasks`, `prompts` or `leaderboards`, from the installed wheel or the source checkout."""
    for base in (BUNDLED, CHECKOUT):
        if (base / name).is_dir():
            return base / name
    raise HarnessError(f"harness data folder {name!r} not found in {BUNDLED} or {CHECKOUT}; "
                            "reinstall the package")


def named_yaml(folder: str, name_or_path: str, what: str) -> Path:
    """A YAML file given by path, or by name in a shipped folder; the error lists the names."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return path
    candidate = resource_dir(folder) / f"{name_or_path}.yaml"
    if candidate.is_file():
        return candidate
    names = sorted(p.stem for p in resource_dir(folder).glob("*.yaml"))
    raise HarnessError(f"unknown {what} {name_or_path!r}; available: {', '.join(names)}")


def cache_dir() -> Path:
    """The user's cache folder: $HARNESS_CACHE, else $XDG_CACHE_HOME/harness, else
    ~/.cache/harness (read at call time, so a test or a caller can point it elsewhere)."""
    import os

    if os.environ.get("HARNESS_CACHE"):
        return Path(os.environ["HARNESS_CACHE"])
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "harness"


def version() -> str:
    """The installed package's version (defined once, in pyproject.toml)."""
    from importlib import metadata

    try:
        return metadata.version("harness-vlm")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def did_you_mean(name: str, known: list[str] | set[str] | dict) -> str:
    """' (did you mean 'x'?)' for the closest known name, or ''."""
    import difflib

    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def cached_build(kind: str, sources: Iterable[bytes], build: Callable[[], object],
                 valid: Callable[[object], bool] = lambda value: True, keep: int = 8) -> object:
    """build(), kept in the user cache as marshal (plain dicts, lists, tuples, sets, strings,
    numbers) under a name from `kind` and the sha256 of `sources`: what the value is derived
    from, so any change to them rebuilds it. marshal loads a few times faster than JSON and far
    faster than rebuilding: this is most of `harness parse`'s start-up. Pass the source code
    that shapes the value among `sources` too. An unreadable file, or one whose value fails
    `valid` (another layout), is rebuilt; a read-only or full cache folder costs only the next
    start its build. At most `keep` files of a kind stay (other versions, label spaces)."""
    h = hashlib.sha256()
    for blob in sources:
        h.update(hashlib.sha256(blob).digest())
    path = cache_dir() / "tables" / f"{kind}-{h.hexdigest()[:24]}.marshal"
    value = _load(path)
    if value is None or not valid(value):
        value = build()
        _save(path, value, keep)
    return value


@contextmanager
def collector_paused(pause: bool = True) -> Iterator[None]:
    """The garbage collector off for the block (and back as it was): for building or decoding
    ~10^5 containers none of which is garbage, where its passes over them cost as much as the
    work itself (WordNet's decode, the marshal caches, `harness parse`'s loop)."""
    paused = pause and gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _load(path: Path) -> object | None:
    try:
        with collector_paused():
            return marshal.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError, EOFError, TypeError) as e:  # unreadable or from another version
        logging.getLogger("harness").debug("cache file %s unusable (%s); rebuilding", path, e)
        return None


def _save(path: Path, value: object, keep: int) -> None:
    """Atomic write (a reader never sees half a file), then the oldest files of the kind go."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps(value))
        os.replace(tmp, path)
        kind = path.name.rsplit("-", 1)[0]  # "wordnet-" must not match "wordnet-lemmas-"
        old = sorted(path.parent.glob(f"{kind}-{'?' * 24}.marshal"),
                     key=lambda p: p.stat().st_mtime)
        for stale in old[:-keep]:
            stale.unlink(missing_ok=True)
    except OSError as e:
        logging.getLogger("harness").debug("cache file %s not written (%s)", path, e)
