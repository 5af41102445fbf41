"""Duranton–Overman Kd: is an activity's firms closer to each other than firms drawn at random from all sites?

``kd`` estimates the density of the distances between every pair of an activity's firms (a Gaussian kernel with
Silverman's bandwidth, reflected at zero distance), draws the same number of sites at random from all firm sites
``permutations`` times (the counterfactual of Duranton & Overman 2005, ``RandomLocation`` in R ``dbmss``), and
returns the curve with its local (pointwise) and global confidence envelopes, the distances where the activity is
localised or dispersed, and the indices Γ and Ψ. Replicates run in batches through :func:`clusterwatch.compute.
compute_map`, so the same seed gives the same result on any scheduler.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from clusterwatch.analysis.geometry import haversine_km, local_xy_km
from clusterwatch.analysis.space import _kd_kernels as kern
from clusterwatch.compute import Batch, batches, compute_map
from clusterwatch.errors import InputError, OptionError
from clusterwatch.stats import check_permutations, resolve_seed

METHODS: tuple[str, ...] = ("binned", "exact", "dbmss")
DISTANCES: tuple[str, ...] = ("great-circle", "local")
MAX_DISTANCE_RULES: tuple[str, ...] = ("median", "third-window")
XY_UNITS: dict[str, float] = {"m": 1e-3, "km": 1.0}

#: The unbinned methods hold every pair distance in memory: refuse beyond this many pairs.
_MAX_STORED_PAIRS = 60_000_000
#: The median pair distance of all sites is computed on at most this many sites (a fixed-seed sample beyond).
_MEDIAN_SITES = 20_000


@dataclass(frozen=True, eq=False)
class KdResult:
    """Kd of one activity with its envelopes (Duranton & Overman 2005; envelopes as in R ``dbmss``).

    Attributes
    ----------
    distance_km
        The distances the curve is evaluated at: ``n_points`` from 0 to ``max_distance_km``.
    kd
        The activity's Kd (density of its pair distances, per km).
    simulated_mean
        Mean of the simulated curves.
    local_lo, local_hi
        Pointwise envelope: the ``alpha / 2`` and ``1 - alpha / 2`` quantiles of the simulated curves.
    global_lo, global_hi
        Global envelope (``dbmss::GlobalEnvelope``): simulations that supply a pointwise minimum or maximum are
        dropped until ``(1 - alpha)`` of them remain; the band is what remains, interpolated to the target count.
    simulations
        The simulated curves, ``permutations × n_points``.
    bandwidth_km
        Bandwidth of the observed curve; ``simulated_bandwidth_km`` those of the simulations (each curve has its
        own, as in dbmss).
    localisation_index, dispersion_index
        Γ and Ψ of Duranton & Overman (2005): the area between the curve and the global envelope, above it (Γ) or,
        for an activity localised at no distance, below it (Ψ); shares of pairs.
    localised, dispersed
        The distance ranges ``(from_km, to_km)`` where the curve lies above (below) the global envelope.
    seed
        The seed the counterfactual draws came from (``None`` when explicit ``draws`` were given).
    """

    distance_km: np.ndarray = field(repr=False)
    kd: np.ndarray = field(repr=False)
    simulated_mean: np.ndarray = field(repr=False)
    local_lo: np.ndarray = field(repr=False)
    local_hi: np.ndarray = field(repr=False)
    global_lo: np.ndarray = field(repr=False)
    global_hi: np.ndarray = field(repr=False)
    simulations: np.ndarray = field(repr=False)
    simulated_bandwidth_km: np.ndarray = field(repr=False)
    bandwidth_km: float
    localisation_index: float
    dispersion_index: float
    localised: tuple[tuple[float, float], ...]
    dispersed: tuple[tuple[float, float], ...]
    n_cases: int
    n_sites: int
    n_pairs: int
    max_distance_km: float
    max_distance_rule: str
    permutations: int
    alpha: float
    weighted: bool
    distance: str
    method: str
    seed: int | None

    @property
    def is_localised(self) -> bool:
        """True when the curve leaves the global envelope from above at some distance (Γ > 0)."""
        return bool(self.localised)

    @property
    def is_dispersed(self) -> bool:
        """True when the curve is never above the global envelope and somewhere below it (Ψ > 0)."""
        return not self.localised and bool(self.dispersed)

    def to_frame(self) -> pd.DataFrame:
        """One row per distance: distance_km, kd, mean, local_lo, local_hi, global_lo, global_hi, localised,
        dispersed (the last two: outside the global envelope)."""
        return pd.DataFrame({
            "distance_km": self.distance_km,
            "kd": self.kd,
            "mean": self.simulated_mean,
            "local_lo": self.local_lo,
            "local_hi": self.local_hi,
            "global_lo": self.global_lo,
            "global_hi": self.global_hi,
            "localised": self.kd > self.global_hi,
            "dispersed": self.kd < self.global_lo,
        })


def global_envelope(simulations: np.ndarray, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Global confidence envelope of simulated curves, exactly as R ``dbmss::GlobalEnvelope``.

    Repeatedly drop every simulation that supplies a pointwise minimum or maximum until at most ``(1 - alpha)``
    of them remain; the band is the remaining minimum and maximum, moved towards the previous round's by the
    share of simulations the last round dropped beyond the target.

    Parameters
    ----------
    simulations
        Simulated curves, ``replicates × distances``.
    alpha
        Risk level: about ``alpha`` of the simulated curves leave the band somewhere.

    Returns
    -------
    (lo, hi)
        Lower and upper bands, one value per distance.

    Raises
    ------
    OptionError
        When the simulations run out before the target is reached (too few simulations for ``alpha``).

    References
    ----------
    Duranton, G. & Overman, H. G. (2005). Testing for localization using micro-geographic data. *Review of
    Economic Studies* 72(4), 1077–1106. Marcon, E., Traissac, S., Puech, F. & Lang, G. (2015). Tools to
    characterize point patterns: dbmss for R. *Journal of Statistical Software* 67(c03).

    Examples
    --------
    >>> sims = np.array([[0.0, 1.0], [1.0, 2.0], [2.0, 3.0], [3.0, 4.0], [4.0, 5.0]])
    >>> lo, hi = global_envelope(sims, alpha=0.4)
    >>> lo.tolist(), hi.tolist()
    ([1.0, 2.0], [3.0, 4.0])
    """
    sims = np.asarray(simulations, dtype=float)
    total = sims.shape[0]
    target = (1.0 - alpha) * total
    kept = np.arange(total)
    present_min, present_max = np.nanmin(sims, axis=0), np.nanmax(sims, axis=0)
    previous_min, previous_max = present_min, present_max
    while kept.size > target:
        previous_min, previous_max = present_min, present_max
        block = sims[kept]
        usable = ~np.all(np.isnan(block), axis=0)
        extreme = np.concatenate([np.nanargmin(block[:, usable], axis=0), np.nanargmax(block[:, usable], axis=0)])
        kept = np.delete(kept, np.unique(extreme))
        if kept.size < 2:
            raise OptionError(f"the global envelope needs more simulations than {total} at alpha = {alpha}: "
                              "more permutations are necessary")
        present_min, present_max = np.nanmin(sims[kept], axis=0), np.nanmax(sims[kept], axis=0)
    shortfall = (target - kept.size) / total
    return (present_min + (previous_min - present_min) * shortfall,
            present_max + (previous_max - present_max) * shortfall)


