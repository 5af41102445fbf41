"""The report layer: templates shipped as package data, script-safe JSON, pages built from the run's parameters."""

from __future__ import annotations

import json
import re
from importlib import resources

import pandas as pd
import pytest

from clusterwatch.report.basemap import context_layers, topology_features
from clusterwatch.report.render import environment, json_for_script, render_page

from .conftest import HOSTILE


def test_templates_and_vendored_files_ship_with_the_package() -> None:
    root = resources.files("clusterwatch.report")
    for name in ("base.html.j2", "macros.html.j2", "scan.html.j2", "methods_scan.html.j2", "activities.html.j2",
                 "regions.html.j2", "network.html.j2", "emerging.html.j2", "hotspots.html.j2", "kd.html.j2"):
        assert (root / "templates" / name).is_file(), name
    for name in ("leaflet/leaflet.js", "leaflet/LICENSE-leaflet", "leaflet/leaflet.markercluster.js",
                 "leaflet/LICENSE-markercluster", "boundaries/us-counties-10m.json",
                 "boundaries/world-countries-50m.json", "boundaries/LICENSE-us-atlas", "PROVENANCE.md", "map.js"):
        assert (root / "static" / name).is_file(), name
    provenance = (root / "static" / "PROVENANCE.md").read_text()
    assert "leaflet` (dist/) | 1.9.4" in provenance and "us-atlas" in provenance
    size = sum(p.stat().st_size for p in resources.as_file(root / "static").__enter__().rglob("*") if p.is_file())
    assert size < 3_000_000  # "a few MB at most"


@pytest.mark.parametrize("text", [HOSTILE, "</SCRIPT >", "<!--", "a\u2028b", "&amp;", "]]>"])
def test_json_for_script_round_trips_and_cannot_break_out(text: str) -> None:
    out = str(json_for_script({"name": text, "nan": float("nan")}))
    assert "<" not in out and ">" not in out and "&" not in out and "\u2028" not in out
    assert json.loads(out) == {"name": text, "nan": None}


def test_autoescape_in_every_template() -> None:
    env = environment()
    page = env.from_string('{% extends "base.html.j2" %}{% block body %}{{ x }}{% endblock %}').render(
        title="<t>", x=HOSTILE)
    assert "<script>alert" not in page and "&lt;!--&lt;script&gt;" in page
    assert "<title>&lt;t&gt;</title>" in page


def test_topojson_decodes_to_the_right_places() -> None:
    georgia = [f for f in topology_features("us-counties-10m.json", "states", (-84.5, 33.6, -84.3, 33.8))]
    assert [f["properties"]["name"] for f in georgia] == ["Georgia"]
    ring = georgia[0]["geometry"]["coordinates"][0] if georgia[0]["geometry"]["type"] == "Polygon" else \
        georgia[0]["geometry"]["coordinates"][0][0]
    lons, lats = zip(*ring, strict=True)
    # Georgia spans about 85.6–80.8 °W and 30.4–35.0 °N
    assert min(lons) == pytest.approx(-85.6, abs=0.1) and max(lats) == pytest.approx(35.0, abs=0.05)
    assert ring[0] == ring[-1]
    whitfield = [f for f in topology_features("us-counties-10m.json", "counties", (-85.0, 34.7, -84.95, 34.75))
                 if f["properties"]["id"] == "13313"]
    assert whitfield and whitfield[0]["properties"]["name"] == "Whitfield"


def test_context_layers_of_a_city_and_of_europe() -> None:
    seattle = context_layers((-122.45, 47.5, -122.2, 47.75))
    names = {f["properties"]["name"] for f in seattle["counties"]["features"]}
    assert "King" in names and [f["properties"]["name"] for f in seattle["states"]["features"]] == ["Washington"]
    assert seattle["places"][0][0] == "Seattle"
    oslo = context_layers((10.6, 59.85, 10.9, 60.0))
    assert oslo["counties"]["features"] == [] and "Norway" in {
        f["properties"]["name"] for f in oslo["countries"]["features"]}
    assert any(p[0] == "Oslo" for p in oslo["places"])


def test_scan_page_names_places_and_states_the_run(langley_scan: tuple[object, pd.DataFrame]) -> None:
    from clusterwatch.report.scan import render_scan_html

    found, firms = langley_scan
    page = render_scan_html(found, firms)  # type: ignore[arg-type]
    cards = re.findall(r'<p class="place">(.*?)</p>', page)
    assert len(cards) == len(found.candidates)  # type: ignore[attr-defined]
    # Langley, BC: no Canadian gazetteer, so the register's own city, never the US town across the border
    cities = set(firms["city"].dropna().astype(str).str.title())
    assert all(card.endswith(", CA") and card.removesuffix(", CA") in cities for card in cards), cards
    outside_map = re.sub(r'<script type="application/json" id="map-data">.*?</script>', "", page, flags=re.S)
    assert "Blaine" not in outside_map and "Whatcom" not in outside_map  # (the map labels Blaine, WA where it is)
    assert "shuffling which firms belong to the activity (99 times)" in " ".join(page.lower().split())
    assert "999" not in page.split("Methods, in plain language")[1]
    assert "at least 10 firms to be tested" in " ".join(page.split())
    assert HOSTILE not in page and "<!--<script>" not in page
    data = re.search(r'<script type="application/json" id="map-data">(.*?)</script>', page, re.S)
    assert data is not None
    payload = json.loads(data.group(1))
    assert len(payload["circles"]) == len(found.candidates)  # type: ignore[attr-defined]
    assert any(p[2] == HOSTILE for p in payload["points"])  # the name arrives intact, as data
    assert payload["context"]["countries"]["features"]


