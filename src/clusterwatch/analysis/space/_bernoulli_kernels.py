"""Numba kernels and window lists of the Bernoulli spatial scan (:mod:`clusterwatch.analysis.space.bernoulli`).

Each centre's window list (its sites in SaTScan's order, up to the population/radius limit) is built once and is
fixed across replicates; replicates only redistribute the cases. A site's firms and cases are packed in one
64-bit integer (firms in the low 32 bits, cases above) so that one addition updates both running counts, and every
Bernoulli log-likelihood term is a look-up in a table of k ln k.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np
from scipy.spatial import cKDTree

from clusterwatch.errors import OptionError

#: Neighbour-list entries (centre, site) allowed before the scan refuses to run: ~1 GB at 2 bytes each.
MAX_WINDOW_ENTRIES = 500_000_000


@numba.njit(cache=True, nogil=True)
def xlogx_table(n: int) -> np.ndarray:  # pragma: no cover - compiled
    """``k ln k`` for k = 0..n, so that every Bernoulli log-likelihood term is a table look-up."""
    table = np.zeros(n + 1)
    for k in range(1, n + 1):
        table[k] = k * np.log(k)
    return table


@numba.njit(cache=True, nogil=True)
def finish_rows(points: np.ndarray, population: np.ndarray, centres: np.ndarray, kd_index: np.ndarray,
                max_population: float, max_distance: float, out_index: np.ndarray, out_length: np.ndarray,
                complete: np.ndarray) -> None:  # pragma: no cover - compiled
    """Order each centre's candidate sites exactly and cut its window list at the population/radius limits.

    Distances are recomputed here as SaTScan does (sqrt of the summed squared coordinate differences) and
    sorted with ties broken by the lower location number (locations are numbered in lexicographic coordinate
    order, so this is SaTScan's "smaller coordinate first"). The k-d tree's order is kept when it already is that
    order, as it nearly always is. A row is complete when its cut-off falls strictly inside the candidates the
    tree returned; otherwise the caller asks again with more candidates.
    """
    n_sites = points.shape[0]
    dims = points.shape[1]
    k = kd_index.shape[1]
    dist = np.empty(k)
    ids = np.empty(k, dtype=np.int64)
    for r in range(centres.shape[0]):
        centre = centres[r]
        m = 0
        for t in range(k):
            site = kd_index[r, t]
            if site < n_sites:
                ids[m] = site
                m += 1
        for t in range(m):
            s = 0.0
            for a in range(dims):
                diff = points[centre, a] - points[ids[t], a]
                s += diff * diff
            dist[t] = np.sqrt(s)
        in_order = True
        for t in range(m - 1):
            if dist[t] > dist[t + 1] or (dist[t] == dist[t + 1] and ids[t] > ids[t + 1]):
                in_order = False
                break
        if not in_order:
            by_site = np.argsort(ids[:m])
            ids[:m] = ids[:m][by_site]
            dist[:m] = dist[:m][by_site]
            by_distance = np.argsort(dist[:m], kind="mergesort")  # stable: equal distances keep site order
            ids[:m] = ids[:m][by_distance]
            dist[:m] = dist[:m][by_distance]
        truncated = m == k and k < n_sites
        safe = np.inf
        if truncated:
            safe = dist[m - 1] * (1.0 - 1e-9)
        cumulative = 0.0
        s = 0
        while s < m:
            site = ids[s]
            if dist[s] > max_distance or cumulative + population[site] > max_population:
                break
            cumulative += population[site]
            out_index[r, s] = site
            s += 1
        out_length[r] = s
        complete[r] = (not truncated) if s == m else dist[s] < safe


SHIFT = 32  # a site's firms in the low 32 bits and its cases in the high bits: one add updates both counts
LOW = (1 << 32) - 1


@numba.njit(cache=True, nogil=True)
def _window_llr(acc: np.int64, table: np.ndarray, total_cases: int, total: int,
                min_cases: int) -> float:  # pragma: no cover - compiled
    """Log-likelihood of a packed (cases, firms) window before the null term; -inf unless high-rate."""
    c = acc >> SHIFT
    n = acc & LOW
    if c >= min_cases and c * total > total_cases * n:
        return (table[c] + table[n - c] - table[n] + table[total_cases - c]
                + table[total - n - total_cases + c] - table[total - n])
    return -np.inf


@numba.njit(cache=True, nogil=True)
def best_per_centre(packed: np.ndarray, offsets: np.ndarray, neighbours: np.ndarray, table: np.ndarray,
                    total_cases: int, total: int, min_cases: int
                    ) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Each centre's best high-rate window: its log-likelihood (before the null term) and its size in sites.

    Only windows whose last site holds a case can be best: adding a site without cases keeps c and raises n,
    which lowers the ratio of a high-rate window and cannot make a low-rate one high. On equal values the
    smaller window wins.
    """
    n_centres = offsets.shape[0] - 1
    best = np.full(n_centres, -np.inf)
    size = np.zeros(n_centres, dtype=np.int64)
    for i in range(n_centres):
        acc = np.int64(0)
        for j in range(offsets[i], offsets[i + 1]):
            v = packed[neighbours[j]]
            acc += v
            if v > LOW:
                value = _window_llr(acc, table, total_cases, total, min_cases)
                if value > best[i]:
                    best[i] = value
                    size[i] = j - offsets[i] + 1
    return best, size


_LANES = 4  # replicates scored together: one walk of a centre's list serves four, and their chains overlap


@numba.njit(cache=True, nogil=True)
def replicate_maxima(chosen: np.ndarray, firm_site: np.ndarray, population: np.ndarray, offsets: np.ndarray,
                     neighbours: np.ndarray, table: np.ndarray, total_cases: int, total: int, min_cases: int,
                     null_term: float) -> np.ndarray:  # pragma: no cover - compiled
    """The maximum LLR of each replicate; row b of ``chosen`` lists the firms that are cases in replicate b.

    Replicates go four at a time (their packed site counts side by side, so one cache line serves all four).
    Each centre's walk stores, without branching, the running (cases, firms) after every site that holds a case
    in a replicate, then scores only those windows: the walk is the hot loop and stays free of unpredictable
    branches.
    """
    n_sites = population.shape[0]
    n_centres = offsets.shape[0] - 1
    longest = 0
    for i in range(n_centres):
        longest = max(longest, offsets[i + 1] - offsets[i])
    ends = np.empty((_LANES, longest + 1), dtype=np.int64)
    packed = np.empty((n_sites, _LANES), dtype=np.int64)
    best = np.empty(_LANES)
    found = np.zeros(_LANES, dtype=np.int64)
    replicates = chosen.shape[0]
    out = np.empty(replicates)
    for first in range(0, replicates, _LANES):
        lanes = min(_LANES, replicates - first)
        for lane in range(_LANES):
            packed[:, lane] = population
        for lane in range(lanes):
            for t in range(chosen.shape[1]):
                packed[firm_site[chosen[first + lane, t]], lane] += np.int64(1) << SHIFT
        best[:] = null_term
        for i in range(n_centres):
            acc0 = acc1 = acc2 = acc3 = np.int64(0)
            k0 = k1 = k2 = k3 = 0
            for j in range(offsets[i], offsets[i + 1]):
                site = neighbours[j]
                v0 = packed[site, 0]
                v1 = packed[site, 1]
                v2 = packed[site, 2]
                v3 = packed[site, 3]
                acc0 += v0
                acc1 += v1
                acc2 += v2
                acc3 += v3
                ends[0, k0] = acc0
                ends[1, k1] = acc1
                ends[2, k2] = acc2
                ends[3, k3] = acc3
                k0 += v0 > LOW
                k1 += v1 > LOW
                k2 += v2 > LOW
                k3 += v3 > LOW
            found[0] = k0
            found[1] = k1
            found[2] = k2
            found[3] = k3
            for lane in range(lanes):
                for q in range(found[lane]):
                    value = _window_llr(ends[lane, q], table, total_cases, total, min_cases)
                    if value > best[lane]:
                        best[lane] = value
        for lane in range(lanes):
            out[first + lane] = best[lane] - null_term
    return out


@dataclass(frozen=True)
class Windows:
    """Every centre's sites in window order (fixed across replicates): ``neighbours[offsets[i]:offsets[i+1]]``."""

    offsets: np.ndarray
    neighbours: np.ndarray


def windows(points: np.ndarray, population: np.ndarray, max_population: float, max_distance: float,
            n_jobs: int | None = None) -> Windows:
    """Build each centre's window list with a k-d tree for candidates and exact distances for the order.

    Blocks of centres run on ``n_jobs`` threads (the tree and the numba kernel release the GIL); the lists do not
    depend on how the work is split.
    """
    n_sites = points.shape[0]
    tree = cKDTree(points)
    weights = population.astype(np.float64)
    mean_population = weights.sum() / n_sites
    upper = max_distance * (1 + 1e-9) if np.isfinite(max_distance) else np.inf
    dtype = np.uint16 if n_sites <= np.iinfo(np.uint16).max else np.int32
    rows: list[np.ndarray] = [np.empty(0, dtype=dtype)] * n_sites
    pending = np.arange(n_sites)
    k = int(min(n_sites, np.ceil(max_population / mean_population * 1.25) + 16))
    workers = n_jobs or os.cpu_count() or 1

    def block(centres: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        _, index = tree.query(points[centres], k=k, distance_upper_bound=upper, workers=1)
        index = np.asarray(index, dtype=np.int64).reshape(len(centres), k)
        out_index = np.empty((len(centres), k), dtype=np.int64)
        out_length = np.empty(len(centres), dtype=np.int64)
        complete = np.empty(len(centres), dtype=np.bool_)
        finish_rows(points, weights, centres, index, float(max_population), float(max_distance), out_index,
                    out_length, complete)
        return centres, out_index, out_length, complete

    total_entries = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while pending.size:
            k = min(k, n_sites)
            size = max(1, min(2_000_000 // k, -(-pending.size // workers)))
            blocks = [pending[start:start + size] for start in range(0, pending.size, size)]
            retry: list[np.ndarray] = []
            for centres, out_index, out_length, complete in pool.map(block, blocks, [k] * len(blocks)):
                for r in np.flatnonzero(complete):
                    rows[centres[r]] = out_index[r, :out_length[r]].astype(dtype)
                    total_entries += int(out_length[r])
                if total_entries > MAX_WINDOW_ENTRIES:
                    raise OptionError(
                        f"the windows would hold over {MAX_WINDOW_ENTRIES:,} (centre, site) pairs; lower "
                        "max_population or set max_radius"
                    )
                retry.append(centres[~complete])
            pending = np.concatenate(retry)
            k *= 2
    lengths = np.array([row.size for row in rows], dtype=np.int64)
    offsets = np.zeros(n_sites + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    neighbours = np.concatenate(rows) if n_sites else np.empty(0, dtype=dtype)
    return Windows(offsets=offsets, neighbours=neighbours)
