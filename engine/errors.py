"""The project's own exception types: every error a user can cause is one of these.

Each message names the file, the JSON path or node id, the port or the field, and what to do.
The CLI and the window show ``str(error)`` and never a traceback.
"""
from __future__ import annotations


class DesignerError(Exception):
    """Base of every error a user can cause."""


class DesignError(DesignerError):
    """A design document is malformed, or an edit to it is not allowed."""


class DesignFileError(DesignError):
    """A design file cannot be read: missing, not JSON, or not a valid design."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.detail = message
        super().__init__(f"{path}: {message}")


class CompileError(DesignerError):
    """A design that checks clean cannot become a module (should be rare)."""


class DataError(DesignerError):
    """A task or a data file cannot provide batches."""


class TaskParamError(DataError):
    """A task parameter that is not ``KEY=VALUE``; ``item`` is what was written, so each front end
    (the CLI's ``--task-param``, the window's Parameters field) can word the error its own way."""

    def __init__(self, item: str) -> None:
        self.item = item
        super().__init__(f'"{item}": expected KEY=VALUE, e.g. seq_len=50')


class CheckpointError(DesignerError):
    """A checkpoint cannot be read or does not belong to the design."""


class TrainingError(DesignerError):
    """A training run stopped for a reason the user must act on (NaN loss, bad settings)."""


class SettingsError(TrainingError):
    """A training setting (a design's ``metadata["training"]`` entry or a flag) is malformed."""
