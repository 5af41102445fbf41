"""Reading and validating pulse data (pulse.read): every bad answer becomes a rejected row with its reason."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from clusterwatch.errors import InputError, OptionError
from clusterwatch.pulse import add_answers, members_from_candidates, read_pulse, read_wide, withdraw

MEMBERS = pd.DataFrame({"member_id": ["M1", "M2", "M3", "M4"],
                        "name": ["Acme", "Uni", "Lab", "Town"],
                        "kind": ["firm", "university", "research", "public"],
                        "joined": ["2020-01-01", "2020-01-01", "2020-01-01", "2027-01-01"]})
WAVES = pd.DataFrame({"wave": ["2026-1"], "opens": ["2026-03-01"], "closes": ["2026-03-31"], "order": [1]})


def answers(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["wave", "respondent", "alter", "item", "value"])


def test_every_bad_answer_is_rejected_with_its_reason_and_line() -> None:
    rows = [
        ("2026-1", "M1", "M2", "trust_open", "4"),      # line 2: fine
        ("2026-1", "M1", "M9", "works_with", "1"),      # 3: unknown member
        ("2026-1", "M1", "M2", "trust_open", "5"),      # 4: out of scale (and would be a duplicate)
        ("2026-1", "M1", "M1", "works_with", "1"),      # 5: self-rating
        ("2026-1", "M1", "M2", "trust_open", "3"),      # 6: duplicate of line 2
        ("2026-1", "X7", "M2", "works_with", "1"),      # 7: respondent not a member
        ("2026-2", "M1", "M2", "works_with", "1"),      # 8: unknown wave
        ("2026-1", "M1", "M2", "loyalty", "1"),         # 9: unknown item
        ("2026-1", "M1", "M2", "frequency", "often"),   # 10: not a number
        ("2026-1", "M1", None, "trust_open", "2"),      # 11: missing alter
        ("2026-1", "M1", "M2", "satisfaction", "4"),    # 12: alter on a cluster item
        ("2026-1", "M4", "M1", "works_with", "1"),      # 13: joined after the wave
        ("2026-1", "M2", None, "satisfaction", "4"),    # 14: fine
        ("2026-1", "M2", None, "comment", "good"),      # 15: fine (text)
    ]
    data = read_pulse(MEMBERS, WAVES, answers(rows))
    got = dict(zip(data.rejected["line"], data.rejected["reason"], strict=True))
    assert len(data.answers) + len(data.rejected) == len(rows)  # nothing dropped silently
    assert got[3].startswith("unknown member")
    assert got[4].startswith("out-of-scale value (scale 1–4)")
    assert got[5].startswith("self-rating")
    assert got[6].startswith("duplicate answer")
    assert got[7] == "respondent not a member"
    assert got[8].startswith("unknown wave")
    assert got[9].startswith("unknown item")
    assert got[10] == "value is not a number"
    assert got[11].startswith("missing alter")
    assert got[12].startswith("alter given for an item about the cluster")
    assert got[13].startswith("respondent not a member during this wave")
    assert sorted(data.answers["item"]) == ["comment", "satisfaction", "trust_open"]
    assert json.loads(data.rejected.set_index("line").loc[3, "raw"])["alter"] == "M9"
    assert data.answers.loc[data.answers["item"] == "comment", "text"].item() == "good"


def test_stated_scale_must_match_the_instrument() -> None:
    frame = answers([("2026-1", "M1", "M2", "trust_open", "3")]).assign(scale_min="1", scale_max="7")
    data = read_pulse(MEMBERS, WAVES, frame)
    assert data.rejected["reason"].item().startswith("stated scale differs")


def test_bad_members_and_waves_are_rejected_rows(tmp_path) -> None:
    members = pd.DataFrame({"member_id": ["M1", "M1", None, "M2"], "kind": ["firm", "firm", "firm", "bank"]})
    data = read_pulse(members, WAVES)
    assert data.members["member_id"].tolist() == ["M1"]
    assert sorted(data.rejected["reason"].str[:12]) == ["duplicate me", "kind must be", "missing memb"]
    with pytest.raises(InputError, match="member_id"):
        read_pulse(pd.DataFrame({"id": ["M1"]}), WAVES)
    with pytest.raises(InputError, match="no such file"):
        read_pulse(tmp_path / "absent.csv", WAVES)
    with pytest.raises(InputError, match="share an order"):
        read_pulse(MEMBERS, pd.DataFrame({"wave": ["a", "b"], "order": [1, 1]}))


def test_wide_layout_with_mapping_keeps_line_and_column(tmp_path) -> None:
    wide = pd.DataFrame({"who": ["M1", "M2", "M3"], "ww_M2": ["1", "1", "0"], "tr_M2": ["4", "", "9"],
                         "sat": ["5", "4", "3"], "timestamp": ["x", "y", "z"]})
    path = tmp_path / "export.xlsx"
    wide.to_excel(path, index=False)
    mapping = tmp_path / "mapping.csv"
    pd.DataFrame({"column": ["ww_M2", "tr_M2", "sat"], "item": ["works_with", "trust_reliable", "satisfaction"],
                  "alter": ["M2", "M2", ""]}).to_csv(mapping, index=False)
    long = read_wide(path, mapping, respondent_column="who", wave="2026-1")
    data = add_answers(read_pulse(MEMBERS, WAVES), long, label=str(path))
    rejected = data.rejected.set_index("reason")
    assert rejected.loc["self-rating (respondent rates itself)", "line"] == 3  # M2 about M2, row 2 of the export
    out = rejected.filter(like="out-of-scale", axis=0)
    assert out["line"].item() == 4 and out["column"].item() == "tr_M2"
    assert len(data.answers) == 6  # 2 works_with + 1 trust + 3 satisfaction
    again = add_answers(data, long, label="again")
    assert len(again.answers) == 6
    assert again.rejected["reason"].str.contains("already stored").sum() == 6
    direct = read_pulse(MEMBERS, WAVES, long)
    assert direct.rejected[["line", "column"]].values.tolist() == data.rejected[["line", "column"]].values.tolist()
    with pytest.raises(InputError, match="lacks"):
        read_wide(path, {"nope": ("works_with", "M2")}, respondent_column="who", wave="2026-1")


def test_withdrawal_removes_answers_by_and_about_the_member() -> None:
    rows = [("2026-1", "M1", "M2", "works_with", "1"), ("2026-1", "M2", "M1", "works_with", "1"),
            ("2026-1", "M3", "M1", "works_with", "1"), ("2026-1", "M2", "M9", "works_with", "1")]
    data = withdraw(read_pulse(MEMBERS, WAVES, answers(rows)), "M2")
    assert "M2" not in set(data.members["member_id"])
    assert not ((data.answers["respondent"] == "M2") | (data.answers["alter"] == "M2")).any()
    assert len(data.answers) == 1 and len(data.rejected) == 0  # the rejected row quoted M2 too
    assert data.withdrawn == ("M2",)
    with pytest.raises(OptionError):
        withdraw(data, "M2")


def test_candidate_firms_seed_a_member_list() -> None:
    cands = pd.DataFrame({"candidate_id": ["C1", "C1", "C2"], "firm_id": ["f9", "f2", "f3"]})
    firms = pd.DataFrame({"firm_id": ["f2", "f9"], "name": ["B", "A"], "kind": ["university", None],
                          "employees": [10, 3]})
    members = members_from_candidates(cands, "C1", firms)
    assert members["member_id"].tolist() == ["M001", "M002"]
    assert members["firm_id"].tolist() == ["f2", "f9"]
    assert members["kind"].tolist() == ["university", "firm"]
    assert read_pulse(members, WAVES).members["member_id"].tolist() == ["M001", "M002"]
    with pytest.raises(InputError, match="no firms"):
        members_from_candidates(cands, "C7")


def test_csv_files_with_one_column_semicolons_or_gzip(tmp_path) -> None:
    import gzip

    (tmp_path / "members.csv").write_text("member_id\nM1\nM2\n", encoding="utf-8")
    (tmp_path / "waves.csv").write_text("wave;opens;order\n2026-1;2026-03-01;1\n", encoding="utf-8")
    with gzip.open(tmp_path / "answers.csv.gz", "wt", encoding="utf-8") as fh:
        fh.write("wave\trespondent\talter\titem\tvalue\n2026-1\tM1\tM2\tworks_with\t1\n")
    data = read_pulse(tmp_path / "members.csv", tmp_path / "waves.csv", tmp_path / "answers.csv.gz")
    assert data.members["member_id"].tolist() == ["M1", "M2"] and data.members["kind"].tolist() == ["other"] * 2
    assert data.waves["opens"].iloc[0] == pd.Timestamp("2026-03-01")
    assert len(data.answers) == 1 and data.rejected.empty
