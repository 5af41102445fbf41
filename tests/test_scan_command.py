"""`clusterwatch scan` and `clusterwatch demo` end to end, on the bundled demo and on a real licence register."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clusterwatch.candidates import CANDIDATE_COLUMNS, CandidateConfig, setting_help
from clusterwatch.cli import run
from clusterwatch.errors import InputError, OptionError
from clusterwatch.report.gis import CANDIDATE_FIRM_COLUMNS

REQUIRED = ["candidate_id", "activity", "activity_source", "label", "status", "score", "n_firms", "n_recent",
            "recent_share", "sme_share", "lat", "lon", "radius_km", "p_value", "relative_risk", "trend",
            "ehsa_category", "code_coverage", "top_codes", "unclassified", "anchor_share", "first_period"]


def _check_outputs(out: Path) -> pd.DataFrame:
    cand = pd.read_csv(out / "candidates.csv")
    at = CANDIDATE_COLUMNS.index("label") + 1  # the file adds where each candidate is, in names
    expected = [*CANDIDATE_COLUMNS[:at], "place", *CANDIDATE_COLUMNS[at:], "places"]
    assert set(REQUIRED) <= set(cand.columns) and list(cand.columns) == expected
    assert cand["place"].notna().mean() >= 0.9  # named places (US ZIPs; the city where no gazetteer covers)
    members = pd.read_csv(out / "candidate_firms.csv", dtype=str)
    assert list(members.columns) == CANDIDATE_FIRM_COLUMNS  # names, addresses, coordinates, places
    assert (out / "candidates.gpkg").stat().st_size > 0 and (out / "candidate_firms.parquet").stat().st_size > 0
    assert set(members["candidate_id"]) == set(cand["candidate_id"])
    # the files agree: each candidate's firms are listed once each, and its pieces are activities that were tested
    assert members.groupby("candidate_id").size().to_dict() == cand.set_index("candidate_id")["n_firms"].to_dict()
    assert not members.duplicated(["candidate_id", "firm_id"]).any()
    tested = set(pd.read_csv(out / "activities.csv")["activity_id"])
    assert set(cand["pieces"].str.split(";").explode()) <= tested
    geo = json.loads((out / "candidates.geojson").read_text())
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == len(cand)
    for feature in geo["features"]:
        ring = feature["geometry"]["coordinates"][0]
        assert feature["geometry"]["type"] == "Polygon" and ring[0] == ring[-1]
    page = (out / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and '<div id="map" class="cw-map"' in page
    # offline: nothing fetched (the inlined Leaflet, unchanged, names its home page in a string: left out here)
    from clusterwatch.report.render import static_text, without_vendored

    assert static_text("leaflet/leaflet.js") in page
    ours = without_vendored(page)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", ours) and "<script src" not in page
    assert "https://" not in ours and not re.search(r"url\(\s*[\"']?(?:https?:)?//", ours)
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
    # no industry codes in SBIR: only text groups (and the young firms) are tested, and texts carry the candidates
    assert set(pd.read_csv(out / "activities.csv")["source"]) == {"text", "entries"}
    assert not cand.empty and set(cand["activity_source"]) == {"text"}
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
    assert set(cand["activity_source"]) == {"code"} and cand["activity"].str.match(r"^(naics|cluster):").all()
    # the places the full register's Bernoulli scan finds (README): manufacturing at the Gloucester industrial
    # estate leads; eating places at Willowbrook
    top = cand.iloc[0]
    assert top["activity"] == "naics:33" and top["place"].startswith("Gloucester")
    assert math.hypot(top["lat"] - 49.099, (top["lon"] + 122.47) * 0.65) < 0.03
    assert cand.loc[cand["activity"] == "naics:7225", "place"].str.startswith("Willowbrook").any()
    # the same input and seed give identical outputs; the workspace alone (no SOURCE) works too
    assert run(["scan", "-w", str(tmp_path / "a.duckdb"), "--out", str(tmp_path / "b"), "--no-text",
                "--min-firms", "10", "--permutations", "999", "--seed", "5"]) == 0
    for name in ("candidates.csv", "candidate_firms.csv", "candidates.geojson"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_scan_bad_options(tmp_path: Path) -> None:
    assert run(["scan", "-w", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "o")]) == 1


# ---------------------------------------------------------------------------------------------------------------
# options from CandidateConfig, and which firms are scanned
# ---------------------------------------------------------------------------------------------------------------

FAST = ["--no-text", "--min-firms", "3", "--permutations", "99", "--seed", "1"]


def _firms_csv(path: Path, *, n: int, city: str, lat: float, lon: float, seed: int, prefix: str) -> Path:
    """A tiny register: ``n`` firms around (lat, lon) in one city, NAICS codes, founding years."""
    rng = np.random.default_rng(seed)
    codes = rng.choice(["541511", "541512", "238220", "722511"], size=n)
    frame = pd.DataFrame({
        "firm_id": [f"{prefix}{i:03d}" for i in range(n)], "name": [f"{prefix} firm {i}" for i in range(n)],
        "lat": lat + rng.normal(0, 0.02, n), "lon": lon + rng.normal(0, 0.02, n), "city": city, "code": codes,
        "code_system": "naics", "founded": rng.integers(1990, 2020, n).astype(str)})
    frame.to_csv(path, index=False)
    return path


def _scanned(out: str) -> int:
    """The number of firms the printed summary says were scanned."""
    match = re.search(r"Scanned ([\d,]+) firms", " ".join(out.split()))
    assert match, out
    return int(match.group(1).replace(",", ""))


@pytest.fixture
def two_cities(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Two datasets in one workspace: 30 firms in Boston (boston.csv), 20 in Worcester (worcester.csv)."""
    boston = _firms_csv(tmp_path / "boston.csv", n=30, city="Boston", lat=42.36, lon=-71.06, seed=1, prefix="B")
    worcester = _firms_csv(tmp_path / "worcester.csv", n=20, city="Worcester", lat=42.26, lon=-71.80, seed=2,
                           prefix="W")
    ws = tmp_path / "ws.duckdb"
    assert run(["ingest", str(boston), str(worcester), "-w", str(ws)]) == 0
    return ws, boston, worcester


