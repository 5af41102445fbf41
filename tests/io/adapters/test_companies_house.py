"""The ``companies-house`` adapter on the real 0.1% BasicCompanyData sample and on tiny hand-made files."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from clusterwatch import read_firms
from clusterwatch.errors import InputError
from clusterwatch.io.adapters.companies_house import OFFICIAL_COLUMNS, SME_BY_ACCOUNT_CATEGORY, parse_sic_codes
from clusterwatch.io.ingest import IngestResult

SAMPLE = "companies_house_sample/BasicCompanyDataAsOneFile-2020-05-01_sample.csv"
RECORDS_IN_SAMPLE = 4537
TODAY = dt.date(2026, 11, 27)
DEGREES = 1e-4  # coordinates copied from a lookup table: equal up to float formatting


@pytest.fixture(scope="module")
def sample(shared_data: Path) -> IngestResult:
    """The ingest result of the real sample, shared by the tests of this module."""
    return read_firms(shared_data / SAMPLE, format="companies-house", today=TODAY)


def firm(result: IngestResult, firm_id: str) -> pd.Series:
    rows = result.firms[result.firms["firm_id"] == firm_id]
    assert len(rows) == 1, f"{firm_id} accepted {len(rows)} times"
    return rows.iloc[0]


def write_companies(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...] = OFFICIAL_COLUMNS) -> Path:
    """A BasicCompanyData file with ``columns``; fields not given are blank."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return path


def company(number: str, **fields: str) -> dict[str, str]:
    """One company row; keyword names use ``__`` for the dot (``RegAddress__PostCode``)."""
    row = {
        "CompanyName": f"COMPANY {number} LIMITED",
        "CompanyNumber": number,
        "RegAddress.PostCode": "TN38 9LH",
        "RegAddress.PostTown": "ST. LEONARDS-ON-SEA",
        "IncorporationDate": "14/06/2016",
        "SICCode.SicText_1": "62020 - Information technology consultancy activities",
    }
    row.update({k.replace("__", "."): v for k, v in fields.items()})
    return row


# ---------------------------------------------------------------- the real sample

def test_sample_header_is_the_official_55_columns(shared_data: Path) -> None:
    header = (shared_data / SAMPLE).open(encoding="utf-8").readline().rstrip("\r\n").split(",")
    assert len(OFFICIAL_COLUMNS) == 55
    assert [h.strip() for h in header] == list(OFFICIAL_COLUMNS)


def test_sample_counts_add_up(sample: IngestResult) -> None:
    report = sample.report.sources[0]
    assert report.rows_read == RECORDS_IN_SAMPLE
    assert report.accepted + report.rejected == RECORDS_IN_SAMPLE
    assert report.firms == report.accepted == len(sample.firms)
    assert sample.firms["firm_id"].is_unique
    # 55 companies have no registered-office postcode; a handful more have postcodes no table knows
    assert 55 <= report.rejected <= 80
    assert set(report.rejected_by_reason) == {"cannot locate"}


def test_sample_known_company(sample: IngestResult) -> None:
    row = firm(sample, "12016217")  # M&M IT LTD, four SIC codes, no accounts filed yet
    assert row["name"] == "M&M IT LTD"
    assert row["code"] == "62012"
    assert row["codes"] == "62012;62020;62090;63120"
    assert row["code_system"] == "uksic2007"
    assert row["founded"] == pd.Timestamp("2019-05-24")
    assert pd.isna(row["dissolved"])
    assert row["size_class"] == "NO ACCOUNTS FILED"
    assert pd.isna(row["sme"])
    assert row["kind"] == "firm"
    assert (row["postcode"], row["city"], row["county"], row["country"]) == (
        "BN17 7SL", "LITTLEHAMPTON", "WEST SUSSEX", "GB")
    assert row["address"] == "12 BEATON AVENUE"
    # located at the centroid of district BN17
    assert row["geo_precision"] == "district"
    assert row["lat"] == pytest.approx(50.818908, abs=DEGREES)
    assert row["lon"] == pytest.approx(-0.551567, abs=DEGREES)


def test_sample_keeps_company_number_prefixes_and_zeros(sample: IngestResult) -> None:
    assert firm(sample, "SC436674")["city"] == "DUNDEE"
    assert firm(sample, "02888172")["address"] == "J LEE MANAGEMENT, 65 REGENTS PARK ROAD"
    assert firm(sample, "02888172")["codes"] == "71121;74100"


@pytest.mark.parametrize(
    ("firm_id", "category", "sme"),
    [
        ("05529842", "TOTAL EXEMPTION FULL", True),
        ("06014757", "FULL", False),
        ("04349697", "GROUP", False),
        ("05171480", "DORMANT", None),
        ("06383811", "AUDIT EXEMPTION SUBSIDIARY", None),
    ],
)
def test_sample_account_category_gives_sme(sample: IngestResult, firm_id: str, category: str,
                                           sme: bool | None) -> None:
    row = firm(sample, firm_id)
    assert row["size_class"] == category
    assert (pd.isna(row["sme"]) if sme is None else row["sme"] == sme)


def test_sample_none_supplied_means_no_primary_code(sample: IngestResult) -> None:
    row = firm(sample, "SL014424")  # SicText_1 "None Supplied", nothing else
    assert pd.isna(row["code"]) and pd.isna(row["codes"])


