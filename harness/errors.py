"""User-fixable problems: each carries a one-line message naming the file/option and what to do.

The CLI turns any HarnessError into that line and exit status 2; anything else is a bug."""
from __future__ import annotations


class HarnessError(Exception):
    """Base of every error the user can fix."""


class TaskError(HarnessError):
    pass


class DataError(HarnessError):
    pass


class LabelError(HarnessError):
    pass


class PromptError(HarnessError):
    pass


class BackendError(HarnessError):
    pass


class ServerError(HarnessError):
    pass


class StoreError(HarnessError):
    pass


class RunError(HarnessError):
    pass


class ReportError(HarnessError):
    pass


class LeaderboardError(HarnessError):
    pass


class PublishError(HarnessError):
    pass
