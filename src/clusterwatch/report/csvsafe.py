"""CSV files that spreadsheets cannot turn into formulas (CSV / formula injection, OWASP).

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a formula by Excel,
LibreOffice and Google Sheets; a firm called ``=HYPERLINK("http://evil", "click")`` would become a live link.
Following the OWASP rule, such text cells get a leading apostrophe (``'=HYPERLINK…``), which spreadsheets show as
text. Numbers stay numbers: numeric columns are untouched, and a text cell that is a plain number (``-3.5``) is
left as it is, since no spreadsheet evaluates it as more than that number. Carriage returns inside text become
line feeds: pandas does not quote a field for a lone CR, and readers then split the row there.

References
----------
OWASP, "CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["FORMULA_STARTS", "neutralise", "neutralise_cell", "write_csv"]

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def neutralise_cell(value: Any) -> Any:
    """``value`` with a leading apostrophe if it is text a spreadsheet would evaluate; anything else unchanged.

    Examples
    --------
    >>> neutralise_cell("=1+2"), neutralise_cell("@SUM(A1)"), neutralise_cell("-3.5"), neutralise_cell("Acme")
    ("'=1+2", "'@SUM(A1)", '-3.5', 'Acme')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def _one_line_ending(value: Any) -> Any:
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and text column names) are safe for spreadsheets."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if series.dtype == object or isinstance(series.dtype, (pd.StringDtype, pd.CategoricalDtype)):
            out[column] = series.astype(object).map(neutralise_cell).map(_one_line_ending)
    out.columns = [neutralise_cell(c) if isinstance(c, str) else c for c in out.columns]
    if out.index.dtype == object:
        out.index = out.index.map(neutralise_cell)
    return out


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str], *, index: bool = False, **options: Any) -> Path:
    """Write ``frame`` as CSV (UTF-8) after :func:`neutralise`; the one way the project writes CSV files.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    target = Path(path)
    neutralise(frame).to_csv(target, index=index, **options)
    return target
