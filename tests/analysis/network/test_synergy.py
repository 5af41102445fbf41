"""Leydesdorff's triple-helix synergy: hand-computed cases and the per-community version."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from clusterwatch.analysis.network import build_graph, describe_communities, triple_helix_synergy
from clusterwatch.errors import InputError, OptionError

TOL = 1e-12


def units(patterns: list[str]) -> pd.DataFrame:
    """One unit per pattern; letters u, i, g name the helices present."""
    kind = {"u": "university", "i": "firm", "g": "public"}
    rows = [(n, kind[letter]) for n, p in enumerate(patterns) for letter in p]
    return pd.DataFrame(rows, columns=["unit", "kind"])


def h(*p: float) -> float:
    return -sum(x * math.log2(x) for x in p if x > 0)


def test_hand_computed_case() -> None:
    # units: UI, UI, UG, IG. Marginals: u 3/4, i 3/4, g 2/4; every pair and the triple: 1/2, 1/4, 1/4.
    result = triple_helix_synergy(units(["ui", "ui", "ug", "ig"]))
    h_u = h_i = h(0.75, 0.25)  # 0.811278...
    h_g = 1.0
    h_pair = h_triple = h(0.5, 0.25, 0.25)  # 1.5
    expected = h_u + h_i + h_g - 3 * h_pair + h_triple  # = -0.377443...
    assert result.synergy == pytest.approx(expected, abs=TOL)
    assert result.synergy == pytest.approx(-0.3774437510817346, abs=1e-12)
    assert result.entropies["H_u"] == pytest.approx(0.8112781244591328, abs=TOL)
    assert result.entropies["H_uig"] == pytest.approx(1.5, abs=TOL)
    assert result.mutual_information["T_ug"] == pytest.approx(h_u + h_g - h_pair, abs=TOL)
    assert result.n_units == 4
    table = result.table.set_index(["university", "industry", "government"])["units"]
    assert table[(True, True, False)] == 2 and table.sum() == 4


def test_one_bit_of_synergy_and_independence() -> None:
    # one helix alone or all three: any two tell the third
    assert triple_helix_synergy(units(["u", "g", "i", "uig"])).synergy == -1.0
    # a product distribution gives T = 0: u and i independent fair coins, g always present
    assert triple_helix_synergy(units(["g", "ug", "ig", "uig"])).synergy == pytest.approx(0.0, abs=TOL)
    # u and i always present, g in half the units: nothing shared, T = 0
    assert triple_helix_synergy(units(["uig", "uig", "ui", "ui"])).synergy == pytest.approx(0.0, abs=TOL)


def test_units_without_a_helix_and_mapping() -> None:
    frame = pd.concat([units(["u", "g", "i", "uig"]),
                       pd.DataFrame({"unit": [99, 98], "kind": ["other", None]})], ignore_index=True)
    result = triple_helix_synergy(frame)
    assert result.synergy == -1.0 and result.n_units == 4 and result.n_units_without_helix == 2
    # research counted as government instead: the research-only unit becomes a government unit
    frame = pd.DataFrame({"unit": [1, 2, 3], "kind": ["research", "firm", "public"]})
    default = triple_helix_synergy(frame)
    moved = triple_helix_synergy(frame, helix={"research": "government", "firm": "industry", "public": "government"})
    assert default.entropies["H_u"] > 0 and moved.entropies["H_u"] == 0.0
    with pytest.raises(OptionError, match="helix values"):
        triple_helix_synergy(frame, helix={"firm": "business"})
    with pytest.raises(InputError, match="unit"):
        triple_helix_synergy(pd.DataFrame({"kind": ["firm"]}))
    assert np.isnan(triple_helix_synergy(pd.DataFrame({"unit": [1], "kind": ["other"]})).synergy)


def test_community_synergy_matches_the_single_computation() -> None:
    rng = np.random.default_rng(5)
    kinds = np.array(["firm", "university", "research", "public", "other"])
    firm_ids = [f"o{i:02d}" for i in range(40)]
    firms = pd.DataFrame({"firm_id": firm_ids, "kind": kinds[rng.integers(0, 5, 40)]})
    rows = []
    for p in range(60):
        for member in rng.choice(40, size=rng.integers(2, 7), replace=False):
            rows.append((firm_ids[member], f"p{p}"))
    rel = pd.DataFrame(rows, columns=["source", "project"])
    graph = build_graph(rel, firms)
    membership = pd.Series(rng.integers(0, 3, graph.n_nodes), index=graph.nodes["firm_id"].to_numpy())
    summary = describe_communities(graph, membership)
    kind = firms.set_index("firm_id")["kind"]
    for group in range(3):
        members = set(membership.index[membership == group])
        part = rel[rel["source"].isin(members)].drop_duplicates()
        single = triple_helix_synergy(pd.DataFrame({"unit": part["project"], "kind": part["source"].map(kind)}))
        row = summary.set_index("community").loc[group]
        assert row["synergy_bits"] == pytest.approx(single.synergy, abs=1e-12, nan_ok=True)
        assert row["synergy_units"] == single.n_units
