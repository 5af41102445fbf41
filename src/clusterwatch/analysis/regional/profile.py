"""All regional measures at once, and each region's strongest clusters."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from clusterwatch.analysis.regional.cluster_mapping import FLAGS, ClusterMappingFlags, cluster_mapping_flags
from clusterwatch.analysis.regional.quotients import LocationQuotients, location_quotients
from clusterwatch.analysis.regional.relatedness import Relatedness, relatedness
from clusterwatch.analysis.regional.specialisation import Specialisation, specialisation
from clusterwatch.analysis.regional.stars import (
    DEFAULT_FOCUS_TOP,
    DEFAULT_SIZE_TOP,
    DEFAULT_SPECIALISATION_MIN,
    ClusterStars,
    cluster_stars,
)
from clusterwatch.analysis.regional.table import Provenance, RegionalTable, check_measure
from clusterwatch.errors import OptionError


@dataclass(frozen=True, eq=False)
class RegionalAnalysis:
    """Every regional measure of one table.

    Attributes
    ----------
    table
        The input table (cells, industries, region points, provenance).
    quotients, flags, stars, specialisation, relatedness
        The results of :func:`location_quotients`, :func:`cluster_mapping_flags`, :func:`cluster_stars`,
        :func:`specialisation` and :func:`relatedness`, each with its parameters.
    measure
        The measure the flags, stars, specialisation and relatedness use.
    """

    table: RegionalTable
    quotients: LocationQuotients
    flags: ClusterMappingFlags
    stars: ClusterStars
    specialisation: Specialisation
    relatedness: Relatedness
    measure: str

    @property
    def provenance(self) -> Provenance:
        """What made the table."""
        return self.table.provenance

    def to_frame(self) -> pd.DataFrame:
        """One row per cell: names, measures, quotients, flags, stars and relatedness density.

        Columns: ``region``, ``industry``, ``name``, ``traded``, ``employment``, ``establishments``,
        ``lq_employment``, ``lq_establishments``, ``lq_cm_employment``, ``lq_cm_establishments``, ``qualifying``,
        ``significant``, ``strong``, ``strong10``, ``size_share``, ``focus``, ``star_size``,
        ``star_specialisation``, ``star_focus``, ``stars``, ``density``.
        """
        keys = ["region", "industry"]
        out = self.quotients.cells.merge(self.table.industries, on="industry", how="left")
        out = out.merge(self.flags.cells[[*keys, *FLAGS]], on=keys, how="left")
        star_columns = ["size_share", "focus", "star_size", "star_specialisation", "star_focus", "stars"]
        out = out.merge(self.stars.cells[[*keys, *star_columns]], on=keys, how="left")
        dense = self.relatedness.to_frame()[[*keys, "density"]].astype({"region": "string", "industry": "string"})
        out = out.merge(dense, on=keys, how="left")
        first = [*keys, "name", "traded", "employment", "establishments"]
        return out[first + [c for c in out.columns if c not in first]]

    def strongest(self, n: int = 3, *, traded_only: bool = True) -> pd.DataFrame:
        """Each region's ``n`` strongest clusters.

        A cluster is a candidate when it qualifies by the US Cluster Mapping rules (which include its size: more
        employment and establishments than in a quarter of the regions where it is present); industries the rules
        do not flag (local clusters, when ``traded_only`` is False) are candidates with at least one European
        Cluster Observatory star. Candidates rank by ``score``, the number of US Cluster Mapping flags earned
        (qualifying, significant, strong, strong10: 0-4) plus the number of stars (0-3), then by location quotient.

        Parameters
        ----------
        n
            Clusters per region (at most).
        traded_only
            Keep traded clusters only, when the industries have a type (local clusters serve the local market and
            are not flagged by the US Cluster Mapping).

        Returns
        -------
        pandas.DataFrame
            ``region``, ``rank`` (1 = strongest), ``score``, then the columns of :meth:`to_frame`.

        Raises
        ------
        OptionError
            When ``n`` is not a positive integer.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise OptionError(f"n must be a positive integer; got {n!r}")
        frame = self.to_frame()
        lq = "lq_cm_" + self.measure if self.table.has_traded else "lq_" + self.measure
        if traded_only and self.table.has_traded:
            frame = frame[frame["traded"].fillna(False).astype(bool)]
        qualifying = frame["qualifying"]
        evidence = qualifying.fillna(False).astype(bool) | (qualifying.isna() & (frame["stars"] > 0))
        frame = frame[evidence & (frame[self.measure].fillna(0) > 0)].copy()
        earned = sum(frame[flag].fillna(False).astype("int64") for flag in FLAGS)
        frame["score"] = earned + frame["stars"]
        frame = frame.sort_values(["region", "score", lq], ascending=[True, False, False], kind="stable")
        frame["rank"] = frame.groupby("region", observed=True).cumcount() + 1
        frame = frame[frame["rank"] <= n]
        first = ["region", "rank", "score"]
        return frame[first + [c for c in frame.columns if c not in first]].reset_index(drop=True)


