"""Getis–Ord Gi* hot spots of an activity's firms on H3 cells, with conditional permutation inference and FDR.

Firms are counted per H3 cell; each cell's Gi* compares the count in it and in its ring-k neighbours with the
study area's mean. Significance comes from conditional permutations (the cell's own count held fixed, the other
counts shuffled over its neighbours, as in PySAL's esda), Benjamini–Hochberg controls the false-discovery rate over
all cells, and each cell is labelled hot, cold or not significant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import h3
import numba
import numpy as np
import pandas as pd
from scipy import stats

from clusterwatch.analysis.space.scan import case_mask
from clusterwatch.compute import Batch, batches, compute_map
from clusterwatch.errors import InputError, OptionError
from clusterwatch.stats import benjamini_hochberg, check_alternative, check_permutations, monte_carlo_p, resolve_seed

#: Which cells form the study area (see :func:`hotspots`).
AREAS: tuple[str, ...] = ("firms", "ring")
#: Which p-value feeds the false-discovery control (see :func:`gi_star`).
INFERENCES: tuple[str, ...] = ("permutation", "normal")
#: Labels of :attr:`HotSpotResult.cells` ``hot_spot``.
HOT, COLD, NOT_SIGNIFICANT = "hot", "cold", "not significant"
_P_CHUNK = 4096  # cells per monte_carlo_p call, so that the replicate matrix is never copied whole


@dataclass(frozen=True)
class HotSpotResult:
    """Gi* per unit (H3 cell) with permutation p-values, FDR q-values and hot/cold labels.

    Attributes
    ----------
    cells
        One row per unit. From :func:`hotspots`: ``cell`` (H3 index), ``lat``/``lon`` (cell centre), ``firms``
        (all firms in the cell); always: ``count`` (the value tested: the activity's firms), ``neighbours``
        (units in the Gi* sum, the unit itself included), ``local_sum``, ``gi_star`` (local sum over the total),
        ``z`` (Ord & Getis 1995), ``p_sim`` (conditional permutations), ``p_norm`` (normal approximation of z),
        ``p_value`` (the one of the two chosen by ``inference``), ``q_value`` (Benjamini–Hochberg of
        ``p_value``), ``significant`` (q ≤ alpha) and ``hot_spot`` (``hot``, ``cold`` or ``not significant``).
    """

    cells: pd.DataFrame
    permutations: int
    alternative: str
    alpha: float
    inference: str
    seed: int
    resolution: int | None = None
    k: int | None = None
    area: str | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per cell (a copy of :attr:`cells`)."""
        return self.cells.copy()

    @property
    def hot(self) -> pd.DataFrame:
        """The cells labelled hot, strongest first."""
        return self.cells[self.cells["hot_spot"] == HOT].sort_values("z", ascending=False)

    @property
    def cold(self) -> pd.DataFrame:
        """The cells labelled cold, strongest first."""
        return self.cells[self.cells["hot_spot"] == COLD].sort_values("z")


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


@numba.njit(cache=True, nogil=True)
def _conditional_sums(values: np.ndarray, indptr: np.ndarray, draws: np.ndarray,
                      out: np.ndarray) -> None:  # pragma: no cover - compiled
    """Simulated local sums: unit i keeps its value and takes its neighbour count of other units' values.

    Row r of ``draws`` is one sample without replacement from 0..n-2; for unit i the first |N(i)| entries are
    used, each d mapped to unit d (d < i) or d + 1 (d ≥ i), so that i never draws itself (esda's scheme: one
    sample per replicate shared by all units, each unit's marginal distribution exact).
    """
    n = values.shape[0]
    for r in range(draws.shape[0]):
        for i in range(n):
            s = values[i]
            for t in range(indptr[i + 1] - indptr[i]):
                d = draws[r, t]
                s += values[d if d < i else d + 1]
            out[r, i] = s


@dataclass(frozen=True)
class _GiTask:
    batch: Batch
    values: np.ndarray
    indptr: np.ndarray
    width: int
    dtype: type


def _gi_batch(task: _GiTask) -> np.ndarray:
    """Simulated local sums for one batch of replicates, shape (replicates, units)."""
    rng = task.batch.generator()
    n = task.values.shape[0]
    draws = np.empty((task.batch.size, task.width), dtype=np.int64)
    for r in range(task.batch.size):
        draws[r] = rng.choice(n - 1, size=task.width, replace=False)
    out: np.ndarray = np.empty((task.batch.size, n), dtype=task.dtype)
    _conditional_sums(task.values, task.indptr, draws, out)
    return out


def _csr(neighbors: Sequence[Sequence[int]] | tuple[np.ndarray, np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Neighbour lists (self excluded) as CSR arrays, validated."""
    if isinstance(neighbors, tuple) and len(neighbors) == 2 and isinstance(neighbors[0], np.ndarray):
        indptr, indices = (np.asarray(a, dtype=np.int64) for a in neighbors)
    else:
        if len(neighbors) != n:
            raise OptionError(f"neighbors must list the neighbours of each of the {n} units, got {len(neighbors)}")
        lengths = np.array([len(row) for row in neighbors], dtype=np.int64)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        indices = (np.concatenate([np.asarray(row, dtype=np.int64) for row in neighbors])
                   if indptr[-1] else np.empty(0, dtype=np.int64))
    if indptr.shape != (n + 1,) or indptr[0] != 0 or (np.diff(indptr) < 0).any() or indptr[-1] != indices.size:
        raise OptionError("neighbors in CSR form must be (indptr of length n + 1, indices)")
    if indices.size and (indices.min() < 0 or indices.max() >= n):
        raise OptionError(f"neighbour indices must lie in 0..{n - 1}")
    rows = np.repeat(np.arange(n), np.diff(indptr))
    if (indices == rows).any():
        raise OptionError("a unit lists itself as a neighbour; Gi* adds the unit itself, so leave it out")
    return indptr, indices


def gi_star(
    values: np.ndarray | Sequence[float],
    neighbors: Sequence[Sequence[int]] | tuple[np.ndarray, np.ndarray],
    *,
    permutations: int = 999,
    alternative: str = "two-sided",
    alpha: float = 0.05,
    inference: str = "permutation",
    rng: int | np.random.Generator | None = None,
    scheduler: str | None = "threads",
    n_jobs: int | None = None,
) -> HotSpotResult:
    """Getis–Ord Gi* with binary weights, conditional permutation p-values and Benjamini–Hochberg q-values.

    For unit i with neighbour set N(i), W_i = |N(i)| + 1 (the unit itself has weight 1, as Gi* requires), n units
    with mean x̄ and standard deviation s (population form), the statistic is G*_i = Σ_{j ∈ N(i) ∪ {i}} x_j / Σ_j x_j
    and its z-score (Ord & Getis 1995, eq. 14 with binary weights)

    ``z_i = (Σ_{j ∈ N(i) ∪ {i}} x_j − x̄ W_i) / (s √((n W_i − W_i²) / (n − 1)))``.

    The p-value comes from conditional permutations: x_i stays, the |N(i)| neighbour values are drawn without
    replacement from the other n − 1 units; p = (M + 1) / (R + 1) on the local sum, which orders replicates as
    G*_i does (:func:`clusterwatch.stats.monte_carlo_p`).

    Parameters
    ----------
    values
        One value per unit (e.g. a count of firms), finite.
    neighbors
        Each unit's neighbours, the unit itself left out: a sequence of index sequences, or CSR arrays
        ``(indptr, indices)``.
    permutations
        Conditional permutations per unit (999); 0 is allowed with ``inference="normal"`` (``p_sim`` is then NaN).
    alternative
        ``"two-sided"`` (hot and cold spots: twice the smaller one-sided p, capped at 1), ``"greater"`` (hot spots
        only) or ``"less"`` (cold spots only).
    alpha
        False-discovery rate: a unit is significant when its Benjamini–Hochberg q-value is ≤ alpha.
    inference
        ``"permutation"`` (default): ``p_value`` is the conditional-permutation p; ``"normal"``: the normal
        approximation of z (as ArcGIS's Hot Spot Analysis reports it). With R permutations no p falls below
        1/(R + 1) (2/(R + 1) two-sided), so over m units Benjamini–Hochberg flags nothing unless roughly
        m · p_min / alpha units reach that floor: on thousands of cells use more permutations or ``"normal"``.
    rng
        Seed (int), ``numpy.random.Generator`` or ``None``; the seed used is stored in the result.
    scheduler, n_jobs
        How replicate batches run (:func:`clusterwatch.compute.compute_map`); results do not depend on them.

    Returns
    -------
    HotSpotResult
        ``cells`` indexed by unit number with count, neighbours, local_sum, gi_star, z, p_sim, p_norm,
        p_value, q_value, significant, hot_spot.

    Raises
    ------
    OptionError
        For parameters outside their allowed values, malformed neighbours, or non-finite values.

    Notes
    -----
    Like esda's ``G_Local(star=True)``, each replicate draws one sample that every unit uses (mapped around its
    own index), which keeps each unit's permutation distribution exact at a fraction of the cost. esda's
    ``p_sim`` is a folded one-sided p-value (the smaller tail, not doubled); the two-sided p here is twice that,
    up to esda counting the lower tail strictly. With no spread (s = 0) or a unit neighbouring every other unit,
    z is undefined (NaN) and the unit is not significant.

    References
    ----------
    Getis, A. & Ord, J. K. (1992). The analysis of spatial association by use of distance statistics.
    *Geographical Analysis* 24(3), 189–206. Ord, J. K. & Getis, A. (1995). Local spatial autocorrelation
    statistics: distributional issues and an application. *Geographical Analysis* 27(4), 286–306.
    Benjamini, Y. & Hochberg, Y. (1995). *JRSS B* 57, 289–300.

    Examples
    --------
    >>> values = [0, 0, 1, 9, 8, 9, 1, 0, 0]                      # a path of nine units
    >>> neighbors = [[j for j in (i - 1, i + 1) if 0 <= j < 9] for i in range(9)]
    >>> result = gi_star(values, neighbors, permutations=199, rng=3)
    >>> row = result.cells.loc[4]                                   # 8 between two 9s
    >>> float(row["local_sum"]), round(float(row["z"]), 2), bool(0 < row["p_value"] <= 1)
    (26.0, 2.81, True)
    """
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or x.size < 3:
        raise OptionError(f"values must be one number per unit, at least 3 units; got shape {x.shape}")
    if not np.isfinite(x).all():
        raise OptionError("values must be finite numbers (no NaN or infinity)")
    if inference not in INFERENCES:
        raise OptionError(f"inference must be one of {', '.join(INFERENCES)}, got {inference!r}")
    if not (inference == "normal" and permutations == 0 and not isinstance(permutations, bool)):
        permutations = check_permutations(permutations)
    check_alternative(alternative)
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise OptionError(f"alpha must be a false-discovery rate in (0, 1), got {alpha!r}")
    n = x.size
    indptr, indices = _csr(neighbors, n)
    seed = resolve_seed(rng)

    local = _local_sums(x, indptr, indices)
    weight = np.diff(indptr).astype(float) + 1.0
    mean = x.mean()
    spread = np.sqrt(max((x * x).mean() - mean * mean, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (local - mean * weight) / (spread * np.sqrt((n * weight - weight * weight) / (n - 1)))
    z[~np.isfinite(z)] = np.nan
    total = x.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = local / total if total != 0 else np.full(n, np.nan)

    integral = bool(np.all(x == np.round(x)) and np.abs(x).sum() < 2**24)
    dtype = np.float32 if integral else np.float64  # counts are exact in float32: half the memory
    width = int(np.diff(indptr).max())
    if permutations == 0:
        p_sim = np.full(n, np.nan)
    elif width:
        tasks = [_GiTask(batch, x, indptr, width, dtype) for batch in batches(permutations, seed)]
        simulated = np.concatenate(compute_map(_gi_batch, tasks, scheduler=scheduler, n_jobs=n_jobs))
        p_sim = np.empty(n)
        for start in range(0, n, _P_CHUNK):
            stop = min(n, start + _P_CHUNK)
            p_sim[start:stop] = monte_carlo_p(local[start:stop], simulated[:, start:stop], alternative)
        del simulated
    else:
        p_sim = np.ones(n)
    if alternative == "greater":
        p_norm = stats.norm.sf(z)
    elif alternative == "less":
        p_norm = stats.norm.cdf(z)
    else:
        p_norm = 2 * stats.norm.sf(np.abs(z))
    p_sim[np.isnan(z)] = np.nan
    p = p_sim if inference == "permutation" else p_norm
    q = benjamini_hochberg(p)
    significant = np.nan_to_num(q, nan=1.0) <= alpha
    label = np.where(significant & (z > 0), HOT, np.where(significant & (z < 0), COLD, NOT_SIGNIFICANT))
    cells = pd.DataFrame({
        "count": x,
        "neighbours": weight.astype(np.int64),
        "local_sum": local,
        "gi_star": statistic,
        "z": z,
        "p_sim": p_sim,
        "p_norm": p_norm,
        "p_value": p,
        "q_value": q,
        "significant": significant,
        "hot_spot": label,
    })
    cells.index.name = "unit"
    return HotSpotResult(cells=cells, permutations=int(permutations), alternative=alternative, alpha=float(alpha),
                         inference=inference, seed=seed.entropy)


def hotspots(
    firms: pd.DataFrame,
    cases: pd.Series | np.ndarray | str | None = None,
    *,
    resolution: int = 9,
    k: int = 1,
    area: str = "firms",
    permutations: int = 999,
    alternative: str = "two-sided",
    alpha: float = 0.05,
    inference: str = "permutation",
    rng: int | np.random.Generator | None = None,
    scheduler: str | None = "threads",
    n_jobs: int | None = None,
) -> HotSpotResult:
    """Gi* hot and cold spots of an activity's firms counted on H3 cells.

    Each firm falls in one H3 cell of ``resolution``; a cell's value is its number of case firms (the activity's
    firms; all firms when ``cases`` is None). Neighbours are the cells within ``k`` grid steps (H3 ``grid_disk``)
    that belong to the study area; the cell itself is always in its own Gi* sum. See :func:`gi_star` for the
    statistic and its inference.

    Parameters
    ----------
    firms
        One row per firm with ``lat``/``lon`` (WGS84).
    cases
        Which firms to count: a boolean Series aligned on ``firms``, a boolean array, a boolean column name, or
        None for all firms.
    resolution
        H3 resolution 0–15 (9: cells of about 0.1 km², 174 m edges).
    k
        Neighbourhood: cells within k grid steps (k = 1: the six adjacent cells).
    area
        The study area, i.e. which cells with a count of zero take part: ``"firms"`` (default) — every cell that
        holds at least one firm of the frame, so a zero means firms are there but none of the activity, and
        empty land (fields, water) is left out; ``"ring"`` — those cells and every cell within ``k`` steps of
        them, so zeros also mark the empty surroundings of where firms sit.
    permutations, alternative, alpha, inference, rng, scheduler, n_jobs
        As in :func:`gi_star`.

    Returns
    -------
    HotSpotResult
        ``cells`` with ``cell``, ``lat``, ``lon``, ``firms`` and the Gi* columns; ``resolution``, ``k``, ``area``.

    Raises
    ------
    InputError
        When ``lat``/``lon`` are missing or hold missing/impossible values.
    OptionError
        For parameters outside their allowed values, or fewer than three cells.

    References
    ----------
    Getis, A. & Ord, J. K. (1992). *Geographical Analysis* 24(3), 189–206. Ord, J. K. & Getis, A. (1995).
    *Geographical Analysis* 27(4), 286–306. Uber Technologies (2018). *H3: a hexagonal hierarchical geospatial
    indexing system*.

    Examples
    --------
    >>> import h3, pandas as pd
    >>> centre = h3.latlng_to_cell(49.1, -122.6, 9)
    >>> cells = sorted(h3.grid_disk(centre, 5))                   # 91 cells, two firms in each
    >>> firms = pd.DataFrame([h3.cell_to_latlng(c) for c in cells for _ in range(2)], columns=["lat", "lon"])
    >>> near = [c in h3.grid_disk(centre, 1) for c in cells for _ in range(2)]   # the activity: 7 middle cells
    >>> result = hotspots(firms, near, permutations=9999, alternative="greater", rng=1)
    >>> row = result.cells.set_index("cell").loc[centre]
    >>> int(row["count"]), int(row["local_sum"]), row["hot_spot"]
    (2, 14, 'hot')
    """
    if isinstance(resolution, bool) or not isinstance(resolution, int | np.integer) or not 0 <= resolution <= 15:
        raise OptionError(f"resolution must be an H3 resolution 0..15, got {resolution!r}")
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise OptionError(f"k must be an int >= 1 (grid steps), got {k!r}")
    if area not in AREAS:
        raise OptionError(f"area must be one of {', '.join(AREAS)}, got {area!r}")
    for column in ("lat", "lon"):
        if column not in firms.columns:
            raise InputError(f"firms lack the coordinate column {column!r}")
    lat = pd.to_numeric(firms["lat"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(firms["lon"], errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(lat) & np.isfinite(lon)) | (np.abs(lat) > 90) | (np.abs(lon) > 180)
    if bad.any():
        raise InputError(f"{int(bad.sum())} firms have missing or impossible lat/lon; drop or locate them")
    counted = np.ones(len(firms), dtype=bool) if cases is None else case_mask(firms, cases)

    pairs = pd.DataFrame({"lat": lat, "lon": lon})
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(pairs))
    site_cells = np.array([h3.latlng_to_cell(a, b, int(resolution)) for a, b in uniques], dtype=object)
    firm_cells = site_cells[codes] if len(firms) else np.empty(0, dtype=object)
    occupied = pd.Series(firm_cells).value_counts()
    counts = pd.Series(firm_cells[counted]).value_counts()
    cell_ids = list(occupied.index)
    if area == "ring":
        ring = {c for cell in cell_ids for c in h3.grid_disk(cell, int(k))}
        cell_ids = cell_ids + sorted(ring.difference(cell_ids))
    cell_ids = sorted(cell_ids)
    if len(cell_ids) < 3:
        raise OptionError(f"Gi* needs at least 3 cells; the firms fall in {len(cell_ids)} at resolution {resolution}")
    position = {cell: i for i, cell in enumerate(cell_ids)}
    neighbors = [
        [position[c] for c in h3.grid_disk(cell, int(k)) if c != cell and c in position] for cell in cell_ids
    ]
    values = counts.reindex(cell_ids, fill_value=0).to_numpy(dtype=float)
    result = gi_star(values, neighbors, permutations=permutations, alternative=alternative, alpha=alpha,
                     inference=inference, rng=rng, scheduler=scheduler, n_jobs=n_jobs)
    centres = np.array([h3.cell_to_latlng(cell) for cell in cell_ids])
    cells = result.cells.reset_index(drop=True)
    cells.insert(0, "cell", cell_ids)
    cells.insert(1, "lat", centres[:, 0])
    cells.insert(2, "lon", centres[:, 1])
    cells.insert(3, "firms", occupied.reindex(cell_ids, fill_value=0).to_numpy(dtype=np.int64))
    cells["count"] = cells["count"].astype(np.int64)
    cells["local_sum"] = cells["local_sum"].astype(np.int64)
    return HotSpotResult(cells=cells, permutations=result.permutations, alternative=result.alternative,
                         alpha=result.alpha, inference=result.inference, seed=result.seed,
                         resolution=int(resolution), k=int(k), area=area)
