"""Centrality of organisations: betweenness (exact or from pivots) and Burt's constraint."""

from __future__ import annotations

from typing import Any

import numpy as np

from clusterwatch.analysis.network import _kernels
from clusterwatch.analysis.network.graph import NetworkGraph
from clusterwatch.compute import compute_map
from clusterwatch.errors import OptionError
from clusterwatch.stats import resolve_seed

#: Exact betweenness while n·(n + 2m), the steps of the exact computation, stays below this (about ten seconds);
#: estimated from pivots above (see :func:`betweenness`). CORDIS H2020 (3,114 nodes, 39,331 ties) is exact.
EXACT_MAX_WORK = 500_000_000
PIVOTS = 200


def _check_positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise OptionError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def _dependency_task(task: tuple[tuple[np.ndarray, ...], np.ndarray]) -> np.ndarray:
    (out_ptr, out_idx, in_ptr, in_idx), sources = task
    return _kernels.brandes_dependencies(out_ptr, out_idx, in_ptr, in_idx, sources)


#: Sources per betweenness task: fixed, so the floating-point sums never depend on the number of workers.
SOURCES_PER_TASK = 16


def betweenness(graph: NetworkGraph, *, directed: bool | None = None, exact_max_work: float = EXACT_MAX_WORK,
                pivots: int = PIVOTS, rng: int | np.random.Generator | None = None,
                scheduler: str | None = "threads", n_jobs: int | None = None
                ) -> tuple[np.ndarray, str, int | None, int]:
    """Betweenness centrality of every node (shortest paths by hops; tie weights are strengths, not lengths).

    Exact (Brandes 2001: one breadth-first search from every node, n·(n + 2m) steps) while that work stays within
    ``exact_max_work``. Larger graphs get the pivot estimate of Brandes & Pich (2007): shortest paths from
    ``pivots`` sources drawn uniformly without replacement, their dependencies scaled by n / pivots, which is
    unbiased for every node. On undirected graphs each pair counts once (as networkx and
    igraph count it). Exact betweenness costs one breadth-first search per node, out of reach for 10⁵ nodes and
    10⁶ ties in a minute; 200 pivots find the top brokers (``bench/bench_network.py --check`` measures how well).

    Parameters
    ----------
    graph
        From :func:`build_graph`.
    directed
        Follow tie directions (default: as the graph).
    exact_max_work, pivots
        Largest n·(n + 2m) computed exactly, and the number of pivots above it.
    rng
        Seed of the pivot sample.
    scheduler, n_jobs
        Where batches of sources run (:func:`clusterwatch.compute.compute_map`); the sums are taken in a fixed
        order, so the result does not depend on them.

    Returns
    -------
    values, method, pivots, seed
        Raw (unnormalised) betweenness per node, ``exact`` or ``pivots``, the pivot count (None when exact), and
        the seed of the sample.

    Raises
    ------
    OptionError
        For a negative ``exact_max_work`` or a non-positive ``pivots``.

    References
    ----------
    Brandes, U. (2001). A faster algorithm for betweenness centrality. *Journal of Mathematical Sociology* 25,
    163–177.

    Brandes, U. & Pich, C. (2007). Centrality estimation in large networks. *International Journal of
    Bifurcation and Chaos* 17, 2303–2318.

    Examples
    --------
    A path a – b – c: b lies on the one shortest path between a and c.

    >>> import pandas as pd
    >>> from clusterwatch.analysis.network import build_graph
    >>> path = build_graph(pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"]}), directed=False)
    >>> betweenness(path)[0].tolist()
    [0.0, 1.0, 0.0]
    """
    try:
        limit = float(exact_max_work)
    except (TypeError, ValueError):
        limit = float("nan")
    if isinstance(exact_max_work, bool) or not limit >= 0:  # NaN fails too
        raise OptionError(f"exact_max_work must be a non-negative number, got {exact_max_work!r}")
    pivots = _check_positive_int(pivots, "pivots")
    seed = resolve_seed(rng)
    use_directed = graph.directed if directed is None else bool(directed) and graph.directed
    n = graph.n_nodes
    if n == 0 or graph.n_edges == 0:
        return np.zeros(n), "exact", None, seed.entropy
    arcs_total = 2 * graph.n_edges
    if float(n) * (n + arcs_total) <= limit or pivots >= n:
        sources, method, k = np.arange(n, dtype=np.int64), "exact", None
    else:
        sources = np.sort(seed.generator().choice(n, size=pivots, replace=False)).astype(np.int64)
        method, k = "pivots", pivots
    if use_directed:
        arcs, rank = graph.arcs, None
    else:  # breadth-first relabelling: the same sums, faster
        _, rank, _, _, indptr, indices = graph.local
        arcs, sources = (indptr, indices, indptr, indices), rank[sources]
    tasks = [(arcs, sources[i:i + SOURCES_PER_TASK]) for i in range(0, len(sources), SOURCES_PER_TASK)]
    total = np.zeros(n)
    for part in compute_map(_dependency_task, tasks, scheduler=scheduler, n_jobs=n_jobs):
        total += part
    if rank is not None:
        total = total[rank] / 2.0  # back to node order; each unordered pair was seen from both ends
    if method == "pivots":
        total *= n / pivots
    return total, method, k, seed.entropy


def burt_constraint(graph: NetworkGraph) -> np.ndarray:
    """Burt's (1992) constraint of every node, C_i = Σ_j (p_ij + Σ_q p_iq p_qj)², with p_ij the share of i's tie
    weight (both directions) going to j; NaN for isolated nodes. Computed by igraph; lower is more brokerage.

    Parameters
    ----------
    graph
        From :func:`build_graph`.

    Returns
    -------
    numpy.ndarray
        One constraint per node, in node order.

    References
    ----------
    Burt, R. S. (1992). *Structural Holes: The Social Structure of Competition*. Harvard University Press.

    Examples
    --------
    The centre of a three-leaf star is free (1/3), each leaf fully constrained (1):

    >>> import pandas as pd
    >>> from clusterwatch.analysis.network import build_graph
    >>> star = build_graph(pd.DataFrame({"source": ["hub"] * 3, "target": ["a", "b", "c"]}), directed=False)
    >>> burt_constraint(star).round(3).tolist()
    [1.0, 1.0, 1.0, 0.333]
    """
    if graph.n_nodes == 0:
        return np.zeros(0)
    g = graph.igraph(directed=False)
    values = np.asarray(g.constraint(weights="weight"), dtype=float)
    values[np.asarray(g.degree()) == 0] = np.nan
    return values
