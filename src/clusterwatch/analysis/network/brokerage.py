"""Gould & Fernandez's brokerage roles over groups of organisations (kind, country, community ...)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clusterwatch.analysis.network import _kernels
from clusterwatch.analysis.network.communities import Communities, membership_codes
from clusterwatch.analysis.network.graph import NetworkGraph
from clusterwatch.compute import compute_map
from clusterwatch.errors import OptionError

BROKERAGE_ROLES = _kernels.BROKERAGE_ROLES


def _node_groups(graph: NetworkGraph, group: str | pd.Series | Communities) -> tuple[np.ndarray, np.ndarray, str]:
    if isinstance(group, str):
        if group not in graph.nodes.columns:
            allowed = [c for c in graph.nodes.columns if c not in ("firm_id", "lat", "lon", "in_firms")]
            raise OptionError(f"group must be a node attribute ({', '.join(allowed)}) or a membership, "
                              f"got {group!r}")
        codes, labels = pd.factorize(graph.nodes[group].astype("object"), sort=True)
        return codes.astype(np.int64), np.asarray(labels), group
    codes, labels = membership_codes(graph, group)
    return codes, labels, "community" if isinstance(group, Communities) else "membership"


def _brokerage_task(task: tuple[np.ndarray, ...]) -> np.ndarray:
    brokers, group, n_groups, out_ptr, out_idx, in_ptr, in_idx = task
    return _kernels.brokerage_counts(brokers, group, int(n_groups), out_ptr, out_idx, in_ptr, in_idx)


def brokerage_roles(graph: NetworkGraph, group: str | pd.Series | Communities = "kind", *,
                    directed: bool | None = None, scheduler: str | None = "threads", n_jobs: int | None = None
                    ) -> pd.DataFrame:
    """Gould & Fernandez's brokerage roles: how often each node brokers between members of groups.

    A broker b sits on an open two-path a → b → c: a ties to b, b to c, a ≠ c, and a has no tie to c. By the
    groups of a, b and c:

    ==============================  =================  =====================================================
    role                            pattern            the broker …
    ==============================  =================  =====================================================
    coordinator                     A → A → A          links two members of its own group
    itinerant (consultant)          A → B → A          links two members of another group
    representative                  A → A → B          passes its group's tie out to another group
    gatekeeper                      A → B → B          lets another group's tie into its own
    liaison                         A → B → C          links two other, different groups
    ==============================  =================  =====================================================

    Undirected graphs (projections, ``directed=False``) treat each tie as two arcs, so every open two-path a – b
    – c is counted twice, once each way: coordinator, itinerant and liaison counts are twice the number of
    unordered pairs, and a node's representative and gatekeeper counts are equal (one pair seen from each end).
    Nodes whose group is unknown broker nothing, and two-paths through them are not counted.

    Parameters
    ----------
    graph
        From :func:`build_graph`.
    group
        A node attribute (``kind``, ``country``, ``region`` …) or a membership (:class:`Communities`, Series
        ``firm_id`` → group).
    directed
        Follow tie directions (default: as the graph).
    scheduler, n_jobs
        How chunks of brokers are counted (:func:`clusterwatch.compute.compute_map`); counts are exact integers,
        the same for any scheduler.

    Returns
    -------
    pandas.DataFrame
        ``firm_id``, ``group``, the five role counts and ``brokerage`` (their sum), aligned with the nodes.

    Raises
    ------
    OptionError
        For a group that is no node attribute.

    References
    ----------
    Gould, R. V. & Fernandez, R. M. (1989). Structures of mediation: A formal approach to brokerage in
    transaction networks. *Sociological Methodology* 19, 89–126.

    Examples
    --------
    A university between two firms is an itinerant broker (both ways):

    >>> from clusterwatch.analysis.network import build_graph
    >>> rel = pd.DataFrame({"source": ["f1", "u"], "target": ["u", "f2"]})
    >>> firms = pd.DataFrame({"firm_id": ["f1", "f2", "u"], "kind": ["firm", "firm", "university"]})
    >>> b = brokerage_roles(build_graph(rel, firms, directed=False), "kind")
    >>> b.set_index("firm_id").loc["u", ["coordinator", "itinerant", "liaison"]].tolist()
    [0, 2, 0]
    """
    codes, labels, name = _node_groups(graph, group)
    use_directed = graph.directed if directed is None else bool(directed) and graph.directed
    n = graph.n_nodes
    out_ptr, out_idx, in_ptr, in_idx = graph.arcs if use_directed else (*graph.adjacency, *graph.adjacency)
    # chunks of roughly equal work (sum of squared degrees), for threads
    work = np.diff(out_ptr).astype(float) * np.diff(in_ptr) + 1.0
    n_chunks = int(min(64, max(1, n // 2000)))
    bounds = np.searchsorted(np.cumsum(work), np.linspace(0, work.sum(), n_chunks + 1)[1:-1])
    chunks = np.split(np.arange(n, dtype=np.int64), bounds)
    tasks = [(c, codes, max(len(labels), 1), out_ptr, out_idx, in_ptr, in_idx) for c in chunks]
    counts = np.concatenate(compute_map(_brokerage_task, tasks, scheduler=scheduler, n_jobs=n_jobs)) if n else \
        np.zeros((0, 5), dtype=np.int64)
    frame = pd.DataFrame(counts, columns=list(BROKERAGE_ROLES))
    frame.insert(0, "group", pd.Series(np.where(codes >= 0, labels[np.maximum(codes, 0)] if len(labels) else None,
                                                None), dtype="object"))
    frame.insert(0, "firm_id", graph.nodes["firm_id"].to_numpy())
    frame["brokerage"] = counts.sum(axis=1)
    frame.attrs["group_by"] = name
    return frame
