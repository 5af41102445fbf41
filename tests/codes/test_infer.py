"""infer_code_system: a system is named only where the codes' shape leaves no doubt; hand-picked codes."""

from __future__ import annotations

import pandas as pd
import pytest

from clusterwatch.codes import infer_code_system

NAICS = ["541511", "541512", "238220", "722511", "311811", "541330"]


@pytest.mark.parametrize(("codes", "country", "system"), [
    (NAICS, None, "naics"),                                 # six digits: only NAICS has them
    (["5415", "2382", "7225", "3118"], None, "naics"),      # four-digit NAICS industry groups, not NACE classes
    (["62.01", "62.02", "71.12", "10.71"], None, "nace2"),  # dotted: never NAICS
    (["6201", "6202", "7112", "1071"], None, "nace2"),      # NACE classes that are no NAICS codes
    (["62.01", "62.02", "71.12"], "FR", "nace2"),
    (["62012", "71121", "56101", "47110"], "GB", "uksic2007"),
    (["62.010", "71.121", "56.101", "47.111"], "NO", "sn2007"),
])
def test_unambiguous_codes_name_their_system(codes: list[str], country: str | None, system: str) -> None:
    guess = infer_code_system(codes, country=country)
    assert guess.system == system
    assert guess.n_codes == len(codes) and guess.shares[system] >= 0.9


@pytest.mark.parametrize(("codes", "country", "why"), [
    (["62", "71", "23"], None, "unambiguously"),         # NAICS sectors and NACE divisions alike
    (["62012", "71121", "56101"], None, "unambiguously"),  # five digits: UK SIC, SN2007 or NAICS without a country
    (["J", "62.01"], None, "not all numeric"),            # NACE sections are letters, as local classes are
    (["carpentry", "bakery"], None, "not all numeric"),
    (["541511", "62.01"], None, "unambiguously"),          # mixed: a dot rules NAICS out, six digits NACE
    (["541511", "999999", "888888", "777777"], None, "unambiguously"),  # most codes unknown
    ([], None, "no codes"),
    ([None, "", "  "], None, "no codes"),
])
def test_ambiguous_codes_name_none(codes: list[str | None], country: str | None, why: str) -> None:
    guess = infer_code_system(codes, country=country)
    assert guess.system is None and why in guess.reason


def test_most_rows_decide_and_shares_count_rows() -> None:
    # 19 of 20 rows are known NAICS codes: 95 %; one unknown code does not stop the guess
    codes = pd.Series(["541511"] * 19 + ["541599"], index=range(100, 120))
    guess = infer_code_system(codes)
    assert guess.system == "naics" and guess.shares["naics"] == pytest.approx(0.95)
    assert infer_code_system(codes, most=0.99).system is None
    assert codes.tolist()[-1] == "541599"  # the input is not changed
