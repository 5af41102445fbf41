"""Official industry code hierarchies: titles, levels, truncation, parents and validity.

Code systems (names as in a ``code_system`` column):

- ``naics``: NAICS 2017 (US Census Bureau), 2 to 6 digits, sectors ``31-33``, ``44-45`` and ``48-49`` included,
  plus codes of earlier NAICS editions that occur in the project's real data (marked by ``vintage``).
- ``nace2``: NACE Rev. 2 (Eurostat): section letter A-U, division (2 digits), group (3), class (4).
- ``uksic2007``: UK SIC 2007 (ONS): NACE Rev. 2 down to class, plus five-digit subclasses with the wording of
  Companies House (and its three administrative codes ``74990``, ``98000``, ``99999``).
- ``sn2007``: Norway's SN2007 (Statistics Norway): NACE Rev. 2 plus a national fifth digit; five-digit titles are
  the register's Norwegian ones.

Codes are handled in their stored form: digit strings with dots, spaces and dashes removed (``"62.01"`` is
``"6201"``), section letters upper case, NAICS sector ranges written ``"31-33"``. Every function that takes a
:class:`pandas.Series` works on its distinct values and returns a Series aligned on the input's index.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache
from typing import TypeAlias

import numpy as np
import pandas as pd

from clusterwatch.codes._tables import (
    LEVELS,
    NAICS_SECTOR_RANGES,
    CodeLevel,
    check_system,
    irregular_codes,
    nace_table,
    parent_map,
    section_of_division,
    title_map,
    titles_table,
)
from clusterwatch.errors import OptionError

_MAX_DIGITS = {"naics": 6, "nace2": 4, "uksic2007": 5, "sn2007": 5}
_RANGE_CODE = r"(31-33|44-45|48-49)"
_RANGE = re.compile(_RANGE_CODE)
_SEPARATORS = re.compile(r"[.\s-]")
_SPACES = re.compile(r"\s+")
_TRAILING_ZERO_DECIMALS = re.compile(r"\.0+$")

#: What functions taking many codes accept: a Series (its index is kept), a list or an Index.
CodesLike: TypeAlias = pd.Series | pd.Index | Sequence[object]


def _per_distinct(text: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply ``fn`` to the distinct non-missing values of ``text`` and spread the answers back over its index."""
    positions, distinct = pd.factorize(text, use_na_sentinel=True)
    answers = fn(pd.Series(distinct, dtype="string")).astype("string").reset_index(drop=True)
    answers = pd.concat([answers, pd.Series([pd.NA], dtype="string")], ignore_index=True)
    out = answers.take(np.where(positions < 0, len(answers) - 1, positions))
    out.index = text.index
    out.name = text.name
    return out


def _normalise_one(code: object, system: str) -> str | None:
    """One code in stored form: stripped, upper case, dots, spaces and dashes removed (NAICS ranges kept)."""
    if code is None or (not isinstance(code, str) and bool(pd.isna(code))):  # type: ignore[call-overload]
        return None
    if isinstance(code, float | np.floating) and float(code).is_integer():
        code = int(code)  # a code read as a number: 541715.0 is 541715
    text = str(code).strip().upper()
    if system == "naics":
        text = _TRAILING_ZERO_DECIMALS.sub("", text)  # NAICS codes have no dots; "541715.0" was a float
        compact = _SPACES.sub("", text)
        if _RANGE.fullmatch(compact):
            return compact
    text = _SEPARATORS.sub("", text)
    return text or None


def _normalise(codes: CodesLike, system: str) -> pd.Series:
    """Codes in stored form (``string`` dtype), aligned on the input; the rules run once per distinct value."""
    series = codes if isinstance(codes, pd.Series) else pd.Series(list(codes), dtype=object)
    positions, distinct = pd.factorize(series, use_na_sentinel=True)
    cleaned = pd.array([_normalise_one(value, system) for value in distinct] + [None], dtype="string")
    out = pd.Series(cleaned.take(np.where(positions < 0, len(distinct), positions)), index=series.index)
    out.name = series.name
    return out


def _resolve_level(system: str, level: str | int) -> tuple[CodeLevel, bool]:
    """The level asked for, and whether NAICS sectors should be written as ranges (``"31-33"``)."""
    options = LEVELS[system]
    if isinstance(level, str) and level.strip().isdigit():
        level = int(level)
    if isinstance(level, int | np.integer) and not isinstance(level, bool):
        for candidate in options:
            if candidate.digits == int(level):
                return candidate, False
    elif isinstance(level, str):
        for candidate in options:
            if candidate.name == level.strip().lower():
                return candidate, system == "naics" and candidate.name == "sector"
    allowed = ", ".join(f"{c.name!r}" + (f" ({c.digits})" if c.digits else "") for c in options)
    raise OptionError(f"unknown level {level!r} for {system}; allowed: {allowed}")


