"""One inference vocabulary for every statistic: seeds, Monte Carlo p-values, false-discovery control.

DESIGN.md, "Inference, one vocabulary": ``permutations=999``, ``alternative`` explicit, p = (M + 1) / (R + 1) in one
shared function, Benjamini–Hochberg where many tests run at once, ``rng`` (int or Generator) turned into a
``numpy.random.Generator`` once, child seeds by ``SeedSequence.spawn`` for parallel work, the seed stored in the
result.
"""

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

__all__ = [
    "CochranArmitage",
    "ALTERNATIVES",
    "Seed",
    "benjamini_hochberg",
    "binomial_excess",
    "check_alternative",
    "check_permutations",
    "cochran_armitage",
    "gumbel_p",
    "monte_carlo_p",
    "name_key",
    "resolve_seed",
]
