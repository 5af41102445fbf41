"""Code hierarchies: table completeness, hand-checked titles and truncations, vectorised behaviour, bad input."""

from __future__ import annotations

import pandas as pd
import pytest

from clusterwatch.codes import (
    CODE_SYSTEMS,
    code_title,
    code_titles,
    is_valid,
    levels,
    parent,
    truncate,
    valid_mask,
)
from clusterwatch.errors import OptionError

# ---------------------------------------------------------------- tables


@pytest.mark.parametrize(
    ("system", "counts"),
    [
        ("nace2", {"section": 21, "division": 88, "group": 272, "class": 615}),
        ("naics", {"sector": 20, "subsector": 99, "industry_group": 311, "industry": 709}),
        ("uksic2007", {"section": 21, "division": 88, "group": 272, "class": 615, "subclass": 731}),
    ],
)
def test_level_counts_match_the_published_structure(system: str, counts: dict[str, int]) -> None:
    table = code_titles(system)
    for level, expected in counts.items():
        assert (table["level"] == level).sum() == expected, level


def test_naics_2017_six_digit_codes_are_all_there() -> None:
    table = code_titles("naics")
    six = table[table["level"] == "national_industry"]
    assert (six["vintage"] == "2017").sum() == 1057
    assert (six["vintage"] != "2017").sum() == 35  # discontinued codes met in the real data


@pytest.mark.parametrize("system", CODE_SYSTEMS)
def test_tables_are_trees_with_clean_titles(system: str) -> None:
    table = code_titles(system)
    assert table["code"].is_unique
    assert set(table["level"]) <= set(levels(system))
    parents = table["parent"].dropna()
    assert parents.isin(table["code"]).all(), "every parent is a row of the table"
    titles = table["title"]
    assert titles.notna().all()
    assert (titles == titles.str.strip()).all()
    assert not titles.str.contains("  ").any()
    order = {name: i for i, name in enumerate(levels(system))}
    level_of = dict(zip(table["code"], table["level"], strict=True))
    child_rank = table.loc[parents.index, "level"].map(order)
    parent_rank = parents.map(level_of).map(order)
    assert (parent_rank < child_rank).all(), "a parent sits above its child"


def test_code_titles_returns_a_copy() -> None:
    first = code_titles("nace2")
    first.loc[0, "title"] = "changed"
    assert code_titles("nace2").loc[0, "title"] == "Agriculture, forestry and fishing"


# ---------------------------------------------------------------- hand-checked values


@pytest.mark.parametrize(
    ("code", "system", "title"),
    [
        ("5417", "naics", "Scientific Research and Development Services"),
        (
            "541715",
            "naics",
            "Research and Development in the Physical, Engineering, and Life Sciences "
            "(except Nanotechnology and Biotechnology)",
        ),
        ("31-33", "naics", "Manufacturing"),
        ("33", "naics", "Manufacturing"),
        ("44-45", "naics", "Retail Trade"),
        ("33641", "naics", "Aerospace Product and Parts Manufacturing"),
        ("72211", "naics", None),  # a NAICS 2007 industry, not in the 2017 table
        ("722110", "naics", "Full-Service Restaurants"),
        ("J", "nace2", "Information and communication"),
        ("62", "nace2", "Computer programming, consultancy and related activities"),
        ("62.0", "nace2", "Computer programming, consultancy and related activities"),
        ("62.01", "nace2", "Computer programming activities"),
        ("72.11", "nace2", "Research and experimental development on biotechnology"),
        ("62020", "uksic2007", "Information technology consultancy activities"),
        ("62012", "uksic2007", "Business and domestic software development"),
        ("6202", "uksic2007", "Computer consultancy activities"),
        ("99999", "uksic2007", "Dormant Company"),
        ("46.694", "sn2007", "Engroshandel med maskiner og utstyr til handel, transport og tjenesteyting ellers"),
        ("4669", "sn2007", "Wholesale of other machinery and equipment"),
        ("9999", "nace2", None),
        (None, "naics", None),
    ],
)
def test_code_title(code: str | None, system: str, title: str | None) -> None:
    assert code_title(code, system) == title


@pytest.mark.parametrize(
    ("code", "system", "level", "expected"),
    [
        ("541715", "naics", "industry_group", "5417"),
        ("541715", "naics", 4, "5417"),
        ("541715", "naics", "national_industry", "541715"),
        ("336411", "naics", "sector", "31-33"),
        ("336411", "naics", 2, "33"),
        ("336411", "naics", "subsector", "336"),
        ("445110", "naics", "sector", "44-45"),
        ("493110", "naics", "sector", "48-49"),
        ("541715", "naics", "sector", "54"),
        ("31-33", "naics", "sector", "31-33"),
        ("5417", "naics", "national_industry", None),  # coarser than asked
        ("6201", "nace2", "section", "J"),
        ("6201", "nace2", "division", "62"),
        ("62.01", "nace2", "group", "620"),
        ("J", "nace2", "section", "J"),
        ("J", "nace2", "division", None),
        ("62020", "uksic2007", "class", "6202"),
        ("62012", "uksic2007", "class", "6201"),
        ("62012", "uksic2007", "section", "J"),
        ("99999", "uksic2007", "division", None),  # dormant company: in no division, not in 99
        ("98000", "uksic2007", "section", None),
        ("46.694", "sn2007", "class", "4669"),
        ("46.694", "sn2007", "section", "G"),
        ("620123", "nace2", "class", None),  # too long for NACE: malformed
        ("ab12", "naics", "sector", None),
    ],
)
def test_truncate_hand_checked(code: str, system: str, level: str | int, expected: str | None) -> None:
    out = truncate(pd.Series([code]), system, level).iloc[0]
    assert (pd.isna(out) and expected is None) or out == expected


