"""The ``business-finland`` adapter on the real BFData.csv and on tiny hand-made files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from clusterwatch import read_firms
from clusterwatch.errors import InputError
from clusterwatch.io.adapters.business_finland import business_id_problems, parse_euros
from clusterwatch.io.ingest import IngestResult

BF = "business_finland/BFData.csv"
TODAY = dt.date(2026, 11, 27)
HEADER = "Organisaatio,Y-tunnus,Myöntämisvuosi,Avustus €,Laina €,EAKR-rahoitus €,Tutkimusrahoitus €,Yhteensä €"
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def funding(shared_data: Path) -> IngestResult:
    return read_firms(shared_data / BF, format="business-finland", today=TODAY)


def test_file_is_utf8_without_bom(shared_data: Path) -> None:
    data = (shared_data / BF).read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    data.decode("utf-8")  # raises if not UTF-8
    assert NBSP.encode("utf-8") in data  # thousands are separated by no-break spaces


def test_counts_add_up(funding: IngestResult) -> None:
    report = funding.report.sources[0]
    assert report.rows_are == "events"
    assert report.rows_read == 57732
    assert report.accepted + report.rejected == report.rows_read
    # foreign organisations are listed with "-" for a business id
    assert report.rejected_by_reason == {"missing business id": 64}
    assert report.events == report.accepted == 57668
    assert report.firms == 0 and len(funding.firms) == 0
    assert funding.events["firm_id"].nunique() == 35754


def test_known_award(funding: IngestResult) -> None:
    act = funding.events
    row = act[(act["firm_id"] == "2996949-9")].iloc[0]
    assert row["title"] == "! Aalto Avustajat Oy"
    assert row["date"] == pd.Timestamp("2020-01-01")
    assert row["kind"] == "funding"
    assert row["amount"] == pytest.approx(9536)
    assert row["text"] == "grant 9536 EUR"


def test_negative_totals_are_kept(funding: IngestResult) -> None:
    act = funding.events
    adfore = act[(act["firm_id"] == "2282244-3") & (act["date"] == pd.Timestamp("2014-01-01"))]
    assert adfore["amount"].tolist() == [pytest.approx(-19692)]
    assert (act["amount"] < 0).sum() > 0


def test_rejected_rows_name_the_id(funding: IngestResult) -> None:
    rejected = funding.rejected
    first = rejected.sort_values("line").iloc[0]
    assert (first["line"], first["column"], first["raw"]) == (2328, "Y-tunnus", "-")
    assert first["reason"] == "missing business id (Y-tunnus '-')"


def test_hand_made_file_checks_ids_parts_and_amounts(tmp_path: Path) -> None:
    path = tmp_path / "BFData.csv"
    path.write_text(
        HEADER + "\n"
        f"Nokia Oyj,0112038-9,2019,1{NBSP}139{NBSP}200,50 000,0,0,1{NBSP}189{NBSP}200\n"
        "Old Id Oy,112038-9,2018,100,0,0,0,100\n"
        "Wrong Check Oy,0112038-8,2018,100,0,0,0,100\n"
        "No Check Digit Oy,0000006-0,2018,100,0,0,0,100\n"
        "Too Long Oy,12345678-9,2018,100,0,0,0,100\n"
        "Bad Amount Oy,0112038-9,2017,100,0,0,0,lots\n"
        "Bad Year Oy,0112038-9,year,100,0,0,0,100\n",
        encoding="utf-8",
    )
    result = read_firms(path, format="business-finland", today=TODAY)
    report = result.report.sources[0]
    assert (report.rows_read, report.accepted, report.rejected) == (7, 2, 5)
    reasons = dict(zip(result.rejected["record"], result.rejected["reason"], strict=True))
    assert reasons[3] == "business id check digit wrong (Y-tunnus '0112038-8'; expected 9)"
    assert reasons[4].endswith("no valid check digit exists for these digits)")
    assert reasons[5].startswith("malformed business id")
    assert reasons[6] == "unparseable number in amount"
    assert reasons[7] == "unparseable date in date"
    act = result.events
    assert act["firm_id"].tolist() == ["0112038-9", "0112038-9"]  # the six-digit id gets its leading zero
    assert act["amount"].iloc[0] == pytest.approx(1189200)
    assert act["text"].iloc[0] == "grant 1139200 EUR; loan 50000 EUR"


def test_other_encoding_is_read_when_told(tmp_path: Path) -> None:
    path = tmp_path / "BFData-cp1252.csv"
    path.write_bytes((HEADER + "\nÄänekosken Oy,0112038-9,2019,5,0,0,0,5\n").encode("cp1252"))
    with pytest.raises(InputError):
        read_firms(path, format="business-finland", today=TODAY)  # read as UTF-8, the header is unusable
    result = read_firms(path, format="business-finland", encoding="cp1252", today=TODAY)
    assert result.events["title"].tolist() == ["Äänekosken Oy"]
    assert result.events["amount"].tolist() == [5.0]


def test_missing_required_column_names_it(tmp_path: Path) -> None:
    path = tmp_path / "BFData.csv"
    path.write_text(HEADER.replace(",Yhteensä €", "") + "\nNokia Oyj,0112038-9,2019,1,0,0,0\n", encoding="utf-8")
    with pytest.raises(InputError, match="Yhteensä €") as err:
        read_firms(path, format="business-finland", today=TODAY)
    assert err.value.column == "Yhteensä €"


def test_business_id_check_digit_by_hand() -> None:
    ids, why = business_id_problems(pd.Series(["0112038-9", " 0112038-9 ", "112038-9", "0112038-8", "0000006-0",
                                               "-", None, "FI01120389"]))
    assert ids.tolist()[:3] == ["0112038-9", "0112038-9", "0112038-9"]
    valid = why.isna().tolist()
    assert valid == [True, True, True, False, False, False, False, False]


def test_parse_euros_by_hand() -> None:
    parsed = parse_euros(pd.Series([f"1{NBSP}139{NBSP}200", "1 139 200", "-19 692", "0", "", "abc"]))
    assert parsed.iloc[:4].tolist() == [1139200.0, 1139200.0, -19692.0, 0.0]
    assert parsed.iloc[4:].isna().all()
