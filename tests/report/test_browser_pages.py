"""Every page type opens in headless Chromium offline: no console errors, no resource fetched, its content drawn;
the scan map shows context layers (land, boundaries, place names) and survives hostile firm names.

Needs Debian's ``chromium`` (``.ci/run`` installs it); skipped with that reason where it is not installed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from clusterwatch.cli import run

from ._browser import CHROMIUM, colour_share, open_page, resources
from .conftest import HOSTILE

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")

LAND = (245, 244, 239)  # the countries' fill in map.js
WATER = (212, 228, 239)  # the map's background (#d4e4ef)
MIN_LAND_SHARE = 0.05  # of the screenshot: the map is drawn over land, not an empty frame


def _paths_in_pane(dom: str, pane: str) -> int:
    start = dom.find(f"leaflet-{pane}-pane")
    assert start >= 0, f"no {pane} pane"
    end = dom.find('class="leaflet-pane', start + 10)
    return dom[start:end if end > 0 else None].count("<path")


def test_scan_page_map_with_context_and_hostile_names(langley_scan: tuple[object, pd.DataFrame],
                                                      tmp_path: Path) -> None:
    from clusterwatch.report.scan import write_scan_html

    found, firms = langley_scan
    page = write_scan_html(tmp_path / "report.html", found, firms)  # type: ignore[arg-type]
    dom, console, image = open_page(page, tmp_path)
    assert console == [] and resources(dom) == []
    assert 'data-ready="1"' in dom  # the map script ran to its end
    assert _paths_in_pane(dom, "cwLand") >= 1  # countries (Canada, the US) drawn
    assert _paths_in_pane(dom, "cwLines") >= 2  # a US county (Whatcom) and state (Washington) across the border
    assert _paths_in_pane(dom, "cwCircles") >= len(found.candidates)  # type: ignore[attr-defined]
    assert dom.count('class="leaflet-marker-icon cw-place') >= 3  # place names, decluttered
    assert "cw-cand" in dom and "leaflet-control-layers" in dom
    assert "alert(1)" not in re.sub(r'<script type="application/json".*?</script>', "", dom, flags=re.S)
    assert colour_share(image, LAND) > MIN_LAND_SHARE
    # the page's rows and cards are all there after the scripts ran
    assert dom.count('<div class="card"') == len(found.candidates)  # type: ignore[attr-defined]


def test_network_page_survives_a_script_breaking_name(shared_data: Path, tmp_path: Path) -> None:
    records = json.loads((shared_data / "cordis_semiconductor" / "organization.json").read_text(encoding="utf-8"))
    first = records[0]["organisationID"]
    for record in records:
        if record["organisationID"] == first:
            record["name"] = HOSTILE
    source = tmp_path / "organization.json"
    source.write_text(json.dumps(records), encoding="utf-8")
    ws, out = tmp_path / "ws.duckdb", tmp_path / "out"
    assert run(["ingest", str(source), "-f", "cordis", "-w", str(ws)]) == 0
    assert run(["network", "-w", str(ws), "--seed", "1", "--permutations", "19", "-o", str(out)]) == 0
    dom, console, _ = open_page(out / "network.html", tmp_path)
    assert console == [] and resources(dom) == []
    nodes = re.search(r'<g id="nodes">(.*?)</g>', dom, re.S)
    assert nodes is not None and nodes.group(1).count("<circle") > 700  # the graph is drawn, not blanked
    assert "Top brokers" in dom  # and the page after the data script is there
    nodes_csv = pd.read_csv(out / "nodes.csv", dtype=str)
    assert ("'" + HOSTILE) in set(nodes_csv["name"])  # and the CSV neutralises the formula


@pytest.fixture(scope="module")
def langley_workspace(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = shared_data / "langley_bc" / "Business_Licenses.csv"
    lines = source.read_text(encoding="utf-8", errors="replace").splitlines()
    folder = tmp_path_factory.mktemp("langley-pages")
    small = folder / "langley_small.csv"
    small.write_text("\n".join(lines[:2501]) + "\n", encoding="utf-8")
    ws = folder / "ws.duckdb"
    assert run(["ingest", str(small), "--format", "langley-licences", "-w", str(ws)]) == 0
    return ws


@pytest.mark.parametrize(("command", "page", "drawn", "mapped"), [
    (["hotspots", "--code", "31-33", "--resolution", "8", "--permutations", "99", "--seed", "1"],
     "hotspots.html", "<polygon", True),
    (["localise", "--code", "31-33", "--code-system", "naics", "--permutations", "19", "--seed", "1"],
     "kd.html", "<polyline", False),
    (["regions", "--h3", "7", "--show", "0"], "regions.html", "<polygon", True),
])
def test_cell_and_curve_pages(langley_workspace: Path, tmp_path: Path, command: list[str], page: str,
                              drawn: str, mapped: bool) -> None:
    out = tmp_path / "out"
    assert run([command[0], "-w", str(langley_workspace), *command[1:], "--out", str(out)]) == 0
    dom, console, _ = open_page(out / page, tmp_path)
    assert console == [] and resources(dom) == []
    assert dom.count(drawn) >= 1 and "<h1>" in dom
    if mapped:  # the interactive map: its cells over the country (Canada) drawn
        assert 'data-ready="1"' in dom and _paths_in_pane(dom, "cwCells") >= 10
        assert _paths_in_pane(dom, "cwLand") >= 1


def test_emerging_page(shared_data: Path, tmp_path: Path) -> None:
    ws, out = tmp_path / "sea.duckdb", tmp_path / "out"
    assert run(["ingest", str(shared_data / "seattle" / "business_licenses_analysis.csv"), "--format",
                "seattle-licences", "-w", str(ws)]) == 0
    assert run(["emerging", "-w", str(ws), "--code", "71", "--code-system", "naics", "--city", "Seattle",
                "--resolution", "7", "--start", "2006-01-01", "--as-of", "2025-12-31", "--permutations", "19",
                "--seed", "1", "--out", str(out)]) == 0
    dom, console, image = open_page(out / "emerging.html", tmp_path, size="1200,1700")
    assert console == [] and resources(dom) == []
    assert dom.count("<polygon") >= 24  # the 24 cells with an entry
    assert _paths_in_pane(dom, "cwCells") == 24 and _paths_in_pane(dom, "cwLines") >= 2  # King County, WA
    assert dom.count("cw-place") >= 5 and colour_share(image, LAND) > MIN_LAND_SHARE
