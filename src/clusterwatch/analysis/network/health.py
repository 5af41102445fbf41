"""Health of a network: density, centralisation, fragmentation, components, core–periphery, and fragility."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from clusterwatch.analysis.network import _kernels
from clusterwatch.analysis.network.centrality import EXACT_MAX_WORK, PIVOTS, betweenness
from clusterwatch.analysis.network.graph import NetworkGraph
from clusterwatch.compute import Batch, batches, compute_map
from clusterwatch.errors import OptionError
from clusterwatch.stats import check_permutations, monte_carlo_p, resolve_seed

#: Numbers of top brokers removed in the fragility curve (those below the number of nodes are used).
REMOVALS: tuple[int, ...] = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


@dataclass(frozen=True)
class Health:
    """Health of a network, from :func:`network_health`.

    Attributes
    ----------
    metrics
        ``nodes``, ``ties``, ``density``, ``mean_degree``, ``isolates``, ``components``,
        ``largest_component_share``, ``fragmentation``, ``transitivity``, ``degree_centralisation``,
        ``betweenness_centralisation``, ``max_coreness``, ``core_size``, ``core_share``, ``core_fit``,
        ``core_density``, ``periphery_density`` (see :func:`network_health`).
    fragility
        One row per number ``k`` of top brokers removed (0 = intact): ``removed`` (the k-th broker's firm id),
        ``largest_share`` and ``components`` after the targeted removal; ``random_largest_share`` (mean),
        ``random_low``/``random_high`` (2.5 and 97.5 percentiles) and ``random_components`` (mean) over
        ``permutations`` random removals of k nodes; ``p_value``: how often a random removal leaves a largest
        component at most as large, (M + 1) / (R + 1).
    core
        ``firm_id`` → whether the node is in the core.
    betweenness_method, pivots
        How the betweenness behind centralisation and the broker ranking was computed.
    permutations, seed
        Random removals drawn, and their seed.
    """

    metrics: dict[str, float]
    fragility: pd.DataFrame = field(repr=False)
    core: pd.Series = field(repr=False)
    betweenness_method: str
    pivots: int | None
    permutations: int
    seed: int

    def to_frame(self) -> pd.DataFrame:
        """The metrics as one row."""
        return pd.DataFrame([self.metrics])


#: The compiled removal curves (largest component and number of components after each removal count), public
#: under these names for tests and reuse: one removal order, and many orders sharing passes.
removal_curve = _kernels.removal_curve
random_removal_curves = _kernels.random_removal_curves


def check_removals(removals: Sequence[int], n: int) -> np.ndarray:
    """Validate removal counts (positive ints) and keep those below ``n``, sorted, with 0 first."""
    values = list(removals)
    if any(isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1 for k in values):
        raise OptionError(f"removals must be positive ints, got {values!r}")
    kept = sorted({int(k) for k in values if k < n})
    return np.array([0, *kept], dtype=np.int64)


def _random_removals(task: tuple[Batch, int, tuple[np.ndarray, ...], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    batch, n, (u, v, indptr, indices), ks = task
    rng = batch.generator()
    kmax = int(ks[-1])
    orders = np.empty((batch.size, kmax), dtype=np.int64)
    for r in range(batch.size):
        orders[r] = rng.choice(n, size=kmax, replace=False)
    return _kernels.random_removal_curves(u, v, indptr, indices, orders, ks, sharing(n, kmax))


def sharing(n: int, kmax: int) -> int:
    """Replicates sharing one pass over the ties: about sqrt(n / (6 kmax)), which balances the shared pass
    (m / share per replicate) against putting back the others' removed nodes (share · kmax · mean degree, with
    scattered memory access); 4 for 100,000 nodes and k up to 1,000."""
    return int(np.clip(round(np.sqrt(n / (6.0 * max(kmax, 1)))), 1, 16))


def fragility(graph: NetworkGraph, ranking: np.ndarray, *, removals: Sequence[int] = REMOVALS,
              permutations: int = 999, rng: int | np.random.Generator | None = None,
              scheduler: str | None = "threads", n_jobs: int | None = None) -> tuple[pd.DataFrame, int]:
    """How the network falls apart when its top brokers leave, against random removals of as many nodes.

    Nodes leave in decreasing ``ranking`` (betweenness; ties by node order), all at once: the ranking is not
    recomputed after each removal (the "initial betweenness" attack of Holme et al. 2002). After removing the
    top k, ``largest_share`` is the largest connected component (ties taken undirected) as a share of all
    nodes, removed ones included, and ``components`` counts the components of the remaining nodes. Each random
    removal draws k nodes uniformly; the k of one replicate are the first k of one random order, so one union–find
    pass gives a replicate's whole curve.

    Parameters
    ----------
    graph
        From :func:`build_graph`.
    ranking
        One score per node (betweenness): the highest leave first.
    removals
        The numbers of nodes removed.
    permutations
        Random removals per number.
    rng
        Seed of the random removals.
    scheduler, n_jobs
        See :func:`clusterwatch.compute.compute_map`; results do not depend on them.

    Returns
    -------
    pandas.DataFrame, int
        The curve (see :attr:`Health.fragility`) and the seed of the random removals.

    Raises
    ------
    OptionError
        For bad ``removals`` or ``permutations``, or a ranking of the wrong length.

    References
    ----------
    Albert, R., Jeong, H. & Barabási, A.-L. (2000). Error and attack tolerance of complex networks. *Nature* 406,
    378–382.

    Holme, P., Kim, B. J., Yoon, C. N. & Han, S. K. (2002). Attack vulnerability of complex networks. *Physical
    Review E* 65, 056109.

    Examples
    --------
    A path of five: removing its middle leaves two pairs.

    >>> from clusterwatch.analysis.network import build_graph
    >>> path = build_graph(pd.DataFrame({"source": list("abcd"), "target": list("bcde")}), directed=False)
    >>> curve, _ = fragility(path, np.array([0, 3, 4, 3, 0.0]), removals=[1], permutations=99, rng=0)
    >>> curve[["k", "largest_share", "components"]].values.tolist(), curve.loc[1, "removed"]
    ([[0.0, 1.0, 1.0], [1.0, 0.4, 2.0]], 'c')
    """
    n = graph.n_nodes
    ranking = np.asarray(ranking, dtype=float)
    if ranking.shape != (n,):
        raise OptionError(f"ranking must hold one value per node ({n:,}), got shape {ranking.shape}")
    permutations = check_permutations(permutations)
    seed = resolve_seed(rng)
    ks = check_removals(removals, n)
    # kernels run on the breadth-first relabelled graph (faster); removal orders are translated to it
    _, rank, u, v, indptr, indices = graph.local
    ties = (u, v, indptr, indices)
    order = np.lexsort((np.arange(n), -ranking)).astype(np.int64)
    largest, components = _kernels.removal_curve(*ties, rank[order], ks) if n else (
        np.zeros(len(ks), np.int64), np.zeros(len(ks), np.int64))
    tasks = [(b, n, ties, ks) for b in batches(permutations, seed)]
    parts = compute_map(_random_removals, tasks, scheduler=scheduler, n_jobs=n_jobs) if n else []
    r_largest = np.concatenate([p[0] for p in parts]) / max(n, 1) if parts else np.zeros((permutations, len(ks)))
    r_components = np.concatenate([p[1] for p in parts]) if parts else np.zeros((permutations, len(ks)))
    share = largest / max(n, 1)
    ids = graph.nodes["firm_id"].to_numpy()
    frame = pd.DataFrame({
        "k": ks,
        "removed": [None if k == 0 else ids[order[k - 1]] for k in ks],
        "largest_share": share,
        "components": components,
        "random_largest_share": r_largest.mean(axis=0),
        "random_low": np.quantile(r_largest, 0.025, axis=0),
        "random_high": np.quantile(r_largest, 0.975, axis=0),
        "random_components": r_components.mean(axis=0),
        "p_value": np.asarray(monte_carlo_p(share, r_largest, alternative="less"), dtype=float),
    })
    return frame, seed.entropy


def core_periphery(graph: NetworkGraph) -> tuple[np.ndarray, dict[str, float]]:
    """A discrete core–periphery partition: the nested core that best fits Borgatti & Everett's ideal pattern.

    The ideal pattern has every pair of core members tied and no pair of peripheral members tied; core–periphery
    pairs are left out of the fit (the model's "missing" intermediate block). The fit is the Pearson correlation
    between the observed ties and the ideal over the pairs that count. Borgatti & Everett searched all
    partitions with a genetic algorithm; here (a simplification that scales to millions of ties) candidate cores
    are the nested sets of the c highest nodes by k-core number, then degree, and the best c is kept, found in
    one pass over the ties.

    Returns
    -------
    numpy.ndarray, dict
        Whether each node is in the core; ``max_coreness``, ``core_size``, ``core_share``, ``core_fit``,
        ``core_density``, ``periphery_density``.

    References
    ----------
    Borgatti, S. P. & Everett, M. G. (1999). Models of core/periphery structures. *Social Networks* 21, 375–395.

    Seidman, S. B. (1983). Network structure and minimum degree. *Social Networks* 5, 269–287 (k-cores).

    Examples
    --------
    A triangle with a pendant node on each corner: the triangle is the core.

    >>> from clusterwatch.analysis.network import build_graph
    >>> rel = pd.DataFrame({"source": ["a", "a", "b", "a", "b", "c"], "target": ["b", "c", "c", "x", "y", "z"]})
    >>> graph = build_graph(rel, directed=False)
    >>> core, fit = core_periphery(graph)
    >>> graph.nodes["firm_id"][core].tolist(), fit["core_density"], fit["periphery_density"]
    (['a', 'b', 'c'], 1.0, 0.0)
    """
    n = graph.n_nodes
    u, v, _ = graph.simple
    m = len(u)
    empty = {"max_coreness": 0.0, "core_size": 0.0, "core_share": 0.0, "core_fit": float("nan"),
             "core_density": float("nan"), "periphery_density": float("nan")}
    if n < 4 or m == 0:
        return np.zeros(n, dtype=bool), empty
    g = graph.igraph(directed=False)
    coreness = np.asarray(g.coreness(), dtype=np.int64)
    degree = np.bincount(np.concatenate([u, v]), minlength=n)
    order = np.lexsort((np.arange(n), -degree, -coreness)).astype(np.int64)
    core_ties, cross_ties = _kernels.nested_core_fit(*graph.adjacency, order)
    c = np.arange(2, n - 1, dtype=float)
    e_cc = core_ties[2:n - 1].astype(float)
    e_pp = m - e_cc - cross_ties[2:n - 1]
    pairs_cc = c * (c - 1) / 2
    pairs_pp = (n - c) * (n - c - 1) / 2
    total = pairs_cc + pairs_pp
    ties = e_cc + e_pp
    with np.errstate(invalid="ignore", divide="ignore"):
        fit = (total * e_cc - ties * pairs_cc) / np.sqrt(ties * (total - ties) * pairs_cc * (total - pairs_cc))
    fit = np.where(np.isfinite(fit), fit, -np.inf)
    best = int(np.argmax(fit))
    size = best + 2
    core = np.zeros(n, dtype=bool)
    core[order[:size]] = True
    return core, {
        "max_coreness": float(coreness.max()),
        "core_size": float(size),
        "core_share": size / n,
        "core_fit": float(fit[best]) if np.isfinite(fit[best]) else float("nan"),
        "core_density": float(e_cc[best] / pairs_cc[best]),
        "periphery_density": float(e_pp[best] / pairs_pp[best]) if pairs_pp[best] > 0 else float("nan"),
    }


def network_health(
    graph: NetworkGraph,
    *,
    betweenness_values: np.ndarray | None = None,
    removals: Sequence[int] = REMOVALS,
    permutations: int = 999,
    exact_max_work: float = EXACT_MAX_WORK,
    pivots: int = PIVOTS,
    rng: int | np.random.Generator | None = None,
    scheduler: str | None = "threads",
    n_jobs: int | None = None,
) -> Health:
    """Structural health of a network, with its fragility to the loss of its top brokers.

    All measures take ties as undirected and unweighted:

    - ``density`` = 2m / (n(n − 1)); ``mean_degree``; ``isolates``;
    - ``components`` and ``largest_component_share``; ``fragmentation`` = 1 − Σ_k s_k(s_k − 1) / (n(n − 1)),
      the share of pairs that cannot reach each other (Borgatti 2006);
    - ``transitivity``: share of two-paths that close into triangles (inflated by projections, where every
      project is a clique);
    - Freeman centralisation of degree, Σ(d_max − d_i) / ((n − 1)(n − 2)), and of betweenness,
      Σ(b_max − b_i) / ((n − 1)²(n − 2) / 2): 1 for a star, 0 when all are equal;
    - core–periphery (:func:`core_periphery`);
    - fragility (:func:`fragility`), ranked by betweenness.

    Parameters
    ----------
    graph
        From :func:`build_graph`.
    betweenness_values
        Undirected betweenness per node when already computed (e.g. ``Roles.nodes["betweenness"]`` of an
        undirected graph); computed here otherwise (:func:`betweenness`).
    removals, permutations
        Numbers of top brokers removed, and random removals to compare each with.
    exact_max_work, pivots
        See :func:`betweenness`.
    rng
        Seed of the pivots and random removals.
    scheduler, n_jobs
        Where random removals run (:func:`clusterwatch.compute.compute_map`): the result is the same for any.

    Returns
    -------
    Health

    Raises
    ------
    OptionError
        For bad parameter values.

    References
    ----------
    Freeman, L. C. (1979). Centrality in social networks: conceptual clarification. *Social Networks* 1, 215–239.

    Borgatti, S. P. (2006). Identifying sets of key players in a social network. *Computational and Mathematical
    Organization Theory* 12, 21–34.

    Examples
    --------
    A star: fully centralised, and gone when its centre leaves.

    >>> from clusterwatch.analysis.network import build_graph
    >>> star = build_graph(pd.DataFrame({"source": ["hub"] * 4, "target": list("abcd")}), directed=False)
    >>> health = network_health(star, removals=[1], permutations=99, rng=0)
    >>> health.metrics["degree_centralisation"], health.metrics["betweenness_centralisation"]
    (1.0, 1.0)
    >>> health.fragility[["k", "largest_share", "components"]].values.tolist()
    [[0.0, 1.0, 1.0], [1.0, 0.2, 4.0]]
    """
    seed = resolve_seed(rng)
    # two independent seeds drawn from the run's seed (a spawned SeedSequence keeps its parent's entropy)
    child_pivots, child_removals = (int(x) for x in seed.generator().integers(0, 2**63 - 1, size=2))
    n = graph.n_nodes
    u, v, _ = graph.simple
    m = len(u)
    if betweenness_values is None:
        values, method, k, _ = betweenness(graph, directed=False, exact_max_work=exact_max_work, pivots=pivots,
                                           rng=child_pivots, scheduler=scheduler, n_jobs=n_jobs)
    else:
        values = np.asarray(betweenness_values, dtype=float)
        if values.shape != (n,):
            raise OptionError(f"betweenness_values must hold one value per node ({n:,}), got shape {values.shape}")
        method, k = "given", None
    degree = np.bincount(np.concatenate([u, v]), minlength=n)
    metrics: dict[str, float] = {"nodes": float(n), "ties": float(m)}
    metrics["density"] = 2.0 * m / (n * (n - 1)) if n > 1 else float("nan")
    metrics["mean_degree"] = 2.0 * m / n if n else float("nan")
    metrics["isolates"] = float((degree == 0).sum())
    if n:
        g = graph.igraph(directed=False)
        sizes = np.asarray(g.connected_components().sizes(), dtype=float)
        metrics["components"] = float(len(sizes))
        metrics["largest_component_share"] = float(sizes.max() / n)
        metrics["fragmentation"] = float(1 - (sizes * (sizes - 1)).sum() / (n * (n - 1))) if n > 1 else 0.0
        metrics["transitivity"] = float(g.transitivity_undirected()) if m else float("nan")
    else:
        metrics.update(components=0.0, largest_component_share=float("nan"), fragmentation=float("nan"),
                       transitivity=float("nan"))
    if n > 2:
        metrics["degree_centralisation"] = float((degree.max() - degree).sum() / ((n - 1) * (n - 2)))
        metrics["betweenness_centralisation"] = float((values.max() - values).sum()
                                                      / ((n - 1) ** 2 * (n - 2) / 2))
    else:
        metrics["degree_centralisation"] = metrics["betweenness_centralisation"] = float("nan")
    core, core_metrics = core_periphery(graph)
    metrics.update(core_metrics)
    curve, _ = fragility(graph, values, removals=removals, permutations=permutations, rng=child_removals,
                         scheduler=scheduler, n_jobs=n_jobs)
    return Health(
        metrics=metrics, fragility=curve,
        core=pd.Series(core, index=pd.Index(graph.nodes["firm_id"].to_numpy(), name="firm_id"), name="core"),
        betweenness_method=method, pivots=k, permutations=check_permutations(permutations), seed=seed.entropy,
    )
