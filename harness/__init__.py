"""harness: how well does a vision-language model name what is in an ImageNet photo?

The public API is small on purpose: run an evaluation, re-score a run, parse answers, read label
spaces and tasks. Names (and `__version__`, read from package metadata) are imported on first
use, so `harness tasks` does not pay for the HTTP client and `import harness` stays fast.
"""
from __future__ import annotations

import importlib
from typing import Any

_API = {
    "run": "harness.runs.run", "RunOptions": "harness.manifest", "Registry": "harness.runs.plan",
    "rescore": "harness.runs.rescore", "HarnessError": "harness.errors",
    "Parser": "harness.parse.parser", "ParseResult": "harness.parse.parser",
    "parser_for": "harness.parse.parser", "Task": "harness.tasks.task",
    "get_task": "harness.tasks.registry", "register_task": "harness.tasks.registry",
    "LabelSpace": "harness.wordnet.graph", "label_space": "harness.wordnet.graph",
    "custom_space": "harness.wordnet.graph", "wordnet": "harness.wordnet.graph",
}
__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from harness.resources import version

        return version()
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'harness' has no attribute {name!r}")
