"""Where activities concentrate in space: Duranton–Overman Kd, the Bernoulli spatial scan, Gi* hot spots on H3.

Every analysis here is a pure function from a firm frame (``lat``/``lon``, or planar ``x``/``y``) and a case
indicator to a frozen result with ``to_frame()``; Monte Carlo replicates run through
:func:`clusterwatch.compute.compute_map` and the seed is stored in the result.
"""

from clusterwatch.analysis.space.bernoulli import (
    BernoulliScanResult,
    bernoulli_llr,
    bernoulli_scan,
    bernoulli_scan_each,
)
from clusterwatch.analysis.space.hotspots import HotSpotResult, gi_star, hotspots, hotspots_on_graph
from clusterwatch.analysis.space.kd import KdResult, global_envelope, kd

__all__ = [
    "BernoulliScanResult",
    "HotSpotResult",
    "KdResult",
    "bernoulli_llr",
    "bernoulli_scan",
    "bernoulli_scan_each",
    "gi_star",
    "global_envelope",
    "hotspots",
    "hotspots_on_graph",
    "kd",
]