def _runs(mask: np.ndarray, grid: np.ndarray) -> tuple[tuple[float, float], ...]:
    """Contiguous runs of ``mask`` as ``(first distance, last distance)``."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return tuple((float(grid[a]), float(grid[b - 1])) for a, b in zip(edges[::2], edges[1::2], strict=True))


def _replicate_batch(task: tuple[kern.CurveSetup, Batch]) -> tuple[np.ndarray, np.ndarray]:
    """Simulated curves of one batch: draw ``n_cases`` sites at random (or take the given draws)."""
    setup, batch = task
    curves = np.empty((batch.size, setup.grid.size))
    bandwidths = np.empty(batch.size)
    generator = batch.generator() if setup.draws is None else None
    curve_fn = kern.CURVES[setup.method]
    for k in range(batch.size):
        if generator is None:
            sites = setup.draws[batch.start + k]  # type: ignore[index]
        else:
            sites = setup.rank[generator.choice(setup.n_sites, size=setup.n_cases, replace=False)]
        order = np.argsort(sites, kind="stable")
        w = setup.case_weights[order] if setup.case_weights.size else setup.case_weights
        curves[k], bandwidths[k] = curve_fn(setup, sites[order], w)
    return curves, bandwidths


# -- preparing the sites ------------------------------------------------------------------------------------------


def _case_mask(firms: pd.DataFrame, cases: Any) -> np.ndarray:
    if isinstance(cases, pd.Series):
        if not cases.index.equals(firms.index):
            missing = firms.index.difference(cases.index)
            if len(missing):
                raise InputError(f"cases has no value for {len(missing)} firm rows (e.g. index {missing[0]!r})")
            cases = cases.reindex(firms.index)
        values = cases.to_numpy()
    else:
        values = np.asarray(cases)
    if values.shape != (len(firms),):
        raise InputError(f"cases must be one flag per firm ({len(firms)}), got shape {values.shape}")
    if values.dtype != bool:
        if pd.isna(values).any():
            raise InputError("cases has missing values: give True or False for every firm")
        values = values.astype(bool)
    return values


def _coordinates(firms: pd.DataFrame, xy: tuple[str, str] | None, xy_unit: str, distance: str
                 ) -> tuple[bool, np.ndarray, np.ndarray, np.ndarray]:
    """(planar, coordinates, lat, lon): planar km (2, N) float64, or unit vectors (N, 3); lat/lon where given."""
    columns = list(xy) if xy is not None else ["lat", "lon"]
    absent = [c for c in columns if c not in firms.columns]
    if absent:
        raise InputError(f"firms have no column {', '.join(map(repr, absent))}; columns: {', '.join(firms.columns)}")
    values = [pd.to_numeric(firms[c], errors="coerce").to_numpy(dtype=float) for c in columns]
    bad = ~np.isfinite(values[0]) | ~np.isfinite(values[1])
    if bad.any():
        raise InputError(f"{int(bad.sum())} of {len(firms)} firms have no usable {' / '.join(columns)}: "
                         "select located firms first")
    if xy is not None:
        scale = XY_UNITS[xy_unit]
        return True, np.vstack([values[0] * scale, values[1] * scale]), np.empty(0), np.empty(0)
    lat, lon = values
    if (np.abs(lat) > 90).any() or (np.abs(lon) > 180).any():
        raise InputError("lat/lon must be WGS84 degrees (|lat| <= 90, |lon| <= 180)")
    if distance == "local":
        x, y = local_xy_km(lat, lon)
        return True, np.vstack([x, y]), lat, lon
    phi, lam = np.radians(lat), np.radians(lon)
    unit = np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])
    return False, unit, lat, lon


def _rotate_to_centre(unit: np.ndarray) -> np.ndarray:
    """Unit vectors (N, 3) rotated so that their mean direction is (1, 0, 0), minus (1, 0, 0): (3, N) float64.

    The first row, ``cos(angle from the centre) - 1``, is computed as ``-|u - c|^2 / 2`` so that it keeps full
    precision near the centre.
    """
    centre = unit.mean(axis=0)
    norm = float(np.linalg.norm(centre))
    centre = centre / norm if norm > 1e-9 else np.array([1.0, 0.0, 0.0])
    helper = np.array([0.0, 0.0, 1.0]) if abs(centre[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    e2 = np.cross(centre, helper)
    e2 /= np.linalg.norm(e2)
    e3 = np.cross(centre, e2)
    return np.vstack([-0.5 * ((unit - centre) ** 2).sum(axis=1), unit @ e2, unit @ e3])


def _case_weights(firms: pd.DataFrame, weights: str | None, case_rows: np.ndarray) -> np.ndarray:
    """The cases' sizes (empty when unweighted); every case needs a positive one."""
    if weights is None:
        return np.empty(0)
    if weights not in firms.columns:
        raise InputError(f"firms have no weights column {weights!r}")
    values = pd.to_numeric(firms[weights], errors="coerce").to_numpy(dtype=float)[case_rows]
    bad = ~(np.isfinite(values) & (values > 0))
    if bad.any():
        raise InputError(f"{int(bad.sum())} of {case_rows.size} case firms have no positive {weights!r}: "
                         "the weighted Kd needs every case's size")
    return values


