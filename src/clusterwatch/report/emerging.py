"""The emerging-clusters page: a map of emerging hot spot categories and the space-time clusters, offline.

One self-contained HTML file: the map is inline SVG (H3 hexagons drawn from their boundaries), with no script,
font or tile fetched from anywhere.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import numpy as np
import pandas as pd
from markupsafe import Markup

from clusterwatch.analysis.geometry import local_xy_km
from clusterwatch.analysis.time import CATEGORIES, EmergingHotSpots, SpaceTimeScan
from clusterwatch.places import place_labels
from clusterwatch.report.mapdata import cells_map_payload, map_html
from clusterwatch.report.render import render_page

#: Fill colour of each category: reds for hot spots (darker = more established), blues for cold spots.
COLOURS: dict[str, str] = {
    "new hot spot": "#fdd0a2",
    "consecutive hot spot": "#fdae6b",
    "intensifying hot spot": "#d7301f",
    "persistent hot spot": "#b30000",
    "diminishing hot spot": "#fc8d59",
    "sporadic hot spot": "#fee8c8",
    "oscillating hot spot": "#f768a1",
    "historical hot spot": "#7f0000",
    "new cold spot": "#c6dbef",
    "consecutive cold spot": "#9ecae1",
    "intensifying cold spot": "#2171b5",
    "persistent cold spot": "#08519c",
    "diminishing cold spot": "#6baed6",
    "sporadic cold spot": "#deebf7",
    "oscillating cold spot": "#807dba",
    "historical cold spot": "#08306b",
    "no pattern detected": "#eeeeee",
}

_WIDTH = 760.0
_MARGIN = 10.0

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5em auto; max-width: 1100px;
       color: #222; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
.meta { color: #555; font-size: 0.92em; }
.row { display: flex; gap: 1.5em; align-items: flex-start; flex-wrap: wrap; }
table { border-collapse: collapse; font-size: 0.88em; } th, td { padding: 3px 8px; border-bottom: 1px solid #ddd; }
th { text-align: left; background: #f6f6f6; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.swatch { display: inline-block; width: 12px; height: 12px; border: 1px solid #999; vertical-align: middle; }
svg.map { border: 1px solid #ccc; background: #fafafa; }
.note { font-size: 0.85em; color: #555; max-width: 60em; }
"""


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _boundaries(cells: np.ndarray) -> list[np.ndarray]:
    import h3

    return [np.array(h3.cell_to_boundary(str(c)), dtype=float) for c in cells]


def _framed(hot_spots: EmergingHotSpots) -> np.ndarray:
    """Which cells the map shows: those near where most entries are, so that a few far-off firms (licences held
    by out-of-town businesses) do not shrink the study area to a dot. A cell is shown when it lies within three
    times the distance that holds 90 % of the entries, around their weighted median."""
    lat, lon = np.asarray(hot_spots.lat, dtype=float), np.asarray(hot_spots.lon, dtype=float)
    weight = hot_spots.entries.sum(axis=1).astype(float)
    counts = weight.astype(int)
    centre = (float(np.median(np.repeat(lat, counts))), float(np.median(np.repeat(lon, counts))))
    x, y = local_xy_km(lat, lon, origin=centre)
    distance = np.hypot(x, y)
    order = np.argsort(distance)
    reach = distance[order][np.searchsorted(np.cumsum(weight[order]), 0.9 * weight.sum())]
    return distance <= max(3 * reach, 1.0)


