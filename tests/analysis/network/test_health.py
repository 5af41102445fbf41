"""Health: hand-computed measures, the core–periphery fit, fragility against a brute-force recomputation."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from clusterwatch.analysis.network import build_graph, core_periphery, fragility, network_health

TOL = 1e-12


def two_triangles() -> pd.DataFrame:
    # a-b-c and d-e-f joined by c-d, plus an isolated pair g-h
    return pd.DataFrame({"source": ["a", "a", "b", "c", "d", "d", "e", "g"],
                         "target": ["b", "c", "c", "d", "e", "f", "f", "h"]})


def test_measures_by_hand() -> None:
    graph = build_graph(two_triangles(), directed=False)
    health = network_health(graph, permutations=99, rng=0)
    m = health.metrics
    n, ties = 8, 8
    assert (m["nodes"], m["ties"]) == (n, ties)
    assert m["density"] == pytest.approx(2 * ties / (n * (n - 1)), abs=TOL)
    assert m["components"] == 2 and m["largest_component_share"] == 0.75
    assert m["fragmentation"] == pytest.approx(1 - (6 * 5 + 2 * 1) / (8 * 7), abs=TOL)
    degree = np.array([2, 2, 3, 3, 2, 2, 1, 1])
    assert m["degree_centralisation"] == pytest.approx((3 - degree).sum() / (7 * 6), abs=TOL)
    # betweenness: c and d each 2*3 + ... -> exact values from networkx
    ref = nx.betweenness_centrality(graph.to_networkx(), normalized=False)
    b = np.array([ref[i] for i in graph.nodes["firm_id"]])
    assert m["betweenness_centralisation"] == pytest.approx((b.max() - b).sum() / (7**2 * 6 / 2), abs=TOL)
    assert m["transitivity"] == pytest.approx(nx.transitivity(graph.to_networkx()), abs=TOL)
    assert health.betweenness_method == "exact"


def test_star_is_fully_centralised() -> None:
    star = build_graph(pd.DataFrame({"source": ["hub"] * 6, "target": list("abcdef")}), directed=False)
    m = network_health(star, permutations=9, rng=0).metrics
    assert m["degree_centralisation"] == 1.0 and m["betweenness_centralisation"] == 1.0


def test_core_periphery_recovers_a_planted_core() -> None:
    core = [f"k{i}" for i in range(8)]
    rows = list(itertools.combinations(core, 2))
    rng = np.random.default_rng(1)
    for j in range(40):  # periphery: each tied to two core members, never to each other
        for c in rng.choice(8, 2, replace=False):
            rows.append((f"p{j:02d}", core[c]))
    graph = build_graph(pd.DataFrame(rows, columns=["source", "target"]), directed=False)
    in_core, metrics = core_periphery(graph)
    found = set(graph.nodes["firm_id"][in_core])
    assert found == set(core)
    assert metrics["core_density"] == 1.0 and metrics["periphery_density"] == 0.0
    assert metrics["core_fit"] == pytest.approx(1.0)


def brute_force_curve(graph, ranking: np.ndarray, ks: list[int]) -> list[tuple[float, int]]:
    g = graph.to_networkx()
    ids = graph.nodes["firm_id"].to_numpy()
    order = np.lexsort((np.arange(len(ranking)), -ranking))
    out = []
    for k in ks:
        h = g.copy()
        h.remove_nodes_from(ids[order[:k]])
        sizes = [len(c) for c in nx.connected_components(h)]
        out.append((max(sizes, default=0) / graph.n_nodes, len(sizes)))
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fragility_matches_recomputation(seed: int) -> None:
    rng = np.random.default_rng(seed)
    pairs = rng.integers(0, 120, size=(200, 2))
    graph = build_graph(pd.DataFrame({"source": pairs[:, 0].astype(str), "target": pairs[:, 1].astype(str)}),
                        directed=False)
    ranking = rng.random(graph.n_nodes)
    curve, _ = fragility(graph, ranking, removals=[1, 3, 10, 40], permutations=99, rng=seed)
    expected = brute_force_curve(graph, ranking, [0, 1, 3, 10, 40])
    assert curve["k"].tolist() == [0, 1, 3, 10, 40]
    np.testing.assert_allclose(curve["largest_share"], [e[0] for e in expected], atol=TOL)
    assert curve["components"].tolist() == [e[1] for e in expected]
    assert ((curve["p_value"] > 0) & (curve["p_value"] <= 1)).all()
    assert (curve["random_low"] <= curve["random_largest_share"] + TOL).all()
    assert (curve["random_largest_share"] <= curve["random_high"] + TOL).all()


def test_random_removals_same_for_any_scheduler() -> None:
    rng = np.random.default_rng(3)
    pairs = rng.integers(0, 500, size=(1500, 2))
    graph = build_graph(pd.DataFrame({"source": pairs[:, 0].astype(str), "target": pairs[:, 1].astype(str)}),
                        directed=False)
    ranking = np.arange(graph.n_nodes, dtype=float)
    serial, _ = fragility(graph, ranking, permutations=250, rng=5, scheduler="serial")
    threads, _ = fragility(graph, ranking, permutations=250, rng=5, scheduler="threads", n_jobs=2)
    pd.testing.assert_frame_equal(serial, threads)


@pytest.mark.parametrize("share", [1, 2, 5, 16])
def test_shared_passes_give_the_same_curves(share: int) -> None:
    from clusterwatch.analysis.network.health import random_removal_curves, removal_curve

    rng = np.random.default_rng(share)
    pairs = rng.integers(0, 400, size=(900, 2))
    graph = build_graph(pd.DataFrame({"source": pairs[:, 0].astype(str), "target": pairs[:, 1].astype(str)}),
                        directed=False)
    _, _, u, v, indptr, indices = graph.local
    ks = np.array([0, 1, 7, 30, 120])
    orders = np.stack([rng.choice(graph.n_nodes, 120, replace=False) for _ in range(23)])
    largest, components = random_removal_curves(u, v, indptr, indices, orders, ks, share)
    for row, order in enumerate(orders):
        one_l, one_c = removal_curve(u, v, indptr, indices, order, ks)
        assert np.array_equal(largest[row], one_l) and np.array_equal(components[row], one_c)


def test_top_brokers_break_a_barbell_more_than_chance() -> None:
    # two cliques of 10 joined through a chain of 3 brokers
    left = [f"l{i}" for i in range(10)]
    right = [f"r{i}" for i in range(10)]
    rows = list(itertools.combinations(left, 2)) + list(itertools.combinations(right, 2))
    rows += [("l0", "b1"), ("b1", "b2"), ("b2", "b3"), ("b3", "r0")]
    graph = build_graph(pd.DataFrame(rows, columns=["source", "target"]), directed=False)
    health = network_health(graph, removals=[1], permutations=999, rng=2)
    row = health.fragility.set_index("k").loc[1]
    assert row["largest_share"] == pytest.approx(11 / 23)
    assert row["random_largest_share"] > 0.8
    assert row["p_value"] < 0.05
    assert health.fragility.loc[1, "removed"] in {"b1", "b2", "b3"}


def test_bad_removals() -> None:
    graph = build_graph(two_triangles(), directed=False)
    from clusterwatch.errors import OptionError

    with pytest.raises(OptionError, match="removals"):
        fragility(graph, np.zeros(graph.n_nodes), removals=[0])
    with pytest.raises(OptionError, match="ranking"):
        fragility(graph, np.zeros(3))
    with pytest.raises(OptionError, match="permutations"):
        network_health(graph, permutations=0)
