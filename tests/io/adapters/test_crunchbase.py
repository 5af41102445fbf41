"""Crunchbase 2013 adapters (companies, rounds, acquisitions) on the real files and on tiny hand-made ones."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import clusterwatch
from clusterwatch import InputError
from clusterwatch.io.adapters.base import ReadOptions, get_adapter
from clusterwatch.io.adapters.crunchbase import category_code, repair_mojibake, state_from_region
from clusterwatch.io.geocode import normalise_city, us_city_lookup

CITY_CENTRE = 0.05  # degrees: a city centre from ZIP centroids is within a few km of the town hall

COMPANIES = "crunchbase2013/crunchbase-companies.csv"
ROUNDS = "crunchbase2013/crunchbase-rounds.csv"
ACQUISITIONS = "crunchbase2013/crunchbase-acquisitions.csv"

HEADER = ("permalink,name,category_code,funding_total_usd,status,country_code,state_code,region,city,"
          "funding_rounds,founded_at,founded_month,founded_quarter,founded_year,first_funding_at,last_funding_at,"
          "last_milestone_at")


def _mac_file(path: Path, lines: list[str]) -> Path:
    """Write lines as the export does: Mac Roman text with classic Mac line ends."""
    path.write_bytes("\r".join(lines).encode("mac_roman") + b"\r")
    return path


@pytest.fixture(scope="module")
def companies(shared_data: Path) -> clusterwatch.IngestResult:
    return clusterwatch.read_firms(shared_data / COMPANIES, format="crunchbase-companies",
                                   today=dt.date(2026, 11, 27))


def test_companies_counts_and_reasons(companies: clusterwatch.IngestResult) -> None:
    report = companies.report.sources[0]
    assert report.rows_read == 17727 == report.accepted + report.rejected
    assert report.accepted == 17194
    assert report.rejected_by_reason == {"cannot locate": 533}
    reasons = companies.rejected["reason"]
    assert (reasons == "cannot locate: no city given").sum() == 265
    assert "cannot locate: city 'REDWOOD SHORES, CA, USA' not in the US city table" in set(reasons)
    # one funding activity per accepted company that published a numeric total; 13 totals are
    # spreadsheet-mangled ("5/18/27", "####") and the report says so
    assert report.events == 15750
    assert any("13 funding totals are not numbers" in note for note in report.notes)
    assert set(companies.events["firm_id"]) <= set(companies.firms["firm_id"])


def test_companies_known_rows(companies: clusterwatch.IngestResult) -> None:
    firms = companies.firms.set_index("firm_id")
    facebook = firms.loc["/company/facebook"]
    assert facebook["name"] == "Facebook" and facebook["code"] == "social"
    assert facebook["code_system"] == "crunchbase"
    assert facebook["founded"] == pd.Timestamp("2004-02-01")
    assert facebook["city"] == "Menlo Park" and facebook["region"] == "CA" and facebook["country"] == "US"
    assert facebook["lat"] == pytest.approx(37.4530, abs=CITY_CENTRE)
    assert facebook["lon"] == pytest.approx(-122.1817, abs=CITY_CENTRE)
    assert firms.loc["/company/waywire", "founded"] == pd.Timestamp("2012-06-01")
    assert firms.loc["/company/waywire", "lat"] == pytest.approx(40.7128, abs=CITY_CENTRE)  # New York
    # Mac Roman decoded, and a UTF-8 mix-up repaired
    assert firms.loc["/company/miasole", "name"] == "MiaSolé"
    assert firms.loc["/company/insideaxis-3", "name"] == "InsideAxis™"
    assert firms.loc["/company/agmi-systems", "name"] == "agámi Systems"
    funding = companies.events.set_index("firm_id").loc["/company/waywire"]
    assert funding["kind"] == "funding" and funding["amount"] == 1750000.0
    assert funding["date"] == pd.Timestamp("2012-06-30")


def test_companies_rows_say_they_are_city_centres(shared_data: Path) -> None:
    extract = get_adapter("crunchbase-companies").read(str(shared_data / COMPANIES), ReadOptions())
    assert set(extract.rows["geo_precision"].dropna()) == {"city"}


def test_companies_geo_precision_survives_validation(companies: clusterwatch.IngestResult) -> None:
    assert companies.report.sources[0].located_by == {"city": 17194}


def test_companies_outside_the_us_need_a_geocode_table(tmp_path: Path, today: dt.date) -> None:
    path = _mac_file(tmp_path / "companies.csv", [
        HEADER,
        "/company/a,Café A,software,100,operating,USA,CA,SF Bay,San Francisco,1,2010-01-01,,,2010,2011-01-01,"
        "2011-01-01,",
        "/company/b,B,games_video,,operating,GBR,,London,London,0,,,,2009,,,",
        "/company/c,C,public_relations,,operating,USA,CA,SF Bay,Nowhereville,0,,,,,,,",
        "/company/d,D,web,,operating,USA,,SF Bay,Palo Alto,0,2030-01-01,,,2030,,,",
    ])
    result = clusterwatch.read_firms(path, format="crunchbase-companies", today=today)
    assert result.report.rows_read == 4 == result.report.accepted + result.report.rejected
    assert result.firms["name"].tolist() == ["Café A"]
    reasons = dict(zip(result.rejected["line"], result.rejected["reason"], strict=True))
    assert reasons[3].startswith("cannot locate: no city table outside the US for 'LONDON, GBR'")
    assert reasons[4] == "cannot locate: city 'NOWHEREVILLE, CA, USA' not in the US city table"
    assert reasons[5].startswith("founding date in the future")  # state CA taken from the region SF Bay
    assert result.events["amount"].tolist() == [100.0]

    table = tmp_path / "cities.csv"
    table.write_text("key,lat,lon\n\"LONDON, GBR\",51.5072,-0.1276\n", encoding="utf-8")
    located = clusterwatch.read_firms(path, format="crunchbase-companies", geocode_table=table, today=today)
    london = located.firms.set_index("firm_id").loc["/company/b"]
    assert london["lat"] == pytest.approx(51.5072) and london["country"] == "GB"
    assert london["code"] == "gamesvideo" and london["founded"] == pd.Timestamp("2009-01-01")


def test_companies_missing_column(tmp_path: Path, today: dt.date) -> None:
    path = _mac_file(tmp_path / "companies.csv", [HEADER.replace("category_code", "category"), ""])
    with pytest.raises(InputError, match="category_code"):
        clusterwatch.read_firms(path, format="crunchbase-companies", today=today)


def test_rounds(shared_data: Path) -> None:
    result = clusterwatch.read_firms(shared_data / ROUNDS, format="crunchbase-rounds", today=dt.date(2026, 11, 27))
    report = result.report.sources[0]
    assert report.rows_read == 31679 == report.accepted == report.events
    assert report.firms == 0 and report.rejected == 0
    first = result.events.iloc[0]
    assert first["firm_id"] == "/company/waywire" and first["title"] == "series-a"
    assert first["kind"] == "funding round" and first["amount"] == 1750000.0
    assert first["date"] == pd.Timestamp("2012-06-30")
    assert result.events["amount"].isna().sum() == 31679 - 29100  # rounds without a published amount


def test_acquisitions(shared_data: Path) -> None:
    result = clusterwatch.read_firms(shared_data / ACQUISITIONS, format="crunchbase-acquisitions",
                                     today=dt.date(2026, 11, 27))
    report = result.report.sources[0]
    assert report.rows_read == 6185 == report.accepted + report.rejected
    assert report.relations == 4651
    assert report.rejected_by_reason == {"empty record": 1534}  # trailing ",,,," records of the export
    first = result.relations.iloc[0]
    assert (first["source"], first["target"]) == ("/company/ancestry-com", "/company/1000memories")
    assert first["kind"] == "acquisition" and first["date"] == pd.Timestamp("2012-10-03")
    assert result.relations["weight"].notna().sum() == 1409
    assert any("not in US dollars" in note for note in report.notes)


def test_acquisitions_missing_column(tmp_path: Path, today: dt.date) -> None:
    path = _mac_file(tmp_path / "acq.csv", ["company_permalink,acquired_at,price_amount,price_currency_code",
                                            "/company/a,2012-01-01,,USD"])
    with pytest.raises(InputError, match="acquirer_permalink"):
        clusterwatch.read_firms(path, format="crunchbase-acquisitions", today=today)


def test_city_keys_and_table() -> None:
    keys = normalise_city(pd.Series(["St. Louis", "Saint Louis", "McLean", "Mc Lean", "NYC", "Atlanta,", " "]))
    assert keys.tolist()[:6] == ["SAINTLOUIS", "SAINTLOUIS", "MCLEAN", "MCLEAN", "NEWYORK", "ATLANTA"]
    assert pd.isna(keys.iloc[6])
    lat, lon, found = us_city_lookup().find(pd.Series(["SAINTLOUIS|MO", "FOSTERCITY|CA", "NOWHERE|ZZ"]))
    assert found.tolist() == [True, True, False]
    assert lat[0] == pytest.approx(38.627, abs=CITY_CENTRE) and lon[0] == pytest.approx(-90.199, abs=0.15)


def test_small_helpers() -> None:
    assert repair_mojibake(pd.Series(["MalmÃ¶", "BerkÃ_na", "plain"])).tolist() == ["Malmö", "BerkÃ_na", "plain"]
    assert category_code(pd.Series(["games_video", "public_relations", "software", None])).tolist()[:3] == [
        "gamesvideo", "pubrelations", "software"]
    filled = state_from_region(pd.Series(["CA", "CA", None, None]), pd.Series(["SF Bay", "SF Bay", "SF Bay", "TBD"]))
    assert filled.tolist()[:3] == ["CA", "CA", "CA"] and pd.isna(filled.iloc[3])