def _sorted_sites(planar: bool, coords: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sites sorted along the sweep axis: (float64, float32, rank of each firm row in the sorted order)."""
    if planar:
        coords = coords - coords.mean(axis=1, keepdims=True)  # float32 keeps ~1e-7 of the extent around 0
        coords = coords[[0, 1] if np.ptp(coords[0]) >= np.ptp(coords[1]) else [1, 0]]
    else:
        coords = _rotate_to_centre(coords)
        # sweep along the wider tangent axis (rows 1, 2); row 0 (cos - 1) is flat near the centre
        coords = coords[[1, 0, 2] if np.ptp(coords[1]) >= np.ptp(coords[2]) else [2, 0, 1]]
    order = np.argsort(coords[0], kind="stable")
    coords64 = np.ascontiguousarray(coords[:, order])
    rank = np.empty(order.size, np.int64)
    rank[order] = np.arange(order.size)
    return coords64, coords64.astype(np.float32), rank


def _check_draws(draws: np.ndarray, n_cases: int, n_sites: int) -> np.ndarray:
    draws = np.asarray(draws)
    if draws.ndim != 2 or draws.shape[1] != n_cases or not np.issubdtype(draws.dtype, np.integer):
        raise OptionError(f"draws must be an int array of replicates × {n_cases} site rows, got "
                          f"{draws.dtype} {draws.shape}")
    if draws.min() < 0 or draws.max() >= n_sites:
        raise OptionError(f"draws must hold row positions 0 .. {n_sites - 1}")
    if (np.diff(np.sort(draws, axis=1), axis=1) == 0).any():
        raise OptionError("each row of draws must name distinct sites")
    return draws


def _max_pair_distance(planar: bool, coords: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> float:
    """Largest distance between two of the given points (the convex hull's diameter)."""
    from scipy.spatial import ConvexHull, QhullError

    flat = coords.T if planar else np.column_stack(local_xy_km(lat, lon))
    try:
        vertices = ConvexHull(flat).vertices if len(flat) > 3 else np.arange(len(flat))
    except (QhullError, ValueError):  # collinear or coincident points: every point is a candidate
        vertices = np.arange(len(flat))
    if vertices.size > 5_000:
        vertices = vertices[:: math.ceil(vertices.size / 5_000)]
    if planar:
        pts = flat[vertices]
        return float(np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1)).max())
    la, lo = lat[vertices], lon[vertices]
    return float(haversine_km(la[:, None], lo[:, None], la[None, :], lo[None, :]).max())


