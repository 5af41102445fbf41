"""``report.html`` of ``clusterwatch scan``: one self-contained offline page (inline SVG, CSS and a little JS)."""

from __future__ import annotations

import html
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clusterwatch.candidates import CandidateResult

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


def _map_svg(candidates: pd.DataFrame, firms: pd.DataFrame, width: int = 760, height: int = 520) -> str:
    lat = firms["lat"].to_numpy(dtype=float)
    lon = firms["lon"].to_numpy(dtype=float)
    ok = np.isfinite(lat) & np.isfinite(lon)
    lat, lon = lat[ok], lon[ok]
    if lat.size == 0:
        return "<p>No located firms.</p>"
    lo_lat, hi_lat = np.quantile(lat, [0.005, 0.995])
    lo_lon, hi_lon = np.quantile(lon, [0.005, 0.995])
    k = math.cos(math.radians((lo_lat + hi_lat) / 2))
    span_x = max((hi_lon - lo_lon) * k, 1e-3)
    span_y = max(hi_lat - lo_lat, 1e-3)
    scale = 0.92 * min(width / span_x, height / span_y)
    cx, cy = (lo_lon + hi_lon) / 2, (lo_lat + hi_lat) / 2

    def xy(la: np.ndarray | float, lo: np.ndarray | float) -> tuple[Any, Any]:
        return width / 2 + (np.asarray(lo) - cx) * k * scale, height / 2 - (np.asarray(la) - cy) * scale

    step = max(1, lat.size // 6000)  # at most ~6,000 dots keep the page light
    fx, fy = xy(lat[::step], lon[::step])
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="1.3"/>' for x, y in zip(fx, fy, strict=True)
                   if -5 <= x <= width + 5 and -5 <= y <= height + 5)
    circles = []
    for row in candidates.iloc[::-1].to_dict("records"):
        x, y = xy(row["lat"], row["lon"])
        r = max(3.0, row["radius_km"] / _KM_PER_DEG * scale)
        colour = STATUS_COLOURS.get(row["status"], "#333")
        circles.append(
            f'<a href="#{_esc(row["candidate_id"])}"><circle class="cand" data-status="{_esc(row["status"])}" '
            f'cx="{float(x):.1f}" cy="{float(y):.1f}" r="{r:.1f}" fill="{colour}" fill-opacity="0.25" '
            f'stroke="{colour}" stroke-width="2"><title>{_esc(row["candidate_id"])} {_esc(row["label"])} '
            f'({_esc(row["status"])}, {int(row["n_firms"])} firms)</title></circle>'
            f'<text x="{float(x):.1f}" y="{float(y) - r - 2:.1f}" font-size="10" text-anchor="middle">'
            f'{_esc(row["candidate_id"])}</text></a>')
    legend = "".join(
        f'<rect x="10" y="{10 + 16 * i}" width="10" height="10" fill="{c}"/>'
        f'<text x="25" y="{19 + 16 * i}" font-size="11">{s}</text>' for i, (s, c) in enumerate(STATUS_COLOURS.items()))
    return (f'<svg id="map" viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" '
            f'xmlns="http://www.w3.org/2000/svg" role="img" aria-label="map of candidates">'
            f'<rect width="{width}" height="{height}" fill="#f7f7f4"/><g fill="#999" fill-opacity="0.6">{dots}</g>'
            f'{"".join(circles)}{legend}</svg>')


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
                  ("activity_source", "source"), ("n_pieces", "pieces"), ("n_firms", "firms"),
                  ("recent_share", "young"), ("base_recent_share", "young in register"), ("sme_share", "SME"),
                  ("q_value", "q"), ("relative_risk", "RR"), ("trend", "entries share"),
                  ("ehsa_category", "hot spot"), ("radius_km", "radius km"), ("unclassified", "unclassified")]

def base_known(p: dict[str, Any]) -> bool:
    """Whether the run judged ages (its base rates say so)."""
    return bool(p.get("base_rates", {}).get("ages_known"))


