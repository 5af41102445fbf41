"""`clusterwatch emerging` end to end on a workspace of real licences, and the offline HTML page."""

from __future__ import annotations

import re
from pathlib import Path

import h3
import pandas as pd
import pytest

from clusterwatch.analysis.time import emerging_hot_spots, entries_cube, space_time_permutation_scan
from clusterwatch.cli import run
from clusterwatch.report.emerging import render_emerging_html
from clusterwatch.report.render import without_vendored


@pytest.fixture(scope="module")
def workspace(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("emerging") / "ws.duckdb"
    source = shared_data / "seattle" / "business_licenses_analysis.csv"
    assert run(["ingest", str(source), "--format", "seattle-licences", "-w", str(path)]) == 0
    return path


def test_emerging_writes_its_outputs(workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = run(["emerging", "-w", str(workspace), "--code", "71", "--code-system", "naics", "--city", "Seattle",
                "--resolution", "7", "--start", "2006-01-01", "--as-of", "2025-12-31", "--permutations", "199",
                "--seed", "1", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "naics 71: 322 entries in 24 cells, 20 years 2006–2025" in " ".join(printed.split())
    ehsa = pd.read_csv(out / "ehsa.csv")
    assert len(ehsa) == 24 and {"cell", "category", "trend", "mk_tau", "mk_z", "mk_p"} <= set(ehsa.columns)
    assert ((ehsa["mk_p"] > 0) & (ehsa["mk_p"] <= 1)).all() and "p" not in ehsa.columns
    stscan = pd.read_csv(out / "stscan.csv")
    assert stscan["rank"].iloc[0] == 1 and stscan["start"].iloc[0] == 2024
    bins = pd.read_csv(out / "ehsa_bins.csv")
    assert len(bins) == 24 * 20 and bins["entries"].sum() == 322
    page = (out / "emerging.html").read_text(encoding="utf-8")
    assert page.count("<polygon") >= 24 and "new hot spot" in page


def test_emerging_as_of_uses_only_what_was_known(workspace: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["emerging", "-w", str(workspace), "--code", "71", "--city", "Seattle", "--resolution", "7",
                "--start", "2006-01-01", "--as-of", "2020-06-30", "--permutations", "99", "--seed", "1",
                "--out", str(tmp_path)]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "years 2006–2019" in printed and "running period" in printed  # 2020 was still running on 30 June
    bins = pd.read_csv(tmp_path / "ehsa_bins.csv")
    assert bins["period"].max() == 2019


def test_emerging_errors(workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["emerging", "-w", str(workspace), "--out", str(tmp_path), "--permutations", "9"]
    assert run([*base, "--period", "week"]) == 2
    assert "period must be one of year, quarter, month" in capsys.readouterr().err
    assert run([*base, "--code", "72", "--cluster", "13"]) == 2
    assert run([*base, "--code", "72", "--code-system", "nace2"]) == 2
    assert run([*base, "--null", "spatial"]) == 2
    assert "'spatial' is not one of total, conditional" in capsys.readouterr().err
    assert run([*base, "--code", "71", "--null", "conditional"]) == 2  # the exact test has the total null only
    assert "null" in capsys.readouterr().err
    assert run(["emerging", "-w", str(tmp_path / "absent.duckdb")]) == 1
    assert run(["emerging", "--help"]) == 0


def test_page_is_self_contained() -> None:
    centre = h3.latlng_to_cell(47.6, -122.3, 8)
    cells = sorted(h3.grid_disk(centre, 3))
    rows = [(c, f"{2010 + t}-06-01") for t in range(10) for c in cells]
    rows += [(c, "2019-06-01") for c in h3.grid_disk(centre, 1)] * 5
    entries = pd.DataFrame([(pd.Timestamp(d), *h3.cell_to_latlng(c)) for c, d in rows], columns=["date", "lat", "lon"])
    cube = entries_cube(entries, resolution=8)
    page = render_emerging_html(emerging_hot_spots(cube), space_time_permutation_scan(cube, permutations=99, rng=1),
                                title="A <test> & page")
    assert "A &lt;test&gt; &amp; page" in page
    page = without_vendored(page)  # the inlined map library (unchanged npm copy) names its home page
    links = re.findall(r"(?:src|href)=\"([^\"]+)\"", page) + re.findall(r"url\(", page)
    assert links == []  # nothing fetched: no scripts, images, fonts or stylesheets from anywhere
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert page.count("<polygon") == len(cells) + 7  # every cell, plus the 7 outlined cluster cells
