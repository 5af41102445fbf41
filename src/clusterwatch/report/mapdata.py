"""What the report maps draw: candidate circles, member firms, H3 cells, with their place names and context."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from clusterwatch.places import nearest_places, place_label, place_labels
from clusterwatch.report.basemap import context_layers, extent_of

__all__ = ["MAX_POINTS", "candidate_cells", "candidate_places", "cells_map_payload", "map_html", "member_firms",
           "regions_map_payload", "scan_map_payload"]

#: Member firms drawn at most (a sample beyond, the caption says so).
MAX_POINTS = 6000
#: Beyond this many member firms, their layer starts switched off (the candidates stay readable).
MAX_SHOWN_POINTS = 1500
#: H3 resolution of the candidates' cells (8: about 0.7 km² a cell).
CELL_RESOLUTION = 8


def _text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def member_firms(candidate_firms: pd.DataFrame, firms: pd.DataFrame) -> pd.DataFrame:
    """``candidate_id, firm_id, name, address, city, postcode, country, lat, lon`` of every candidate's member firm.

    Columns the register lacks are empty; members not in ``firms`` keep their ids with NaN coordinates.
    """
    keep = ["firm_id", "name", "address", "city", "postcode", "country", "lat", "lon"]
    table = firms.reindex(columns=keep).copy()
    table["firm_id"] = table["firm_id"].astype(str)
    table = table.drop_duplicates("firm_id")
    members = candidate_firms[["candidate_id", "firm_id"]].astype({"firm_id": str})
    return members.merge(table, on="firm_id", how="left")[["candidate_id", *keep]]


def candidate_places(candidates: pd.DataFrame, members: pd.DataFrame, *, top: int = 3) -> pd.DataFrame:
    """Where each candidate is, in names: ``candidate_id, place, places``.

    ``place`` is the place (with county and state) where most of the candidate's member firms are — "Dalton,
    Whitfield County, GA" for a carpet cluster whose circle is centred between towns; a candidate without located
    members gets its centre's nearest place. ``places`` lists the ``top`` commonest places with their firm counts.
    """
    ids = candidates["candidate_id"].astype(str).tolist()
    located = members[members["lat"].notna() & members["lon"].notna()]
    # the centre is named within the country most of the members are in
    modal = (located.dropna(subset=["country"]).groupby("candidate_id")["country"]
             .agg(lambda s: s.astype(str).value_counts().index[0]) if len(located) else pd.Series(dtype=object))
    centre_country = [modal.get(cid, "") for cid in ids]
    centre = (place_labels(candidates["lat"], candidates["lon"], country=centre_country) if len(candidates)
              else [])
    names = nearest_places(located["lat"].astype(float), located["lon"].astype(float),
                           country=located["country"].to_numpy())
    labels = pd.Series([place_label(*r) for r in names[["place", "county", "region", "country"]].itertuples(
        index=False)], index=located.index, dtype=object)
    towns = names["place"].where(names["place"] != "", "unnamed").to_numpy()
    table = pd.DataFrame({"candidate_id": located["candidate_id"].astype(str).to_numpy(),
                          "label": labels.to_numpy(), "town": towns})
    cities = members.dropna(subset=["city"])
    cities = cities[cities["city"].astype(str).str.strip() != ""]
    # one pass over all candidates' members (not one boolean mask per candidate): per candidate, the commonest
    # label (ties: the first in sorted order) and its towns by count (ties: sorted order)
    named = table[table["label"] != ""]
    place_of = _commonest(named, "label").groupby("candidate_id", sort=False)["label"].first().to_dict()
    towns_of = {str(cid): list(zip(part["town"], part["n"], strict=True))
                for cid, part in _commonest(named, "town").groupby("candidate_id", sort=False)}
    rows = []
    for cid, fallback in zip(ids, centre, strict=True):
        if cid not in place_of:  # no gazetteer here (Canada ...): the city the register gives most of its firms
            theirs = cities.loc[cities["candidate_id"].astype(str) == cid, "city"].astype(str).str.title()
            if len(theirs):
                counts = theirs.value_counts()
                code = modal.get(cid, "")
                listed = ", ".join(f"{t} {n}" for t, n in counts.head(top).items())
                rows.append((cid, str(counts.index[0]) + (f", {code}" if code and code != "US" else ""), listed))
            else:
                rows.append((cid, fallback, ""))
            continue
        towns = towns_of[cid]
        listed = ", ".join(f"{t} {n}" for t, n in towns[:top])
        more = len(towns) - top
        rows.append((cid, str(place_of[cid]), listed + (f" and {more} more" if more > 0 else "")))
    return pd.DataFrame(rows, columns=["candidate_id", "place", "places"])


def _commonest(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """``candidate_id, <column>, n``: the firms of each value per candidate, commonest first (ties: sorted)."""
    counts = table.groupby(["candidate_id", column], sort=True).size().rename("n").reset_index()
    return counts.sort_values(["candidate_id", "n"], ascending=[True, False], kind="stable")


def candidate_cells(members: pd.DataFrame, resolution: int = CELL_RESOLUTION) -> pd.DataFrame:
    """``candidate_id, cell, n_firms, lat, lon, boundary`` — the H3 cells holding each candidate's member firms.

    ``boundary`` is the cell's ring as ``[[lon, lat], …]`` (closed, GeoJSON order).
    """
    import h3

    ok = members["lat"].notna() & members["lon"].notna()
    located = members[ok]
    if located.empty:
        return pd.DataFrame(columns=["candidate_id", "cell", "n_firms", "lat", "lon", "boundary"])
    cells = [h3.latlng_to_cell(a, o, resolution) for a, o in zip(located["lat"].astype(float),
                                                                   located["lon"].astype(float), strict=True)]
    counted = (pd.DataFrame({"candidate_id": located["candidate_id"].to_numpy(), "cell": cells})
               .groupby(["candidate_id", "cell"], sort=True).size().rename("n_firms").reset_index())
    centres = [h3.cell_to_latlng(c) for c in counted["cell"]]
    counted["lat"] = [c[0] for c in centres]
    counted["lon"] = [c[1] for c in centres]
    rings = []
    for cell in counted["cell"]:
        ring = [[round(lo, 6), round(la, 6)] for la, lo in h3.cell_to_boundary(cell)]
        rings.append([*ring, ring[0]])
    counted["boundary"] = rings
    return counted


#: Candidates spread wider than this (km, the diagonal of their box) open the map on their densest group.
WIDE_KM = 1500.0
#: The densest group: candidates within this distance (km) of the candidate with most firms around it.
GROUP_KM = 150.0


def _km(lat1: np.ndarray, lon1: np.ndarray, lat2: float, lon2: float) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(a))


def opening_frame(candidates: pd.DataFrame) -> tuple[list[float] | None, int]:
    """The box the map opens on (``[w, s, e, n]``, candidates' circles included) and how many candidates lie
    outside it.

    All candidates, unless they spread over more than :data:`WIDE_KM` (a register with firms across a continent:
    head offices far away); then the group within :data:`GROUP_KM` of the candidate with the most candidates' firms
    around it — where most of the register's clusters are. Zooming out shows the others.
    """
    if candidates.empty:
        return None, 0
    lat = candidates["lat"].to_numpy(float)
    lon = candidates["lon"].to_numpy(float)
    firms = candidates["n_firms"].to_numpy(float)
    keep = np.ones(len(lat), dtype=bool)
    diagonal = float(_km(np.array([lat.min()]), np.array([lon.min()]), lat.max(), lon.max())[0])
    if diagonal > WIDE_KM:
        weight = [float(firms[_km(lat, lon, a, o) <= GROUP_KM].sum()) for a, o in zip(lat, lon, strict=True)]
        anchor = int(np.argmax(weight))
        keep = _km(lat, lon, lat[anchor], lon[anchor]) <= GROUP_KM
    pad_lat = candidates["radius_km"].to_numpy(float)[keep] / 111.32
    pad_lon = pad_lat / np.maximum(np.cos(np.radians(lat[keep])), 1e-6)
    frame = [float((lon[keep] - pad_lon).min()), float((lat[keep] - pad_lat).min()),
             float((lon[keep] + pad_lon).max()), float((lat[keep] + pad_lat).max())]
    return frame, int((~keep).sum())


def scan_map_payload(candidates: pd.DataFrame, members: pd.DataFrame, firms: pd.DataFrame,
                     colours: dict[str, str], cells: pd.DataFrame | None = None,
                     places: list[str] | None = None) -> dict[str, Any]:
    """The data of the scan report's map (see ``static/map.js`` for its shape)."""
    places = places if places is not None else place_labels(candidates["lat"], candidates["lon"])
    circles = []
    for row, place in zip(candidates.to_dict("records"), places, strict=True):
        circles.append({"id": _text(row["candidate_id"]), "label": _text(row["label"]),
                        "status": _text(row["status"]), "colour": colours.get(row["status"], "#333"),
                        "lat": round(float(row["lat"]), 5), "lon": round(float(row["lon"]), 5),
                        "radius_km": round(float(row["radius_km"]), 2), "n_firms": int(row["n_firms"]),
                        "score": None if pd.isna(row["score"]) else round(float(row["score"]), 1),
                        "place": place, "href": "#" + _text(row["candidate_id"])})
    status = dict(zip(candidates["candidate_id"].astype(str), candidates["status"].astype(str), strict=True))
    located = members[members["lat"].notna() & members["lon"].notna()]
    if len(located) > MAX_POINTS:
        located = located.sample(MAX_POINTS, random_state=0)
    points = [[round(float(r.lat), 5), round(float(r.lon), 5), _text(r.name) or _text(r.firm_id),
               f"{r.candidate_id}", colours.get(status.get(str(r.candidate_id), ""), "#333"),
               ", ".join(p for p in (_text(r.address), _text(r.city)) if p)]
              for r in located.itertuples(index=False)]
    features = []
    if cells is not None:
        for r in cells.itertuples(index=False):
            colour = colours.get(status.get(str(r.candidate_id), ""), "#6a3d9a")
            features.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [r.boundary]},
                             "properties": {"cell": r.cell, "n": int(r.n_firms), "colour": colour,
                                            "lines": [f"H3 cell {r.cell}", f"{r.candidate_id}: {r.n_firms} firms"]}})
    lat = np.concatenate([candidates["lat"].to_numpy(float), located["lat"].to_numpy(float)])
    lon = np.concatenate([candidates["lon"].to_numpy(float), located["lon"].to_numpy(float)])
    if not len(lat):
        lat, lon = firms["lat"].to_numpy(float), firms["lon"].to_numpy(float)
    frame, outside = opening_frame(candidates)
    everything = extent_of(lat, lon, quantile=0.0 if len(candidates) else 0.005)
    if frame is not None:
        extent = extent_of(np.array([frame[1], frame[3]]), np.array([frame[0], frame[2]]), margin=0.5)
    else:
        extent = everything
    context = context_layers(extent, outer=everything) if extent else {}
    return {"context": context, "extent": extent, "circles": circles,
            "frame": frame, "outside_frame": outside,
            "circles_label": "candidates", "points": points, "points_label": "member firms",
            "points_hidden": len(points) > MAX_SHOWN_POINTS, "points_total": int(len(members.dropna(subset=["lat"]))),
            "cells": {"type": "FeatureCollection", "features": features}, "cells_label": "H3 cells of members",
            "legend": [[s, c] for s, c in colours.items() if s in set(candidates["status"].astype(str))]}


