"""Building graphs from relations: projections, direct ties, time selections, attributes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusterwatch.analysis.network import PROJECTION_BIAS, build_graph
from clusterwatch.errors import InputError, OptionError


def participations() -> pd.DataFrame:
    # p1: a b c (2015), p2: a b (2017), p3: c d e f (2019), p4: g alone (2016)
    rows = [("a", "p1", "2015-01-01"), ("b", "p1", "2015-01-01"), ("c", "p1", "2015-01-01"),
            ("a", "p2", "2017-06-01"), ("b", "p2", "2017-06-01"),
            ("c", "p3", "2019-03-01"), ("d", "p3", "2019-03-01"), ("e", "p3", "2019-03-01"), ("f", "p3", "2019-03-01"),
            ("g", "p4", "2016-01-01")]
    frame = pd.DataFrame(rows, columns=["source", "project", "date"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["target"] = pd.NA
    frame["kind"] = "participation"
    frame["weight"] = 100.0
    return frame


def ties(graph) -> dict[tuple[str, str], float]:
    return {(s, t): w for s, t, w in graph.edges[["source", "target", "weight"]].itertuples(index=False)}


def test_projection_counts_shared_projects_and_keeps_single_participants() -> None:
    g = build_graph(participations())
    assert g.mode == "projection" and not g.directed
    assert g.nodes["firm_id"].tolist() == list("abcdefg")
    t = ties(g)
    assert t[("a", "b")] == 2 and t[("a", "c")] == 1 and t[("b", "c")] == 1
    assert len(t) == 3 + 6  # p1 triangle (a-b shared twice is one tie) + p3 clique of 4
    assert g.edges.set_index(["source", "target"]).loc[("a", "b"), "ties"] == 2
    assert PROJECTION_BIAS in g.notes
    assert any("single participant" in n for n in g.notes)
    assert np.isnan(g.edges["amount"]).all()  # money belongs to participations, not pairs
    assert set(g.participations["project"]) == {"p1", "p2", "p3", "p4"}


def test_newman_weights_spread_one_per_participant_and_project() -> None:
    g = build_graph(participations(), weighting="newman")
    t = ties(g)
    assert t[("a", "b")] == pytest.approx(1 / 2 + 1 / 1)  # p1 (k=3) and p2 (k=2)
    assert t[("c", "d")] == pytest.approx(1 / 3)
    # each participant of p3 spreads exactly 1 over its partners there
    strength_d = sum(w for (s, t_), w in t.items() if "d" in (s, t_))
    assert strength_d == pytest.approx(1.0)


def test_max_project_size_drops_large_consortia() -> None:
    g = build_graph(participations(), max_project_size=3)
    assert ("c", "d") not in ties(g)
    assert any("more than 3 participants" in n for n in g.notes)


def test_as_of_and_window() -> None:
    as_2016 = build_graph(participations(), as_of="2016-12-31")
    assert set(ties(as_2016)) == {("a", "b"), ("a", "c"), ("b", "c")}
    assert ties(as_2016)[("a", "b")] == 1
    window = build_graph(participations(), start="2017-01-01", end="2019-12-31")
    assert ("a", "b") in ties(window) and ("a", "c") not in ties(window) and ("c", "d") in ties(window)


def test_undated_relations_kept_or_dropped() -> None:
    rel = participations()
    rel.loc[rel["project"] == "p3", "date"] = pd.NaT
    kept = build_graph(rel, as_of="2016-12-31")
    dropped = build_graph(rel, as_of="2016-12-31", undated="drop")
    assert ("c", "d") in ties(kept) and ("c", "d") not in ties(dropped)
    assert any("4 undated ones kept" in n for n in kept.notes)


def test_direct_ties_directed_with_repeats_and_loops() -> None:
    rel = pd.DataFrame({"source": ["x", "x", "y", "z", "z"], "target": ["y", "y", "x", "z", "x"],
                        "date": pd.to_datetime(["2010-01-01", "2012-01-01", "2011-01-01", "2011-01-01", None]),
                        "weight": [5.0, np.nan, 1.0, 1.0, np.nan]})
    g = build_graph(rel)
    assert g.mode == "direct" and g.directed
    t = ties(g)
    assert t == {("x", "y"): 2.0, ("y", "x"): 1.0, ("z", "x"): 1.0}
    row = g.edges.set_index(["source", "target"]).loc[("x", "y")]
    assert row["amount"] == 5.0 and row["first_date"] == pd.Timestamp("2010-01-01")
    assert row["last_date"] == pd.Timestamp("2012-01-01")
    assert any("to itself" in n for n in g.notes)
    und = build_graph(rel, directed=False)
    assert ties(und) == {("x", "y"): 3.0, ("x", "z"): 1.0}
    # the simple undirected view sums both directions
    u, v, w = g.simple
    assert sorted(zip(u.tolist(), v.tolist(), w.tolist(), strict=True)) == [(0, 1, 3.0), (0, 2, 1.0)]


def test_node_attributes_from_firms() -> None:
    rel = pd.DataFrame({"source": ["a", "b"], "target": ["b", "zz"]})
    firms = pd.DataFrame({"firm_id": ["a", "b", "b", "lonely"], "name": ["A", "B", "B2", "L"],
                          "kind": ["firm", "university", "firm", "public"], "sme": [True, False, True, None],
                          "lat": [60.0, 61.0, 0.0, 62.0], "lon": [24.0, 25.0, 0.0, 26.0]})
    g = build_graph(rel, firms)
    nodes = g.nodes.set_index("firm_id")
    assert nodes.loc["b", "name"] == "B"  # first row wins
    assert not nodes.loc["zz", "in_firms"] and pd.isna(nodes.loc["zz", "kind"])
    assert "lonely" not in nodes.index
    assert any("appear more than once" in n for n in g.notes)
    assert any("not in the firms table" in n for n in g.notes)
    with_isolates = build_graph(rel, firms, include_isolates=True)
    assert "lonely" in set(with_isolates.nodes["firm_id"])


def test_relation_kinds_filter() -> None:
    rel = pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"], "kind": ["acquisition", "supply"]})
    g = build_graph(rel, kinds=["supply"])
    assert ties(g) == {("b", "c"): 1.0}


def test_bad_options_and_inputs() -> None:
    rel = participations()
    with pytest.raises(OptionError, match="mode must be one of"):
        build_graph(rel, mode="bipartite")
    with pytest.raises(OptionError, match="weighting"):
        build_graph(rel, weighting="jaccard")
    with pytest.raises(OptionError, match="projection is undirected"):
        build_graph(rel, directed=True)
    with pytest.raises(OptionError, match="as_of must be a date"):
        build_graph(rel, as_of="yesterday")
    with pytest.raises(OptionError, match="after end"):
        build_graph(rel, start="2020-01-01", end="2019-01-01")
    with pytest.raises(OptionError, match="max_project_size"):
        build_graph(rel, max_project_size=1)
    with pytest.raises(OptionError, match="newman"):
        build_graph(pd.DataFrame({"source": ["a"], "target": ["b"]}), weighting="newman")
    with pytest.raises(InputError, match="source"):
        build_graph(pd.DataFrame({"target": ["a"]}))
    mixed = pd.concat([rel, pd.DataFrame({"source": ["a"], "target": ["b"]})], ignore_index=True)
    with pytest.raises(InputError, match="mix"):
        build_graph(mixed)
    assert build_graph(mixed, mode="direct").n_edges == 1


def test_exports() -> None:
    g = build_graph(participations())
    nxg = g.to_networkx()
    assert nxg.number_of_nodes() == 7 and nxg.number_of_edges() == 9 and nxg["a"]["b"]["ties"] == 2
    ig = g.to_igraph()
    assert ig.vcount() == 7 and ig.ecount() == 9 and ig.vs["firm_id"][0] == "a"
    assert g.to_frame().equals(g.edges)