def test_every_setting_is_a_scan_option_with_the_config_default_and_help() -> None:
    import typer.main

    from clusterwatch.cli import app
    from clusterwatch.commands.scan import flag_of

    command = typer.main.get_command(app).commands["scan"]  # type: ignore[attr-defined]
    options = {opt: p for p in command.params for opt in p.opts}
    defaults = CandidateConfig()
    for name in CandidateConfig.names():
        param = options[flag_of(name)]
        assert param.help.startswith(setting_help(name).rstrip(".")) or name in ("use_text", "entries"), name
        value = getattr(defaults, name)
        expected = {"use_text": not value, "entries": not value, "datasets": None, "cities": None}.get(name, value)
        if name in ("max_radius_km", "screen_permutations"):
            expected = value or 0  # None is 0 on the command line
        assert param.default == expected or (expected is None and not param.default), name
    assert options["--min-firms"].default == 5


def test_every_scan_option_is_in_the_readme() -> None:
    from clusterwatch.commands.scan import flag_of

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The main job: `clusterwatch scan`", 1)[1].split("\n## ", 1)[0]
    missing = [flag_of(n) for n in CandidateConfig.names() if f"`{flag_of(n)}" not in section]
    assert not missing


def test_scan_dataset_city_and_bbox_choose_the_firms(two_cities: tuple[Path, Path, Path], tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    ws = two_cities[0]
    capsys.readouterr()
    assert run(["scan", "-w", str(ws), "-o", str(tmp_path / "all"), *FAST]) == 0
    assert _scanned(capsys.readouterr().out) == 50  # no SOURCE, no --dataset: the whole workspace
    assert run(["scan", "-w", str(ws), "-o", str(tmp_path / "d"), "--dataset", "worcester.csv", *FAST]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert _scanned(out) == 20
    assert "Scanning worcester.csv; the workspace also holds boston.csv, left out" in out
    assert run(["scan", "-w", str(ws), "-o", str(tmp_path / "c"), "--city", "BOSTON", *FAST]) == 0
    assert _scanned(capsys.readouterr().out) == 30  # case-insensitive
    assert run(["scan", "-w", str(ws), "-o", str(tmp_path / "c2"), "--city", "boston", "--city", "worcester",
                *FAST]) == 0
    assert _scanned(capsys.readouterr().out) == 50
    # the box around Boston holds exactly the Boston firms (the cities lie 60 km apart)
    firms = pd.read_csv(two_cities[1])
    box = f"{firms['lon'].min() - 0.01},{firms['lat'].min() - 0.01},{firms['lon'].max() + 0.01}," \
          f"{firms['lat'].max() + 0.01}"
    assert run(["scan", "-w", str(ws), "-o", str(tmp_path / "b"), "--bbox", box, *FAST]) == 0
    assert _scanned(capsys.readouterr().out) == 30
    members = pd.read_csv(tmp_path / "b" / "candidate_firms.csv", dtype=str)
    assert members["firm_id"].str.startswith("B").all()


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "-71,42,-72,43", "42,-71,43,-70,", "-71,95,-70,96", "nan,1,2,3"])
def test_scan_bad_bbox_is_a_usage_error(two_cities: tuple[Path, Path, Path], tmp_path: Path, bbox: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["scan", "-w", str(two_cities[0]), "-o", str(tmp_path / "o"), "--bbox", bbox, *FAST]) == 2
    assert "--bbox" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_scan_bad_settings_are_usage_errors(two_cities: tuple[Path, Path, Path], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    ws = str(two_cities[0])
    for bad in (["--min-firms", "2"], ["--stop-words", "french"], ["--text-method", "lda"], ["--alpha", "1.5"],
                ["--dataset", "nowhere.csv"], ["--as-of", "last tuesday"]):
        assert run(["scan", "-w", ws, "-o", str(tmp_path / "o"), *FAST, *bad]) == 2, bad
    assert "nowhere.csv: not in the workspace, which holds boston.csv, worcester.csv" in " ".join(
        capsys.readouterr().err.split())


def test_scan_sources_scans_only_what_it_ingested(two_cities: tuple[Path, Path, Path], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    ws = two_cities[0]
    extra = _firms_csv(tmp_path / "lowell.csv", n=12, city="Lowell", lat=42.64, lon=-71.32, seed=3, prefix="L")
    capsys.readouterr()
    assert run(["scan", str(extra), "-w", str(ws), "-o", str(tmp_path / "s"), *FAST]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert _scanned(out) == 12
    assert "Scanning lowell.csv; the workspace also holds boston.csv, worcester.csv, left out" in out
    # the source is stored all the same, and --dataset widens the scan again
    assert run(["scan", str(extra), "-w", str(ws), "-o", str(tmp_path / "s2"), "--dataset", "lowell.csv",
                "--dataset", "boston.csv", *FAST]) == 0
    assert _scanned(capsys.readouterr().out) == 42
    assert run(["scan", "-w", str(ws), "-o", str(tmp_path / "s3"), *FAST]) == 0
    assert _scanned(capsys.readouterr().out) == 62


def test_scan_infers_the_code_system_of_a_generic_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _firms_csv(tmp_path / "nosystem.csv", n=30, city="Boston", lat=42.36, lon=-71.06, seed=4, prefix="N")
    pd.read_csv(source, dtype=str).drop(columns="code_system").to_csv(source, index=False)
    assert run(["scan", str(source), "-w", str(tmp_path / "ws.duckdb"), "-o", str(tmp_path / "o"), *FAST]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "code_system inferred as naics from the codes' shape" in out
    tested = pd.read_csv(tmp_path / "o" / "activities.csv")
    assert tested["activity_id"].str.startswith("naics:").any()


# ---------------------------------------------------------------------------------------------------------------
# stop words of the scan's text groups
# ---------------------------------------------------------------------------------------------------------------

OWNERSHIP = {"owned", "veteran", "disabled", "woman", "minority", "hubzone", "certified", "business", "small", "llc",
             "8a", "service"}


OWNERS = ["woman owned small business", "veteran owned small business",
          "service disabled veteran owned small business", "minority owned certified 8a small business",
          "hubzone certified small business llc"]


def _dsbs_like(owners: list[str] = OWNERS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """60 capability statements: four trades, each firm's text led by who owns it (as DSBS profiles are)."""
    rng = np.random.default_rng(0)
    trades = ["precision cnc machining milling turning aerospace parts fabrication",
              "custom software engineering cloud applications cybersecurity data analytics",
              "janitorial cleaning custodial floor care building maintenance",
              "general construction renovation roofing concrete contractor"]
    rows = []
    for t, words in enumerate(trades):
        for k in range(15):
            picked = " ".join(rng.choice(words.split(), size=5, replace=False))
            rows.append((f"f{t}{k:02d}", f"{owners[k % len(owners)]} providing {picked} services to customers"))
    texts = pd.DataFrame(rows, columns=["firm_id", "text"]).assign(date=pd.NaT, code=pd.NA)
    return pd.DataFrame({"firm_id": texts["firm_id"]}), texts


def _label_words(acts: list) -> set[str]:
    return {w for a in acts for w in re.split(r"[\s/,]+", f"{a.label} {a.keywords}") if w}


def test_dsbs_preset_keeps_ownership_words_out_of_text_groups() -> None:
    from clusterwatch.candidates.activities import text_activities

    firms, texts = _dsbs_like()
    plain, method = text_activities(firms, texts, min_firms=5, rng=1, stop_words="none")
    assert method == "tfidf-svd-kmeans"
    assert _label_words(plain) & OWNERSHIP  # without the preset, ownership words label a group
    cleaned, _ = text_activities(firms, texts, min_firms=5, rng=1, stop_words="dsbs")
    assert len(cleaned) >= 4 and not _label_words(cleaned) & OWNERSHIP
    with pytest.raises(OptionError, match="stop_words"):
        text_activities(firms, texts, min_firms=5, stop_words="french")


def test_keyword_fallback_uses_the_preset_too(monkeypatch: pytest.MonkeyPatch) -> None:
    import clusterwatch.analysis.text as text_module
    from clusterwatch.candidates.activities import text_activities

    def broken(*args: object, **kwargs: object) -> None:
        raise InputError("the texts share too few words to group")

    monkeypatch.setattr(text_module, "discover_activities", broken)
    # eight kinds of owner: each word of theirs is used by fewer than the fallback's 15 % of firms
    firms, texts = _dsbs_like([*OWNERS, "woman owned llc", "veteran owned certified hubzone", "minority owned llc"])
    plain, method = text_activities(firms, texts, min_firms=5, stop_words="none")
    assert method.startswith("keywords") and {a.label for a in plain} & OWNERSHIP
    cleaned, _ = text_activities(firms, texts, min_firms=5, stop_words="dsbs")
    assert cleaned and not {a.label for a in cleaned} & OWNERSHIP


@pytest.mark.parametrize(("formats", "preset"), [
    (["dsbs"], "dsbs"), (["sbir-awards", "sbir-abstracts"], "sbir"), (["norway-brreg"], "no"),
    (["generic"], "none"), (["dsbs", "ppp-georgia"], "none"), ([], "none")])
def test_auto_stop_words_follow_the_scanned_formats(formats: list[str], preset: str) -> None:
    from clusterwatch.commands.scan import resolve_stop_words

    assert resolve_stop_words("auto", formats) == preset
    assert resolve_stop_words("sbir", formats) == "sbir"  # a preset given is kept


def test_scan_reports_the_stop_words_it_resolved(two_cities: tuple[Path, Path, Path], tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    args = ["scan", "-w", str(two_cities[0]), "-o", str(tmp_path / "o"), "--min-firms", "3", "--permutations", "99"]
    assert run(args) == 0
    assert "(stop words: none, from the formats)" in " ".join(capsys.readouterr().out.split())
    assert run([*args, "--stop-words", "dsbs"]) == 0
    assert "(stop words: dsbs)" in " ".join(capsys.readouterr().out.split())
