"""Prompts: YAML files whose `text` is a Jinja2 template, rendered to OpenAI chat messages.

Found like tasks: `--prompts-dir` folders, then `HARNESS_PROMPTS_PATH`, then the shipped prompts/.
Templates may use `options` (multiple-choice prompts: a list of {letter, name}), `k` and
`sample_id`; a template that names anything else is rejected when the prompt loads, with the file.
"""
from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import jinja2
import jinja2.meta
import yaml

from harness.resources import resource_dir
from harness.errors import PromptError

PROMPT_FIELDS = {"name", "description", "citation", "text", "system", "image_position",
                 "choices", "chat_template"}
TEMPLATE_VARS = {"options", "k", "sample_id"}
_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False,
                          keep_trailing_newline=False)




@dataclass(frozen=True)
class Prompt:
    name: str
    text: str
    system: str | None = None
    image_position: str = "before"
    description: str = ""
    citation: str = ""
    choices: dict | None = None  # {k: 4, distractors: nearest|random}
    chat_template: str | None = None  # for served models that ship none
    path: Path | None = field(default=None, compare=False)

    def render(self, image_url: str, **variables) -> list[dict]:
        try:
            text = _template(self.text).render(**variables).strip()
        except jinja2.UndefinedError as e:
            raise PromptError(f"{self.path or self.name}: template needs {e.message}") from None
        image = {"type": "image_url", "image_url": {"url": image_url}}
        content = [image, {"type": "text", "text": text}]
        if self.image_position != "before":
            content.reverse()
        msgs = [{"role": "system", "content": self.system}] if self.system else []
        return msgs + [{"role": "user", "content": content}]

    @property
    def extra_body(self) -> dict | None:
        return {"chat_template": self.chat_template} if self.chat_template else None


@lru_cache(maxsize=64)
def _template(text: str) -> jinja2.Template:
    return _ENV.from_string(text)


def prompt_dirs(extra: Sequence[str | Path] = ()) -> list[tuple[str, Path]]:
    """`extra` folders (from `--prompts-dir`) first, then HARNESS_PROMPTS_PATH, then built-in."""
    env = [Path(p) for p in os.environ.get("HARNESS_PROMPTS_PATH", "").split(os.pathsep) if p]
    return ([("--prompts-dir", Path(d)) for d in extra] +
            [("HARNESS_PROMPTS_PATH", d) for d in env] + [("built-in", resource_dir("prompts"))])


def all_prompts(extra: Sequence[str | Path] = ()) -> dict[str, tuple[Path, str]]:
    """name -> (file, origin); the first folder in precedence order wins."""
    out: dict[str, tuple[Path, str]] = {}
    for origin, folder in prompt_dirs(extra):
        for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
            out.setdefault(path.stem, (path, origin))
    return out


def load_prompt(name_or_path: str, extra: Sequence[str | Path] = ()) -> Prompt:
    path = Path(name_or_path)
    if not (path.suffix in (".yaml", ".yml") and path.is_file()):
        known = all_prompts(extra)
        if name_or_path not in known:
            close = difflib.get_close_matches(name_or_path, list(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise PromptError(f"unknown prompt {name_or_path!r}{hint}; available: "
                              f"{', '.join(sorted(known))}")
        path = known[name_or_path][0]
    return parse_prompt(path)


def parse_prompt(path: Path) -> Prompt:
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise PromptError(f"{path}{f':{mark.line + 1}' if mark else ''}: invalid YAML") from None
    unknown = set(raw) - PROMPT_FIELDS
    if unknown:
        f = sorted(unknown)[0]
        close = difflib.get_close_matches(f, sorted(PROMPT_FIELDS), n=1)
        raise PromptError(f"{path}: unknown field {f!r}" +
                          (f"; did you mean {close[0]!r}?" if close else ""))
    if "text" not in raw:
        raise PromptError(f"{path}: a prompt needs `text`")
    try:
        names = jinja2.meta.find_undeclared_variables(_ENV.parse(raw["text"]))
    except jinja2.TemplateSyntaxError as e:
        raise PromptError(f"{path}: template error on line {e.lineno}: {e.message}") from None
    missing = names - TEMPLATE_VARS
    if missing:
        raise PromptError(f"{path}: template uses undefined variable(s) {sorted(missing)}; "
                          f"available: {sorted(TEMPLATE_VARS)}")
    if "options" in names and not raw.get("choices"):
        raise PromptError(f"{path}: template uses `options` but has no `choices: {{k: ...}}`")
    raw.setdefault("name", path.stem)
    return Prompt(path=path, **raw)
