"""The facilitator's offline report: one self-contained HTML page and a CSV file of every table.

The page needs no network access and no script: the network map of each wave is an inline SVG (one seeded
spring layout over all waves, so members keep their place), members coloured by kind and sized by value (a dashed
ring where the value is suppressed); trends are inline SVG lines; the alerts carry their evidence; suppressed
cells read "suppressed" with the reason listed below. Nothing dyad-level is written: no tie list with trust, and
rejected rows without their raw content (which may quote a rating).
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import numpy as np
import pandas as pd

from clusterwatch.errors import InputError
from clusterwatch.pulse.change import WaveChange, compare_waves
from clusterwatch.pulse.measures import WaveMeasures, wave_matrices, wave_measures
from clusterwatch.pulse.model import PulseData
from clusterwatch.pulse.privacy import check_k
from clusterwatch.pulse.warnings import EarlyWarnings, early_warnings
from clusterwatch.report.csvsafe import write_csv

KIND_COLOURS = {"firm": "#1f77b4", "university": "#d62728", "research": "#ff7f0e", "public": "#2ca02c",
                "other": "#9467bd"}
#: Measures drawn as trends (when at least two waves have them).
TRENDS: tuple[str, ...] = ("response_rate", "density", "reciprocity", "transitivity", "degree_centralisation",
                           "fragmentation", "broker_dependence", "core_share", "trust", "value", "satisfaction")
SUPPRESSED = "suppressed"

_CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.85em}td,th{border:1px solid #ccc;padding:2px 6px;
text-align:right}th{background:#f3f3f3}td.t{text-align:left}.sup{color:#999;font-style:italic}
.maps{display:flex;flex-wrap:wrap;gap:1em}.maps figure{margin:0}.trends{display:flex;flex-wrap:wrap;gap:1em}
.alert{background:#fff4e5}.note{color:#555;font-size:.9em}"""


def layout(data: PulseData, *, seed: int = 0) -> dict[str, tuple[float, float]]:
    """Positions in [0, 1]² of every member, from one spring layout of the ties of all waves together."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(data.members["member_id"].astype(str))
    for w in data.wave_ids:
        m = wave_matrices(data, w)
        i, j = np.nonzero(np.triu(m.union, 1))
        g.add_edges_from(zip(m.ids[i], m.ids[j], strict=True))
    # members never tied in any wave go on a row at the bottom, so that they do not squash the drawing
    lonely = sorted(str(v) for v in g.nodes if g.degree(v) == 0)
    g.remove_nodes_from(lonely)
    out: dict[str, tuple[float, float]] = {}
    if len(g):
        pos = nx.spring_layout(g, seed=seed)
        xy = np.array(list(pos.values()), dtype=float)
        lo, span = xy.min(axis=0), np.ptp(xy, axis=0)
        span[span == 0] = 1
        height = 0.9 if lonely else 1.0
        for key, v in pos.items():
            x, y = (np.asarray(v, dtype=float) - lo) / span
            out[str(key)] = (float(x), float(y) * height)
    for rank, name in enumerate(lonely):
        out[name] = ((rank + 0.5) / len(lonely), 1.0)
    return out


def network_svg(data: PulseData, wm: WaveMeasures, pos: dict[str, tuple[float, float]], size: int = 360) -> str:
    """The wave's union ties as an SVG map: colour = kind, radius = value (dashed ring where suppressed)."""
    m = wave_matrices(data, wm.wave)
    pad = 14
    scale = size - 2 * pad

    def xy(member: str) -> tuple[float, float]:
        x, y = pos.get(member, (0.5, 0.5))
        return pad + x * scale, pad + y * scale

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" role="img" '
             f'aria-label="network of wave {html.escape(wm.wave)}">']
    i, j = np.nonzero(np.triu(m.union, 1))
    for a, b in zip(m.ids[i], m.ids[j], strict=True):
        (x1, y1), (x2, y2) = xy(a), xy(b)
        parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#999" '
                     'stroke-opacity=".5"/>')
    for row in wm.members.itertuples(index=False):
        x, y = xy(str(row.member_id))
        value = float(row.value) if pd.notna(row.value) else float("nan")
        r = 3 + 2.5 * (value - 1) if np.isfinite(value) else 4.5
        colour = KIND_COLOURS.get(str(row.kind), "#aaa")
        dashed = ' stroke="#333" stroke-dasharray="2,1.5" fill-opacity=".35"' if row.value_suppressed else \
            ' stroke="#fff"'
        title = f"{row.member_id} ({row.kind})" + (": value suppressed (fewer than k raters)"
                                                   if row.value_suppressed else "")
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{colour}"{dashed}>'
                     f"<title>{html.escape(title)}</title></circle>")
    parts.append("</svg>")
    return "".join(parts)


