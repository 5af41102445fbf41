"""GIS and notebook outputs of a scan: GeoPackage, GeoParquet, candidate_firms.csv with names and addresses.

Written without GDAL or geopandas (both are heavy): the GeoPackage is SQLite with the tables of the OGC
GeoPackage 1.3 standard and its geometry blobs (``GP`` header + envelope + ISO WKB); GeoParquet 1.0 is Parquet with a
WKB column and the ``geo`` metadata. Both open in QGIS, GDAL (``ogrinfo``), geopandas and DuckDB spatial.
Coordinates are WGS84 longitude/latitude (EPSG:4326 / OGC:CRS84).

Layers (the same in both formats):

- ``circles``: one polygon per candidate (its scan circle), its candidates.csv fields and its place names;
- ``member_firms``: one point per (candidate, member firm): name, address, city, postcode, place names;
- ``cells``: the H3 cells (resolution 8) holding member firms, with their firm count and place names.

References
----------
OGC GeoPackage Encoding Standard 1.3.1 (OGC 12-128r18); GeoParquet 1.0.0 specification.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import sqlite3
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clusterwatch.places import nearest_places
from clusterwatch.report.csvsafe import write_csv
from clusterwatch.report.mapdata import CELL_RESOLUTION, candidate_cells, candidate_places, member_firms
from clusterwatch.report.scan import candidates_geojson, circle_ring

if TYPE_CHECKING:
    from clusterwatch.candidates import CandidateResult

__all__ = ["CANDIDATE_FIRM_COLUMNS", "candidate_layers", "gis_columns", "to_geodataframe", "write_candidate_outputs",
           "write_geopackage", "write_geoparquet"]

#: Columns of ``candidate_firms.csv``.
CANDIDATE_FIRM_COLUMNS: list[str] = ["candidate_id", "firm_id", "name", "address", "city", "postcode", "lat", "lon",
                                     "place", "county", "region", "country"]

Geometry = tuple[str, Any]  # ("Point", (lon, lat)) or ("Polygon", [ring, ...]) with rings of (lon, lat)


# ---------------------------------------------------------------------------------------------------------------
# geometry encodings
# ---------------------------------------------------------------------------------------------------------------

def wkb(geometry: Geometry) -> bytes:
    """ISO WKB (little endian) of a Point or Polygon."""
    kind, coords = geometry
    if kind == "Point":
        return struct.pack("<BIdd", 1, 1, float(coords[0]), float(coords[1]))
    if kind == "Polygon":
        parts = [struct.pack("<BII", 1, 3, len(coords))]
        for ring in coords:
            flat = np.asarray(ring, dtype="<f8").reshape(-1, 2)
            parts.append(struct.pack("<I", len(flat)) + flat.tobytes())
        return b"".join(parts)
    raise ValueError(f"unsupported geometry type {kind!r}")


def _bounds(geometry: Geometry) -> tuple[float, float, float, float]:
    kind, coords = geometry
    if kind == "Point":
        return float(coords[0]), float(coords[1]), float(coords[0]), float(coords[1])
    flat = np.concatenate([np.asarray(r, dtype=float).reshape(-1, 2) for r in coords])
    return float(flat[:, 0].min()), float(flat[:, 1].min()), float(flat[:, 0].max()), float(flat[:, 1].max())


def _gpkg_blob(geometry: Geometry, srs_id: int = 4326) -> bytes:
    # GeoPackage binary: magic "GP", version 0, flags (bit 0: little endian; bits 1-3 = 1: envelope minx maxx miny maxy)
    min_x, min_y, max_x, max_y = _bounds(geometry)
    return b"GP" + struct.pack("<BBi4d", 0, 0b0000_0011, srs_id, min_x, max_x, min_y, max_y) + wkb(geometry)


# ---------------------------------------------------------------------------------------------------------------
# the layers
# ---------------------------------------------------------------------------------------------------------------

def gis_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns of ``frame`` in types a GIS understands: numbers (whole numbers as nullable integers), text
    (lists and tuples written as text), booleans as 0/1; every kind of missing value (None, NaN, pd.NA) becomes
    missing. The layers :func:`write_geopackage` and :func:`write_geoparquet` write are made of such columns.

    Parameters
    ----------
    frame
        Any table; it is not changed.

    Returns
    -------
    pandas.DataFrame
        The same columns and index, converted.
    """
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_bool_dtype(series):
            out[column] = series.astype("boolean").astype("Int64")  # 0/1, missing kept missing
        elif pd.api.types.is_numeric_dtype(series):
            values = pd.to_numeric(series, errors="coerce")
            out[column] = values.astype("Int64" if pd.api.types.is_integer_dtype(values) else "float64")
        else:
            out[column] = series.map(lambda v: None if v is None or v is pd.NA or (isinstance(v, float) and
                                                                                    math.isnan(v)) else
                                     (v if isinstance(v, str) else str(v)))
    return out


