"""Getis–Ord Gi* on a space-time cube: neighbourhoods of H3 rings and past periods, normal or permutation inference.

This is the space-time Gi* of Esri's Emerging Hot Spot Analysis: a bin's neighbourhood is every bin within ``ring``
H3 steps of its cell, in its own period and in the ``time_lags`` periods before it (the bin itself included), with
binary weights; the mean and variance are those of the entire cube (Esri's default global window).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from scipy import sparse, stats

from clusterwatch.compute import Batch, batches, compute_map
from clusterwatch.errors import OptionError
from clusterwatch.stats import Seed, monte_carlo_p

#: Replicates × observed values compared at once by :func:`monte_carlo_p`, to bound memory (80 MB of floats).
_P_CELLS = 10_000_000


def h3_neighbours(locations: np.ndarray, ring: int) -> sparse.csr_matrix:
    """Binary spatial weights between H3 cells: 1 when within ``ring`` grid steps (the cell itself included).

    Only the given cells are neighbours of one another (cells without entries are not in the cube).

    Examples
    --------
    >>> import h3
    >>> centre = h3.latlng_to_cell(47.6, -122.3, 8)
    >>> cells = np.array(sorted(h3.grid_disk(centre, 1)), dtype=object)
    >>> w = h3_neighbours(cells, 1)
    >>> int(w.sum(axis=1).max()), int(h3_neighbours(cells, 0).sum())
    (7, 7)
    """
    import h3

    if isinstance(ring, bool) or not isinstance(ring, int | np.integer) or ring < 0:
        raise OptionError(f"ring must be a whole number of H3 steps >= 0, got {ring!r}")
    index = {str(cell): i for i, cell in enumerate(locations)}
    rows: list[int] = []
    cols: list[int] = []
    for i, cell in enumerate(locations):
        for other in h3.grid_disk(str(cell), int(ring)):
            j = index.get(other)
            if j is not None:
                rows.append(i)
                cols.append(j)
    n = len(locations)
    data = np.ones(len(rows), dtype=np.float64)
    return sparse.csr_matrix((data, (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64))), shape=(n, n))


def neighbourhood_sums(
    values: np.ndarray, weights: sparse.csr_matrix, time_lags: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sum of the values in each bin's space-time neighbourhood, and the number of bins in it.

    Parameters
    ----------
    values
        Cube values, shape (locations, periods).
    weights
        Binary spatial weights, self included (:func:`h3_neighbours`).
    time_lags
        Periods back in time included (0: the bin's own period only).

    Returns
    -------
    (sums, sizes)
        Both of shape (locations, periods). Early periods have fewer lags (there is nothing before the first).
    """
    spatial = np.asarray(weights @ values.astype(np.float64))
    n_periods = values.shape[1]
    running = np.concatenate([np.zeros((values.shape[0], 1)), np.cumsum(spatial, axis=1)], axis=1)
    t = np.arange(n_periods)
    lower = np.maximum(0, t - time_lags)
    sums = running[:, t + 1] - running[:, lower]
    degree = np.asarray(weights.sum(axis=1)).ravel()
    sizes = degree[:, None] * (t - lower + 1)[None, :]
    return sums, sizes.astype(np.int64)


