"""Where the shipped tasks/, prompts/ and leaderboards/ live: inside the wheel or in a checkout."""
from __future__ import annotations

from pathlib import Path
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
