"""One inference vocabulary for every statistic: seeds, Monte Carlo p-values, false-discovery control.

DESIGN.md, "Inference, one vocabulary": ``permutations=999``, ``alternative`` explicit, p = (M + 1) / (R + 1) in one
shared function, Benjamini–Hochberg where many tests run at once, ``rng`` (int or Generator) turned into a
``numpy.random.Generator`` once, child seeds by ``SeedSequence.spawn`` for parallel work, the seed stored in the
result.

Gi* (:func:`gi_star`) on neighbour graphs (:class:`NeighbourGraph`, :func:`h3_graph`, :func:`space_time_graph`) and the
Mann–Kendall trend test (:func:`mann_kendall`) load on first use, so importing this package stays light.
"""

from typing import TYPE_CHECKING, Any

from clusterwatch.stats.inference import (
    ALTERNATIVES,
    Seed,
    benjamini_hochberg,
    check_alternative,
    check_permutations,
    monte_carlo_p,
    name_key,
    resolve_seed,
)
from clusterwatch.stats.rates import CochranArmitage, binomial_excess, cochran_armitage, gumbel_p

if TYPE_CHECKING:
    from clusterwatch.stats.gistar import NULLS, GiStar, gi_star
    from clusterwatch.stats.neighbours import NeighbourGraph, from_lists, h3_graph, space_time_graph
    from clusterwatch.stats.trend import MannKendall, mann_kendall

_LAZY = {
    "GiStar": "clusterwatch.stats.gistar",
    "NULLS": "clusterwatch.stats.gistar",
    "gi_star": "clusterwatch.stats.gistar",
    "NeighbourGraph": "clusterwatch.stats.neighbours",
    "from_lists": "clusterwatch.stats.neighbours",
    "h3_graph": "clusterwatch.stats.neighbours",
    "space_time_graph": "clusterwatch.stats.neighbours",
    "MannKendall": "clusterwatch.stats.trend",
    "mann_kendall": "clusterwatch.stats.trend",
}


def __getattr__(name: str) -> Any:
    """Gi*, neighbour graphs and Mann–Kendall on first use (they compile numba kernels)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'clusterwatch.stats' has no attribute {name!r}")


__all__ = [
    "ALTERNATIVES",
    "NULLS",
    "CochranArmitage",
    "GiStar",
    "MannKendall",
    "NeighbourGraph",
    "Seed",
    "benjamini_hochberg",
    "binomial_excess",
    "check_alternative",
    "check_permutations",
    "cochran_armitage",
    "from_lists",
    "gi_star",
    "gumbel_p",
    "h3_graph",
    "mann_kendall",
    "monte_carlo_p",
    "name_key",
    "resolve_seed",
    "space_time_graph",
]
