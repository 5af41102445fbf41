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


#: A replicate whose case sites lie in fewer than 1/SPARSE of all window entries is scored from those entries alone.
SPARSE = 64


@dataclass(frozen=True)
class Inverse:
    """Where each site appears in the window lists, and the firms up to each entry: the sparse replicates' index.

    ``entries[offsets[s]:offsets[s+1]]`` are the window-list entries (positions in ``Windows.neighbours``) that
    are site ``s``, ``centre[e]`` the centre whose list holds entry ``e`` and ``firms[e]`` the firms of that
    centre's window up to and including entry ``e`` (fixed across replicates).
    """

    offsets: np.ndarray
    entries: np.ndarray
    centre: np.ndarray
    firms: np.ndarray


def inverse(windows: Windows, population: np.ndarray) -> Inverse:
    """The :class:`Inverse` of some window lists (built once per study, O(entries))."""
    offsets, neighbours = windows.offsets, windows.neighbours
    n_sites = population.shape[0]
    lengths = np.diff(offsets)
    centre = np.repeat(np.arange(lengths.size, dtype=np.int32), lengths)
    running = np.cumsum(population[neighbours].astype(np.int64))
    before = np.concatenate([[0], running])[offsets[:-1]]  # firms of all earlier centres' lists
    firms = running - np.repeat(before, lengths)
    site_offsets = np.zeros(n_sites + 1, dtype=np.int64)
    np.cumsum(np.bincount(neighbours, minlength=n_sites), out=site_offsets[1:])
    entries = np.argsort(neighbours, kind="stable").astype(np.int64)
    return Inverse(offsets=site_offsets, entries=entries, centre=centre, firms=firms)


