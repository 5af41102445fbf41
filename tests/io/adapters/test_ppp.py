"""The PPP adapters on the real Georgia and Montana files, a slice of the national file, and tiny hand-made files.

The whole national file (2,765,676 loans) is read in ``bench/bench_ingest_ppp.py``, not here.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import clusterwatch
from clusterwatch import InputError
from clusterwatch.io.adapters.ppp import firm_kind, loan_ids, naics_code

COORD_TOL = 1e-3  # degrees: ZIP centroids are stored to 4 decimals
TODAY = dt.date(2026, 11, 27)
NATIONAL = Path("ppp_us_2020") / "ppp_under150k_2020-07_49states.parquet"
#: Records of the national file kept after its first 30,000 in the test slice: a loan without ZIP (Mesa, AZ) and
#: one with -3 jobs retained (Birmingham, MI).
NATIONAL_EXTRA_RECORDS = (96_653, 1_179_852)


@pytest.fixture(scope="module")
def georgia(shared_data: Path) -> clusterwatch.IngestResult:
    return clusterwatch.read_firms(shared_data / "ppp_georgia" / "ppp_georgia_dedup.csv.gz", format="ppp-georgia",
                                   today=TODAY)


@pytest.fixture(scope="module")
def montana(shared_data: Path) -> clusterwatch.IngestResult:
    return clusterwatch.read_firms(shared_data / "ppp_montana" / "mt-combined.csv", format="ppp-montana",
                                   today=TODAY)


@pytest.fixture(scope="module")
def national_slice(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Records 1–30,000 of the real national file, then :data:`NATIONAL_EXTRA_RECORDS`, all columns, in order."""
    out = tmp_path_factory.mktemp("ppp") / "ppp_slice.parquet"
    con = duckdb.connect()
    try:
        con.execute(
            "COPY (SELECT * EXCLUDE (file_row_number) FROM read_parquet(?, file_row_number = true) "
            "WHERE file_row_number < 30000 OR file_row_number + 1 IN (SELECT unnest(?::BIGINT[])) "
            f"ORDER BY file_row_number) TO '{out}' (FORMAT parquet)",
            [str(shared_data / NATIONAL), list(NATIONAL_EXTRA_RECORDS)],
        )
    finally:
        con.close()
    return out


# ---------------------------------------------------------------- helpers, known by hand


def test_naics_placeholders_become_no_code() -> None:
    codes = naics_code(pd.Series(["722511", "999990", "0", "  ", None, "541715.0"]))
    assert codes.tolist() == ["722511", pd.NA, pd.NA, pd.NA, pd.NA, "541715"]


def test_firm_kind_marks_non_profits_other() -> None:
    flag = pd.Series(["Y", None, "N", None], dtype="string")
    business = pd.Series(["Non-Profit Organization", "Non-Profit Childcare Center", "Non-Profit", "Corporation"],
                         dtype="string")
    assert firm_kind(flag, business).tolist() == ["other", "other", "other", "firm"]


def test_loan_ids_are_prefixed_record_numbers() -> None:
    assert loan_ids(pd.Series([1, 2, 2_765_676]), "PPP-US").tolist() == ["PPP-US-1", "PPP-US-2", "PPP-US-2765676"]


# ---------------------------------------------------------------- Georgia


def test_georgia_counts_add_up(georgia: clusterwatch.IngestResult) -> None:
    report = georgia.report.sources[0]
    assert report.rows_read == 79_760 == report.accepted + report.rejected
    assert report.rejected_by_reason == {"cannot locate": 4}
    assert report.firms == report.events == 79_756
    assert set(georgia.rejected["record"].astype(int)) == {64_624, 64_745, 65_790, 66_002}
    assert set(georgia.rejected["reason"]) == {"cannot locate: no coordinates and no postcode to geocode"}


