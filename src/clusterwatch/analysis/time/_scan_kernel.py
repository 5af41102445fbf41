"""numba kernels of the space-time permutation scan: circles, and the scan of one configuration of cases.

An exact scan looks at every cylinder; what makes it fast is proving, cheaply and exactly, that whole runs of
cylinders cannot beat the best one found so far (see :func:`scan_configuration`).
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def poisson_llr(c: float, mu: float, total: float) -> float:  # pragma: no cover - numba
    """Log likelihood ratio of ``c`` cases where ``mu`` are expected, out of ``total`` (0 unless c > mu)."""
    if c <= mu or mu <= 0:
        return 0.0
    llr = c * math.log(c / mu)
    rest = total - c
    if rest > 0:
        llr += rest * math.log(rest / (total - mu))
    return llr


@numba.njit(cache=True)
def circles(x: np.ndarray, y: np.ndarray, weight: np.ndarray, limit: float,
            max_radius: float = np.inf) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """Circles centred on each site, grown by nearest neighbour while the weight inside stays ≤ ``limit`` and the
    radius ≤ ``max_radius``.

    The sites must come sorted by x, then y: a stable sort by distance then breaks ties by the smaller x, then y
    (SaTScan's order). Returns CSR arrays: ``offsets`` (sites + 1), ``members`` (the site added at each step) and
    ``inside`` (the weight inside the circle after that step).
    """
    n = x.size
    keep = np.zeros(n, dtype=np.int64)
    orders = []
    for centre in range(n):
        dist = np.empty(n)
        for j in range(n):
            dist[j] = (x[j] - x[centre]) ** 2 + (y[j] - y[centre]) ** 2
        order = np.argsort(dist, kind="mergesort")
        running = 0.0
        k = 0
        reach = max_radius * max_radius
        while k < n:
            running += weight[order[k]]
            if running > limit or dist[order[k]] > reach:
                break
            k += 1
        keep[centre] = k
        orders.append(order[:k].astype(np.int32))
    offsets = np.zeros(n + 1, dtype=np.int64)
    for centre in range(n):
        offsets[centre + 1] = offsets[centre] + keep[centre]
    members = np.empty(offsets[n], dtype=np.int32)
    inside = np.empty(offsets[n])
    for centre in range(n):
        chosen = orders[centre]
        running = 0.0
        for k in range(chosen.size):
            running += weight[chosen[k]]
            members[offsets[centre] + k] = chosen[k]
            inside[offsets[centre] + k] = running
    return offsets, members, inside


@numba.njit(cache=True)
def blocks(offsets: np.ndarray, inside: np.ndarray, growth: float, small: float,
           longest: int) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - numba
    """Cut each centre's circles into blocks of consecutive steps over which the weight inside grows little.

    A block ends before the step whose weight exceeds the block's first weight by more than ``growth`` (a share)
    or after ``longest`` steps; circles holding less than ``small`` weight are blocks of one step. Returns CSR
    arrays: ``block_offsets`` (centres + 1) and ``block_start`` (first step of each block; a block ends where the
    next one starts, or at the centre's last step).
    """
    n = offsets.size - 1
    starts = np.empty(offsets[n], dtype=np.int64)
    block_offsets = np.zeros(n + 1, dtype=np.int64)
    m = 0
    for centre in range(n):
        first = offsets[centre]
        for step in range(offsets[centre], offsets[centre + 1]):
            if (step == offsets[centre] or inside[step] < small or step - first >= longest
                    or inside[step] > inside[first] * (1.0 + growth)):
                starts[m] = step
                m += 1
                first = step
        block_offsets[centre + 1] = m
    return block_offsets, starts[:m].copy()


@numba.njit(nogil=True, cache=True, error_model="numpy")
def scan_configuration(
    window: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    offsets: np.ndarray,
    members: np.ndarray,
    inside: np.ndarray,
    block_offsets: np.ndarray,
    block_start: np.ndarray,
    period_cases: np.ndarray,
    total: float,
    min_cases: int,
    best_llr: np.ndarray,
    best_step: np.ndarray,
    best_length: np.ndarray,
    per_centre: bool,
) -> float:  # pragma: no cover - numba
    """The largest log likelihood ratio over all cylinders for one configuration of cases.

    ``window`` holds the cases of the last ``len(period_cases)`` periods per site (see :func:`window_cases`). A
    cylinder is a circle (centre, step) × the last ``length`` periods; its expectation is ``inside[step] *
    period_cases[length - 1] / total``. Every cylinder that could score more than the best so far is scored; the
    others are skipped by two exact arguments:

    * a circle whose newest site adds no case to a length keeps the count and grows the expectation, so it cannot
      score more than the circle before it;
    * over a block of steps, no count exceeds the block's last and no expectation falls below the block's first,
      and ``llr(c, mu) <= (c - mu)**2 * (1 / (2 mu) + 1 / (total - mu))`` (from log x <= x - 1), so a block whose
      bound at (last count, first expectation) does not beat the best is skipped whole.

    With ``per_centre`` the best cylinder of every centre is written to ``best_*``; otherwise only the maximum is
    kept.
    """
    slot_lag, slot_cases, more, ptr, tail_lag, tail_cases = window
    max_length = period_cases.size
    scale = np.empty(max_length)
    for length in range(max_length):
        scale[length] = period_cases[length] / total
    per_lag = np.zeros(max_length + 1)  # cases inside the circle by lag; the last slot takes empty slots' zeros
    saved = np.zeros(max_length + 1)
    count = np.zeros(max_length)  # cases inside the circle in the last 1..max_length periods
    overall = 0.0
    for centre in range(offsets.size - 1):
        for lag in range(max_length + 1):
            per_lag[lag] = 0.0
        best = best_llr[centre] if per_centre else overall
        last_step = offsets[centre + 1]
        for b in range(block_offsets[centre], block_offsets[centre + 1]):
            b0 = block_start[b]
            b1 = block_start[b + 1] if b + 1 < block_offsets[centre + 1] else last_step
            for lag in range(max_length + 1):
                saved[lag] = per_lag[lag]
            added = 0.0
            for step in range(b0, b1):
                site = members[step]
                # branch-free for the usual site (at most two lags with cases); the rest from the tail
                per_lag[slot_lag[site, 0]] += slot_cases[site, 0]
                per_lag[slot_lag[site, 1]] += slot_cases[site, 1]
                added += slot_cases[site, 0]
                if more[site]:
                    for e in range(ptr[site], ptr[site + 1]):
                        per_lag[tail_lag[e]] += tail_cases[e]
            if added == 0.0:
                continue
            z0 = inside[b0]
            c = 0.0
            for length in range(max_length):
                c += per_lag[length]
                count[length] = c
            possible = 0
            for length in range(max_length):  # branch-free, so that it vectorises
                c = count[length]
                mu = z0 * scale[length]
                d = c - mu
                possible |= ((c >= min_cases) & (d > 0.0)
                             & (d * d * (0.5 * (total + mu)) > best * mu * (total - mu)))  # the bound, no division
            if not possible:
                continue
            # score the block's cylinders one step at a time
            for lag in range(max_length + 1):
                per_lag[lag] = saved[lag]
            for step in range(b0, b1):
                site = members[step]
                lag0 = slot_lag[site, 0]
                if lag0 >= max_length:
                    continue
                per_lag[lag0] += slot_cases[site, 0]
                per_lag[slot_lag[site, 1]] += slot_cases[site, 1]
                if more[site]:
                    for e in range(ptr[site], ptr[site + 1]):
                        per_lag[tail_lag[e]] += tail_cases[e]
                z = inside[step]
                c = 0.0
                for length in range(max_length):
                    c += per_lag[length]
                    count[length] = c
                for length in range(lag0, max_length):
                    c = count[length]
                    if c < min_cases:
                        continue
                    mu = z * scale[length]
                    if c <= mu:
                        continue
                    d = c - mu
                    if d * d * (0.5 * (total + mu)) <= best * mu * (total - mu):
                        continue
                    llr = poisson_llr(c, mu, total)
                    if llr > best:
                        best = llr
                        if per_centre:
                            best_llr[centre] = llr
                            best_step[centre] = step
                            best_length[centre] = length + 1
        if best > overall:
            overall = best
    return overall


@numba.njit(nogil=True, cache=True)
def window_cases(case_site: np.ndarray, case_lag: np.ndarray, n_sites: int,
                 max_length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                           np.ndarray]:  # pragma: no cover - numba
    """Cases per site and lag (lag < ``max_length``), for :func:`scan_configuration`.

    Each site's first two lags with cases (ascending) sit in ``slot_lag``/``slot_cases`` (an empty slot has lag
    ``max_length`` and no case); sites with more have ``more`` set and the rest in CSR form (``ptr``, ``tail_lag``,
    ``tail_cases``).
    """
    dense = np.zeros((n_sites, max_length), dtype=np.int64)
    for k in range(case_site.size):
        lag = case_lag[k]
        if lag < max_length:
            dense[case_site[k], lag] += 1
    slot_lag = np.full((n_sites, 2), max_length, dtype=np.int64)
    slot_cases = np.zeros((n_sites, 2))
    more = np.zeros(n_sites, dtype=np.bool_)
    ptr = np.zeros(n_sites + 1, dtype=np.int64)
    for s in range(n_sites):
        filled = 0
        for lag in range(max_length):
            if dense[s, lag] > 0:
                if filled < 2:
                    slot_lag[s, filled] = lag
                    slot_cases[s, filled] = dense[s, lag]
                filled += 1
        more[s] = filled > 2
        ptr[s + 1] = ptr[s] + max(filled - 2, 0)
    tail_lag = np.empty(ptr[n_sites], dtype=np.int64)
    tail_cases = np.empty(ptr[n_sites])
    for s in range(n_sites):
        e = ptr[s]
        filled = 0
        for lag in range(max_length):
            if dense[s, lag] > 0:
                if filled >= 2:
                    tail_lag[e] = lag
                    tail_cases[e] = dense[s, lag]
                    e += 1
                filled += 1
    return slot_lag, slot_cases, more, ptr, tail_lag, tail_cases


@numba.njit(nogil=True, cache=True)
def scan_replicates(
    lags: np.ndarray,
    case_site: np.ndarray,
    n_sites: int,
    offsets: np.ndarray,
    members: np.ndarray,
    inside: np.ndarray,
    block_offsets: np.ndarray,
    block_start: np.ndarray,
    period_cases: np.ndarray,
    total: float,
    min_cases: int,
) -> np.ndarray:  # pragma: no cover - numba
    """Maximum LLR of each replicate; row r of ``lags`` is the permuted lag of every case."""
    size = lags.shape[0]
    max_length = period_cases.size
    out = np.empty(size)
    dummy_f = np.zeros(1)
    dummy_i = np.zeros(1, dtype=np.int64)
    for r in range(size):
        window = window_cases(case_site, lags[r], n_sites, max_length)
        out[r] = scan_configuration(window, offsets, members, inside, block_offsets, block_start, period_cases,
                                    total, min_cases, dummy_f, dummy_i, dummy_i, False)
    return out
