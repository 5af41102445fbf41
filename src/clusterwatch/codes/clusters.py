"""US Cluster Mapping benchmark cluster definitions: NAICS codes to clusters, traded or local.

Two vintages ship with clusterwatch (see the data folder's PROVENANCE.md):

- ``"2012"`` (the default): the Delgado-Porter-Stern (2016) benchmark definitions on NAICS 2012 codes, 51 traded
  and 16 local clusters with their subclusters, from the crosswalk workbook published by the Northern Colorado
  Regional Economic Development Initiative (CC BY-SA); cluster codes are the US Cluster Mapping Project's own
  (1-51 traded, 101-116 local). The workbook adds a few codes of NAICS 2017 and of Emsi's industry list
  (``emsi_specific``), so 2017 codes such as ``541715`` map too.
- ``"2007"``: the US Cluster Mapping Project's earlier definitions on NAICS 2007 (``cmp_clusters-list.json``,
  GPL-2.0): 67 clusters, 1,099 codes, in Porter's (2003) three kinds: traded, local and natural-resource
  dependent (``cluster_type == "resource"``, ids above 1000), without a code-to-subcluster mapping.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from clusterwatch.codes._tables import clusters_table
from clusterwatch.codes.hierarchy import CodesLike, _normalise
from clusterwatch.errors import OptionError

#: NAICS vintages with benchmark cluster definitions.
CLUSTER_VINTAGES: tuple[str, ...] = ("2012", "2007")


def _check_vintage(vintage: str | int) -> str:
    name = str(vintage).strip()
    if name not in CLUSTER_VINTAGES:
        raise OptionError(f"unknown cluster definition vintage {vintage!r}; allowed: {', '.join(CLUSTER_VINTAGES)}")
    return name


def benchmark_clusters(vintage: str = "2012") -> pd.DataFrame:
    """The US Cluster Mapping benchmark cluster of every NAICS code that has one.

    Parameters
    ----------
    vintage
        ``"2012"`` (Delgado-Porter-Stern 2016 definitions on NAICS 2012) or ``"2007"`` (the earlier US Cluster
        Mapping definitions on NAICS 2007).

    Returns
    -------
    pandas.DataFrame
        A new frame, one row per six-digit NAICS code: ``naics``, ``cluster_code`` (int), ``cluster_name``,
        ``subcluster`` (missing for vintage 2007, whose source has no code-to-subcluster mapping),
        ``cluster_type`` (``"traded"``, ``"local"``, or ``"resource"`` for 2007's natural-resource clusters),
        ``traded`` (bool: ``cluster_type == "traded"``) and ``emsi_specific`` (codes the 2012 crosswalk adds
        from NAICS 2017 or Emsi's list).

    Raises
    ------
    OptionError
        When ``vintage`` is unknown.

    References
    ----------
    Delgado, M., Porter, M. E., & Stern, S. (2016). Defining clusters of related industries. *Journal of
    Economic Geography*, 16(1), 1-38. Porter, M. E. (2003). The economic performance of regions. *Regional
    Studies*, 37(6-7), 549-578.

    Examples
    --------
    >>> clusters = benchmark_clusters()
    >>> clusters["cluster_code"].nunique(), sorted(clusters["cluster_type"].unique())
    (67, ['local', 'traded'])
    >>> benchmark_clusters("2007")["naics"].size
    1099
    """
    return clusters_table(_check_vintage(vintage)).copy()


@dataclass(frozen=True, eq=False)
class ClusterAssignment:
    """NAICS codes matched to benchmark clusters, with the count of codes that match none.

    Attributes
    ----------
    naics
        The input codes in stored form (``string``), aligned on the input's index.
    cluster_code
        The benchmark cluster of each code (``Int64``), missing where there is none.
    vintage
        The cluster definitions used (``"2012"`` or ``"2007"``).
    n_codes
        Codes given (non-missing).
    n_missing
        Missing or empty inputs.
    n_unmapped
        Codes given that match no cluster: codes outside the definitions (farming, rail, public administration
        and private households are not in them), codes of another NAICS vintage, and codes shorter than six
        digits, which are never guessed.
    unmapped
        How often each unmapped code occurs, most frequent first.
    """

    naics: pd.Series
    cluster_code: pd.Series
    vintage: str
    n_codes: int
    n_missing: int
    n_unmapped: int
    unmapped: pd.Series

    @property
    def share_mapped(self) -> float:
        """Share of the codes given that matched a cluster (NaN when none were given)."""
        return (self.n_codes - self.n_unmapped) / self.n_codes if self.n_codes else float("nan")

    def to_frame(self) -> pd.DataFrame:
        """One row per input row (same index): naics, cluster_code, cluster_name, subcluster, cluster_type, traded.

        ``traded`` is a nullable boolean, missing where no cluster matched.
        """
        table = clusters_table(self.vintage).set_index("naics")
        positions, distinct = pd.factorize(self.naics.where(self.cluster_code.notna()), use_na_sentinel=True)
        rows = np.where(positions < 0, len(distinct), positions)  # a missing key reads the appended empty row
        found = table.reindex(pd.Index(list(distinct) + [None], dtype="string"))
        frame = pd.DataFrame({"naics": self.naics, "cluster_code": self.cluster_code}, index=self.naics.index)
        for column in ("cluster_name", "subcluster", "cluster_type"):
            frame[column] = pd.array(found[column].astype("string").to_numpy()[rows], dtype="string")
        frame["traded"] = pd.array(found["traded"].astype("boolean").to_numpy()[rows], dtype="boolean")
        return frame


def naics_to_cluster(codes: CodesLike, vintage: str = "2012") -> ClusterAssignment:
    """Match six-digit NAICS codes to US Cluster Mapping benchmark clusters, vectorised.

    Parameters
    ----------
    codes
        NAICS codes (a Series keeps its index; numbers read from a file are read as the code they spell).
    vintage
        ``"2012"`` (default; Delgado-Porter-Stern 2016 definitions) or ``"2007"``.

    Returns
    -------
    ClusterAssignment
        ``cluster_code`` aligned on the input's index (missing where no cluster matches), the counts of missing
        and unmatched codes, and the unmatched codes by frequency; ``to_frame()`` adds names and the traded flag.

    Raises
    ------
    OptionError
        When ``vintage`` is unknown.

    References
    ----------
    Delgado, M., Porter, M. E., & Stern, S. (2016). Defining clusters of related industries. *Journal of
    Economic Geography*, 16(1), 1-38.

    Examples
    --------
    >>> import pandas as pd
    >>> match = naics_to_cluster(pd.Series(["336411", "541715", "111110", None]))
    >>> match.cluster_code.tolist()
    [1, 13, <NA>, <NA>]
    >>> match.n_unmapped, match.n_missing
    (1, 1)
    >>> match.to_frame()["traded"].tolist()
    [True, True, <NA>, <NA>]
    """
    name = _check_vintage(vintage)
    clean = _normalise(codes, "naics")
    positions, distinct = pd.factorize(clean, use_na_sentinel=True)
    lookup = clusters_table(name).set_index("naics")["cluster_code"]
    found = pd.Series(distinct, dtype="string").map(lookup).to_numpy(dtype="float64", na_value=np.nan)
    found = np.append(found, np.nan)  # position -1 (a missing code) reads the appended NaN
    values = found[positions]
    cluster_code = pd.Series(values, index=clean.index, name="cluster_code").astype("Int64")
    given = clean.notna()
    unmatched = given & cluster_code.isna()
    return ClusterAssignment(
        naics=clean.rename("naics"),
        cluster_code=cluster_code,
        vintage=name,
        n_codes=int(given.sum()),
        n_missing=int((~given).sum()),
        n_unmapped=int(unmatched.sum()),
        unmapped=clean[unmatched].value_counts().rename("rows"),
    )
