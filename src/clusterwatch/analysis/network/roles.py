"""Roles of organisations in a network: Giuliani–Bell cognitive roles, and every role measure in one table."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from clusterwatch.analysis.network.brokerage import BROKERAGE_ROLES, brokerage_roles
from clusterwatch.analysis.network.centrality import EXACT_MAX_WORK, PIVOTS, betweenness, burt_constraint
from clusterwatch.analysis.network.communities import Communities, membership_codes
from clusterwatch.analysis.network.graph import NetworkGraph
from clusterwatch.errors import OptionError

#: Giuliani & Bell (2005) cognitive roles, by (high intra-cluster connectivity, high external openness).
GB_ROLES: dict[tuple[bool, bool], str] = {
    (True, True): "gatekeeper",
    (True, False): "active mutual exchanger",
    (False, True): "external star",
    (False, False): "isolated",
}
MEDIAN_OVER: tuple[str, ...] = ("network", "cluster")


@dataclass(frozen=True)
class Roles:
    """Every node's roles, from :func:`node_roles`.

    Attributes
    ----------
    nodes
        One row per node: ``firm_id``, ``name``, ``kind``, ``cluster`` (the membership the Giuliani–Bell roles
        are relative to), ``degree`` (distinct partners), ``strength`` (sum of tie weights), ``internal_ties``,
        ``external_ties``, ``gb_role``; ``betweenness``; ``constraint`` (Burt; NaN for isolates); ``group`` (the
        brokerage attribute's value) and the Gould–Fernandez counts ``coordinator``, ``itinerant``,
        ``representative``, ``gatekeeper``, ``liaison`` and their sum ``brokerage``.
    betweenness_method
        ``exact`` or ``pivots``.
    pivots
        Number of pivot sources of the estimate (None when exact).
    directed
        Whether betweenness and brokerage followed tie directions.
    group_by
        The attribute brokerage roles are over.
    median_over
        Where the Giuliani–Bell median splits were taken: ``network`` or ``cluster``.
    seed
        The seed of the pivot sample.
    """

    nodes: pd.DataFrame = field(repr=False)
    betweenness_method: str
    pivots: int | None
    directed: bool
    group_by: str
    median_over: str
    seed: int

    def top(self, column: str = "betweenness", n: int = 10) -> pd.DataFrame:
        """The ``n`` nodes with the largest ``column``."""
        return self.nodes.sort_values([column, "firm_id"], ascending=[False, True]).head(n)

    def to_frame(self) -> pd.DataFrame:
        """The node table."""
        return self.nodes.copy()


def giuliani_bell_roles(graph: NetworkGraph, membership: pd.Series | np.ndarray | Communities, *,
                        median_over: str = "network", weighted: bool = False) -> pd.DataFrame:
    """Giuliani & Bell's cognitive roles: intra-cluster connectivity × external openness, split at the medians.

    For each node in a cluster (a community, or a given cluster membership): ``internal_ties`` counts its
    partners in the same cluster and ``external_ties`` its partners outside it (in another cluster or in none);
    with ``weighted=True`` both sum tie weights instead. A value is *high* when strictly above the median, and

    ================================  ================  ================
    role                              intra-cluster      external
    ================================  ================  ================
    gatekeeper (technological)        high               high
    active mutual exchanger           high               low
    external star                     low                high
    isolated                          low                low
    ================================  ================  ================

    Giuliani & Bell surveyed one cluster's firms: intra-cluster connectivity came from the directed network of
    technical knowledge passed between the cluster's firms, external openness from each firm's links to knowledge
    sources outside the cluster. Here both come from the network itself (a simplification): partners inside the
    cluster, and partners outside it, tie direction ignored; so "external" means outside the community (or the
    given cluster), not outside the region. The paper split at the cluster's medians; ``median_over='cluster'``
    does that for each cluster, the default ``network`` splits at the medians over all clustered nodes so that
    roles compare across communities.

    Parameters
    ----------
    graph
        From :func:`build_graph`.
    membership
        :class:`Communities`, a Series ``firm_id`` → cluster label (nodes not in it belong to no cluster and
        get no role), or an array aligned with the nodes.
    median_over
        ``network`` or ``cluster``.
    weighted
        Sum tie weights instead of counting partners.

    Returns
    -------
    pandas.DataFrame
        ``firm_id``, ``cluster``, ``internal_ties``, ``external_ties``, ``high_internal``, ``high_external``,
        ``gb_role`` (NA outside every cluster), aligned with ``graph.nodes``.

    Raises
    ------
    OptionError
        For an unknown ``median_over``.

    References
    ----------
    Giuliani, E. & Bell, M. (2005). The micro-determinants of meso-level learning and innovation: evidence from a
    Chilean wine cluster. *Research Policy* 34, 47–68.

    Examples
    --------
    One cluster (a–e) and two organisations outside it (x, y):

    >>> from clusterwatch.analysis.network import build_graph
    >>> rel = pd.DataFrame({"source": ["a", "a", "a", "b", "b", "a", "e", "x"],
    ...                     "target": ["b", "c", "d", "c", "d", "x", "y", "y"]})
    >>> cluster = pd.Series(1, index=["a", "b", "c", "d", "e"])
    >>> roles = giuliani_bell_roles(build_graph(rel, directed=False), cluster)
    >>> roles.set_index("firm_id")["gb_role"].dropna().to_dict()
    {'a': 'gatekeeper', 'b': 'active mutual exchanger', 'c': 'isolated', 'd': 'isolated', 'e': 'external star'}
    """
    if median_over not in MEDIAN_OVER:
        raise OptionError(f"median_over must be one of {', '.join(MEDIAN_OVER)}, got {median_over!r}")
    codes, labels = membership_codes(graph, membership)
    u, v, w = graph.simple
    weight = w if weighted else np.ones_like(w)
    same = (codes[u] == codes[v]) & (codes[u] >= 0)
    n = graph.n_nodes
    internal = np.bincount(u[same], weights=weight[same], minlength=n) + np.bincount(v[same], weights=weight[same],
                                                                                     minlength=n)
    total = np.bincount(u, weights=weight, minlength=n) + np.bincount(v, weights=weight, minlength=n)
    external = total - internal
    member = codes >= 0
    frame = pd.DataFrame({"firm_id": graph.nodes["firm_id"].to_numpy(),
                          "cluster": pd.Series(np.where(member, labels[np.maximum(codes, 0)] if len(labels) else
                                                        None, None), dtype="object"),
                          "internal_ties": internal, "external_ties": external})
    if not weighted:
        frame["internal_ties"] = frame["internal_ties"].astype(np.int64)
        frame["external_ties"] = frame["external_ties"].astype(np.int64)
    if median_over == "network":
        med_in = np.full(n, np.median(internal[member]) if member.any() else np.nan)
        med_out = np.full(n, np.median(external[member]) if member.any() else np.nan)
    else:
        grouped = pd.DataFrame({"g": codes[member], "i": internal[member], "e": external[member]}).groupby("g")
        med = grouped.median()
        med_in = np.full(n, np.nan)
        med_out = np.full(n, np.nan)
        med_in[member] = med["i"].reindex(codes[member]).to_numpy()
        med_out[member] = med["e"].reindex(codes[member]).to_numpy()
    high_in = internal > med_in
    high_out = external > med_out
    frame["high_internal"] = pd.Series(high_in, dtype="boolean").mask(~member)
    frame["high_external"] = pd.Series(high_out, dtype="boolean").mask(~member)
    role = [GB_ROLES[(bool(a), bool(b))] if m else None for a, b, m in zip(high_in, high_out, member, strict=True)]
    frame["gb_role"] = pd.array(role, dtype="string")
    return frame


def node_roles(
    graph: NetworkGraph,
    membership: pd.Series | np.ndarray | Communities,
    *,
    group: str | pd.Series | Communities = "kind",
    median_over: str = "network",
    weighted: bool = False,
    directed: bool | None = None,
    exact_max_work: float = EXACT_MAX_WORK,
    pivots: int = PIVOTS,
    rng: int | np.random.Generator | None = None,
    scheduler: str | None = "threads",
    n_jobs: int | None = None,
) -> Roles:
    """All roles of every node: Giuliani–Bell, Gould–Fernandez, Burt's constraint and betweenness.

    Parameters
    ----------
    graph
        From :func:`build_graph`.
    membership
        The clusters the Giuliani–Bell roles are relative to (usually :func:`detect_communities`' result).
    group
        The attribute (or membership) of the Gould–Fernandez roles.
    median_over, weighted
        See :func:`giuliani_bell_roles`.
    directed
        Follow tie directions for betweenness and brokerage (default: as the graph).
    exact_max_work, pivots, rng
        See :func:`betweenness`.
    scheduler, n_jobs
        See :func:`brokerage_roles`.

    Returns
    -------
    Roles
        One row per node with every role measure.

    Raises
    ------
    OptionError
        For bad parameter values (see the functions above).

    References
    ----------
    Giuliani & Bell (2005); Gould & Fernandez (1989); Burt (1992); Brandes (2001); Brandes & Pich (2007): see
    the functions above.

    Examples
    --------
    >>> from clusterwatch.analysis.network import build_graph, detect_communities
    >>> rel = pd.DataFrame({"source": ["a", "a", "b", "d", "d", "e", "c"],
    ...                     "target": ["b", "c", "c", "e", "f", "f", "d"]})
    >>> graph = build_graph(rel, directed=False)
    >>> roles = node_roles(graph, detect_communities(graph, rng=1), rng=1)
    >>> roles.top("betweenness", 2)[["firm_id", "gb_role", "betweenness"]].values.tolist()
    [['c', 'external star', 6.0], ['d', 'external star', 6.0]]
    """
    gb = giuliani_bell_roles(graph, membership, median_over=median_over, weighted=weighted)
    brokers = brokerage_roles(graph, group, directed=directed, scheduler=scheduler, n_jobs=n_jobs)
    values, method, k, seed = betweenness(graph, directed=directed, exact_max_work=exact_max_work, pivots=pivots,
                                          rng=rng, scheduler=scheduler, n_jobs=n_jobs)
    u, v, w = graph.simple
    n = graph.n_nodes
    nodes = pd.DataFrame({
        "firm_id": graph.nodes["firm_id"].to_numpy(),
        "name": graph.nodes["name"].to_numpy(),
        "kind": graph.nodes["kind"].to_numpy(),
        "cluster": gb["cluster"].to_numpy(),
        "degree": np.bincount(np.concatenate([u, v]), minlength=n),
        "strength": np.bincount(np.concatenate([u, v]), weights=np.concatenate([w, w]), minlength=n),
        "internal_ties": gb["internal_ties"].to_numpy(),
        "external_ties": gb["external_ties"].to_numpy(),
        "gb_role": gb["gb_role"].array,
        "betweenness": values,
        "constraint": burt_constraint(graph),
        "group": brokers["group"].to_numpy(),
    })
    for role in (*BROKERAGE_ROLES, "brokerage"):
        nodes[role] = brokers[role].to_numpy()
    use_directed = graph.directed if directed is None else bool(directed) and graph.directed
    return Roles(nodes=nodes, betweenness_method=method, pivots=k, directed=use_directed,
                 group_by=str(brokers.attrs["group_by"]), median_over=median_over, seed=seed)
