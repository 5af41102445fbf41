"""The whole network analysis in one call: communities, roles, health, synergy and the link to space."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clusterwatch.analysis.network.centrality import EXACT_MAX_WORK, PIVOTS
from clusterwatch.analysis.network.communities import Communities, detect_communities, modularity_gamma
from clusterwatch.analysis.network.graph import NetworkGraph
from clusterwatch.analysis.network.health import REMOVALS, Health, network_health
from clusterwatch.analysis.network.roles import Roles, node_roles
from clusterwatch.analysis.network.space import SpaceLink, link_to_space
from clusterwatch.analysis.network.synergy import TripleHelixSynergy, triple_helix_synergy
from clusterwatch.stats import resolve_seed


@dataclass(frozen=True)
class NetworkAnalysis:
    """Everything :func:`analyse_network` found.

    Attributes
    ----------
    graph
        The graph analysed.
    communities, roles, health
        See :class:`Communities`, :class:`Roles`, :class:`Health`.
    synergy
        Leydesdorff's triple-helix synergy of the whole network (over projects, or over ties for direct ties).
    space
        The link to space (None without coordinates or when not asked for).
    seed
        The seed of the whole run; each part's own seed is drawn from it and stored in the part.
    """

    graph: NetworkGraph
    communities: Communities
    roles: Roles
    health: Health
    synergy: TripleHelixSynergy
    space: SpaceLink | None
    seed: int

    def to_frame(self) -> pd.DataFrame:
        """The node table: roles, with each node's community and whether it is in the core."""
        nodes = self.roles.to_frame()
        nodes.insert(3, "community", self.communities.membership["community"].to_numpy())
        nodes["core"] = self.health.core.to_numpy()
        return nodes


def network_synergy(graph: NetworkGraph, helix: Mapping[str, str] | None = None) -> TripleHelixSynergy:
    """Triple-helix synergy of a whole graph: over its projects (projection) or its ties (direct ties).

    See :func:`triple_helix_synergy`; the helices of a unit are those of the organisations in it.

    Parameters
    ----------
    graph
        From :func:`build_graph`.
    helix
        ``kind`` → helix (the default maps firm, university, public to the three helices).

    Examples
    --------
    >>> from clusterwatch.analysis.network import build_graph
    >>> rel = pd.DataFrame({"source": ["u1", "f1", "f2", "g1", "u1", "f1", "g1"],
    ...                     "project": ["p1", "p1", "p2", "p3", "p4", "p4", "p4"]})
    >>> firms = pd.DataFrame({"firm_id": ["u1", "f1", "f2", "g1"],
    ...                       "kind": ["university", "firm", "firm", "public"]})
    >>> round(network_synergy(build_graph(rel, firms)).synergy, 4)
    -0.1887
    """
    kind = graph.nodes.set_index("firm_id")["kind"]
    if graph.mode == "projection" and len(graph.participations):
        units = pd.DataFrame({"unit": graph.participations["project"].to_numpy(),
                              "kind": graph.participations["firm_id"].map(kind).to_numpy()})
    else:
        tie = np.arange(graph.n_edges)
        units = pd.DataFrame({"unit": np.concatenate([tie, tie]),
                              "kind": np.concatenate([graph.edges["source"].map(kind).to_numpy(),
                                                      graph.edges["target"].map(kind).to_numpy()])})
    return triple_helix_synergy(units, helix=helix)


def analyse_network(
    graph: NetworkGraph,
    *,
    method: str = "leiden",
    gamma: float = 1.0,
    group: str | pd.Series = "kind",
    median_over: str = "network",
    helix: Mapping[str, str] | None = None,
    removals: Sequence[int] = REMOVALS,
    permutations: int = 999,
    exact_max_work: float = EXACT_MAX_WORK,
    pivots: int = PIVOTS,
    candidates: pd.DataFrame | None = None,
    space: bool = True,
    rng: int | np.random.Generator | None = None,
    scheduler: str | None = "threads",
    n_jobs: int | None = None,
    resolution: float | None = None,
) -> NetworkAnalysis:
    """Communities, roles, health, triple-helix synergy and the link to space of one graph.

    Runs :func:`detect_communities`, :func:`node_roles` (Giuliani–Bell roles relative to the communities),
    :func:`network_health` (fragility ranked by the roles' betweenness when the graph is undirected) and
    :func:`link_to_space` (when nodes have coordinates and ``space`` is true), with one seed.

    Parameters
    ----------
    graph
        From :func:`build_graph`.
    method, gamma
        See :func:`detect_communities` (``gamma``: the modularity resolution γ).
    group, median_over
        See :func:`node_roles`.
    helix
        See :func:`triple_helix_synergy`.
    removals, permutations
        See :func:`network_health`; ``permutations`` also serves the co-location test.
    exact_max_work, pivots
        See :func:`betweenness`.
    candidates
        Spatial candidates (``candidate_id``, ``firm_id``) for :func:`link_to_space`.
    space
        Run :func:`link_to_space` (it needs located nodes).
    rng
        Seed of the whole run.
    scheduler, n_jobs
        See :func:`clusterwatch.compute.compute_map`; results do not depend on them.
    resolution
        Deprecated name of ``gamma`` (a ``DeprecationWarning``).

    Returns
    -------
    NetworkAnalysis

    Raises
    ------
    OptionError, InputError
        From the steps above.

    Examples
    --------
    >>> from clusterwatch.analysis.network import build_graph
    >>> rel = pd.DataFrame({"source": ["a", "a", "b", "d", "d", "e", "c"],
    ...                     "target": ["b", "c", "c", "e", "f", "f", "d"]})
    >>> result = analyse_network(build_graph(rel, directed=False), permutations=99, rng=7)
    >>> result.roles.top("betweenness", 2)["firm_id"].tolist()
    ['c', 'd']
    >>> float(result.health.fragility.loc[1, "largest_share"])
    0.5

    """
    seed = resolve_seed(rng)
    s_comm, s_roles, s_health, s_space = (int(x) for x in seed.generator().integers(0, 2**63 - 1, size=4))
    communities = detect_communities(graph, method=method, gamma=modularity_gamma(gamma, resolution), rng=s_comm,
                                     helix=helix)
    roles = node_roles(graph, communities, group=group, median_over=median_over, exact_max_work=exact_max_work,
                       pivots=pivots, rng=s_roles, scheduler=scheduler, n_jobs=n_jobs)
    given = roles.nodes["betweenness"].to_numpy() if not roles.directed else None
    health = network_health(graph, betweenness_values=given, removals=removals, permutations=permutations,
                            exact_max_work=exact_max_work, pivots=pivots, rng=s_health, scheduler=scheduler,
                            n_jobs=n_jobs)
    if given is not None:  # the ranking came from the roles' betweenness: say how it was computed
        health = Health(metrics=health.metrics, fragility=health.fragility, core=health.core,
                        betweenness_method=roles.betweenness_method, pivots=roles.pivots,
                        permutations=health.permutations, seed=health.seed)
    located = pd.to_numeric(graph.nodes["lat"], errors="coerce").notna().any()
    link = link_to_space(graph, communities, candidates, permutations=permutations, rng=s_space,
                         scheduler=scheduler, n_jobs=n_jobs) if space and located else None
    return NetworkAnalysis(graph=graph, communities=communities, roles=roles, health=health,
                           synergy=network_synergy(graph, helix), space=link, seed=seed.entropy)
