"""The prospective space-time permutation scan statistic (Kulldorff et al. 2005), as in SaTScan."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from clusterwatch.analysis.time._scan_kernel import (
    blocks,
    circles,
    scan_configuration,
    scan_replicates,
    window_cases,
)
from clusterwatch.analysis.time.cube import PERIOD_DAYS, EntriesCube
from clusterwatch.compute import Batch, batches, compute_map
from clusterwatch.errors import InputError, OptionError
from clusterwatch.stats import check_permutations, monte_carlo_p, resolve_seed

#: Blocks of circle steps skipped together when they cannot beat the best cylinder (exact; only speed depends on
#: these): a block ends when the entries inside grow by 5 %, after 64 steps, and circles under 20 entries are
#: scored one by one.
#: The compiled kernels of the space-time scan, public under these names for tests and reuse: the circles around
#: each site (:func:`scan_circles`), their blocks of little growth (:func:`circle_blocks`) and the replicates'
#: largest likelihood ratios (:func:`scan_replicates`).
scan_circles = circles
circle_blocks = blocks

_BLOCK_GROWTH = 0.05
_BLOCK_LONGEST = 64
_BLOCK_SMALL = 20.0


@dataclass(frozen=True)
class SpaceTimeCluster:
    """One space-time cluster: a circle of locations during the last periods of the study.

    Attributes
    ----------
    rank
        1 for the most likely cluster, then the secondary clusters by decreasing LLR.
    locations
        The locations inside (ids of the cube), nearest to the centre first.
    centre
        The location the circle is centred on.
    radius_km
        Distance from the centre to the farthest location inside.
    start, end
        First and last period of the cluster (``end`` is always the study's last period: the scan is prospective).
    n_periods
        Its length in periods.
    observed, expected
        Entries inside, and those expected from the margins (entries of its area × entries of its periods / all).
    llr
        Log likelihood ratio (SaTScan's test statistic).
    p
        Monte Carlo p-value against the maxima of the replicates.
    recurrence_periods, recurrence_days
        Recurrence interval: how often a cluster this strong would arise by chance if the analysis were repeated
        every period, 1 / p periods (in days: the period's mean length / p).
    """

    rank: int
    locations: tuple[str, ...]
    centre: str
    radius_km: float
    start: pd.Period
    end: pd.Period
    n_periods: int
    observed: int
    expected: float
    llr: float
    p: float
    recurrence_periods: float
    recurrence_days: float

    @property
    def ratio(self) -> float:
        """Observed / expected."""
        return self.observed / self.expected if self.expected > 0 else float("nan")


@dataclass(frozen=True, eq=False)
class SpaceTimeScan:
    """The result of a prospective space-time permutation scan.

    Attributes
    ----------
    clusters
        The most likely cluster and the secondary clusters that overlap no more likely one, by decreasing LLR.
    simulated
        Maximum LLR of each replicate (``permutations`` values), in replicate order.
    total, n_locations, periods
        Entries, locations and periods scanned.
    max_spatial_share, max_temporal_length, max_radius_km, min_cases, permutations, seed
        The parameters that made the result.
    activity, period, as_of
        What the cube counted.
    """

    clusters: tuple[SpaceTimeCluster, ...]
    simulated: np.ndarray
    total: int
    n_locations: int
    periods: pd.PeriodIndex
    max_spatial_share: float
    max_temporal_length: int
    max_radius_km: float | None
    min_cases: int
    permutations: int
    seed: int
    activity: str
    period: str
    as_of: pd.Timestamp | None

    @property
    def most_likely(self) -> SpaceTimeCluster | None:
        """The most likely cluster (None when no cylinder has more entries than expected)."""
        return self.clusters[0] if self.clusters else None

    def to_frame(self) -> pd.DataFrame:
        """One row per cluster: rank, centre, locations (``;``-joined), n_locations, radius_km, start, end,
        n_periods, observed, expected, ratio, llr, p, recurrence_periods, recurrence_days."""
        columns = ["rank", "centre", "locations", "n_locations", "radius_km", "start", "end", "n_periods",
                   "observed", "expected", "ratio", "llr", "p", "recurrence_periods", "recurrence_days"]
        rows = [
            [c.rank, c.centre, ";".join(c.locations), len(c.locations), c.radius_km, str(c.start), str(c.end),
             c.n_periods, c.observed, c.expected, c.ratio, c.llr, c.p, c.recurrence_periods, c.recurrence_days]
            for c in self.clusters
        ]
        return pd.DataFrame(rows, columns=columns)

    def locations_frame(self) -> pd.DataFrame:
        """One row per location inside a reported cluster: location, rank, p, llr."""
        rows = [(loc, c.rank, c.p, c.llr) for c in self.clusters for loc in c.locations]
        return pd.DataFrame(rows, columns=["location", "rank", "p", "llr"])


@dataclass(frozen=True)
class _ReplicateTask:
    case_site: np.ndarray
    case_time: np.ndarray
    n_periods: int
    n_sites: int
    offsets: np.ndarray
    members: np.ndarray
    inside: np.ndarray
    block_offsets: np.ndarray
    block_start: np.ndarray
    period_cases: np.ndarray
    total: float
    min_cases: int
    batch: Batch


def _replicates(task: _ReplicateTask) -> np.ndarray:
    """Maximum LLR of each replicate of one batch: the cases' periods shuffled among the cases."""
    rng = task.batch.generator()
    shuffled = rng.permuted(np.broadcast_to(task.case_time, (task.batch.size, task.case_time.size)), axis=1)
    lags = (task.n_periods - 1 - shuffled).astype(np.int64)
    return scan_replicates(lags, task.case_site, task.n_sites, task.offsets, task.members, task.inside,
                           task.block_offsets, task.block_start, task.period_cases, task.total, task.min_cases)


def _check_share(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating) or not 0 < value <= 0.5:
        raise OptionError(f"max_spatial_share must be a share of all entries in (0, 0.5], got {value!r}")
    return float(value)


def space_time_permutation_scan(
    cube: EntriesCube,
    *,
    max_spatial_share: float = 0.5,
    max_temporal_length: int | None = None,
    max_radius_km: float | None = None,
    min_cases: int = 2,
    permutations: int = 999,
    max_clusters: int = 10,
    rng: int | np.random.Generator | None = None,
    scheduler: str | None = "threads",
    n_jobs: int | None = None,
) -> SpaceTimeScan:
    """Prospective space-time permutation scan for emerging clusters of entries (Kulldorff et al. 2005).

    Cylinders are circles centred on each location — grown by nearest neighbour while they hold at most
    ``max_spatial_share`` of all entries — times intervals of 1 to ``max_temporal_length`` periods that end in the
    last period (prospective: only clusters still going on are sought). Each cylinder's expected count comes from
    the margins alone, ``entries of its area over the whole study × entries of its periods over all locations /
    all entries``, so no population at risk is needed and purely spatial or purely temporal variation is adjusted
    for. Cylinders with more entries than expected (and at least ``min_cases``) are scored by the Poisson
    generalised likelihood ratio; the largest is the most likely cluster. Its p-value ranks it among the maxima of
    ``permutations`` replicates in which the entries' periods are shuffled among the entries (locations fixed),
    which keeps both margins.

    Parameters
    ----------
    cube
        An entries cube (:func:`entries_cube`, or :func:`cube_from_counts` for locations of one's own). Locations
        with identical coordinates are scanned as one, as SaTScan does.
    max_spatial_share
        Largest share of all entries a circle may hold (SaTScan's maximum spatial cluster size as a share of the
        "population", which for this model is the entries), at most 0.5.
    max_temporal_length
        Longest cluster in periods; default: half of the study period, as SaTScan.
    max_radius_km
        Largest circle radius in km, on top of ``max_spatial_share`` (SaTScan's optional "maximum distance from the
        centre"); default: none. Keeps a circle centred on a far-off location from reaching across empty land.
    min_cases
        Fewest entries a cluster needs (SaTScan's default 2).
    permutations
        Monte Carlo replicates.
    max_clusters
        Most clusters reported (the most likely one and secondary ones that share no location with a more likely
        one, SaTScan's "no geographical overlap").
    rng
        Seed or generator; the integer seed is stored in the result.
    scheduler, n_jobs
        Where replicates run (:func:`clusterwatch.compute.compute_map`); results do not depend on them.

    Returns
    -------
    SpaceTimeScan
        The clusters with LLR, p-value and recurrence interval, and the replicates' maxima.

    Raises
    ------
    OptionError
        For bad parameters.
    InputError
        When the cube holds fewer than two entries.

    Notes
    -----
    The scan is exact — every cylinder SaTScan would score is accounted for — but most are dismissed without
    computing their likelihood ratio, by exact bounds (see ``_scan_kernel.scan_configuration``; tested against a
    brute-force scan). It matches SaTScan 10.3 on its Seattle reference run (the most likely cluster, its LLR to
    six decimals, the secondary cluster). Like SaTScan, a secondary cluster weaker than every
    replicate's maximum (p = 1) is not reported. Not implemented: Gumbel p-values, circles centred on a grid of
    points other than the locations, elliptic windows, adjustment for earlier prospective analyses.

    References
    ----------
    Kulldorff, M., Heffernan, R., Hartman, J., Assunção, R. & Mostashari, F. (2005). A space-time permutation scan
    statistic for disease outbreak detection. *PLoS Medicine* 2(3), e59.
    Kulldorff, M. (2001). Prospective time periodic geographical disease surveillance using a scan statistic.
    *JRSS A* 164, 61–72.
    Kulldorff, M. *SaTScan User Guide*, v10 (recurrence intervals, secondary clusters).

    Examples
    --------
    >>> import pandas as pd
    >>> from clusterwatch.analysis.time import cube_from_counts
    >>> grid = [(f"s{i}", float(i % 5), float(i // 5)) for i in range(25)]
    >>> where = pd.DataFrame(grid, columns=["location", "x", "y"])
    >>> rows = [(s, f"2020-{m:02d}", 1) for s, _, _ in grid for m in range(1, 13)]
    >>> rows += [("s12", "2020-12", 6), ("s13", "2020-12", 4)]                   # a burst in the last month
    >>> counts = pd.DataFrame(rows, columns=["location", "period", "count"])
    >>> scan = space_time_permutation_scan(cube_from_counts(counts, where, period="month"), rng=7)
    >>> best = scan.most_likely
    >>> best.locations, str(best.start), best.observed, best.p < 0.01
    (('s13', 's12'), '2020-12', 12, True)
    """
    if not isinstance(cube, EntriesCube):
        raise OptionError(f"cube must be an EntriesCube, got {type(cube).__name__}")
    share = _check_share(max_spatial_share)
    n_loc, n_periods = cube.shape
    if max_temporal_length is None:
        max_temporal_length = max(1, n_periods // 2)
    if (isinstance(max_temporal_length, bool) or not isinstance(max_temporal_length, int | np.integer)
            or not 1 <= max_temporal_length <= n_periods):
        raise OptionError(f"max_temporal_length must be a number of periods from 1 to {n_periods}, "
                          f"got {max_temporal_length!r}")
    if max_radius_km is not None and (isinstance(max_radius_km, bool)
                                      or not isinstance(max_radius_km, int | float | np.floating)
                                      or not max_radius_km >= 0):
        raise OptionError(f"max_radius_km must be a distance in km >= 0, or None, got {max_radius_km!r}")
    if isinstance(min_cases, bool) or not isinstance(min_cases, int | np.integer) or min_cases < 1:
        raise OptionError(f"min_cases must be a positive int, got {min_cases!r}")
    if isinstance(max_clusters, bool) or not isinstance(max_clusters, int | np.integer) or max_clusters < 1:
        raise OptionError(f"max_clusters must be a positive int, got {max_clusters!r}")
    check_permutations(permutations)
    seed = resolve_seed(rng)
    total = int(cube.counts.sum())
    if total < 2:
        raise InputError(f"the space-time scan needs at least 2 entries; the cube has {total}")
    length = int(max_temporal_length)

    # locations with identical coordinates are one site; sites sorted by x then y (SaTScan's tie order)
    coords = np.stack([cube.x_km, cube.y_km], axis=1)
    site_xy, site_of = np.unique(coords, axis=0, return_inverse=True)
    site_of = site_of.ravel()
    n_sites = len(site_xy)
    site_counts = np.zeros((n_sites, n_periods), dtype=np.int64)
    np.add.at(site_counts, site_of, cube.counts)
    site_total = site_counts.sum(axis=1).astype(np.float64)
    period_total = site_counts.sum(axis=0).astype(np.float64)
    period_cases = np.cumsum(period_total[::-1])[:length]  # entries in the last 1..length periods
    radius = np.inf if max_radius_km is None else float(max_radius_km)
    offsets, members, inside = circles(np.ascontiguousarray(site_xy[:, 0]), np.ascontiguousarray(site_xy[:, 1]),
                                       site_total, share * total, radius * (1 + 1e-12))
    block_offsets, block_start = blocks(offsets, inside, _BLOCK_GROWTH, _BLOCK_SMALL, _BLOCK_LONGEST)

    # the observed configuration: best cylinder per centre
    site_idx, time_idx = np.nonzero(site_counts)
    repeats = site_counts[site_idx, time_idx]
    case_site = np.repeat(site_idx, repeats).astype(np.int64)
    case_time = np.repeat(time_idx, repeats).astype(np.int64)
    window = window_cases(case_site, (n_periods - 1 - case_time).astype(np.int64), n_sites, length)
    best_llr = np.zeros(n_sites)
    best_step = np.full(n_sites, -1, dtype=np.int64)
    best_length = np.zeros(n_sites, dtype=np.int64)
    scan_configuration(window, offsets, members, inside, block_offsets, block_start, period_cases, float(total),
                       int(min_cases), best_llr, best_step, best_length, True)

    tasks = [
        _ReplicateTask(case_site=case_site, case_time=case_time, n_periods=n_periods, n_sites=n_sites,
                       offsets=offsets, members=members, inside=inside, block_offsets=block_offsets,
                       block_start=block_start, period_cases=period_cases, total=float(total),
                       min_cases=int(min_cases), batch=b)
        for b in batches(permutations, seed)
    ]
    simulated = np.concatenate(compute_map(_replicates, tasks, scheduler=scheduler, n_jobs=n_jobs))

    ids_of_site: list[list[str]] = [[] for _ in range(n_sites)]
    for i, s in enumerate(site_of):
        ids_of_site[s].append(str(cube.locations[i]))
    clusters: list[SpaceTimeCluster] = []
    used = np.zeros(n_sites, dtype=bool)
    days = PERIOD_DAYS.get(cube.period, float("nan"))
    for centre in np.argsort(-best_llr, kind="stable"):
        if best_llr[centre] <= 0 or len(clusters) >= max_clusters:
            break
        step = int(best_step[centre])
        inside_sites = members[offsets[centre]:step + 1]
        if used[inside_sites].any():
            continue
        llr = float(best_llr[centre])
        p = float(monte_carlo_p(llr, simulated, "greater"))
        if clusters and p >= 1.0:  # weaker than every replicate's maximum: SaTScan does not report these
            break
        used[inside_sites] = True
        n_len = int(best_length[centre])
        observed = int(site_counts[inside_sites][:, n_periods - n_len:].sum())
        expected = float(inside[step] * period_cases[n_len - 1] / total)
        far = site_xy[members[step]] - site_xy[centre]
        clusters.append(SpaceTimeCluster(
            rank=len(clusters) + 1,
            locations=tuple(loc for s in inside_sites for loc in ids_of_site[s]),
            centre=ids_of_site[centre][0],
            radius_km=float(np.hypot(far[0], far[1])),
            start=cube.periods[n_periods - n_len],
            end=cube.periods[-1],
            n_periods=n_len,
            observed=observed,
            expected=expected,
            llr=llr,
            p=p,
            recurrence_periods=1.0 / p,
            recurrence_days=days / p,
        ))
    return SpaceTimeScan(
        clusters=tuple(clusters), simulated=simulated, total=total, n_locations=n_loc, periods=cube.periods,
        max_spatial_share=share, max_temporal_length=length,
        max_radius_km=None if max_radius_km is None else float(max_radius_km), min_cases=int(min_cases),
        permutations=int(permutations), seed=seed.entropy, activity=cube.activity, period=cube.period,
        as_of=cube.as_of,
    )
