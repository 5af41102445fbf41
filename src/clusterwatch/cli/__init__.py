"""The ``clusterwatch`` command-line program: a thin layer over the library.

- :mod:`clusterwatch.cli.options`: the program object and every shared option (one default, one short flag each);
- :mod:`clusterwatch.cli.console`: consoles, tables and the one number formatter;
- :mod:`clusterwatch.cli.program`: the root command, the workspace commands and :func:`run` (exit codes);
- :mod:`clusterwatch.commands`: one module per command family, importing only ``options`` and ``console`` here.

This package module imports nothing at load time, so ``clusterwatch.cli.options`` can be imported by a command
without loading the program (no import cycle); :func:`run`, :func:`main` and ``app`` load it on first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["app", "main", "run"]


def run(argv: Sequence[str] | None = None) -> int:
    """Run the program with ``argv`` (default: ``sys.argv[1:]``) and return its exit code."""
    from clusterwatch.cli.program import run as _run

    return _run(argv)


def main() -> None:
    """Console-script entry point (``clusterwatch = clusterwatch.cli:main``)."""
    from clusterwatch.cli.program import main as _main

    _main()


#: Names commands imported from ``clusterwatch.cli`` before the split, and where they live now (new code imports
#: them from there; these keep a command written against the old module working).
_MOVED = {"console": "console", "err_console": "console", "_progress": "console", "WorkspaceOpt": "options",
          "_parse_columns": "options"}
_RENAMED = {"_progress": "progress", "_parse_columns": "parse_columns"}


def __getattr__(name: str) -> Any:
    import importlib

    if name == "app":  # the program with every command registered
        import clusterwatch.cli.program as _module

        return _module.app
    if name in _MOVED:
        module = importlib.import_module(f"clusterwatch.cli.{_MOVED[name]}")
        return getattr(module, _RENAMED.get(name, name))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
