"""The offline report (privacy of what it writes) and the `clusterwatch pulse` commands, end to end."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from clusterwatch.cli import run
from clusterwatch.pulse import read_pulse, write_report

KINDS = ["firm", "university", "research", "public", "firm", "firm"]


def survey(tmp_path):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    ids = [f"M{i:03d}" for i in range(1, 7)]
    pd.DataFrame({"member_id": ids, "name": [f"Secret Name {i}" for i in range(6)], "kind": KINDS}).to_csv(
        tmp_path / "members.csv", index=False)
    pd.DataFrame({"wave": ["2026-1", "2026-2"], "opens": ["2026-03-01", "2026-09-01"],
                  "closes": ["2026-03-31", "2026-09-30"], "order": [1, 2]}).to_csv(tmp_path / "waves.csv",
                                                                                    index=False)
    for w, silent in (("2026-1", set()), ("2026-2", {"M006"})):
        rows = []
        for r in ids:
            if r in silent:
                continue
            for a in ids:
                if a == r:
                    continue
                rows.append((w, r, a, "works_with", int(rng.random() < 0.6)))
                if a != "M006":  # M006 is rated by nobody: its scores stay hidden
                    for item in ("trust_reliable", "trust_mission", "trust_open", "value_power"):
                        rows.append((w, r, a, item, int(rng.integers(1, 5))))
            rows.append((w, r, None, "satisfaction", int(rng.integers(2, 6))))
        rows.append((w, "M001", "M001", "works_with", 1))  # a self-rating, rejected
        pd.DataFrame(rows, columns=["wave", "respondent", "alter", "item", "value"]).to_csv(
            tmp_path / f"answers-{w}.csv", index=False)
    return tmp_path


def test_report_writes_every_table_and_nothing_dyadic(tmp_path) -> None:
    folder = survey(tmp_path)
    data = read_pulse(folder / "members.csv", folder / "waves.csv", pd.concat(
        [pd.read_csv(folder / f"answers-{w}.csv", dtype=str) for w in ("2026-1", "2026-2")]))
    path = write_report(data, tmp_path / "out", cluster="North <test>", k=3, replicates=49)
    page = path.read_text(encoding="utf-8")
    assert "North &lt;test&gt;" in page and "<script" not in page
    assert page.count("<svg") >= 2 + 3  # two maps and trends
    assert "Secret Name" not in page
    names = {p.stem for p in (tmp_path / "out").glob("*.csv")}
    assert {"network", "members", "reliability", "helix", "changes", "tie_change", "alerts", "suppressed",
            "rejected", "response", "drifting"} <= names
    for csv in (tmp_path / "out").glob("*.csv"):
        text = csv.read_text(encoding="utf-8")
        assert "Secret Name" not in text
        # no table holds a pair of members (a dyad) in one row
        for line in text.splitlines():
            assert len(set(re.findall(r"M\d{3}", line))) <= 1, (csv.name, line)
    rejected = pd.read_csv(tmp_path / "out" / "rejected.csv")
    assert list(rejected.columns) == ["file", "line", "column", "reason"]  # no raw answer content
    changes = pd.read_csv(tmp_path / "out" / "changes.csv").set_index("measure")
    assert changes.loc["satisfaction", "method"] == "vertex bootstrap"
    assert changes.loc["satisfaction", "ci_low"] <= changes.loc["satisfaction", "ci_high"]
    members = pd.read_csv(tmp_path / "out" / "members.csv")
    shown = members["trust"].notna()
    assert (members.loc[shown, "trust_raters"] >= 3).all()
    assert members.loc[members["member_id"] == "M006", "trust"].isna().all()


def test_facilitator_loop_on_the_command_line(tmp_path, capsys) -> None:
    folder = survey(tmp_path)
    ws = str(tmp_path / "ws.duckdb")
    base = ["pulse", "import", "-c", "north", "-w", ws]
    assert run([*base, "--members", str(folder / "members.csv"), "--waves", str(folder / "waves.csv"),
                "--answers", str(folder / "answers-2026-1.csv")]) == 0
    out = capsys.readouterr().out
    assert "1 rows rejected" in out and "self-rating" in out
    assert run([*base, "--answers", str(folder / "answers-2026-2.csv")]) == 0
    assert run([*base, "--answers", str(folder / "answers-2026-2.csv")]) == 0  # again: all duplicates
    assert "0 answers added" in capsys.readouterr().out.split("north:")[-1]
    assert run(["pulse", "compare", "-c", "north", "-w", ws, "--replicates", "49"]) == 0
    assert "95% interval" in capsys.readouterr().out
    assert run(["pulse", "alerts", "-c", "north", "-w", ws, "--replicates", "49"]) == 0
    assert "stopped_answering" in capsys.readouterr().out  # M006 went silent
    assert run(["pulse", "report", "-c", "north", "-w", ws, "-o", str(tmp_path / "rep"), "--replicates", "49"]) == 0
    assert (tmp_path / "rep" / "report.html").exists()
    assert run(["pulse", "withdraw", "-c", "north", "-w", ws, "--member", "M002"]) == 2  # needs --yes
    assert run(["pulse", "withdraw", "-c", "north", "-w", ws, "--member", "M002", "--yes"]) == 0
    assert run(["pulse", "measures", "-c", "north", "-w", ws]) == 0
    assert "members" in capsys.readouterr().out
    assert run(["pulse", "measures", "-c", "east", "-w", ws]) == 1
    assert "clusters: north" in capsys.readouterr().err
    assert run(["pulse", "import", "-c", "south", "-w", ws, "--answers", str(folder / "answers-2026-1.csv")]) == 2


def test_seed_members_from_scan_candidates(tmp_path) -> None:
    pd.DataFrame({"candidate_id": ["C1", "C1", "C2"], "firm_id": ["f1", "f2", "f3"]}).to_csv(
        tmp_path / "candidate_firms.csv", index=False)
    out = tmp_path / "members.csv"
    assert run(["pulse", "seed", "--candidates", str(tmp_path / "candidate_firms.csv"), "--candidate", "C1",
                "--out", str(out), "-w", str(tmp_path / "none.duckdb")]) == 0
    members = pd.read_csv(out)
    assert members["member_id"].tolist() == ["M001", "M002"] and set(members["kind"]) == {"firm"}
    assert run(["pulse", "seed", "--candidates", str(tmp_path / "candidate_firms.csv"), "--candidate", "C9",
                "--out", str(out), "-w", str(tmp_path / "none.duckdb")]) == 1


@pytest.mark.parametrize("bad", ["--k"])
def test_bad_k_is_a_usage_error(tmp_path, bad: str) -> None:
    folder = survey(tmp_path)
    ws = str(tmp_path / "ws.duckdb")
    assert run(["pulse", "import", "-c", "north", "-w", ws, "--members", str(folder / "members.csv"), "--waves",
                str(folder / "waves.csv"), "--answers", str(folder / "answers-2026-1.csv")]) == 0
    assert run(["pulse", "measures", "-c", "north", "-w", ws, bad, "0"]) == 2


@pytest.mark.parametrize("command", ["import", "measures", "compare", "alerts", "report", "withdraw", "seed"])
def test_help_on_every_pulse_command(command: str, capsys) -> None:
    assert run(["pulse", command, "--help"]) == 0
    assert "Usage" in capsys.readouterr().out


def test_a_cluster_without_waves_is_a_clear_error(tmp_path, capsys) -> None:
    from clusterwatch.errors import InputError

    members = pd.DataFrame({"member_id": ["M001", "M002"], "kind": "firm"})
    with pytest.raises(InputError, match="no waves"):
        write_report(read_pulse(members, pd.DataFrame(columns=["wave", "order"])), tmp_path / "out")
    members.to_csv(tmp_path / "m.csv", index=False)
    pd.DataFrame(columns=["wave", "order"]).to_csv(tmp_path / "w.csv", index=False)
    ws = str(tmp_path / "ws.duckdb")
    assert run(["pulse", "import", "-c", "x", "-w", ws, "--members", str(tmp_path / "m.csv"), "--waves",
                str(tmp_path / "w.csv")]) == 0
    for command in ("measures", "alerts", "compare", "report"):
        assert run(["pulse", command, "-c", "x", "-w", ws]) == 1
        assert "no waves" in capsys.readouterr().err