def trend_svg(waves: list[str], values: list[float], name: str, width: int = 220, height: int = 100) -> str:
    """A small line chart of one measure over the waves, its points labelled."""
    vals = np.array(values, dtype=float)
    ok = np.isfinite(vals)
    if ok.sum() < 2:
        return ""
    lo, hi = float(np.nanmin(vals)), float(np.nanmax(vals))
    if hi == lo:
        lo, hi = lo - 0.5, hi + 0.5
    xs = np.linspace(20, width - 20, len(vals))
    ys = height - 20 - (vals - lo) / (hi - lo) * (height - 50)
    pts = " ".join(f"{x:.1f},{y:.1f}" for x, y, good in zip(xs, ys, ok, strict=True) if good)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
           f'aria-label="{html.escape(name)}"><text x="4" y="12" font-size="11">{html.escape(name)}</text>'
           f'<polyline points="{pts}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>']
    for x, y, v, w, good in zip(xs, ys, vals, waves, ok, strict=True):
        if good:
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#1f77b4"/><text x="{x:.1f}" '
                       f'y="{y - 5:.1f}" font-size="9" text-anchor="middle">{v:.2f}</text>')
        out.append(f'<text x="{x:.1f}" y="{height - 4}" font-size="9" text-anchor="middle">{html.escape(w)}</text>')
    out.append("</svg>")
    return "".join(out)


def _cell(value: object, suppressed: bool = False) -> str:
    if suppressed:
        return f'<td class="sup" title="fewer than k raters">{SUPPRESSED}</td>'
    if isinstance(value, bool | np.bool_):
        return f"<td>{'yes' if value else ''}</td>"
    if isinstance(value, int | np.integer):
        return f"<td>{int(value)}</td>"
    if isinstance(value, float | np.floating):
        return "<td></td>" if not np.isfinite(value) else f"<td>{float(value):.3g}</td>"
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "<td></td>"
    return f'<td class="t">{html.escape(str(value))}</td>'


def html_table(frame: pd.DataFrame, *, flags: dict[str, str] | None = None, max_rows: int = 300) -> str:
    """A frame as an HTML table; ``flags`` maps a column to the boolean column that marks it suppressed."""
    flags = flags or {}
    shown = [c for c in frame.columns if c not in flags.values()]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown)
    rows = []
    for rec in frame.head(max_rows).to_dict("records"):
        rows.append("<tr>" + "".join(_cell(rec[c], bool(rec.get(flags[c], False)) if c in flags else False)
                                     for c in shown) + "</tr>")
    more = f'<p class="note">{len(frame) - max_rows:,} more rows in the CSV file.</p>' if len(frame) > max_rows else ""
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>{more}"


def pulse_tables(data: PulseData, *, k: int = 3, rng: int = 0, replicates: int = 499
                 ) -> tuple[dict[str, pd.DataFrame], list[WaveMeasures], list[WaveChange], list[EarlyWarnings]]:
    """Every table of the report: measures per wave, members, reliability, helix mix, changes, alerts,
    suppressed cells and rejected rows (reasons only)."""
    k = check_k(k)
    if not data.wave_ids:
        raise InputError("no waves to report on")
    measures = [wave_measures(data, w, k=k, rng=rng) for w in data.wave_ids]
    ids = data.wave_ids
    changes = [compare_waves(data, a, b, k=k, replicates=replicates, permutations=replicates, rng=rng)
               for a, b in zip(ids[:-1], ids[1:], strict=True)]
    warns = [early_warnings(data, w, k=k, replicates=replicates, rng=rng, measures=measures[i],
                            change=changes[i - 1] if i else None) for i, w in enumerate(ids)]
    members = pd.concat([wm.members.assign(wave=wm.wave) for wm in measures], ignore_index=True)
    tables = {
        "network": pd.concat([wm.to_frame() for wm in measures], ignore_index=True),
        "members": members[["wave", *[c for c in members.columns if c != "wave"]]],
        "reliability": pd.concat([wm.reliability.assign(wave=wm.wave) for wm in measures], ignore_index=True),
        "helix": pd.concat([wm.helix.assign(wave=wm.wave) for wm in measures], ignore_index=True),
        "changes": pd.concat([c.measures.assign(before_wave=c.before, after_wave=c.after) for c in changes],
                             ignore_index=True) if changes else pd.DataFrame(),
        "tie_change": pd.DataFrame([{"before": c.before, "after": c.after, **c.ties} for c in changes]),
        "drifting": pd.concat([c.members[c.members["drifting"]][["member_id", "degree_before", "degree_after",
                                                                 "core_before", "core_after"]].assign(
            before=c.before, after=c.after) for c in changes], ignore_index=True) if changes else pd.DataFrame(),
        "alerts": pd.concat([w.alerts.assign(wave=w.wave) for w in warns], ignore_index=True),
        "suppressed": pd.concat([wm.suppressed.assign(wave=wm.wave) for wm in measures], ignore_index=True),
        "rejected": data.rejected[["file", "line", "column", "reason"]].copy(),
        "response": data.to_frame(),
    }
    return tables, measures, changes, warns


