"""The regional analysis as CSV files and one self-contained offline HTML page (tables and an inline SVG map)."""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np
import pandas as pd

from clusterwatch.analysis.regional import FLAGS, EntryExit, RegionalAnalysis
from clusterwatch.report.csvsafe import write_csv
from clusterwatch.report.mapdata import map_html, regions_map_payload
from clusterwatch.report.render import render_page

#: At most this many rows per HTML table; the CSV files hold every row.
MAX_HTML_ROWS = 3000

_PALETTE = ("#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d")



def _cell(value: object) -> str:
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):  # type: ignore[call-overload]
        return "<td></td>"
    if isinstance(value, bool | np.bool_):
        return '<td class="flag">yes</td>' if value else "<td></td>"
    if isinstance(value, int | np.integer):
        return f'<td class="n" data-v="{int(value)}">{int(value):,}</td>'
    if isinstance(value, float | np.floating):
        number = float(value)
        shown = f"{number:,.0f}" if abs(number) >= 100 else f"{number:,.2f}" if abs(number) >= 1 else f"{number:.3f}"
        return f'<td class="n" data-v="{number!r}">{shown}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def html_table(frame: pd.DataFrame, *, max_rows: int = MAX_HTML_ROWS) -> str:
    """A plain HTML table of ``frame`` (at most ``max_rows`` rows), numbers right-aligned and sortable."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for record in frame.head(max_rows).itertuples(index=False):
        rows.append("<tr>" + "".join(_cell(v) for v in record) + "</tr>")
    more = (f'<p class="note">{max_rows:,} of {len(frame):,} rows shown; the CSV file has all.</p>'
            if len(frame) > max_rows else "")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"


def _project(lat: np.ndarray, lon: np.ndarray, width: float, height: float, pad: float,
             bounds: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    south, west, north, east = bounds
    k = math.cos(math.radians((south + north) / 2))
    span_x = max((east - west) * k, 1e-9)
    span_y = max(north - south, 1e-9)
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
    x = pad + (lon - west) * k * scale
    y = height - pad - (lat - south) * scale
    return x, y


def _bounds(lat: np.ndarray, lon: np.ndarray) -> tuple[float, float, float, float]:
    """South, west, north, east of the points; the central 98 % (plus a margin) when a few lie far outside."""
    full = (float(lat.min()), float(lon.min()), float(lat.max()), float(lon.max()))
    if len(lat) < 50:
        return full
    south, north = (float(v) for v in np.quantile(lat, [0.01, 0.99]))
    west, east = (float(v) for v in np.quantile(lon, [0.01, 0.99]))
    if (full[2] - full[0]) <= 2 * (north - south) + 1e-9 and (full[3] - full[1]) <= 2 * (east - west) + 1e-9:
        return full
    margin_lat, margin_lon = 0.1 * (north - south), 0.1 * (east - west)
    return south - margin_lat, west - margin_lon, north + margin_lat, east + margin_lon


def map_svg(analysis: RegionalAnalysis, *, width: int = 820, height: int = 560) -> str | None:
    """An inline SVG map of the regions coloured by their number of strong clusters, or ``None`` without points.

    H3 regions are drawn as their hexagons; other regions as circles at their point (the mean of their firms'
    coordinates), sized by the measure's total. Each shape's tooltip names the region's strongest clusters. When
    a few regions lie far from the rest, the view is fitted to the central 98 % so that they do not shrink it.
    """
    regions = analysis.table.regions.dropna(subset=["lat", "lon"])
    if regions.empty:
        return None
    strong = analysis.flags.cells.assign(strong=analysis.flags.cells["strong"].fillna(False).astype(bool))
    strong_count = strong.groupby("region", observed=True)["strong"].sum()
    totals = analysis.specialisation.regions.set_index("region")["total"]
    top = analysis.strongest(3)
    names = top.groupby("region", observed=True)["name"].agg(lambda s: "; ".join(map(str, s)))
    lat = regions["lat"].to_numpy(dtype=float)
    lon = regions["lon"].to_numpy(dtype=float)
    bounds = _bounds(lat, lon)
    pad = 20.0
    x, y = _project(lat, lon, width, height, pad, bounds)
    counts = regions["region"].map(strong_count).fillna(0).to_numpy(dtype=int)
    colour = [_PALETTE[min(c, len(_PALETTE) - 1)] for c in counts]
    shapes = []
    is_h3 = bool(regions["h3"].all())
    if is_h3:
        import h3

        for i, region in enumerate(regions["region"]):
            ring = np.array(h3.cell_to_boundary(str(region)))
            px, py = _project(ring[:, 0], ring[:, 1], width, height, pad, bounds)
            points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py, strict=True))
            shapes.append((points, i))
    total_values = regions["region"].map(totals).fillna(0).to_numpy(dtype=float)
    biggest = max(float(total_values.max()), 1.0)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img">']
    for i, region in enumerate(regions["region"]):
        label = (f"{region}: {total_values[i]:,.0f} {analysis.measure}; strong clusters: {counts[i]}"
                 + (f"; strongest: {names[region]}" if region in names.index else ""))
        tip = f"<title>{html.escape(label)}</title>"
        if is_h3:
            points = shapes[i][0]
            out.append(f'<polygon points="{points}" fill="{colour[i]}" stroke="#666" stroke-width="0.5">{tip}'
                       "</polygon>")
        else:
            radius = 2.0 + 14.0 * math.sqrt(total_values[i] / biggest)
            out.append(f'<circle cx="{x[i]:.1f}" cy="{y[i]:.1f}" r="{radius:.1f}" fill="{colour[i]}" '
                       f'fill-opacity="0.85" stroke="#333" stroke-width="0.5">{tip}</circle>')
    for j, fill in enumerate(_PALETTE):
        text = f"{j}+" if j == len(_PALETTE) - 1 else str(j)
        out.append(f'<rect x="{pad + 40 * j:.0f}" y="{height - 16}" width="12" height="12" fill="{fill}" '
                   f'stroke="#666" stroke-width="0.5"/><text x="{pad + 40 * j + 15:.0f}" y="{height - 6}" '
                   f'font-size="11">{text}</text>')
    out.append("</svg>")
    return "".join(out)


def _strongest_table(analysis: RegionalAnalysis, top: int) -> pd.DataFrame:
    lq = f"lq_cm_{analysis.measure}" if analysis.table.has_traded else f"lq_{analysis.measure}"
    frame = analysis.strongest(top)
    columns = ["region", "rank", "score", "industry", "name", "employment", "establishments", lq, *FLAGS, "stars"]
    return frame[columns]


def regions_html(analysis: RegionalAnalysis, *, top: int = 3, entry: EntryExit | None = None,
                 title: str | None = None) -> str:
    """The page as a string: provenance, parameters, map, strongest clusters, specialisation, thresholds."""
    table = analysis.table
    p = table.provenance
    stars = analysis.stars
    flags = analysis.flags
    notes = [
        f"Measure: {analysis.measure}; location quotients against "
        + ("the external reference totals." if table.reference is not None else "the sum over these regions."),
        f"US Cluster Mapping flags on {flags.industries} industries, {flags.lq_variant.replace('_', ' ')} LQ; "
        "quantiles over the regions of this table with positive employment (qualifying: LQ > Q25; significant: "
        "LQ > median; strong: LQ >= Q75 and LQ >= 1; strong10: LQ >= Q90 and LQ >= 1; all with employment and "
        "establishments above their Q25).",
        f"European Cluster Observatory stars: size = top {stars.size_top:.0%} of the category's regions; "
        f"specialisation = LQ >= {stars.specialisation_min:g}; focus = top {stars.focus_top:.0%} of shares of "
        f"the region's total ({'pooled over all clusters' if stars.focus_scope == 'all' else 'per category'}).",
    ]
    if p.dropped:
        notes.append("Rows left out: " + "; ".join(f"{k}: {v:,}" for k, v in p.dropped.items()) + ".")
    if p.input == "firms":
        notes.append(f"Employment known for {p.employment_coverage:.1%} of the firms used; each firm counts as one "
                     "establishment.")
    sections = [
        {"title": f"Strongest clusters per region (top {top})",
         "note": "Candidates qualify by the US Cluster Mapping rules (local clusters: earn a star); score = US "
                 "Cluster Mapping flags earned (0-4) + stars (0-3); ties broken by LQ.",
         "table": html_table(_strongest_table(analysis, top))},
        {"title": "Regional specialisation",
         "note": "Krugman index (0-2) and Hoover coefficient of specialisation (0-1) against the benchmark.",
         "table": html_table(analysis.specialisation.regions.sort_values("krugman", ascending=False))},
        {"title": "Flag thresholds per industry",
         "note": "Quantiles over the regions where the industry has positive employment.",
         "table": html_table(flags.thresholds.merge(table.industries, on="industry", how="left")
                             .merge(analysis.specialisation.industries[["industry", "hoover_localisation"]],
                                    on="industry", how="left"))},
    ]
    if entry is not None:
        presence = f"LQ >= {entry.threshold:g}" if entry.basis == "specialisation" else "any activity"
        sections.append({
            "title": f"Entry and exit, {entry.before.as_of} to {entry.after.as_of}",
            "note": f"Present = {presence}; density = relatedness density at the first date.",
            "table": html_table(entry.summary),
        })
    svg = map_svg(analysis)
    interactive = _interactive_map(analysis)
    caption = ("Colour: number of strong clusters (US Cluster Mapping) per region; "
               + ("H3 cells." if bool(table.regions["h3"].all()) else "circle area: the region's total "
                  f"{analysis.measure}, placed at the mean of its firms' coordinates."))
    return render_page("regions.html.j2",
        title=title or f"Regional clusters: {p.source}", provenance=p.describe(), notes=notes, map_svg=svg,
        map_caption=caption, sections=sections, interactive_map=interactive, with_map=bool(interactive))


def _interactive_map(analysis: RegionalAnalysis) -> str:
    """The regions on the interactive map, coloured as on the SVG map, with their strongest clusters on click."""
    regions = analysis.table.regions.dropna(subset=["lat", "lon"])
    if regions.empty:
        return ""
    strong = analysis.flags.cells.assign(strong=analysis.flags.cells["strong"].fillna(False).astype(bool))
    strong_count = strong.groupby("region", observed=True)["strong"].sum()
    totals = analysis.specialisation.regions.set_index("region")["total"]
    names = analysis.strongest(3).groupby("region", observed=True)["name"].agg(lambda s: "; ".join(map(str, s)))
    ids = regions["region"].astype(str).tolist()
    counts = regions["region"].map(strong_count).fillna(0).to_numpy(dtype=int)
    colours = [_PALETTE[min(c, len(_PALETTE) - 1)] for c in counts]
    sizes = regions["region"].map(totals).fillna(0).to_numpy(dtype=float)
    lines = [[f"{region}: {size:,.0f} {analysis.measure}", f"strong clusters: {count}",
              f"strongest: {names[region]}" if region in names.index else ""]
             for region, size, count in zip(ids, sizes, counts, strict=True)]
    legend = [(f"{j}+" if j == len(_PALETTE) - 1 else str(j), fill) for j, fill in enumerate(_PALETTE)]
    payload = regions_map_payload(ids, regions["lat"].to_numpy(float), regions["lon"].to_numpy(float), colours,
                                  lines, sizes, h3_cells=bool(regions["h3"].all()), legend=legend)
    return map_html("regions-map", payload, "Strong clusters per region; click a region for its strongest.")


def write_regions(analysis: RegionalAnalysis, out: Path, *, top: int = 3, entry: EntryExit | None = None,
                  title: str | None = None) -> dict[str, Path]:
    """Write the CSV files and ``regions.html`` into ``out`` (created if needed); returns the paths by name."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "regions": out / "regions.csv",
        "strongest": out / "strongest.csv",
        "specialisation": out / "specialisation.csv",
        "industries": out / "industries.csv",
        "proximity": out / "proximity.csv",
    }
    write_csv(analysis.to_frame(), paths["regions"])
    write_csv(analysis.strongest(top), paths["strongest"])
    write_csv(analysis.specialisation.regions, paths["specialisation"])
    industries = (analysis.table.industries
                  .merge(analysis.specialisation.industries, on="industry", how="left")
                  .merge(analysis.flags.thresholds, on="industry", how="left"))
    write_csv(industries, paths["industries"])
    write_csv(analysis.relatedness.proximity, paths["proximity"], index=True, index_label="industry")
    if entry is not None:
        paths["entry_exit"] = out / "entry_exit.csv"
        write_csv(entry.to_frame(), paths["entry_exit"])
    paths["html"] = out / "regions.html"
    paths["html"].write_text(regions_html(analysis, top=top, entry=entry, title=title), encoding="utf-8")
    return paths
