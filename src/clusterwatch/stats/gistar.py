"""Getis–Ord Gi* on any neighbour graph: one statistic, one null by default, three ways to test it.

Gi* on H3 cells (:func:`clusterwatch.analysis.space.hotspots`) and the space-time Gi* of emerging hot spots
(:func:`clusterwatch.analysis.time.emerging_hot_spots`) are both this function on a
:class:`~clusterwatch.stats.neighbours.NeighbourGraph`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import pandas as pd
from scipy import stats

from clusterwatch.compute import Batch, batches, compute_map
from clusterwatch.errors import OptionError
from clusterwatch.stats.inference import check_alternative, check_permutations, monte_carlo_p, resolve_seed
from clusterwatch.stats.neighbours import NeighbourGraph

#: The null hypotheses a Gi* can be tested against (see :func:`gi_star`); ``total`` is the default everywhere.
NULLS: tuple[str, ...] = ("total", "conditional")
#: How the p-value is obtained (see :func:`gi_star`).
INFERENCES: tuple[str, ...] = ("normal", "permutation", "exact")
#: Replicates × observed values compared at once by :func:`monte_carlo_p`, to bound memory (80 MB of floats).
_P_CELLS = 10_000_000
#: Work (values × sizes² × sums) above which the exact null distribution is refused as too slow.
_EXACT_WORK_LIMIT = 2e9


@dataclass(frozen=True, eq=False)
class GiStar:
    """Getis–Ord Gi* of every unit of a graph, with its p-value.

    Attributes
    ----------
    local_sum
        Σ of the values in each unit's neighbourhood, the unit itself included.
    weight
        Units in each neighbourhood (binary weights, the unit itself included).
    statistic
        G*_i = local sum / Σ values (NaN when the values sum to 0).
    z
        Ord & Getis (1995) z-score (NaN where undefined: no spread, or a neighbourhood holding every unit).
    p_norm
        The normal approximation of ``z`` for ``alternative``.
    p_value
        The p-value of ``inference`` under ``null`` (NaN where z is NaN).
    null, inference, alternative, permutations, seed
        What made the result; ``permutations`` and ``seed`` are None unless inference is ``permutation``.
    """

    local_sum: np.ndarray
    weight: np.ndarray
    statistic: np.ndarray
    z: np.ndarray
    p_norm: np.ndarray
    p_value: np.ndarray
    null: str
    inference: str
    alternative: str
    permutations: int | None
    seed: int | None

    def to_frame(self) -> pd.DataFrame:
        """One row per unit: local_sum, weight, statistic, z, p_norm, p_value."""
        frame = pd.DataFrame({"local_sum": self.local_sum, "weight": self.weight, "statistic": self.statistic,
                              "z": self.z, "p_norm": self.p_norm, "p_value": self.p_value})
        frame.index.name = "unit"
        return frame


def check_null(null: str) -> str:
    """Validate ``null``: ``total`` or ``conditional``."""
    if null not in NULLS:
        raise OptionError(f"null must be one of {', '.join(NULLS)}, got {null!r}")
    return null


def check_inference(inference: str) -> str:
    """Validate ``inference``: ``normal``, ``permutation`` or ``exact``."""
    if inference not in INFERENCES:
        raise OptionError(f"inference must be one of {', '.join(INFERENCES)}, got {inference!r}")
    return inference


def gi_star(
    values: np.ndarray,
    graph: NeighbourGraph,
    *,
    null: str = "total",
    inference: str = "normal",
    alternative: str = "two-sided",
    permutations: int = 999,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
    scheduler: str | None = "threads",
    n_jobs: int | None = None,
) -> GiStar:
    """Getis–Ord Gi* with binary weights, tested by the normal approximation, permutations or exactly.

    For unit i with W_i units in its neighbourhood (itself included), n units with mean x̄ and population standard
    deviation s, G*_i = Σ_{j ∈ N(i) ∪ {i}} x_j / Σ_j x_j and (Ord & Getis 1995, eq. 14 with binary weights)

    ``z_i = (Σ_{j ∈ N(i) ∪ {i}} x_j − x̄ W_i) / (s √((n W_i − W_i²) / (n − 1)))``.

    Parameters
    ----------
    values
        One finite value per unit of ``graph``.
    graph
        Binary neighbours with ``self_weight`` 1 (:mod:`clusterwatch.stats.neighbours`).
    null
        The null hypothesis of ``permutation`` and ``exact`` inference:

        * ``"total"`` (default): the values are placed at random over the units (total randomisation), so a
          neighbourhood of W_i units holds a random W_i-subset of all n values, the unit's own included. This is
          the null under which Ord & Getis derive the mean and variance behind ``z``, so the normal, permutation
          and exact p-values all test one hypothesis;
        * ``"conditional"``: the unit's own value stays and its W_i − 1 neighbours are drawn from the other n − 1
          (esda's conditional randomisation, ``G_Local(star=True)``). For Gi*, whose sum holds the unit itself, this
          tests only the neighbours: a unit whose own count leaps while its neighbours stay quiet is never extreme.
    inference
        ``"normal"`` (default): the standard normal of ``z`` (as ArcGIS and esda's ``p_norm``); ``"permutation"``:
        ``permutations`` replicates of ``null``, p = (M + 1) / (R + 1) on the local sum
        (:func:`clusterwatch.stats.monte_carlo_p`); ``"exact"``: the exact distribution of the local sum under the
        total null (whole values ≥ 0 only), the limit of infinitely many permutations.
    alternative
        ``"two-sided"`` (twice the smaller one-sided p, capped at 1), ``"greater"`` or ``"less"``.
    permutations
        Replicates for ``permutation`` inference (999).
    rng
        Seed, ``Generator`` or ``SeedSequence`` for ``permutation`` inference; the seed is stored in the result.
    scheduler, n_jobs
        How replicate batches run (:func:`clusterwatch.compute.compute_map`); results do not depend on them.

    Returns
    -------
    GiStar

    Raises
    ------
    OptionError
        For values that do not match the graph or are not finite, a graph without self-weight, options outside
        their allowed values, or ``exact`` inference on values that are not whole counts.

    Notes
    -----
    Differences from esda's ``G_Local(y, w, transform="B", star=True)``, on the same binary graph: ``z`` is the same
    (its ``Zs``); esda's ``p_norm`` is one-sided (``norm.sf(|z|)``), half the two-sided p here; esda's ``p_sim`` is
    the folded ``(min(#{sim ≥ obs}, #{sim < obs}) + 1) / (R + 1)`` of its conditional randomisation, whereas
    ``greater`` / ``less`` here count ties on their own side and ``two-sided`` doubles the smaller. Replicates
    come from numpy's ``Generator`` through :class:`~clusterwatch.compute.Batch` seeds, so they match esda in law,
    not draw for draw. Like esda, each replicate draws one sample without replacement that every unit reads its
    first |N(i)| (conditional) or W_i (total) entries from, which keeps every unit's null distribution exact.
    Under the total null the distribution depends only on W_i, so it is simulated once per distinct W_i.

    References
    ----------
    Getis, A. & Ord, J. K. (1992). The analysis of spatial association by use of distance statistics.
    *Geographical Analysis* 24(3), 189–206. Ord, J. K. & Getis, A. (1995). Local spatial autocorrelation
    statistics: distributional issues and an application. *Geographical Analysis* 27(4), 286–306.

    Examples
    --------
    >>> from clusterwatch.stats.neighbours import from_lists
    >>> path = from_lists([[j for j in (i - 1, i + 1) if 0 <= j < 9] for i in range(9)])
    >>> values = np.array([0, 0, 1, 9, 8, 9, 1, 0, 0])
    >>> g = gi_star(values, path, inference="exact", alternative="greater")
    >>> float(g.local_sum[4]), round(float(g.z[4]), 2), round(float(g.p_value[4]), 4)   # {9, 8, 9}: 1 in C(9, 3)
    (26.0, 2.81, 0.0119)
    """
    x = np.asarray(values, dtype=float)
    if not isinstance(graph, NeighbourGraph):
        raise OptionError(f"graph must be a NeighbourGraph (clusterwatch.stats.neighbours), got {type(graph).__name__}")
    if x.ndim != 1 or x.size != graph.n or x.size < 3:
        raise OptionError(f"values must be one number per unit of the graph ({graph.n}), at least 3; got {x.shape}")
    if not np.isfinite(x).all():
        raise OptionError("values must be finite numbers (no NaN or infinity)")
    if graph.self_weight != 1.0:
        raise OptionError("Gi* needs each unit in its own sum: a graph with self_weight 1")
    check_null(null)
    check_inference(inference)
    check_alternative(alternative)
    if inference == "exact" and null != "total":
        raise OptionError("exact inference is computed under the total null; use null='total' or permutations")
    if inference == "permutation":
        permutations = check_permutations(permutations)

    local = _local_sums(x, graph.indptr, graph.indices)
    weight = graph.weight.astype(float)
    z = gi_star_z(x, local, weight)
    total = x.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = local / total if total != 0 else np.full(x.size, np.nan)
    p_norm = normal_p(z, alternative)
    seed_value: int | None = None
    if inference == "normal":
        p = p_norm
    elif inference == "exact":
        p = exact_p(x, local, graph.weight, alternative)
    else:
        seed = resolve_seed(rng)
        seed_value = seed.entropy
        p = permutation_p(x, local, graph, null=null, alternative=alternative, permutations=permutations, seed=seed,
                          scheduler=scheduler, n_jobs=n_jobs)
    p = np.where(np.isnan(z), np.nan, p)
    return GiStar(local_sum=local, weight=weight, statistic=statistic, z=z, p_norm=p_norm, p_value=p, null=null,
                  inference=inference, alternative=alternative,
                  permutations=int(permutations) if inference == "permutation" else None, seed=seed_value)


@numba.njit(cache=True, nogil=True)
def _local_sums(values: np.ndarray, indptr: np.ndarray, indices: np.ndarray) -> np.ndarray:  # pragma: no cover
    """Each unit's value plus its neighbours' values (binary Gi* weights, self included)."""
    n = values.shape[0]
    out = np.empty(n)
    for i in range(n):
        s = values[i]
        for t in range(indptr[i], indptr[i + 1]):
            s += values[indices[t]]
        out[i] = s
    return out


def gi_star_z(values: np.ndarray, local_sum: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Ord & Getis (1995) z-scores of binary Gi*: mean and variance of total randomisation over all ``values``.

    NaN where undefined (constant values, or a neighbourhood covering every unit).
    """
    x = np.asarray(values, dtype=float).ravel()
    n = x.size
    mean = x.mean()
    spread = np.sqrt(max((x * x).mean() - mean * mean, 0.0))
    w = np.asarray(weight, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (local_sum - mean * w) / (spread * np.sqrt((n * w - w * w) / (n - 1)))
    return np.where(np.isfinite(z), z, np.nan)


def normal_p(z: np.ndarray, alternative: str = "two-sided") -> np.ndarray:
    """p-values of z-scores under the standard normal (NaN kept)."""
    check_alternative(alternative)
    if alternative == "greater":
        p = stats.norm.sf(z)
    elif alternative == "less":
        p = stats.norm.cdf(z)
    else:
        p = 2 * stats.norm.sf(np.abs(z))
    return np.where(np.isnan(z), np.nan, p)


# ---------------------------------------------------------------------------------------------------------------
# permutation inference: one kernel for both nulls
# ---------------------------------------------------------------------------------------------------------------


@numba.njit(cache=True, nogil=True)
def _null_sums(values: np.ndarray, fixed: np.ndarray, sizes: np.ndarray, skip: np.ndarray, pool: int,
               uniforms: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover - compiled
    """Simulated sums: ``out[r, g] = fixed[g] + Σ_{t < sizes[g]} values[d_t mapped around skip[g]]``.

    Row r of ``uniforms`` drives a partial Fisher–Yates shuffle of 0..pool-1; its first entries d_0, d_1, … are a
    sample without replacement shared by every column g (esda's scheme). A draw d maps to d when d < skip[g], else
    to d + 1, so that under the conditional null (pool n − 1, skip = the unit) a unit never draws itself; the total
    null uses pool n and skip n (no mapping).
    """
    perm = np.arange(pool)
    width = uniforms.shape[1]
    for r in range(uniforms.shape[0]):
        for t in range(width):
            j = t + int(uniforms[r, t] * (pool - t))
            if j >= pool:
                j = pool - 1
            held = perm[t]
            perm[t] = perm[j]
            perm[j] = held
        for g in range(sizes.shape[0]):
            s = fixed[g]
            cut = skip[g]
            for t in range(sizes[g]):
                d = perm[t]
                s += values[d if d < cut else d + 1]
            out[r, g] = s


@dataclass(frozen=True)
class _NullTask:
    batch: Batch
    values: np.ndarray
    fixed: np.ndarray
    sizes: np.ndarray
    skip: np.ndarray
    pool: int
    dtype: type


def _null_batch(task: _NullTask) -> np.ndarray:
    """Simulated sums of one batch of replicates, shape (replicates, columns)."""
    width = int(task.sizes.max()) if task.sizes.size else 0
    uniforms = task.batch.generator().random((task.batch.size, width))
    out: np.ndarray = np.empty((task.batch.size, task.sizes.size), dtype=task.dtype)
    _null_sums(task.values, task.fixed, task.sizes, task.skip, task.pool, uniforms, out)
    return out


def permutation_p(
    values: np.ndarray,
    local_sum: np.ndarray,
    graph: NeighbourGraph,
    *,
    null: str,
    alternative: str,
    permutations: int,
    seed: object,
    scheduler: str | None = "threads",
    n_jobs: int | None = None,
) -> np.ndarray:
    """Permutation p-values of every unit's local sum under ``null`` (see :func:`gi_star`)."""
    x = np.asarray(values, dtype=float)
    n = x.size
    if null == "total":
        sizes, column = np.unique(graph.weight.astype(np.int64), return_inverse=True)
        fixed = np.zeros(sizes.size)
        skip = np.full(sizes.size, n, dtype=np.int64)
        pool = n
    else:
        sizes = graph.cardinality.astype(np.int64)
        column = np.arange(n)
        fixed = x.copy()
        skip = np.arange(n, dtype=np.int64)
        pool = n - 1
    if not sizes.size or sizes.max() == 0:
        return np.ones(n)
    integral = bool(np.all(x == np.round(x)) and np.abs(x).sum() < 2**24)
    dtype = np.float32 if integral else np.float64  # counts are exact in float32: half the memory
    tasks = [_NullTask(batch, x, fixed, sizes, skip, pool, dtype)
             for batch in batches(permutations, seed)]  # type: ignore[arg-type]
    simulated = np.concatenate(compute_map(_null_batch, tasks, scheduler=scheduler, n_jobs=n_jobs))
    # units sharing a column and a local sum share a p-value: compare each distinct pair once, in chunks
    pairs, pair_of = np.unique(np.stack([column.astype(np.float64), local_sum], axis=1), axis=0, return_inverse=True)
    pair_p = np.empty(len(pairs))
    step = max(1, _P_CELLS // permutations)
    for lo in range(0, len(pairs), step):
        chunk = pairs[lo:lo + step]
        sims = simulated[:, chunk[:, 0].astype(np.int64)]
        pair_p[lo:lo + step] = monte_carlo_p(chunk[:, 1], sims, alternative)
    return pair_p[pair_of.ravel()]


# ---------------------------------------------------------------------------------------------------------------
# exact inference under the total null
# ---------------------------------------------------------------------------------------------------------------


@numba.njit(cache=True)
def _exact_null_kernel(levels: np.ndarray, multiplicity: np.ndarray, n_total: int, max_size: int,
                       max_sum: int) -> np.ndarray:  # pragma: no cover - numba
    """``table[k, s]`` ∝ the number of ways to draw k units (without replacement) whose values sum to s.

    Each way is weighted by n^-k so that nothing overflows; the rows are normalised by the caller.
    """
    table = np.zeros((max_size + 1, max_sum + 1))
    table[0, 0] = 1.0
    coef = np.empty(max_size + 1)
    for g in range(levels.size):
        v = levels[g]
        m = multiplicity[g]
        coef[0] = 1.0
        top = min(m, max_size)
        for j in range(1, top + 1):
            coef[j] = coef[j - 1] * (m - j + 1) / (j * float(n_total))
        for k in range(max_size, 0, -1):  # in place, largest k first, so each value is used once per way
            for s in range(max_sum, -1, -1):
                acc = 0.0
                for j in range(1, min(top, k) + 1):
                    below = s - j * v
                    if below < 0:
                        break
                    acc += table[k - j, below] * coef[j]
                table[k, s] += acc
    return table


def exact_p(values: np.ndarray, local_sum: np.ndarray, weight: np.ndarray,
            alternative: str = "two-sided") -> np.ndarray:
    """p-values of every unit's local sum under the exact total-randomisation distribution.

    A neighbourhood of W units holds a uniformly random W-subset of the values: the multivariate hypergeometric law
    of the draws, computed by dynamic programming over the distinct values. ``two-sided`` is
    min(1, 2 min(P(S ≥ s), P(S ≤ s))).

    Raises
    ------
    OptionError
        When the values are not whole numbers ≥ 0, or the computation would be too large.
    """
    check_alternative(alternative)
    x = np.asarray(values, dtype=float).ravel()
    if (x < 0).any() or (x != np.round(x)).any():
        raise OptionError("exact inference needs whole counts >= 0; use inference='permutation' or 'normal'")
    levels, multiplicity = np.unique(x.astype(np.int64), return_counts=True)
    size = np.asarray(weight).ravel().astype(np.int64)
    max_size = int(size.max())
    max_sum = int(levels.max()) * max_size
    work = len(levels) * max_size**2 * (max_sum + 1)
    if work > _EXACT_WORK_LIMIT:
        raise OptionError(
            f"the exact null distribution is too large to compute here ({len(levels)} distinct counts up to "
            f"{int(levels.max())}, neighbourhoods of up to {max_size} units); use inference='permutation' or 'normal'"
        )
    table = _exact_null_kernel(levels, multiplicity.astype(np.int64), x.size, max_size, max_sum)
    observed = np.rint(np.asarray(local_sum).ravel()).astype(np.int64)
    p = np.empty(observed.size)
    for w in np.unique(size):
        row = table[w] / table[w].sum()
        upper = np.cumsum(row[::-1])[::-1]  # P(S >= s), summed from the tail for precision
        lower = np.cumsum(row)  # P(S <= s)
        chosen = size == w
        s_obs = np.clip(observed[chosen], 0, max_sum)
        # sums outside 0..max_sum cannot be drawn (only hand-made local sums reach them)
        greater = np.where(observed[chosen] > max_sum, 0.0, np.where(observed[chosen] < 0, 1.0, upper[s_obs]))
        less = np.where(observed[chosen] < 0, 0.0, np.where(observed[chosen] > max_sum, 1.0, lower[s_obs]))
        if alternative == "greater":
            p[chosen] = greater
        elif alternative == "less":
            p[chosen] = less
        else:
            p[chosen] = np.minimum(1.0, 2 * np.minimum(greater, less))
    return p
