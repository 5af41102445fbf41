"""Kulldorff's Bernoulli spatial scan statistic, as SaTScan computes it: where is an activity concentrated?

Cases are the firms of an activity, controls all other firms. Circular windows are centred on every firm site and
grown by nearest neighbour up to a maximum share of the firms (and, optionally, a maximum radius); each window is
scored by its Bernoulli log-likelihood ratio against the rest of the study area, high rates only. The window with
the largest ratio is the most likely cluster; Monte Carlo replicates, with the cases reassigned at random among all
firms (their total fixed, drawn over the firms in site order so that the input's row order does not matter), give
its p-value. Secondary clusters are the best windows of other centres that share no site with a cluster already
reported (SaTScan's default "no geographical overlap").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from clusterwatch.analysis.geometry import EARTH_RADIUS_KM
from clusterwatch.analysis.space._bernoulli_kernels import (
    SHIFT,
    Inverse,
    Windows,
    best_per_centre,
    floyd_counts,
    floyd_set_size,
    inverse,
    replicate_maxima,
    tail_shuffle_counts,
    windows,
    xlogx_table,
)
from clusterwatch.compute import Batch, batches, compute_map
from clusterwatch.errors import InputError, OptionError
from clusterwatch.stats import check_permutations, monte_carlo_p, resolve_seed
from clusterwatch.stats.inference import Seed

#: Each centre's window list (its sites by distance while the population and radius caps hold): the compiled
#: kernel every Bernoulli scan builds its circles with, public under this name for tests and reuse.
scan_windows = windows

COORDINATES: tuple[str, ...] = ("latlon", "xy")


@dataclass(frozen=True)
class BernoulliScanResult:
    """The most likely cluster and the secondary clusters of a Bernoulli spatial scan.

    Attributes
    ----------
    clusters
        One row per reported cluster, most likely first: ``cluster`` (1 = most likely), ``center_location``,
        the centre's coordinates (``lat``/``lon`` or ``x``/``y``), ``radius`` (km for lat/lon, else the unit of
        x/y), ``locations`` (sites), ``firms`` (population), ``cases``, ``expected`` (cases × firms / all firms),
        ``observed_expected``, ``relative_risk`` (the rate inside over the rate outside), ``llr`` and
        ``p_value`` (against the replicates' maximum LLR, as SaTScan reports it for every cluster). Like SaTScan,
        a secondary cluster weaker than every replicate's maximum (p = 1) is not reported, nor any after it.
    locations
        One row per distinct site (identical coordinates are one site), indexed by location number: coordinates,
        ``firms``, ``cases``, ``cluster`` (the reported cluster holding it, ``<NA>`` if none).
    firm_location
        The site of each firm, aligned on the input frame's index.
    firm_case
        Whether each firm is a case, aligned on the input frame's index.
    simulated_llr
        The maximum LLR of each Monte Carlo replicate.
    total_cases, total_firms
        Cases and firms of the study area.
    max_population, max_radius, min_cases, permutations, coordinates
        The options the scan ran with.
    seed
        The entropy of the seed the replicates were drawn with.
    seed_spawn_key
        Its spawn key (empty for a plain int seed): ``numpy.random.SeedSequence(seed, spawn_key=seed_spawn_key)``
        passed as ``rng`` to :func:`bernoulli_scan` repeats the replicates exactly.
    """

    clusters: pd.DataFrame
    locations: pd.DataFrame
    firm_location: pd.Series = field(repr=False)
    firm_case: pd.Series = field(repr=False)
    simulated_llr: np.ndarray = field(repr=False)
    total_cases: int
    total_firms: int
    max_population: float
    max_radius: float | None
    min_cases: int
    permutations: int
    coordinates: str
    seed: int
    seed_spawn_key: tuple[int, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The reported clusters, one row each (a copy of :attr:`clusters`)."""
        return self.clusters.copy()

    @property
    def most_likely(self) -> pd.Series | None:
        """The most likely cluster's row; None when no window has a higher rate than outside."""
        return self.clusters.iloc[0] if len(self.clusters) else None

    @property
    def membership(self) -> pd.Series:
        """The reported cluster of each firm (``<NA>`` outside every cluster), aligned on the input's index."""
        cluster = self.locations["cluster"].to_numpy()
        return pd.Series(
            pd.array(cluster[self.firm_location.to_numpy()], dtype="Int64"),
            index=self.firm_location.index,
            name="cluster",
        )

    def firms_in(self, cluster: int) -> pd.Index:
        """Index labels (of the input frame) of the firms inside reported cluster ``cluster``."""
        if cluster not in set(self.clusters["cluster"]):
            raise OptionError(f"cluster must be one of {self.clusters['cluster'].tolist()}, got {cluster!r}")
        sites = (self.locations["cluster"] == cluster).fillna(False).to_numpy(dtype=bool)
        return self.firm_location.index[sites[self.firm_location.to_numpy()]]  # one gather, no per-firm Int64


# ----------------------------------------------------------------------------------------------------------------
# inputs
# ----------------------------------------------------------------------------------------------------------------


def case_mask(firms: pd.DataFrame, cases: pd.Series | np.ndarray | str) -> np.ndarray:
    """Validate a case indicator (a boolean column name, Series aligned on ``firms`` or array) as a bool array."""
    if isinstance(cases, str):
        if cases not in firms.columns:
            raise OptionError(f"cases names column {cases!r}, which firms lacks; columns: {', '.join(firms.columns)}")
        cases = firms[cases]
    if isinstance(cases, pd.Series):
        if not cases.index.equals(firms.index):
            raise OptionError("cases must be aligned on the firms' index (same labels, same order)")
        if cases.isna().any():
            raise OptionError(f"cases has {int(cases.isna().sum())} missing values; give True or False for every firm")
        values = cases.to_numpy()
    else:
        values = np.asarray(cases)
    if values.shape != (len(firms),):
        raise OptionError(f"cases must have one value per firm ({len(firms)}), got shape {values.shape}")
    if values.dtype != bool:
        unique = set(pd.unique(values).tolist())
        if not unique <= {0, 1}:  # True and False compare equal to 1 and 0
            raise OptionError(f"cases must be True/False per firm, got values such as {sorted(map(str, unique))[:5]}")
    return values.astype(bool, copy=False)  # an activity's own mask, not a copy per activity


def site_points(firms: pd.DataFrame, coordinates: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct sites in lexicographic coordinate order, their working points, and each firm's site number.

    For ``latlon`` the working points are 3-D positions on a sphere of the Earth's mean radius (km), whose chord
    distances order sites exactly as great-circle distances do; for ``xy`` they are the planar x/y as given.
    """
    if coordinates not in COORDINATES:
        raise OptionError(f"coordinates must be one of {', '.join(COORDINATES)}, got {coordinates!r}")
    names = ("lat", "lon") if coordinates == "latlon" else ("x", "y")
    missing = [c for c in names if c not in firms.columns]
    if missing:
        raise InputError(f"firms lack the coordinate column(s) {', '.join(missing)} needed for {coordinates!r}")
    first = pd.to_numeric(firms[names[0]], errors="coerce").to_numpy(dtype=float)
    second = pd.to_numeric(firms[names[1]], errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(first) & np.isfinite(second))
    if coordinates == "latlon":
        bad |= (np.abs(first) > 90) | (np.abs(second) > 180)
    if bad.any():
        raise InputError(f"{int(bad.sum())} firms have missing or impossible {'/'.join(names)}; drop or locate them")
    pairs = np.column_stack([first, second]) if coordinates == "xy" else np.column_stack([second, first])
    sites, firm_site = np.unique(pairs, axis=0, return_inverse=True)  # lexicographic: first column, then second
    if coordinates == "xy":
        points = sites
        coords = sites
    else:
        lon, lat = np.radians(sites[:, 0]), np.radians(sites[:, 1])
        points = EARTH_RADIUS_KM * np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
        coords = sites[:, ::-1]  # lat, lon
    return np.ascontiguousarray(points), coords, firm_site.reshape(-1).astype(np.int64)


def _distance(points: np.ndarray, i: int, j: np.ndarray, coordinates: str) -> np.ndarray:
    chord = np.sqrt(((points[j] - points[i]) ** 2).sum(axis=1))
    if coordinates == "xy":
        return chord
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / (2 * EARTH_RADIUS_KM), 0.0, 1.0))


# ----------------------------------------------------------------------------------------------------------------
# the scan
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ScanTask:
    """One batch of replicates and the (shared, read-only) data it needs."""

    batch: Batch
    site_firms: np.ndarray
    population: np.ndarray
    windows: Windows
    inverse: Inverse
    table: np.ndarray
    total_cases: int
    total: int
    min_cases: int
    null_term: float


def _scan_batch(task: _ScanTask) -> np.ndarray:
    """Maximum LLR of each replicate of a batch: the cases are a random set of ``total_cases`` firms.

    The drawn positions index the firms in site order (``site_firms``, the sorted site numbers), not in the input's
    row order: firms of one site are interchangeable, so the replicates do not depend on how the rows are ordered.
    Each replicate's draw is counted per site at once, so a batch holds replicates × sites counts, never
    replicates × cases firm numbers (100 × 400,000 int64 for a national sector was 320 MB a task).
    """
    rng = task.batch.generator()
    n_sites = task.population.shape[0]
    total, cases = task.total, task.total_cases
    site_cases = np.empty((task.batch.size, n_sites), dtype=np.int32)
    counts = np.empty(n_sites, dtype=np.int64)
    # the kernels make numpy's very draws (Generator.choice(total, cases, replace=False): a tail shuffle of
    # arange(total) for a sample over 1/50 of more than 10,000, else Floyd's algorithm) on the generator's own
    # state, counting the sample per site at once, without numpy's int64 arrays of firm numbers per replicate
    native = isinstance(rng.bit_generator, np.random.PCG64)
    tail = total > 10_000 and cases > total // 50
    if native:
        state = rng.bit_generator.ctypes.state_address
        if tail:
            work = task.site_firms.copy()
            touched = np.empty(cases, dtype=np.int64)
        else:
            hash_set = np.empty(floyd_set_size(cases), dtype=np.uint64)
    for b in range(task.batch.size):
        if not native:
            chosen = rng.choice(total, size=cases, replace=False)
            counts = np.bincount(task.site_firms[chosen], minlength=n_sites)
        elif tail:
            tail_shuffle_counts(state, total, cases, task.site_firms, work, touched, counts)
        else:
            floyd_counts(state, total, cases, task.site_firms, hash_set, counts)
        site_cases[b] = counts
    inv = task.inverse
    return replicate_maxima(site_cases, task.population, task.windows.offsets, task.windows.neighbours,
                            task.table, task.total_cases, task.total, task.min_cases, task.null_term,
                            inv.offsets, inv.entries, inv.centre, inv.firms)


@dataclass(frozen=True)
class _Study:
    """What every activity scanned on the same firms shares: sites, populations and the window lists."""

    firms: pd.DataFrame
    coordinates: str
    points: np.ndarray
    coords: np.ndarray
    firm_site: np.ndarray
    site_firms: np.ndarray
    population: np.ndarray
    windows: Windows
    inverse: Inverse
    table: np.ndarray
    max_population: float
    max_radius: float | None


def _check_options(max_population: float, max_radius: float | None, min_cases: int, max_clusters: int,
                   permutations: int) -> int:
    if isinstance(max_population, bool) or not isinstance(max_population, int | float) or not (
        0 < max_population <= 0.5
    ):
        raise OptionError(f"max_population must be a share of the firms in (0, 0.5], got {max_population!r}")
    if max_radius is not None and (isinstance(max_radius, bool) or not isinstance(max_radius, int | float)
                                   or not max_radius > 0):
        raise OptionError(f"max_radius must be a positive distance or None, got {max_radius!r}")
    if isinstance(min_cases, bool) or not isinstance(min_cases, int | np.integer) or min_cases < 1:
        raise OptionError(f"min_cases must be an int >= 1, got {min_cases!r}")
    if isinstance(max_clusters, bool) or not isinstance(max_clusters, int | np.integer) or max_clusters < 1:
        raise OptionError(f"max_clusters must be an int >= 1, got {max_clusters!r}")
    return check_permutations(permutations)


def _site_dtype(n_sites: int) -> type[np.integer]:
    """The smallest unsigned type that numbers the sites (the replicates gather from a per-firm array of them)."""
    return np.uint16 if n_sites <= np.iinfo(np.uint16).max else np.uint32


def _study(firms: pd.DataFrame, coordinates: str, max_population: float, max_radius: float | None,
           n_jobs: int | None) -> _Study:
    points, coords, firm_site = site_points(firms, coordinates)
    population = np.bincount(firm_site, minlength=points.shape[0]).astype(np.int64)
    max_distance = np.inf
    if max_radius is not None:
        max_distance = float(max_radius)
        if coordinates == "latlon":  # the chord of a great-circle radius
            max_distance = 2 * EARTH_RADIUS_KM * np.sin(min(max_distance / (2 * EARTH_RADIUS_KM), np.pi / 2))
    lists = windows(points, population, max_population * len(firms), max_distance, n_jobs)
    return _Study(
        firms=firms, coordinates=coordinates, points=points, coords=coords, firm_site=firm_site,
        site_firms=np.sort(firm_site).astype(_site_dtype(points.shape[0])), population=population,
        windows=lists, inverse=inverse(lists, population),
        table=xlogx_table(len(firms)), max_population=float(max_population),
        max_radius=None if max_radius is None else float(max_radius),
    )


def _replicate_tasks(study: _Study, case: np.ndarray, min_cases: int, permutations: int,
                     seed: Seed) -> list[_ScanTask]:
    """The replicate batches of one activity; every task refers to the study's arrays (scattered once on Dask)."""
    total, total_cases = len(case), int(case.sum())
    table = study.table
    null_term = float(table[total_cases] + table[total - total_cases] - table[total])
    return [_ScanTask(batch, study.site_firms, study.population, study.windows, study.inverse, table, total_cases,
                      total, min_cases, null_term) for batch in batches(permutations, seed)]


def _scan(study: _Study, case: np.ndarray, *, min_cases: int, max_clusters: int, permutations: int,
          rng: int | np.random.Generator | np.random.SeedSequence | None, scheduler: str | None,
          n_jobs: int | None, simulated: np.ndarray | None = None) -> BernoulliScanResult:
    seed = resolve_seed(rng)  # a SeedSequence (an activity's child seed) keeps its spawn key
    total = len(case)
    total_cases = int(case.sum())
    if total_cases == 0 or total_cases == total:
        raise OptionError(f"cases must be some but not all firms; got {total_cases} cases among {total} firms")
    population, offsets, neighbours = study.population, study.windows.offsets, study.windows.neighbours
    n_sites = population.size
    site_cases = np.bincount(study.firm_site[case], minlength=n_sites).astype(np.int64)
    table = study.table
    null_term = float(table[total_cases] + table[total - total_cases] - table[total])
    best, size = best_per_centre(population + (site_cases << SHIFT), offsets, neighbours, table, total_cases, total,
                                 int(min_cases))
    llr = best - null_term

    if simulated is None:  # bernoulli_scan_each runs the replicates of all activities in one map
        simulated = np.concatenate(compute_map(_scan_batch, _replicate_tasks(study, case, int(min_cases),
                                                                             permutations, seed),
                                               scheduler=scheduler, n_jobs=n_jobs))

    # secondary clusters: each centre's best window, in decreasing LLR, kept when it shares no site with one kept
    candidates = np.flatnonzero(np.isfinite(best))
    candidates = candidates[np.lexsort((candidates, -llr[candidates]))]
    taken = np.zeros(n_sites, dtype=bool)
    site_cluster = np.zeros(n_sites, dtype=np.int64)
    rows: list[dict[str, Any]] = []
    names = ("lat", "lon") if study.coordinates == "latlon" else ("x", "y")
    for centre in candidates:
        members = neighbours[offsets[centre]:offsets[centre] + size[centre]].astype(np.int64)
        if taken[members].any():
            continue
        p_value = float(monte_carlo_p(float(llr[centre]), simulated, "greater"))
        if rows and p_value >= 1.0:  # weaker than every replicate's maximum: SaTScan reports no more (p < 1 only)
            break
        taken[members] = True
        number = len(rows) + 1
        site_cluster[members] = number
        n = int(population[members].sum())
        c = int(site_cases[members].sum())
        expected = total_cases * n / total
        rows.append({
            "cluster": number,
            "center_location": int(centre),
            names[0]: float(study.coords[centre, 0]),
            names[1]: float(study.coords[centre, 1]),
            "radius": float(_distance(study.points, int(centre), members, study.coordinates).max()),
            "locations": int(members.size),
            "firms": n,
            "cases": c,
            "expected": expected,
            "observed_expected": c / expected,
            "relative_risk": (c / n) / ((total_cases - c) / (total - n)) if total_cases > c else np.inf,
            "llr": float(llr[centre]),
            "p_value": p_value,
        })
        if number >= max_clusters:
            break
    columns = ["cluster", "center_location", *names, "radius", "locations", "firms", "cases", "expected",
               "observed_expected", "relative_risk", "llr", "p_value"]
    locations = pd.DataFrame({
        names[0]: study.coords[:, 0],
        names[1]: study.coords[:, 1],
        "firms": population,
        "cases": site_cases,
        "cluster": pd.array(site_cluster, dtype="Int64"),
    })
    locations.loc[site_cluster == 0, "cluster"] = pd.NA
    locations.index.name = "location"
    index = study.firms.index
    return BernoulliScanResult(
        clusters=pd.DataFrame(rows, columns=columns),
        locations=locations,
        firm_location=pd.Series(study.firm_site, index=index, name="location", copy=False),  # shared, not per activity
        firm_case=pd.Series(case, index=index, name="case", copy=False),  # the activity's mask, not a copy
        simulated_llr=simulated,
        total_cases=total_cases,
        total_firms=total,
        max_population=study.max_population,
        max_radius=study.max_radius,
        min_cases=int(min_cases),
        permutations=permutations,
        coordinates=study.coordinates,
        seed=seed.entropy,
        seed_spawn_key=seed.spawn_key,
    )


def bernoulli_llr(cases: Any, firms: Any, total_cases: int, total: int) -> np.ndarray:
    """Kulldorff's Bernoulli log-likelihood ratio of zones holding ``cases`` of ``firms``, in a study area of
    ``total_cases`` of ``total`` (high rates only: 0 where the zone's rate is not above the rest's).

    The ratio every window of :func:`bernoulli_scan` is scored by, for zones that are not one circle (two
    touching circles of one site, say).

    Parameters
    ----------
    cases, firms
        Cases and firms inside each zone (scalars or arrays).
    total_cases, total
        Cases and firms in the study area.

    Returns
    -------
    numpy.ndarray
        The ratio per zone (a 0-d array for scalars).

    Examples
    --------
    >>> round(float(bernoulli_llr(9, 9, 618, 5623)), 2)
    19.93
    >>> float(bernoulli_llr(1, 100, 618, 5623))
    0.0
    """
    from scipy.special import xlogy

    c, n = np.asarray(cases, dtype=float), np.asarray(firms, dtype=float)
    big_c, big_n = float(total_cases), float(total)
    if np.any((c < 0) | (c > n) | (n > big_n) | (big_c - c < 0) | (big_c - c > big_n - n)):
        raise InputError("zones must hold 0 <= cases <= firms, within the study area's cases and firms")
    with np.errstate(divide="ignore", invalid="ignore"):
        inside = xlogy(c, c / n) + xlogy(n - c, (n - c) / n)
        rest_n = big_n - n
        outside = xlogy(big_c - c, (big_c - c) / rest_n) + xlogy(rest_n - big_c + c, (rest_n - big_c + c) / rest_n)
        null = xlogy(big_c, big_c / big_n) + xlogy(big_n - big_c, (big_n - big_c) / big_n)
        llr = np.nan_to_num(inside + outside - null, nan=0.0)
    return np.where(c * big_n > big_c * n, llr, 0.0)


def bernoulli_scan(
    firms: pd.DataFrame,
    cases: pd.Series | np.ndarray | str,
    *,
    max_population: float = 0.5,
    max_radius: float | None = None,
    min_cases: int = 2,
    max_clusters: int = 10,
    permutations: int = 999,
    coordinates: str = "latlon",
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
    scheduler: str | None = "threads",
    n_jobs: int | None = None,
) -> BernoulliScanResult:
    """Kulldorff's Bernoulli spatial scan: the most likely cluster of an activity's firms and secondary clusters.

    Every firm is one individual: a case when it belongs to the activity, a control otherwise. Firms at identical
    coordinates form one site. Each site is the centre of circular windows grown by adding the nearest sites
    (ties in distance: the smaller coordinate first) while the window holds at most ``max_population`` of all
    firms and, when given, lies within ``max_radius``. A window with ``c`` cases among ``n`` firms, out of ``C``
    cases among ``N`` firms, has the log-likelihood ratio

    ``c ln(c/n) + (n-c) ln(1-c/n) + (C-c) ln((C-c)/(N-n)) + (N-n-C+c) ln(1-(C-c)/(N-n))``
    ``- [C ln(C/N) + (N-C) ln(1-C/N)]``

    when its rate is higher than outside (``c/n > (C-c)/(N-n)``) and it holds at least ``min_cases`` cases, and 0
    otherwise. Replicates draw ``C`` case firms at random among the ``N`` (the Bernoulli null); the p-value of a
    cluster is the share of replicate maxima at least as large, p = (M + 1) / (R + 1). The same firms in another
    row order give the same replicates and p-values.

    Parameters
    ----------
    firms
        One row per firm with ``lat``/``lon`` (WGS84) or, with ``coordinates="xy"``, planar ``x``/``y``.
    cases
        Which firms are cases: a boolean Series aligned on ``firms``, a boolean array, or the name of a boolean
        column of ``firms``.
    max_population
        Largest window, as a share of all firms: (0, 0.5]. SaTScan's default is 0.5.
    max_radius
        Optional largest window radius: km for lat/lon, the unit of x/y for planar coordinates.
    min_cases
        Fewest cases a high-rate window needs (SaTScan's default 2).
    max_clusters
        How many clusters to report at most: the most likely and up to ``max_clusters - 1`` secondary ones with
        p < 1 (SaTScan reports secondary clusters "with p < 1.0" only; the most likely one is always reported).
    permutations
        Monte Carlo replicates (999 as in SaTScan).
    coordinates
        ``"latlon"`` (distances on a sphere of the Earth's mean radius) or ``"xy"`` (planar).
    rng
        Seed (int), ``numpy.random.SeedSequence`` (a spawned child keeps its spawn key), ``numpy.random.Generator``
        or ``None``; the seed used (entropy and spawn key) is stored in the result.
    scheduler, n_jobs
        How the replicate batches run (:func:`clusterwatch.compute.compute_map`; the window lists are built on
        ``n_jobs`` threads unless ``scheduler`` is serial); the result does not depend on them.

    Returns
    -------
    BernoulliScanResult
        The reported clusters (``to_frame()``), the sites, each firm's site and cluster, the replicate maxima.

    Raises
    ------
    InputError
        When coordinate columns are missing or hold missing/impossible values.
    OptionError
        For a parameter outside its allowed values, or cases that are all or none of the firms.

    Notes
    -----
    Implements the purely spatial Bernoulli model of Kulldorff (1997) as SaTScan 10 runs it with circular windows
    centred on the data locations, "high rates" only and secondary clusters by "no geographical overlap": each
    centre's best window is a candidate; candidates are taken in decreasing LLR and kept when they share no site
    with a cluster kept before. Ties in distance go to the smaller x, then y (for lat/lon: the smaller longitude,
    then latitude; SaTScan compares its internal 3-D coordinates there). SaTScan's Gumbel p-values, elliptic
    windows, low-rate scans and its ASCII reports are left out.
    The windows of each centre are fixed across replicates and kept in memory (up to 500 million (centre, site)
    pairs); replicates evaluate only windows whose last site holds a case, the only ones that can be best.
    Each replicate draws ``C`` positions among ``0..N-1`` and makes cases of the firms at those positions in site
    order (sites numbered in lexicographic coordinate order), so the replicates depend on the firms' sites and the
    seed, never on the order of the rows. The replicates are cut into batches, each with its own child of the seed
    (``SeedSequence.spawn``), so they are the same on any scheduler and worker count.

    References
    ----------
    Kulldorff, M. (1997). A spatial scan statistic. *Communications in Statistics - Theory and Methods* 26(6),
    1481–1496. Kulldorff, M. (2022). *SaTScan User Guide for version 10.1*, sections "Bernoulli model" and
    "Criteria for reporting secondary clusters".

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> x = np.repeat(np.arange(10.0), 10)
    >>> firms = pd.DataFrame({"x": x, "y": np.tile(np.arange(10.0), 10)})
    >>> cases = (firms["x"] < 2) & (firms["y"] < 3)        # a 2 × 3 block of cases in one corner
    >>> result = bernoulli_scan(firms, cases, coordinates="xy", permutations=99, rng=1)
    >>> row = result.most_likely
    >>> int(row["cases"]), int(row["firms"]), bool(row["p_value"] <= 0.05)
    (6, 6, True)
    """
    case = case_mask(firms, cases)
    permutations = _check_options(max_population, max_radius, min_cases, max_clusters, permutations)
    study = _study(firms, coordinates, max_population, max_radius, 1 if scheduler in (None, "serial") else n_jobs)
    return _scan(study, case, min_cases=min_cases, max_clusters=max_clusters, permutations=permutations, rng=rng,
                 scheduler=scheduler, n_jobs=n_jobs)


def bernoulli_scan_each(
    firms: pd.DataFrame,
    activities: Mapping[str, pd.Series | np.ndarray | str],
    *,
    max_population: float = 0.5,
    max_radius: float | None = None,
    min_cases: int = 2,
    max_clusters: int = 10,
    permutations: int = 999,
    coordinates: str = "latlon",
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
    scheduler: str | None = "threads",
    n_jobs: int | None = None,
) -> dict[str, BernoulliScanResult]:
    """:func:`bernoulli_scan` of several activities on the same firms, building the windows once.

    The windows depend only on where the firms are, so scanning every sector of a region costs one window
    construction plus the replicates of each sector.

    Parameters
    ----------
    firms
        As in :func:`bernoulli_scan`.
    activities
        Activity label → its cases (anything :func:`bernoulli_scan` accepts as ``cases``).
    max_population, max_radius, min_cases, max_clusters, permutations, coordinates, scheduler, n_jobs
        As in :func:`bernoulli_scan`.
    rng
        Seed (int), ``numpy.random.SeedSequence`` (a spawned child keeps its spawn key), ``numpy.random.Generator``
        or ``None``. Each activity runs with the child of this seed keyed by its label
        (:meth:`clusterwatch.stats.Seed.child`: the parent's spawn key plus a stable hash of the label),
        stored in its result as ``seed`` and ``seed_spawn_key``. An activity's replicates therefore do not change
        when other activities are added, removed or reordered, two spawned parent seeds give different replicates,
        and :func:`bernoulli_scan` of the activity alone with
        ``SeedSequence(result.seed, spawn_key=result.seed_spawn_key)`` repeats them.

    Returns
    -------
    dict of str to BernoulliScanResult
        In the order of ``activities``.

    Raises
    ------
    InputError, OptionError
        As :func:`bernoulli_scan`, naming the activity when its cases are unusable.

    Notes
    -----
    Replicates are drawn as in :func:`bernoulli_scan` (over the firms in site order, so independent of row order),
    each activity from its own label-keyed child seed.

    The unit of distribution is one batch of one activity's replicates: all activities' batches go to
    :func:`clusterwatch.compute.compute_map` in a single call. Whole activities would be too coarse (a national
    run has a few hundred activities of very different sizes, and the one with the most cases would hold the
    whole run up), single replicates too fine (a task per replicate costs more in scheduling than the replicate
    itself on a small region); batches of :data:`clusterwatch.compute.BATCH_SIZE` replicates keep every worker
    busy, and the window lists and firm arrays, which all tasks share and which grow with the register, are sent
    to each Dask worker once per call rather than with every task. The batches and their seeds do not depend on
    the scheduler, so the results are the same on one core, on threads or on a cluster.

    References
    ----------
    Kulldorff, M. (1997). A spatial scan statistic. *Communications in Statistics - Theory and Methods* 26(6),
    1481–1496.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> firms = pd.DataFrame({"x": np.arange(40.0), "y": 0.0})
    >>> found = bernoulli_scan_each(firms, {"left": firms["x"] < 5, "right": firms["x"] > 34}, coordinates="xy",
    ...                             permutations=99, rng=2)
    >>> [(label, int(r.most_likely["cases"])) for label, r in found.items()]
    [('left', 5), ('right', 5)]
    """
    masks = {}
    for label, cases in activities.items():
        try:
            masks[str(label)] = case_mask(firms, cases)
        except OptionError as exc:
            raise OptionError(f"activity {label!r}: {exc}") from None
    permutations = _check_options(max_population, max_radius, min_cases, max_clusters, permutations)
    base = resolve_seed(rng)  # entropy and spawn key: two spawned parents must not give the same replicates
    study = _study(firms, coordinates, max_population, max_radius, 1 if scheduler in (None, "serial") else n_jobs)
    # the unit of distribution: (activity, replicate batch); see Notes
    seeds = {label: base.child(label) for label in masks}
    tasks: list[_ScanTask] = []
    for label, case in masks.items():
        if not 0 < int(case.sum()) < len(case):
            raise OptionError(f"activity {label!r}: cases must be some but not all firms; got {int(case.sum())} "
                              f"cases among {len(case)} firms")
        tasks += _replicate_tasks(study, case, int(min_cases), permutations, resolve_seed(seeds[label]))
    maxima = compute_map(_scan_batch, tasks, scheduler=scheduler, n_jobs=n_jobs)
    per_activity = len(tasks) // max(len(masks), 1)  # the same batches for every activity
    results = {}
    for k, (label, case) in enumerate(masks.items()):
        try:
            simulated = np.concatenate(maxima[k * per_activity:(k + 1) * per_activity])
            results[label] = _scan(study, case, min_cases=min_cases, max_clusters=max_clusters,
                                   permutations=permutations, rng=seeds[label], scheduler=scheduler,
                                   n_jobs=n_jobs, simulated=simulated)
        except OptionError as exc:
            raise OptionError(f"activity {label!r}: {exc}") from None
    return results
