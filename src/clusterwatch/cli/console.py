"""What the commands print: the consoles, a progress bar, tables and one number formatter.

Tables go to a terminal as rich tables; when standard output is not a terminal (a pipe, a file, a test) they are
printed as tab-separated lines with full, unabbreviated values, so nothing is cut or wrapped away. Every number
shown goes through :func:`fmt`: no ``None``, no ``nan``, no ``0.0211999…``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.errors import MarkupError
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

__all__ = ["Table", "console", "err_console", "escape", "fmt", "fmt_range", "print_table", "progress", "table_lines"]



def _plain(cell: Any) -> str:
    if isinstance(cell, Text):
        text = cell.plain
    elif isinstance(cell, str):
        try:
            text = Text.from_markup(cell).plain
        except MarkupError:
            text = cell
    else:
        text = str(cell)
    return " ".join(text.split())


def table_lines(table: Table) -> list[str]:
    """A rich table as plain lines: ``# title``, then tab-separated header and rows, every cell in full."""
    columns = list(table.columns)
    lines = [f"# {_plain(table.title)}"] if table.title else []
    lines.append("\t".join(_plain(c.header) for c in columns))
    cells = [list(c.cells) for c in columns]
    for i in range(table.row_count):
        lines.append("\t".join(_plain(col[i]) if i < len(col) else "" for col in cells))
    return lines


class _Console(Console):
    """A rich console that, when its output is not a terminal, never wraps a line (a pipe keeps whole lines) and
    prints tables as tab-separated lines with every value in full (no column cut to ``…`` at 80 characters)."""

    def print(self, *objects: Any, **kwargs: Any) -> None:  # noqa: D102 - rich's own
        if self.is_terminal:
            super().print(*objects, **kwargs)
            return
        kwargs.setdefault("soft_wrap", True)
        for obj in objects:
            if isinstance(obj, Table):
                self.file.write("\n".join(table_lines(obj)) + "\n")
                self.file.flush()
            else:
                super().print(obj, **kwargs)


console: Console = _Console(stderr=False)
err_console: Console = _Console(stderr=True)

#: What a missing value looks like in printed output.
MISSING = "–"


def fmt(value: Any, *, digits: int = 3, percent: bool = False, missing: str = MISSING, grouping: bool = True) -> str:
    """One way to show a value in console output.

    Integers get thousands separators; other numbers ``digits`` significant digits (at most, trailing zeros
    dropped), or a percentage with ``percent``; ``None``, NaN and NaT are ``missing``; anything else is ``str``.
    Without ``grouping`` no thousands separators (for machine-read output).

    Examples
    --------
    >>> fmt(0.021199999999), fmt(12345), fmt(None), fmt(float("nan")), fmt(0.25, percent=True), fmt(3.0)
    ('0.0212', '12,345', '–', '–', '25%', '3')
    >>> fmt(1234.5678), fmt(-0.000012345), fmt(True), fmt(12345, grouping=False)
    ('1,235', '-1.23e-05', 'yes', '12345')
    """
    if value is None:
        return missing
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return missing
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    if isinstance(value, bool):
        return "yes" if value else "no"
    sep = "," if grouping else ""
    if isinstance(value, numbers.Integral):
        return f"{int(value):{sep}}"
    if isinstance(value, numbers.Real):
        x = float(value)
        if math.isnan(x):
            return missing
        if math.isinf(x):
            return "∞" if x > 0 else "-∞"
        if percent:
            return f"{x:.0%}" if abs(x) >= 0.01 or x == 0 else f"{x:.1%}"
        if x == int(x) and abs(x) < 1e15:
            return f"{int(x):{sep}}"
        if abs(x) >= 10 ** digits:
            return f"{x:{sep}.0f}"
        return f"{x:.{digits}g}"
    text = str(value)
    return missing if text in ("", "None", "nan", "NaT", "<NA>") else text


def fmt_range(lo: Any, hi: Any, *, missing: str = "no dates") -> str:
    """``lo … hi``, or ``missing`` when both ends are missing (never ``None … None``).

    >>> fmt_range("2001-01-01", "2020-12-31"), fmt_range(None, None)
    ('2001-01-01 … 2020-12-31', 'no dates')
    """
    a, b = fmt(lo, missing=""), fmt(hi, missing="")
    if not a and not b:
        return missing
    return f"{a or '?'} … {b or '?'}"


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *,
                right: Iterable[str] = (), out: Console | None = None) -> None:
    """Print a table: a rich table on a terminal, else a title line and tab-separated lines with full values.

    Cells that are not strings go through :func:`fmt` (without thousands separators in the tab-separated form);
    strings are printed as they are (escaped for rich).
    """
    target = out or console
    plain = not target.is_terminal
    cells = [[c if isinstance(c, str) else fmt(c, grouping=not plain) for c in row] for row in rows]
    aligned = set(right)
    table = Table(title=escape(title))
    for name in columns:
        table.add_column(escape(name), justify="right" if name in aligned else "left")
    for row in cells:
        table.add_row(*(escape(c) for c in row))
    target.print(table)


def progress() -> Progress:
    """A progress bar on standard error, shown only on a terminal (it disappears when done)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )
