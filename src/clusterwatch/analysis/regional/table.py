"""The region x industry table every regional measure starts from, and its constructor for aggregate tables.

A :class:`RegionalTable` holds one row per (region, industry) cell with its employment and its count of
establishments, the industries' names and traded/local type, a point per region for maps, an optional external
reference (national totals), and the :class:`Provenance` that says what made it. Two constructors fill it:
:func:`regional_table` here, from an aggregate table such as County Business Patterns or a published cluster table,
and :func:`~clusterwatch.analysis.regional.firms.firms_to_regions` from firms.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from clusterwatch.errors import InputError, OptionError

#: Columns of :attr:`RegionalTable.cells`.
CELL_COLUMNS: tuple[str, ...] = ("region", "industry", "employment", "establishments")


@dataclass(frozen=True)
class Provenance:
    """What made a regional table: input, source, date, regions and industries, and what was left out.

    Attributes
    ----------
    input
        ``"firms"`` (firm-level, each firm one establishment) or ``"aggregate"`` (a region x industry table).
    source
        The data's name (the firms' dataset names, or what the caller gave).
    as_of
        The date the data describe (ISO), when known.
    region
        What a region is: a column name (``"county"``, ``"postcode"`` ...) or ``"h3 resolution 7"``.
    industries
        What an industry is, e.g. ``"US Cluster Mapping benchmark clusters (NAICS 2012)"`` or ``"naics sector"``.
    code_system
        The code system of the firms' codes, when firms were the input.
    rows
        Input rows (firms or aggregate rows).
    used
        Rows that went into the table.
    dropped
        Rows left out, by reason (``rows == used + sum(dropped.values())``).
    employment_coverage
        Share of the used rows with a known employment (1.0 for aggregate input with an employment column).
    """

    input: str
    source: str
    as_of: str | None
    region: str
    industries: str
    code_system: str | None
    rows: int
    used: int
    dropped: Mapping[str, int] = field(default_factory=dict)
    employment_coverage: float = float("nan")

    def describe(self) -> str:
        """One line for reports: source, date, regions, industries and counts."""
        when = f" as of {self.as_of}" if self.as_of else ""
        left = f", {self.rows - self.used:,} left out" if self.rows != self.used else ""
        return (f"{self.source}{when}: {self.used:,} of {self.rows:,} {self.input} rows{left}; regions = "
                f"{self.region}; industries = {self.industries}")


@dataclass(frozen=True, eq=False)
class RegionalTable:
    """Employment and establishments per region and industry, with what made them.

    Attributes
    ----------
    cells
        One row per (region, industry): ``region`` and ``industry`` (``string``), ``employment`` (float, NaN where
        unknown) and ``establishments`` (float, NaN where unknown), sorted by region then industry. Cells absent
        from the table hold nothing.
    industries
        One row per industry: ``industry``, ``name`` and ``traded`` (nullable boolean: US Cluster Mapping traded
        or local; missing when the industries have no such type).
    regions
        One row per region: ``region``, ``lat``, ``lon`` (a point for maps: the mean of the firms' coordinates,
        the H3 cell's centre, or what an aggregate table gave; NaN when unknown) and ``h3`` (whether the region
        is an H3 cell).
    provenance
        Input, source, date, region and industry definitions, and rows left out.
    reference
        External reference totals per industry (``industry``, ``employment``, ``establishments``), e.g. national
        figures when the regions are one state's counties; ``None`` when the table's own sums are the reference.
    """

    cells: pd.DataFrame
    industries: pd.DataFrame
    regions: pd.DataFrame
    provenance: Provenance
    reference: pd.DataFrame | None = None

    @property
    def has_employment(self) -> bool:
        """Whether any cell has a known employment."""
        return bool(self.cells["employment"].notna().any())

    @property
    def has_traded(self) -> bool:
        """Whether the industries carry the US Cluster Mapping traded/local type."""
        return bool(self.industries["traded"].notna().any())

    def matrix(self, measure: str = "employment") -> pd.DataFrame:
        """Regions x industries of ``measure`` (``"employment"`` or ``"establishments"``), absent cells 0."""
        check_measure(self, measure)
        return self.spread(self.cells[measure])

    def spread(self, values: pd.Series) -> pd.DataFrame:
        """Regions x industries of per-cell ``values`` (aligned on :attr:`cells`); absent cells and NaN are 0."""
        rows = pd.Index(self.regions["region"])
        columns = pd.Index(self.industries["industry"])
        out = np.zeros((len(rows), len(columns)))
        out[rows.get_indexer(self.cells["region"]), columns.get_indexer(self.cells["industry"])] = (
            pd.Series(values).astype("float64").fillna(0.0).to_numpy())
        return pd.DataFrame(out, index=rows, columns=columns)

    def with_reference(self, reference: pd.DataFrame | None) -> RegionalTable:
        """A copy of this table measured against external totals (``industry``, ``employment``, ``establishments``).

        Raises
        ------
        InputError
            When the reference lacks the ``industry`` column or one of the table's industries, or has negative or
        duplicated values.
        """
        return replace(self, reference=_check_reference(reference, self.industries["industry"]))

    def to_frame(self) -> pd.DataFrame:
        """The cells with the industry's name and type."""
        return self.cells.merge(self.industries, on="industry", how="left")


