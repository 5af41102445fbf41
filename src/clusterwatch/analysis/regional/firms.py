"""Firm-level input to the regional analysis: firms counted and their employment summed per region and industry.

Each firm is one establishment; employment is the sum of ``employees`` where known. Regions are any region column
(``county``, ``postcode``, ``city``, ``region`` ...) or H3 cells computed from coordinates; industries are US Cluster
Mapping benchmark clusters, a level of the firms' code hierarchy, the codes as given, or a user mapping
(code -> cluster). Aggregation is vectorised (factorised keys and bincounts): millions of firms take seconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from clusterwatch.analysis.regional.table import (
    Provenance,
    RegionalTable,
    _as_of_text,
    _check_reference,
    _clean_text,
    _finish,
    _parse_traded,
)
from clusterwatch.codes import benchmark_clusters, code_titles, levels, naics_to_cluster, truncate
from clusterwatch.errors import InputError, OptionError

#: Values of ``industries`` besides a level of the code system.
INDUSTRY_CHOICES: tuple[str, ...] = ("clusters", "code", "mapping")

_SEPARATORS = r"[.\s]"


def firms_to_regions(
    firms: pd.DataFrame,
    *,
    region: str = "county",
    h3_resolution: int | None = None,
    industries: str = "clusters",
    mapping: pd.DataFrame | pd.Series | Mapping[str, str] | None = None,
    code_system: str | None = None,
    cluster_vintage: str = "2012",
    reference: pd.DataFrame | None = None,
    source: str | None = None,
    as_of: dt.date | str | None = None,
) -> RegionalTable:
    """A regional table from firms: establishments (firms) and employment per region and industry.

    Parameters
    ----------
    firms
        Canonical firms (``clusterwatch.read_firms(...).firms`` or ``Workspace.firms(as_of=...)``); not modified.
        Each row counts as one establishment; ``employees`` (where known) is summed into employment.
    region
        A column of ``firms`` holding the region (``county`` — county FIPS in the PPP data —, ``postcode`` for
        ZIP/ZCTA or other postcodes, ``city``, ``region`` for state/NUTS/ITL, ``country`` ...), or ``"h3"`` for H3
        cells computed from ``lat``/``lon`` at ``h3_resolution``.
    h3_resolution
        H3 resolution 0-15 when ``region="h3"`` (7: ~5 km2 cells, 8: ~0.7 km2).
    industries
        ``"clusters"``: US Cluster Mapping benchmark clusters from NAICS codes (Delgado, Porter & Stern 2016);
        ``"code"``: the codes as given; a level of the firms' code system (``"sector"``, ``"subsector"``,
        ``"industry_group"`` ... for NAICS; ``"section"``, ``"division"``, ``"group"`` ... for NACE) or a number of
        digits; ``"mapping"``: the user's ``mapping``.
    mapping
        Code -> cluster, for ``industries="mapping"``: a Series or dict, or a table with columns ``code`` and
        ``cluster`` (optional ``name``, ``traded``). Codes may be prefixes of any length; each firm's code takes the
        longest matching prefix.
    code_system
        Use the firms of this code system (default: the only one among the firms; required when they mix systems).
    cluster_vintage
        Benchmark cluster definitions for ``industries="clusters"`` (``"2012"`` or ``"2007"``).
    reference
        External totals per industry (see :func:`regional_table`).
    source, as_of
        Provenance (default source: the firms' dataset names).

    Returns
    -------
    RegionalTable
        Its provenance counts every firm left out, by reason: no region, no code, another code system, a code
        coarser than the level, a code in no cluster or not in the mapping.

    Raises
    ------
    OptionError
        When ``region``, ``h3_resolution``, ``industries``, ``mapping`` or ``code_system`` is not usable with
        these firms; the message shows the value and the allowed ones.
    InputError
        When no firm can be used (e.g. the region column is empty); the message counts the reasons.

    References
    ----------
    Delgado, M., Porter, M. E., & Stern, S. (2016). Defining clusters of related industries. *Journal of Economic
    Geography*, 16(1), 1-38. Uber Technologies (2018). H3: a hexagonal hierarchical geospatial indexing system.

    Examples
    --------
    >>> import pandas as pd
    >>> firms = pd.DataFrame({"firm_id": ["a", "b", "c", "d"], "county": ["13121", "13121", "13089", None],
    ...                       "code": ["336411", "541715", "336413", "541715"], "code_system": "naics",
    ...                       "employees": [120.0, 8.0, 40.0, 3.0]})
    >>> table = firms_to_regions(firms, region="county")
    >>> table.cells.to_numpy().tolist()
    [['13089', '1', 40.0, 1.0], ['13121', '1', 120.0, 1.0], ['13121', '13', 8.0, 1.0]]
    >>> table.industries["name"].tolist()
    ['Aerospace Vehicles and Defense', 'Education and Knowledge Creation']
    >>> dict(table.provenance.dropped)
    {'no region': 1}
    """
    if not isinstance(firms, pd.DataFrame):
        raise InputError(f"expected a pandas DataFrame of firms, got {type(firms).__name__}")
    frame = firms
    n = len(frame)
    region_values, region_kind, is_h3 = _firm_regions(frame, region, h3_resolution)
    found = _firm_industries(frame, industries, mapping, code_system, cluster_vintage)

    # each firm left out gets the first reason that applies
    failures = [("no region", region_values.isna().to_numpy()), *found.failures]
    reason = np.zeros(n, dtype=np.int8)
    for number, (_, mask) in enumerate(failures, start=1):
        reason[(reason == 0) & mask] = number
    counts = np.bincount(reason, minlength=len(failures) + 1)
    dropped = {name: int(counts[k]) for k, (name, _) in enumerate(failures, start=1) if counts[k]}
    dropped = dict(sorted(dropped.items(), key=lambda item: -item[1]))
    used = reason == 0
    if n and not used.any():
        listed = "; ".join(f"{k}: {v:,}" for k, v in dropped.items())
        raise InputError(f"none of the {n:,} firms can be used ({listed}); check region={region!r} and "
                         f"industries={industries!r}")

    region_codes, region_ids = pd.factorize(region_values[used])
    industry_codes, industry_ids = pd.factorize(found.values[used])
    region_names = np.asarray(pd.Index(region_ids).astype(str), dtype=object)
    industry_names = np.asarray(pd.Index(industry_ids).astype(str), dtype=object)
    employees = (pd.to_numeric(frame["employees"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
                 if "employees" in frame else np.full(n, np.nan))[used]
    known = ~np.isnan(employees)
    keys, inverse = np.unique(region_codes.astype(np.int64) * len(industry_ids) + industry_codes,
                              return_inverse=True)
    totals = np.bincount(inverse, weights=np.where(known, employees, 0.0), minlength=len(keys))
    with_size = np.bincount(inverse, weights=known, minlength=len(keys))
    cells = pd.DataFrame({
        "region": pd.array(region_names[keys // len(industry_ids)], dtype="string"),
        "industry": pd.array(industry_names[keys % len(industry_ids)], dtype="string"),
        "employment": np.where(with_size > 0, totals, np.nan),
        "establishments": np.bincount(inverse, minlength=len(keys)).astype(np.float64),
    })
    industry_table = pd.DataFrame({"industry": pd.array(industry_names, dtype="string")})
    industry_table["name"] = industry_table["industry"].map(found.names).fillna(industry_table["industry"])
    industry_table["name"] = industry_table["name"].astype("string")
    industry_table["traded"] = industry_table["industry"].map(found.traded).astype("boolean")
    regions_table = _firm_region_points(frame, used, region_codes, region_names, is_h3)
    cells, industry_table, regions_table = _finish(cells, industry_table, regions_table)

    if source is None:
        source = (", ".join(sorted(map(str, frame["dataset"].dropna().unique()))) if "dataset" in frame
                  else "firms") or "firms"
    provenance = Provenance(
        input="firms", source=source, as_of=_as_of_text(as_of), region=region_kind, industries=found.kind,
        code_system=found.system, rows=n, used=int(used.sum()), dropped=dropped,
        employment_coverage=float(known.mean()) if known.size else float("nan"),
    )
    return RegionalTable(cells, industry_table, regions_table, provenance,
                         _check_reference(reference, industry_table["industry"]))


def _firm_regions(frame: pd.DataFrame, region: str, h3_resolution: int | None) -> tuple[pd.Series, str, bool]:
    if region == "h3":
        if h3_resolution is None or isinstance(h3_resolution, bool) or not isinstance(h3_resolution, int | np.integer) \
                or not 0 <= int(h3_resolution) <= 15:
            raise OptionError(f"region='h3' needs h3_resolution, an integer 0-15; got {h3_resolution!r}")
        if "lat" not in frame or "lon" not in frame:
            raise OptionError("region='h3' needs the firms' lat and lon columns")
        return _h3_cells(frame["lat"], frame["lon"], int(h3_resolution)), f"h3 resolution {int(h3_resolution)}", True
    if h3_resolution is not None:
        raise OptionError(f"h3_resolution={h3_resolution!r} is only for region='h3' (region is {region!r})")
    if region not in frame.columns:
        candidates = [c for c in ("county", "postcode", "city", "region", "country") if c in frame.columns]
        raise OptionError(f"unknown region column {region!r}; allowed: {', '.join(candidates + ['h3'])}")
    return _clean_text(frame[region]), region, False


def _h3_cells(lat: pd.Series, lon: pd.Series, resolution: int) -> pd.Series:
    import h3

    lat_values = pd.to_numeric(lat, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    lon_values = pd.to_numeric(lon, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    ok = np.isfinite(lat_values) & np.isfinite(lon_values)
    codes, distinct = pd.factorize(lat_values[ok] + 1j * lon_values[ok])  # one key per coordinate pair, fast
    cells = np.array([h3.latlng_to_cell(z.real, z.imag, resolution) for z in distinct], dtype=object)
    out = np.full(len(lat_values), None, dtype=object)
    out[ok] = cells[codes] if len(codes) else []
    return pd.Series(out, index=lat.index, dtype="string")


def _firm_region_points(frame: pd.DataFrame, used: np.ndarray, codes: np.ndarray, names: np.ndarray,
                        is_h3: bool) -> pd.DataFrame:
    """A point per region: the H3 cell's centre, or the mean of its firms' coordinates (NaN without any)."""
    points = pd.DataFrame({"region": pd.array(names, dtype="string")})
    if is_h3:
        import h3

        centres = [h3.cell_to_latlng(str(cell)) for cell in names]
        points["lat"] = [c[0] for c in centres]
        points["lon"] = [c[1] for c in centres]
    elif "lat" in frame and "lon" in frame:
        for column in ("lat", "lon"):
            values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)[used]
            finite = np.isfinite(values)
            sums = np.bincount(codes, weights=np.where(finite, values, 0.0), minlength=len(names))
            counts = np.bincount(codes, weights=finite, minlength=len(names))
            with np.errstate(invalid="ignore", divide="ignore"):
                points[column] = np.where(counts > 0, sums / counts, np.nan)
    else:
        points["lat"] = np.nan
        points["lon"] = np.nan
    points["h3"] = is_h3
    return points


@dataclass(frozen=True)
class _Industries:
    """The industry of each firm, with names, traded flags and the reasons firms have none (in order)."""

    values: pd.Series
    kind: str
    system: str | None
    names: dict[str, str] = field(default_factory=dict)
    traded: dict[str, bool] = field(default_factory=dict)
    failures: list[tuple[str, np.ndarray]] = field(default_factory=list)


def _firm_industries(
    frame: pd.DataFrame, industries: str, mapping: Any, code_system: str | None, cluster_vintage: str,
) -> _Industries:
    if "code" not in frame.columns:
        raise OptionError("the firms have no 'code' column: industries need official codes")
    if not isinstance(industries, str | int) or isinstance(industries, bool):
        raise OptionError(f"industries must be a string or a number of digits; got {industries!r}")
    choice = str(industries).strip().lower()
    if mapping is not None and choice != "mapping":
        raise OptionError(f"a mapping is given but industries={industries!r}; use industries='mapping'")
    code = _clean_text(frame["code"])
    systems = (_clean_text(frame["code_system"]).str.lower() if "code_system" in frame
               else pd.Series(pd.NA, index=frame.index, dtype="string"))
    present_systems = sorted(systems[code.notna()].dropna().unique())
    if code_system is None:
        if len(present_systems) > 1:
            raise OptionError(f"the firms carry several code systems ({', '.join(present_systems)}); "
                              "pass code_system to pick one")
        system = present_systems[0] if present_systems else ("naics" if choice == "clusters" else None)
    else:
        system = code_system.strip().lower()
    missing = code.isna().to_numpy()
    other = (code.notna() & systems.notna() & (systems != system)).to_numpy()
    code = code.where(~other)
    failures = [("no industry code", missing), ("other code system", other)]

    if choice == "clusters":
        if system != "naics":
            raise OptionError(f"industries='clusters' needs NAICS codes; the firms' codes are {system!r}")
        match = naics_to_cluster(code, vintage=cluster_vintage)
        known = benchmark_clusters(match.vintage).drop_duplicates("cluster_code")
        names = dict(zip(known["cluster_code"].astype(str), known["cluster_name"].astype(str), strict=True))
        traded = dict(zip(known["cluster_code"].astype(str), known["traded"].astype(bool), strict=True))
        values = match.cluster_code
        failures.append(("code in no benchmark cluster", values.isna().to_numpy()))
        kind = f"US Cluster Mapping benchmark clusters (NAICS {match.vintage})"
        return _Industries(values, kind, system, names, traded, failures)
    if choice == "mapping":
        if mapping is None:
            raise OptionError("industries='mapping' needs a mapping (code -> cluster)")
        values, names, traded = _apply_mapping(code, mapping)
        failures.append(("code not in the mapping", values.isna().to_numpy()))
        return _Industries(values, f"user mapping ({len(names)} clusters)", system, names, traded, failures)
    if choice == "code":
        values = code.str.replace(_SEPARATORS, "", regex=True)
        return _Industries(values, f"{system or 'codes'} as given", system, _titles(system, values), {}, failures)
    if system is None:
        raise OptionError(f"industries={industries!r} is a code level, but the firms have no code_system; "
                          "pass code_system")
    try:
        allowed = levels(system)
    except OptionError:
        raise OptionError(f"industries={industries!r}: code system {system!r} has no hierarchy; use "
                          f"industries='code' or 'mapping' ({', '.join(INDUSTRY_CHOICES)})") from None
    if choice not in allowed and not choice.isdigit():
        raise OptionError(f"unknown industries {industries!r}; allowed: {', '.join(INDUSTRY_CHOICES + allowed)}, "
                          "or a number of digits")
    values = truncate(code, system, int(choice) if choice.isdigit() else choice)
    failures.append((f"code has no {choice} part", values.isna().to_numpy()))
    return _Industries(values, f"{system} {choice}", system, _titles(system, values), {}, failures)


def _titles(system: str | None, values: pd.Series) -> dict[str, str]:
    if system is None:
        return {}
    try:
        table = code_titles(system)
    except OptionError:
        return {}
    wanted = set(values.dropna().unique())
    table = table[table["code"].isin(wanted)]
    return dict(zip(table["code"].astype(str), table["title"].astype(str), strict=True))


def _apply_mapping(code: pd.Series, mapping: Any) -> tuple[pd.Series, dict[str, str], dict[str, bool]]:
    """Longest-prefix match of codes against a code -> cluster mapping."""
    if isinstance(mapping, Mapping):
        table = pd.DataFrame({"code": list(mapping.keys()), "cluster": list(mapping.values())})
    elif isinstance(mapping, pd.Series):
        table = pd.DataFrame({"code": mapping.index.astype(str), "cluster": mapping.to_numpy()})
    elif isinstance(mapping, pd.DataFrame):
        if not {"code", "cluster"} <= set(mapping.columns):
            raise OptionError(f"a mapping table needs columns 'code' and 'cluster'; it has {list(mapping.columns)}")
        table = mapping.copy()
    else:
        raise OptionError(f"mapping must be a dict, Series or table (code, cluster); got {type(mapping).__name__}")
    table["code"] = _clean_text(table["code"].astype("string")).str.replace(_SEPARATORS, "", regex=True)
    table["cluster"] = _clean_text(table["cluster"].astype("string"))
    table = table.dropna(subset=["code", "cluster"])
    if table.empty:
        raise OptionError("the mapping is empty")
    clash = table.drop_duplicates(["code", "cluster"]).duplicated("code")
    if clash.any():
        raise OptionError(f"code {table.loc[clash, 'code'].iloc[0]!r} maps to more than one cluster")
    lookup = dict(zip(table["code"], table["cluster"], strict=True))
    clean = code.str.replace(_SEPARATORS, "", regex=True)
    distinct = pd.Series(clean.dropna().unique(), dtype="string")
    found = pd.Series(pd.NA, index=distinct.index, dtype="string")
    for length in sorted({len(c) for c in lookup}, reverse=True):
        prefix = distinct.str.slice(0, length)
        hit = found.isna() & (distinct.str.len() >= length) & prefix.isin(lookup.keys())
        found = found.mask(hit, prefix[hit].map(lookup))
    values = clean.map(dict(zip(distinct, found, strict=True))).astype("string")
    clusters = table.drop_duplicates("cluster")
    names = (dict(zip(clusters["cluster"], clusters["name"].astype(str), strict=True)) if "name" in clusters
             else {c: c for c in clusters["cluster"]})
    traded = (dict(zip(clusters["cluster"], _parse_traded(clusters["traded"]), strict=True))
              if "traded" in clusters else {})
    return values, names, {k: bool(v) for k, v in traded.items() if not pd.isna(v)}
