"""Where the shipped tasks/, prompts/ and leaderboards/ live: inside the wheel or in a checkout."""
from __future__ import annotations

from pathlib import Path

PKG = Path(__file__).resolve().parent
BUNDLED = PKG / "_bundled"  # wheel builds copy the top-level folders here (pyproject force-include)
CHECKOUT = PKG.parent


def resource_dir(name: str) -> Path:
    """`tasks`, `prompts` or `leaderboards`, from the installed wheel or the source checkout."""
    for base in (BUNDLED, CHECKOUT):
        if (base / name).is_dir():
            return base / name
    raise FileNotFoundError(f"harness data folder {name!r} not found in {BUNDLED} or {CHECKOUT}; "
                            "reinstall the package")