def write_report(data: PulseData, out: str | os.PathLike[str], *, cluster: str = "cluster", k: int = 3,
                 rng: int = 0, replicates: int = 499) -> Path:
    """Write ``report.html`` and one CSV per table into ``out``.

    Parameters
    ----------
    data
        From :func:`read_pulse` or :func:`clusterwatch.io.pulse_store.load_pulse`.
    out
        Folder (created).
    cluster
        The cluster's name, for the title.
    k
        Suppression threshold.
    rng, replicates
        Seed, and the bootstrap replicates (and QAP permutations) of the comparisons.

    Returns
    -------
    pathlib.Path
        The HTML file.

    Raises
    ------
    InputError
        When the data hold no wave.
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    tables, measures, changes, warns = pulse_tables(data, k=k, rng=rng, replicates=replicates)
    for name, frame in tables.items():
        write_csv(frame, folder / f"{name}.csv")  # spreadsheet-safe: a member named "=cmd" stays text
    pos = layout(data, seed=rng)
    net = tables["network"].set_index("wave")
    n_suppressed = len(tables["suppressed"])
    body = [f"<h1>Pulse of {html.escape(cluster)}</h1>",
            f'<p class="note">{len(data.members)} members, {len(data.wave_ids)} waves. Privacy: members are named '
            f"by pseudonyms; a member's trust and value are shown only when at least k = {k} others rated it; no "
            f"pair-level rating appears anywhere; {len(data.withdrawn)} member(s) withdrew and their answers and "
            f"the answers about them were removed. {n_suppressed} cell(s) are suppressed (listed at the end). "
            "Every table is also a CSV file beside this page.</p>"]
    last = warns[-1] if warns else None
    if last is not None:
        body.append(f"<h2>Alerts of the latest wave (wave {html.escape(last.wave)})</h2>")
        body.append(html_table(last.alerts) if len(last.alerts) else "<p>No rule fired.</p>")
        body.append('<p class="note">Rules and thresholds: clusterwatch.pulse.warnings; their record on real panels '
                    "is in the README (bench/bench_pulse_warnings.py).</p>")
    body.append("<h2>Network maps</h2><p class='note'>Colour: kind (" + ", ".join(
        f'<span style="color:{c}">&#9679; {k_}</span>' for k_, c in KIND_COLOURS.items()) +
        "); size: value as rated by the others; dashed ring: value suppressed (fewer than k raters); small dot: not "
        "rated.</p><div class='maps'>")
    for wm in measures:
        body.append(f"<figure>{network_svg(data, wm, pos)}<figcaption>wave {html.escape(wm.wave)}: "
                    f"{int(wm.network['respondents'])}/{int(wm.network['members'])} answered, "
                    f"{int(wm.network['union_ties'])} ties</figcaption></figure>")
    body.append("</div><h2>Trends</h2><div class='trends'>")
    for key in TRENDS:
        if key in net.columns:
            body.append(trend_svg(list(net.index), net[key].tolist(), key))
    body.append("</div><h2>Measures per wave</h2>")
    body.append(html_table(tables["network"].set_index("wave").T.reset_index(names="measure")))
    if changes:
        c = changes[-1]
        body.append(f"<h2>Change from wave {html.escape(c.before)} to {html.escape(c.after)}</h2>")
        body.append(html_table(c.measures))
        body.append(html_table(pd.DataFrame([c.ties])))
    for wm in measures[-1:]:
        body.append(f"<h2>Members in wave {html.escape(wm.wave)}</h2>")
        body.append(html_table(wm.members, flags={"trust": "trust_suppressed", "value": "value_suppressed"}))
        body.append(f"<h2>Reliability of the scales (wave {html.escape(wm.wave)})</h2>")
        body.append(html_table(wm.reliability))
        body.append(f"<h2>Helix composition of ties (wave {html.escape(wm.wave)})</h2>")
        body.append(html_table(wm.helix))
    body.append("<h2>All alerts</h2>" + html_table(tables["alerts"]))
    body.append("<h2>Suppressed cells and why</h2>" + (html_table(tables["suppressed"]) if n_suppressed
                                                         else "<p>None.</p>"))
    rej = tables["rejected"]
    body.append(f"<h2>Rejected rows ({len(rej)})</h2>" + (html_table(
        rej.groupby("reason").size().rename("rows").reset_index()) if len(rej) else "<p>None.</p>"))
    page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Pulse of {html.escape(cluster)}"
            f"</title><style>{_CSS}</style></head><body>{''.join(body)}</body></html>")
    path = folder / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