def test_georgia_known_loan(georgia: clusterwatch.IngestResult) -> None:
    first = georgia.firms.iloc[0]
    assert (first["firm_id"], first["name"], first["code"], first["code_system"]) == (
        "PPP-GA-1", "Questo Inc", "522292", "naics")
    assert (first["employees"], first["county"], first["postcode"], first["region"], first["city"]) == (
        342.0, "13245", "30901", "GA", "Augusta")
    assert first["lat"] == pytest.approx(33.4601, abs=COORD_TOL)
    assert first["lon"] == pytest.approx(-81.973, abs=COORD_TOL)
    assert bool(first["sme"]) and first["kind"] == "firm" and pd.isna(first["founded"])
    loan = georgia.events.iloc[0]
    assert (loan["firm_id"], loan["kind"], loan["date"], loan["amount"]) == (
        "PPP-GA-1", "loan", pd.Timestamp("2020-04-08"), 5_360_619.0)


def test_georgia_codes_kinds_and_dates(georgia: clusterwatch.IngestResult) -> None:
    firms = georgia.firms
    assert firms["code"].isna().sum() == 1_889  # 1,017 × 999990 and 872 × 0 in the file
    assert (firms["kind"] == "other").sum() == 2_743  # NonProfit = Y
    assert firms["founded"].isna().all()
    dates = georgia.events["date"]
    assert (dates.min(), dates.max()) == (pd.Timestamp("2020-04-03"), pd.Timestamp("2020-08-08"))


# ---------------------------------------------------------------- Montana


def test_montana_counts_add_up(montana: clusterwatch.IngestResult) -> None:
    report = montana.report.sources[0]
    assert report.rows_read == 23_102 == report.accepted + report.rejected
    assert report.rejected == 0 and report.firms == report.events == 23_102


def test_montana_large_loan_has_name_and_range(montana: clusterwatch.IngestResult) -> None:
    # the header's BOM and blanks (" BusinessName ") are handled by the reader
    first = montana.firms.iloc[0]
    assert (first["firm_id"], first["name"], first["kind"], first["code"], first["employees"]) == (
        "PPP-MT-1", "COMMUNITY HOSPITAL OF ANACONDA", "other", "622110", 400.0)
    assert (first["postcode"], first["region"], first["city"]) == ("59711", "MT", "ANACONDA")
    loan = montana.events.iloc[0]
    assert loan["title"] == "PPP loan, $5-10 million (amount undisclosed)"
    assert pd.isna(loan["amount"]) and loan["date"] == pd.Timestamp("2020-04-03")  # "4/3/20"


def test_montana_small_loans_have_amount_but_no_name(montana: clusterwatch.IngestResult) -> None:
    firms, loans = montana.firms, montana.events
    assert firms["name"].notna().sum() == firms["address"].notna().sum() == 2_196
    assert loans["amount"].notna().sum() == 20_906
    row = loans.set_index("firm_id").loc["PPP-MT-2201"]
    assert row["amount"] == pytest.approx(122_525.0) and row["title"] == "PPP loan"
    assert firms["code"].isna().sum() == 295  # 157 × 999990, 138 blank
    assert firms["employees"].isna().sum() == 475


# ---------------------------------------------------------------- the national file (a slice of it)


def test_national_slice(national_slice: Path) -> None:
    result = clusterwatch.read_firms(national_slice, format="ppp-us", today=TODAY)
    report = result.report.sources[0]
    assert report.rows_read == 30_002 == report.accepted + report.rejected
    reasons = dict(zip(result.rejected["record"].astype(int), result.rejected["reason"], strict=True))
    assert reasons == {
        5_742: "cannot locate: ZIP 35607 not in the US ZIP table",
        26_307: "cannot locate: ZIP 65404 not in the US ZIP table",  # a Missouri ZIP given for Tuscaloosa, AL
        26_309: "cannot locate: ZIP 35086 not in the US ZIP table",
        30_001: "cannot locate: no coordinates and no postcode to geocode",
        30_002: "negative size in employees",
    }
    assert report.events == 0  # the national reader keeps no loan activities
    first = result.firms.iloc[0]
    assert (first["firm_id"], first["code"], first["employees"], first["city"], first["region"]) == (
        "PPP-US-1", "561311", 17.0, "PELHAM", "AL")
    assert first["postcode"] == "35124" and first["kind"] == "firm" and bool(first["sme"])
    assert first["lat"] == pytest.approx(33.3, abs=0.1) and first["lon"] == pytest.approx(-86.8, abs=0.1)
    firms = result.firms
    assert firms["code"].isna().sum() == 231 + 298  # 999990 and blank NAICS among the first 30,000
    assert (firms["kind"] == "other").sum() == 1_553
    assert firms["name"].isna().all() and firms["founded"].isna().all()


