"""Per-wave measures: hand-computed small networks, networkx on real data, k-suppression."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from clusterwatch.pulse import cronbach_alpha, read_pulse, wave_measures
from clusterwatch.pulse.measures import wave_matrices

from ._networks import load_network

TOL = 1e-9
WAVE = pd.DataFrame({"wave": ["w"], "order": [1]})


def star() -> pd.DataFrame:
    """A university hub H named by four firms; H names a and b back."""
    rows = [("w", x, "H", "works_with", 1) for x in "abcd"] + [("w", "H", x, "works_with", 1) for x in "ab"]
    return pd.DataFrame(rows, columns=["wave", "respondent", "alter", "item", "value"])


STAR_MEMBERS = pd.DataFrame({"member_id": ["H", *"abcd"], "kind": ["university", *["firm"] * 4]})


def test_star_by_hand() -> None:
    wm = wave_measures(read_pulse(STAR_MEMBERS, WAVE, star()), "w")
    net = wm.network
    assert net["density"] == pytest.approx(6 / 20, abs=TOL)       # 6 reports over 5 × 4 observed dyads
    assert net["reciprocity"] == pytest.approx(2 / 4, abs=TOL)    # 2 mutual of 4 tied pairs
    assert net["degree_centralisation"] == pytest.approx(1.0)
    assert net["transitivity"] == 0.0
    assert net["components"] == 1 and net["fragmentation"] == 0.0
    assert net["broker_dependence"] == pytest.approx(1.0)         # every pair of leaves runs through H
    assert net["fragility_top1"] == pytest.approx(0.2)
    assert wm.top_broker == "H"
    h = wm.members.set_index("member_id").loc["H"]
    assert h["betweenness"] == 6 and h["constraint"] == pytest.approx(0.25)
    # directed two-paths x → H → y between two firms: a→b, b→a, c→a, c→b, d→a, d→b
    assert h["itinerant"] == 6 and h["coordinator"] == 0 and h["brokerage"] == 6
    assert wm.helix.set_index("kinds").loc["firm–university", "share"] == 1.0
    assert net["share_firm_university"] == 1.0


def trust_rows(scores: dict[tuple[str, str], float]) -> pd.DataFrame:
    rows = []
    for (r, a), v in scores.items():
        for item in ("trust_reliable", "trust_mission", "trust_open"):
            rows.append(("w", r, a, item, v))
    return pd.DataFrame(rows, columns=["wave", "respondent", "alter", "item", "value"])


def test_trust_is_shown_only_from_k_raters_and_asymmetry_by_hand() -> None:
    members = pd.DataFrame({"member_id": list("ABCDE"), "kind": "firm"})
    scores = {("B", "A"): 4, ("C", "A"): 3, ("D", "A"): 2, ("A", "B"): 2, ("C", "B"): 4, ("A", "C"): 1}
    wm = wave_measures(read_pulse(members, WAVE, trust_rows(scores)), "w", k=3)
    m = wm.members.set_index("member_id")
    assert m.loc["A", "trust"] == pytest.approx(3.0) and m.loc["A", "trust_raters"] == 3
    assert np.isnan(m.loc["B", "trust"]) and m.loc["B", "trust_suppressed"]
    assert np.isnan(m.loc["C", "trust"]) and m.loc["C", "trust_suppressed"]
    assert not m.loc["E", "trust_suppressed"]  # not rated at all: nothing to hide
    record = wm.suppressed
    assert set(record.loc[record["table"] == "members", "subject"]) == {"B", "C"}
    assert record.loc[record["table"] == "network", "measure"].tolist() == ["trust_asymmetry"]
    assert wm.suppressed["reason"].str.contains("fewer than k = 3").all()
    assert wm.network["trust"] == pytest.approx(16 / 6)
    # pairs rated both ways: A–B (4 vs 2), A–C (3 vs 1): mean |difference| 2; only 2 pairs < k, so hidden
    assert wm.network["asymmetric_pairs"] == 2 and np.isnan(wm.network["trust_asymmetry"])
    assert wave_measures(read_pulse(members, WAVE, trust_rows(scores)), "w", k=2).network["trust_asymmetry"] == 2
    shown = wave_measures(read_pulse(members, WAVE, trust_rows(scores)), "w", k=1).members.set_index("member_id")
    assert shown.loc["B", "trust"] == 3.0 and shown.loc["C", "trust"] == 1.0


def test_cronbach_alpha_by_hand() -> None:
    x = pd.DataFrame([[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 4, 4]], columns=["a", "b", "c"])
    alpha, items = cronbach_alpha(x)
    assert alpha == pytest.approx(1.5 * (1 - 3.25 / (26.75 / 3)), abs=TOL)  # 0.9533
    # item a against b + c = [4, 6, 7, 8]: 6.5 / sqrt(5 · 8.75)
    assert items.set_index("item").loc["a", "item_total_r"] == pytest.approx(6.5 / np.sqrt(43.75), abs=TOL)
    assert np.isnan(cronbach_alpha(x[["a"]])[0])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cronbach_alpha_matches_the_covariance_form(seed: int) -> None:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=200)
    x = latent[:, None] + rng.normal(scale=1.0, size=(200, 4))
    cov = np.cov(x, rowvar=False)
    expected = 4 / 3 * (1 - np.trace(cov) / cov.sum())
    assert cronbach_alpha(x)[0] == pytest.approx(expected, abs=1e-12)


def test_structure_matches_networkx_on_glasgow(shared_data) -> None:
    data = load_network(shared_data, "glasgow_s50")
    for wave, published_ties in zip(data.wave_ids, (113, 116, 122), strict=True):
        wm = wave_measures(data, wave)
        assert wm.network["ties"] == published_ties
        m = wave_matrices(data, wave)
        g = nx.DiGraph()
        g.add_nodes_from(m.ids)
        g.add_edges_from((m.ids[i], m.ids[j]) for i, j in zip(*np.nonzero(m.ties), strict=True))
        u = g.to_undirected()
        assert wm.network["density"] == pytest.approx(nx.density(g), abs=TOL)
        edge_recip = nx.overall_reciprocity(g)
        assert wm.network["reciprocity"] == pytest.approx(edge_recip / (2 - edge_recip), abs=TOL)
        assert wm.network["transitivity"] == pytest.approx(nx.transitivity(u), abs=TOL)
        assert wm.network["components"] == nx.number_connected_components(u)
        members = wm.members.set_index("member_id")
        bc = nx.betweenness_centrality(u, normalized=False)
        assert np.allclose(members["betweenness"], [bc[i] for i in m.ids], atol=1e-9)
        cons = nx.constraint(u)
        expected = np.array([cons[i] for i in m.ids])
        got = members["constraint"].to_numpy()
        assert np.allclose(got[np.isfinite(expected)], expected[np.isfinite(expected)], atol=1e-9)
        assert np.isnan(got[~np.isfinite(expected)]).all()  # isolates
        deg = np.array([d for _, d in u.degree()])
        n = len(deg)
        assert wm.network["degree_centralisation"] == pytest.approx((deg.max() - deg).sum() / ((n - 1) * (n - 2)))
        b = np.array([bc[i] for i in m.ids])
        assert wm.network["betweenness_centralisation"] == pytest.approx(
            (b.max() - b).sum() / ((n - 1) ** 2 * (n - 2) / 2))
        assert wm.network["core_density"] > wm.network["periphery_density"]
        sizes = sorted((len(c) for c in nx.connected_components(u)), reverse=True)
        assert wm.network["largest_component_share"] == pytest.approx(sizes[0] / n)
        assert wm.network["fragmentation"] == pytest.approx(1 - sum(s * (s - 1) for s in sizes) / (n * (n - 1)))


def test_real_panels_measure_every_wave(shared_data) -> None:
    vdb = load_network(shared_data, "vdbunt_freshmen")
    assert vdb.to_frame()["respondents"].tolist() == [32, 30, 29, 27, 26, 31, 25]  # rows coded 9 = non-response
    wm = wave_measures(vdb, "3")
    assert wm.network["response_rate"] == pytest.approx(29 / 32)
    assert 1 <= wm.network["trust"] <= 4 and wm.network["alpha_trust"] == pytest.approx(1.0)
    assert (wm.members["trust_raters"] >= 3).sum() > 20  # most students rated by 3+ others
    shown = wm.members["trust"].notna()
    assert (wm.members.loc[shown, "trust_raters"] >= 3).all()
    kap = load_network(shared_data, "kapferer_tailor")
    assert [wave_measures(kap, w).network["union_ties"] for w in kap.wave_ids] == [158, 223]
    assert [wave_measures(kap, w).network["reciprocity"] for w in kap.wave_ids] == [1.0, 1.0]


def brute_force_brokerage(ties: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Gould–Fernandez counts by enumeration of every open two-path a → b → c (a ≠ c, no a → c)."""
    n = len(groups)
    out = np.zeros((n, 5), dtype=int)  # coordinator, itinerant, representative, gatekeeper, liaison
    for b in range(n):
        for a in np.flatnonzero(ties[:, b]):
            for c in np.flatnonzero(ties[b]):
                if a == c or ties[a, c]:
                    continue
                ga, gb, gc = groups[a], groups[b], groups[c]
                if ga == gb == gc:
                    out[b, 0] += 1
                elif ga == gc != gb:
                    out[b, 1] += 1
                elif ga == gb != gc:
                    out[b, 2] += 1
                elif gb == gc != ga:
                    out[b, 3] += 1
                else:
                    out[b, 4] += 1
    return out


