"""Every error a user can fix derives from HarnessError; anything else is a bug in the harness.

The CLI prints a HarnessError as one line (`harness: error: ...`, exit 2) and shows a traceback
for any other exception, so an internal bug never hides behind a tidy message. Raise the most
specific class; the message says what is wrong and what to do, naming the file or option.
"""
from __future__ import annotations


class HarnessError(Exception):
    """A problem with the user's input or environment; the message is the whole explanation."""


class OptionError(HarnessError):
    """A run option with a bad value, or one that `--resume` cannot change."""


class TaskError(HarnessError):
    """A task name or definition that cannot be used."""


class DataError(HarnessError):
    """A dataset that cannot be used as given."""


class LabelError(HarnessError):
    """A label space, or labels that name no class of it."""


class PromptError(HarnessError):
    """A prompt file or template that cannot be used."""


class BackendError(HarnessError):
    """The model cannot be used for this run (unreachable server, wrong URL, model not loadable)."""


class ServerError(BackendError):
    """A managed server (vLLM, transformers serve) did not start or died."""


class StoreError(HarnessError):
    """A run directory that cannot be read or written."""


class RunError(HarnessError):
    """The run cannot start or go on; finished samples are kept in the run dir."""


class ReportError(HarnessError):
    """Runs that cannot be compared or reported together."""


class LeaderboardError(HarnessError):
    """A leaderboard definition or build that cannot be done."""


class PublishError(HarnessError):
    """A leaderboard that cannot be published to the given target."""


class MissingExtra(HarnessError):
    """A command needs an optional dependency that is not installed."""

    def __init__(self, package: str, extra: str, what: str) -> None:
        super().__init__(f"{what} needs `{package}`, which is not installed: "
                         f"pip install 'harness-vlm[{extra}]' (with -c constraints.txt)")
