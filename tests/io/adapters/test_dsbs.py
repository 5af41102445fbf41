"""SBA DSBS profiles adapter on the real Parquet file and on tiny hand-made ones."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import clusterwatch
from clusterwatch import InputError
from clusterwatch.io.adapters.dsbs import realign_shifted

ZIP_CENTROID = 0.2  # degrees: a ZIP centroid lies within its ZIP area

DSBS = "us_dsbs/dsbs_profiles_capabilities.parquet"
COLUMNS = ["firm_name", "address_line_1", "city", "state", "zip", "capabilities", "website", "dsbs_business_type"]


@pytest.fixture(scope="module")
def dsbs(shared_data: Path) -> clusterwatch.IngestResult:
    return clusterwatch.read_firms(shared_data / DSBS, format="dsbs", today=dt.date(2026, 11, 27))


def _by_name(result: clusterwatch.IngestResult, name: str) -> pd.Series:
    rows = result.firms[result.firms["name"] == name]
    assert len(rows) == 1, f"{name!r}: {len(rows)} rows"
    return rows.iloc[0]


def test_counts_and_reasons(dsbs: clusterwatch.IngestResult) -> None:
    report = dsbs.report.sources[0]
    assert report.rows_read == 69159 == report.accepted + report.rejected
    assert report.accepted == 69146
    assert report.rejected_by_reason == {"cannot locate": 7, "duplicate firm_id": 6}
    reasons = dsbs.rejected.set_index("record")["reason"]
    assert reasons[25342] == "duplicate firm_id (first seen at line 25341)"  # G-740, LLC: two profiles
    assert reasons.str.contains("not in the US ZIP table").sum() == 7
    assert report.located_by == {"zip": 69146}
    assert dsbs.firms["sme"].all() and (dsbs.firms["kind"] == "firm").all()
    assert any("realigned" in note for note in report.notes)


def test_known_rows(dsbs: clusterwatch.IngestResult) -> None:
    software = _by_name(dsbs, "*SOFTWARE PURSUITS INC")
    assert software["description"].startswith("Software Pursuits creates and markets system software")
    assert software["city"] == "SAN MATEO" and software["region"] == "CA" and software["country"] == "US"
    assert software["address"] == "140 CHESTNUT LN"
    assert software["lat"] == pytest.approx(37.54, abs=ZIP_CENTROID)
    assert software["lon"] == pytest.approx(-122.30, abs=ZIP_CENTROID)
    assert len(software["firm_id"]) == 16
    # a profile whose fields slid two columns right (city in "state", state in "zip", ZIP in "capabilities")
    mibura = _by_name(dsbs, "MIBURA")
    assert (mibura["city"], mibura["region"], mibura["postcode"]) == ("LOS ANGELES", "CA", "90034-6505")
    assert pd.isna(mibura["description"]) and pd.isna(mibura["address"])
    assert mibura["lat"] == pytest.approx(34.03, abs=ZIP_CENTROID)
    # "99737-": the trailing dash of an empty ZIP+4 is dropped, and the ZIP located
    delta = _by_name(dsbs, "CARPENTER CONTRACTING INC")
    assert delta["postcode"] == "99737" and delta["geo_precision"] == "zip"
    assert delta["lat"] == pytest.approx(63.78, abs=0.01)  # the centroid of ZIP 99737, a vast Alaskan ZIP area


def _parquet(path: Path, rows: list[list[str | None]], columns: list[str] = COLUMNS) -> Path:
    pd.DataFrame(rows, columns=columns).to_parquet(path, index=False)
    return path


def test_tiny_file(tmp_path: Path, today: dt.date) -> None:
    path = _parquet(tmp_path / "dsbs.parquet", [
        ["ACME LLC", "1 MAIN ST", "SEATTLE", "WA", "98101-1234", "Widgets.", None, "MFG"],
        ["Acme  LLC", "1 main st", "SEATTLE", "WA", "98101", "Widgets again.", None, "MFG"],  # same firm
        ["NOWHERE INC", "2 MAIN ST", "X", "WA", "ABCDE", "Nothing.", None, "SVC"],
        ["SLID LLC", "PRESIDENT", None, "SEATTLE", "WA", "98101-1234", "a@b.com", "SVC"],
    ])
    result = clusterwatch.read_firms(path, format="dsbs", today=today)
    assert result.report.rows_read == 4 == result.report.accepted + result.report.rejected
    assert result.firms["name"].tolist() == ["ACME LLC", "SLID LLC"]
    reasons = dict(zip(result.rejected["record"], result.rejected["reason"], strict=True))
    assert reasons[2] == "duplicate firm_id (first seen at line 1)"
    assert reasons[3].startswith("cannot locate: malformed US ZIP")
    slid = result.firms.set_index("name").loc["SLID LLC"]
    assert (slid["city"], slid["region"], slid["postcode"]) == ("SEATTLE", "WA", "98101-1234")


def test_missing_column(tmp_path: Path, today: dt.date) -> None:
    path = _parquet(tmp_path / "dsbs.parquet", [["A", "1 MAIN ST", "SEATTLE", "WA", "98101"]], COLUMNS[:5])
    with pytest.raises(InputError, match="capabilities"):
        clusterwatch.read_firms(path, format="dsbs", today=today)


def test_realign_leaves_ordinary_rows_alone() -> None:
    frame = pd.DataFrame([["1 MAIN ST", "SEATTLE", "WA", "98101", "GA"]],
                         columns=["address_line_1", "city", "state", "zip", "capabilities"])
    fixed, shifted = realign_shifted(frame)
    assert not shifted.any()
    assert fixed.iloc[0].tolist() == ["1 MAIN ST", "SEATTLE", "WA", "98101", "GA"]