def test_sample_rejections_name_their_reason(sample: IngestResult) -> None:
    rejected = sample.rejected.set_index("line")
    # line 22: NL000017, a limited partnership with no registered postcode
    assert rejected.loc[22, "reason"] == "cannot locate: no coordinates and no postcode to geocode"
    assert rejected.loc[22, "column"] == "postcode"
    # an overseas company in the Cayman Islands keeps its country, which no shipped table covers
    cayman = rejected[rejected["raw"] == "KY1-1103"]
    assert len(cayman) == 1 and "CAYMAN ISLANDS" in cayman["reason"].iloc[0]


def test_sample_overseas_company_in_the_us_is_located_by_zip(sample: IngestResult) -> None:
    row = firm(sample, "FC035701")
    assert row["country"] == "US"
    assert row["geo_precision"] == "zip"
    assert row["lat"] == pytest.approx(37.76, abs=0.05)  # San Francisco, ZIP 94107


def test_full_postcode_file_gives_postcode_precision_and_falls_back_to_district(shared_data: Path,
                                                                                  tmp_path: Path) -> None:
    lookup = tmp_path / "postcodes.csv"
    lookup.write_text("pcd,lat,long\nTN38 9LH,50.8612,0.5421\nBN17 7SL,50.8105,-0.5489\n", encoding="utf-8")
    result = read_firms(shared_data / SAMPLE, format="companies-house", postcodes=lookup, today=TODAY)
    hit = firm(result, "10231623")  # TN38 9LH
    assert hit["geo_precision"] == "postcode"
    assert (hit["lat"], hit["lon"]) == (pytest.approx(50.8612, abs=DEGREES), pytest.approx(0.5421, abs=DEGREES))
    assert firm(result, "12016217")["geo_precision"] == "postcode"
    miss = firm(result, "SC436674")  # DD1 5RR is not in the tiny file: district centroid
    assert miss["geo_precision"] == "district"
    assert miss["lat"] == pytest.approx(56.460856, abs=DEGREES)
    counts = result.report.sources[0].located_by
    assert counts["postcode"] == 2
    assert counts["district"] > 4000


# ---------------------------------------------------------------- hand-made files

def test_parse_sic_codes_by_hand() -> None:
    texts = pd.DataFrame(
        {
            "SICCode.SicText_1": ["62020 - IT consultancy", "None Supplied", "", "Information technology"],
            "SICCode.SicText_2": ["", "74100 - specialised design", "None Supplied", ""],
            "SICCode.SicText_3": ["", "", "", ""],
            "SICCode.SicText_4": ["63120 - Web portals", "", "", ""],
        }
    )
    code, codes = parse_sic_codes(texts)
    assert code.tolist()[:2] == ["62020", "74100"]
    assert pd.isna(code.iloc[2]) and pd.isna(codes.iloc[2])
    assert code.iloc[3] == "Information technology"  # left for validation to reject
    assert codes.tolist()[:2] == ["62020;63120", "74100"]


def test_malformed_sic_and_bad_date_are_rejected(tmp_path: Path) -> None:
    path = write_companies(
        tmp_path / "companies.csv",
        [
            company("00000001"),
            company("00000002", SICCode__SicText_1="Information technology"),
            company("00000003", IncorporationDate="31/02/2019"),
            company("00000004", IncorporationDate="01/01/2027"),
            company("00000005", DissolutionDate="01/01/2015"),
            company("00000001"),
        ],
    )
    result = read_firms(path, format="companies-house", today=TODAY)
    report = result.report.sources[0]
    assert (report.rows_read, report.accepted, report.rejected) == (6, 1, 5)
    reasons = dict(zip(result.rejected["record"], result.rejected["reason"], strict=True))
    assert reasons[2] == "malformed uksic2007 code"
    assert reasons[3] == "unparseable date in founded"
    assert reasons[4].startswith("founding date in the future")
    assert reasons[5] == "dissolved before founded"
    assert reasons[6].startswith("duplicate firm_id")
    assert result.firms["founded"].iloc[0] == pd.Timestamp("2016-06-14")


def test_missing_required_column_names_it(tmp_path: Path) -> None:
    columns = tuple(c for c in OFFICIAL_COLUMNS if c != "RegAddress.PostCode")
    path = write_companies(tmp_path / "no_postcode.csv", [company("00000001")], columns)
    with pytest.raises(InputError, match="RegAddress.PostCode") as err:
        read_firms(path, format="companies-house", today=TODAY)
    assert err.value.column == "RegAddress.PostCode"


def test_header_with_official_leading_blanks_is_read(tmp_path: Path) -> None:
    # the official files spell some names with a leading blank: " CompanyNumber"
    columns = tuple(" CompanyNumber" if c == "CompanyNumber" else c for c in OFFICIAL_COLUMNS)
    row = company("00000007")
    row[" CompanyNumber"] = row.pop("CompanyNumber")
    result = read_firms(write_companies(tmp_path / "blanks.csv", [row], columns), format="companies-house",
                        today=TODAY)
    assert result.firms["firm_id"].tolist() == ["00000007"]


def test_sme_mapping_is_documented_for_every_category() -> None:
    assert SME_BY_ACCOUNT_CATEGORY["MICRO ENTITY"] is True
    assert SME_BY_ACCOUNT_CATEGORY["FULL"] is False
    assert SME_BY_ACCOUNT_CATEGORY["NO ACCOUNTS FILED"] is None