def _truncate_distinct(distinct: pd.Series, system: str, level: CodeLevel, ranged: bool) -> pd.Series:
    digits = distinct.str.fullmatch(r"\d+").fillna(False)
    length = distinct.str.len()
    well_formed = digits & length.between(2, _MAX_DIGITS[system])
    if level.digits is None:  # NACE-family section: from the division
        division = distinct.str.slice(0, 2).where(well_formed)
        out = division.map(section_of_division()).astype("string")
        is_section = distinct.isin(set(section_of_division().values()))
        out = out.where(~is_section, distinct)
    else:
        out = distinct.str.slice(0, level.digits).where(well_formed & (length >= level.digits))
        if ranged:
            out = out.replace(NAICS_SECTOR_RANGES)
            out = out.where(~distinct.isin(set(NAICS_SECTOR_RANGES.values())), distinct)
    irregular = irregular_codes(system)
    if irregular:
        known = distinct.isin(irregular)
        if known.any():
            out = out.astype(object)
            out[known] = [irregular[code][level.name] for code in distinct[known]]
    return out.astype("string")


def levels(system: str) -> tuple[str, ...]:
    """Names of the levels of a code system, coarsest first.

    Parameters
    ----------
    system
        ``"naics"``, ``"nace2"``, ``"uksic2007"`` or ``"sn2007"``.

    Returns
    -------
    tuple of str
        NAICS: sector (2 digits), subsector (3), industry_group (4), industry (5), national_industry (6).
        NACE Rev. 2: section (letter), division (2), group (3), class (4); UK SIC 2007 and SN2007 add
        subclass (5).

    Raises
    ------
    OptionError
        When ``system`` is not one of the four.

    References
    ----------
    US Census Bureau (2017). *North American Industry Classification System, United States, 2017*.
    Eurostat (2008). *NACE Rev. 2 - Statistical classification of economic activities in the European
    Community*. Office for National Statistics (2009). *UK Standard Industrial Classification of Economic
    Activities 2007 (SIC 2007)*.

    Examples
    --------
    >>> levels("nace2")
    ('section', 'division', 'group', 'class')
    """
    return tuple(level.name for level in LEVELS[check_system(system)])


def code_titles(system: str, level: str | None = None) -> pd.DataFrame:
    """The table of codes and titles of a code system.

    Parameters
    ----------
    system
        ``"naics"``, ``"nace2"``, ``"uksic2007"`` or ``"sn2007"``.
    level
        Keep only this level (a name from :func:`levels`); all levels when ``None``.

    Returns
    -------
    pandas.DataFrame
        A new frame with columns ``code``, ``level``, ``title``, ``parent`` (``None`` at the top) and ``source``
        (where the title comes from, see the data folder's PROVENANCE.md); NAICS adds ``vintage`` (the last NAICS
        edition holding the code: ``"2017"`` for the current structure), UK SIC 2007 adds ``official`` (False for
        the three Companies House administrative codes). SN2007 five-digit titles are Norwegian (Bokmål).

    Raises
    ------
    OptionError
        When ``system`` or ``level`` is unknown.

    References
    ----------
    US Census Bureau (2017). *North American Industry Classification System, United States, 2017*.
    Eurostat (2008). *NACE Rev. 2 - Statistical classification of economic activities in the European
    Community*. Office for National Statistics (2009). *UK SIC 2007*. Statistics Norway (2008). *Standard for
    naeringsgruppering (SN2007)*.

    Examples
    --------
    >>> divisions = code_titles("nace2", level="division")
    >>> len(divisions)
    88
    >>> divisions.set_index("code").loc["62", "title"]
    'Computer programming, consultancy and related activities'
    """
    name = check_system(system)
    table = titles_table(name)
    if level is not None:
        if level not in levels(name):
            raise OptionError(f"unknown level {level!r} for {name}; allowed: {', '.join(levels(name))}")
        table = table[table["level"] == level]
    out = table.reset_index(drop=True).copy()
    out["parent"] = out["parent"].astype(object).where(out["parent"].notna(), None)
    return out


def code_title(code: object, system: str) -> str | None:
    """The official title of one code.

    Parameters
    ----------
    code
        A code at any level, in stored or printed form (``"62.01"`` and ``"6201"`` are the same code).
        A NAICS two-digit code inside a sector range (``"32"``) gets the sector's title.
    system
        ``"naics"``, ``"nace2"``, ``"uksic2007"`` or ``"sn2007"``.

    Returns
    -------
    str or None
        The title, or ``None`` when the code is missing, malformed or not in the shipped table.

    Raises
    ------
    OptionError
        When ``system`` is unknown.

    References
    ----------
    US Census Bureau (2017). *North American Industry Classification System, United States, 2017*.
    Eurostat (2008). *NACE Rev. 2 - Statistical classification of economic activities in the European
    Community*. Office for National Statistics (2009). *UK SIC 2007*.

    Examples
    --------
    >>> code_title("5417", "naics")
    'Scientific Research and Development Services'
    >>> code_title("62.01", "nace2")
    'Computer programming activities'
    >>> code_title("62020", "uksic2007")
    'Information technology consultancy activities'
    >>> code_title("32", "naics")
    'Manufacturing'
    """
    name = check_system(system)
    value = _normalise_one(code, name)
    if value is None:
        return None
    if name == "naics" and value in NAICS_SECTOR_RANGES:
        value = NAICS_SECTOR_RANGES[value]
    return title_map(name).get(value)


def truncate(codes: CodesLike, system: str, level: str | int) -> pd.Series:
    """Codes cut to a coarser level of their hierarchy, vectorised.

    Parameters
    ----------
    codes
        Codes in stored or printed form (a Series keeps its index; a list gets a fresh one). Missing values
        stay missing; numbers read from a file (``541715.0``) are read as the code they spell.
    system
        ``"naics"``, ``"nace2"``, ``"uksic2007"`` or ``"sn2007"``.
    level
        A level name from :func:`levels`, or a number of digits. For NAICS, ``"sector"`` gives official sectors
        with ranges (``"32"`` and ``"33"`` both become ``"31-33"``) while ``2`` gives plain two-digit codes.
        For NACE-family systems, ``"section"`` gives the section letter.

    Returns
    -------
    pandas.Series
        ``string`` dtype, aligned on the input's index, named as the input. Missing where the code is missing or
        malformed, where it is coarser than ``level`` (``"54"`` has no four-digit part), and for the Companies
        House administrative codes above their own level. Codes are not checked against the tables beyond their
        form; use :func:`is_valid` for that.

    Raises
    ------
    OptionError
        When ``system`` or ``level`` is unknown.

    References
    ----------
    US Census Bureau (2017). *North American Industry Classification System, United States, 2017*, section
    "NAICS structure and code ranges". Eurostat (2008). *NACE Rev. 2*, structure of the classification.

    Examples
    --------
    >>> import pandas as pd
    >>> truncate(pd.Series(["541715", "336411", None]), "naics", "industry_group").tolist()
    ['5417', '3364', <NA>]
    >>> truncate(pd.Series(["336411", "325412"]), "naics", "sector").tolist()
    ['31-33', '31-33']
    >>> truncate(pd.Series(["62.01", "6201"]), "nace2", "section").tolist()
    ['J', 'J']
    """
    name = check_system(system)
    target, ranged = _resolve_level(name, level)
    clean = _normalise(codes, name)
    return _per_distinct(clean, lambda distinct: _truncate_distinct(distinct, name, target, ranged))


def parent(code: object, system: str) -> str | None:
    """The code one level up.

    Parameters
    ----------
    code
        A code at any level, in stored or printed form.
    system
        ``"naics"``, ``"nace2"``, ``"uksic2007"`` or ``"sn2007"``.

    Returns
    -------
    str or None
        The parent from the shipped table when the code is there (a discontinued NAICS code's parent is the
        closest code above it that is in the table); otherwise the parent its digits imply. ``None`` at the top
        (a NAICS sector, a NACE section), for missing or malformed codes, and for the Companies House
        administrative codes.

    Raises
    ------
    OptionError
        When ``system`` is unknown.

    References
    ----------
    US Census Bureau (2017). *North American Industry Classification System, United States, 2017*.
    Eurostat (2008). *NACE Rev. 2*.

    Examples
    --------
    >>> parent("311", "naics")
    '31-33'
    >>> parent("62", "nace2")
    'J'
    >>> parent("62020", "uksic2007")
    '6202'
    """
    name = check_system(system)
    value = _normalise_one(code, name)
    if value is None:
        return None
    chain = parent_map(name)
    if value in chain:
        return chain[value]
    if (name == "naics" and value in NAICS_SECTOR_RANGES) or not value.isdigit():
        return None
    if not 2 <= len(value) <= _MAX_DIGITS[name]:
        return None
    options = LEVELS[name]
    if len(value) == 2:
        if name == "naics":
            return None
        target, ranged = options[0], False
    else:
        target, ranged = _resolve_level(name, len(value) - 1)
        ranged = name == "naics" and target.name == "sector"
    up = _truncate_distinct(pd.Series([value], dtype="string"), name, target, ranged).iloc[0]
    return None if pd.isna(up) else str(up)


