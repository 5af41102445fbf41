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
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

__all__ = ["Table", "console", "err_console", "escape", "fmt", "fmt_range", "print_table", "progress"]

console = Console(stderr=False)
err_console = Console(stderr=True)

#: What a missing value looks like in printed output.
MISSING = "–"


def fmt(value: Any, *, digits: int = 3, percent: bool = False, missing: str = MISSING) -> str:
    """One way to show a value in console output.

    Integers get thousands separators; other numbers ``digits`` significant digits (at most, trailing zeros
    dropped), or a percentage with ``percent``; ``None``, NaN and NaT are ``missing``; anything else is ``str``.

    Examples
    --------
    >>> fmt(0.021199999999), fmt(12345), fmt(None), fmt(float("nan")), fmt(0.25, percent=True), fmt(3.0)
    ('0.0212', '12,345', '–', '–', '25%', '3')
    >>> fmt(1234.5678), fmt(-0.000012345), fmt(True)
    ('1,235', '-1.23e-05', 'yes')
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
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        x = float(value)
        if math.isnan(x):
            return missing
        if math.isinf(x):
            return "∞" if x > 0 else "-∞"
        if percent:
            return f"{x:.0%}" if abs(x) >= 0.01 or x == 0 else f"{x:.1%}"
        if x == int(x) and abs(x) < 1e15:
            return f"{int(x):,}"
        if abs(x) >= 10 ** digits:
            return f"{x:,.0f}"
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

    Cells that are not strings go through :func:`fmt`; strings are printed as they are (escaped for rich).
    """
    target = out or console
    cells = [[c if isinstance(c, str) else fmt(c) for c in row] for row in rows]
    if not target.is_terminal:
        lines = [f"# {title}", "\t".join(columns)]
        lines += ["\t".join(" ".join(c.split()) for c in row) for row in cells]
        target.file.write("\n".join(lines) + "\n")
        target.file.flush()
        return
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
