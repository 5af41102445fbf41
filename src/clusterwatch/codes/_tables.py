"""The shipped code tables, loaded lazily and cached, and the level structure of each code system.

Tables live in ``clusterwatch/data/codes`` (see its ``PROVENANCE.md``); ``bench/make_code_tables.py`` rebuilds
them. Every loader is cached with :func:`functools.cache` (an unbounded ``lru_cache``), so a table is read once per
process; the cached frames are never handed out directly (public functions return copies or scalars).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd

from clusterwatch.errors import OptionError

#: Code systems with a hierarchy in this module, by the names used in ``code_system`` columns.
CODE_SYSTEMS: tuple[str, ...] = ("naics", "nace2", "uksic2007", "sn2007")

#: NAICS sectors that span several two-digit codes.
NAICS_SECTOR_RANGES: dict[str, str] = {
    "31": "31-33",
    "32": "31-33",
    "33": "31-33",
    "44": "44-45",
    "45": "44-45",
    "48": "48-49",
    "49": "48-49",
}


@dataclass(frozen=True)
class CodeLevel:
    """One level of a code hierarchy.

    Parameters
    ----------
    name
        The level's name in the classification's own words (``"division"``, ``"industry_group"`` ...).
    digits
        Length of a code at this level; ``None`` for NACE-family sections, which are letters.
    """

    name: str
    digits: int | None


_NACE_LEVELS = (CodeLevel("section", None), CodeLevel("division", 2), CodeLevel("group", 3), CodeLevel("class", 4))
LEVELS: dict[str, tuple[CodeLevel, ...]] = {
    "naics": (
        CodeLevel("sector", 2),
        CodeLevel("subsector", 3),
        CodeLevel("industry_group", 4),
        CodeLevel("industry", 5),
        CodeLevel("national_industry", 6),
    ),
    "nace2": _NACE_LEVELS,
    "uksic2007": (*_NACE_LEVELS, CodeLevel("subclass", 5)),
    "sn2007": (*_NACE_LEVELS, CodeLevel("subclass", 5)),
}


def check_system(system: str) -> str:
    """Return ``system`` in lower case, or raise :class:`OptionError` naming the allowed systems."""
    name = str(system).strip().lower()
    if name not in CODE_SYSTEMS:
        raise OptionError(f"unknown code system {system!r}; allowed: {', '.join(CODE_SYSTEMS)}")
    return name


def _read(name: str) -> pd.DataFrame:
    data = (resources.files("clusterwatch") / "data" / "codes" / name).read_bytes()
    compression = "gzip" if name.endswith(".gz") else None
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, na_values=[""], compression=compression)


@cache
def nace_table() -> pd.DataFrame:
    """NACE Rev. 2: sections, divisions, groups and classes (996 rows)."""
    return _read("nace2.csv")


@cache
def titles_table(system: str) -> pd.DataFrame:
    """The full table of ``system``: code, level, title, parent, source (+ vintage for NAICS, official for UK SIC)."""
    if system == "naics":
        return _read("naics.csv.gz")
    nace = nace_table()
    if system == "nace2":
        return nace
    if system == "uksic2007":
        sub = _read("uksic2007.csv")
        sub["official"] = sub["official"].eq("True")
        upper = nace.assign(official=True)
        return pd.concat([upper, sub], ignore_index=True)[["code", "level", "title", "parent", "source", "official"]]
    sub = _read("sn2007_nb.csv.gz").assign(level="subclass")
    return pd.concat([nace, sub], ignore_index=True)[["code", "level", "title", "parent", "source"]]


@cache
def title_map(system: str) -> dict[str, str]:
    """Code to title for ``system``."""
    table = titles_table(system)
    return dict(zip(table["code"], table["title"], strict=True))


@cache
def parent_map(system: str) -> dict[str, str | None]:
    """Code to parent code (``None`` at the top) for ``system``."""
    table = titles_table(system)
    parents = table["parent"].astype(object).where(table["parent"].notna(), None)
    return dict(zip(table["code"], parents, strict=True))


@cache
def section_of_division() -> dict[str, str]:
    """NACE division (two digits) to its section letter."""
    nace = nace_table()
    divisions = nace[nace["level"] == "division"]
    return dict(zip(divisions["code"], divisions["parent"], strict=True))


@cache
def irregular_codes(system: str) -> dict[str, dict[str, str | None]]:
    """Codes whose ancestors do not follow from their digits, with their ancestor at each level.

    These are the Companies House additions to UK SIC 2007 (``74990`` non-trading company, ``98000`` residents'
    property management, ``99999`` dormant company): they belong to no NACE class, so every level above them is
    missing rather than what their digits would suggest (``99999`` is not in division 99).
    """
    if system != "uksic2007":
        return {}
    table = titles_table(system)
    extra = table.loc[~table["official"], "code"]
    chain = parent_map(system)
    out: dict[str, dict[str, str | None]] = {}
    levels = {row.code: row.level for row in table.itertuples()}
    for code in extra:
        ancestors: dict[str, str | None] = {level.name: None for level in LEVELS[system]}
        ancestors["subclass"] = code
        parent = chain.get(code)
        while parent is not None:
            ancestors[levels[parent]] = parent
            parent = chain.get(parent)
        out[code] = ancestors
    return out


@cache
def clusters_table(vintage: str) -> pd.DataFrame:
    """US Cluster Mapping definitions for NAICS ``vintage`` (``"2007"`` or ``"2012"``), one row per NAICS code."""
    table = _read(f"us_cluster_mapping_{vintage}.csv.gz")
    table["cluster_code"] = table["cluster_code"].astype("int64")
    for column in ("traded", "emsi_specific"):
        table[column] = table[column].eq("True")
    table["subcluster"] = table["subcluster"].astype("string")
    return table
