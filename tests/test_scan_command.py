"""`clusterwatch scan` and `clusterwatch demo` end to end, on the bundled demo and on a real licence register."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from clusterwatch.candidates import CANDIDATE_COLUMNS
from clusterwatch.cli import run

REQUIRED = ["candidate_id", "activity", "activity_source", "label", "status", "score", "n_firms", "n_recent",
            "recent_share", "sme_share", "lat", "lon", "radius_km", "p_value", "relative_risk", "trend",
            "ehsa_category", "code_coverage", "top_codes", "unclassified", "anchor_share", "first_period"]


def _check_outputs(out: Path) -> pd.DataFrame:
    cand = pd.read_csv(out / "candidates.csv")
    assert set(REQUIRED) <= set(cand.columns) and list(cand.columns) == CANDIDATE_COLUMNS
    members = pd.read_csv(out / "candidate_firms.csv", dtype=str)
    assert list(members.columns) == ["candidate_id", "firm_id"]
    assert set(members["candidate_id"]) == set(cand["candidate_id"])
    geo = json.loads((out / "candidates.geojson").read_text())
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == len(cand)
    for feature in geo["features"]:
        ring = feature["geometry"]["coordinates"][0]
        assert feature["geometry"]["type"] == "Polygon" and ring[0] == ring[-1]
    page = (out / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and '<svg id="map"' in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # offline: nothing fetched
    assert "https://" not in page and "<script src" not in page
    for section in ("Ranked candidates", "Data", "Methods, in plain language", "Rejected rows"):
        assert section in page
    for cid in cand["candidate_id"]:
        assert f'id="{cid}"' in page  # a card per candidate
    assert (cand["q_value"] <= 0.05).all()
    return cand


def test_demo_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    assert run(["demo", "--out", str(out)]) == 0
    cand = _check_outputs(out)
    assert (out / "clusterwatch.duckdb").exists()
    assert len(cand) >= 1 and set(cand["activity_source"]) == {"text"}  # no industry codes in SBIR: texts carry it
    page = (out / "report.html").read_text()
    assert "sbir_demo_awards" in page  # the data section names what was read


def test_scan_code_register_and_determinism(tmp_path: Path, shared_data: Path) -> None:
    source = shared_data / "langley_bc" / "Business_Licenses.csv"
    if not source.exists():
        pytest.skip(f"{source} not present")
    lines = source.read_text(encoding="utf-8", errors="replace").splitlines()
    small = tmp_path / "langley_small.csv"
    small.write_text("\n".join(lines[:2501]) + "\n", encoding="utf-8")  # header + 2,500 licences: seconds
    args = ["scan", str(small), "--format", "langley-licences", "--no-text", "--min-firms", "10",
            "--permutations", "999", "--seed", "5"]
    assert run([*args, "-w", str(tmp_path / "a.duckdb"), "--out", str(tmp_path / "a")]) == 0
    cand = _check_outputs(tmp_path / "a")
    assert len(cand) >= 1 and set(cand["activity_source"]) == {"code"}
    assert cand["activity"].str.match(r"^(naics|cluster):").all()
    # the same input and seed give identical outputs; the workspace alone (no SOURCE) works too
    assert run(["scan", "-w", str(tmp_path / "a.duckdb"), "--out", str(tmp_path / "b"), "--no-text",
                "--min-firms", "10", "--permutations", "999", "--seed", "5"]) == 0
    for name in ("candidates.csv", "candidate_firms.csv", "candidates.geojson"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_scan_bad_options(tmp_path: Path) -> None:
    assert run(["scan", "-w", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "o")]) == 1
