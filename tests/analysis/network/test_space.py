"""Network and space: candidates' ties and communities by hand; the co-location test finds co-located groups."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from clusterwatch.analysis.network import build_graph, detect_communities, link_to_space
from clusterwatch.errors import InputError, OptionError


def two_groups(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Group A: 12 organisations within ~5 km of Tampere; group B: 12 spread over Europe. Cliques, one bridge."""
    rng = np.random.default_rng(seed)
    a = [f"a{i:02d}" for i in range(12)]
    b = [f"b{i:02d}" for i in range(12)]
    rows = list(itertools.combinations(a, 2)) + list(itertools.combinations(b, 2)) + [("a00", "b00")]
    firms = pd.DataFrame({
        "firm_id": a + b,
        "lat": np.r_[61.5 + rng.normal(0, 0.03, 12), rng.uniform(38, 60, 12)],
        "lon": np.r_[23.8 + rng.normal(0, 0.05, 12), rng.uniform(-8, 25, 12)],
        "kind": "firm",
    })
    return pd.DataFrame(rows, columns=["source", "target"]), firms


def test_candidates_by_hand() -> None:
    rel, firms = two_groups()
    graph = build_graph(rel, firms, directed=False)
    communities = detect_communities(graph, rng=1)
    candidates = pd.DataFrame({
        "candidate_id": ["c1", "c1", "c1", "c1", "c2", "c2", "c2"],
        "firm_id": ["a01", "a02", "a03", "not-a-node", "a00", "b00", "b05"],
    })
    link = link_to_space(graph, communities, candidates, permutations=99, rng=1)
    c = link.candidates.set_index("candidate_id")
    assert (c.loc["c1", "firms"], c.loc["c1", "in_network"], c.loc["c1", "ties_among"]) == (4, 3, 3)
    assert c.loc["c1", "density_among"] == 1.0 and c.loc["c1", "tied_firms"] == 3
    assert c.loc["c1", "communities"] == 1 and c.loc["c1", "same_community_share"] == 1.0
    # c2: a00-b00 (the bridge) and b00-b05: two ties of three pairs; a00 in A, the b's in B
    assert (c.loc["c2", "ties_among"], c.loc["c2", "communities"]) == (2, 2)
    assert c.loc["c2", "main_community_share"] == pytest.approx(2 / 3)
    assert c.loc["c2", "same_community_share"] == pytest.approx(1 / 3)
    assert c.loc["c1", "expected_same_community_share"] == pytest.approx(2 * 12 * 11 / (24 * 23))
    space = link.communities.set_index("community")
    comm_a = communities.labels()["a01"]
    assert space.loc[comm_a, "main_candidate"] == "c1"
    assert space.loc[comm_a, "main_candidate_share"] == pytest.approx(3 / 12)


def test_colocation_test_tells_apart_the_groups() -> None:
    rel, firms = two_groups()
    graph = build_graph(rel, firms, directed=False)
    communities = detect_communities(graph, rng=1)
    link = link_to_space(graph, communities, permutations=999, rng=4)
    space = link.communities.set_index("community")
    labels = communities.labels()
    near, far = space.loc[labels["a01"]], space.loc[labels["b01"]]
    assert near["spread_km"] < 10 and far["spread_km"] > 300
    assert near["p_value"] < 0.01 and near["colocated"]
    assert far["p_value"] > 0.05 and not far["colocated"]
    assert ((space["p_value"] > 0) & (space["p_value"] <= 1)).all()
    assert link.candidates.empty


def test_same_result_for_any_scheduler_and_min_size() -> None:
    rel, firms = two_groups(2)
    graph = build_graph(rel, firms, directed=False)
    communities = detect_communities(graph, rng=1)
    serial = link_to_space(graph, communities, permutations=300, rng=9, scheduler="serial").communities
    threads = link_to_space(graph, communities, permutations=300, rng=9, scheduler="threads", n_jobs=2).communities
    pd.testing.assert_frame_equal(serial, threads)
    untested = link_to_space(graph, communities, permutations=99, rng=9, min_size=13).communities
    assert untested["p_value"].isna().all() and not untested["colocated"].any()


def test_bad_inputs() -> None:
    rel, firms = two_groups()
    graph = build_graph(rel, firms, directed=False)
    communities = detect_communities(graph, rng=1)
    with pytest.raises(InputError, match="candidate_id"):
        link_to_space(graph, communities, pd.DataFrame({"firm_id": ["a01"]}))
    with pytest.raises(OptionError, match="alpha"):
        link_to_space(graph, communities, alpha=1.5)
    with pytest.raises(OptionError, match="min_size"):
        link_to_space(graph, communities, min_size=1)
    other = detect_communities(build_graph(pd.DataFrame({"source": ["x"], "target": ["y"]})), rng=1)
    with pytest.raises(InputError, match="another graph"):
        link_to_space(graph, other)
