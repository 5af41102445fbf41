"""GIS and notebook outputs: GeoPackage (GDAL-readable), GeoParquet, candidate_firms.csv, GeoDataFrames."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
import struct
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from clusterwatch.report.gis import CANDIDATE_FIRM_COLUMNS, to_geodataframe, wkb, write_candidate_outputs

from .conftest import HOSTILE

KM_PER_DEG_LAT = 111.32
RADIUS_TOLERANCE = 0.01  # the circle ring's north-south extent is 2 r within 1 %


@pytest.fixture(scope="module")
def outputs(langley_scan: tuple[object, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    found, firms = langley_scan
    return write_candidate_outputs(found, firms, tmp_path_factory.mktemp("scan-out"))  # type: ignore[arg-type]


def test_wkb_by_hand() -> None:
    assert wkb(("Point", (1.5, -2.0))) == struct.pack("<BIdd", 1, 1, 1.5, -2.0)
    square = wkb(("Polygon", [[(0, 0), (1, 0), (1, 1), (0, 0)]]))
    assert square[:9] == struct.pack("<BII", 1, 3, 1) and len(square) == 9 + 4 + 4 * 16


def test_every_file_written(outputs: dict[str, Path]) -> None:
    for name in ("candidates.csv", "candidate_firms.csv", "activities.csv", "candidate_entries.csv",
                 "candidate_pieces.csv", "clusters_tested.csv", "candidates.geojson", "candidates.gpkg",
                 "candidates.parquet", "candidate_firms.parquet", "candidate_cells.parquet"):
        assert outputs[name].is_file() and outputs[name].stat().st_size > 0, name


def test_candidate_firms_csv_has_names_addresses_coordinates(outputs: dict[str, Path],
                                                             langley_scan: tuple[object, pd.DataFrame]) -> None:
    found, firms = langley_scan
    table = pd.read_csv(outputs["candidate_firms.csv"], dtype=str, keep_default_na=False)
    assert list(table.columns) == CANDIDATE_FIRM_COLUMNS
    members = found.candidate_firms  # type: ignore[attr-defined]
    assert len(table) == len(members)
    assert set(zip(table["candidate_id"], table["firm_id"], strict=True)) == set(
        zip(members["candidate_id"], members["firm_id"].astype(str), strict=True))
    by_id = firms.drop_duplicates("firm_id").set_index(firms.drop_duplicates("firm_id")["firm_id"].astype(str))
    sample = table[table["name"] != "'" + HOSTILE].head(20)
    for row in sample.itertuples(index=False):
        source = by_id.loc[row.firm_id]
        assert row.name == source["name"] and float(row.lat) == pytest.approx(float(source["lat"]))
        assert row.address == ("" if pd.isna(source["address"]) else source["address"])
    with outputs["candidate_firms.csv"].open(newline="", encoding="utf-8") as handle:
        names = [r["name"] for r in csv.DictReader(handle)]
    assert "'" + HOSTILE in names and HOSTILE not in names  # the formula is neutralised


def test_geopackage_structure(outputs: dict[str, Path], langley_scan: tuple[object, pd.DataFrame]) -> None:
    found = langley_scan[0]
    con = sqlite3.connect(outputs["candidates.gpkg"])
    try:
        assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
        layers = dict(con.execute("SELECT table_name, geometry_type_name FROM gpkg_geometry_columns").fetchall())
        assert layers == {"circles": "POLYGON", "member_firms": "POINT", "cells": "POLYGON"}
        n = {name: con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in layers}
        blob = con.execute("SELECT geom FROM member_firms LIMIT 1").fetchone()[0]
        row = con.execute("SELECT candidate_id, radius_km, geom FROM circles ORDER BY fid LIMIT 1").fetchone()
    finally:
        con.close()
    assert n["circles"] == len(found.candidates)  # type: ignore[attr-defined]
    assert n["member_firms"] == len(found.candidate_firms)  # type: ignore[attr-defined]
    assert blob[:2] == b"GP" and struct.unpack("<i", blob[4:8])[0] == 4326
    min_x, max_x, min_y, max_y = struct.unpack("<4d", row[2][8:40])
    assert (max_y - min_y) * KM_PER_DEG_LAT == pytest.approx(2 * row[1], rel=RADIUS_TOLERANCE)


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="gdal-bin (ogrinfo) is not installed (.ci/run installs it)")
def test_ogrinfo_lists_the_layers(outputs: dict[str, Path], langley_scan: tuple[object, pd.DataFrame]) -> None:
    done = subprocess.run(["ogrinfo", "-ro", "-so", "-al", str(outputs["candidates.gpkg"])], capture_output=True,
                          text=True, timeout=60, check=True)
    assert "using driver `GPKG' successful" in done.stdout
    for layer, geometry in (("circles", "Polygon"), ("member_firms", "Point"), ("cells", "Polygon")):
        assert f"Layer name: {layer}\n" in done.stdout and f"Geometry: {geometry}" in done.stdout
    assert f"Feature Count: {len(langley_scan[0].candidate_firms)}" in done.stdout  # type: ignore[attr-defined]
    for column in ("name: String", "address: String", "place: String", "n_firms: Integer"):
        assert column in done.stdout
    assert "ERROR" not in done.stderr and "Warning" not in done.stderr


def test_geopandas_reads_both_formats(outputs: dict[str, Path], langley_scan: tuple[object, pd.DataFrame]) -> None:
    geopandas = pytest.importorskip("geopandas")
    found, firms = langley_scan
    circles = geopandas.read_file(outputs["candidates.gpkg"], layer="circles")
    assert circles.crs.to_epsg() == 4326 and circles.geometry.is_valid.all()
    assert list(circles["candidate_id"]) == list(found.candidates["candidate_id"])  # type: ignore[attr-defined]
    points = geopandas.read_parquet(outputs["candidate_firms.parquet"])
    assert len(points) == len(found.candidate_firms) and set(points.geom_type) == {"Point"}  # type: ignore[attr-defined]
    assert (points.geometry.x.round(6) == points["lon"].round(6)).all()
    cells = geopandas.read_parquet(outputs["candidate_cells.parquet"])
    assert cells.groupby("candidate_id")["n_firms"].sum().to_dict() == found.candidate_firms.groupby(  # type: ignore[attr-defined]
        "candidate_id").size().to_dict()  # every located member in exactly one cell
    meta = json.loads(__import__("pyarrow.parquet", fromlist=["x"]).read_schema(
        outputs["candidates.parquet"]).metadata[b"geo"])
    assert meta["version"] == "1.0.0" and meta["columns"]["geometry"]["encoding"] == "WKB"
    frame = to_geodataframe(found, firms, layer="member_firms")  # type: ignore[arg-type]
    assert len(frame) == len(points) and frame.crs.to_epsg() == 4326
    # the same from the result itself, as a notebook user writes it
    again = found.to_geodataframe(firms, layer="member_firms")  # type: ignore[attr-defined]
    assert len(again) == len(points) and list(again["firm_id"]) == list(frame["firm_id"])


def test_notebook_table_is_escaped_and_named(langley_scan: tuple[object, pd.DataFrame]) -> None:
    from clusterwatch.report.notebook import candidates_repr_html

    found, firms = langley_scan
    html = candidates_repr_html(found, firms, max_rows=3)  # type: ignore[arg-type]
    assert html.count("<tr>") == 1 + min(3, len(found.candidates))  # type: ignore[attr-defined]
    assert ", CA</td>" in html and "cluster candidates" in html
    assert found._repr_html_().count("<tr>") >= 2  # type: ignore[attr-defined]  # what a notebook shows


def test_missing_values_of_every_kind_become_null(tmp_path: Path) -> None:
    from clusterwatch.report.gis import gis_columns, write_geopackage, write_geoparquet

    table = gis_columns(pd.DataFrame({"flag": pd.array([True, None], dtype="boolean"),
                                 "n": pd.array([3, None], dtype="Int64"), "x": [1.5, float("nan")],
                                 "text": ["a", None], "listed": [("p", "q"), None]}))
    geometries = [("Point", (10.0, 59.0)), ("Point", (11.0, 60.0))]
    path = write_geopackage(tmp_path / "t.gpkg", {"points": (table, geometries)})
    con = sqlite3.connect(path)
    try:
        rows = con.execute('SELECT flag, n, x, text, listed FROM points ORDER BY fid').fetchall()
    finally:
        con.close()
    assert rows == [(1, 3, 1.5, "a", "('p', 'q')"), (None, None, None, None, None)]
    parquet = __import__("pyarrow.parquet", fromlist=["x"]).read_table(write_geoparquet(tmp_path / "t.parquet", table,
                                                                                        geometries))
    assert parquet.column("n").to_pylist() == [3, None] and parquet.column("flag").to_pylist() == [1, None]