@cache
def _valid_codes(system: str) -> frozenset[str]:
    codes = set(titles_table(system)["code"])
    if system == "naics":
        codes |= set(NAICS_SECTOR_RANGES)
    return frozenset(codes)


@cache
def _nace_classes() -> frozenset[str]:
    nace = nace_table()
    return frozenset(nace.loc[nace["level"] == "class", "code"])


def _is_valid_one(value: str, system: str) -> bool:
    if value in _valid_codes(system):
        return True
    # SN2007: the national fifth digit is known only where the register uses it, so check the NACE class
    return system == "sn2007" and len(value) == 5 and value.isdigit() and value[:4] in _nace_classes()


def is_valid(code: object, system: str) -> bool:
    """Whether one code exists in a code system.

    Parameters
    ----------
    code
        One code, in stored or printed form (``"62.01"`` or ``"6201"``).
    system
        ``"naics"``, ``"nace2"``, ``"uksic2007"`` or ``"sn2007"``.

    Returns
    -------
    bool
        True for a code in the shipped table at any level: NAICS 2017 codes and sector ranges, the two-digit
        parts of those ranges (``"32"``) and the discontinued codes the table holds; NACE Rev. 2 sections,
        divisions, groups and classes; UK SIC 2007 down to the five-digit subclasses (Companies House codes
        included). For SN2007 a five-digit code is valid when its first four digits are a NACE class, because
        the shipped list of national subclasses holds only those seen in the register. The check is on the
        code alone: a code of another edition that happens to exist (a SIC 2003 ``4531`` is also a SIC 2007
        class) passes. False for a missing code.

    Raises
    ------
    OptionError
        When ``system`` is unknown, or when ``code`` is a collection (use :func:`valid_mask` for many codes).

    References
    ----------
    US Census Bureau (2017). *North American Industry Classification System, United States, 2017*.
    Eurostat (2008). *NACE Rev. 2*. Office for National Statistics (2009). *UK SIC 2007*.

    Examples
    --------
    >>> is_valid("541715", "naics"), is_valid("541799", "naics")
    (True, False)
    >>> is_valid("62.01", "nace2")
    True
    """
    name = check_system(system)
    if isinstance(code, pd.Series | pd.Index | np.ndarray | list | tuple | set):
        raise OptionError(f"is_valid takes one code, got a {type(code).__name__}; use valid_mask for many codes")
    value = _normalise_one(code, name)
    return value is not None and _is_valid_one(value, name)


def valid_mask(codes: CodesLike, system: str) -> pd.Series:
    """Whether each of many codes exists in a code system, vectorised.

    Parameters
    ----------
    codes
        Codes in stored or printed form (a Series keeps its index; a list gets a fresh one).
    system
        ``"naics"``, ``"nace2"``, ``"uksic2007"`` or ``"sn2007"``.

    Returns
    -------
    pandas.Series
        Boolean, aligned on the input's index, by the rules of :func:`is_valid`; missing codes are False.

    Raises
    ------
    OptionError
        When ``system`` is unknown.

    References
    ----------
    US Census Bureau (2017). *North American Industry Classification System, United States, 2017*.
    Eurostat (2008). *NACE Rev. 2*. Office for National Statistics (2009). *UK SIC 2007*.

    Examples
    --------
    >>> import pandas as pd
    >>> valid_mask(pd.Series(["6201", None, "6205", "J"]), "nace2").tolist()
    [True, False, False, True]
    """
    name = check_system(system)
    clean = _normalise(codes, name)
    positions, distinct = pd.factorize(clean, use_na_sentinel=True)
    flags = np.array([_is_valid_one(str(value), name) for value in distinct] + [False], dtype=bool)
    out = pd.Series(flags[np.where(positions < 0, len(distinct), positions)], index=clean.index, dtype=bool)
    out.name = clean.name
    return out
