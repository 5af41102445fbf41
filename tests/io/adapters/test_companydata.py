"""The CompanyData.com city samples, on the real files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import clusterwatch
from clusterwatch import InputError

CITIES = "companydata_cities"


def _read(shared_data: Path, city: str, today: dt.date) -> clusterwatch.IngestResult:
    path = next((shared_data / CITIES / city).glob("*-business-dataset-sample.csv"))
    return clusterwatch.read_firms(path, format="companydata", today=today)


@pytest.mark.parametrize(
    ("city", "accepted", "country", "precision"),
    [
        ("london", 996, "GB", "district"),
        ("new-york-city", 1000, "US", "zip"),
        ("los-angeles", 1000, "US", "zip"),
        ("amsterdam", 999, "NL", "postcode"),
        ("paris", 984, "FR", "postcode"),
    ],
)
def test_counts_add_up(shared_data: Path, today: dt.date, city: str, accepted: int, country: str,
                       precision: str) -> None:
    result = _read(shared_data, city, today)
    report = result.report.sources[0]
    assert report.rows_read == 1000 == report.accepted + report.rejected
    assert report.accepted == accepted
    assert set(result.firms["country"]) == {country}
    assert set(result.firms["geo_precision"]) == {precision}
    assert result.firms["code"].str.fullmatch(r"\d{4}").all()


def test_known_rows(shared_data: Path, today: dt.date) -> None:
    london = _read(shared_data, "london", today).firms.set_index("firm_id")
    bp = london.loc["247643946"]
    assert bp["name"] == "Bp P.L.C."
    assert bp["code"] == "6719" and bp["code_system"] == "sic1987"
    assert bp["founded"] == pd.Timestamp("1909-01-01")
    assert bp["employees"] == 66300  # no one on site: the group's count
    assert bool(bp["sme"]) is False
    assert bp["lat"] == pytest.approx(51.51, abs=0.02)  # SW1Y district, St James's


def test_unnamed_id_column_and_unknown_years(shared_data: Path, today: dt.date) -> None:
    amsterdam = _read(shared_data, "amsterdam", today)
    assert amsterdam.firms["firm_id"].notna().all()  # the id column has no name in this file's header
    la = _read(shared_data, "los-angeles", today)
    assert la.report.sources[0].rejected == 0  # "0" founding years are unknown, not unparseable
    assert la.firms["founded"].isna().sum() == 6


def test_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "sample.csv"
    path.write_text("ID;Company Name\n1;A\n")
    with pytest.raises(InputError, match="column 'Address 1'"):
        clusterwatch.read_firms(path, format="companydata")