def test_brokerage_by_kind_matches_enumeration_on_van_de_bunt(shared_data) -> None:
    from clusterwatch.pulse.edgelist import VDBUNT_TRUST, from_wave_edges

    d = shared_data / "networks" / "vdbunt_freshmen"
    actors = pd.read_csv(d / "actors.csv")
    # programme (2-, 3-, 4-year) stands in for three member kinds
    kinds = pd.Series(actors["program"].map({2: "firm", 3: "university", 4: "public"}).to_numpy(),
                      index=actors["id"])
    data = from_wave_edges(pd.read_csv(d / "edges.csv"), actors, tie=lambda v: (v >= 1) & (v <= 3),
                           trust=VDBUNT_TRUST, missing=pd.read_csv(d / "missing.csv"), kinds=kinds)
    wm = wave_measures(data, "4")
    m = wave_matrices(data, "4")
    expected = brute_force_brokerage(m.ties, m.kinds)
    got = wm.members[["coordinator", "itinerant", "representative", "gatekeeper", "liaison"]].to_numpy()
    assert expected.sum() > 100 and (expected[:, 1:] > 0).any()
    np.testing.assert_array_equal(got, expected)
    assert set(wm.helix["kinds"]) <= {"firm–firm", "firm–public", "firm–university", "public–public",
                                      "public–university", "university–university"}
    assert wm.helix["share"].sum() == pytest.approx(1.0)


