"""`harness run` arguments, generated from the run manifest's fields (harness/manifest.py).

Each field becomes one flag with its help and default; nothing here repeats a default or a bound.
Arguments the user did not pass stay unset (argparse.SUPPRESS), so `--resume` can tell an option
given on the command line from a default, and pydantic validates the values in one place.
"""
from __future__ import annotations

import argparse
import typing
from typing import Any

from harness.manifest import RunOptions, flag


def add_run_options(p: argparse.ArgumentParser) -> None:
    for name, field in RunOptions.model_fields.items():
        meta: dict = field.json_schema_extra or {}  # type: ignore[assignment]
        if meta.get("cli") is False:
            continue
        default = field.default
        shown = "unset" if default is None else (repr(default) if default == "" else default)
        help_text = field.description or ""
        if "(default:" not in help_text:
            help_text += f" (default: {shown})"
        kwargs: dict[str, Any] = {"dest": name, "default": argparse.SUPPRESS, "help": help_text}
        choices = _choices(field.annotation)
        if field.annotation is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        elif meta.get("repeat"):
            kwargs.update(action="append", metavar=meta.get("metavar"))
        else:
            kwargs["metavar"] = meta.get("metavar") or (None if choices else _metavar(field))
            if choices:
                kwargs["choices"] = choices
        p.add_argument(flag(name), **kwargs)


def _metavar(field: Any) -> str:
    text = str(field.annotation)
    return "N" if "int" in text else "SECONDS" if "_s" in str(field.alias or "") else \
        "X" if "float" in text else "TEXT"


def _choices(annotation: Any) -> list[str] | None:
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    return None


def run_options(args: argparse.Namespace) -> RunOptions:
    """The options given on the command line (validated; unset ones keep their default)."""
    given = {k: getattr(args, k) for k in RunOptions.model_fields if hasattr(args, k)}
    for name, field in RunOptions.model_fields.items():
        into = (field.json_schema_extra or {}).get("repeat")  # type: ignore[union-attr]
        if into and isinstance(given.get(name), list):
            given[into] = given[name]
            given[name] = given[name][0]
    return RunOptions.parse(given)