def gistar_z(values: np.ndarray, sums: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Gi* z-scores with binary weights (Ord & Getis 1995, eq. 14), mean and variance over the whole cube.

    NaN where the statistic is undefined (a constant cube, or a neighbourhood covering every bin).
    """
    x = values.astype(np.float64).ravel()
    n = x.size
    mean = x.mean()
    sd = np.sqrt(max((x**2).mean() - mean**2, 0.0))
    w = sizes.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (sums - mean * w) / (sd * np.sqrt((n * w - w**2) / (n - 1)))
    return np.where(np.isfinite(z), z, np.nan)


def normal_p(z: np.ndarray) -> np.ndarray:
    """Two-sided p-values of z-scores under the standard normal (Esri's inference for Gi*)."""
    return np.where(np.isnan(z), np.nan, 2 * stats.norm.sf(np.abs(z)))


@dataclass(frozen=True)
class _NullTask:
    """One batch of randomisation replicates for every neighbourhood size."""

    values: np.ndarray  # every bin's value, flattened
    sizes: np.ndarray  # the distinct neighbourhood sizes
    batch: Batch


@numba.njit(nogil=True, cache=True)
def _null_sums_kernel(values: np.ndarray, sizes: np.ndarray, uniforms: np.ndarray) -> np.ndarray:  # pragma: no cover
    pool = values.size
    perm = np.arange(pool)
    n_sizes = sizes.size
    size = uniforms.shape[0]
    out = np.empty((n_sizes, size))
    for r in range(size):
        u = 0
        for g in range(n_sizes):
            total = 0.0
            for i in range(sizes[g]):
                # partial Fisher-Yates: perm[i] becomes a uniform draw from the positions not drawn yet
                j = i + int(uniforms[r, u] * (pool - i))
                u += 1
                if j >= pool:
                    j = pool - 1
                held = perm[i]
                perm[i] = perm[j]
                perm[j] = held
                total += values[perm[i]]
            out[g, r] = total
    return out


def _null_sums(task: _NullTask) -> np.ndarray:
    """Null local sums of one batch: shape (sizes, batch size)."""
    rng = task.batch.generator()
    uniforms = rng.random((task.batch.size, int(task.sizes.sum())))
    return _null_sums_kernel(task.values, task.sizes, uniforms)


def permutation_p(
    values: np.ndarray,
    sums: np.ndarray,
    sizes: np.ndarray,
    *,
    permutations: int,
    seed: Seed,
    scheduler: str | None = "threads",
    n_jobs: int | None = None,
) -> np.ndarray:
    """Two-sided randomisation p-values of the space-time Gi* of every bin.

    The null hypothesis is the one under which Ord & Getis derive the moments of Gi* (and so Esri's normal
    approximation): the values of the cube are randomly placed over its bins. Each replicate fills a neighbourhood
    of ``size`` bins, the bin's own included, with values drawn without replacement from all bins of the cube, and
    the observed local sum is ranked among the simulated ones by :func:`clusterwatch.stats.monte_carlo_p`. The null
    distribution depends only on the neighbourhood's size, so it is simulated once per distinct size and shared by
    the bins of that size (as esda's ``crand`` shares its draws across observations).

    This differs from the *conditional* permutation of esda and sfdep, which keeps the bin's own value fixed: for
    Gi*, whose neighbourhood holds the bin itself, that tests only the neighbours, so a cell whose own count leaps
    while its neighbours stay quiet could never be a hot spot.
    """
    x = values.astype(np.float64).ravel()
    distinct, size_of = np.unique(sizes.ravel(), return_inverse=True)
    tasks = [_NullTask(values=x, sizes=distinct.astype(np.int64), batch=b) for b in batches(permutations, seed)]
    simulated = np.concatenate(compute_map(_null_sums, tasks, scheduler=scheduler, n_jobs=n_jobs), axis=1)
    observed = sums.ravel()
    pairs, pair_of = np.unique(np.stack([size_of.ravel().astype(np.float64), observed], axis=1), axis=0,
                               return_inverse=True)
    pair_p = np.empty(len(pairs))
    step = max(1, _P_CELLS // permutations)
    for lo in range(0, len(pairs), step):
        chunk = pairs[lo:lo + step]
        sims = simulated[chunk[:, 0].astype(np.int64)].T
        pair_p[lo:lo + step] = monte_carlo_p(chunk[:, 1], sims, "two-sided")
    return pair_p[pair_of.ravel()].reshape(sums.shape)


#: Work (values × sizes² × sums) above which the exact null distribution is refused as too slow.
_EXACT_WORK_LIMIT = 2e9


@numba.njit(cache=True)
def _exact_null_kernel(levels: np.ndarray, multiplicity: np.ndarray, n_total: int, max_size: int,
                       max_sum: int) -> np.ndarray:  # pragma: no cover - numba
    """``table[k, s]`` ∝ the number of ways to draw k bins (without replacement) whose values sum to s.

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


def exact_p(values: np.ndarray, sums: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Two-sided p-values of every bin's local sum under the exact randomisation distribution.

    The null is the same as :func:`permutation_p`'s — the cube's values randomly placed over its bins, so a
    neighbourhood of ``size`` bins holds a uniformly random ``size``-subset of them — but its distribution is
    computed exactly (the multivariate hypergeometric law of the draws, by dynamic programming over the distinct
    counts) instead of sampled: the limit of infinitely many permutations. p = min(1, 2 min(P(S ≥ s), P(S ≤ s))).

    Raises
    ------
    OptionError
        When the values are not whole numbers ≥ 0 (entry counts always are), or the computation would be too large.
    """
    x = values.ravel()
    if (x < 0).any() or (x != np.round(x)).any():
        raise OptionError("exact inference needs whole counts >= 0; use inference='permutation' or 'normal'")
    levels, multiplicity = np.unique(x.astype(np.int64), return_counts=True)
    max_size = int(sizes.max())
    max_sum = int(levels.max()) * max_size
    work = len(levels) * max_size**2 * (max_sum + 1)
    if work > _EXACT_WORK_LIMIT:
        raise OptionError(
            f"the exact null distribution is too large to compute here ({len(levels)} distinct counts up to "
            f"{int(levels.max())}, neighbourhoods of up to {max_size} bins); use inference='permutation' or 'normal'"
        )
    table = _exact_null_kernel(levels, multiplicity.astype(np.int64), x.size, max_size, max_sum)
    observed = np.rint(sums.ravel()).astype(np.int64)
    size = sizes.ravel().astype(np.int64)
    p = np.empty(observed.size)
    for w in np.unique(size):
        row = table[w] / table[w].sum()
        upper = np.cumsum(row[::-1])[::-1]  # P(S >= s), summed from the tail for precision
        lower = np.cumsum(row)  # P(S <= s)
        chosen = size == w
        s_obs = np.clip(observed[chosen], 0, max_sum)
        beyond = observed[chosen] > max_sum  # impossible for sums of the cube's own values; kept safe
        p[chosen] = np.minimum(1.0, 2 * np.minimum(np.where(beyond, 0.0, upper[s_obs]), lower[s_obs]))
    return p.reshape(sums.shape)


INFERENCES: tuple[str, ...] = ("exact", "permutation", "normal")


def check_inference(inference: str) -> str:
    """Validate ``inference``: ``exact``, ``permutation`` or ``normal``."""
    if inference not in INFERENCES:
        raise OptionError(f"inference must be one of {', '.join(INFERENCES)}, got {inference!r}")
    return inference
