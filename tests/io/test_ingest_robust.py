"""Ingest as a new user meets it: wrong encodings, decimal commas, empty files, Excel title rows, two workspaces."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

import clusterwatch
from clusterwatch.cli import run
from clusterwatch.io.workspace import Workspace

BRREG = "norway_brreg/brreg_enheter_sample_with_text.csv.gz"
LANGLEY = "langley_bc/Business_Licenses.csv"
HOUSE = "companies_house_sample/BasicCompanyDataAsOneFile-2020-05-01_sample.csv"


@pytest.fixture
def brreg_latin1(tmp_path: Path, shared_data: Path) -> tuple[Path, pd.DataFrame]:
    """The first 300 firms of the Norwegian register, written in latin-1 (names and addresses with æ, ø, å)."""
    with gzip.open(shared_data / BRREG, "rt", encoding="utf-8") as fh:
        head = pd.read_csv(fh, dtype=str, nrows=300, keep_default_na=False)
    path = tmp_path / "brreg_latin1.csv"
    head.to_csv(path, index=False, encoding="latin-1", errors="replace")
    return path, head


@pytest.fixture
def langley(shared_data: Path) -> pd.DataFrame:
    """80 Langley (BC) licences that have coordinates: id, name, latitude and longitude as published."""
    frame = pd.read_csv(shared_data / LANGLEY, encoding="utf-8-sig", dtype=str, nrows=200)
    frame = frame.dropna(subset=["Latitude", "Longitude"]).head(80)
    return frame[["FID", "Business_Name", "Latitude", "Longitude"]].reset_index(drop=True)


def test_rows_that_do_not_decode_get_an_encoding_hint(brreg_latin1: tuple[Path, pd.DataFrame]) -> None:
    path, head = brreg_latin1
    non_ascii = int(head.apply(lambda row: any(ord(ch) > 127 for v in row for ch in v), axis=1).sum())
    assert non_ascii > 10  # real Norwegian names and places
    result = clusterwatch.read_firms(path, format="norway-brreg")
    report = result.report.sources[0]
    assert report.rejected_by_reason.get("undecodable bytes") == non_ascii
    hint = [n for n in report.notes if "--encoding" in n]
    assert len(hint) == 1 and f"{non_ascii} of 300 rows could not be decoded as utf-8" in hint[0]
    # with the hint followed, every row decodes and the names come back as written
    fixed = clusterwatch.read_firms(path, format="norway-brreg", encoding="latin-1")
    assert "undecodable bytes" not in fixed.report.sources[0].rejected_by_reason
    assert not [n for n in fixed.report.sources[0].notes if "--encoding" in n]
    names = set(fixed.firms["name"].dropna())
    assert {n for n in head["navn"] if any(ord(ch) > 127 for ch in n)} & names


def test_a_file_in_another_encoding_than_given_names_the_option(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    # bytes cp1252 leaves undefined (0x81, 0x8d) stop the read, with the byte and the option named
    path = tmp_path / "bytes.csv"
    path.write_bytes(b"firm_id,lat,lon,name\na,59.9,10.7,\x81\x8d\n")
    code = run(["ingest", str(path), "-w", str(tmp_path / "ws.duckdb"), "--encoding", "cp1252"])
    err = capsys.readouterr().err
    assert code == 1 and "is not cp1252 text (byte" in err and "--encoding" in err
    assert not (tmp_path / "ws.duckdb").exists()


def test_decimal_commas_in_semicolon_files_read_as_decimals(tmp_path: Path, langley: pd.DataFrame) -> None:
    continental = langley.assign(Latitude=langley["Latitude"].str.replace(".", ",", regex=False),
                                 Longitude=langley["Longitude"].str.replace(".", ",", regex=False))
    path = tmp_path / "langley_semicolon.csv"
    continental.to_csv(path, sep=";", index=False)
    assert ";" in path.read_text().splitlines()[1] and "," in path.read_text().splitlines()[1]
    result = clusterwatch.read_firms(path, columns={"firm_id": "FID", "name": "Business_Name", "lat": "Latitude",
                                                    "lon": "Longitude"})
    assert result.report.rejected == 0 and len(result.firms) == len(langley)
    got = result.firms.set_index("firm_id")
    want = langley.set_index("FID")
    assert (got["lat"] - want["Latitude"].astype(float).reindex(got.index)).abs().max() < 1e-9
    assert (got["lon"] - want["Longitude"].astype(float).reindex(got.index)).abs().max() < 1e-9
    assert any("decimal commas" in n for n in result.report.sources[0].notes)
    # the same values with a comma separator keep their meaning as before (quoted decimal commas do not exist)
    plain = tmp_path / "langley_comma.csv"
    langley.to_csv(plain, index=False)
    same = clusterwatch.read_firms(plain, columns={"firm_id": "FID", "name": "Business_Name", "lat": "Latitude",
                                                   "lon": "Longitude"})
    assert same.firms["lat"].tolist() == result.firms["lat"].tolist()
    assert not any("decimal commas" in n for n in same.report.sources[0].notes)


def test_header_only_file_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str], shared_data: Path) -> None:
    header = (shared_data / HOUSE).read_text(encoding="utf-8-sig").splitlines()[0]
    path = tmp_path / "header_only.csv"
    path.write_text(header + "\n", encoding="utf-8")
    assert run(["ingest", str(path), "-f", "companies-house", "-w", str(tmp_path / "ws.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "warning: the file holds no rows" in out


def test_excel_sheet_and_skip_rows(tmp_path: Path, langley: pd.DataFrame, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "licences.xlsx"
    frame = langley.rename(columns={"FID": "firm_id", "Business_Name": "name", "Latitude": "lat",
                                    "Longitude": "lon"})
    frame.loc[3, "lat"] = "95"  # one impossible row, to check the line numbers after the title rows
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"x": ["nothing here"]}).to_excel(writer, sheet_name="cover", index=False)
        title = pd.DataFrame([["Langley business licences"], ["(sample)"]])
        title.to_excel(writer, sheet_name="firms", index=False, header=False)
        frame.to_excel(writer, sheet_name="firms", index=False, startrow=2)
    ws = tmp_path / "ws.duckdb"
    assert run(["ingest", str(path), "-w", str(ws), "--sheet", "firms", "--skip-rows", "2"]) == 0
    with Workspace(ws, read_only=True) as w:
        assert len(w.firms()) == len(frame) - 1
        rejected = w.rejected()
    # line 1-2 title, 3 header, 4.. data: the fourth data row is line 7 of the sheet
    assert rejected["line"].tolist() == [7] and rejected["record"].tolist() == [4]
    # by 0-based index too; a sheet that is not there names the ones that are
    assert run(["ingest", str(path), "-w", str(tmp_path / "b.duckdb"), "--sheet", "1", "--skip-rows", "2"]) == 0
    capsys.readouterr()
    assert run(["ingest", str(path), "-w", str(tmp_path / "c.duckdb"), "--sheet", "Firms"]) == 1
    err = capsys.readouterr().err
    assert "has no sheet 'Firms'; its sheets are 'cover', 'firms'" in err
    # without --skip-rows the title line is the header and no firm_id column is found
    assert run(["ingest", str(path), "-w", str(tmp_path / "d.duckdb"), "--sheet", "firms"]) == 1


def test_two_workspaces_in_one_folder_keep_their_rejected_rows(tmp_path: Path, shared_data: Path) -> None:
    house = shared_data / HOUSE
    bad = tmp_path / "bad.csv"
    bad.write_text("firm_id,lat,lon\na,0,0\nb,59.9,10.7\n")
    assert run(["ingest", str(house), "-f", "companies-house", "-w", str(tmp_path / "uk.duckdb")]) == 0
    assert run(["ingest", str(bad), "-w", str(tmp_path / "other.duckdb")]) == 0
    uk = pd.read_csv(tmp_path / "uk.rejected.csv")
    other = pd.read_csv(tmp_path / "other.rejected.csv")
    assert set(uk["dataset"]) == {house.name} and len(uk) > 0
    assert other["dataset"].tolist() == ["bad.csv"] and other["line"].tolist() == [2]
    assert not (tmp_path / "rejected.csv").exists()
