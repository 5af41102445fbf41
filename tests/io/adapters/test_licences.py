"""Licence-register adapters (Langley, Seattle, Little Rock) on the real files and on tiny hand-made ones."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import clusterwatch
from clusterwatch import InputError
from clusterwatch.io.adapters import local_code, stable_id
from clusterwatch.io.adapters.licences import canadian_postcode, two_digit_year_dates
from clusterwatch.io.validate import CODE_PATTERNS

DEGREES = 1e-6  # published coordinates are copied, not recomputed
PROJECTED = 1e-5  # Web Mercator inverted in closed form (about 1 m)

LANGLEY = "langley_bc/Business_Licenses.csv"
SEATTLE = "seattle/business_licenses_analysis.csv"
LITTLE_ROCK = "little_rock/Business_Licenses.csv"


def _firm(result: clusterwatch.IngestResult, firm_id: str) -> pd.Series:
    rows = result.firms[result.firms["firm_id"] == firm_id]
    assert len(rows) == 1, f"{firm_id!r}: {len(rows)} rows"
    return rows.iloc[0]


def _counts_add_up(result: clusterwatch.IngestResult, rows_read: int) -> None:
    report = result.report.sources[0]
    assert report.rows_read == rows_read
    assert report.rows_read == report.accepted + report.rejected
    assert len(result.rejected) == report.rejected


# ---------------------------------------------------------------- Langley


@pytest.fixture(scope="module")
def langley(shared_data: Path) -> clusterwatch.IngestResult:
    return clusterwatch.read_firms(shared_data / LANGLEY, format="langley-licences", today=dt.date(2026, 11, 27))


def test_langley_counts_and_reasons(langley: clusterwatch.IngestResult) -> None:
    _counts_add_up(langley, 7019)
    report = langley.report.sources[0]
    # the ~20 % of licences without coordinates, and only those, are rejected
    assert report.rejected == 1384
    assert report.rejected_by_reason == {"cannot locate": 1384}
    reasons = langley.rejected["reason"]
    assert reasons.str.startswith("cannot locate: no coordinates").all()
    assert reasons.str.contains("out-of-town").sum() == 1332
    assert reasons.str.contains("--geocode-table").all()
    # several licences of one business at one property become one firm
    assert report.firms == 5604
    assert langley.firms["firm_id"].is_unique
    assert report.located_by == {"point": 5635}


def test_langley_known_rows(langley: clusterwatch.IngestResult) -> None:
    law = _firm(langley, "150466 LINDSAY KENNEY BARRISTERS & SOLICITORS")
    assert law["code"] == "541110" and law["code_system"] == "naics"
    assert law["employees"] == pytest.approx(30 + 0.5 * 5)  # 30 full-time, 5 part-time
    assert law["lat"] == pytest.approx(49.15977599, abs=DEGREES)
    assert law["lon"] == pytest.approx(-122.6659491, abs=DEGREES)
    assert law["postcode"] == "V2Y 0G9" and law["country"] == "CA" and law["region"] == "BC"
    assert law["city"] == "Willoughby" and law["address"] == "400-8621 201 ST"
    assert law["description"] == "LAW FIRM"
    assert pd.isna(law["founded"])

    rosh = _firm(langley, "117414 ROSH METAL LTD")  # Approved_Date "2022/03/15 00:00:00+00"
    assert rosh["founded"] == pd.Timestamp("2022-03-15")

    winery = _firm(langley, "107540 BACKYARD VINEYARDS CORP")  # a lounge licence and a winery licence
    assert set(winery["codes"].split(";")) == {"722511", "312130"}


def test_langley_geocode_table_locates_by_mailing_postcode(shared_data: Path, tmp_path: Path) -> None:
    table = tmp_path / "ca_postcodes.csv"
    table.write_text("key,lat,lon\nV5X 3E8,49.2100,-123.0900\n", encoding="utf-8")
    result = clusterwatch.read_firms(shared_data / LANGLEY, format="langley-licences", geocode_table=table,
                                     today=dt.date(2026, 11, 27))
    _counts_add_up(result, 7019)
    sitka = _firm(result, "136578 SITKA FIRE PROTECTION INC")  # out of town; mailing address in Vancouver
    assert sitka["lat"] == pytest.approx(49.21) and sitka["geo_precision"] == "table"
    assert sitka["city"] == "VANCOUVER"
    assert result.report.accepted == 5635 + 2  # two out-of-town licences mail to V5X 3E8
    assert result.rejected["reason"].str.startswith("cannot locate").all()


LANGLEY_HEADER = ("X,Y,FID,PropertyNumber,Business_Name,Civic_Unit,Civic_House,Civic_Street,Mailing_Address,"
                  "CommunityName,Licence_Desc,NAICS_Primary,Approved_Date,PartTime_Employees,FullTime_Employees")


def test_langley_projects_xy_when_latitude_columns_are_absent(tmp_path: Path, today: dt.date) -> None:
    path = tmp_path / "langley.csv"
    path.write_text(
        LANGLEY_HEADER + "\n"
        '-13655110.99,6302015.65,1,150466,LAW FIRM A,,8621,201 ST,"8621 201 ST\nLANGLEY BC  VIM 4A7",'
        "Willoughby,LAW FIRM,541110,,,2\n"
        '-13654577.37,6305261.856,2,149216,DEPOT B,,20280,97 AVE,"20280 97 AVE\nLANGLEY BC",,DEPOT,418190,,1,many\n',
        encoding="utf-8",
    )
    result = clusterwatch.read_firms(path, format="langley-licences", today=today)
    _counts_add_up(result, 2)
    law = _firm(result, "150466 LAW FIRM A")
    assert law["lat"] == pytest.approx(49.15977599, abs=PROJECTED)
    assert law["lon"] == pytest.approx(-122.6659491, abs=PROJECTED)
    assert law["postcode"] == "V1M 4A7"  # "VIM" read as V1M
    assert law["employees"] == 2.0
    assert result.rejected["reason"].tolist() == ["unparseable number in employees"]
    assert result.rejected["line"].tolist() == [4]  # the first record spans lines 2-3


def test_langley_missing_columns(tmp_path: Path, today: dt.date) -> None:
    path = tmp_path / "langley.csv"
    path.write_text(LANGLEY_HEADER.replace("NAICS_Primary", "NAICS") + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="NAICS_Primary"):
        clusterwatch.read_firms(path, format="langley-licences", today=today)
    no_coords = tmp_path / "langley_nocoords.csv"
    no_coords.write_text(LANGLEY_HEADER.replace("X,Y,", "") + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="Latitude"):
        clusterwatch.read_firms(no_coords, format="langley-licences", today=today)


def test_canadian_postcode() -> None:
    addresses = pd.Series(["400-8621 201 ST \nLANGLEY BC  V2Y 0G9", "LANGLEY BC  VIM 4A7", "X\nLANGLEY BC  V2YOL7",
                           "5171 221A ST \nLANGLEY BC", "20839 78B AVE \nLANGLEY BC  V"])
    got = canadian_postcode(addresses)
    assert got.tolist()[:3] == ["V2Y 0G9", "V1M 4A7", "V2Y 0L7"]
    assert got.iloc[3:].isna().all()


# ---------------------------------------------------------------- Seattle


@pytest.fixture(scope="module")
def seattle(shared_data: Path) -> clusterwatch.IngestResult:
    return clusterwatch.read_firms(shared_data / SEATTLE, format="seattle-licences", today=dt.date(2026, 11, 27))


def test_seattle_counts_and_reasons(seattle: clusterwatch.IngestResult) -> None:
    _counts_add_up(seattle, 12897)
    report = seattle.report.sources[0]
    assert report.accepted == 12872
    assert report.rejected_by_reason == {"cannot locate": 24, "founding date in the future": 1}
    reasons = seattle.rejected["reason"]
    assert reasons.str.contains("no postcode table for country 'CA'").sum() == 16  # truncated Canadian codes
    assert reasons.str.contains("not in the US ZIP table").sum() == 7
    assert reasons.str.startswith("cannot locate: country unknown").sum() == 1  # Amsterdam, no state
    assert report.located_by == {"zip": 12872}


def test_seattle_known_rows(seattle: clusterwatch.IngestResult) -> None:
    driver = _firm(seattle, "0007748490686809")  # leading zeros kept
    assert driver["name"] == "RASUL ABDURAKHMANOV"  # trade name, blanks collapsed
    assert driver["code"] == "485320"
    assert driver["founded"] == pd.Timestamp("2014-08-14")
    assert driver["postcode"] == "98101" and driver["region"] == "WA" and driver["country"] == "US"
    assert driver["kind"] == "firm"
    bank = _firm(seattle, "0000002600000477")  # licence start 1900-01-01: the system's "no date"
    assert pd.isna(bank["founded"])


def test_seattle_future_start_dates_match_the_file_flag(shared_data: Path) -> None:
    # on the download day every start date the file flags as in the future is rejected as such, and no other
    flagged = pd.read_csv(shared_data / SEATTLE, dtype=str)["is_future_start_date"].eq("1").sum()
    result = clusterwatch.read_firms(shared_data / SEATTLE, format="seattle-licences", today=dt.date(2026, 8, 2))
    future = result.rejected["reason"].str.startswith("founding date in the future").sum()
    assert flagged == future == 21


def test_seattle_missing_column(tmp_path: Path, today: dt.date) -> None:
    path = tmp_path / "seattle.csv"
    path.write_text("city_account_number,trade_name\n0001,A\n", encoding="utf-8")
    with pytest.raises(InputError, match="business_legal_name"):
        clusterwatch.read_firms(path, format="seattle-licences", today=today)


# ---------------------------------------------------------------- Little Rock


@pytest.fixture(scope="module")
def little_rock(shared_data: Path) -> clusterwatch.IngestResult:
    return clusterwatch.read_firms(shared_data / LITTLE_ROCK, format="little-rock-licences",
                                   today=dt.date(2026, 11, 27))


def test_little_rock_counts_and_reasons(little_rock: clusterwatch.IngestResult) -> None:
    _counts_add_up(little_rock, 14573)
    report = little_rock.report.sources[0]
    assert report.rejected_by_reason == {"cannot locate": 36}
    reasons = little_rock.rejected["reason"]
    assert reasons.str.contains("not 5 digits").sum() == 27  # 3, 4 or 6 digits
    assert (reasons == "cannot locate: no coordinates and no postcode to geocode").sum() == 6
    assert reasons.str.contains("not in the US ZIP table").sum() == 3
    assert "cannot locate: malformed US ZIP code '7222' (not 5 digits)" in set(reasons)
    assert report.firms == 13815  # licences and permits of one business at one address merged
    assert little_rock.firms["firm_id"].is_unique


def test_little_rock_known_rows(little_rock: clusterwatch.IngestResult) -> None:
    firms = little_rock.firms.set_index("name")
    stellar = firms.loc["STELLAR CLEANING LLC"]  # 2/22/21
    assert stellar["founded"] == pd.Timestamp("2021-02-22")
    assert stellar["description"] == "JANITORIAL SERVICES" and stellar["code_system"] == "littlerock"
    assert stellar["postcode"] == "72076" and stellar["geo_precision"] == "zip"
    doyle = firms.loc["DOYLE ROGERS"]  # 1/1/87: 1987, not 2087
    assert doyle["founded"] == pd.Timestamp("1987-01-01") and doyle["code"] == "REALESTATE"
    bar = firms.loc["2TWENTY1"]  # a restaurant with a beer permit
    assert set(bar["codes"].split(";")) == {"RESTAURANTS", local_code(pd.Series(["BEER PERMIT-RETAIL"]))[0]}


def test_little_rock_classification_codes_are_distinct_and_valid(shared_data: Path) -> None:
    labels = pd.read_csv(shared_data / LITTLE_ROCK, dtype=str)["Classification"].dropna().drop_duplicates()
    codes = local_code(labels)
    assert codes.is_unique
    assert codes.str.fullmatch(r"[A-Za-z0-9]{1,12}").all()


def test_little_rock_bad_rows(tmp_path: Path, today: dt.date) -> None:
    path = tmp_path / "lr.csv"
    path.write_text(
        "Classification,Category,Business,Address,City,Zip,ACCOUNT START DATE\n"
        "REAL ESTATE,REAL ESTATE,A LLC,1 MAIN ST,LITTLE ROCK,72201,5/1/50\n"
        "REAL ESTATE,REAL ESTATE,B LLC,2 MAIN ST,LITTLE ROCK,72201,2/30/21\n"
        "REAL ESTATE,REAL ESTATE,C LLC,3 MAIN ST,LITTLE ROCK,7220,1/1/87\n"
        "UNCLASSIFIED,OTHER,D LLC,4 MAIN ST,LITTLE ROCK,72201-1234,1/1/87\n",
        encoding="utf-8",
    )
    result = clusterwatch.read_firms(path, format="little-rock-licences", today=today)
    _counts_add_up(result, 4)
    assert result.firms.set_index("name").loc["A LLC", "founded"] == pd.Timestamp("1950-05-01")
    d = result.firms.set_index("name").loc["D LLC"]
    assert pd.isna(d["code"]) and d["description"] == "UNCLASSIFIED"
    reasons = dict(zip(result.rejected["line"], result.rejected["reason"], strict=True))
    assert reasons == {3: "unparseable date in founded",
                       4: "cannot locate: malformed US ZIP code '7220' (not 5 digits)"}
    missing = tmp_path / "lr_missing.csv"
    missing.write_text("Classification,Category,Business,Address,City,Zip\n", encoding="utf-8")
    with pytest.raises(InputError, match="ACCOUNT START DATE"):
        clusterwatch.read_firms(missing, format="little-rock-licences", today=today)


def test_two_digit_years_pivot_on_today() -> None:
    dates = pd.Series(["2/22/21", "5/1/87", "12/31/26", "1/1/27", "2021-01-01"])
    got = two_digit_year_dates(dates, dt.date(2026, 11, 27))
    assert got.tolist() == ["2021-02-22", "1987-05-01", "2026-12-31", "1927-01-01", "2021-01-01"]


# ---------------------------------------------------------------- shared helpers


def test_stable_id_ignores_case_and_blanks() -> None:
    a = stable_id([pd.Series(["Acme  Ltd", "ACME LTD", None]), pd.Series(["1 Main St", " 1 MAIN ST", None])])
    assert a[0] == a[1] and len(a[0]) == 16
    assert pd.isna(a[2])
    b = stable_id([pd.Series(["Acme Ltd"]), pd.Series(["2 Main St"])])
    assert b[0] != a[0]


def test_local_code_fits_validation() -> None:
    labels = pd.Series(["REAL ESTATE", "CONTRACTORS - ROAD", "CONTRACTORS, ROOFING OR PAINTING", None])
    codes = local_code(labels)
    assert codes[0] == "REALESTATE"
    assert codes[1] != codes[2] and codes[1].startswith("CONTRACT") and len(codes[1]) == 12
    assert pd.isna(codes[3])
    assert "littlerock" not in CODE_PATTERNS  # so the generic local-code rule applies
