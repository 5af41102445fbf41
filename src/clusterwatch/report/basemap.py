"""Offline context layers for the report maps: country, US state and US county boundaries, place labels.

Boundaries come from the TopoJSON of the npm packages ``world-atlas`` 2.0.2 (Natural Earth 1:50m countries) and
``us-atlas`` 3.0.1 (Census 2017 1:10m counties and states), shipped in ``report/static/boundaries`` (see its
PROVENANCE.md). They are decoded here (TopoJSON arcs are delta-encoded, quantised integer pairs) and only the
features that meet the map's extent go into a page, so a report of one city carries a few hundred kB, not the
atlas.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import numpy as np

from clusterwatch.places import places_within

__all__ = ["Extent", "context_layers", "extent_of", "topology_features"]

Extent = tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat


@functools.cache
def _topology(name: str) -> dict[str, Any]:
    source = resources.files("clusterwatch.report") / "static" / "boundaries" / name
    return json.loads(source.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@functools.cache
def _arcs(name: str) -> tuple[np.ndarray, ...]:
    """Every arc of a topology as an (n, 2) array of lon, lat (quantised deltas undone)."""
    topo = _topology(name)
    scale = np.asarray(topo["transform"]["scale"], dtype=float)
    translate = np.asarray(topo["transform"]["translate"], dtype=float)
    return tuple(np.cumsum(np.asarray(arc, dtype=float).reshape(-1, 2), axis=0) * scale + translate
                 for arc in topo["arcs"])


def _ring(arcs: tuple[np.ndarray, ...], indices: list[int]) -> np.ndarray:
    parts: list[np.ndarray] = []
    for i in indices:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]  # a negative index is the reversed arc ~i
        parts.append(arc if not parts else arc[1:])  # consecutive arcs share their end point
    return np.concatenate(parts) if parts else np.empty((0, 2))


def topology_features(name: str, obj: str, extent: Extent | None = None, *,
                      digits: int = 4) -> list[dict[str, Any]]:
    """GeoJSON features of object ``obj`` of a shipped topology, those whose bounding box meets ``extent``.

    Parameters
    ----------
    name
        ``us-counties-10m.json`` or ``world-countries-50m.json``.
    obj
        ``counties``, ``states``, ``nation`` (US) or ``countries``, ``land`` (world).
    extent
        min_lon, min_lat, max_lon, max_lat; ``None``: every feature.
    digits
        Decimals kept (4: about 10 m).

    Returns
    -------
    list of dict
        Features with ``properties`` ``{"id", "name"}`` and Polygon / MultiPolygon geometry.
    """
    arcs = _arcs(name)
    features = []
    for geom in _topology(name)["objects"][obj]["geometries"]:
        if geom.get("type") == "Polygon":
            polygons = [geom["arcs"]]
        elif geom.get("type") == "MultiPolygon":
            polygons = geom["arcs"]
        else:
            continue
        rings = [[_ring(arcs, ring) for ring in polygon] for polygon in polygons]
        if extent is not None:
            points = np.concatenate([r for polygon in rings for r in polygon])
            lo, hi = points.min(axis=0), points.max(axis=0)
            if hi[0] < extent[0] or lo[0] > extent[2] or hi[1] < extent[1] or lo[1] > extent[3]:
                continue
        coords = [[np.round(r, digits).tolist() for r in polygon] for polygon in rings]
        props = {"id": str(geom.get("id", "")), "name": str(geom.get("properties", {}).get("name", ""))}
        geometry = ({"type": "Polygon", "coordinates": coords[0]} if len(coords) == 1
                    else {"type": "MultiPolygon", "coordinates": coords})
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    return features


def extent_of(lat: np.ndarray, lon: np.ndarray, *, margin: float = 0.15, quantile: float = 0.0) -> Extent | None:
    """The bounding box of the finite points, widened by ``margin`` of its size (at least 0.05°) on each side."""
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    ok = np.isfinite(lat) & np.isfinite(lon)
    if not ok.any():
        return None
    lo_lat, hi_lat = np.quantile(lat[ok], [quantile, 1 - quantile])
    lo_lon, hi_lon = np.quantile(lon[ok], [quantile, 1 - quantile])
    pad_lat = max((hi_lat - lo_lat) * margin, 0.05)
    pad_lon = max((hi_lon - lo_lon) * margin, 0.05)
    return (float(max(lo_lon - pad_lon, -180)), float(max(lo_lat - pad_lat, -90)),
            float(min(hi_lon + pad_lon, 180)), float(min(hi_lat + pad_lat, 90)))


def _in_us(extent: Extent) -> bool:
    return extent[0] < -64 and extent[2] > -180 and extent[3] > 17 and extent[1] < 72


def context_layers(extent: Extent, *, max_labels: int = 5000, outer: Extent | None = None) -> dict[str, Any]:
    """The context layers of a map of ``extent``: ``countries``, ``states``, ``counties`` (GeoJSON
    FeatureCollections; the US ones empty outside the US) and ``places`` (``[name, lat, lon, weight]``, biggest
    first).

    The boundaries are taken for an extent twice as wide, so panning out a little still shows them; countries and
    states also cover ``outer`` (where a map's other features are), counties and place names only the extent.
    """
    w, h = extent[2] - extent[0], extent[3] - extent[1]
    wide = (extent[0] - w / 2, extent[1] - h / 2, extent[2] + w / 2, extent[3] + h / 2)
    if outer is not None:
        big: Extent = (min(wide[0], outer[0]), min(wide[1], outer[1]), max(wide[2], outer[2]), max(wide[3], outer[3]))
    else:
        big = wide
    countries = topology_features("world-countries-50m.json", "countries", big, digits=3)
    states: list[dict[str, Any]] = []
    counties: list[dict[str, Any]] = []
    if _in_us(big):
        states = topology_features("us-counties-10m.json", "states", big)
    if _in_us(wide):
        counties = topology_features("us-counties-10m.json", "counties", wide)
    places = places_within(wide, limit=max_labels)
    labels = [[str(r.place), round(float(r.lat), 4), round(float(r.lon), 4), int(r.weight)]
              for r in places.itertuples(index=False)]
    return {"countries": {"type": "FeatureCollection", "features": countries},
            "states": {"type": "FeatureCollection", "features": states},
            "counties": {"type": "FeatureCollection", "features": counties},
            "places": labels}
