"""``report.html`` of ``clusterwatch scan``: one self-contained offline page.

The page is ``templates/scan.html.j2``: an interactive Leaflet map (inlined, with offline boundaries and place
names), the ranked table, one card per candidate with its place, the data and the methods of this run.
"""

from __future__ import annotations

import html
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup

from clusterwatch.candidates import CandidateResult
from clusterwatch.candidates.status import SCORE_WEIGHTS
from clusterwatch.language import ENGLISH_SHARE_MIN
from clusterwatch.report.mapdata import (
    CELL_RESOLUTION,
    candidate_cells,
    candidate_places,
    member_firms,
    scan_map_payload,
)
from clusterwatch.report.render import render_page

__all__ = ["STATUS_COLOURS", "candidates_geojson", "render_scan_html", "write_scan_html"]

STATUS_COLOURS = {"spawning": "#d62728", "emerging": "#ff7f0e", "established": "#1f77b4", "declining": "#7f7f7f",
                  "concentrated": "#8c6d31"}
_KM_PER_DEG = 111.32


def _esc(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return html.escape(str(value))


def _fmt(value: object, spec: str = ".2f") -> str:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return _esc(value)
    return "" if math.isnan(number) else format(number, spec)


def circle_ring(lat: float, lon: float, radius_km: float, n: int = 48) -> list[list[float]]:
    """A closed ring of ``n`` points approximating a circle (lon, lat pairs, GeoJSON order)."""
    radius = max(radius_km, 0.2)
    angle = np.linspace(0, 2 * np.pi, n, endpoint=False)
    dlat = radius / _KM_PER_DEG * np.sin(angle)
    dlon = radius / (_KM_PER_DEG * max(math.cos(math.radians(lat)), 1e-6)) * np.cos(angle)
    ring = [[round(lon + x, 6), round(lat + y, 6)] for x, y in zip(dlon, dlat, strict=True)]
    return ring + [ring[0]]


def candidates_geojson(candidates: pd.DataFrame) -> dict[str, Any]:
    """A GeoJSON FeatureCollection: each candidate's circle as a polygon with its candidates.csv fields."""
    features = []
    for row in candidates.to_dict("records"):
        props = {k: (None if (isinstance(v, float) and math.isnan(v)) or v is pd.NA else
                     (v.item() if hasattr(v, "item") else v)) for k, v in row.items()}
        features.append({"type": "Feature", "properties": props,
                         "geometry": {"type": "Polygon",
                                      "coordinates": [circle_ring(row["lat"], row["lon"], row["radius_km"])]}})
    return {"type": "FeatureCollection", "features": features}


def _bars(entries: pd.DataFrame, width: int = 260, height: int = 70) -> str:
    if entries.empty:
        return ""
    counts = entries["entries"].to_numpy(dtype=float)
    top = max(counts.max(), 1.0)
    w = width / len(counts)
    bars = "".join(
        f'<rect x="{i * w + 1:.1f}" y="{height - 14 - (height - 20) * c / top:.1f}" width="{w - 2:.1f}" '
        f'height="{(height - 20) * c / top:.1f}" fill="#4c78a8"><title>{p}: {int(c)}</title></rect>'
        for i, (p, c) in enumerate(zip(entries["period"], counts, strict=True)))
    first, last = entries["period"].iloc[0], entries["period"].iloc[-1]
    return (f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'xmlns="http://www.w3.org/2000/svg">{bars}<text x="0" y="{height - 2}" font-size="10">{first}</text>'
            f'<text x="{width}" y="{height - 2}" font-size="10" text-anchor="end">{last}</text>'
            f'<text x="0" y="10" font-size="10">max {int(top)}</text></svg>')


def _kd_svg(curve: pd.DataFrame, width: int = 260, height: int = 110) -> str:
    d = curve["distance_km"].to_numpy(dtype=float)
    top = float(np.nanmax(curve[["kd", "global_hi"]].to_numpy(dtype=float))) or 1.0
    right = float(d.max()) or 1.0

    def pts(values: np.ndarray) -> list[str]:
        return [f"{width * x / right:.1f},{height - 12 - (height - 20) * y / top:.1f}"
                for x, y in zip(d, values, strict=True)]

    band = pts(curve["global_hi"].to_numpy(dtype=float)) + pts(curve["global_lo"].to_numpy(dtype=float))[::-1]
    return (f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'xmlns="http://www.w3.org/2000/svg"><polygon points="{" ".join(band)}" fill="#ccc"/>'
            f'<polyline points="{" ".join(pts(curve["kd"].to_numpy(dtype=float)))}" fill="none" stroke="#d62728" '
            f'stroke-width="1.5"/><text x="0" y="{height - 1}" font-size="10">0 km</text>'
            f'<text x="{width}" y="{height - 1}" font-size="10" text-anchor="end">{right:.0f} km</text></svg>')


_TABLE_COLUMNS = [("candidate_id", "id"), ("status", "status"), ("score", "score"), ("label", "label"),
                  ("place", "place"), ("activity_source", "source"), ("n_pieces", "pieces"), ("n_firms", "firms"),
                  ("recent_share", "young"), ("base_recent_share", "young in register"), ("sme_share", "SME"),
                  ("q_value", "q"), ("relative_risk", "RR"), ("trend", "entries share"),
                  ("ehsa_category", "hot spot"), ("radius_km", "radius km"), ("unclassified", "unclassified")]


def _cell(key: str, value: object) -> str:
    if key in ("recent_share", "sme_share", "base_recent_share"):
        return _fmt(value, ".0%")
    if key in ("score", "relative_risk", "radius_km"):
        return _fmt(value, ".1f")
    if key == "q_value":
        return _fmt(value, ".3f")
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _by_candidate(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The rows of each candidate (one pass over the frame, not one per card)."""
    if frame.empty:
        return {}
    return {str(k): g for k, g in frame.groupby(frame["candidate_id"].astype(str), sort=False)}


def _card(row: dict[str, Any], found: CandidateResult, place: str, groups: dict[str, dict[str, pd.DataFrame]],
          addresses: dict[str, str], spread: str = "") -> dict[str, Any]:
    cid = row["candidate_id"]
    # the empty frames only where a candidate has no rows: made for every card, they cost more than the card
    examples = groups["examples"].get(str(cid))
    if examples is None:
        examples = found.examples.iloc[:0]
    # plain columns, not itertuples: a namedtuple class per call is most of a card's time on 200+ candidates
    example_rows = [(name, str(text)[:220], addresses.get(str(firm), ""))
                    for name, text, firm in zip(examples["name"], examples["text"], examples["firm_id"], strict=True)]
    entries = groups["entries"].get(str(cid))
    if entries is None:
        entries = found.entries.iloc[:0] if len(found.entries.columns) else pd.DataFrame(columns=["candidate_id"])
    curve = found.kd_curves.get(cid)
    pieces = groups["pieces"].get(str(cid))
    if pieces is None:
        pieces = found.pieces.iloc[:0]
    flags = []
    if row["unclassified"] is True:
        flags.append("unclassified: codes miss it")
    if isinstance(row["anchor_share"], float) and row["anchor_share"] > 0.5:
        flags.append(f"anchor-dependent ({row['anchor_share']:.0%} of employment in one firm)")
    facts = [
        ("firms", f"{int(row['n_firms'])} of {int(row['n_area'])} in its circles (expected "
                  f"{_fmt(row['expected'], '.1f')})"),
        ("place", place or "—"),
        ("member firms in", spread or "—"),
        ("relative risk", _fmt(row["relative_risk"], ".1f")),
        ("p / q", f"{_fmt(row['p_value'], '.3f')} / {_fmt(row['q_value'], '.3f')}"),
        ("centre, radius", f"{_fmt(row['lat'], '.4f')}, {_fmt(row['lon'], '.4f')}; {_fmt(row['radius_km'], '.1f')} km"),
        ("young firms", f"{_cell('', row['age_evidence'])} (q {_fmt(row['young_q'], '.3f')}), first entry "
                        f"{_cell('', row['first_period'])}"),
        ("SME share", f"{_fmt(row['sme_share'], '.0%')} (register {_fmt(row['base_sme_share'], '.0%')})"),
        ("location quotient", _fmt(row["location_quotient"], ".1f")),
        ("share of the register's entries",
         f"{_cell('', row['trend']) or 'unknown'} (z {_fmt(row['trend_z'], '.2f')}, q rising "
         f"{_fmt(row['rising_q'], '.3f')}); hot spot: {_cell('', row['ehsa_category']) or '—'}"),
        ("code coverage", f"{_fmt(row['code_coverage'], '.0%')} {_cell('', row['top_codes'])}"),
        ("flags", "; ".join(flags) or "—"),
        ("same site as", _cell("", row.get("same_site")).replace(";", ", ") or "—"),
    ]
    return {"id": cid, "colour": STATUS_COLOURS.get(row["status"], "#333"), "status": row["status"],
            "label": _cell("", row["label"]), "score": _fmt(row["score"], ".1f"), "place": place,
            "activity": _cell("", row["activity"]), "source": _cell("", row["activity_source"]),
            "keywords": _cell("", row["keywords"]), "facts": [{"k": k, "v": v} for k, v in facts],
            "bars": Markup(_bars(entries)), "kd": Markup(_kd_svg(curve)) if curve is not None else "",
            "pieces": [f"{activity} — {label}: {int(n)} firms, q {_fmt(q, '.2g')}"
                       + ("" if role == "core" else f" ({role})") for activity, label, n, q, role in zip(
                pieces["activity_id"], pieces["label"], pieces["n_firms"], pieces["q_value"], pieces["role"],
                strict=True)],
            "examples": example_rows}


def render_scan_html(found: CandidateResult, firms: pd.DataFrame, *, sources: pd.DataFrame | None = None,
                     rejected: pd.DataFrame | None = None, versions: dict[str, str] | None = None) -> str:
    """The report as one HTML string (see :func:`write_scan_html`)."""
    cand = found.candidates
    members = member_firms(found.candidate_firms, firms)
    named = candidate_places(cand, members)
    places = named["place"].tolist()
    cells = candidate_cells(members)
    rows = []
    for row, place in zip(cand.to_dict("records"), places, strict=True):
        shown = {key: _cell(key, row.get(key)) for key, _ in _TABLE_COLUMNS}
        shown["place"] = place
        rows.append(shown)
    groups = {"examples": _by_candidate(found.examples), "entries": _by_candidate(found.entries),
              "pieces": _by_candidate(found.pieces)}
    wanted = set(found.examples["firm_id"].astype(str)) if len(found.examples) else set()
    shown = members[members["firm_id"].isin(wanted)].drop_duplicates("firm_id")
    addresses = {str(f): ", ".join(str(v) for v in (a, c) if isinstance(v, str) and v)
                 for f, a, c in zip(shown["firm_id"], shown["address"], shown["city"], strict=True)}
    p = found.parameters
    status_counts = cand["status"].value_counts().to_dict() if len(cand) else {}
    map_data = scan_map_payload(cand, members, firms, STATUS_COLOURS, cells, places)
    n_points = len(map_data["points"])
    total = map_data["points_total"]
    caption = (f"{len(cand)} candidate circles; member firms: {n_points:,}"
               f"{f' of {total:,} (a sample)' if n_points < total else ''}"
               f"{' (switched off: tick them in the layers box)' if map_data['points_hidden'] else ''}; their H3 cells "
               f"(resolution {CELL_RESOLUTION}); click a circle, firm or cell for its card; layers on the right."
               + (f" The map opens on where most candidates are; {map_data['outside_frame']} more lie farther "
                  "away (zoom out)." if map_data["outside_frame"] else ""))
    return render_page(
        "scan.html.j2", title="clusterwatch scan — cluster candidates", p=p, text_method=found.text_method,
        text_asked=found.config.text_method, english_share_min=ENGLISH_SHARE_MIN, score_weights=SCORE_WEIGHTS,
        seed=found.seed, rows=rows, columns=_TABLE_COLUMNS, statuses=list(STATUS_COLOURS),
        summary=", ".join(f"{n} {s}" for s, n in status_counts.items()) or "none", notes=list(found.notes),
        n_failures=len(found.failures), map_data=map_data, caption=caption,
        cards=[_card(r, found, pl, groups, addresses, spread) for r, pl, spread in zip(
            cand.to_dict("records"), places, named["places"], strict=True)],
        sources=sources, rejected=rejected, failures=found.failures, versions=versions or {})


def write_scan_html(path: str | os.PathLike[str], found: CandidateResult, firms: pd.DataFrame, *,
                    sources: pd.DataFrame | None = None, rejected: pd.DataFrame | None = None,
                    versions: dict[str, str] | None = None) -> Path:
    """Write ``report.html``: map, ranked filterable table, a card per candidate, data and methods sections.

    One file with inline SVG, CSS and JavaScript (Leaflet inlined); it needs no network.

    Returns
    -------
    pathlib.Path
        The page written.
    """
    target = Path(path)
    target.write_text(render_scan_html(found, firms, sources=sources, rejected=rejected, versions=versions),
                      encoding="utf-8")
    return target