def map_svg(hot_spots: EmergingHotSpots, scan: SpaceTimeScan | None = None) -> str:
    """The categories map as an SVG element: one hexagon per cell, scan clusters outlined and numbered.

    Cells far from where most entries are (see :func:`_framed`) are left off the map and counted in its caption.
    """
    shown = _framed(hot_spots) if len(hot_spots.locations) else np.zeros(0, dtype=bool)
    cells = np.asarray(hot_spots.locations)[shown]
    if cells.size == 0:
        return "<p>No cells to map.</p>"
    rings = _boundaries(cells)
    lat = np.concatenate([r[:, 0] for r in rings])
    lon = np.concatenate([r[:, 1] for r in rings])
    origin = ((lat.min() + lat.max()) / 2, (lon.min() + lon.max()) / 2)
    x, y = local_xy_km(lat, lon, origin=origin)
    span = max(x.max() - x.min(), y.max() - y.min(), 1e-9)
    scale = (_WIDTH - 2 * _MARGIN) / span
    height = (y.max() - y.min()) * scale + 2 * _MARGIN
    width = (x.max() - x.min()) * scale + 2 * _MARGIN

    def project(xs: np.ndarray, ys: np.ndarray) -> str:
        px = _MARGIN + (xs - x.min()) * scale
        py = _MARGIN + (y.max() - ys) * scale
        return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py, strict=True))

    frame = hot_spots.to_frame()[shown].reset_index(drop=True)
    shapes = []
    start = 0
    for i, ring in enumerate(rings):
        n = len(ring)
        points = project(x[start:start + n], y[start:start + n])
        start += n
        row = frame.iloc[i]
        tip = (f"{row['cell']}: {row['category']}; {int(row['entries'])} entries, {int(row['final_entries'])} in the "
               f"last period; hot in {int(row['hot_periods'])} periods; Gi* trend {row['trend']}")
        shapes.append(f'<polygon points="{points}" fill="{COLOURS[str(row["category"])]}" stroke="#bbb" '
                      f'stroke-width="0.5"><title>{_esc(tip)}</title></polygon>')
    if scan is not None:
        index = {str(c): i for i, c in enumerate(cells)}
        offsets = np.cumsum([0] + [len(r) for r in rings])
        for cluster in scan.clusters:
            members = [index[c] for c in cluster.locations if c in index]
            for i in members:
                points = project(x[offsets[i]:offsets[i + 1]], y[offsets[i]:offsets[i + 1]])
                shapes.append(f'<polygon points="{points}" fill="none" stroke="#111" stroke-width="2"/>')
            if members:
                first = members[0]
                cx = _MARGIN + (x[offsets[first]:offsets[first + 1]].mean() - x.min()) * scale
                cy = _MARGIN + (y.max() - y[offsets[first]:offsets[first + 1]].mean()) * scale
                label = (f"cluster {cluster.rank}: {cluster.observed} entries where {cluster.expected:.1f} expected, "
                         f"{cluster.start}–{cluster.end}, p = {cluster.p:.3g}")
                shapes.append(f'<text x="{cx:.1f}" y="{cy + 4:.1f}" font-size="12" text-anchor="middle" '
                              f'font-weight="bold"><title>{_esc(label)}</title>{cluster.rank}</text>')
    hidden = int((~shown).sum())
    caption = (f'<p class="note">{hidden:,} cell(s) far from the others are not drawn (listed in ehsa.csv).</p>'
               if hidden else "")
    return (f'<svg class="map" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="map of emerging hot spot categories">'
            + "".join(shapes) + "</svg>" + caption)


def _entries_chart(hot_spots: EmergingHotSpots) -> str:
    """A small bar chart of entries per period, all cells together."""
    totals = hot_spots.entries.sum(axis=0)
    labels = hot_spots.periods.astype(str)
    width, height, pad = 360.0, 150.0, 24.0
    top = max(int(totals.max()), 1)
    bar = (width - 2 * pad) / max(len(totals), 1)
    parts = []
    for i, (value, label) in enumerate(zip(totals, labels, strict=True)):
        h = (height - 2 * pad) * value / top
        parts.append(f'<rect x="{pad + i * bar:.1f}" y="{height - pad - h:.1f}" width="{max(bar - 1, 0.5):.1f}" '
                     f'height="{h:.1f}" fill="#6a8caf"><title>{_esc(label)}: {int(value)}</title></rect>')
    parts.append(f'<text x="{pad}" y="{height - 6}" font-size="10">{_esc(labels[0])}</text>')
    parts.append(f'<text x="{width - pad}" y="{height - 6}" font-size="10" text-anchor="end">{_esc(labels[-1])}'
                 "</text>")
    parts.append(f'<text x="{pad}" y="{pad - 8}" font-size="10">max {top} entries a period</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" role="img" '
            f'aria-label="entries per period">' + "".join(parts) + "</svg>")