def test_every_page_type_renders_from_the_base_layout() -> None:
    for name in ("activities", "regions", "network", "emerging", "hotspots", "kd", "scan"):
        source = (resources.files("clusterwatch.report") / "templates" / f"{name}.html.j2").read_text()
        assert source.startswith('{% extends "base.html.j2" %}'), name
    assert render_page("emerging.html.j2", title="x", style="", body="<p>y</p>").count("<!DOCTYPE html>") == 1


def test_map_opens_on_the_candidates_or_their_densest_group() -> None:
    from clusterwatch.report.mapdata import opening_frame

    seattle = [(47.61, -122.33), (47.67, -122.38), (47.55, -122.27), (47.98, -122.20)]
    frame = pd.DataFrame({"lat": [p[0] for p in seattle] + [41.88], "lon": [p[1] for p in seattle] + [-87.63],
                          "n_firms": [50, 40, 30, 20, 60], "radius_km": [2.0, 2.0, 2.0, 5.0, 1.0]})
    box, outside = opening_frame(frame)
    assert outside == 1 and box is not None  # Chicago (2,800 km away) is off the first view
    assert box[0] < -122.38 and box[2] > -122.20 and box[2] < -121 and box[3] > 47.98
    georgia = pd.DataFrame({"lat": [34.77, 32.08, 33.75], "lon": [-84.97, -81.09, -84.39], "n_firms": [9, 8, 7],
                            "radius_km": [10.0, 10.0, 10.0]})
    box, outside = opening_frame(georgia)
    assert outside == 0 and box is not None
    # every circle inside the frame: Dalton's 10 km reach north, Savannah's east
    assert box[3] == pytest.approx(34.77 + 10 / 111.32) and box[2] > -81.09 + 0.09


def test_candidate_place_is_where_its_firms_are() -> None:
    from clusterwatch.report.mapdata import candidate_places

    candidates = pd.DataFrame({"candidate_id": ["C1", "C2"], "lat": [34.55, 49.10], "lon": [-84.95, -122.66]})
    members = pd.DataFrame({
        "candidate_id": ["C1"] * 4 + ["C2"] * 2, "firm_id": list("abcdef"),
        "lat": [34.77, 34.76, 34.78, 34.50, 49.10, 49.11], "lon": [-84.97, -84.96, -84.98, -84.86, -122.66, -122.65],
        "city": ["", "", "", "", "LANGLEY", "LANGLEY"], "country": ["US"] * 4 + ["CA"] * 2})
    named = candidate_places(candidates, members)
    assert named["place"].tolist() == ["Dalton, Whitfield County, GA", "Langley, CA"]
    assert named.loc[0, "places"].startswith("Dalton 3") and named.loc[1, "places"] == "Langley 2"


def test_candidate_place_ties_go_to_the_first_name_and_the_rest_are_counted() -> None:
    from clusterwatch.report.mapdata import candidate_places

    # C1: Rome 2, Dalton 2, Calhoun 1, Cartersville 1 (a tie for the commonest, four towns); C2 has no members
    where = {"Dalton": (34.77, -84.97), "Rome": (34.257, -85.165), "Calhoun": (34.50, -84.95),
             "Cartersville": (34.165, -84.80)}
    towns = ["Rome", "Dalton", "Rome", "Calhoun", "Dalton", "Cartersville"]
    candidates = pd.DataFrame({"candidate_id": ["C1", "C2"], "lat": [34.5, 34.77], "lon": [-84.95, -84.97]})
    members = pd.DataFrame({"candidate_id": ["C1"] * 6, "firm_id": list("abcdef"),
                            "lat": [where[t][0] for t in towns], "lon": [where[t][1] for t in towns],
                            "city": [""] * 6, "country": ["US"] * 6})
    named = candidate_places(candidates, members, top=3)
    assert named["candidate_id"].tolist() == ["C1", "C2"]
    assert named.loc[0, "place"] == "Dalton, Whitfield County, GA"
    assert named.loc[0, "places"] == "Dalton 2, Rome 2, Calhoun 1 and 1 more"
    assert named.loc[1, "place"] == "Dalton, Whitfield County, GA" and named.loc[1, "places"] == ""


def test_regions_map_uses_county_polygons_for_fips_codes() -> None:
    import numpy as np

    from clusterwatch.report.mapdata import regions_map_payload

    payload = regions_map_payload(["13313", "13051"], np.array([34.8, 32.0]), np.array([-84.9, -81.1]),
                                  ["#111111", "#222222"], [["a"], ["b"]], np.array([5.0, 9.0]), h3_cells=False)
    shapes = payload["cells"]["features"]
    assert [f["properties"]["cell"] for f in shapes] == ["13313", "13051"] and payload["circles"] == []
    assert shapes[0]["properties"]["lines"][-1] == "Whitfield County (FIPS 13313)"
    assert shapes[1]["properties"]["lines"][-1] == "Chatham County (FIPS 13051)"
    named = regions_map_payload(["Yellowstone"], np.array([45.78]), np.array([-108.5]), ["#333333"], [["c"]],
                                np.array([1.0]), h3_cells=False)
    assert named["cells"]["features"] == [] and named["circles"][0]["place"].startswith("Billings")
