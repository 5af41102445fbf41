"""Between waves: tie turnover by hand, bootstrap intervals, QAP, drifting members, reproducibility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusterwatch.errors import OptionError
from clusterwatch.pulse import read_pulse
from clusterwatch.pulse.change import compare_waves, qap_correlation

from ._networks import load_network

MEMBERS = pd.DataFrame({"member_id": list("ABCDE"), "kind": ["firm", "firm", "university", "public", "firm"]})
WAVES = pd.DataFrame({"wave": ["1", "2"], "order": [1, 2]})


def rows(wave: str, ties: list[str], trust: dict[str, float] | None = None) -> list[tuple]:
    out = [(wave, t[0], t[1], "works_with", 1) for t in ties]
    for pair, v in (trust or {}).items():
        out += [(wave, pair[0], pair[1], item, v) for item in ("trust_reliable", "trust_mission", "trust_open")]
    return out


def test_turnover_by_hand() -> None:
    w1 = rows("1", ["AB", "BA", "AC", "CA", "DA", "EA"], {"AB": 3, "BA": 4})
    w2 = rows("2", ["AB", "BA", "AD", "CB"], {"AB": 1, "BA": 4, "DA": 1})
    data = read_pulse(MEMBERS, WAVES, pd.DataFrame(w1 + w2, columns=["wave", "respondent", "alter", "item",
                                                                      "value"]))
    ch = compare_waves(data, "1", "2", replicates=99, permutations=99)
    # respondents of both waves: A, B, C, D (E stays silent at 2)
    assert ch.ties["stable"] == 2             # A→B, B→A
    assert ch.ties["formed"] == 2             # A→D, C→B
    assert ch.ties["dissolved"] == 3          # A→C, C→A, D→A (D answered wave 2: a trust item, no tie)
    assert ch.ties["turned_negative"] == 2    # A→B 3 → 1; D→A untied → 1
    m = ch.members.set_index("member_id")
    assert m.loc["A", "degree_before"] == 4 and m.loc["A", "degree_after"] == 2
    assert bool(m.loc["A", "drifting"])
    row = ch.measures.set_index("measure").loc["response_rate"]
    assert row["before"] == 1.0 and row["after"] == 0.8 and row["change"] == pytest.approx(-0.2)


def test_qap_detects_a_stable_network_and_not_an_unrelated_one() -> None:
    rng = np.random.default_rng(5)
    x = rng.random((20, 20)) < 0.2
    same = x.copy()
    same[0, 1] = ~same[0, 1]
    r, p = qap_correlation(x, same, 199, np.random.default_rng(0))
    assert r > 0.9 and p == pytest.approx(1 / 200)
    _, p_other = qap_correlation(x, rng.random((20, 20)) < 0.2, 199, np.random.default_rng(0))
    assert p_other > 0.01


def test_real_panel_change_has_intervals_and_is_reproducible(shared_data) -> None:
    data = load_network(shared_data, "vdbunt_freshmen")
    ch = compare_waves(data, "2", "3", replicates=199, permutations=99, rng=3)
    again = compare_waves(data, "2", "3", replicates=199, permutations=99, rng=3)
    pd.testing.assert_frame_equal(ch.measures, again.measures)
    boot = ch.measures[ch.measures["method"] == "vertex bootstrap"].set_index("measure")
    assert {"density", "reciprocity", "transitivity", "trust"} <= set(boot.index)
    assert (boot["ci_low"] <= boot["ci_high"]).all()
    assert (boot["ci_low"] <= boot["change"] + 0.05).all() and (boot["change"] - 0.05 <= boot["ci_high"]).all()
    assert ch.ties["qap_r"] > 0.5 and ch.ties["qap_p"] == pytest.approx(1 / 100)  # friendships persist
    assert ch.ties["stable"] + ch.ties["dissolved"] <= ch.before_measures.network["ties"]
    with pytest.raises(OptionError):
        compare_waves(data, "2", "2")