def test_knecht_tie_counts_as_published(shared_data) -> None:
    data = load_network(shared_data, "knecht_classroom")
    ties = [wave_measures(data, w).network["ties"] for w in data.wave_ids]
    assert ties == [91, 117, 133, 119]  # as published (PROVENANCE.md, btergm's knecht)
    assert data.to_frame()["respondents"].tolist() == [26, 25, 23, 25]  # rows coded missing


def test_unknown_panel_is_a_clear_error(shared_data, tmp_path) -> None:
    from clusterwatch.errors import InputError
    from clusterwatch.pulse import read_panel

    with pytest.raises(InputError, match="unknown panel"):
        read_panel(shared_data / "networks", "lazega")
    with pytest.raises(InputError, match="no such panel folder"):
        read_panel(tmp_path, "glasgow_s50")


def test_broker_dependence_on_a_path_by_hand() -> None:
    # a – b – c – d: b sits on the paths a–c and a–d, 2 of the 3 connected pairs without b
    members = pd.DataFrame({"member_id": list("abcd"), "kind": "firm"})
    rows = [("w", s, t, "works_with", 1) for s, t in ("ab", "bc", "cd")]
    wm = wave_measures(read_pulse(members, WAVE, pd.DataFrame(rows, columns=["wave", "respondent", "alter", "item",
                                                                               "value"])), "w")
    assert wm.top_broker == "b"
    assert wm.network["broker_dependence"] == pytest.approx(2 / 3)
    assert wm.network["fragility_top1"] == pytest.approx(2 / 4)  # c – d left
    # d answered nothing: its row is unobserved, so density is 3 ties over 3 respondents × 3 others
    assert wm.network["density"] == pytest.approx(3 / 9) and wm.network["reciprocity"] == 0.0