def cells_map_payload(cells: list[str], colours: list[str], lines: list[list[str]], *,
                      legend: list[tuple[str, str]] = (), label: str = "H3 cells",  # type: ignore[assignment]
                      opacity: float = 0.6) -> dict[str, Any]:
    """The data of a map of H3 cells (hot spots, emerging categories, regions): each cell coloured, with a card
    of ``lines`` and the cell's nearest place appended; framed on the cells, over the context layers."""
    import h3

    centres = np.array([h3.cell_to_latlng(c) for c in cells], dtype=float).reshape(-1, 2)
    places = place_labels(centres[:, 0], centres[:, 1]) if len(cells) else []
    features = []
    for cell, colour, text, place in zip(cells, colours, lines, places, strict=True):
        ring = [[round(lo, 6), round(la, 6)] for la, lo in h3.cell_to_boundary(cell)]
        features.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
                         "properties": {"cell": cell, "colour": colour, "opacity": opacity,
                                        "lines": [*text, f"near {place}" if place else "", f"H3 cell {cell}"]}})
    extent = extent_of(centres[:, 0], centres[:, 1]) if len(cells) else None
    return {"context": context_layers(extent) if extent else {}, "extent": extent, "circles": [], "points": [],
            "cells": {"type": "FeatureCollection", "features": features}, "cells_label": label,
            "legend": [list(item) for item in legend]}


