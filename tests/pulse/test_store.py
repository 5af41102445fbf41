"""The pulse tables of the DuckDB workspace: round trip, replacement, withdrawal."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from clusterwatch.errors import WorkspaceError
from clusterwatch.io.pulse_store import clusters, load_pulse, save_pulse, withdraw_member
from clusterwatch.pulse import read_pulse, wave_measures

MEMBERS = pd.DataFrame({"member_id": ["M1", "M2", "M3"], "name": ["Acme", "Uni", "Town"],
                        "kind": ["firm", "university", "public"], "joined": ["2020-01-01", None, None]})
WAVES = pd.DataFrame({"wave": ["2026-1"], "opens": ["2026-03-01"], "closes": ["2026-03-31"], "order": [1]})
ANSWERS = pd.DataFrame({"wave": "2026-1", "respondent": ["M1", "M2", "M3", "M3", "M1"],
                        "alter": ["M2", "M1", "M1", None, "M7"],
                        "item": ["works_with", "works_with", "trust_open", "comment", "works_with"],
                        "value": ["1", "1", "3", "great", "1"]})


def test_round_trip_replace_and_withdraw(tmp_path) -> None:
    ws = tmp_path / "ws.duckdb"
    data = read_pulse(MEMBERS, WAVES, ANSWERS)
    save_pulse(ws, "north", data)
    save_pulse(ws, "north", data)  # replaced, not doubled
    save_pulse(ws, "south", read_pulse(MEMBERS, WAVES))
    assert clusters(ws) == ["north", "south"]
    back = load_pulse(ws, "north")
    assert len(back.answers) == len(data.answers) == 4 and len(back.rejected) == 1
    assert back.answers.loc[back.answers["item"] == "comment", "text"].item() == "great"
    assert back.answers["alter"].isna().sum() == 1
    assert back.members["joined"].iloc[0] == pd.Timestamp("2020-01-01")
    pd.testing.assert_frame_equal(wave_measures(back, "2026-1").to_frame(), wave_measures(data, "2026-1").to_frame())
    after = withdraw_member(ws, "north", "M1")
    assert after.withdrawn == ("M1",)
    stored = load_pulse(ws, "north")
    assert "M1" not in set(stored.members["member_id"])
    assert not (stored.answers[["respondent", "alter"]] == "M1").any().any()
    assert stored.rejected.empty  # the rejected row quoted M1's answer
    assert stored.withdrawn == ("M1",)
    con = duckdb.connect(str(ws), read_only=True)
    try:
        left = con.execute("SELECT count(*) FROM pulse_answers WHERE respondent = 'M1' OR alter = 'M1'").fetchone()
    finally:
        con.close()
    assert left == (0,)
    assert len(load_pulse(ws, "south").members) == 3
    # re-importing the old member list and answers does not bring M1 back
    again = save_pulse(ws, "north", read_pulse(MEMBERS, WAVES, ANSWERS))
    assert "M1" not in set(again.members["member_id"]) and again.withdrawn == ("M1",)
    stored = load_pulse(ws, "north")
    assert "M1" not in set(stored.members["member_id"])
    assert not (stored.answers[["respondent", "alter"]] == "M1").any().any()


def test_missing_cluster_or_workspace_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(WorkspaceError, match="does not exist"):
        load_pulse(tmp_path / "none.duckdb", "north")
    ws = tmp_path / "ws.duckdb"
    save_pulse(ws, "north", read_pulse(MEMBERS, WAVES))
    with pytest.raises(WorkspaceError, match="clusters: north"):
        load_pulse(ws, "east")