def _table(frame: pd.DataFrame, numeric: set[str]) -> str:
    head = "".join(f"<th>{_esc(c)}</th>" for c in frame.columns)
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for c in frame.columns:
            value = row[c]
            if isinstance(value, float):
                value = f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
            cells.append(f'<td class="n">{_esc(value)}</td>' if c in numeric else f"<td>{_esc(value)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def render_emerging_html(hot_spots: EmergingHotSpots, scan: SpaceTimeScan | None = None, *,
                         title: str | None = None) -> str:
    """The page as a string: parameters, map with legend, entries per period, clusters, the cells with a pattern."""
    activity = hot_spots.activity or "entries"
    heading = title or f"Emerging clusters: {activity}"
    periods = hot_spots.periods
    meta = (f"{len(hot_spots.locations):,} H3 cells (resolution {hot_spots.resolution}) with at least one entry; "
            f"{len(periods)} {hot_spots.period}s {periods[0]}–{periods[-1]}; {int(hot_spots.entries.sum()):,} "
            f"entries" + (f"; as of {hot_spots.as_of.date()}" if hot_spots.as_of is not None else ""))
    method = (f"Gi* over ring {hot_spots.ring} and {hot_spots.time_lags} period(s) back; {hot_spots.inference} "
              f"inference" + (f" ({hot_spots.permutations} permutations, seed {hot_spots.seed})"
                              if hot_spots.permutations else "")
              + f"; {'Benjamini–Hochberg FDR' if hot_spots.fdr else 'no FDR correction'} at {hot_spots.alpha}; "
              f"Mann–Kendall trend at {hot_spots.trend_alpha}.")
    counts = hot_spots.summary()
    legend_rows = "".join(
        f'<tr><td><span class="swatch" style="background:{COLOURS[c]}"></span> {_esc(c)}</td>'
        f'<td class="n">{int(counts[c]):,}</td></tr>'
        for c in CATEGORIES if counts[c] > 0 or c != "no pattern detected"
    )
    legend = f"<table><thead><tr><th>category</th><th>cells</th></tr></thead><tbody>{legend_rows}</tbody></table>"
    sections = [
        f"<h1>{_esc(heading)}</h1>",
        f'<p class="meta">{_esc(meta)}<br>{_esc(method)}</p>',
        "<h2>Emerging hot spot categories</h2>",
        f'<div class="row"><div>{map_svg(hot_spots, scan)}</div><div>{legend}'
        f"<h2>Entries per {_esc(hot_spots.period)}</h2>{_entries_chart(hot_spots)}</div></div>",
        "<h2>Map with places</h2>" + str(_interactive_map(hot_spots)),
        '<p class="note">Categories follow Esri\'s Emerging Hot Spot Analysis: a cell is hot (cold) in a period when '
        "its space-time Gi* is significantly high (low) after false-discovery control; the category reads the "
        "cell's history of hot and cold periods and the Mann–Kendall trend of its Gi*. Outlined cells with a number "
        "are the space-time clusters below. Hover a cell for its figures.</p>",
    ]
    if scan is not None:
        sections.append("<h2>Prospective space-time permutation scan</h2>")
        sections.append(
            f'<p class="meta">{scan.total:,} entries at {scan.n_locations:,} locations; circles holding up to '
            f"{scan.max_spatial_share:.0%} of the entries; clusters of 1–{scan.max_temporal_length} {scan.period}s "
            f"ending in {scan.periods[-1]}; {scan.permutations} replicates (seed {scan.seed}).</p>")
        if scan.clusters:
            frame = scan.to_frame()[["rank", "n_locations", "start", "end", "observed", "expected", "ratio", "llr",
                                     "p", "recurrence_periods"]]
            frame = frame.rename(columns={"n_locations": "cells", "recurrence_periods": f"recurrence ({scan.period}s)"})
            sections.append(_table(frame, {"rank", "cells", "observed", "expected", "ratio", "llr", "p",
                                           f"recurrence ({scan.period}s)"}))
        else:
            sections.append("<p>No area had more recent entries than expected.</p>")
    patterned = hot_spots.to_frame()
    patterned = patterned[patterned["category"] != "no pattern detected"]
    sections.append(f"<h2>Cells with a pattern ({len(patterned):,})</h2>")
    if len(patterned):
        order = {c: i for i, c in enumerate(CATEGORIES)}
        patterned = patterned.assign(_o=patterned["category"].map(order)).sort_values(["_o", "entries"],
                                                                                     ascending=[True, False])
        shown = patterned[["cell", "category", "entries", "final_entries", "hot_periods", "trend", "final_z"]].head(200)
        near = patterned.head(200)
        shown = shown.assign(place=place_labels(near["lat"].to_numpy(float), near["lon"].to_numpy(float)))
        sections.append(_table(shown, {"entries", "final_entries", "hot_periods", "final_z"}))
    body = "\n".join(sections)
    return render_page("emerging.html.j2", title=heading, style=Markup(_STYLE), body=Markup(body), with_map=True)


def _interactive_map(hot_spots: EmergingHotSpots) -> str:
    frame = hot_spots.to_frame()
    if frame.empty:
        return ""
    colours = [COLOURS.get(c, "#cccccc") for c in frame["category"]]
    lines = [[str(c), f"{int(e)} entries"] for c, e in frame[["category", "entries"]].itertuples(index=False)]
    counts = hot_spots.summary()
    legend = [(c, COLOURS[c]) for c in CATEGORIES if counts[c] > 0]
    return map_html("emerging-map", cells_map_payload(frame["cell"].astype(str).tolist(), colours, lines,
                                                      legend=legend, label="cells (categories)"))


def write_emerging_html(path: str | os.PathLike[str], hot_spots: EmergingHotSpots,
                        scan: SpaceTimeScan | None = None, *, title: str | None = None) -> Path:
    """Write the emerging-clusters page (see :func:`render_emerging_html`) and return its path."""
    target = Path(path)
    target.write_text(render_emerging_html(hot_spots, scan, title=title), encoding="utf-8")
    return target