@numba.njit(cache=True, nogil=True)
def replicate_maxima(site_cases: np.ndarray, population: np.ndarray, offsets: np.ndarray, neighbours: np.ndarray,
                     table: np.ndarray, total_cases: int, total: int, min_cases: int, null_term: float,
                     site_offsets: np.ndarray, site_entries: np.ndarray, entry_centre: np.ndarray,
                     entry_firms: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """The maximum LLR of each replicate; row b of ``site_cases`` holds the cases of replicate b at each site.

    A replicate whose case sites appear in few window-list entries (fewer than 1/:data:`SPARSE` of them: an
    activity with few cases) is scored from those entries alone (the ``site_*``/``entry_*`` arrays of
    :class:`Inverse`): sorted, they run centre by centre in window order, so the running cases at each are the
    cases of the window ending there, and its firms are fixed. These are exactly the windows the full walk scores
    (those ending at a site with a case), with the same counts, so the maximum is the same. The others go to
    :func:`dense_maxima`.
    """
    replicates, n_sites = site_cases.shape
    n_entries = neighbours.shape[0]
    out = np.empty(replicates)
    dense = np.empty(replicates, dtype=np.int64)
    n_dense = 0
    picked = np.empty(n_entries // SPARSE + 1, dtype=np.int64)
    for b in range(replicates):
        k = 0
        for s in range(n_sites):
            if site_cases[b, s] > 0:
                k += site_offsets[s + 1] - site_offsets[s]
        if k * SPARSE > n_entries:
            dense[n_dense] = b
            n_dense += 1
            continue
        k = 0
        for s in range(n_sites):
            if site_cases[b, s] > 0:
                for t in range(site_offsets[s], site_offsets[s + 1]):
                    picked[k] = site_entries[t]
                    k += 1
        ordered = np.sort(picked[:k])
        best = null_term
        previous = -1
        c = np.int64(0)
        for e in ordered:
            centre = entry_centre[e]
            if centre != previous:
                previous = centre
                c = np.int64(0)
            c += np.int64(site_cases[b, neighbours[e]])
            value = _window_llr(entry_firms[e] + (c << SHIFT), table, total_cases, total, min_cases)
            if value > best:
                best = value
        out[b] = best - null_term
    if n_dense:
        rows = dense[:n_dense]
        out[rows] = dense_maxima(site_cases[rows], population, offsets, neighbours, table, total_cases, total,
                                 min_cases, null_term)
    return out


@numba.njit(cache=True, nogil=True)
def dense_maxima(site_cases: np.ndarray, population: np.ndarray, offsets: np.ndarray, neighbours: np.ndarray,
                 table: np.ndarray, total_cases: int, total: int, min_cases: int,
                 null_term: float) -> np.ndarray:  # pragma: no cover - compiled
    """The maximum LLR of each replicate by walking every window list; row b of ``site_cases`` holds the cases of
    replicate b at each site.

    Replicates go four at a time (their packed site counts side by side, so one cache line serves all four).
    Each centre's walk stores, without branching, the running (cases, firms) after every site that holds a case
    in a replicate, then scores only those windows: the walk is the hot loop and stays free of unpredictable
    branches. The replicates arrive as counts per site, not as lists of case firms: memory per batch grows with
    the sites, not with the activity's firms.
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
    replicates = site_cases.shape[0]
    out = np.empty(replicates)
    for first in range(0, replicates, _LANES):
        lanes = min(_LANES, replicates - first)
        for lane in range(_LANES):
            packed[:, lane] = population
        for lane in range(lanes):
            for site in range(n_sites):
                packed[site, lane] += np.int64(site_cases[first + lane, site]) << SHIFT
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


# ----------------------------------------------------------------------------------------------------------------
# replicate draws: numpy's Generator.choice(total, size=cases, replace=False), counted per site
# ----------------------------------------------------------------------------------------------------------------

_PCG64 = np.random.PCG64(0)
_NEXT_UINT32 = _PCG64.ctypes.next_uint32  # the same C function for every PCG64; only the state differs


@numba.njit(nogil=True)
def _bounded(state: int, high: int) -> np.int64:  # pragma: no cover - compiled
    """numpy's ``random_bounded_uint64(bitgen, 0, high, 0, 0)`` for ``high < 2**32 - 1``: Lemire's method on 32-bit
    draws, the same draws as numpy makes, so the generator's state moves exactly as in numpy."""
    if high == 0:
        return np.int64(0)  # numpy draws nothing for a range of one
    excl = np.uint64(high + 1)
    m = np.uint64(_NEXT_UINT32(state)) * excl
    leftover = m & np.uint64(0xFFFFFFFF)
    if leftover < excl:
        threshold = (np.uint64(0xFFFFFFFF) - np.uint64(high)) % excl
        while leftover < threshold:
            m = np.uint64(_NEXT_UINT32(state)) * excl
            leftover = m & np.uint64(0xFFFFFFFF)
    return np.int64(m >> np.uint64(32))


@numba.njit(nogil=True)
def tail_shuffle_counts(state: int, total: int, cases: int, site_firms: np.ndarray, work: np.ndarray,
                        touched: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover - compiled
    """Cases per site of one replicate drawn as ``Generator.choice(total, cases, replace=False)`` draws it when
    ``total > 10000`` and ``cases > total // 50`` (numpy's "tail shuffle": Fisher–Yates of ``arange(total)`` from
    the end down to ``total - cases``, the last ``cases`` entries are the sample), with the same draws.

    Only the sites of the sample matter, so the shuffle moves the firms' site numbers (``work``, a copy of
    ``site_firms``: 2 bytes a firm where numpy shuffles 8) instead of the firm numbers: the same permutation, so
    the tail holds the sites of numpy's sample. ``work`` holds ``site_firms`` again on return (only the entries the
    shuffle touched are restored, so a batch copies it once); ``touched`` has room for ``cases`` positions;
    ``out`` (sites) is zeroed and receives the counts.
    """
    first = max(total - cases, 1)
    for i in range(total - 1, first - 1, -1):
        j = _bounded(state, i)
        touched[total - 1 - i] = j
        temp = work[j]
        work[j] = work[i]
        work[i] = temp
    out[:] = 0
    for i in range(first, total):
        out[work[i]] += 1
    for t in range(total - first):
        j = touched[t]
        work[j] = site_firms[j]
    for i in range(first, total):
        work[i] = site_firms[i]


@numba.njit(nogil=True)
def floyd_counts(state: int, total: int, cases: int, site_firms: np.ndarray, hash_set: np.ndarray,
                 out: np.ndarray) -> None:  # pragma: no cover - compiled
    """Cases per site of one replicate drawn as ``Generator.choice(total, cases, replace=False)`` draws it
    otherwise (numpy's Floyd algorithm with its open-addressing hash set, then the shuffle of the sample, whose
    draws are made too so that the generator's state moves exactly as in numpy; only the sample's set matters
    here, so the swaps themselves are left out). ``hash_set`` has numpy's size: the smallest power of two above
    ``1.2 * cases`` (:func:`floyd_set_size`); ``out`` (sites) is zeroed and receives the counts.
    """
    empty = np.uint64(0xFFFFFFFFFFFFFFFF)
    hash_set[:] = empty
    mask = np.uint64(hash_set.shape[0] - 1)
    out[:] = 0
    for j in range(total - cases, total):
        val = np.uint64(_bounded(state, j))
        loc = val & mask
        while hash_set[loc] != empty and hash_set[loc] != val:
            loc = (loc + np.uint64(1)) & mask
        if hash_set[loc] == empty:  # val not yet drawn
            hash_set[loc] = val
            out[site_firms[val]] += 1
        else:  # val was drawn: j is taken instead
            loc = np.uint64(j) & mask
            while hash_set[loc] != empty:
                loc = (loc + np.uint64(1)) & mask
            hash_set[loc] = np.uint64(j)
            out[site_firms[j]] += 1
    for i in range(cases - 1, 0, -1):  # numpy then shuffles the sample: the same draws, no swaps needed here
        _bounded(state, i)


def floyd_set_size(cases: int) -> int:
    """numpy's hash-set size for Floyd's algorithm: one more than the smallest all-ones mask ≥ ``int(1.2 * cases)``."""
    mask = int(1.2 * cases)
    for shift in (1, 2, 4, 8, 16, 32):
        mask |= mask >> shift
    return mask + 1