def _median_pair_distance(planar: bool, coords: np.ndarray) -> float:
    """Median distance between two sites (to 1/16,384 of the extent, interpolated within a bin; up to 20,000
    sites exactly, beyond that on a fixed sample of 20,000 sites)."""
    n = coords.shape[1]
    idx = np.arange(n)
    if n > _MEDIAN_SITES:
        idx = np.sort(np.random.default_rng(0).choice(n, _MEDIAN_SITES, replace=False))
    n_bins = 16_384
    if planar:
        pts = np.ascontiguousarray(coords[:, idx])
        extent = float(np.hypot(*(pts.max(axis=1) - pts.min(axis=1)))) * (1 + 1e-6) + 1e-9
        counts, *_ = kern.pair_histogram_planar(pts[0], pts[1], np.empty(0), extent / n_bins, n_bins, n_bins)
    else:
        pts = np.ascontiguousarray(coords[:, idx])
        chord = np.sqrt(((pts - pts[:, :1]) ** 2).sum(axis=0)).max()
        extent = min(2 * 2 * kern.EARTH_RADIUS_KM * math.asin(min(chord / 2, 1.0)),
                     math.pi * kern.EARTH_RADIUS_KM) * (1 + 1e-6) + 1e-9
        counts, *_ = kern.pair_histogram_sphere(pts, np.empty(0), extent / n_bins, n_bins, n_bins)
    m = int(counts.sum())
    if m == 0:
        raise InputError("the sites have no pair distances")
    cumulative = np.cumsum(counts)
    t = (m - 1) * 0.5
    k = int(t)
    lo = kern._histogram_order_statistic(cumulative, counts, extent / n_bins, k)
    hi = kern._histogram_order_statistic(cumulative, counts, extent / n_bins, min(k + 1, m - 1))
    return lo + (t - k) * (hi - lo)


