"""The network analysis on the real CORDIS and Crunchbase files: figures quoted in the README, and references."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clusterwatch
from clusterwatch.analysis.network import analyse_network, betweenness, build_graph, burt_constraint

FRAUNHOFER = "999984059"


@pytest.fixture(scope="module")
def semiconductor(shared_data: Path) -> clusterwatch.IngestResult:
    return clusterwatch.read_firms(shared_data / "cordis_semiconductor" / "organization.json", format="cordis")


@pytest.fixture(scope="module")
def semiconductor_analysis(semiconductor: clusterwatch.IngestResult):
    graph = build_graph(semiconductor.relations, semiconductor.firms)
    return analyse_network(graph, group="country", rng=1)


def test_semiconductor_graph(semiconductor: clusterwatch.IngestResult) -> None:
    graph = build_graph(semiconductor.relations, semiconductor.firms)
    assert (graph.n_nodes, graph.n_edges, graph.mode) == (763, 38_682, "projection")
    # the projection: one clique per project, so ties = distinct pairs over the 26 projects' cliques
    part = semiconductor.relations[["project", "source"]].drop_duplicates()
    pairs = part.merge(part, on="project")
    pairs = pairs[pairs["source_x"] < pairs["source_y"]][["source_x", "source_y"]].drop_duplicates()
    assert len(pairs) == graph.n_edges
    assert graph.nodes["in_firms"].all() and graph.participations["project"].nunique() == 26


def test_semiconductor_betweenness_and_constraint_match_igraph(semiconductor: clusterwatch.IngestResult) -> None:
    graph = build_graph(semiconductor.relations, semiconductor.firms)
    ours, method, _, _ = betweenness(graph)
    reference = np.asarray(graph.to_igraph().betweenness(directed=False))
    assert method == "exact"
    np.testing.assert_allclose(ours, reference, rtol=1e-9, atol=1e-6)
    constraint = burt_constraint(graph)
    assert np.isfinite(constraint).all() and (constraint > 0).all()


def test_semiconductor_findings(semiconductor_analysis) -> None:
    result = semiconductor_analysis
    nodes = result.to_frame().set_index("firm_id")
    top = result.roles.top("betweenness", 6)
    # the brokers: Fraunhofer first, then TU Eindhoven, CEA, VTT, Politecnico di Milano, Bosch; all gatekeepers
    assert top.index[0] == nodes.index.get_loc(FRAUNHOFER)
    assert set(top["kind"]) == {"research", "university", "firm"}
    assert (top["gb_role"] == "gatekeeper").all()
    assert nodes.loc[FRAUNHOFER, "core"]
    m = result.health.metrics
    assert m["components"] == 1 and m["density"] == pytest.approx(0.1331, abs=1e-4)
    frag = result.health.fragility.set_index("k")
    # robust to a few departures, falls apart when the top 100 brokers (13 %) leave
    assert frag.loc[10, "largest_share"] == pytest.approx(753 / 763)
    assert frag.loc[100, "largest_share"] == pytest.approx(0.460, abs=0.001)
    assert frag.loc[100, "random_largest_share"] == pytest.approx(0.869, abs=0.002)
    assert frag.loc[100, "p_value"] == pytest.approx(1 / 1000)
    # every project has a university or research organisation: the academic helix is constant, T = 0
    assert result.synergy.entropies["H_u"] == 0.0 and result.synergy.synergy == 0.0
    assert result.communities.n_communities >= 5
    assert result.space is not None and result.space.communities["p_value"].notna().all()


def test_h2020_network(shared_data: Path) -> None:
    h2020 = clusterwatch.read_firms(shared_data / "cordis_h2020" / "h2020_organizations_union_of_history.csv",
                                    format="cordis")
    graph = build_graph(h2020.relations, h2020.firms)
    assert (graph.n_nodes, graph.n_edges) == (3114, 39_331)
    result = analyse_network(graph, group="country", permutations=199, rng=1)
    m = result.health.metrics
    assert (m["components"], m["isolates"]) == (95, 81)
    assert m["largest_component_share"] == pytest.approx(0.9627, abs=1e-4)
    # synergy recomputed straight from the participations: presence of U, I, G per project
    helix = {"university": "u", "research": "u", "firm": "i", "public": "g"}
    kind = h2020.firms.drop_duplicates("firm_id").set_index("firm_id")["kind"].map(helix)
    rel = h2020.relations.assign(h=h2020.relations["source"].map(kind)).dropna(subset=["h"])
    presence = pd.crosstab(rel["project"], rel["h"]) > 0
    p = presence.value_counts(normalize=True)

    def entropy(cols: list[str]) -> float:
        q = presence.groupby(cols).size() / len(presence)
        return float(-(q * np.log2(q)).sum())

    t = (entropy(["u"]) + entropy(["i"]) + entropy(["g"]) - entropy(["u", "i"]) - entropy(["u", "g"])
         - entropy(["i", "g"]) + entropy(["u", "i", "g"]))
    assert len(p) > 1 and result.synergy.n_units == len(presence) == 594
    assert result.synergy.synergy == pytest.approx(t, abs=1e-12)
    assert result.synergy.synergy == pytest.approx(-0.0345, abs=1e-4)
    frag = result.health.fragility.set_index("k")
    assert frag.loc[500, "largest_share"] < 0.1 < 0.7 < frag.loc[500, "random_largest_share"]
    top = result.roles.top("betweenness", 1)
    assert top["name"].iloc[0].startswith("FRAUNHOFER")


def test_crunchbase_acquisitions(shared_data: Path) -> None:
    folder = shared_data / "crunchbase2013"
    acquisitions = clusterwatch.read_firms(folder / "crunchbase-acquisitions.csv", format="crunchbase-acquisitions")
    companies = clusterwatch.read_firms(folder / "crunchbase-companies.csv", format="crunchbase-companies")
    graph = build_graph(acquisitions.relations, companies.firms)
    assert graph.directed and graph.mode == "direct" and (graph.n_nodes, graph.n_edges) == (6918, 4621)
    acquired = pd.Series(np.bincount(graph.source_index, minlength=graph.n_nodes), index=graph.nodes["firm_id"])
    assert acquired.idxmax() == "/company/cisco" and acquired.max() == 88
    earlier = build_graph(acquisitions.relations, companies.firms, as_of="2008-12-31")
    assert earlier.n_edges < graph.n_edges and earlier.edges["last_date"].max() <= pd.Timestamp("2008-12-31")
    result = analyse_network(build_graph(acquisitions.relations, companies.firms, directed=False),
                             group="region", permutations=99, rng=1)
    assert result.health.metrics["components"] == 2308 and result.roles.betweenness_method == "exact"
    # the acquirer stars: IBM's component (97 companies) is the largest, then Cisco's and Google's
    assert result.roles.top("betweenness", 3)["firm_id"].tolist() == ["/company/ibm", "/company/cisco",
                                                                       "/company/google"]
    assert result.communities.summary["size"].head(3).tolist() == [97, 90, 79]
