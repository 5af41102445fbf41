"""Code formats and the ;-joined codes column: one place, used by ingest and the commands."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import clusterwatch
from clusterwatch.codes.formats import CODE_PATTERNS, explode_codes, join_codes, normalise_code
from clusterwatch.io import validate


def test_ingest_checks_codes_with_the_codes_patterns() -> None:
    assert validate.CODE_PATTERNS is CODE_PATTERNS
    assert validate.normalise_code is normalise_code


def test_explode_keeps_the_row_labels_and_drops_blanks() -> None:
    codes = pd.Series(["541715; 334413", pd.NA, " ; 62", ""], index=[3, 4, 5, 6])
    out = explode_codes(codes)
    assert out.index.tolist() == [3, 3, 5] and out.tolist() == ["541715", "334413", "62"]


def test_join_then_explode_round_trips() -> None:
    codes = ["5417", "3345", "5417", " 62 "]
    joined = join_codes(codes)
    assert joined == "5417;3345;62"
    assert explode_codes(pd.Series([joined])).tolist() == ["5417", "3345", "62"]


def test_companies_house_firms_codes_explode_to_valid_uk_sic(shared_data: Path) -> None:
    # real register rows carry up to four SIC codes each, stored joined in `codes`; each one has the UK SIC format
    sample = shared_data / "companies_house_sample" / "BasicCompanyDataAsOneFile-2020-05-01_sample.csv"
    firms = clusterwatch.read_firms(sample, format="companies-house").firms
    codes = firms["codes"].dropna().astype("string")
    several = codes.str.contains(";").sum()
    exploded = explode_codes(codes)
    assert several > 0 and len(exploded) == len(codes) + codes.str.count(";").sum()
    assert normalise_code(exploded).str.fullmatch(CODE_PATTERNS["uksic2007"]).all()
    assert set(exploded.index) == set(codes.index)