def _methods(p: dict[str, Any]) -> str:
    """The methods in plain language, with the numbers this run used."""
    radius = "of any radius" if p.get("max_radius_km") is None else f"at most {p['max_radius_km']:g} km in radius"
    from clusterwatch.candidates.status import SCORE_WEIGHTS

    weights = " + ".join(f"{w:.2f} × {name}" for name, w in SCORE_WEIGHTS.items())
    young_act = (f", and the young firms themselves, founded within {p['recent_years']} years, whatever their codes"
                 if p.get("entries", True) and base_known(p) else "")
    young_note = (f" Where firm ages are known, the young firms (founded within {p['recent_years']} years) are tested "
                  "as one more activity: a new cluster whose firms carry many codes shows only there."
                  if young_act else "")
    screen = (f"Every activity is first tested with {p['screen_permutations']} shuffles; those reaching p ≤ "
              f"{p['screen_alpha']:g} are tested again with {p['permutations']}. "
              if p.get("screen_permutations") else "")
    base = p.get("base_rates", {})
    ages = ("Firm ages are judged against the register: " + (
        f"{base.get('young_share', 0) or 0:.0%} of its dated firms are young."
        if base.get("ages_known") else f"here they are unknown — {_esc(base.get('age_reason', ''))}."))
    return f"""
<p><b>What is an activity?</b> Firms doing the same kind of work: each official industry code at a few levels of
detail (for NAICS: 2, 3 and 4 digits, and the US Cluster Mapping benchmark clusters) and, where firms have texts
(descriptions, award abstracts), groups of firms whose texts use the same words, boilerplate removed. An activity
needs at least {p['min_firms']} firms to be tested.{young_note}</p>
<p><b>Is it concentrated somewhere?</b> For each activity, the Bernoulli spatial scan (Kulldorff 1997, as in
SaTScan) looks at every circle around every firm location — {radius} and holding at most
{p['max_population']:.0%} of all firms — and finds the circles where the activity's share of firms is most above
its share elsewhere (up to {p['max_clusters']} per activity). Shuffling which firms belong to the activity shows how
strong such a circle would be by chance. {screen}Because many activities and circles are tested, the p-values are
adjusted together (Benjamini–Hochberg, activities as families): a circle counts only at q ≤ {p['alpha']:g}. Where
a circle beats every shuffle, its p-value comes from a Gumbel fit to the shuffles (Abrams, Kleinman &amp;
Kulldorff 2010).</p>
<p><b>One cluster, one candidate.</b> The significant circles of different activities (a code at several levels,
a benchmark cluster, a text group{young_act}) that share at least {p['merge_overlap']:.0%} of the smaller one's
firms are merged into one candidate; so are circles of at most {p.get('site_km', 2.0):g} km (sites) that hold
{p['merge_overlap']:.0%} of the smaller one's firms in common, or touch and belong to the same activity. Wider
circles are never merged by area alone. A broad circle holding a narrower one (a sector around a site of one code)
is listed as its context, its other firms not added; its pieces are listed on its card.</p>
<p><b>Is it new and growing — more than the register?</b> {ages} A candidate is <i>young</i> when it has
significantly more young firms (founded within {p['recent_years']} years of {_esc(p['as_of'])}) than the register
(exact binomial test), and <i>rising</i> when its share of the register's yearly entries rises over the last
{p['trend_periods']} years (Cochran–Armitage test) — a register-wide boom does not make it rising. These tests are
adjusted across candidates (Benjamini–Hochberg, q ≤ {p['status_alpha']:g}).</p>
<p><b>Status</b> — spawning: young and rising, and not fewer small firms than the register; emerging: young or
rising; declining: its share of entries falls; established: concentrated, with ages like the register's;
concentrated: ages unknown (too few or too narrowly dated firms). <b>Score</b> (0–100) = 100 × ({weights});
see the README for the exact terms.</p>
<p><b>Flags</b> — unclassified: the text analysis finds that official codes do not capture the activity; anchor
share: the largest firm's share of the candidate's employment (near 1: one anchor firm carries it); SME share:
share of small and medium firms. The Kd curve (Duranton &amp; Overman 2005), where shown, is the density of
distances between the candidate's activities' firms (red) against the band that random placement over all firm
sites gives (grey): above the band means localised at that distance.</p>
<p><b>Limits</b> — firms are counted, not weighted by size; circles only (elongated clusters show as several);
founding dates are what the source calls founding (for SBIR: first award); a candidate is a lead for a
conversation with the firms, not a proof.</p>
"""