def test_national_csv_layout_with_names(tmp_path: Path) -> None:
    path = tmp_path / "foia_up_to_150k_XX.csv"
    path.write_text(
        "LoanAmount,City,State,Zip,NAICSCode,BusinessType,NonProfit,JobsRetained,DateApproved,BusinessName,Address\n"
        "1000,PELHAM,AL,35124,999990,Corporation,,3,05/07/2020,Acme LLC,1 Main St\n"
        "2000,PELHAM,AL,35124,813110,Non-Profit Organization,Y,many,05/07/2020,Church,2 Main St\n"
    )
    result = clusterwatch.read_firms(path, format="ppp-us", today=TODAY)
    assert result.report.rows_read == 2 == result.report.accepted + result.report.rejected
    assert result.firms.iloc[0][["name", "address"]].tolist() == ["Acme LLC", "1 Main St"]
    assert pd.isna(result.firms.iloc[0]["code"])
    assert result.rejected["reason"].tolist() == ["unparseable number in employees"]


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("fmt", "header", "missing"),
    [
        ("ppp-georgia", "Date,Recipient,NAICS,Jobs\n2020-04-08,Questo Inc,522292,3\n", "ZCTA"),
        ("ppp-montana", "BusinessName,Zip,NAICSCode,DateApproved\nX,59711,622110,4/3/20\n", "JobsRetained"),
        ("ppp-us", "City,State,Zip,JobsRetained\nPELHAM,AL,35124,3\n", "NAICSCode"),
    ],
)
def test_missing_column_names_it(tmp_path: Path, fmt: str, header: str, missing: str) -> None:
    path = tmp_path / "loans.csv"
    path.write_text(header)
    with pytest.raises(InputError, match=f"column '{missing}'"):
        clusterwatch.read_firms(path, format=fmt)


def test_parquet_missing_column_names_it(tmp_path: Path) -> None:
    path = tmp_path / "loans.parquet"
    pd.DataFrame({"City": ["PELHAM"], "State": ["AL"], "Zip": ["35124"], "JobsRetained": ["3"]}).to_parquet(path)
    with pytest.raises(InputError, match="column 'NAICSCode'"):
        clusterwatch.read_firms(path, format="ppp-us")


def test_hand_made_georgia_rows(tmp_path: Path) -> None:
    path = tmp_path / "ga.csv"
    path.write_text(
        "Date,Recipient,BusinessType,NAICS,NonProfit,Address,City,ZCTA,FIPS,Jobs,Amount\n"
        "2020-04-08,Good Co,Corp,522292,N,1 Broad St,Augusta,30901.0,13245,5,1000\n"
        "2020-04-08,Bad Code Co,Corp,52229X,N,1 Broad St,Augusta,30901.0,13245,5,1000\n"
        "2020-04-08,Church,Non-Profit,813110,Y,1 Broad St,Augusta,99999.0,13245,-2,1000\n"
        "2020-13-45,Odd Date Co,Corp,0,N,1 Broad St,Augusta,30901.0,13245,5,1000\n"
        "2020-04-09,No Code Co,Corp,0,N,1 Broad St,Augusta,30901.0,13245,0,\n"
    )
    result = clusterwatch.read_firms(path, format="ppp-georgia", today=TODAY)
    assert result.report.rows_read == 5 == result.report.accepted + result.report.rejected
    reasons = dict(zip(result.rejected["record"].astype(int), result.rejected["reason"], strict=True))
    assert reasons == {
        2: "malformed naics code",
        3: "cannot locate: ZIP 99999 not in the US ZIP table",
        4: "unparseable date in date",  # the loan's approval date: the row goes with it
    }
    assert result.firms["firm_id"].tolist() == ["PPP-GA-1", "PPP-GA-5"]
    assert pd.isna(result.firms.iloc[1]["code"]) and result.firms.iloc[1]["employees"] == 0.0
    assert result.events["firm_id"].tolist() == ["PPP-GA-1", "PPP-GA-5"]
    assert pd.isna(result.events.iloc[1]["amount"])
