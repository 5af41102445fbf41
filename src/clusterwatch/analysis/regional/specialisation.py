"""How specialised each region is (Krugman, Hoover) and how localised each industry is (Hoover)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from clusterwatch.analysis.regional.quotients import reference_totals
from clusterwatch.analysis.regional.table import Provenance, RegionalTable, check_measure


@dataclass(frozen=True, eq=False)
class Specialisation:
    """Regional specialisation and industrial localisation indices.

    Attributes
    ----------
    regions
        One row per region: ``region``, ``total`` (its ``measure``), ``industries`` (industries present),
        ``krugman`` (0-2) and ``hoover`` (0-1, half of ``krugman``).
    industries
        One row per industry: ``industry``, ``total`` and ``hoover_localisation`` (0-1).
    measure
        ``"employment"`` or ``"establishments"``.
    provenance
        What made the table.
    """

    regions: pd.DataFrame
    industries: pd.DataFrame
    measure: str
    provenance: Provenance

    def to_frame(self) -> pd.DataFrame:
        """The regions (a copy)."""
        return self.regions.copy()


def specialisation(table: RegionalTable, *, measure: str = "employment") -> Specialisation:
    """Krugman and Hoover specialisation of each region; Hoover localisation of each industry.

    With :math:`s_{ri} = E_{ri}/E_r` the industry's share of the region and :math:`s_i = E_i/E` its share of the
    benchmark (the table's reference, else the table's sums),

    - Krugman specialisation index: :math:`K_r = \\sum_i |s_{ri} - s_i|`, from 0 (the region's structure is the
      benchmark's) to 2 (nothing in common);
    - Hoover coefficient of specialisation: :math:`H_r = \\tfrac12 \\sum_i |s_{ri} - s_i|` (the share of the
      region's employment that would have to move between industries to match the benchmark; :math:`K_r / 2`);
    - Hoover coefficient of localisation of an industry, over the table's regions:
      :math:`HL_i = \\tfrac12 \\sum_r |E_{ri}/E_i - E_r/E|`, 0 when the industry is spread like all employment,
      near 1 when it sits in one small region.

    Parameters
    ----------
    table
        From :func:`firms_to_regions` or :func:`regional_table`.
    measure
        ``"employment"`` or ``"establishments"``.

    Returns
    -------
    Specialisation

    Raises
    ------
    OptionError
        On an unknown ``measure`` or one the table lacks.

    References
    ----------
    Krugman, P. (1991). *Geography and Trade*. MIT Press. Hoover, E. M. (1936). The measurement of industrial
    localization. *Review of Economics and Statistics*, 18(4), 162-171. Midelfart-Knarvik, K. H., Overman, H. G.,
    Redding, S. J., & Venables, A. J. (2000). The location of European industry. *European Economy, Economic
    Papers* 142.

    Examples
    --------
    >>> import pandas as pd
    >>> from clusterwatch.analysis.regional import regional_table
    >>> table = regional_table(pd.DataFrame({
    ...     "region": ["A", "A", "B"], "industry": ["x", "y", "y"],
    ...     "employment": [50, 50, 100], "establishments": [1, 1, 1]}))
    >>> result = specialisation(table)
    >>> result.regions[["region", "krugman", "hoover"]].to_numpy().tolist()
    [['A', 0.5, 0.25], ['B', 0.5, 0.25]]
    >>> result.industries["hoover_localisation"].round(3).tolist()
    [0.5, 0.167]
    """
    check_measure(table, measure)
    matrix = table.matrix(measure)
    values = matrix.to_numpy(dtype=float)
    region_totals = values.sum(axis=1)
    reference = reference_totals(table, measure).reindex(matrix.columns).fillna(0.0).to_numpy(dtype=float)
    benchmark_share = reference / reference.sum() if reference.sum() > 0 else np.full(len(reference), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        region_share = values / region_totals[:, None]
        krugman = np.abs(region_share - benchmark_share[None, :]).sum(axis=1)
    krugman = np.where(region_totals > 0, krugman, np.nan)
    regions = pd.DataFrame({
        "region": matrix.index.astype("string"), "total": region_totals,
        "industries": (values > 0).sum(axis=1), "krugman": krugman, "hoover": krugman / 2,
    })
    industry_totals = values.sum(axis=0)
    grand = values.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        localisation = 0.5 * np.abs(values / industry_totals[None, :] - (region_totals / grand)[:, None]).sum(axis=0)
    localisation = np.where(industry_totals > 0, localisation, np.nan)
    industries = pd.DataFrame({"industry": matrix.columns.astype("string"), "total": industry_totals,
                               "hoover_localisation": localisation})
    return Specialisation(regions=regions, industries=industries, measure=measure, provenance=table.provenance)
