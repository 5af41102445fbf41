"""``clusterwatch network`` end to end on a workspace built from the real CORDIS semiconductor file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from clusterwatch.cli import run


@pytest.fixture(scope="module")
def workspace(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("network") / "ws.duckdb"
    assert run(["ingest", str(shared_data / "cordis_semiconductor" / "organization.json"), "-f", "cordis",
                "-w", str(ws)]) == 0
    return ws


def test_network_command_writes_tables_and_an_offline_page(workspace: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    candidates = tmp_path / "candidates.csv"
    pd.DataFrame({"candidate_id": ["eindhoven", "eindhoven", "nowhere"],
                  "firm_id": ["999977269", "999879881", "123"]}).to_csv(candidates, index=False)
    out = tmp_path / "out"
    code = run(["network", "-w", str(workspace), "--seed", "7", "--permutations", "99", "--group", "country",
                "--candidates", str(candidates), "--colour-by", "community", "-o", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "763 organisations" in printed and "FRAUNHOFER" in printed and "projection bias" in printed
    for name in ("nodes", "ties", "communities", "health", "fragility", "synergy", "community_space",
                 "candidate_network"):
        assert (out / f"{name}.csv").exists(), name
    nodes = pd.read_csv(out / "nodes.csv", dtype={"firm_id": str})
    assert len(nodes) == 763 and {"gb_role", "betweenness", "constraint", "liaison", "community"} <= set(nodes)
    assert len(pd.read_csv(out / "ties.csv")) == 38_682
    cand = pd.read_csv(out / "candidate_network.csv")
    assert cand.set_index("candidate_id").loc["eindhoven", "in_network"] == 2
    page = (out / "network.html").read_text(encoding="utf-8")
    assert "<svg" in page and "network-data" in page
    # self-contained: nothing fetched from anywhere
    assert not re.search(r"<(script|img|link|iframe)[^>]+(src|href)=", page)
    assert "url(" not in page and "@import" not in page
    data = json.loads(page.split('id="network-data">')[1].split("</script>")[0])
    assert len(data["x"]) == 763 and set(data["kind"]) <= {"firm", "university", "research", "public", "other", ""}
    assert 0 < len(data["a"]) <= 6000


def test_same_seed_same_tables(workspace: Path, tmp_path: Path) -> None:
    args = ["network", "-w", str(workspace), "--seed", "3", "--permutations", "49", "--weighting", "newman"]
    assert run([*args, "-o", str(tmp_path / "a")]) == 0
    assert run([*args, "-o", str(tmp_path / "b")]) == 0
    for name in ("nodes", "communities", "fragility", "community_space"):
        assert (tmp_path / "a" / f"{name}.csv").read_text() == (tmp_path / "b" / f"{name}.csv").read_text()


def test_window_and_errors(workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "w"
    assert run(["network", "-w", str(workspace), "--since", "2018-01-01", "--as-of", "2020-12-31", "--seed", "1",
                "--permutations", "19", "-o", str(out)]) == 0
    assert len(pd.read_csv(out / "nodes.csv")) < 763
    assert run(["network", "-w", str(workspace), "--method", "infomap", "-o", str(out)]) == 2
    assert run(["network", "-w", str(workspace), "--colour-by", "size", "-o", str(out)]) == 2
    assert run(["network", "-w", str(workspace), "--dataset", "nope", "-o", str(out)]) == 2
    assert run(["network", "-w", str(workspace), "--as-of", "2001-01-01", "--undated", "drop", "-o", str(out)]) == 1
    assert run(["network", "-w", str(tmp_path / "absent.duckdb"), "-o", str(out)]) == 1
    assert run(["network", "-w", str(workspace), "--candidates", str(tmp_path / "none.csv"), "-o", str(out)]) == 1
    assert "none.csv" in capsys.readouterr().err
