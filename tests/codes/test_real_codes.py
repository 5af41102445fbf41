"""The code tables against the codes that real public datasets carry (shared data folder)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from clusterwatch.codes import code_title, code_titles, truncate, valid_mask


def test_every_georgia_ppp_naics_code_has_a_title_or_is_counted(shared_data: Path) -> None:
    ppp = pd.read_csv(shared_data / "ppp_georgia" / "ppp_georgia_dedup.csv.gz", dtype=str, usecols=["NAICS"])
    codes = ppp["NAICS"]
    assert len(codes) == 79_760
    six = codes[codes.str.fullmatch(r"\d{6}")]
    titled = six.isin(code_titles("naics", level="national_industry")["code"])
    distinct = six.drop_duplicates()
    untitled = sorted(set(distinct[~distinct.isin(six[titled])]))
    # 1,016 distinct six-digit codes: 980 NAICS 2017, 35 earlier NAICS, and SBA's 999990 "unclassified"
    assert distinct.size == 1016
    assert untitled == ["999990"]
    assert titled.sum() == 77_871  # of 78,888 rows with six digits: 98.7 %
    assert (codes[~codes.str.fullmatch(r"\d{6}")] == "0").sum() == 872  # the other rows hold "0"


def test_georgia_titles_agree_with_the_file(shared_data: Path) -> None:
    ppp = pd.read_csv(shared_data / "ppp_georgia" / "ppp_georgia_dedup.csv.gz", dtype=str)
    pairs = ppp[["NAICS", "Industry-2", "Industry-3"]].dropna().drop_duplicates("NAICS")
    sectors = truncate(pairs["NAICS"], "naics", "sector").map(lambda c: code_title(c, "naics"))
    subsectors = truncate(pairs["NAICS"], "naics", "subsector").map(lambda c: code_title(c, "naics"))
    assert (sectors == pairs["Industry-2"].str.strip()).all()
    assert (subsectors == pairs["Industry-3"].str.strip()).all()


def test_companies_house_sic_codes_and_titles(shared_data: Path) -> None:
    sample = pd.read_csv(
        shared_data / "companies_house_sample" / "BasicCompanyDataAsOneFile-2020-05-01_sample.csv", dtype=str
    )
    text = pd.concat([sample[f"SICCode.SicText_{i}"] for i in range(1, 5)]).dropna()
    parts = text.str.extract(r"^(\d{5}) - (.+)$").dropna()
    assert len(parts) == 5_184
    assert valid_mask(parts[0], "uksic2007").all()
    titles = parts[0].map(lambda c: code_title(c, "uksic2007"))
    assert (titles == parts[1].str.replace(r"\s+", " ", regex=True).str.strip()).all()
    # the rest: 20 four-digit SIC 2003 codes left in the register, and "None Supplied"; a SIC 2003 code can
    # look like a SIC 2007 class ("4531 - Installation electrical wiring etc." is not 45.31), so form alone
    # cannot tell the vintages apart
    old = text.str.extract(r"^(\d{4}) - ")[0].dropna()
    assert len(old) == 20
    assert code_title("4531", "uksic2007") == "Wholesale trade of motor vehicle parts and accessories"
    assert len(parts) + len(old) + (text == "None Supplied").sum() == len(text)


def test_norwegian_register_codes(shared_data: Path) -> None:
    register = pd.read_csv(shared_data / "norway_brreg" / "brreg_enheter_sample_with_text.csv.gz", dtype=str)
    codes = register["naeringskode1.kode"].dropna()
    known = codes[codes != "00.000"]
    assert valid_mask(known, "sn2007").all()
    sample = register[["naeringskode1.kode", "naeringskode1.beskrivelse"]].dropna().drop_duplicates()
    sample = sample[sample["naeringskode1.kode"] != "00.000"]
    titles = sample["naeringskode1.kode"].map(lambda c: code_title(c, "sn2007"))
    assert (titles == sample["naeringskode1.beskrivelse"]).all()
    divisions = truncate(known, "sn2007", "division")
    assert divisions.notna().all() and divisions.isin(code_titles("nace2", level="division")["code"]).all()