def _modal_country(members: pd.DataFrame, candidate_id: str) -> str:
    codes = members.loc[members["candidate_id"].astype(str) == candidate_id, "country"].dropna().astype(str)
    return str(codes.value_counts().index[0]) if len(codes) else ""


def candidate_layers(found: CandidateResult, firms: pd.DataFrame) -> dict[str, tuple[pd.DataFrame, list[Geometry]]]:
    """The three layers as (attribute table, geometries): ``circles``, ``member_firms``, ``cells``.

    Parameters
    ----------
    found
        The scan's result.
    firms
        The scanned firms (``firm_id``, ``name``, ``address``, ``city``, ``postcode``, ``lat``, ``lon``; the columns
        the register lacks are left empty).
    """
    cand = found.candidates.reset_index(drop=True)
    members = member_firms(found.candidate_firms, firms)
    named = candidate_places(cand, members)
    circles = cand.copy()
    circles["place"] = named["place"].to_numpy()  # where most member firms are
    circles["member_places"] = named["places"].to_numpy()
    circle_geoms: list[Geometry] = [("Polygon", [circle_ring(r.lat, r.lon, r.radius_km)])
                                    for r in cand.itertuples(index=False)]
    located = members[members["lat"].notna() & members["lon"].notna()].reset_index(drop=True)
    member_names = nearest_places(located["lat"], located["lon"], country=located["country"].to_numpy())
    located = pd.concat([located.drop(columns=["country"]), member_names[["place", "county", "region", "country"]]],
                        axis=1)
    firm_geoms: list[Geometry] = [("Point", (r.lon, r.lat)) for r in located.itertuples(index=False)]
    cells = candidate_cells(members)
    cell_country = dict(zip(named["candidate_id"], [_modal_country(members, c) for c in named["candidate_id"]],
                            strict=True))
    cell_names = nearest_places(cells["lat"].astype(float), cells["lon"].astype(float),
                                country=[cell_country.get(str(c), "") for c in cells["candidate_id"]])
    cell_table = pd.concat([cells.drop(columns=["boundary"]).reset_index(drop=True),
                            cell_names[["place", "county", "region", "country"]]], axis=1)
    cell_table.insert(2, "resolution", CELL_RESOLUTION)
    cell_geoms: list[Geometry] = [("Polygon", [ring]) for ring in cells["boundary"]]
    return {"circles": (gis_columns(circles), circle_geoms), "member_firms": (gis_columns(located), firm_geoms),
            "cells": (gis_columns(cell_table), cell_geoms)}


# ---------------------------------------------------------------------------------------------------------------
# writers
# ---------------------------------------------------------------------------------------------------------------

_WGS84_WKT = ('GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],'
              'AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",'
              '0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],'
              'AUTHORITY["EPSG","4326"]]')


def _sql_type(series: pd.Series) -> str:
    if pd.api.types.is_integer_dtype(series):
        return "INTEGER"
    if pd.api.types.is_float_dtype(series):
        return "DOUBLE"
    return "TEXT"


