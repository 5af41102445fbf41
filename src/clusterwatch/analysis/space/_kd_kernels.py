"""How one Kd curve is computed, behind :mod:`clusterwatch.analysis.space.kd`: numba kernels (pair-distance
histograms, kernel sums), Silverman's bandwidth, R's ``density()`` for the dbmss-exact method, and the three curve
methods (``binned``, ``exact``, ``dbmss``).

Private: the public entry point is :func:`clusterwatch.analysis.space.kd.kd`. Every kernel releases the GIL
(``nogil=True``) so replicate batches run in parallel on threads, and none depends on the thread that runs it, so
results are identical for any scheduler.

Two geometries, one kernel per task (:func:`pair_histogram`, :func:`pair_distances`) that differs only in the
distance of a row:

- planar (``x``, ``y`` in km, float32, centred on the sites' mean so float32 keeps ~1e-7 relative precision), and
- spherical (unit vectors rotated so the sites' centre is ``(1, 0, 0)``, minus that centre, float32; great-circle
  distance ``2 R asin(chord / 2)``, with ``asin`` as a vectorisable polynomial, range-reduced beyond 1/2).

Points are sorted along one coordinate (the sweep axis) so that a row ``i`` stops at the first ``j`` whose sweep
coordinate is more than the cutoff (a chord for the sphere) away: pairs beyond the cutoff are never enumerated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from clusterwatch.analysis.geometry import EARTH_RADIUS_KM
from clusterwatch.errors import InputError

_SQRT_2PI = math.sqrt(2.0 * math.pi)
#: Kernel sums stop at this many bandwidths (the Gaussian there is 1.5e-8 of its peak).
KERNEL_REACH = 6.0
#: Half chord (unit sphere) up to which the short asin series serves (0.25: 3,200 km).
_SHORT_SERIES = 0.25
#: Sub-histograms that break store-to-load dependency chains when consecutive pairs fall in one bin.
_LANES = 4
#: Flush the int32 sub-histograms into int64 before any bin could overflow.
_FLUSH_PAIRS = 2_000_000_000


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def _asin_half(s: np.float32) -> np.float32:  # pragma: no cover - compiled
    """asin(s) for 0 <= s <= 1/2 in float32, by its Taylor series to s**23 (truncation error < 1e-9)."""
    s2 = s * s
    acc = np.float32(0.0073125258735988454)  # coefficient of s**23, then Horner down to s
    acc = np.float32(0.008390335809616815) + s2 * acc
    acc = np.float32(0.009761609529194078) + s2 * acc
    acc = np.float32(0.011551800896139) + s2 * acc
    acc = np.float32(0.013964843750000) + s2 * acc
    acc = np.float32(0.017352764423077) + s2 * acc
    acc = np.float32(0.022372159090909) + s2 * acc
    acc = np.float32(0.030381944444444) + s2 * acc
    acc = np.float32(0.044642857142857) + s2 * acc
    acc = np.float32(0.075) + s2 * acc
    acc = np.float32(1.0 / 6.0) + s2 * acc
    return s * (np.float32(1.0) + s2 * acc)


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def _sphere_row_full(px: np.ndarray, py: np.ndarray, pz: np.ndarray, i: int, length: int, buf: np.ndarray,
                     two_r: np.float32, inv_h: np.float32, overflow: np.float32,
                     stat_cut: np.float32) -> tuple:  # pragma: no cover - compiled
    """Bins of the great-circle distances from point ``i`` to the next ``length`` points, at any distance."""
    xi, yi, zi = px[i], py[i], pz[i]
    r1 = np.float32(0.0)
    r2 = np.float32(0.0)
    rm = 0
    for k in range(length):
        j = i + 1 + k
        dx = px[j] - xi
        dy = py[j] - yi
        dz = pz[j] - zi
        s = min(np.float32(0.5) * np.sqrt(dx * dx + dy * dy + dz * dz), np.float32(1.0))
        # asin(s) = pi/2 - 2 asin(sqrt((1 - s) / 2)) beyond 1/2: both branches vectorise (a select)
        big = s > np.float32(0.5)
        t = np.sqrt((np.float32(1.0) - s) * np.float32(0.5)) if big else s
        a = _asin_half(t)
        d = two_r * (np.float32(0.5 * math.pi) - np.float32(2.0) * a if big else a)
        buf[k] = np.uint32(min(d * inv_h, overflow))
        inside = d < stat_cut
        r1 += d if inside else np.float32(0.0)
        r2 += d * d if inside else np.float32(0.0)
        rm += 1 if inside else 0
    return r1, r2, rm


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def _sphere_row_short(px: np.ndarray, py: np.ndarray, pz: np.ndarray, i: int, length: int, buf: np.ndarray,
                      two_r: np.float32, inv_h: np.float32, overflow: np.float32,
                      stat_cut: np.float32) -> tuple:  # pragma: no cover - compiled
    """As :func:`_sphere_row_full` where the cutoff's half chord is at most :data:`_SHORT_SERIES` (~3,200 km):
    asin to s**13 (truncation < 3e-10 there)."""
    xi, yi, zi = px[i], py[i], pz[i]
    r1 = np.float32(0.0)
    r2 = np.float32(0.0)
    rm = 0
    for k in range(length):
        j = i + 1 + k
        dx = px[j] - xi
        dy = py[j] - yi
        dz = pz[j] - zi
        s = np.float32(0.5) * np.sqrt(dx * dx + dy * dy + dz * dz)
        s2 = s * s
        a = s * (np.float32(1.0) + s2 * (np.float32(1.0 / 6.0) + s2 * (np.float32(0.075) + s2 * (
            np.float32(0.044642857142857144) + s2 * (np.float32(0.030381944444444444) + s2 * (
                np.float32(0.022372159090909092) + s2 * np.float32(0.017352764423076924)))))))
        d = two_r * a
        buf[k] = np.uint32(min(d * inv_h, overflow))
        inside = d < stat_cut
        r1 += d if inside else np.float32(0.0)
        r2 += d * d if inside else np.float32(0.0)
        rm += 1 if inside else 0
    return r1, r2, rm


@njit(cache=True, nogil=True)
def _flush(sub: np.ndarray, stride: int, counts: np.ndarray) -> None:  # pragma: no cover - compiled
    """Add the int32 lanes (flat, ``stride`` apart) into the int64 counts and zero them."""
    for lane in range(_LANES):
        for b in range(counts.size):
            counts[b] += sub[lane * stride + b]
            sub[lane * stride + b] = 0


@njit(cache=True, nogil=True, inline="always")
def _scatter(buf: np.ndarray, length: int, sub: np.ndarray, stride: int) -> None:  # pragma: no cover - compiled
    """Count the bin indices ``buf[:length]`` into four lanes (unsigned indices: no negative-index wraparound)."""
    s1 = np.uint32(stride)
    s2 = np.uint32(2 * stride)
    s3 = np.uint32(3 * stride)
    k = 0
    while k + _LANES <= length:
        sub[buf[k]] += 1
        sub[buf[k + 1] + s1] += 1
        sub[buf[k + 2] + s2] += 1
        sub[buf[k + 3] + s3] += 1
        k += _LANES
    while k < length:
        sub[buf[k]] += 1
        k += 1


@njit(cache=True, nogil=True, inline="always")
def _scatter_weighted(buf: np.ndarray, length: int, wsub: np.ndarray, stride: int, wi: float, w: np.ndarray,
                      start: int) -> None:  # pragma: no cover - compiled
    for k in range(length):
        wsub[buf[k] + np.uint32((k & 3) * stride)] += wi * w[start + k]


@njit(cache=True, nogil=True)
def _lane_sums(wsub: np.ndarray, stride: int, n_bins: int) -> np.ndarray:  # pragma: no cover - compiled
    out = np.zeros(n_bins, np.float64)
    for lane in range(_LANES):
        for b in range(n_bins):
            out[b] += wsub[lane * stride + b]
    return out


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def _planar_row(px: np.ndarray, py: np.ndarray, i: int, length: int, buf: np.ndarray, inv_h: np.float32,
                overflow: np.float32, stat_cut: np.float32) -> tuple:  # pragma: no cover - compiled
    """Bins of the planar distances from point ``i`` to the next ``length`` points (km)."""
    xi, yi = px[i], py[i]
    r1 = np.float32(0.0)
    r2 = np.float32(0.0)
    rm = 0
    for k in range(length):
        j = i + 1 + k
        dx = px[j] - xi
        dy = py[j] - yi
        d2 = dx * dx + dy * dy
        d = np.sqrt(d2)
        buf[k] = np.uint32(min(d * inv_h, overflow))
        inside = d < stat_cut
        r1 += d if inside else np.float32(0.0)
        r2 += d2 if inside else np.float32(0.0)
        rm += 1 if inside else 0
    return r1, r2, rm


@njit(cache=True, nogil=True, fastmath=True)
def pair_histogram(p: np.ndarray, w: np.ndarray, bin_width: float, n_bins: int, stat_bins: int,
                   planar: bool) -> tuple:  # pragma: no cover - compiled
    """Histogram of the pair distances ``i < j`` of points sorted by their first coordinate, in ``n_bins`` bins.

    One kernel for both geometries; only the distance of a row differs (chosen once per row, outside the inner
    loop, so each row's loop vectorises as before):

    - ``planar``: ``p`` is 2 × n (x, y in km, float32), distances Euclidean;
    - otherwise ``p`` is 3 × n: unit vectors rotated so that the sites' centre is ``(1, 0, 0)``, minus
      ``(1, 0, 0)`` (small numbers near the centre, so float32 keeps sub-metre precision), distances great-circle
      km on the sphere of radius :data:`EARTH_RADIUS_KM`.

    Returns ``(counts, weighted, s1, s2, m)``: pair counts per bin (int64), the sum of ``w_i w_j`` per bin
    (float64; empty when ``w`` is empty), and the sum, sum of squares and number of the distances below
    ``stat_bins * bin_width`` (the bandwidth's range). Pairs at or beyond ``n_bins * bin_width`` are not counted;
    rows stop at the first point whose sweep coordinate is farther than that (a chord on the sphere).
    """
    n = p.shape[1]
    weighted = w.size > 0
    cutoff = n_bins * bin_width
    stat_cut = np.float32(stat_bins * bin_width)
    inv_h = np.float32(1.0 / bin_width)
    overflow = np.float32(n_bins)
    two_r = np.float32(2.0 * EARTH_RADIUS_KM)
    if planar:
        sweep_cut = np.float32(cutoff)
        short = False
    else:
        sweep_cut = np.float32(2.0 * math.sin(min(cutoff / (2.0 * EARTH_RADIUS_KM), 0.5 * math.pi)) + 1e-6)
        # within the cutoff every half chord is below this: a short asin series is exact there, and beyond it the
        # (increasing) series still lands a pair past the last bin
        short = bool(0.5 * sweep_cut <= _SHORT_SERIES)
    px = p[0]
    py = p[1]
    pz = p[2] if not planar else p[1]
    stride = n_bins + 1
    sub = np.zeros(_LANES * stride, np.int32)
    counts = np.zeros(n_bins, np.int64)
    wsub = np.zeros(_LANES * stride if weighted else 1, np.float64)
    buf = np.empty(n, np.uint32)
    s1 = 0.0
    s2 = 0.0
    m = 0
    pending = 0
    for i in range(n - 1):
        end = np.searchsorted(px, px[i] + sweep_cut, side="right")
        length = end - i - 1
        if length <= 0:
            continue
        if planar:
            r1, r2, rm = _planar_row(px, py, i, length, buf, inv_h, overflow, stat_cut)
        elif short:
            r1, r2, rm = _sphere_row_short(px, py, pz, i, length, buf, two_r, inv_h, overflow, stat_cut)
        else:
            r1, r2, rm = _sphere_row_full(px, py, pz, i, length, buf, two_r, inv_h, overflow, stat_cut)
        s1 += float(r1)
        s2 += float(r2)
        m += rm
        _scatter(buf, length, sub, stride)
        if weighted:
            _scatter_weighted(buf, length, wsub, stride, w[i], w, i + 1)
        pending += length
        if pending > _FLUSH_PAIRS:
            _flush(sub, stride, counts)
            pending = 0
    _flush(sub, stride, counts)
    wsum = _lane_sums(wsub, stride, n_bins) if weighted else np.zeros(0, np.float64)
    return counts, wsum, s1, s2, m


def pair_histogram_planar(x: np.ndarray, y: np.ndarray, w: np.ndarray, bin_width: float, n_bins: int,
                          stat_bins: int) -> tuple:
    """:func:`pair_histogram` of planar points given as ``x``, ``y`` (float32 km, sorted by ``x``)."""
    return pair_histogram(np.ascontiguousarray(np.stack([x, y]), dtype=np.float32), w, bin_width, n_bins, stat_bins,
                          True)


def pair_histogram_sphere(p: np.ndarray, w: np.ndarray, bin_width: float, n_bins: int, stat_bins: int) -> tuple:
    """:func:`pair_histogram` of points on the unit sphere, ``p`` (3 × n, float32) sorted by ``p[0]``."""
    return pair_histogram(np.ascontiguousarray(p, dtype=np.float32), w, bin_width, n_bins, stat_bins, False)


@njit(cache=True, nogil=True)
def pair_distances(p: np.ndarray, planar: bool) -> np.ndarray:  # pragma: no cover - compiled
    """All pair distances ``i < j`` (row-major, as dbmss lists them), float64: planar from ``p`` = (x, y), else
    great-circle km from (rotated, shifted) unit vectors ``p`` (3 × n)."""
    n = p.shape[1]
    out = np.empty(n * (n - 1) // 2, np.float64)
    pos = 0
    for i in range(n - 1):
        for j in range(i + 1, n):
            dx = p[0, j] - p[0, i]
            dy = p[1, j] - p[1, i]
            if planar:
                out[pos] = math.sqrt(dx * dx + dy * dy)
            else:
                dz = p[2, j] - p[2, i]
                out[pos] = 2.0 * EARTH_RADIUS_KM * math.asin(min(0.5 * math.sqrt(dx * dx + dy * dy + dz * dz), 1.0))
            pos += 1
    return out


@njit(cache=True, nogil=True)
def pair_weights(w: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """``w_i w_j`` for all pairs ``i < j``, in the order of the pair-distance kernels."""
    n = w.size
    out = np.empty(n * (n - 1) // 2, np.float64)
    pos = 0
    for i in range(n - 1):
        for j in range(i + 1, n):
            out[pos] = w[i] * w[j]
            pos += 1
    return out


@njit(cache=True, nogil=True, fastmath=True)
def smooth_histogram(mass: np.ndarray, bins_per_step: int, bin_width: float, n_points: int, bandwidth: float,
                     total: float, centred: bool) -> np.ndarray:  # pragma: no cover - compiled
    """Reflected Gaussian kernel density of binned distances at ``g * bins_per_step * bin_width``, g < n_points.

    ``mass[b]`` is the count (or weight) of distances placed at ``c = (b + 1/2) h`` (``centred``: a histogram of
    ``[b h, (b + 1) h)``) or at ``c = b h`` (linearly binned nodes); the density at ``r`` is
    ``sum_b mass[b] (phi(r - c) + phi(r + c)) / total`` with ``phi`` the Gaussian of sd ``bandwidth`` (the
    reflection of Silverman 1986 that Duranton & Overman 2005 use), cut at :data:`KERNEL_REACH` bandwidths. The
    grid is aligned on the lattice, so ``r - c`` takes values on a fixed lattice and the kernel is tabulated once.
    """
    shift = 0.5 if centred else 0.0
    mirror = 1 if centred else 0
    reach = int(math.ceil(KERNEL_REACH * bandwidth / bin_width)) + 1
    # table[u + reach] = phi((u - shift) h), u in [-reach, reach + 1]
    table = np.empty(2 * reach + 2, np.float64)
    for u in range(-reach, reach + 2):
        z = (u - shift) * bin_width / bandwidth
        table[u + reach] = math.exp(-0.5 * z * z)
    out = np.zeros(n_points, np.float64)
    nb = mass.size
    for g in range(n_points):
        centre = g * bins_per_step
        acc = 0.0
        for b in range(max(0, centre - reach), min(nb, centre + reach + 1)):
            acc += mass[b] * table[centre - b + reach]
        for b in range(0, min(nb, reach - centre - mirror + 2)):  # the reflection: r + c = (centre + b + shift) h
            acc += mass[b] * table[centre + b + mirror + reach]
        out[g] = acc
    scale = 1.0 / (total * bandwidth * _SQRT_2PI)
    for g in range(n_points):
        out[g] *= scale
    return out


@njit(cache=True, nogil=True, fastmath=True)
def smooth_exact(distances: np.ndarray, weights: np.ndarray, grid: np.ndarray, bandwidth: float,
                 total: float) -> np.ndarray:  # pragma: no cover - compiled
    """As :func:`smooth_histogram` but summing the kernel over every distance (no binning).

    ``grid`` must be equally spaced from 0; ``weights`` empty means weight 1 for every distance.
    """
    out = np.zeros(grid.size, np.float64)
    inv_bw = 1.0 / bandwidth
    reach = KERNEL_REACH * bandwidth
    step = grid[1] - grid[0]
    last = grid.size - 1
    weighted = weights.size > 0
    for t in range(distances.size):
        d = distances[t]
        wt = weights[t] if weighted else 1.0
        lo = max(0, int(math.ceil((d - reach) / step)))
        hi = min(last, int((d + reach) / step))
        for g in range(lo, hi + 1):
            z = (grid[g] - d) * inv_bw
            out[g] += wt * math.exp(-0.5 * z * z)
        if d < reach:
            hi = min(last, int((reach - d) / step))
            for g in range(0, hi + 1):
                z = (grid[g] + d) * inv_bw
                out[g] += wt * math.exp(-0.5 * z * z)
    scale = 1.0 / (total * bandwidth * _SQRT_2PI)
    for g in range(grid.size):
        out[g] *= scale
    return out


@njit(cache=True, nogil=True)
def bin_dist(x: np.ndarray, w: np.ndarray, lo: float, hi: float, n: int) -> np.ndarray:  # pragma: no cover
    """R's ``BinDist`` (stats/src/massdist.c): linear binning of ``x`` with weights ``w`` on ``n`` points of
    ``[lo, hi]``, zero-padded to ``2 n``."""
    y = np.zeros(2 * n, np.float64)
    ixmax = n - 2
    delta = (hi - lo) / (n - 1)
    for i in range(x.size):
        pos = (x[i] - lo) / delta
        ix = int(math.floor(pos))
        fx = pos - ix
        wi = w[i]
        if 0 <= ix <= ixmax:
            y[ix] += (1.0 - fx) * wi
            y[ix + 1] += fx * wi
        elif ix == -1:
            y[0] += fx * wi
        elif ix == ixmax + 1:
            y[ix] += (1.0 - fx) * wi
    return y


#: About this many histogram bins on [0, 2 rmax] before refinement (bin width ~rmax / 4096).
STAT_BINS = 8192
#: Up to this many case pairs, curves are computed from exact, linearly binned distances (cheap at that size).
SPARSE_PAIRS = 50_000
#: Refine the histogram when the bandwidth spans fewer bins than this ...
_MIN_BINS_PER_BANDWIDTH = 24
#: ... and smooth on bins merged to about this many per bandwidth (binning error ~1/(24·64²) ≈ 1e-5 of the curve
#: where distances are spread; up to ~2e-4 of its maximum where many pairs share one distance, e.g. a mall).
_SMOOTH_BINS_PER_BANDWIDTH = 64


@njit(cache=True, nogil=True)
def linear_bins(x: np.ndarray, w: np.ndarray, bin_width: float, n_nodes: int) -> np.ndarray:  # pragma: no cover
    """Linear binning of the non-negative ``x`` onto nodes ``j h``, ``j < n_nodes`` (mass and first moment kept);
    ``w`` empty means weight 1. Values beyond the last node are dropped."""
    out = np.zeros(n_nodes + 1, np.float64)
    weighted = w.size > 0
    inv_h = 1.0 / bin_width
    for i in range(x.size):
        pos = x[i] * inv_h
        j = int(pos)
        if j >= n_nodes - 1:
            continue
        frac = pos - j
        wi = w[i] if weighted else 1.0
        out[j] += (1.0 - frac) * wi
        out[j + 1] += frac * wi
    return out[:n_nodes]


# -- bandwidth and R's density(), in plain numpy ------------------------------------------------------------------


def nrd0(distances: np.ndarray) -> float:
    """R's ``bw.nrd0``: ``0.9 min(sd, IQR / 1.34) m^(-1/5)`` (quantiles of type 7), with R's fallbacks; NaN for
    fewer than two distances."""
    m = distances.size
    if m < 2:
        return float("nan")
    sd = float(np.std(distances, ddof=1))
    q1, q3 = np.quantile(distances, [0.25, 0.75])
    lo = min(sd, float(q3 - q1) / 1.34)
    if not lo:
        lo = sd or abs(float(distances[0])) or 1.0
    return 0.9 * lo * m ** -0.2


def _histogram_order_statistic(cumulative: np.ndarray, counts: np.ndarray, bin_width: float, k: int) -> float:
    """The ``k``-th (0-based) smallest distance, read from a histogram as if each bin's values were evenly spread."""
    b = int(np.searchsorted(cumulative, k, side="right"))
    before = cumulative[b - 1] if b > 0 else 0
    return (b + (k - before + 0.5) / counts[b]) * bin_width


def nrd0_from_histogram(counts: np.ndarray, bin_width: float, s1: float, s2: float, m: int) -> float:
    """``bw.nrd0`` of the distances counted in ``counts`` (bins of ``bin_width`` from 0), with their exact sum ``s1``
    and sum of squares ``s2``; the quartiles are read from the histogram (error below half a bin)."""
    if m < 2:
        return float("nan")
    sd = math.sqrt(max(s2 - s1 * s1 / m, 0.0) / (m - 1))
    cumulative = np.cumsum(counts)

    def quantile(p: float) -> float:  # R's type 7: interpolate between order statistics floor(t) and floor(t) + 1
        t = (m - 1) * p
        k = int(math.floor(t))
        lo = _histogram_order_statistic(cumulative, counts, bin_width, k)
        if k + 1 >= m:
            return lo
        hi = _histogram_order_statistic(cumulative, counts, bin_width, k + 1)
        return lo + (t - k) * (hi - lo)

    lo = min(sd, (quantile(0.75) - quantile(0.25)) / 1.34)
    if not lo:
        lo = sd or 1.0
    return 0.9 * lo * m ** -0.2


def r_density(x: np.ndarray, weights: np.ndarray | None, bandwidth: float, start: float, stop: float,
              n_user: float) -> tuple[np.ndarray, np.ndarray]:
    """R's ``density()`` (Gaussian kernel, R 4.2: binned FFT with the pre-4.4 ``old.coords``), from ``start`` to
    ``stop`` on ``ceil(n_user)`` points; ``weights`` summing to 1, or None for equal weights."""
    n = max(n_user, 512.0)
    n_fft = int(2 ** math.ceil(math.log2(n))) if n > 512 else 512
    lo = start - 4.0 * bandwidth
    up = stop + 4.0 * bandwidth
    w = np.full(x.size, 1.0 / x.size) if weights is None else weights
    y = bin_dist(x, w, lo, up, n_fft)
    kords = np.linspace(0.0, 2.0 * (up - lo), 2 * n_fft)
    kords[n_fft + 1:] = -kords[n_fft - 1:0:-1]
    kernel = np.exp(-0.5 * (kords / bandwidth) ** 2) / (bandwidth * _SQRT_2PI)
    conv = np.fft.ifft(np.fft.fft(y) * np.conj(np.fft.fft(kernel))).real[:n_fft]
    conv = np.maximum(conv, 0.0)
    xords = np.linspace(lo, up, n_fft)
    out_x = np.linspace(start, stop, int(math.ceil(n_user)))
    return out_x, np.interp(out_x, xords, conv)


@dataclass(frozen=True, eq=False)
class CurveSetup:
    """Everything a replicate needs, shared read-only by the batches (sites sorted along the sweep axis)."""

    planar: bool
    coords: np.ndarray  # planar: (2, N) float32 centred km; sphere: (3, N) float32 rotated unit vectors
    coords64: np.ndarray  # the same in float64, for the unbinned methods
    case_weights: np.ndarray  # empty when unweighted; else the cases' weights in case order
    n_cases: int
    rmax: float
    grid: np.ndarray
    method: str
    bins_per_step: int  # histogram bins per grid step (a power of two)
    draws: np.ndarray | None  # (R, n) sorted-space site positions, or None for random draws
    rank: np.ndarray  # row position in firms -> position in the sorted sites (draws are made in row space)
    #: the bandwidth of a curve with fewer than two pair distances within 2 rmax (dbmss would stop): the observed
    #: curve's; NaN while the observed curve is computed
    fallback_bandwidth: float = float("nan")

    @property
    def n_sites(self) -> int:
        return int(self.coords.shape[1])


# -- one curve, from the pair distances ------------------------------------------------------------------------------


def _total_mass(weights: np.ndarray, n: int) -> float:
    """Number (or total weight w_i w_j) of all pairs, near and far: the density's denominator."""
    if weights.size == 0:
        return n * (n - 1) / 2.0
    return float((weights.sum() ** 2 - (weights ** 2).sum()) / 2.0)


def _usable(bandwidth: float, setup: CurveSetup) -> float:
    """The bandwidth, or the fallback where fewer than two pairs lie within 2 rmax."""
    if math.isfinite(bandwidth):
        return bandwidth
    if math.isfinite(setup.fallback_bandwidth):
        return setup.fallback_bandwidth
    raise InputError("fewer than two pairs of the activity's firms lie within twice the maximum distance: "
                     "give a larger max_distance_km")


def _binned_curve(setup: CurveSetup, idx: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, float]:
    """Kd of the sites ``idx`` (ascending, sorted space) from a fine histogram of their pair distances.

    Bins are ``1 / k`` of the grid step (``k`` a power of two), so 2 rmax and every grid distance are bin edges.
    Up to :data:`SPARSE_PAIRS` pairs, where a histogram's bins hold too few distances for their errors to average
    out, the distances are computed exactly and binned linearly instead.
    """
    if idx.size * (idx.size - 1) // 2 <= SPARSE_PAIRS:
        return _linear_binned_curve(setup, idx, weights)
    p = np.ascontiguousarray(setup.coords[:, idx])

    def histogram(h: float, n_bins: int, stat_bins: int) -> tuple:
        return pair_histogram(p, weights, h, n_bins, stat_bins, setup.planar)

    step = setup.grid[1]
    k = setup.bins_per_step
    stat_bins = 2 * (setup.grid.size - 1) * k
    h = step / k
    counts, weighted, s1, s2, m = histogram(h, stat_bins, stat_bins)
    bw = _usable(nrd0_from_histogram(counts, h, s1, s2, m), setup)
    if bw < _MIN_BINS_PER_BANDWIDTH * h:  # a tightly clustered set: finer bins, same edges
        factor = 2 ** math.ceil(math.log2(_SMOOTH_BINS_PER_BANDWIDTH * h / bw))
        k, stat_bins, h = k * factor, stat_bins * factor, h / factor
        counts, weighted, s1, s2, m = histogram(h, stat_bins, stat_bins)
        bw = _usable(nrd0_from_histogram(counts, h, s1, s2, m), setup)
    reach = setup.rmax + KERNEL_REACH * bw
    if reach > stat_bins * h:  # a wide bandwidth: the kernel at rmax reaches pairs beyond 2 rmax
        counts, weighted, *_ = histogram(h, math.ceil(reach / h), stat_bins)
    mass = weighted if weights.size else counts.astype(np.float64)
    merge = min(k, 2 ** max(0, math.floor(math.log2(max(bw / (_SMOOTH_BINS_PER_BANDWIDTH * h), 1.0)))))
    if merge > 1:  # fewer, wider bins (still dividing the grid step) where the bandwidth spans many
        mass = np.concatenate([mass, np.zeros(-mass.size % merge)]).reshape(-1, merge).sum(axis=1)
        k, h = k // merge, h * merge
    curve = smooth_histogram(mass, k, h, setup.grid.size, bw, _total_mass(weights, idx.size), True)
    return curve, bw


def _linear_binned_curve(setup: CurveSetup, idx: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, float]:
    """Kd from exact pair distances, linearly binned on a lattice of 64–128 nodes per bandwidth (aligned on the
    grid): the bandwidth is exact and the binning error second order (~1e-5 of the curve)."""
    dist, pair_w = _pair_data(setup, idx, weights)
    bw = _usable(nrd0(dist[dist <= 2.0 * setup.rmax]), setup)
    step = setup.grid[1]
    k = max(1, 2 ** math.ceil(math.log2(_SMOOTH_BINS_PER_BANDWIDTH * step / bw)))
    h = step / k
    n_nodes = math.ceil((setup.rmax + KERNEL_REACH * bw) / h) + 2
    mass = linear_bins(dist, pair_w, h, n_nodes)
    curve = smooth_histogram(mass, k, h, setup.grid.size, bw, _total_mass(weights, idx.size), False)
    return curve, bw


def _pair_data(setup: CurveSetup, idx: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dist = pair_distances(np.ascontiguousarray(setup.coords64[:, idx]), setup.planar)
    pair_w = pair_weights(weights) if weights.size else np.empty(0)
    return dist, pair_w


def _exact_curve(setup: CurveSetup, idx: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, float]:
    """Kd summing the kernel over every pair distance (no binning)."""
    dist, pair_w = _pair_data(setup, idx, weights)
    bw = _usable(nrd0(dist[dist <= 2.0 * setup.rmax]), setup)
    near = dist <= setup.rmax + KERNEL_REACH * bw
    curve = smooth_exact(dist[near], pair_w[near] if pair_w.size else pair_w, setup.grid, bw,
                              _total_mass(weights, idx.size))
    return curve, bw


def _dbmss_curve(setup: CurveSetup, idx: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, float]:
    """Kd exactly as dbmss 2.11 ``Kdhat`` computes it on R 4.2 (binned FFT density, partial reflection)."""
    dist, pair_w = _pair_data(setup, idx, weights)
    rmax = setup.rmax
    bw = _usable(nrd0(dist[dist <= 2.0 * rmax]), setup)
    reflected = dist <= 4.0 * bw
    values = np.concatenate([dist, -dist[reflected]])
    w = None
    if pair_w.size:
        w = np.concatenate([pair_w, pair_w[reflected]])
        w = w / w.sum()
    n_density = min(max(512.0, float(values.max()) / rmax * 128.0), 4096.0)
    dens_x, dens_y = r_density(values, w, bw, 0.0, rmax, n_density)
    mirror_x, mirror_y = r_density(values, w, bw, float(values.min()) - 3.0 * bw, 0.0, 512.0)
    dens_y = dens_y / (1.0 - mirror_y.mean() * (mirror_x[-1] - mirror_x[0]))
    return np.interp(setup.grid, dens_x, dens_y), bw


CURVES = {"binned": _binned_curve, "exact": _exact_curve, "dbmss": _dbmss_curve}