def map_html(map_id: str, payload: dict[str, Any], caption: str = "") -> str:
    """The map element of ``payload`` (the page must include the map assets: ``with_map=True``)."""
    from markupsafe import Markup

    from clusterwatch.report.render import environment

    module = environment().get_template("macros.html.j2").module
    return Markup(module.map(map_id, payload, caption))  # type: ignore[attr-defined]


def regions_map_payload(regions: list[str], lat: np.ndarray, lon: np.ndarray, colours: list[str],
                        lines: list[list[str]], sizes: np.ndarray, *, h3_cells: bool,
                        legend: list[tuple[str, str]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    """The data of a map of regions: H3 cells as hexagons, US county FIPS codes as the county's polygon, any
    other region as a circle at its point with area growing with ``sizes``."""
    from clusterwatch.report.basemap import topology_features

    if h3_cells:
        return cells_map_payload(regions, colours, lines, legend=legend, label="regions (H3 cells)", opacity=0.7)
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    fips = all(len(r) == 5 and r.isdigit() for r in regions)
    features = []
    circles = []
    if fips:
        shapes = {f["properties"]["id"]: f for f in topology_features("us-counties-10m.json", "counties")}
        for region, colour, text in zip(regions, colours, lines, strict=True):
            if region in shapes:
                features.append({"type": "Feature", "geometry": shapes[region]["geometry"],
                                 "properties": {"cell": region, "colour": colour, "opacity": 0.7,
                                                "lines": [*text, f"{shapes[region]['properties']['name']} County "
                                                                  f"(FIPS {region})"]}})
    if not features:
        biggest = max(float(np.nanmax(sizes)) if len(sizes) else 1.0, 1.0)
        names = place_labels(lat, lon) if len(regions) else []
        for region, a, o, colour, text, size, place in zip(regions, lat, lon, colours, lines, sizes, names,
                                                            strict=True):
            if not (np.isfinite(a) and np.isfinite(o)):
                continue
            circles.append({"id": region, "label": "", "status": "", "colour": colour, "lat": round(float(a), 5),
                            "lon": round(float(o), 5), "radius_km": round(1.0 + 9.0 * math.sqrt(size / biggest), 2),
                            "n_firms": 0, "score": None, "place": place, "href": "",
                            "lines": [*text, f"near {place}" if place else ""]})
    extent = extent_of(lat, lon)
    return {"context": context_layers(extent) if extent else {}, "extent": extent, "circles": circles,
            "circles_label": "regions", "points": [],
            "cells": {"type": "FeatureCollection", "features": features}, "cells_label": "regions (counties)",
            "legend": [list(item) for item in legend]}
