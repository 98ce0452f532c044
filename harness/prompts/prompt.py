"""Prompts: YAML files whose `text` is a Jinja2 template, rendered to OpenAI chat messages.

Found like tasks: `--prompts-dir` folders, then `HARNESS_PROMPTS_PATH`, then the shipped prompts/.
Templates may use `options` (multiple-choice prompts: a list of {letter, name}), `k` and
`sample_id`, and nothing else: prompts are files people download and share, so they are rendered
in Jinja2's immutable sandbox (no attribute starting with `_`, no method that changes data, no
globals such as `cycler` or `range`), with `*` and `**` bounded so `{{ 'x' * 10**12 }}` is
refused instead of filling memory. A prompt is rendered once with example values when it loads,
so a template that fails (syntax, an unknown name, a refused operation) is one line naming the
file before any run starts.
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
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from harness.errors import PromptError

from harness.resources import resource_dir

PROMPT_FIELDS = {"name", "description", "citation", "text", "system", "image_position",
                 "choices", "chat_template"}
TEMPLATE_VARS = {"options", "k", "sample_id"}
MAX_INT_BITS = 4096  # integers a template computes (a 1,233-digit number is plenty for a prompt)
MAX_REPEAT = 100_000  # characters or items `*` may build
# What a template can get wrong at render time, short of a bug in the harness.
TEMPLATE_FAILURES = (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError,
                     AttributeError, RecursionError, MemoryError)


class PromptEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, with no globals and the two operators that can exhaust memory bounded."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator: str, left, right):
        if operator == "**" and _is_int(left) and _is_int(right) and \
                left.bit_length() * abs(right) > MAX_INT_BITS:
            raise SecurityError(f"{left} ** {right} is too large for a prompt")
        if operator == "*":
            _check_product(left, right)
        return super().call_binop(context, operator, left, right)


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _check_product(left, right) -> None:
    if _is_int(left) and _is_int(right):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise SecurityError("a product too large for a prompt")
        return
    for seq, n in ((left, right), (right, left)):
        if isinstance(seq, (str, list, tuple)) and _is_int(n) and len(seq) * n > MAX_REPEAT:
            raise SecurityError(f"repeating {len(seq)} items {n} times is too large for a prompt")


_ENV = PromptEnvironment(undefined=jinja2.StrictUndefined, autoescape=False,
                         keep_trailing_newline=False)
_ENV.globals.clear()


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
        """Chat messages for one sample; only the documented variables reach the template."""
        text = render_text(self.text, self.path or self.name,
                           {k: v for k, v in variables.items() if k in TEMPLATE_VARS})
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


def render_text(text: str, where: Path | str, variables: dict) -> str:
    """The template rendered in the sandbox; any failure is one line naming `where`."""
    try:
        return _template(text).render(**variables).strip()
    except jinja2.UndefinedError as e:
        raise PromptError(f"{where}: template needs {_first_line(e)}") from None
    except SecurityError as e:
        raise PromptError(f"{where}: template refused: {_first_line(e)}") from None
    except jinja2.TemplateSyntaxError as e:
        raise PromptError(f"{where}: template error on line {e.lineno}: {e.message}") from None
    except TEMPLATE_FAILURES as e:
        raise PromptError(f"{where}: template error: {type(e).__name__}: {_first_line(e)}") \
            from None


def _first_line(e: BaseException) -> str:
    msg = getattr(e, "message", None) or str(e)
    return (msg.splitlines() or [""])[0][:300]


def example_variables(choices: dict | None) -> dict:
    """Values like those a run passes, to render a prompt once when it loads."""
    if not choices:
        return {"sample_id": "n01440764/example"}
    k = int(choices.get("k", 4))
    return {"sample_id": "n01440764/example", "k": k,
            "options": [{"letter": chr(65 + i), "name": f"class {i}"} for i in range(k)]}


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


def _check_choices(path: Path, choices) -> None:
    if choices is None:
        return
    k = choices.get("k", 4) if isinstance(choices, dict) else None
    if not (isinstance(k, int) and not isinstance(k, bool) and 2 <= k <= 26):
        raise PromptError(f"{path}: `choices` must be a mapping like {{k: 4}} (k from 2 to 26)")


def parse_prompt(path: Path) -> Prompt:
    try:
        raw = yaml.safe_load(path.read_bytes().decode("utf-8")) or {}
    except UnicodeDecodeError as e:
        raise PromptError(f"{path}: not UTF-8 text (byte {e.start}); save it as UTF-8") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise PromptError(f"{path}{f':{mark.line + 1}' if mark else ''}: invalid YAML") from None
    if not isinstance(raw, dict):
        raise PromptError(f"{path}: a prompt is a mapping with at least `text`")
    unknown = set(raw) - PROMPT_FIELDS
    if unknown:
        f = sorted(unknown)[0]
        close = difflib.get_close_matches(f, sorted(PROMPT_FIELDS), n=1)
        raise PromptError(f"{path}: unknown field {f!r}" +
                          (f"; did you mean {close[0]!r}?" if close else ""))
    if not isinstance(raw.get("text"), str):
        raise PromptError(f"{path}: a prompt needs `text` (a string)")
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
    _check_choices(path, raw.get("choices"))
    render_text(raw["text"], path, example_variables(raw.get("choices")))
    raw.setdefault("name", path.stem)
    return Prompt(path=path, **raw)
