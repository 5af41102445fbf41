"""`clusterwatch regions` end to end on a workspace of real PPP loans, and on an aggregate table."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from clusterwatch.cli import run
from clusterwatch.report.render import without_vendored


@pytest.fixture(scope="module")
def montana_workspace(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    workspace = tmp_path_factory.mktemp("regions") / "mt.duckdb"
    source = shared_data / "ppp_montana" / "mt-combined.csv"
    assert run(["ingest", str(source), "--format", "ppp-montana", "-w", str(workspace)]) == 0
    return workspace


def test_regions_by_county_from_zip(montana_workspace: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert run(["regions", "-w", str(montana_workspace), "--out", str(out), "--show", "3"]) == 0
    printed = " ".join(capsys.readouterr().out.split())  # rich wraps lines at the terminal width
    assert "counties derived from ZIP codes" in printed and "Yellowstone" in printed
    for name in ("regions.csv", "strongest.csv", "specialisation.csv", "industries.csv", "proximity.csv",
                 "regions.html"):
        assert (out / name).stat().st_size > 0
    cells = pd.read_csv(out / "regions.csv")
    assert {"lq_cm_employment", "strong", "stars", "density"} <= set(cells.columns)
    assert cells["region"].nunique() == 56
    page = (out / "regions.html").read_text(encoding="utf-8")
    assert page.count("<circle") == 56  # one per county, placed at its firms' mean location
    # offline: nothing is fetched (the only URL is the SVG namespace, besides the unchanged inlined map library)
    assert set(re.findall(r"https?://[^\"' >]+", without_vendored(page))) == {"http://www.w3.org/2000/svg"}
    assert "<script src" not in page and "<link" not in page


def test_regions_by_h3_cells_with_entry(montana_workspace: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "h3"
    code = run(["regions", "-w", str(montana_workspace), "--h3", "6", "--industries", "sector", "--out", str(out),
                "--show", "0", "--star-lq", "3", "--entry-from", "2020-01-01", "--as-of", "2020-12-31"])
    assert code == 0
    page = (out / "regions.html").read_text(encoding="utf-8")
    assert "<polygon" in page and "specialisation = LQ &gt;= 3" in page
    moves = pd.read_csv(out / "entry_exit.csv")
    assert set(moves["status"]) <= {"entry", "exit", "stayed", "absent"}
    assert "Entry/exit" in capsys.readouterr().out


def test_regions_on_an_aggregate_table(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "us_cluster_mapping" / "aousabdo_all_states_clusters.csv"
    out = tmp_path / "states"
    code = run(["regions", "--aggregate", str(source), "--region-column", "region_name_t",
                "--industry-column", "cluster_code_t", "--employment-column", "emp_tl",
                "--establishments-column", "est_tl", "--traded-column", "traded_b", "--name-column",
                "cluster_name_t", "--out", str(out), "--show", "2"])
    assert code == 0
    cells = pd.read_csv(out / "regions.csv")
    assert len(cells) == 3350 and cells["strong"].sum() == 511  # the published 512, less North Carolina Automotive


def test_bad_options_and_input(montana_workspace: Path, tmp_path: Path) -> None:
    assert run(["regions", "-w", str(montana_workspace), "--region", "nuts", "--out", str(tmp_path)]) == 2
    assert run(["regions", "-w", str(montana_workspace), "--star-size-top", "2", "--out", str(tmp_path)]) == 2
    assert run(["regions", "-w", str(tmp_path / "absent.duckdb"), "--out", str(tmp_path)]) == 1
    assert run(["regions", "--aggregate", str(tmp_path / "absent.csv"), "--out", str(tmp_path)]) == 1
