"""Early-warning rules: each fires on a hand-built case with its evidence; AUC against scikit-learn."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from clusterwatch.errors import OptionError
from clusterwatch.pulse import read_pulse
from clusterwatch.pulse.warnings import THRESHOLDS, auc, auc_interval, early_warnings, tie_risk

from ._networks import load_network

COLS = ["wave", "respondent", "alter", "item", "value"]
MEMBERS = pd.DataFrame({"member_id": [f"M{i}" for i in range(1, 7)], "kind": "firm"})
WAVES = pd.DataFrame({"wave": ["1", "2"], "order": [1, 2]})


def ring_then_star() -> pd.DataFrame:
    """Wave 1: everyone answers, a ring M1…M6 named both ways. Wave 2: only M1–M3 answer; all name M1."""
    ids = [f"M{i}" for i in range(1, 7)]
    w1 = [("1", a, b, "works_with", 1) for a, b in zip(ids, ids[1:] + ids[:1], strict=True)]
    w1 += [("1", b, a, "works_with", 1) for a, b in zip(ids, ids[1:] + ids[:1], strict=True)]
    w2 = [("2", "M2", "M1", "works_with", 1), ("2", "M3", "M1", "works_with", 1), ("2", "M1", "M4", "works_with", 1)]
    return pd.DataFrame(w1 + w2, columns=COLS)


def test_rules_fire_with_their_evidence() -> None:
    warn = early_warnings(read_pulse(MEMBERS, WAVES, ring_then_star()), "2", replicates=99)
    assert warn.previous == "1"
    alerts = warn.alerts.set_index(["rule", "subject"])
    ev = alerts["evidence"]
    assert "50% against 100% in wave 1 (-50 points" in ev.loc[("falling_response", "network")]
    assert ev.loc[("broker_dependence", "network")].startswith("100% of connected pairs")
    assert ("tie_loss", "network") in ev.index
    assert ("fragmenting", "network") in ev.index           # M5, M6 drop out of every tie
    for member in ("M4", "M5", "M6"):
        assert ("stopped_answering", member) in ev.index
    assert ("isolation_risk", "M2") in ev.index
    assert ("drifting", "M5") not in ev.index  # it stopped answering: its ties are unknown, not gone
    assert set(warn.alerts["threshold"].dropna().index) == set(warn.alerts.index)
    assert warn.member_alerts.set_index("member_id").loc["M5", "rules"] == "stopped_answering"
    first = early_warnings(read_pulse(MEMBERS, WAVES, ring_then_star()), "1")
    assert first.previous is None and not first.alerts["rule"].isin(["falling_response", "drifting"]).any()


def test_thresholds_can_be_changed_and_are_checked() -> None:
    data = read_pulse(MEMBERS, WAVES, ring_then_star())
    quiet = early_warnings(data, "2", thresholds={"falling_response": 0.6, "broker_dependence": 1.01}, replicates=9)
    assert not quiet.alerts["rule"].isin(["falling_response", "broker_dependence"]).any()
    with pytest.raises(OptionError, match="unknown rule"):
        early_warnings(data, "2", thresholds={"panic": 1})
    assert set(THRESHOLDS) >= {"falling_response", "low_trust", "drifting"}


def test_low_trust_needs_k_raters() -> None:
    rows = [("1", r, "M1", item, 1) for r in ("M2", "M3") for item in ("trust_reliable", "trust_mission",
                                                                        "trust_open")]
    data = read_pulse(MEMBERS, WAVES, pd.DataFrame(rows, columns=COLS))
    assert not (early_warnings(data, "1").alerts["rule"] == "low_trust").any()
    low = early_warnings(data, "1", k=2).alerts.set_index("rule")
    assert low.loc["low_trust", "subject"] == "M1" and "from 2 raters" in low.loc["low_trust", "evidence"]


@pytest.mark.parametrize("seed", range(5))
def test_auc_matches_scikit_learn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.random(300) < 0.3
    s = rng.integers(0, 4, size=300) + y  # ties on purpose
    assert auc(s, y) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    point, low, high = auc_interval(s, y, groups=np.arange(300) // 3, replicates=199, rng=seed)
    assert low <= point <= high and low >= 0 and high <= 1
    assert np.isnan(auc(s, np.zeros(300, bool)))


def test_real_panel_alerts_name_one_member_each(shared_data) -> None:
    data = load_network(shared_data, "vdbunt_freshmen")
    warn = early_warnings(data, "4", replicates=99)
    assert len(warn.alerts) and warn.alerts["evidence"].str.len().gt(10).all()
    ids = set(data.members["member_id"])
    assert set(warn.alerts["subject"]) <= ids | {"network"}
    for row in warn.alerts.itertuples():
        named = set(re.findall(r"A\d{3}", row.evidence)) - {row.subject}
        assert len(named) <= (1 if row.rule == "broker_dependence" else 0)  # no pair is ever shown
    risk = tie_risk(data, "4")
    assert len(risk) == warn.measures.network["ties"]
    assert risk["score"].between(0, 4).all()


def test_paired_auc_gain() -> None:
    rng = np.random.default_rng(3)
    y = rng.random(400) < 0.3
    good = y + rng.normal(scale=0.5, size=400)
    weak = y + rng.normal(scale=3.0, size=400)
    gain, low, high = auc_interval(good, y, baseline=weak, replicates=299, rng=0)
    assert gain == pytest.approx(auc(good, y) - auc(weak, y))
    assert 0 < low <= gain <= high
    same, lo2, hi2 = auc_interval(good, y, baseline=good, replicates=49, rng=0)
    assert same == lo2 == hi2 == 0
