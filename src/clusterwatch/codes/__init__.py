"""Official industry codes: NAICS, NACE Rev. 2, UK SIC 2007 and SN2007 hierarchies, and US benchmark clusters.

Titles, levels and truncation serve location quotients at any level of a hierarchy and the comparison of
text-discovered activities with official code titles; :func:`naics_to_cluster` labels NAICS codes with the US
Cluster Mapping benchmark clusters (traded or local). All tables ship with the package (``clusterwatch/data/codes``,
sources and licences in its PROVENANCE.md) and are read once, on first use.
"""

from __future__ import annotations

from clusterwatch.codes._tables import CODE_SYSTEMS
from clusterwatch.codes.clusters import CLUSTER_VINTAGES, ClusterAssignment, benchmark_clusters, naics_to_cluster
from clusterwatch.codes.hierarchy import (
    code_title,
    code_titles,
    is_valid,
    levels,
    parent,
    truncate,
    valid_mask,
)
from clusterwatch.codes.infer import CodeSystemGuess, infer_code_system

__all__ = [
    "CLUSTER_VINTAGES",
    "CODE_SYSTEMS",
    "ClusterAssignment",
    "CodeSystemGuess",
    "benchmark_clusters",
    "code_title",
    "code_titles",
    "infer_code_system",
    "is_valid",
    "levels",
    "naics_to_cluster",
    "parent",
    "truncate",
    "valid_mask",
]