def analyse_regions(
    table: RegionalTable,
    *,
    measure: str | None = None,
    industries: str | None = None,
    size_top: float = DEFAULT_SIZE_TOP,
    specialisation_min: float = DEFAULT_SPECIALISATION_MIN,
    focus_top: float = DEFAULT_FOCUS_TOP,
    focus_scope: str = "all",
    basis: str = "specialisation",
    threshold: float = 1.0,
) -> RegionalAnalysis:
    """Location quotients, US Cluster Mapping flags, European Cluster Observatory stars, specialisation, relatedness.

    Parameters
    ----------
    table
        From :func:`firms_to_regions` or :func:`regional_table`.
    measure
        ``"employment"`` or ``"establishments"``; default employment when the table has any, else establishments.
    industries
        Which industries get US Cluster Mapping flags (see :func:`cluster_mapping_flags`).
    size_top, specialisation_min, focus_top, focus_scope
        European Cluster Observatory thresholds (see :func:`cluster_stars`).
    basis, threshold
        Presence for relatedness (see :func:`relatedness`).

    Returns
    -------
    RegionalAnalysis

    Raises
    ------
    OptionError
        On any bad parameter (see the functions named above).

    References
    ----------
    Delgado, M., Porter, M. E., & Stern, S. (2016). Defining clusters of related industries. *Journal of Economic
    Geography*, 16(1), 1-38. European Cluster Observatory, "Evaluation of regional cluster strength". Hidalgo, C.
    A. et al. (2007). The product space conditions the development of nations. *Science*, 317(5837), 482-487.

    Examples
    --------
    >>> import pandas as pd
    >>> from clusterwatch.analysis.regional import firms_to_regions
    >>> rows = [("1", "336411", 300), ("1", "336411", 200), ("2", "336411", 20), ("3", "336411", 10),
    ...         ("4", "336411", 15), ("4", "336411", 15), ("1", "541715", 5), ("2", "541715", 40),
    ...         ("2", "541715", 30), ("3", "541715", 5), ("4", "541715", 5)]
    >>> rows += [(county, "722511", 50) for county in "1234"]
    >>> firms = pd.DataFrame(rows, columns=["county", "code", "employees"]).assign(
    ...     firm_id=lambda f: f.index.astype(str), code_system="naics")
    >>> analysis = analyse_regions(firms_to_regions(firms))
    >>> for row in analysis.strongest(1)[["region", "name", "strong", "stars"]].to_numpy().tolist():
    ...     print(row)
    ['1', 'Aerospace Vehicles and Defense', True, 2]
    ['2', 'Education and Knowledge Creation', True, 2]
    ['4', 'Aerospace Vehicles and Defense', False, 0]
    """
    if measure is None:
        measure = "employment" if table.has_employment else "establishments"
    check_measure(table, measure)
    return RegionalAnalysis(
        table=table,
        quotients=location_quotients(table),
        flags=cluster_mapping_flags(table, measure=measure, industries=industries),
        stars=cluster_stars(table, measure=measure, size_top=size_top, specialisation_min=specialisation_min,
                            focus_top=focus_top, focus_scope=focus_scope),
        specialisation=specialisation(table, measure=measure),
        relatedness=relatedness(table, measure=measure, basis=basis, threshold=threshold),
        measure=measure,
    )
