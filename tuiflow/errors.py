"""Errors are values with a message for a person (ARCHITECTURE habit 9).

Nothing in tuiflow lets a traceback reach a user: the CLI prints `str(error)` on one
line and exits non-zero; the UI shows it in place.
"""

from __future__ import annotations


class TuiflowError(Exception):
    """Base class of every error tuiflow reports to a person."""


class QueryError(TuiflowError):
    """A filter or order_by string that MLflow would reject.

    `offset` is the character offset of the offending token in `text` (None when the
    error is about the whole string, e.g. an empty IN list found only at evaluation).
    """

    def __init__(self, message: str, offset: int | None = None, text: str | None = None):
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.text = text

    def __str__(self) -> str:
        if self.offset is None:
            return self.message
        return f"{self.message} (at character {self.offset + 1})"


class StoreError(TuiflowError):
    """A store that cannot be read or written; `hint` says what to try."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class NotFoundError(StoreError):
    """An experiment, run, model or artifact that does not exist."""


class Cancelled(TuiflowError):
    """Raised by a search's progress callback to stop it (the user pressed Esc)."""

    def __init__(self) -> None:
        super().__init__("cancelled")


class InvalidArgumentError(TuiflowError):
    """A bad argument other than a filter (unknown experiment name, bad view type …)."""
