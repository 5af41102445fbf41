"""CSV cells a spreadsheet would run as formulas are neutralised (OWASP CSV injection)."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from clusterwatch.report.csvsafe import FORMULA_STARTS, neutralise, write_csv


def test_every_formula_start_gets_an_apostrophe(tmp_path: Path) -> None:
    hostile = [f"{c}cmd|' /C calc'!A0" for c in FORMULA_STARTS]
    frame = pd.DataFrame({"name": [*hostile, "Acme", "-3.5", None], "n": range(len(hostile) + 3),
                          "x": [-1.5] * (len(hostile) + 3)})
    path = write_csv(frame, tmp_path / "out.csv")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    names = [r["name"] for r in rows]
    assert names[: len(hostile)] == ["'" + h.replace("\r", "\n") for h in hostile]  # a lone CR would split the row
    assert names[len(hostile):] == ["Acme", "-3.5", ""]  # text that is a plain number stays a number
    assert {r["x"] for r in rows} == {"-1.5"}  # numeric columns untouched
    assert not any(v.startswith(FORMULA_STARTS) and not v.startswith("-") for r in rows for v in r.values())


def test_string_and_category_columns_and_headers() -> None:
    frame = pd.DataFrame({"=sum": pd.Series(["@x", "ok"], dtype="string"),
                          "c": pd.Categorical(["+1+1", "y"])})
    safe = neutralise(frame)
    assert list(safe.columns) == ["'=sum", "c"]
    assert safe.iloc[:, 0].tolist() == ["'@x", "ok"] and safe["c"].tolist() == ["'+1+1", "y"]
    assert frame.iloc[0, 0] == "@x"  # the caller's frame is not changed


def test_report_writers_use_it(tmp_path: Path) -> None:
    """Every CSV writer in clusterwatch.report goes through write_csv (no bare DataFrame.to_csv)."""
    import clusterwatch.report as package

    folder = Path(package.__file__).parent
    offenders = [p.name for p in folder.glob("*.py") if p.name != "csvsafe.py" and ".to_csv(" in p.read_text()]
    assert offenders == []