def _sql_value(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_geopackage(path: str | os.PathLike[str],
                     layers: dict[str, tuple[pd.DataFrame, Sequence[Geometry]]]) -> Path:
    """Write feature layers to a new GeoPackage (EPSG:4326), replacing ``path``.

    Parameters
    ----------
    path
        The ``.gpkg`` file.
    layers
        Layer name → (attributes, geometries), one geometry per row; a layer's geometries share one type.
    """
    target = Path(path)
    target.unlink(missing_ok=True)
    con = sqlite3.connect(target)
    try:
        con.execute("PRAGMA application_id = 1196444487")  # 'GPKG'
        con.execute("PRAGMA user_version = 10300")
        con.executescript("""
CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
 organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
 description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
 min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
 CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
 geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
 CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
 CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
 CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
""")
        con.executemany("INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", [
            ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian coordinate reference system"),
            ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate reference system"),
            ("WGS 84 geodetic", 4326, "EPSG", 4326, _WGS84_WKT, "longitude/latitude coordinates in decimal degrees"),
        ])
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        for name, (table, geometries) in layers.items():
            if len(table) != len(geometries):
                raise ValueError(f"layer {name}: {len(table)} rows but {len(geometries)} geometries")
            kind = geometries[0][0].upper() if geometries else "GEOMETRY"
            columns = [c for c in table.columns if c.lower() not in ("fid", "geom")]
            defs = ", ".join(f'"{c}" {_sql_type(table[c])}' for c in columns)
            con.execute(f'CREATE TABLE "{name}" (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom {kind}'
                        + (f", {defs}" if defs else "") + ")")
            marks = ", ".join("?" for _ in range(len(columns) + 1))
            quoted = ", ".join(['"geom"', *(f'"{c}"' for c in columns)])
            rows = ([_gpkg_blob(g), *(_sql_value(v) for v in values)]
                    for g, values in zip(geometries, table[columns].itertuples(index=False, name=None), strict=True))
            con.executemany(f'INSERT INTO "{name}" ({quoted}) VALUES ({marks})', rows)
            boxes = np.array([_bounds(g) for g in geometries]) if geometries else np.full((1, 4), np.nan)
            con.execute("INSERT INTO gpkg_contents VALUES (?, 'features', ?, ?, ?, ?, ?, ?, ?, 4326)",
                        (name, name, f"clusterwatch scan: {name}", stamp,
                         *(None if np.isnan(v) else float(v) for v in (boxes[:, 0].min(), boxes[:, 1].min(),
                                                                       boxes[:, 2].max(), boxes[:, 3].max()))))
            con.execute("INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, 4326, 0, 0)", (name, kind))
        con.commit()
    finally:
        con.close()
    return target


def write_geoparquet(path: str | os.PathLike[str], table: pd.DataFrame, geometries: Sequence[Geometry]) -> Path:
    """Write one layer as GeoParquet 1.0 (WKB ``geometry`` column, CRS OGC:CRS84, bbox in the metadata)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = Path(path)
    arrow = pa.Table.from_pandas(table.reset_index(drop=True), preserve_index=False)
    arrow = arrow.append_column("geometry", pa.array([wkb(g) for g in geometries], type=pa.binary()))
    boxes = np.array([_bounds(g) for g in geometries]) if geometries else np.empty((0, 4))
    column: dict[str, Any] = {"encoding": "WKB",
                              "geometry_types": sorted({g[0] for g in geometries})}
    if len(boxes):
        column["bbox"] = [float(boxes[:, 0].min()), float(boxes[:, 1].min()), float(boxes[:, 2].max()),
                          float(boxes[:, 3].max())]
    geo = {"version": "1.0.0", "primary_column": "geometry", "columns": {"geometry": column}}
    metadata = dict(arrow.schema.metadata or {})
    metadata[b"geo"] = json.dumps(geo).encode()
    pq.write_table(arrow.replace_schema_metadata(metadata), target)
    return target


def write_candidate_outputs(found: CandidateResult, firms: pd.DataFrame,
                            out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write every file of a scan's result to ``out_dir`` (created if needed); CSVs spreadsheet-safe.

    Files: ``candidates.csv``, ``candidate_firms.csv`` (:data:`CANDIDATE_FIRM_COLUMNS`: name, address,
    coordinates and place of every member firm), ``activities.csv``, ``candidate_entries.csv``,
    ``candidate_pieces.csv``, ``clusters_tested.csv``, ``evidence_failures.csv`` (only when any),
    ``candidate_context_firms.csv`` (only when any: firms shown with a candidate that are not its members, with the
    reason, name, address and coordinates),
    ``candidates.geojson``, ``candidates.gpkg`` (layers ``circles``, ``member_firms``, ``cells``) and the same
    layers as GeoParquet: ``candidates.parquet``, ``candidate_firms.parquet``, ``candidate_cells.parquet``.

    Parameters
    ----------
    found
        What :func:`clusterwatch.candidates.find_candidates` returned.
    firms
        The firms scanned (as read from the workspace).
    out_dir
        Folder to write to.

    Returns
    -------
    dict of str to pathlib.Path
        File name → path written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}

    def csv(name: str, frame: pd.DataFrame) -> None:
        written[name] = write_csv(frame, out / name)

    everyone = member_firms(found.candidate_firms, firms)
    named = candidate_places(found.candidates, everyone) if len(found.candidates) else None
    table_out = found.candidates.copy()
    if named is not None:  # where it is, in names: the place of most member firms, and the commonest places
        place_of = named.set_index("candidate_id")
        ids = table_out["candidate_id"].astype(str)
        table_out.insert(table_out.columns.get_loc("label") + 1, "place", ids.map(place_of["place"]).to_numpy())
        table_out["places"] = ids.map(place_of["places"]).to_numpy()
    csv("candidates.csv", table_out)
    layers = candidate_layers(found, firms)
    members, _ = layers["member_firms"]
    unlocated = everyone[everyone["lat"].isna() | everyone["lon"].isna()]  # kept in the CSV, not in GIS layers
    table = pd.concat([members, unlocated.drop(columns=["country"])], ignore_index=True).reindex(
        columns=CANDIDATE_FIRM_COLUMNS)
    order = {cid: i for i, cid in enumerate(found.candidates["candidate_id"].astype(str))}
    table = table.sort_values(["candidate_id", "firm_id"], key=lambda s: s.map(order) if s.name == "candidate_id"
                              else s, kind="stable")
    csv("candidate_firms.csv", table)
    csv("activities.csv", found.activities)
    csv("candidate_entries.csv", found.entries)
    csv("candidate_pieces.csv", found.pieces)
    csv("clusters_tested.csv", found.tested)
    if len(found.failures):
        csv("evidence_failures.csv", found.failures)
    if len(found.context_firms):  # shown with a candidate, not its members: kept with their reason, not lost
        context = found.context_firms.astype({"firm_id": str})
        named_context = member_firms(context, firms).merge(context, on=["candidate_id", "firm_id"], how="left")
        csv("candidate_context_firms.csv", named_context)
    geojson = out / "candidates.geojson"
    geojson.write_text(json.dumps(candidates_geojson(found.candidates)), encoding="utf-8")
    written["candidates.geojson"] = geojson
    written["candidates.gpkg"] = write_geopackage(out / "candidates.gpkg", dict(layers))
    for name, layer in (("candidates.parquet", "circles"), ("candidate_firms.parquet", "member_firms"),
                        ("candidate_cells.parquet", "cells")):
        written[name] = write_geoparquet(out / name, *layers[layer])
    return written


def to_geodataframe(found: CandidateResult, firms: pd.DataFrame | None = None, *, layer: str = "circles") -> Any:
    """A layer as a :class:`geopandas.GeoDataFrame` (EPSG:4326); needs the ``geo`` extra.

    Parameters
    ----------
    found
        The scan's result.
    firms
        The firms scanned; needed for ``member_firms`` and ``cells`` (their coordinates and names).
    layer
        ``circles``, ``member_firms`` or ``cells``.
    """
    from clusterwatch._optional import import_optional
    from clusterwatch.errors import OptionError

    geopandas = import_optional("geopandas", extra="geo")
    shapely = import_optional("shapely", extra="geo")
    if layer not in ("circles", "member_firms", "cells"):
        raise OptionError(f"layer must be circles, member_firms or cells, got {layer!r}")
    if firms is None:
        if layer != "circles":
            raise OptionError(f"layer {layer!r} needs the firms (their coordinates)")
        firms = pd.DataFrame(columns=["firm_id", "lat", "lon"])
    table, geometries = candidate_layers(found, firms)[layer]
    shapes = shapely.from_wkb([wkb(g) for g in geometries])
    return geopandas.GeoDataFrame(table, geometry=shapes, crs="EPSG:4326")
