"""Emergence over time: which places are new, growing, persistent or fading in an activity, as of any date.

* :func:`code_entries` / :func:`text_entries` — the entries into an activity (foundings for code activities, first
  dated texts for text-discovered ones); :func:`entries_cube` counts them per H3 cell and period, as of a date.
* :func:`emerging_hot_spots` — Esri's Emerging Hot Spot Analysis: space-time Gi*, Benjamini–Hochberg, Mann–Kendall,
  and the 17 categories (:data:`CATEGORIES`, rules in :mod:`~clusterwatch.analysis.time.categories`).
* :func:`space_time_permutation_scan` — Kulldorff's (2005) prospective space-time permutation scan, as in SaTScan.
* :func:`emergence_history` — the same analysis as of a series of past dates ("what would we have seen?").
"""

from clusterwatch.analysis.time.categories import CATEGORIES, classify
from clusterwatch.analysis.time.cube import PERIODS, EntriesCube, cube_from_counts, entries_cube
from clusterwatch.analysis.time.ehsa import EmergingHotSpots, emerging_hot_spots
from clusterwatch.analysis.time.entries import code_entries, text_entries
from clusterwatch.analysis.time.history import EmergenceHistory, emergence_history
from clusterwatch.analysis.time.stscan import SpaceTimeCluster, SpaceTimeScan, space_time_permutation_scan
from clusterwatch.stats.trend import MannKendall, mann_kendall

__all__ = [
    "CATEGORIES",
    "PERIODS",
    "EmergenceHistory",
    "EmergingHotSpots",
    "EntriesCube",
    "MannKendall",
    "SpaceTimeCluster",
    "SpaceTimeScan",
    "classify",
    "code_entries",
    "cube_from_counts",
    "emergence_history",
    "emerging_hot_spots",
    "entries_cube",
    "mann_kendall",
    "space_time_permutation_scan",
    "text_entries",
]
