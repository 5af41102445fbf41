"""Codes without a code system: --code-system reaches the rows, the system is inferred where the codes' shape
leaves no doubt (with a note), and otherwise a warning names the file and the column — never silence."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

import clusterwatch
from clusterwatch.io.validate import fill_code_systems

TODAY = dt.date(2026, 11, 27)


def _csv(tmp_path: Path, name: str, codes: list[str], *, systems: list[str] | None = None,
         country: str | None = None) -> Path:
    frame = pd.DataFrame({"firm_id": [f"f{i}" for i in range(len(codes))],
                          "lat": [42.3 + i / 100 for i in range(len(codes))], "lon": -71.0, "code": codes})
    if systems is not None:
        frame["code_system"] = systems
    if country is not None:
        frame["country"] = country
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def _read(path: Path, **options: str) -> clusterwatch.IngestResult:
    result = clusterwatch.read_firms(path, today=TODAY, **options)  # type: ignore[arg-type]
    report = result.report
    assert report.rows_read == report.accepted + report.rejected  # inferring never loses a row
    return result


def test_naics_inferred_with_a_note(tmp_path: Path) -> None:
    result = _read(_csv(tmp_path, "us.csv", ["541511", "238220", "722511", "5415"]))
    assert result.firms["code_system"].tolist() == ["naics"] * 4
    assert result.report.rejected == 0
    (note,) = result.report.sources[0].notes
    assert note.startswith("code_system inferred as naics from the codes' shape in column 'code' of us.csv")


def test_dotted_nace_inferred_and_stored_without_dots(tmp_path: Path) -> None:
    result = _read(_csv(tmp_path, "eu.csv", ["62.01", "71.12", "10.71"]))
    assert result.firms["code_system"].tolist() == ["nace2"] * 3
    assert result.firms["code"].tolist() == ["6201", "7112", "1071"]


def test_uk_sic_needs_the_country(tmp_path: Path) -> None:
    path = _csv(tmp_path, "uk.csv", ["62012", "71121", "56101", "47110"])
    assert _read(path, country="GB").firms["code_system"].tolist() == ["uksic2007"] * 4
    # the same five-digit codes without a country could be UK SIC, SN2007 or NAICS: a warning, no system
    result = _read(path)
    assert result.firms["code_system"].isna().all()
    (note,) = result.report.sources[0].notes
    assert "codes in column 'code' of uk.csv have no code system" in note
    assert "pass --code-system naics|nace2|uksic2007|sn2007" in note
    # a country column does what --country does
    assert _read(_csv(tmp_path, "uk2.csv", ["62012", "71121"], country="GB")).firms["code_system"].tolist() == [
        "uksic2007"] * 2


def test_ambiguous_codes_warn_naming_file_and_column(tmp_path: Path) -> None:
    result = _read(_csv(tmp_path, "two_digits.csv", ["62", "71", "23"]))
    assert result.firms["code_system"].isna().all() and result.firms["code"].notna().all()
    (note,) = result.report.sources[0].notes
    assert note.startswith("warning: 3 codes in column 'code' of two_digits.csv have no code system")


def test_code_system_option_reaches_rows_with_an_empty_system(tmp_path: Path) -> None:
    # a code_system column that is partly empty: the option fills the gaps, the given systems stay
    path = _csv(tmp_path, "mixed.csv", ["62", "6201", "71"], systems=["nace2", "", ""])
    result = _read(path, code_system="NAICS")
    assert result.firms["code_system"].tolist() == ["nace2", "naics", "naics"]
    assert result.report.sources[0].notes == ()


def test_rows_with_systems_are_left_alone(tmp_path: Path) -> None:
    result = _read(_csv(tmp_path, "given.csv", ["541511", "238220"], systems=["naics", "naics"]))
    assert result.report.sources[0].notes == ()
    assert result.firms["code_system"].tolist() == ["naics", "naics"]


def test_no_inference_that_would_reject_a_row() -> None:
    # the codes look like NACE, but a 'codes' entry is malformed for it: no system, a warning, no rejections
    rows = pd.DataFrame({"firm_id": ["a", "b", "c"], "code": ["62.01", "71.12", "10.71"],
                         "codes": ["62.01;X-1", "71.12", "10.71"]})
    out, notes = fill_code_systems(rows, source="x.csv")
    assert out is rows and "code_system" not in rows.columns
    assert len(notes) == 1 and notes[0].startswith("warning:")


def test_fill_does_not_change_its_input() -> None:
    rows = pd.DataFrame({"firm_id": ["a", "b"], "code": ["541511", "238220"], "code_system": [None, None]})
    out, notes = fill_code_systems(rows, source="x.csv")
    assert out["code_system"].tolist() == ["naics", "naics"] and rows["code_system"].isna().all()
    assert notes and "inferred as naics" in notes[0]
    assert fill_code_systems(rows.drop(columns="code"))[1] == []
