"""The harness's user-fixable problems: one base class the CLI turns into one line and exit 2."""
from __future__ import annotations


class HarnessError(Exception):
    """A problem the user can fix; the message names the file/option and what to do."""


class TaskError(HarnessError):
    """A task name or definition that cannot be used."""


class DataError(HarnessError):
    """A dataset that cannot be used as given."""


class LabelError(HarnessError):
    """A label or label space that cannot be resolved."""


class PromptError(HarnessError):
    """A prompt file that cannot be loaded or rendered."""


class BackendError(HarnessError):
    """A model backend that cannot serve the run."""


class ServerError(HarnessError):
    """A managed server that cannot be started or kept running."""


class StoreError(HarnessError):
    """A run directory that cannot be read or written."""


class RunError(HarnessError):
    """The run cannot start or go on; what was done is kept in the run dir."""


class ReportError(HarnessError):
    """Runs that cannot be compared or reported."""


class LeaderboardError(HarnessError):
    """A leaderboard definition or its runs that cannot be built."""


class PublishError(HarnessError):
    """A leaderboard that cannot be published."""
