"""European Cluster Observatory stars: size, specialisation and focus."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from clusterwatch.analysis.regional.quotients import quotient, reference_totals
from clusterwatch.analysis.regional.table import Provenance, RegionalTable, check_measure, group_total
from clusterwatch.errors import OptionError

#: The European Cluster Observatory's thresholds (clusterobservatory.eu, "Evaluation of regional cluster strength").
DEFAULT_SIZE_TOP = 0.10
DEFAULT_SPECIALISATION_MIN = 2.0
DEFAULT_FOCUS_TOP = 0.10


@dataclass(frozen=True, eq=False)
class ClusterStars:
    """European Cluster Observatory stars of every region and cluster.

    Attributes
    ----------
    cells
        One row per cell: ``region``, ``industry``, ``employment``, ``establishments``, ``size_share`` (the cell's
        share of the industry's benchmark total), ``lq`` (plain location quotient), ``focus`` (the cell's share of
        its region's total), the booleans ``star_size``, ``star_specialisation``, ``star_focus`` and ``stars``
        (0-3).
    thresholds
        One row per industry: ``size_cut`` (the smallest ``measure`` that earns the size star) and, when
        ``focus_scope == "industry"``, ``focus_cut``; the pooled focus cut is in :attr:`focus_cut`.
    focus_cut
        The pooled focus cut-off when ``focus_scope == "all"`` (NaN otherwise).
    measure, size_top, specialisation_min, focus_top, focus_scope
        The parameters used.
    provenance
        What made the table.
    """

    cells: pd.DataFrame
    thresholds: pd.DataFrame
    focus_cut: float
    measure: str
    size_top: float
    specialisation_min: float
    focus_top: float
    focus_scope: str
    provenance: Provenance

    def to_frame(self) -> pd.DataFrame:
        """The cells (a copy)."""
        return self.cells.copy()


def _check_share(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating) or not 0 < float(value) < 1:
        raise OptionError(f"{name} must be a share between 0 and 1 (exclusive), e.g. 0.10; got {value!r}")
    return float(value)


def cluster_stars(
    table: RegionalTable,
    *,
    measure: str = "employment",
    size_top: float = DEFAULT_SIZE_TOP,
    specialisation_min: float = DEFAULT_SPECIALISATION_MIN,
    focus_top: float = DEFAULT_FOCUS_TOP,
    focus_scope: str = "all",
) -> ClusterStars:
    """Award each region's clusters 0-3 stars for size, specialisation and focus (European Cluster Observatory).

    - *Size*: the cluster's employment in the region is in the top ``size_top`` (10 %) of all regions' employment
      in that cluster category, i.e. among the largest shares of the category's total employment.
    - *Specialisation*: the plain location quotient is at least ``specialisation_min`` (2: twice the benchmark
      share).
    - *Focus*: the cluster's share of the region's total employment is in the top ``focus_top`` (10 %) of such
      shares, pooled over all clusters and regions (``focus_scope="all"``, the Observatory's wording: "the top 10%
      of clusters which account for the largest proportion of their region's total employment"), or within each
      category (``focus_scope="industry"``).

    "Top 10 %" is read as: at least the 90th percentile (linear interpolation) of the values over the cells with a
    positive measure. The Observatory ranked NUTS-2 regions of 32 European countries; here the ranking runs over
    the table's regions, and the specialisation benchmark is the table's reference.

    Parameters
    ----------
    table
        From :func:`firms_to_regions` or :func:`regional_table`.
    measure
        ``"employment"`` (the Observatory's measure) or ``"establishments"`` for data without employment.
    size_top, focus_top
        Shares (0-1) of the top cells that earn the size and focus stars; 0.10 by default.
    specialisation_min
        The location quotient that earns the specialisation star; 2.0 by default.
    focus_scope
        ``"all"`` (default) or ``"industry"``: where the focus ranking runs.

    Returns
    -------
    ClusterStars

    Raises
    ------
    OptionError
        On a share outside (0, 1), a non-positive ``specialisation_min``, an unknown ``measure`` or
        ``focus_scope``.

    References
    ----------
    European Cluster Observatory, "Evaluation of regional cluster strength" (clusterobservatory.eu, methodology
    pages, 2007-2014). Sölvell, Ö., Ketels, C., & Lindqvist, G. (2008). Industrial specialization and regional
    clusters in the ten new EU member states. *Competitiveness Review*, 18(1/2), 104-130.

    Examples
    --------
    >>> import pandas as pd
    >>> from clusterwatch.analysis.regional import regional_table
    >>> table = regional_table(pd.DataFrame({
    ...     "region": ["A", "A", "B", "B"], "industry": ["x", "y", "x", "y"],
    ...     "employment": [90, 10, 10, 90], "establishments": [9, 1, 1, 9]}))
    >>> stars = cluster_stars(table, size_top=0.5, specialisation_min=1.5, focus_top=0.5)
    >>> stars.cells[["region", "industry", "stars"]].to_numpy().tolist()
    [['A', 'x', 3], ['A', 'y', 0], ['B', 'x', 0], ['B', 'y', 3]]
    """
    check_measure(table, measure)
    size_top = _check_share("size_top", size_top)
    focus_top = _check_share("focus_top", focus_top)
    if isinstance(specialisation_min, bool) or not isinstance(specialisation_min, int | float | np.floating) \
            or not float(specialisation_min) > 0:
        raise OptionError(f"specialisation_min must be a positive number, e.g. 2.0; got {specialisation_min!r}")
    if focus_scope not in ("all", "industry"):
        raise OptionError(f"unknown focus_scope {focus_scope!r}; allowed: 'all', 'industry'")

    cells = table.cells.copy()
    value = cells[measure].astype("float64")
    benchmark = cells["industry"].map(reference_totals(table, measure)).astype("float64")
    region_total = group_total(value, cells["region"])
    with np.errstate(divide="ignore", invalid="ignore"):
        cells["size_share"] = value / benchmark
        cells["focus"] = value / region_total
    cells["lq"] = quotient(table, measure)

    positive = value.fillna(0.0) > 0
    by_industry = cells.loc[positive].groupby("industry", observed=True)
    thresholds = pd.DataFrame({"size_cut": by_industry[measure].quantile(1 - size_top)})
    focus_cut = float("nan")
    if focus_scope == "all":
        focus_cut = float(np.quantile(cells.loc[positive, "focus"].to_numpy(), 1 - focus_top)) if positive.any() \
            else float("nan")
        focus_limit = np.full(len(cells), focus_cut)
    else:
        thresholds["focus_cut"] = by_industry["focus"].quantile(1 - focus_top)
        focus_limit = thresholds["focus_cut"].reindex(cells["industry"].to_numpy()).to_numpy()
    size_limit = thresholds["size_cut"].reindex(cells["industry"].to_numpy()).to_numpy()
    ok = positive.to_numpy()
    cells["star_size"] = ok & (value.to_numpy() >= size_limit)
    cells["star_specialisation"] = ok & (cells["lq"].fillna(0.0).to_numpy() >= float(specialisation_min))
    cells["star_focus"] = ok & (cells["focus"].fillna(0.0).to_numpy() >= focus_limit)
    cells["stars"] = cells[["star_size", "star_specialisation", "star_focus"]].sum(axis=1).astype("int64")
    return ClusterStars(
        cells=cells, thresholds=thresholds.reset_index(), focus_cut=focus_cut, measure=measure, size_top=size_top,
        specialisation_min=float(specialisation_min), focus_top=focus_top, focus_scope=focus_scope,
        provenance=table.provenance,
    )
