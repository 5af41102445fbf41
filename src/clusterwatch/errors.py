"""The clusterwatch exception hierarchy.

Every error the package raises on purpose derives from :class:`ClusterwatchError`, so callers (and the CLI, which
turns them into exit code 1 with a one-line reason) can catch one class.
"""

from __future__ import annotations


class ClusterwatchError(Exception):
    """Base class of every error raised on purpose by clusterwatch."""


class InputError(ClusterwatchError):
    """A source cannot be used at all: missing, unreadable, wrong format, or a required column absent.

    Parameters
    ----------
    message
        What is wrong, in the user's words.
    path
        The file concerned, when there is one.
    column
        The column concerned, when there is one.
    """

    def __init__(self, message: str, *, path: str | None = None, column: str | None = None) -> None:
        self.path = path
        self.column = column
        where = []
        if path is not None:
            where.append(f"file {path}")
        if column is not None:
            where.append(f"column {column!r}")
        prefix = f"{', '.join(where)}: " if where else ""
        super().__init__(prefix + message)


class OptionError(ClusterwatchError):
    """An option or parameter has a value that is not allowed; the message shows the value and the allowed ones."""


class WorkspaceError(ClusterwatchError):
    """The workspace file cannot be opened or does not hold what was asked for."""


class MissingDependencyError(ClusterwatchError, ImportError):
    """An optional dependency is not installed; the message names the extra that installs it."""