def check_measure(table: RegionalTable, measure: str) -> str:
    """Validate ``measure`` against what the table holds."""
    if measure not in ("employment", "establishments"):
        raise OptionError(f"unknown measure {measure!r}; allowed: 'employment', 'establishments'")
    if not table.cells[measure].notna().any():
        other = "establishments" if measure == "employment" else "employment"
        raise OptionError(f"measure {measure!r}: the table has no {measure} values; use measure={other!r}")
    return measure


def group_total(values: pd.Series, *keys: pd.Series) -> pd.Series:
    """The sum of ``values`` over each group of ``keys`` (missing keys form a group), spread back to every row.

    NaN where a group has no known value; vectorised (one factorisation and two bincounts), since tables of
    ZIP codes x industries have hundreds of thousands of groups.
    """
    codes = np.zeros(len(values), dtype=np.int64)
    for key in keys:
        part, uniques = pd.factorize(key, use_na_sentinel=False)
        codes = codes * (len(uniques) + 1) + part
    groups, codes = np.unique(codes, return_inverse=True)
    numbers = values.to_numpy(dtype=float, na_value=np.nan)
    known = ~np.isnan(numbers)
    sums = np.bincount(codes, weights=np.where(known, numbers, 0.0), minlength=len(groups))
    counts = np.bincount(codes, weights=known, minlength=len(groups))
    return pd.Series(np.where(counts[codes] > 0, sums[codes], np.nan), index=values.index)


def _check_reference(reference: pd.DataFrame | None, industries: pd.Series) -> pd.DataFrame | None:
    """The reference in standard form; it must cover every industry of the table, or its totals would be wrong."""
    if reference is None:
        return None
    if not isinstance(reference, pd.DataFrame) or "industry" not in reference.columns:
        raise InputError("the reference must be a table with an 'industry' column", column="industry")
    out = pd.DataFrame({"industry": reference["industry"].astype("string").str.strip()})
    for column in ("employment", "establishments"):
        values = pd.to_numeric(reference[column], errors="coerce") if column in reference else np.nan
        out[column] = pd.Series(values, index=reference.index, dtype="float64")
        if (out[column] < 0).any():
            raise InputError("negative totals in the reference", column=column)
    if out["industry"].duplicated().any():
        first = out.loc[out["industry"].duplicated(), "industry"].iloc[0]
        raise InputError(f"industry {first!r} appears more than once in the reference", column="industry")
    missing = sorted(set(industries.astype(str)) - set(out["industry"].dropna()))
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise InputError(f"the reference lacks {len(missing)} of the table's industries ({shown}); it must hold "
                         "the benchmark totals of all of them", column="industry")
    return out.reset_index(drop=True)


def _as_of_text(as_of: dt.date | str | None) -> str | None:
    return None if as_of is None else pd.Timestamp(as_of).date().isoformat()