def render_scan_html(found: CandidateResult, firms: pd.DataFrame, *, sources: pd.DataFrame | None = None,
                     rejected: pd.DataFrame | None = None, versions: dict[str, str] | None = None) -> str:
    """The report as one HTML string (see :func:`write_scan_html`)."""
    cand = found.candidates
    head = "".join(f"<th onclick=\"sortBy({i})\">{_esc(t)}</th>" for i, (_, t) in enumerate(_TABLE_COLUMNS))
    body = []
    for row in cand.to_dict("records"):
        cells = []
        for key, _ in _TABLE_COLUMNS:
            value = row[key]
            if key in ("recent_share", "sme_share"):
                text = _fmt(value, ".0%")
            elif key in ("score", "relative_risk", "radius_km"):
                text = _fmt(value, ".1f")
            elif key == "q_value":
                text = _fmt(value, ".3f")
            elif key == "candidate_id":
                text = f'<a href="#{_esc(value)}">{_esc(value)}</a>'
            else:
                text = _esc(value)
            cells.append(f"<td>{text}</td>")
        body.append(f'<tr data-status="{_esc(row["status"])}">{"".join(cells)}</tr>')
    cards = [_card(row, found) for row in cand.to_dict("records")]
    p = found.parameters
    params = "".join(f"<tr><td>{_esc(k)}</td><td>{_esc(v)}</td></tr>" for k, v in p.items())
    vers = "".join(f"<tr><td>{_esc(k)}</td><td>{_esc(v)}</td></tr>" for k, v in (versions or {}).items())
    src = _frame_html(sources, ["dataset", "format", "rows_read", "accepted", "rejected", "firms", "activities"])
    rej = _frame_html(rejected, ["dataset", "reason", "rows"])
    status_counts = cand["status"].value_counts().to_dict() if len(cand) else {}
    summary = ", ".join(f"{n} {s}" for s, n in status_counts.items()) or "none"
    options = "".join(f'<option value="{s}">{s}</option>' for s in STATUS_COLOURS)
    notes = "".join(f'<p class="muted">Note: {_esc(n)}</p>' for n in found.notes)
    if len(found.failures):
        notes += (f'<p class="muted">{len(found.failures)} pieces of supporting evidence could not be computed '
                  f'(see the Data section).</p>')
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>clusterwatch scan — cluster candidates</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1100px;color:#222;padding:0 1em}}
table{{border-collapse:collapse;font-size:13px}} td,th{{border-bottom:1px solid #ddd;padding:3px 6px;text-align:left}}
th{{cursor:pointer;background:#f0f0f0}} .card{{border:1px solid #ccc;border-radius:6px;padding:10px;margin:12px 0}}
.badge{{color:#fff;border-radius:4px;padding:1px 6px;font-size:12px}} .row{{display:flex;gap:24px;flex-wrap:wrap}}
.ex{{font-size:12px;color:#444}} .muted{{color:#666;font-size:13px}}
</style></head><body>
<h1>Cluster candidates</h1>
<p class="muted">{p['n_firms']:,} firms as of {_esc(p['as_of'])}; {p['n_activities']} activities tested
(text activities: {_esc(found.text_method)}); {p['n_clusters_tested']} clusters tested;
{len(cand)} candidates at q ≤ {p['alpha']} ({_esc(summary)}). Seed {found.seed}.</p>
{notes}
<h2>Map</h2>{_map_svg(cand, firms)}
<h2>Ranked candidates</h2>
<p>Filter: <input id="q" placeholder="text…" oninput="filt()"> <select id="st" onchange="filt()">
<option value="">all statuses</option>{options}</select></p>
<table id="cands"><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>
<h2>Candidates</h2>{''.join(cards) or '<p>No activity is significantly concentrated anywhere at this level.</p>'}
<h2>Data</h2><h3>Sources</h3>{src}<h3>Rejected rows, by reason</h3>{rej}
<h3>Evidence that could not be computed</h3>{_frame_html(found.failures, ["stage", "subject", "error"])}
<h3>Parameters</h3><table>{params}</table><h3>Versions</h3><table>{vers}</table>
<h2>Methods, in plain language</h2>{_methods(p)}
<script>
function filt(){{var q=document.getElementById('q').value.toLowerCase(),s=document.getElementById('st').value;
document.querySelectorAll('#cands tbody tr').forEach(function(r){{var ok=(!s||r.dataset.status===s)&&
r.textContent.toLowerCase().indexOf(q)>=0;r.style.display=ok?'':'none';}});}}
var dir=1;function sortBy(i){{var b=document.querySelector('#cands tbody'),rows=Array.from(b.rows);dir=-dir;
rows.sort(function(a,c){{var x=a.cells[i].textContent,y=c.cells[i].textContent,nx=parseFloat(x),ny=parseFloat(y);
if(!isNaN(nx)&&!isNaN(ny))return dir*(nx-ny);return dir*x.localeCompare(y);}});
rows.forEach(function(r){{b.appendChild(r);}});}}
</script></body></html>
"""


def _frame_html(frame: pd.DataFrame | None, columns: list[str]) -> str:
    if frame is None or frame.empty:
        return "<p>None.</p>"
    cols = [c for c in columns if c in frame.columns]
    rows = "".join("<tr>" + "".join(f"<td>{_esc(v)}</td>" for v in r) + "</tr>"
                   for r in frame[cols].itertuples(index=False))
    return f"<table><tr>{''.join(f'<th>{_esc(c)}</th>' for c in cols)}</tr>{rows}</table>"


def _card(row: dict[str, Any], found: CandidateResult) -> str:
    cid = row["candidate_id"]
    colour = STATUS_COLOURS.get(row["status"], "#333")
    examples = found.examples[found.examples["candidate_id"] == cid]
    ex = "".join(f"<li><b>{_esc(e.name)}</b> <span class='ex'>{_esc(e.text[:220])}</span></li>"
                 for e in examples.itertuples(index=False))
    entries = found.entries[found.entries["candidate_id"] == cid]
    curve = found.kd_curves.get(cid)
    pieces = found.pieces[found.pieces["candidate_id"] == cid]
    piece_list = "".join(f"<li>{_esc(x.activity_id)} — {_esc(x.label)}: {int(x.n_firms)} firms, "
                         f"q {_fmt(x.q_value, '.2g')}</li>" for x in pieces.itertuples(index=False))
    kd_html = (f"<div><b>Kd</b> (activity's firms vs envelope)<br>{_kd_svg(curve)}</div>"
               if curve is not None else "")
    flags = []
    if row["unclassified"] is True:
        flags.append("unclassified: codes miss it")
    if isinstance(row["anchor_share"], float) and row["anchor_share"] > 0.5:
        flags.append(f"anchor-dependent ({row['anchor_share']:.0%} of employment in one firm)")
    return f"""<div class="card" id="{_esc(cid)}">
<h3>{_esc(cid)} <span class="badge" style="background:{colour}">{_esc(row['status'])}</span> {_esc(row['label'])}
<span class="muted">score {_fmt(row['score'], '.1f')}</span></h3>
<p class="muted">{_esc(row['activity'])} ({_esc(row['activity_source'])}) — keywords: {_esc(row['keywords'])}</p>
<div class="row"><div><table>
<tr><td>firms</td><td>{int(row['n_firms'])} of {int(row['n_area'])} in its circles
(expected {_fmt(row['expected'], '.1f')})</td></tr>
<tr><td>relative risk</td><td>{_fmt(row['relative_risk'], '.1f')}</td></tr>
<tr><td>p / q</td><td>{_fmt(row['p_value'], '.3f')} / {_fmt(row['q_value'], '.3f')}</td></tr>
<tr><td>centre, radius</td><td>{_fmt(row['lat'], '.4f')}, {_fmt(row['lon'], '.4f')};
{_fmt(row['radius_km'], '.1f')} km</td></tr>
<tr><td>young firms</td><td>{_esc(row['age_evidence'])} (q {_fmt(row['young_q'], '.3f')}),
first entry {_esc(row['first_period'])}</td></tr>
<tr><td>SME share</td><td>{_fmt(row['sme_share'], '.0%')} (register {_fmt(row['base_sme_share'], '.0%')})</td></tr>
<tr><td>location quotient</td><td>{_fmt(row['location_quotient'], '.1f')}</td></tr>
<tr><td>share of the register's entries</td><td>{_esc(row['trend']) or 'unknown'}
(z {_fmt(row['trend_z'], '.2f')}, q rising {_fmt(row['rising_q'], '.3f')});
hot spot: {_esc(row['ehsa_category']) or '—'}</td></tr>
<tr><td>code coverage</td><td>{_fmt(row['code_coverage'], '.0%')} {_esc(row['top_codes'])}</td></tr>
<tr><td>flags</td><td>{_esc('; '.join(flags)) or '—'}</td></tr></table></div>
<div><b>Entries per year</b><br>{_bars(entries)}</div>{kd_html}</div>
<p><b>Pieces merged into it</b></p><ul>{piece_list}</ul>
<p><b>Example firms</b></p><ul>{ex}</ul></div>"""


def write_scan_html(path: str | os.PathLike[str], found: CandidateResult, firms: pd.DataFrame, *,
                    sources: pd.DataFrame | None = None, rejected: pd.DataFrame | None = None,
                    versions: dict[str, str] | None = None) -> Path:
    """Write ``report.html``: map, ranked filterable table, a card per candidate, data and methods sections.

    One file with inline SVG, CSS and JavaScript; it needs no network.

    Returns
    -------
    pathlib.Path
        The page written.
    """
    target = Path(path)
    target.write_text(render_scan_html(found, firms, sources=sources, rejected=rejected, versions=versions),
                      encoding="utf-8")
    return target
