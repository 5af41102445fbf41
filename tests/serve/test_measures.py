"""The dashboard's aggregates: hand-computed cases, k-suppression, agreement with the pulse library."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from clusterwatch.serve.measures import dashboard

MEMBERS = pd.DataFrame({"member_id": ["A", "B", "C", "D"], "name": ["Ay", "Bee", "Cee", "Dee"],
                        "kind": ["firm", "firm", "university", "public"]})
WAVES = pd.DataFrame({"wave": ["w1"], "opens": ["2026-01-01"], "closes": ["2026-12-31"], "order": [1]})


def _answers(rows: list[tuple[str, str, str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([{"wave": "w1", "respondent": r, "alter": a, "item": i, "value": str(v)}
                         for r, a, i, v in rows])


def _trust(r: str, a: str, reliable: int, mission: int, open_: int) -> list[tuple[str, str, str, Any]]:
    return [(r, a, "works_with", 1), (r, a, "trust_reliable", reliable), (r, a, "trust_mission", mission),
            (r, a, "trust_open", open_)]


def test_hand_computed_trust_density_and_suppression() -> None:
    rows = (_trust("A", "D", 4, 4, 1) + _trust("B", "D", 2, 2, 2) + _trust("C", "D", 3, 3, 3)
            + _trust("A", "B", 1, 1, 1) + [("A", "", "satisfaction", 5), ("B", "", "satisfaction", 3),
                                           ("C", "", "satisfaction", 4), ("A", "", "comment", "x")])
    board = dashboard(MEMBERS, _answers(rows), "w1", k=3)
    by = board.members.set_index("member_id")
    # D: rater means 3.0, 2.0, 3.0 -> 8/3
    assert by.loc["D", "raters"] == 3 and math.isclose(by.loc["D", "trust"], 8 / 3)
    assert np.isnan(by.loc["D", "value"])  # nobody gave value items
    assert np.isnan(by.loc["B", "trust"]) and by.loc["B", "suppressed"] == "fewer than 3 raters (1)"
    # 4 works_with ties from 3 respondents among 4 members: 4 / (3 * 3)
    assert math.isclose(board.overview["density"], 4 / 9)
    assert board.overview["respondents"] == 3 and board.overview["response_rate"] == 0.75
    assert board.overview["satisfaction"] == 4.0 and board.overview["comments"] == 1
    assert board.overview["outcome_progress"] is None  # nobody answered it
    # overall trust: mean over the four rated pairs of their item means
    assert math.isclose(board.overview["trust_overall"], (3 + 2 + 3 + 1) / 4)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_a_score_is_shown_exactly_when_k_others_gave_it(k: int) -> None:
    rows = _trust("A", "D", 4, 4, 4) + _trust("B", "D", 2, 2, 2) + _trust("C", "D", 3, 3, 3)
    by = dashboard(MEMBERS, _answers(rows), "w1", k=k).members.set_index("member_id")
    assert (not np.isnan(by.loc["D", "trust"])) == (k <= 3)
    assert (by.loc["D", "suppressed"] == "") == (k <= 3)
    with pytest.raises(ValueError, match="k must be at least 1"):
        dashboard(MEMBERS, _answers(rows), "w1", k=0)


def test_agrees_with_the_pulse_library_on_member_trust_and_value() -> None:
    pytest.importorskip("igraph", reason="pulse's structural measures need igraph (network extra)")
    from clusterwatch.pulse import read_pulse, wave_measures

    rng = np.random.default_rng(3)
    ids = [f"M{i}" for i in range(8)]
    members = pd.DataFrame({"member_id": ids, "name": ids, "kind": ["firm"] * 6 + ["university", "public"]})
    rows = []
    for r in ids[:6]:
        for a in rng.choice([m for m in ids if m != r], size=4, replace=False):
            rows += [(r, a, "works_with", 1)]
            rows += [(r, a, item, int(rng.integers(1, 5))) for item in
                     ("trust_reliable", "trust_mission", "trust_open", "value_power", "value_involvement",
                      "value_resources")]
    answers = _answers(rows)
    ours = dashboard(members, answers, "w1", k=3, waves=WAVES)
    theirs = wave_measures(read_pulse(members, WAVES, answers), "w1", k=3).members.set_index("member_id")
    for row in ours.members.itertuples():
        for measure in ("trust", "value"):
            a, b = getattr(row, measure), theirs.loc[row.member_id, measure]
            assert (np.isnan(a) and np.isnan(b)) or math.isclose(a, b), (row.member_id, measure, a, b)
    assert ours.pulse is not None
    shown = ours.pulse.set_index("measure")["value"]
    assert math.isclose(shown["density"], ours.overview["density"])
    assert shown["respondents"] == 6


def test_comments_are_shown_unattributed_only_from_k_writers() -> None:
    rows = [("C", "", "comment", "zebra"), ("A", "", "comment", "apple"), ("B", "", "comment", "mango")]
    board = dashboard(MEMBERS, _answers(rows), "w1", k=3)
    assert board.comments == ("apple", "mango", "zebra")  # alphabetical, not in respondent order
    fewer = dashboard(MEMBERS, _answers(rows[:2]), "w1", k=3)
    assert fewer.comments == () and fewer.overview["comments"] == 2
    assert "comments: fewer than 3 (2), not shown" in fewer.notes