def _clean_text(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def _finish(cells: pd.DataFrame, industries: pd.DataFrame, regions: pd.DataFrame) -> tuple[pd.DataFrame, ...]:
    cells = cells.sort_values(["region", "industry"], kind="stable").reset_index(drop=True)
    industries = industries.sort_values("industry", key=_natural_key, kind="stable").reset_index(drop=True)
    regions = regions.sort_values("region", kind="stable").reset_index(drop=True)
    return cells, industries, regions


def _natural_key(values: pd.Series) -> pd.Series:
    """Sort numeric industry ids as numbers ("2" before "10"), others as text after them."""
    numeric = pd.to_numeric(values.astype(object), errors="coerce").astype("float64").fillna(np.inf)
    return numeric.map(lambda v: f"{v:024.6f}") + values.astype(str)


def regional_table(
    frame: pd.DataFrame,
    *,
    region: str = "region",
    industry: str = "industry",
    employment: str | None = "employment",
    establishments: str | None = "establishments",
    traded: str | None = None,
    industry_name: str | None = None,
    lat: str | None = None,
    lon: str | None = None,
    reference: pd.DataFrame | None = None,
    source: str = "aggregate table",
    as_of: dt.date | str | None = None,
    region_kind: str | None = None,
    industry_kind: str | None = None,
) -> RegionalTable:
    """A regional table from an aggregate table (one row per region and industry), such as County Business Patterns.

    Parameters
    ----------
    frame
        The aggregate table; not modified.
    region, industry
        Its region and industry columns (any region: state, county FIPS, ZIP/ZCTA, NUTS, municipality, ITL).
    employment, establishments
        Its employment and establishment-count columns; ``None`` for one that is absent (at least one is needed).
    traded
        Optional column of the US Cluster Mapping type (bool, or the words ``traded``/``local``).
    industry_name
        Optional column of industry names.
    lat, lon
        Optional columns of a point per region, for maps.
    reference
        External totals per industry (``industry``, ``employment``, ``establishments``): the benchmark economy
        (e.g. the nation) when the table covers part of it; by default the table's own sums.
    source, as_of, region_kind, industry_kind
        Provenance: the data's name and date, and what regions and industries are (default: the column names).

    Returns
    -------
    RegionalTable

    Raises
    ------
    InputError
        When a named column is absent, a (region, industry) pair repeats, or a value is negative or not a number.
    OptionError
        When neither an employment nor an establishments column is named.

    References
    ----------
    US Census Bureau, *County Business Patterns* (employment, establishments by county and NAICS). US Cluster
    Mapping Project, cluster tables by region (clustermapping.us), as in ``aousabdo_all_states_clusters.csv``.

    Examples
    --------
    >>> import pandas as pd
    >>> cbp = pd.DataFrame({"county": ["A", "A", "B"], "naics": ["54", "62", "54"],
    ...                     "emp": [10, 30, 20], "estab": [2, 3, 4]})
    >>> table = regional_table(cbp, region="county", industry="naics", employment="emp", establishments="estab")
    >>> table.matrix().to_numpy().tolist()
    [[10.0, 30.0], [20.0, 0.0]]
    >>> table.provenance.region, table.provenance.used
    ('county', 3)
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    if employment is None and establishments is None:
        raise OptionError("name an employment or an establishments column (both are None)")
    wanted = {"region": region, "industry": industry, "employment": employment, "establishments": establishments,
              "traded": traded, "industry_name": industry_name, "lat": lat, "lon": lon}
    for role, column in wanted.items():
        if column is not None and column not in frame.columns:
            shown = ", ".join(map(str, frame.columns[:20]))
            raise InputError(f"no {role} column {column!r}; the table has: {shown}", column=column)
    cells = pd.DataFrame({"region": _clean_text(frame[region]), "industry": _clean_text(frame[industry])})
    for role, column in (("employment", employment), ("establishments", establishments)):
        if column is None:
            cells[role] = np.nan
            continue
        values = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        bad = values.isna() & frame[column].notna()
        if bad.any():
            raise InputError(f"not a number: {frame.loc[bad, column].iloc[0]!r}", column=column)
        if (values < 0).any():
            raise InputError(f"negative value {values[values < 0].iloc[0]!r}", column=column)
        cells[role] = values.to_numpy()
    missing_key = cells["region"].isna() | cells["industry"].isna()
    duplicated = cells.duplicated(["region", "industry"]) & ~missing_key
    if duplicated.any():
        first = cells.loc[duplicated].iloc[0]
        raise InputError(f"region {first['region']!r} and industry {first['industry']!r} appear more than once; "
                         "sum them first", column=industry)
    dropped = {"no region or no industry": int(missing_key.sum())} if missing_key.any() else {}
    kept = ~missing_key.to_numpy()
    cells = cells.loc[kept].reset_index(drop=True)
    industries = _industry_table_from_frame(frame.loc[kept], cells, industry_name, traded)
    regions = _region_points_from_frame(frame.loc[kept], cells, lat, lon)
    cells, industries, regions = _finish(cells, industries, regions)
    coverage = float(cells["employment"].notna().mean()) if len(cells) else float("nan")
    provenance = Provenance(
        input="aggregate", source=source, as_of=_as_of_text(as_of), region=region_kind or region,
        industries=industry_kind or industry, code_system=None, rows=len(frame), used=int(kept.sum()),
        dropped=dropped, employment_coverage=coverage if employment is not None else 0.0,
    )
    return RegionalTable(cells, industries, regions, provenance, _check_reference(reference, industries["industry"]))


def _industry_table_from_frame(frame: pd.DataFrame, cells: pd.DataFrame, name: str | None,
                               traded: str | None) -> pd.DataFrame:
    out = pd.DataFrame({"industry": cells["industry"].to_numpy()})
    out["name"] = _clean_text(frame[name]).to_numpy() if name else out["industry"].to_numpy()
    out["traded"] = _parse_traded(frame[traded]).to_numpy() if traded else pd.array([pd.NA] * len(out), "boolean")
    out = out.drop_duplicates("industry")
    out["name"] = out["name"].fillna(out["industry"]).astype("string")
    out["traded"] = out["traded"].astype("boolean")
    return out


def _parse_traded(values: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean")
    words = values.astype("string").str.strip().str.lower()
    mapped = words.map({"true": True, "traded": True, "1": True, "yes": True,
                        "false": False, "local": False, "0": False, "no": False})
    unknown = mapped.isna() & words.notna()
    if unknown.any():
        raise InputError(f"traded must be true/false or traded/local, got {values[unknown].iloc[0]!r}",
                         column=str(values.name))
    return mapped.astype("boolean")


def _region_points_from_frame(frame: pd.DataFrame, cells: pd.DataFrame, lat: str | None,
                              lon: str | None) -> pd.DataFrame:
    points = pd.DataFrame({"region": cells["region"].to_numpy()})
    points["lat"] = pd.to_numeric(frame[lat], errors="coerce").to_numpy(dtype=float) if lat else np.nan
    points["lon"] = pd.to_numeric(frame[lon], errors="coerce").to_numpy(dtype=float) if lon else np.nan
    points = points.groupby("region", sort=True, observed=True).mean().reset_index()
    points["h3"] = False
    return points
