"""The scan and activities reports open in headless Chromium with no console errors and a rendered map.

Needs Debian's ``chromium`` (``.ci/run`` installs it); skipped with that reason where it is not installed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import clusterwatch
from clusterwatch.cli import run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-logging=stderr", "--log-level=0", "--virtual-time-budget=3000",
]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")


def _open(page: Path, profile: Path) -> tuple[str, list[str]]:
    done = subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done.stdout, console


def test_console_errors_are_caught(tmp_path: Path) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><script>undefinedFunction();</script></body></html>")
    _, console = _open(bad, tmp_path / "profile")
    assert any("Uncaught ReferenceError" in line for line in console)


def test_demo_report_renders_offline(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    assert run(["demo", "--out", str(out)]) == 0
    dom, console = _open(out / "report.html", tmp_path / "profile")
    assert console == []
    assert '<div id="map" class="cw-map' in dom and 'data-ready="1"' in dom  # the Leaflet map script ran
    land = dom[dom.find("leaflet-cwLand-pane"):dom.find("leaflet-cwLines-pane")]
    assert land.count("<path") >= 1  # the country under the candidates (context layer)
    assert dom.count("cw-place") >= 5  # place names around Boston
    assert "Ranked candidates" in dom and "C001" in dom


def test_activities_report_renders_offline(tmp_path: Path) -> None:
    import re

    out = tmp_path / "activities"
    assert run(["activities", str(clusterwatch.demo_path()), "--format", "sbir-awards", "--method",
                "tfidf-svd-kmeans", "--seed", "1", "--out", str(out)]) == 0
    dom, console = _open(out / "activities.html", tmp_path / "profile")
    assert console == []
    shown = re.search(r"(\d+) of (\d+) shown", dom)  # the filter script ran over the table
    assert shown is not None and shown.group(1) == shown.group(2) and int(shown.group(1)) >= 5
    assert dom.count('class="spark"') == 2 * int(shown.group(1)) and "tfidf-svd-kmeans" in dom
