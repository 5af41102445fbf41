"""Location quotients on employment and on establishment counts, plain and in the US Cluster Mapping variant."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from clusterwatch.analysis.regional.table import Provenance, RegionalTable, group_total

MEASURES: tuple[str, ...] = ("employment", "establishments")


def reference_totals(table: RegionalTable, measure: str) -> pd.Series:
    """Benchmark totals of ``measure`` per industry: the table's external reference, else its sums over regions."""
    if table.reference is not None and table.reference[measure].notna().any():
        return table.reference.set_index("industry")[measure].astype("float64")
    return table.cells.groupby("industry", observed=True)[measure].sum(min_count=1).astype("float64")


def shares(table: RegionalTable, measure: str, *, by_type: bool = False) -> tuple[pd.Series, pd.Series]:
    """Each cell's share of its region and the benchmark share of its industry, aligned on ``table.cells``.

    With ``by_type`` the totals are those of the industry's type (traded or local) as in the US Cluster Mapping
    code; cells of industries without a type get NaN.
    """
    cells = table.cells
    value = cells[measure].astype("float64")
    reference = reference_totals(table, measure)
    industry_total = cells["industry"].map(reference).astype("float64")
    if not by_type:
        return value / group_total(value, cells["region"]), industry_total / reference.sum()
    traded = table.industries.set_index("industry")["traded"]
    cell_type = cells["industry"].map(traded).astype("boolean")
    region_total = group_total(value, cells["region"], cell_type)
    type_of_reference = pd.Series(reference.index.map(traded), index=reference.index).astype("boolean")
    type_total = reference.groupby(type_of_reference, dropna=True).sum()
    benchmark_total = cell_type.map(type_total).astype("float64")
    region_total = region_total.where(cell_type.notna())
    return value / region_total, industry_total / benchmark_total


def quotient(table: RegionalTable, measure: str, *, by_type: bool = False) -> pd.Series:
    """Location quotient of every cell (NaN where undefined: unknown values, empty regions or references)."""
    region_share, benchmark_share = shares(table, measure, by_type=by_type)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = region_share / benchmark_share
    return out.where(np.isfinite(out)).astype("float64")


@dataclass(frozen=True, eq=False)
class LocationQuotients:
    """Location quotients of every region and industry.

    Attributes
    ----------
    cells
        One row per cell of the table: ``region``, ``industry``, ``employment``, ``establishments``,
        ``lq_employment``, ``lq_establishments`` (plain LQ), ``lq_cm_employment``, ``lq_cm_establishments`` (US
        Cluster Mapping variant: traded industries against traded totals, local against local; NaN for industries
        without a type). NaN where a quotient is undefined.
    reference
        ``"external"`` when the table's reference totals were used, ``"table"`` when its own sums were.
    provenance
        What made the table.
    """

    cells: pd.DataFrame
    reference: str
    provenance: Provenance

    def to_frame(self) -> pd.DataFrame:
        """The cells (a copy)."""
        return self.cells.copy()


def location_quotients(table: RegionalTable) -> LocationQuotients:
    """Location quotients on employment and on establishment counts, plain and in the US Cluster Mapping variant.

    For region :math:`r` and industry :math:`i` with employment :math:`E_{ri}`,

    .. math:: LQ_{ri} = \\frac{E_{ri} / E_r}{E_i / E}

    where :math:`E_r` is the region's total over all industries of the table, :math:`E_i` the industry's
    benchmark total and :math:`E` the benchmark total over all industries. The benchmark is the table's external
    reference when it has one (e.g. the nation, when the regions are one state's counties), else the sum over the
    table's regions. Establishment counts give the same quotient on counts.

    The US Cluster Mapping variant divides a traded cluster's employment by the region's *traded* employment and
    compares with the traded share of the benchmark (local clusters likewise with local totals), exactly as the US
    Cluster Mapping Project's ``cluster_calcs_mapper.js`` computes ``lq_tf``:

    .. math:: LQ^{CM}_{ri} = \\frac{E_{ri} / E_{r,T}}{E_i / E_T}, \\quad T = \\text{type of } i

    Parameters
    ----------
    table
        From :func:`firms_to_regions` or :func:`regional_table`.

    Returns
    -------
    LocationQuotients
        NaN where a quotient is undefined (an unknown value, a region with nothing in it, an industry absent from
        the reference). The US Cluster Mapping site shows those as 0.

    References
    ----------
    Isard, W. (1960). *Methods of Regional Analysis*. MIT Press (the location quotient). Delgado, M., Porter, M. E.,
    & Stern, S. (2016). Defining clusters of related industries. *Journal of Economic Geography*, 16(1), 1-38.
    US Cluster Mapping Project, ``data/processing/cluster_calcs_mapper.js`` (github.com/clustermapping/cmp).

    Examples
    --------
    >>> import pandas as pd
    >>> from clusterwatch.analysis.regional import regional_table
    >>> table = regional_table(pd.DataFrame({
    ...     "region": ["A", "A", "B", "B"], "industry": ["x", "y", "x", "y"],
    ...     "employment": [30, 10, 10, 50], "establishments": [3, 1, 1, 5]}))
    >>> location_quotients(table).cells["lq_employment"].round(3).tolist()
    [1.875, 0.417, 0.417, 1.389]
    """
    cells = table.cells.copy()
    for measure in MEASURES:
        if cells[measure].notna().any():
            cells[f"lq_{measure}"] = quotient(table, measure)
            cells[f"lq_cm_{measure}"] = (quotient(table, measure, by_type=True) if table.has_traded
                                         else np.nan)
        else:
            cells[f"lq_{measure}"] = np.nan
            cells[f"lq_cm_{measure}"] = np.nan
    return LocationQuotients(cells=cells, reference="external" if table.reference is not None else "table",
                             provenance=table.provenance)
