"""Gi* hot spots and Bernoulli scan clusters as CSV files and self-contained offline HTML pages (inline SVG maps)."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import h3
import numpy as np
import pandas as pd

from clusterwatch.analysis.space import BernoulliScanResult, HotSpotResult
from clusterwatch.places import place_labels
from clusterwatch.report.csvsafe import write_csv
from clusterwatch.report.mapdata import cells_map_payload, map_html
from clusterwatch.report.render import render_page

#: At most this many rows per HTML table; the CSV files hold every row.
MAX_HTML_ROWS = 2000
#: At most this many H3 cells drawn as hexagons (beyond it, significant cells and a sample of the rest).
MAX_MAP_CELLS = 20_000

_HOT = ("#fee5d9", "#fcae91", "#fb6a4a", "#cb181d")
_COLD = ("#eff3ff", "#bdd7e7", "#6baed6", "#2171b5")



def _html_table(frame: pd.DataFrame, max_rows: int = MAX_HTML_ROWS) -> str:
    """A sortable HTML table of the first ``max_rows`` rows, numbers right-aligned."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for record in frame.head(max_rows).itertuples(index=False):
        cells = []
        for value in record:
            if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
                cells.append("<td></td>")
            elif isinstance(value, bool | np.bool_):
                cells.append(f"<td>{'yes' if value else ''}</td>")
            elif isinstance(value, int | np.integer):
                cells.append(f'<td class="n">{int(value):,}</td>')
            elif isinstance(value, float | np.floating):
                cells.append(f'<td class="n">{float(value):.4g}</td>')
            else:
                cells.append(f"<td>{html.escape(str(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = len(frame) - max_rows
    tail = f'<p class="note">{more:,} more rows in the CSV file.</p>' if more > 0 else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{tail}"


class _Projection:
    """Equirectangular lat/lon (x scaled by cos of the mean latitude), or planar x/y, onto an SVG canvas."""

    def __init__(self, first: np.ndarray, second: np.ndarray, *, planar: bool, width: int = 820,
                 height: int = 560, pad: int = 12) -> None:
        self.planar = planar
        xs, ys = (first, second) if planar else (second, first)
        self.scale_x = 1.0 if planar else math.cos(math.radians(float(np.mean(first)) if len(first) else 0.0))
        x = np.asarray(xs, dtype=float) * self.scale_x
        y = np.asarray(ys, dtype=float)
        self.x0, self.y1 = float(x.min()), float(y.max())
        span = max(float(x.max() - x.min()), float(y.max() - y.min()), 1e-9)
        self.unit = (min(width, height) - 2 * pad) / span
        self.pad = pad
        self.width = int(pad * 2 + (x.max() - x.min()) * self.unit) + 1
        self.height = int(pad * 2 + (y.max() - y.min()) * self.unit) + 1

    def __call__(self, first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        xs, ys = (first, second) if self.planar else (second, first)
        x = (np.asarray(xs, dtype=float) * self.scale_x - self.x0) * self.unit + self.pad
        y = (self.y1 - np.asarray(ys, dtype=float)) * self.unit + self.pad
        return x, y

    def length(self, distance: float) -> float:
        """An on-map length: ``distance`` in the coordinates' unit (km for lat/lon)."""
        return distance * self.unit if self.planar else distance / 111.195 * self.unit


def _svg(projection: _Projection, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{projection.width}" height="{projection.height}" '
            f'viewBox="0 0 {projection.width} {projection.height}">' + "".join(body) + "</svg>")


def _shade(z: float, palette: Sequence[str]) -> str:
    return palette[min(len(palette) - 1, int(abs(z) // 1.5))]


def hotspot_map(result: HotSpotResult) -> str | None:
    """Inline SVG of the cells: hot red, cold blue (darker = larger |z|), not significant light grey."""
    cells = result.cells
    if "cell" not in cells or cells.empty:
        return None
    shown = cells
    if len(cells) > MAX_MAP_CELLS:
        quiet = cells[~cells["significant"]]
        shown = pd.concat([cells[cells["significant"]],
                           quiet.sample(max(0, MAX_MAP_CELLS - int(cells["significant"].sum())), random_state=0)])
    boundaries = [np.array(h3.cell_to_boundary(c)) for c in shown["cell"]]
    everything = np.concatenate(boundaries)
    projection = _Projection(everything[:, 0], everything[:, 1], planar=False)
    body = []
    for boundary, (label, z, count) in zip(boundaries, shown[["hot_spot", "z", "count"]].itertuples(index=False),
                                           strict=True):
        x, y = projection(boundary[:, 0], boundary[:, 1])
        colour = (_shade(z, _HOT) if label == "hot" else _shade(z, _COLD) if label == "cold"
                  else ("#e6e6e6" if count else "#f6f6f6"))
        points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y, strict=True))
        body.append(f'<polygon points="{points}" fill="{colour}" stroke="#ffffff" stroke-width="0.3">'
                    f"<title>{html.escape(str(label))}: z {z:.2f}, count {count}</title></polygon>")
    return _svg(projection, body)


def hotspots_html(result: HotSpotResult, *, title: str, notes: Sequence[str] = ()) -> str:
    """The hot spot page: parameters, map, significant cells."""
    cells = result.cells
    counts = cells["hot_spot"].value_counts()
    summary = (f"{len(cells):,} cells at H3 resolution {result.resolution}, neighbours within {result.k} ring(s), "
               f"study area '{result.area}'; {counts.get('hot', 0):,} hot and {counts.get('cold', 0):,} cold cells "
               f"at false-discovery rate {result.alpha:g} ({result.inference} p-values, {result.alternative}, "
               f"{result.permutations:,} permutations, seed {result.seed}).")
    significant = cells[cells["significant"]].sort_values("z", ascending=False)
    if {"lat", "lon"} <= set(significant.columns):  # H3 cells: their centres' places
        significant = significant.assign(place=place_labels(significant["lat"].to_numpy(float),
                                                            significant["lon"].to_numpy(float)))
    sections = [
        {"title": "Map with places", "note": "Pan, zoom and click a cell; boundaries and place names offline.",
         "svg": _interactive_map(result), "table": None},
        {"title": "Map", "note": "Hot cells red, cold cells blue (darker: larger |z|); grey cells are not "
                                 "significant (lighter grey: no firm of the activity).",
         "svg": hotspot_map(result), "table": None},
        {"title": f"Significant cells ({len(significant):,})", "note": "Sorted by z; every cell is in hotspots.csv.",
         "svg": None, "table": _html_table(significant)},
    ]
    return render_page("hotspots.html.j2", title=title, notes=[summary, *notes], sections=sections, with_map=True)


def _interactive_map(result: HotSpotResult) -> str:
    cells = result.cells
    if "cell" not in cells.columns or cells.empty:
        return ""
    colours = [(_shade(z, _HOT) if label == "hot" else _shade(z, _COLD) if label == "cold"
                else ("#bdbdbd" if count else "#e0e0e0"))
               for label, z, count in cells[["hot_spot", "z", "count"]].itertuples(index=False)]
    lines = [[f"{label}: z {z:.2f}", f"{count} of {firms} firms"]
             for label, z, count, firms in cells[["hot_spot", "z", "count", "firms"]].itertuples(index=False)]
    payload = cells_map_payload(cells["cell"].astype(str).tolist(), colours, lines, label="cells (Gi*)",
                                legend=[("hot", _HOT[-1]), ("cold", _COLD[-1]), ("not significant", "#bdbdbd")])
    return map_html("hotspots-map", payload)


def write_hotspots(result: HotSpotResult, out: Path, *, title: str = "Gi* hot spots",
                   notes: Sequence[str] = ()) -> dict[str, Path]:
    """Write ``hotspots.csv`` (every cell) and ``hotspots.html`` into ``out`` (created if needed)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"cells": out / "hotspots.csv", "html": out / "hotspots.html"}
    write_csv(result.to_frame(), paths["cells"])
    paths["html"].write_text(hotspots_html(result, title=title, notes=notes), encoding="utf-8")
    return paths


def scan_map(result: BernoulliScanResult, *, max_clusters: int = 10) -> str:
    """Inline SVG of the sites (grey; dark red where cases are) and the reported clusters' circles."""
    locations = result.locations
    names = ("lat", "lon") if result.coordinates == "latlon" else ("x", "y")
    first, second = locations[names[0]].to_numpy(), locations[names[1]].to_numpy()
    projection = _Projection(first, second, planar=result.coordinates == "xy")
    x, y = projection(first, second)
    body = []
    has_case = locations["cases"].to_numpy() > 0
    for px, py, case in zip(x, y, has_case, strict=True):
        colour, radius = ("#a50f15", 1.6) if case else ("#bbbbbb", 1.0)
        body.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{radius}" fill="{colour}"/>')
    for row in result.clusters.head(max_clusters).itertuples(index=False):
        cx, cy = projection(np.array([getattr(row, names[0])]), np.array([getattr(row, names[1])]))
        stroke = "#08519c" if row.p_value <= 0.05 else "#999999"
        body.append(f'<circle cx="{cx[0]:.1f}" cy="{cy[0]:.1f}" r="{max(projection.length(row.radius), 2.0):.1f}" '
                    f'fill="none" stroke="{stroke}" stroke-width="1.5"><title>cluster {row.cluster}: '
                    f"LLR {row.llr:.2f}, p {row.p_value:.3g}</title></circle>")
        body.append(f'<text x="{cx[0] + 3:.1f}" y="{cy[0] - 3:.1f}" font-size="11" fill="{stroke}">'
                    f"{row.cluster}</text>")
    return _svg(projection, body)


def scans_html(results: Mapping[str, BernoulliScanResult], *, title: str, notes: Sequence[str] = (),
               summary: pd.DataFrame | None = None) -> str:
    """The Bernoulli scan page (``scan-space``): a summary over activities (when several), then each activity's map
    and clusters."""
    sections = []
    if summary is not None and len(results) > 1:
        sections.append({"title": "Most likely cluster of each activity", "note": "Sorted by LLR.", "svg": None,
                         "table": _html_table(summary)})
    for label, result in results.items():
        unit = "km" if result.coordinates == "latlon" else "coordinate units"
        note = (f"{result.total_cases:,} cases among {result.total_firms:,} firms; windows up to "
                f"{result.max_population:.0%} of the firms" + (f" and {result.max_radius:g} {unit}"
                                                                 if result.max_radius else "")
                + f"; {result.permutations:,} replicates, seed {result.seed}. Circles: blue p ≤ 0.05, grey "
                  f"otherwise; dark red dots are sites with cases. Radius in {unit}.")
        sections.append({"title": label, "note": note, "svg": scan_map(result),
                         "table": _html_table(result.clusters)})
    return render_page("hotspots.html.j2", title=title, notes=list(notes),
                                                                       sections=sections)


def write_scans(results: Mapping[str, BernoulliScanResult], firms: pd.DataFrame, out: Path, *,
                title: str = "Bernoulli spatial scan", notes: Sequence[str] = (),
                summary: pd.DataFrame | None = None) -> dict[str, Path]:
    """Write ``scan_clusters.csv``, ``scan_firms.csv`` (firms inside reported clusters) and ``scan.html``.

    ``firms`` is the frame the scans ran on (for firm ids and names of the cluster members).
    """
    out.mkdir(parents=True, exist_ok=True)
    paths = {"clusters": out / "scan_clusters.csv", "firms": out / "scan_firms.csv", "html": out / "scan.html"}
    clusters, members = [], []
    for label, result in results.items():
        clusters.append(result.to_frame().assign(activity=label, seed=result.seed))
        membership = result.membership
        inside = membership.notna().to_numpy()
        keep = [c for c in ("firm_id", "name", "code", "lat", "lon", "x", "y", "city") if c in firms.columns]
        chosen = firms.loc[inside, keep].copy()
        chosen.insert(0, "activity", label)
        chosen["case"] = result.firm_case[inside].to_numpy()
        chosen["cluster"] = membership[inside].to_numpy()
        members.append(chosen)
    write_csv(pd.concat(clusters, ignore_index=True), paths["clusters"])
    write_csv(pd.concat(members, ignore_index=True), paths["firms"])
    paths["html"].write_text(scans_html(results, title=title, notes=notes, summary=summary), encoding="utf-8")
    return paths
