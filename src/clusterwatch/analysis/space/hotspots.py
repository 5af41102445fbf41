"""Getis–Ord Gi* hot spots of an activity's firms on H3 cells, with Benjamini–Hochberg false-discovery control.

Firms are counted per H3 cell; each cell's Gi* compares the count in it and in its ring-k neighbours with the
study area's mean (:func:`clusterwatch.stats.gi_star` on :func:`clusterwatch.stats.h3_graph`). Significance comes
from the one Gi* null of the package (total randomisation, or esda's conditional one on request), Benjamini–Hochberg
controls the false-discovery rate over all cells, and each cell is labelled hot, cold or not significant.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import h3
import numpy as np
import pandas as pd

from clusterwatch.analysis.space.bernoulli import case_mask
from clusterwatch.errors import InputError, OptionError
from clusterwatch.stats import benjamini_hochberg, check_alternative, check_permutations, resolve_seed
from clusterwatch.stats.gistar import NULLS, check_null
from clusterwatch.stats.gistar import gi_star as _gi_star
from clusterwatch.stats.neighbours import NeighbourGraph, from_lists, h3_graph

#: Which cells form the study area (see :func:`hotspots`).
AREAS: tuple[str, ...] = ("firms", "ring")
#: Which p-value feeds the false-discovery control (see :func:`hotspots_on_graph`).
INFERENCES: tuple[str, ...] = ("permutation", "normal", "exact")
#: Labels of :attr:`HotSpotResult.cells` ``hot_spot``.
HOT, COLD, NOT_SIGNIFICANT = "hot", "cold", "not significant"
__all__ = ["AREAS", "COLD", "HOT", "INFERENCES", "NOT_SIGNIFICANT", "NULLS", "HotSpotResult", "gi_star", "hotspots",
           "hotspots_on_graph"]


@dataclass(frozen=True)
class HotSpotResult:
    """Gi* per unit (H3 cell) with permutation p-values, FDR q-values and hot/cold labels.

    Attributes
    ----------
    cells
        One row per unit. From :func:`hotspots`: ``cell`` (H3 index), ``lat``/``lon`` (cell centre), ``firms``
        (all firms in the cell); always: ``count`` (the value tested: the activity's firms), ``neighbours``
        (units in the Gi* sum, the unit itself included), ``local_sum``, ``gi_star`` (local sum over the total),
        ``z`` (Ord & Getis 1995), ``p_sim`` (permutations under ``null``), ``p_norm`` (normal approximation of z),
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
    null: str = "total"

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


def hotspots_on_graph(
    values: np.ndarray | Sequence[float],
    graph: NeighbourGraph | Sequence[Sequence[int]],
    *,
    null: str = "total",
    permutations: int = 999,
    alternative: str = "two-sided",
    alpha: float = 0.05,
    inference: str = "permutation",
    rng: int | np.random.Generator | None = None,
    scheduler: str | None = "threads",
    n_jobs: int | None = None,
) -> HotSpotResult:
    """Gi* of every unit of a graph (:func:`clusterwatch.stats.gi_star`), Benjamini–Hochberg q-values, hot/cold labels.

    Parameters
    ----------
    values
        One value per unit (e.g. a count of firms), finite.
    graph
        A :class:`~clusterwatch.stats.NeighbourGraph` with self-weight 1, or each unit's list of other neighbours.
    null
        ``"total"`` (default, the package's one Gi* null: values placed at random over the units, the null of the
        Ord & Getis moments) or ``"conditional"`` (esda's: the unit's own value held); see
        :func:`clusterwatch.stats.gi_star`.
    permutations
        Replicates (999); ``p_sim`` is computed whenever this is ≥ 1, and 0 is allowed unless inference is
        ``permutation`` (``p_sim`` is then NaN).
    alternative
        ``"two-sided"`` (hot and cold spots), ``"greater"`` (hot only) or ``"less"`` (cold only).
    alpha
        False-discovery rate: a unit is significant when its Benjamini–Hochberg q-value is ≤ alpha.
    inference
        Which p-value is ``p_value`` and goes into the false-discovery control: ``"permutation"`` (default),
        ``"normal"`` (the normal approximation of z, as ArcGIS's Hot Spot Analysis), or ``"exact"`` (the total null's
        exact distribution; whole counts only). With R permutations no p falls below 1/(R + 1) (2/(R + 1)
        two-sided), so over m units Benjamini–Hochberg flags nothing unless roughly m · p_min / alpha units reach
        that floor: on thousands of cells use more permutations, ``"exact"`` or ``"normal"``.
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

    Examples
    --------
    >>> values = [0, 0, 1, 9, 8, 9, 1, 0, 0]                      # a path of nine units
    >>> neighbours = [[j for j in (i - 1, i + 1) if 0 <= j < 9] for i in range(9)]
    >>> result = hotspots_on_graph(values, neighbours, permutations=199, rng=3)
    >>> row = result.cells.loc[4]                                   # 8 between two 9s
    >>> float(row["local_sum"]), round(float(row["z"]), 2), bool(0 < row["p_value"] <= 1)
    (26.0, 2.81, True)
    """
    if inference not in INFERENCES:
        raise OptionError(f"inference must be one of {', '.join(INFERENCES)}, got {inference!r}")
    check_null(null)
    if not (inference != "permutation" and permutations == 0 and not isinstance(permutations, bool)):
        permutations = check_permutations(permutations)
    check_alternative(alternative)
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise OptionError(f"alpha must be a false-discovery rate in (0, 1), got {alpha!r}")
    x = np.asarray(values, dtype=float)
    if not isinstance(graph, NeighbourGraph):
        if len(graph) != x.size:
            raise OptionError(f"neighbours must list the neighbours of each of the {x.size} units, got {len(graph)}")
        graph = from_lists(graph)
    seed = resolve_seed(rng)
    base = _gi_star(x, graph, null=null, inference="exact" if inference == "exact" else "normal",
                    alternative=alternative)
    if permutations:
        p_sim = _gi_star(x, graph, null=null, inference="permutation", alternative=alternative,
                         permutations=permutations, rng=seed.sequence(), scheduler=scheduler, n_jobs=n_jobs).p_value
    else:
        p_sim = np.full(x.size, np.nan)
    z = base.z
    p = {"permutation": p_sim, "normal": base.p_norm, "exact": base.p_value}[inference]
    q = benjamini_hochberg(p)
    significant = np.nan_to_num(q, nan=1.0) <= alpha
    label = np.where(significant & (z > 0), HOT, np.where(significant & (z < 0), COLD, NOT_SIGNIFICANT))
    cells = pd.DataFrame({
        "count": x,
        "neighbours": base.weight.astype(np.int64),
        "local_sum": base.local_sum,
        "gi_star": base.statistic,
        "z": z,
        "p_sim": p_sim,
        "p_norm": base.p_norm,
        "p_value": p,
        "q_value": q,
        "significant": significant,
        "hot_spot": label,
    })
    cells.index.name = "unit"
    return HotSpotResult(cells=cells, permutations=int(permutations), alternative=alternative, alpha=float(alpha),
                         inference=inference, seed=seed.entropy, null=null)


def gi_star(values: np.ndarray | Sequence[float], neighbors: NeighbourGraph | Sequence[Sequence[int]],
            **options: object) -> HotSpotResult:
    """Deprecated name of :func:`hotspots_on_graph` (the Gi* statistic itself is :func:`clusterwatch.stats.gi_star`).

    .. deprecated::
        ``clusterwatch.analysis.space.gi_star`` returned labelled hot spots, not the statistic; use
        :func:`hotspots_on_graph`.

    Parameters
    ----------
    values, neighbors, options
        As ``values``, ``graph`` and the options of :func:`hotspots_on_graph`.
    """
    warnings.warn("clusterwatch.analysis.space.gi_star is now hotspots_on_graph; the statistic itself is "
                  "clusterwatch.stats.gi_star", DeprecationWarning, stacklevel=2)
    return hotspots_on_graph(values, neighbors, **options)  # type: ignore[arg-type]


def hotspots(
    firms: pd.DataFrame,
    cases: pd.Series | np.ndarray | str | None = None,
    *,
    resolution: int = 9,
    k: int = 1,
    area: str = "firms",
    null: str = "total",
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
    that belong to the study area (:func:`clusterwatch.stats.h3_graph`); the cell itself is always in its own Gi*
    sum. See :func:`clusterwatch.stats.gi_star` for the statistic, its null and its inference.

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
    null, permutations, alternative, alpha, inference, rng, scheduler, n_jobs
        As in :func:`hotspots_on_graph`.

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
    values = counts.reindex(cell_ids, fill_value=0).to_numpy(dtype=float)
    result = hotspots_on_graph(values, h3_graph(cell_ids, int(k)), null=null, permutations=permutations,
                               alternative=alternative, alpha=alpha, inference=inference, rng=rng,
                               scheduler=scheduler, n_jobs=n_jobs)
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
                         resolution=int(resolution), k=int(k), area=area, null=result.null)
