"""The Mann–Kendall trend test now lives in :mod:`clusterwatch.stats.trend`; re-exported here for old imports."""

from clusterwatch.stats.trend import MannKendall, check_alpha, mann_kendall

__all__ = ["MannKendall", "check_alpha", "mann_kendall"]
