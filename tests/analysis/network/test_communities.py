"""Communities: planted structure recovered, reproducible for a seed, described correctly."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from clusterwatch.analysis.network import build_graph, describe_communities, detect_communities
from clusterwatch.errors import OptionError


def ring_of_cliques(n_cliques: int = 8, size: int = 5) -> pd.DataFrame:
    """Cliques joined in a ring by one tie each: the classic case of modularity's resolution limit."""
    rows = []
    for c in range(n_cliques):
        members = [f"c{c}m{i}" for i in range(size)]
        rows += list(itertools.combinations(members, 2))
        rows.append((members[0], f"c{(c + 1) % n_cliques}m1"))
    return pd.DataFrame(rows, columns=["source", "target"])


def test_planted_cliques_are_recovered_and_partition_the_nodes() -> None:
    graph = build_graph(ring_of_cliques(), directed=False)
    found = detect_communities(graph, rng=3)
    labels = found.labels()
    assert labels.index.tolist() == graph.nodes["firm_id"].tolist()  # every node once: a partition
    clique = labels.index.str.extract(r"^(c\d+)")[0].to_numpy()
    assert found.n_communities == 8
    for c in np.unique(clique):
        assert labels[clique == c].nunique() == 1
    assert found.modularity == pytest.approx(graph.igraph().modularity(labels.tolist()), abs=1e-12)
    assert (np.diff(found.summary["size"].to_numpy()) <= 0).all()  # numbered from the largest


def test_same_seed_same_partition_and_louvain() -> None:
    rng = np.random.default_rng(0)
    edges = pd.DataFrame(rng.integers(0, 300, size=(1500, 2)).astype(str), columns=["source", "target"])
    graph = build_graph(edges, directed=False)
    a = detect_communities(graph, rng=11).membership
    b = detect_communities(graph, rng=11).membership
    pd.testing.assert_frame_equal(a, b)
    lou = detect_communities(graph, method="louvain", rng=11)
    assert lou.method == "louvain" and lou.n_communities > 1 and lou.seed == 11


def test_resolution_splits_more() -> None:
    graph = build_graph(ring_of_cliques(16, 4), directed=False)
    coarse = detect_communities(graph, gamma=0.05, rng=1)
    fine = detect_communities(graph, gamma=1.0, rng=1)
    assert coarse.n_communities < fine.n_communities


def test_description_by_hand() -> None:
    rel = pd.DataFrame({"source": ["a", "a", "b", "c", "d"], "target": ["b", "c", "c", "d", "e"]})
    firms = pd.DataFrame({
        "firm_id": list("abcde"), "name": ["A", "B", "C", "D", "E"],
        "kind": ["firm", "firm", "university", "public", None],
        "sme": pd.array([True, False, None, None, True], dtype="boolean"),
        "lat": [60.0, 60.0, 60.0, 50.0, np.nan], "lon": [24.0, 26.0, 25.0, 10.0, np.nan],
    })
    graph = build_graph(rel, firms, directed=False)
    summary = describe_communities(graph, pd.Series({"a": "x", "b": "x", "c": "x", "d": "y", "e": "y"}))
    x = summary.set_index("community").loc["x"]
    y = summary.set_index("community").loc["y"]
    assert (x["size"], x["internal_ties"], x["external_ties"], x["internal_density"]) == (3, 3, 1, 1.0)
    assert (y["size"], y["internal_ties"], y["external_ties"]) == (2, 1, 1)
    assert (x["n_firm"], x["n_university"], x["n_unknown"], y["n_public"], y["n_unknown"]) == (2, 1, 0, 1, 1)
    assert x["share_firm"] == pytest.approx(2 / 3)
    assert (x["sme_known"], x["sme_share"]) == (2, 0.5)
    assert x["located"] == 3 and x["lat"] == pytest.approx(60.0, abs=0.01) and x["lon"] == pytest.approx(25.0)
    assert x["spread_km"] == pytest.approx(55.6, abs=0.5)  # 1 degree of longitude at 60° N ≈ 55.6 km
    assert y["located"] == 1 and y["spread_km"] == 0.0
    assert x["top_members"].startswith("C; ")  # c has most ties
    # direct ties: synergy units are the community's internal ties (a-b II, a-c IU, b-c IU)
    assert x["synergy_units"] == 3


def test_bad_options() -> None:
    graph = build_graph(ring_of_cliques(), directed=False)
    with pytest.raises(OptionError, match="method"):
        detect_communities(graph, method="infomap")
    with pytest.raises(OptionError, match="gamma"):
        detect_communities(graph, gamma=0)
    with pytest.raises(OptionError, match="gamma"):
        detect_communities(graph, gamma=float("nan"))


def test_the_old_resolution_keyword_still_works_with_a_warning() -> None:
    graph = build_graph(ring_of_cliques(), directed=False)
    with pytest.warns(DeprecationWarning, match="gamma"):
        old = detect_communities(graph, resolution=0.05, rng=1)
    new = detect_communities(graph, gamma=0.05, rng=1)
    assert old.gamma == new.gamma == 0.05
    pd.testing.assert_frame_equal(old.membership, new.membership)
    with pytest.warns(DeprecationWarning, match="gamma"):
        assert new.resolution == 0.05
    with pytest.raises(OptionError, match="n_iterations"):
        detect_communities(graph, n_iterations=0)
