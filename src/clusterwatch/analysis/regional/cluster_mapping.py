"""US Cluster Mapping flags: qualifying, significant, strong and strong10 clusters, as the project's code has them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from clusterwatch.analysis.regional.quotients import quotient
from clusterwatch.analysis.regional.table import Provenance, RegionalTable, check_measure
from clusterwatch.errors import OptionError

FLAGS: tuple[str, ...] = ("qualifying", "significant", "strong", "strong10")


@dataclass(frozen=True, eq=False)
class ClusterMappingFlags:
    """US Cluster Mapping flags of every region and cluster.

    Attributes
    ----------
    cells
        One row per cell of the table: ``region``, ``industry``, ``employment``, ``establishments``, ``lq`` (the
        quotient the rules use; undefined quotients are 0, as on the US Cluster Mapping site) and the nullable
        booleans ``qualifying``, ``significant``, ``strong``, ``strong10`` (missing for industries not flagged,
        i.e. local clusters when ``industries == "traded"``).
    thresholds
        One row per flagged industry: ``regions`` (regions with a positive ``measure``, over which the quantiles
        are taken), ``size_q25`` (25th percentile of ``measure``), ``establishments_q25``, ``lq_q25``, ``lq_q50``,
        ``lq_q75``, ``lq_q90``.
    measure
        The size measure: ``"employment"`` as in the US Cluster Mapping, or ``"establishments"``.
    lq_variant
        ``"cluster_mapping"`` (traded/local totals) when the industries have a type, else ``"plain"``.
    industries
        ``"traded"`` (only traded clusters are flagged, as in the US Cluster Mapping) or ``"all"``.
    establishment_rule
        Whether the establishment-count rule was applied (False when the table has no counts).
    provenance
        What made the table.
    """

    cells: pd.DataFrame
    thresholds: pd.DataFrame
    measure: str
    lq_variant: str
    industries: str
    establishment_rule: bool
    provenance: Provenance

    def to_frame(self) -> pd.DataFrame:
        """The cells (a copy)."""
        return self.cells.copy()


def cluster_mapping_flags(
    table: RegionalTable,
    *,
    measure: str = "employment",
    industries: str | None = None,
) -> ClusterMappingFlags:
    """Flag qualifying, significant, strong and strong10 clusters with the US Cluster Mapping rules.

    For each cluster, quantiles are taken over the regions of the table where the cluster's employment is positive
    (R type 7 / ``d3.quantile`` linear interpolation, numpy's default). With :math:`Q_p(\\cdot)` those quantiles,
    a region's cluster is

    - *qualifying* when :math:`LQ > Q_{.25}(LQ)`, :math:`E > Q_{.25}(E)` and :math:`N > Q_{.25}(N)`;
    - *significant* when :math:`LQ > Q_{.50}(LQ)` and the same size rules;
    - *strong* when :math:`LQ \\ge Q_{.75}(LQ)`, :math:`LQ \\ge 1` and the same size rules;
    - *strong10* when :math:`LQ \\ge Q_{.90}(LQ)`, :math:`LQ \\ge 1` and the same size rules,

    where :math:`E` is employment, :math:`N` the number of establishments and :math:`LQ` the US Cluster Mapping
    location quotient (traded employment as the denominator; see :func:`location_quotients`), undefined quotients
    counting as 0. These are the rules of the project's ``cluster_calcs_reducer.js`` (``qualifying_b``,
    ``significant_b``, ``strong_b``, ``strong10_b``), which flags traded clusters only; the quantiles run over the
    regions of one type (all states, all counties ...) and so here over the regions of the table: flags for one
    state's counties compare the counties with each other, not with every US county.

    Parameters
    ----------
    table
        From :func:`firms_to_regions` or :func:`regional_table`.
    measure
        ``"employment"`` (the US Cluster Mapping rule) or ``"establishments"`` for data without employment (then
        the size rule and the LQ are on counts; a simplification, not the published method).
    industries
        ``"traded"`` (flag traded clusters only, as published) or ``"all"``; default ``"traded"`` when the
        industries have a traded/local type, else ``"all"``.

    Returns
    -------
    ClusterMappingFlags

    Raises
    ------
    OptionError
        On an unknown ``measure`` or ``industries``, a measure the table lacks, or ``industries="traded"`` for a
        table whose industries have no type.

    References
    ----------
    Delgado, M., Porter, M. E., & Stern, S. (2016). Defining clusters of related industries. *Journal of Economic
    Geography*, 16(1), 1-38. US Cluster Mapping Project, ``data/processing/cluster_calcs_reducer.js``
    (github.com/clustermapping/cmp); methodology at clustermapping.us.

    Examples
    --------
    >>> import pandas as pd
    >>> from clusterwatch.analysis.regional import regional_table
    >>> rows = pd.DataFrame({"region": list("ABCDE"), "industry": "x", "traded": True,
    ...                      "employment": [50, 40, 30, 20, 10], "establishments": [5, 4, 3, 2, 1]})
    >>> other = rows.assign(industry="y", employment=[10, 20, 30, 40, 50])
    >>> table = regional_table(pd.concat([rows, other]), traded="traded")
    >>> flags = cluster_mapping_flags(table)
    >>> flags.cells.query("industry == 'x'")[["region", "qualifying", "strong"]].to_numpy().tolist()
    [['A', True, True], ['B', True, True], ['C', True, False], ['D', False, False], ['E', False, False]]
    """
    check_measure(table, measure)
    if industries is None:
        industries = "traded" if table.has_traded else "all"
    if industries not in ("traded", "all"):
        raise OptionError(f"unknown industries {industries!r}; allowed: 'traded', 'all'")
    if industries == "traded" and not table.has_traded:
        raise OptionError("industries='traded' needs industries with a traded/local type (benchmark clusters, or "
                          "a traded column); use industries='all'")
    variant = "cluster_mapping" if table.has_traded else "plain"
    lq = quotient(table, measure, by_type=table.has_traded).fillna(0.0)

    cells = table.cells.copy()
    cells["lq"] = lq.to_numpy()
    traded = cells["industry"].map(table.industries.set_index("industry")["traded"]).astype("boolean")
    flagged = traded.fillna(False).to_numpy(dtype=bool) if industries == "traded" else np.ones(len(cells), bool)
    size = cells[measure].fillna(0.0)
    establishment_rule = bool(cells["establishments"].notna().any())
    count = cells["establishments"].fillna(0.0)

    positive = cells.loc[flagged & (size > 0).to_numpy(), ["industry"]].assign(
        size=size, establishments=count, lq=cells["lq"])
    grouped = positive.groupby("industry", observed=True)
    thresholds = pd.DataFrame({
        "regions": grouped.size(),
        "size_q25": grouped["size"].quantile(0.25),
        "establishments_q25": grouped["establishments"].quantile(0.25),
        "lq_q25": grouped["lq"].quantile(0.25),
        "lq_q50": grouped["lq"].quantile(0.50),
        "lq_q75": grouped["lq"].quantile(0.75),
        "lq_q90": grouped["lq"].quantile(0.90),
    })
    per_cell = thresholds.reindex(cells["industry"].to_numpy())
    big = (size.to_numpy() > per_cell["size_q25"].to_numpy())
    if establishment_rule:
        big &= count.to_numpy() > per_cell["establishments_q25"].to_numpy()
    lq_values = cells["lq"].to_numpy()
    rules = {
        "qualifying": big & (lq_values > per_cell["lq_q25"].to_numpy()),
        "significant": big & (lq_values > per_cell["lq_q50"].to_numpy()),
        "strong": big & (lq_values >= per_cell["lq_q75"].to_numpy()) & (lq_values >= 1),
        "strong10": big & (lq_values >= per_cell["lq_q90"].to_numpy()) & (lq_values >= 1),
    }
    for name, values in rules.items():
        column = pd.array(values, dtype="boolean")
        column[~flagged] = pd.NA
        cells[name] = column
    thresholds = thresholds.reset_index().rename(columns={"index": "industry"})
    return ClusterMappingFlags(
        cells=cells, thresholds=thresholds, measure=measure, lq_variant=variant, industries=industries,
        establishment_rule=establishment_rule, provenance=table.provenance,
    )