@pytest.mark.parametrize(
    ("code", "system", "expected"),
    [
        ("541715", "naics", "54171"),
        ("311", "naics", "31-33"),
        ("31-33", "naics", None),
        ("32", "naics", None),
        ("722110", "naics", "722"),  # discontinued: the closest code above it in the table
        ("7221", "naics", "722"),  # not in the table: its digits decide
        ("6201", "nace2", "620"),
        ("62", "nace2", "J"),
        ("J", "nace2", None),
        ("62020", "uksic2007", "6202"),
        ("99999", "uksic2007", None),
        ("46694", "sn2007", "4669"),
        ("62019", "sn2007", "6201"),
        ("x", "nace2", None),
    ],
)
def test_parent(code: str, system: str, expected: str | None) -> None:
    assert parent(code, system) == expected


def test_is_valid_scalar_and_series() -> None:
    assert is_valid("541715", "naics")
    assert is_valid("32", "naics")
    assert not is_valid("541799", "naics")
    assert is_valid("62.01", "nace2")
    assert not is_valid("6205", "nace2")
    assert is_valid("74990", "uksic2007")
    assert not is_valid("62010", "uksic2007")  # 62.01 is split into 62011 and 62012
    assert is_valid("62019", "sn2007")  # structural: NACE class 6201 plus a national digit
    assert not is_valid("62059", "sn2007")
    assert not is_valid(None, "naics")
    assert not is_valid(float("nan"), "naics")
    assert is_valid(541715.0, "naics")  # a code read as a number
    with pytest.raises(OptionError, match="valid_mask"):
        is_valid(pd.Series(["6201"]), "nace2")


def test_valid_mask_is_aligned_and_false_for_missing() -> None:
    codes = pd.Series(["6201", None, "x", "J", "62.01"], index=[10, 11, 12, 13, 14], name="code")
    flags = valid_mask(codes, "nace2")
    assert flags.tolist() == [True, False, False, True, True]
    assert flags.index.tolist() == [10, 11, 12, 13, 14]
    assert flags.dtype == bool and flags.name == "code"
    assert valid_mask(["62019", "62059"], "sn2007").tolist() == [True, False]
    assert valid_mask(pd.Series([], dtype="string"), "naics").empty


# ---------------------------------------------------------------- vectorised behaviour


def test_truncate_keeps_index_name_and_missing_values() -> None:
    codes = pd.Series(["541715", None, "336411", "", "541715"], index=list("abcde"), name="code")
    out = truncate(codes, "naics", "sector")
    assert out.index.tolist() == list("abcde")
    assert out.name == "code"
    assert str(out.dtype) == "string"
    assert out.tolist() == ["54", pd.NA, "31-33", pd.NA, "54"]


def test_truncate_reads_numbers_and_lists() -> None:
    as_float = pd.Series([541715.0, float("nan"), 336411.0])
    assert truncate(as_float, "naics", 3).tolist() == ["541", pd.NA, "336"]
    assert truncate(pd.Series([541715, 336411]), "naics", 3).tolist() == ["541", "336"]
    assert truncate(["62.01", "J"], "nace2", "section").tolist() == ["J", "J"]
    assert truncate(pd.Series([], dtype="string"), "nace2", "section").empty


def test_truncate_at_every_level_agrees_with_the_parent_chain() -> None:
    table = code_titles("nace2", level="class")
    classes = table["code"]
    groups = truncate(classes, "nace2", "group")
    assert (groups.to_numpy() == table["parent"].to_numpy()).all()
    sections = truncate(classes, "nace2", "section")
    divisions = truncate(classes, "nace2", "division")
    expected = divisions.map(lambda d: parent(d, "nace2"))
    assert (sections == expected).all()


# ---------------------------------------------------------------- bad input


def test_unknown_system_names_the_allowed_ones() -> None:
    with pytest.raises(OptionError, match="naics, nace2, uksic2007, sn2007"):
        code_title("6201", "nace")
    with pytest.raises(OptionError, match="unknown code system 'sic1987'"):
        truncate(pd.Series(["1311"]), "sic1987", 2)


def test_unknown_level_names_the_allowed_ones() -> None:
    with pytest.raises(OptionError, match="'section'"):
        truncate(pd.Series(["6201"]), "nace2", "subclass")
    with pytest.raises(OptionError, match="unknown level 1"):
        truncate(pd.Series(["6201"]), "nace2", 1)
    with pytest.raises(OptionError, match="unknown level 'class'"):
        code_titles("naics", level="class")
