"""Roles: betweenness and constraint against networkx, Gould–Fernandez against brute force, Giuliani–Bell by hand."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from clusterwatch.analysis.network import (
    BROKERAGE_ROLES,
    betweenness,
    brokerage_roles,
    build_graph,
    burt_constraint,
    detect_communities,
    giuliani_bell_roles,
    node_roles,
)
from clusterwatch.errors import OptionError

TOL = 1e-9


def random_graph(seed: int, n: int = 40, m: int = 120, directed: bool = False) -> tuple:
    rng = np.random.default_rng(seed)
    pairs = rng.integers(0, n, size=(m, 2))
    rel = pd.DataFrame({"source": [f"n{a:02d}" for a in pairs[:, 0]], "target": [f"n{b:02d}" for b in pairs[:, 1]]})
    kinds = np.array(["firm", "university", "research", None], dtype=object)
    firms = pd.DataFrame({"firm_id": [f"n{i:02d}" for i in range(n)], "kind": kinds[rng.integers(0, 4, n)],
                          "country": np.array(["DE", "FR", "IT"])[rng.integers(0, 3, n)]})
    graph = build_graph(rel, firms, directed=directed)
    return graph, graph.to_networkx()


@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_betweenness_matches_networkx(seed: int, directed: bool) -> None:
    graph, g = random_graph(seed, directed=directed)
    values, method, k, _ = betweenness(graph)
    ref = nx.betweenness_centrality(g, normalized=False)
    assert method == "exact" and k is None
    np.testing.assert_allclose(values, [ref[i] for i in graph.nodes["firm_id"]], atol=TOL)


def test_pivot_estimate_is_unbiased_and_exact_with_all_pivots() -> None:
    graph, g = random_graph(4, n=60, m=200)
    exact = np.array([nx.betweenness_centrality(g, normalized=False)[i] for i in graph.nodes["firm_id"]])
    all_pivots, method, _, _ = betweenness(graph, exact_max_work=0, pivots=graph.n_nodes)
    np.testing.assert_allclose(all_pivots, exact, atol=TOL)
    estimates = np.array([betweenness(graph, exact_max_work=0, pivots=15, rng=s)[0] for s in range(300)])
    assert betweenness(graph, exact_max_work=0, pivots=15, rng=0)[1] == "pivots"
    # the mean of 300 independent estimates is within a few standard errors of the exact value
    total_error = abs(estimates.mean(axis=0).sum() - exact.sum()) / exact.sum()
    assert total_error < 0.02
    top = np.argsort(-exact)[:3]
    assert np.allclose(estimates.mean(axis=0)[top], exact[top], rtol=0.1)


def test_betweenness_same_for_any_scheduler() -> None:
    graph, _ = random_graph(7, n=80, m=300)
    serial = betweenness(graph, exact_max_work=0, pivots=40, rng=3, scheduler="serial")[0]
    threads = betweenness(graph, exact_max_work=0, pivots=40, rng=3, scheduler="threads", n_jobs=2)[0]
    assert np.array_equal(serial, threads)


@pytest.mark.parametrize("seed", [0, 1])
def test_constraint_matches_networkx(seed: int) -> None:
    graph, g = random_graph(seed)
    ref = nx.constraint(g, weight="weight")
    values = burt_constraint(graph)
    expected = np.array([ref[i] for i in graph.nodes["firm_id"]], dtype=float)
    np.testing.assert_allclose(values, expected, atol=TOL, equal_nan=True)


def brute_force_brokerage(graph, directed: bool, attribute: str = "kind") -> np.ndarray:
    """Every open two-path a -> b -> c enumerated and classified, straight from Gould & Fernandez."""
    n = graph.n_nodes
    arcs = set()
    if directed:
        arcs = set(zip(graph.source_index.tolist(), graph.target_index.tolist(), strict=True))
    else:
        u, v, _ = graph.simple
        arcs = set(zip(u.tolist(), v.tolist(), strict=True)) | set(zip(v.tolist(), u.tolist(), strict=True))
    group = graph.nodes[attribute].astype("object").to_numpy()
    group = np.where(pd.isna(group), None, group)  # unknown: no brokerage through it
    out = {x: [y for (s, y) in arcs if s == x] for x in range(n)}
    counts = np.zeros((n, 5), dtype=np.int64)
    for b in range(n):
        for a, c in itertools.product(range(n), out[b]):
            if a in (b, c) or (a, b) not in arcs or (a, c) in arcs:
                continue
            ga, gb, gc = group[a], group[b], group[c]
            if ga is None or gb is None or gc is None:
                continue
            if ga == gb == gc:
                role = 0
            elif ga == gc:
                role = 1
            elif ga == gb:
                role = 2
            elif gc == gb:
                role = 3
            else:
                role = 4
            counts[b, role] += 1
    return counts


@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_brokerage_matches_brute_force(seed: int, directed: bool) -> None:
    graph, _ = random_graph(seed, n=30, m=110, directed=directed)
    found = brokerage_roles(graph, "kind")
    expected = brute_force_brokerage(graph, directed)
    assert np.array_equal(found[list(BROKERAGE_ROLES)].to_numpy(), expected)
    assert (found["brokerage"] == expected.sum(axis=1)).all()
    if not directed:  # each open pair seen from both ends
        assert (found["representative"] == found["gatekeeper"]).all()


def test_brokerage_by_hand_and_over_a_membership() -> None:
    # two firms and a university around a research body r; f1-f2 also tied
    rel = pd.DataFrame({"source": ["f1", "f2", "u", "f1"], "target": ["r", "r", "r", "f2"]})
    firms = pd.DataFrame({"firm_id": ["f1", "f2", "u", "r"], "kind": ["firm", "firm", "university", "research"]})
    graph = build_graph(rel, firms, directed=False)
    b = brokerage_roles(graph).set_index("firm_id")
    # open two-paths through r: f1-r-u, f2-r-u (f1-r-f2 is closed); each counted both ways: liaison 4
    assert b.loc["r", list(BROKERAGE_ROLES)].tolist() == [0, 0, 0, 0, 4]
    assert b.loc["f1", "brokerage"] == 0
    by_country = brokerage_roles(graph, pd.Series({"f1": "A", "f2": "A", "u": "B", "r": "A"})).set_index("firm_id")
    assert by_country.loc["r", ["representative", "gatekeeper"]].tolist() == [2, 2]
    with pytest.raises(OptionError, match="node attribute"):
        brokerage_roles(graph, "sector")


def test_brokerage_same_for_any_scheduler() -> None:
    graph, _ = random_graph(9, n=3000, m=9000)
    serial = brokerage_roles(graph, "country", scheduler="serial")
    threads = brokerage_roles(graph, "country", scheduler="threads", n_jobs=2)
    pd.testing.assert_frame_equal(serial, threads)


def test_giuliani_bell_per_cluster_medians() -> None:
    # cluster 1: a hub (3 internal) with leaves; cluster 2: a pair; x outside
    rel = pd.DataFrame({"source": ["a", "a", "a", "d", "p", "q", "x"], "target": ["b", "c", "d", "x", "q", "x", "y"]})
    graph = build_graph(rel, directed=False)
    membership = pd.Series({"a": 1, "b": 1, "c": 1, "d": 1, "p": 2, "q": 2})
    net = giuliani_bell_roles(graph, membership).set_index("firm_id")
    per = giuliani_bell_roles(graph, membership, median_over="cluster").set_index("firm_id")
    # network medians over the six members: internal [3,1,1,1,1,1] -> 1, external [0,0,0,1,0,1] -> 0
    assert net.loc["a", "gb_role"] == "active mutual exchanger"
    assert net.loc["d", "gb_role"] == "external star"
    assert net.loc["q", "gb_role"] == "external star" and net.loc["p", "gb_role"] == "isolated"
    assert pd.isna(net.loc["x", "gb_role"]) and pd.isna(net.loc["x", "high_internal"])
    # cluster 2 alone: internal [1,1] -> 1 (nobody above), external [0,1] -> 0.5
    assert per.loc["q", "gb_role"] == "external star" and per.loc["p", "gb_role"] == "isolated"
    assert (net["internal_ties"] + net["external_ties"]).loc["a"] == 3
    with pytest.raises(OptionError, match="median_over"):
        giuliani_bell_roles(graph, membership, median_over="mean")


def test_node_roles_table() -> None:
    graph, _ = random_graph(5, n=50, m=150)
    communities = detect_communities(graph, rng=1)
    roles = node_roles(graph, communities, group="country", rng=2)
    nodes = roles.to_frame()
    assert len(nodes) == graph.n_nodes and roles.betweenness_method == "exact" and roles.group_by == "country"
    assert set(nodes["gb_role"].dropna()) <= {"gatekeeper", "active mutual exchanger", "external star", "isolated"}
    assert (nodes["degree"] == nodes["internal_ties"] + nodes["external_ties"]).all()
    assert roles.top("betweenness", 1)["betweenness"].iloc[0] == nodes["betweenness"].max()
    with pytest.raises(OptionError, match="pivots"):
        node_roles(graph, communities, pivots=0)