def _third_window(planar: bool, coords: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> float:
    """dbmss's default range: a third of the diagonal of the sites' bounding box."""
    if planar:
        return float(np.hypot(*(coords.max(axis=1) - coords.min(axis=1)))) / 3.0
    return float(haversine_km(lat.min(), lon.min(), lat.max(), lon.max())) / 3.0


def _check_options(permutations: int, alpha: float, method: str, distance: str, xy_unit: str,
                   max_distance_km: float | str, n_points: int | None) -> None:
    if not (isinstance(permutations, int | np.integer) and not isinstance(permutations, bool) and permutations == 0):
        check_permutations(permutations)
    if isinstance(alpha, bool) or not isinstance(alpha, float | int) or not 0.0 < alpha < 1.0:
        raise OptionError(f"alpha must be a number in (0, 1), e.g. 0.05, got {alpha!r}")
    if 0 < permutations < math.ceil(1.0 / alpha) - 1:
        raise OptionError(f"permutations = {permutations} is too few for alpha = {alpha}: give at least "
                          f"{math.ceil(1.0 / alpha) - 1} (999 is the default)")
    for name, value, allowed in (("method", method, METHODS), ("distance", distance, DISTANCES),
                                 ("xy_unit", xy_unit, tuple(XY_UNITS))):
        if value not in allowed:
            raise OptionError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    if isinstance(max_distance_km, str):
        if max_distance_km not in MAX_DISTANCE_RULES:
            raise OptionError(f"max_distance_km must be a distance in km or one of "
                              f"{', '.join(MAX_DISTANCE_RULES)}, got {max_distance_km!r}")
    elif isinstance(max_distance_km, bool) or not (isinstance(max_distance_km, float | int)
                                                   and math.isfinite(max_distance_km) and max_distance_km > 0):
        raise OptionError(f"max_distance_km must be a positive number of km, got {max_distance_km!r}")
    if n_points is not None and (isinstance(n_points, bool) or not isinstance(n_points, int) or n_points < 16):
        raise OptionError(f"n_points must be an int >= 16 (or None for dbmss's rule), got {n_points!r}")


# -- the analysis ---------------------------------------------------------------------------------------------------


def kd(
    firms: pd.DataFrame,
    cases: pd.Series | np.ndarray,
    *,
    weights: str | None = None,
    xy: tuple[str, str] | None = None,
    xy_unit: str = "m",
    distance: str = "great-circle",
    max_distance_km: float | str = "median",
    n_points: int | None = None,
    permutations: int = 999,
    alpha: float = 0.05,
    method: str = "binned",
    draws: np.ndarray | None = None,
    rng: int | np.random.Generator | None = None,
    scheduler: str | None = "threads",
    n_jobs: int | None = None,
) -> KdResult:
    """Duranton–Overman Kd of one activity against all firm sites, with local and global envelopes.

    The activity's firms (``cases``) are compared with ``permutations`` counterfactuals: the same number of sites
    drawn at random, without replacement, from all the rows of ``firms`` (each firm's site). Kd is the density of
    the distances between every pair of the activity's firms, estimated with a Gaussian kernel whose bandwidth is
    Silverman's rule of thumb (R's ``bw.nrd0``) on the pair distances up to twice the maximum distance, reflected at
    zero distance, evaluated from 0 to the maximum distance; each simulated curve gets its own bandwidth, as in
    dbmss (a draw with fewer than two pairs within twice the maximum distance, where dbmss would stop, takes the
    observed curve's).

    Parameters
    ----------
    firms
        All firm sites, one row each: ``lat``/``lon`` (WGS84), or projected coordinates named by ``xy``.
    cases
        One flag per row of ``firms`` (a Series is aligned on the index): True for the activity's firms (an industry
        code, a benchmark cluster, any set). At least 3, and not every firm (unless ``permutations=0``).
    weights
        Column of firm sizes (e.g. ``"employees"``) for the employment-weighted Kd: pairs weigh ``w_i w_j``. Only
        the cases' sizes are used; in the counterfactual each case keeps its size and moves to a random site (as
        dbmss permutes weights with labels). The bandwidth stays the unweighted one, as in dbmss.
    xy, xy_unit
        Column names of projected coordinates (e.g. ``("x", "y")``) and their unit, ``"m"`` or ``"km"``:
        Euclidean distances. Default: great-circle or local distances from ``lat``/``lon``.
    distance
        For ``lat``/``lon``: ``"great-circle"`` (exact on the sphere) or ``"local"`` (planar km around the sites'
        centre, :func:`~clusterwatch.analysis.geometry.local_xy_km`: < 0.1 % error within ~100 km, and faster).
    max_distance_km
        Where the curve stops: a distance in km; ``"median"`` (default, Duranton & Overman 2005: the median
        distance between two sites; exact up to 20,000 sites, from a fixed sample of 20,000 beyond), or
        ``"third-window"`` (dbmss: a third of the diagonal of the sites' bounding box).
    n_points
        Distances evaluated, equally spaced from 0; default dbmss's rule: 512, more (up to 4,096) when the
        activity's largest pair distance exceeds four times the maximum distance.
    permutations
        Counterfactual draws (999 by default); 0 for the curve alone (dbmss's ``Kdhat``: envelopes, Γ and Ψ NaN).
    alpha
        Risk level of both envelopes (0.05: 95 % bands).
    method
        ``"binned"`` (default, fast): pair distances up to twice the maximum distance counted in bins of 1/24 to
        1/64 bandwidth (refined per curve where needed; pairs beyond are never enumerated where the sites' spread
        allows), then smoothed exactly; up to 50,000 pairs the distances are exact and binned linearly (errors:
        ~1e-5 of the curve's maximum, up to ~2e-4 where many pairs share one distance). ``"exact"``: the kernel
        summed over every pair distance (holds them all in memory). ``"dbmss"``: dbmss 2.11's arithmetic on R 4.2,
        reproduced (R's binned FFT ``density()`` and its renormalised partial reflection), for comparisons with R.
    draws
        Optional explicit counterfactuals, ``replicates × n_cases`` row positions in ``firms`` (row ``k`` puts
        case ``c``, in row order, at site ``draws[k, c]``), e.g. to reproduce another program's draws; replaces
        ``permutations`` and ``rng``.
    rng
        Seed (int), generator or None (a fresh seed, recorded in the result).
    scheduler, n_jobs
        How replicate batches run (:func:`~clusterwatch.compute.compute_map`); results do not depend on them.

    Returns
    -------
    KdResult
        The curve, its envelopes, the localised and dispersed ranges, Γ and Ψ, and the parameters (seed included).

    Raises
    ------
    InputError
        Missing or invalid coordinates, fewer than 3 cases, cases without a size for ``weights``, fewer than two
        case pairs within twice the maximum distance.
    OptionError
        An option outside its allowed values.

    Notes
    -----
    The ``"binned"`` and ``"exact"`` densities use Silverman's reflection (each distance ``d`` also counts at
    ``-d``) divided by the number of pairs, as Duranton & Overman (2005) do; dbmss reflects distances below four
    bandwidths and renormalises, which agrees to ~3e-5. R 4.2's ``density()`` evaluates its kernel on a grid
    stretched by ``2(n - 1)/(2n - 1)`` (fixed in R 4.4), so dbmss's curves sit about 0.1 % above the exact ones.
    Γ and Ψ are integrals over distance (D&O sum over 1 km steps, the same thing in their units).

    References
    ----------
    Duranton, G. & Overman, H. G. (2005). Testing for localization using micro-geographic data. *Review of
    Economic Studies* 72(4), 1077–1106. Marcon, E., Traissac, S., Puech, F. & Lang, G. (2015). Tools to
    characterize point patterns: dbmss for R. *Journal of Statistical Software* 67(c03). Silverman, B. W. (1986).
    *Density Estimation for Statistics and Data Analysis*. Chapman & Hall.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> firms = pd.DataFrame({"x": rng.uniform(0, 50, 400), "y": rng.uniform(0, 50, 400)})
    >>> cases = np.zeros(400, bool)
    >>> firms.loc[:29, ["x", "y"]] = rng.normal(25, 1, (30, 2))  # 30 firms within a few km of each other
    >>> cases[:30] = True
    >>> result = kd(firms, cases, xy=("x", "y"), xy_unit="km", permutations=99, rng=7, scheduler="serial")
    >>> result.is_localised, result.localised[0][0]
    (True, 0.0)
    >>> result.to_frame().columns.tolist()[:4]
    ['distance_km', 'kd', 'mean', 'local_lo']
    """
    _check_options(permutations, alpha, method, distance, xy_unit, max_distance_km, n_points)
    is_case = _case_mask(firms, cases)
    n_sites, n_cases = len(firms), int(is_case.sum())
    if n_cases < 3:
        raise InputError(f"Kd needs at least 3 case firms, got {n_cases}")
    if n_cases >= n_sites and (permutations or draws is not None):
        raise InputError("every firm is a case: the counterfactual draws would be the activity itself")
    case_rows = np.flatnonzero(is_case)
    case_weights = _case_weights(firms, weights, case_rows)
    if method != "binned" and n_cases * (n_cases - 1) // 2 > _MAX_STORED_PAIRS:
        raise OptionError(f"method={method!r} holds every pair distance in memory; {n_cases:,} cases have "
                          f"{n_cases * (n_cases - 1) // 2:,} pairs (limit {_MAX_STORED_PAIRS:,}): use 'binned'")

    planar, coords, lat, lon = _coordinates(firms, xy, xy_unit, distance)
    coords64, fast, rank = _sorted_sites(planar, coords)
    if isinstance(max_distance_km, str):
        rule = max_distance_km
        rmax = (_median_pair_distance(planar, fast) if rule == "median"
                else _third_window(planar, coords64, lat, lon))
    else:
        rule, rmax = "given", float(max_distance_km)
    if n_points is None:
        largest = _max_pair_distance(planar, coords64[:, rank[case_rows]],
                                     lat[case_rows] if lat.size else lat, lon[case_rows] if lon.size else lon)
        n_points = math.ceil(min(max(512.0, largest / rmax * 128.0), 4096.0))
    grid = np.linspace(0.0, rmax, n_points)
    if draws is not None:
        draws = rank[_check_draws(draws, n_cases, n_sites)]
        permutations = draws.shape[0]
    seed = resolve_seed(rng) if draws is None else None

    setup = kern.CurveSetup(planar=planar, coords=fast, coords64=coords64, case_weights=case_weights,
                            n_cases=n_cases, rmax=rmax, grid=grid, method=method, draws=draws, rank=rank,
                            bins_per_step=2 ** max(0, math.floor(math.log2(kern.STAT_BINS / (2 * (n_points - 1))))))
    observed_sites = rank[case_rows]
    observed_order = np.argsort(observed_sites, kind="stable")
    curve, bandwidth = kern.CURVES[method](setup, observed_sites[observed_order],
                                       case_weights[observed_order] if case_weights.size else case_weights)

    setup = dataclasses.replace(setup, fallback_bandwidth=bandwidth)
    simulations, sim_bandwidths = np.empty((0, grid.size)), np.empty(0)
    if permutations:
        tasks = [(setup, b) for b in batches(permutations, seed if seed is not None else resolve_seed(0))]
        parts = compute_map(_replicate_batch, tasks, scheduler=scheduler, n_jobs=n_jobs)
        simulations = np.concatenate([p[0] for p in parts])
        sim_bandwidths = np.concatenate([p[1] for p in parts])
        local_lo, local_hi = np.quantile(simulations, [alpha / 2.0, 1.0 - alpha / 2.0], axis=0)
        global_lo, global_hi = global_envelope(simulations, alpha)
        gamma = float(np.trapezoid(np.maximum(curve - global_hi, 0.0), grid))
        psi = float(np.trapezoid(np.maximum(global_lo - curve, 0.0), grid)) if gamma == 0.0 else 0.0
    else:  # the curve alone (dbmss's Kdhat)
        local_lo = local_hi = global_lo = global_hi = np.full(grid.size, np.nan)
        gamma = psi = float("nan")
    return KdResult(
        distance_km=grid, kd=curve, simulated_mean=simulations.mean(axis=0) if permutations else local_lo,
        local_lo=local_lo, local_hi=local_hi,
        global_lo=global_lo, global_hi=global_hi, simulations=simulations, simulated_bandwidth_km=sim_bandwidths,
        bandwidth_km=float(bandwidth), localisation_index=gamma, dispersion_index=psi,
        localised=_runs(curve > global_hi, grid), dispersed=_runs(curve < global_lo, grid),
        n_cases=n_cases, n_sites=n_sites, n_pairs=n_cases * (n_cases - 1) // 2, max_distance_km=rmax,
        max_distance_rule=rule, permutations=permutations, alpha=float(alpha), weighted=weights is not None,
        distance="euclidean" if xy is not None else distance, method=method,
        seed=seed.entropy if seed is not None else None,
    )
