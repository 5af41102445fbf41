"""Kd curves as CSV and one self-contained offline HTML page with an inline SVG plot per activity."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from clusterwatch.analysis.space.kd import KdResult
from clusterwatch.report.csvsafe import write_csv
from clusterwatch.report.render import render_page

_WIDTH, _HEIGHT = 720, 340
_MARGIN = {"left": 72, "right": 16, "top": 14, "bottom": 44}



def _nice_step(span: float, target: int = 6) -> float:
    raw = span / max(target, 1)
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _ticks(lo: float, hi: float) -> list[float]:
    step = _nice_step(hi - lo)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]


def _label(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000 or abs(value) < 0.01:
        return f"{value:.1e}"
    return f"{value:g}"


def kd_svg(result: KdResult, *, width: int = _WIDTH, height: int = _HEIGHT) -> str:
    """An inline SVG plot of a Kd curve with its local and global envelopes (no scripts, no external files).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from clusterwatch.analysis.space.kd import kd
    >>> rng = np.random.default_rng(0)
    >>> firms = pd.DataFrame({"x": rng.uniform(0, 20, 300), "y": rng.uniform(0, 20, 300)})
    >>> svg = kd_svg(kd(firms, np.arange(300) < 40, xy=("x", "y"), xy_unit="km", permutations=99, rng=1))
    >>> svg.startswith("<svg") and "polyline" in svg
    True
    """
    x = result.distance_km
    top = float(np.nanmax([result.kd.max(), result.global_hi.max(), result.local_hi.max()])) * 1.05 or 1.0
    left, right = _MARGIN["left"], width - _MARGIN["right"]
    upper, lower = _MARGIN["top"], height - _MARGIN["bottom"]
    span = float(x[-1] - x[0]) or 1.0

    def px(values: np.ndarray) -> np.ndarray:
        return left + (values - x[0]) / span * (right - left)

    def py(values: np.ndarray) -> np.ndarray:
        return lower - np.clip(values, 0.0, top) / top * (lower - upper)

    def points(xs: np.ndarray, ys: np.ndarray) -> str:
        return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, ys, strict=True))

    def band(lo: np.ndarray, hi: np.ndarray, colour: str) -> str:
        xs = px(x)
        outline = points(np.concatenate([xs, xs[::-1]]), np.concatenate([py(hi), py(lo[::-1])]))
        return f'<polygon points="{outline}" fill="{colour}" stroke="none"/>'

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="Kd curve">']
    for tick in _ticks(0.0, top):
        y = float(py(np.array([tick]))[0])
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#eee"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{_label(tick)}</text>')
    for tick in _ticks(float(x[0]), float(x[-1])):
        xx = float(px(np.array([tick]))[0])
        parts.append(f'<line x1="{xx:.1f}" y1="{lower}" x2="{xx:.1f}" y2="{lower + 4}" stroke="#444"/>'
                     f'<text x="{xx:.1f}" y="{lower + 17}" font-size="11" text-anchor="middle">{_label(tick)}</text>')
    parts.append(band(result.global_lo, result.global_hi, "#9a9a9a"))
    parts.append(band(result.local_lo, result.local_hi, "#cfcfcf"))
    for start, stop in result.localised:
        a, b = px(np.array([start, stop]))
        parts.append(f'<rect x="{a:.1f}" y="{lower - 4}" width="{max(b - a, 1.5):.1f}" height="4" fill="#d62728"/>')
    parts.append(f'<polyline points="{points(px(x), py(result.simulated_mean))}" fill="none" stroke="#555" '
                 'stroke-dasharray="4 3" stroke-width="1"/>')
    parts.append(f'<polyline points="{points(px(x), py(result.kd))}" fill="none" stroke="#222" stroke-width="2"/>')
    parts.append(f'<line x1="{left}" y1="{lower}" x2="{right}" y2="{lower}" stroke="#444"/>'
                 f'<line x1="{left}" y1="{upper}" x2="{left}" y2="{lower}" stroke="#444"/>')
    parts.append(f'<text x="{(left + right) / 2:.0f}" y="{height - 8}" font-size="12" text-anchor="middle">'
                 'distance between two firms (km)</text>')
    parts.append(f'<text x="14" y="{(upper + lower) / 2:.0f}" font-size="12" text-anchor="middle" '
                 f'transform="rotate(-90 14 {(upper + lower) / 2:.0f})">Kd (share of pairs per km)</text>')
    parts.append("</svg>")
    return "".join(parts)


def ranges_text(ranges: Sequence[tuple[float, float]]) -> str:
    """``[(0.0, 1.58), (4.2, 6.0)]`` → ``"0–1.58 km; 4.2–6 km"`` (empty when there is none)."""
    return "; ".join(f"{a:.3g}–{b:.3g} km" for a, b in ranges)


def summary_frame(results: Mapping[str, KdResult]) -> pd.DataFrame:
    """One row per activity: firms, localised and dispersed ranges, Γ, Ψ, bandwidth, maximum distance, seed."""
    rows = []
    for label, r in results.items():
        rows.append({
            "activity": label, "firms": r.n_cases, "sites": r.n_sites, "localised_km": ranges_text(r.localised),
            "dispersed_km": ranges_text(r.dispersed), "gamma": r.localisation_index, "psi": r.dispersion_index,
            "bandwidth_km": r.bandwidth_km, "max_distance_km": r.max_distance_km, "weighted": r.weighted,
            "permutations": r.permutations, "alpha": r.alpha, "distance": r.distance, "seed": r.seed,
        })
    return pd.DataFrame(rows)


def _summary_table(summary: pd.DataFrame) -> str:
    columns = ["activity", "firms", "localised_km", "gamma", "dispersed_km", "psi", "bandwidth_km"]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for record in summary[columns].itertuples(index=False):
        cells = []
        for column, value in zip(columns, record, strict=True):
            if column in ("gamma", "psi", "bandwidth_km"):
                cells.append(f'<td class="n">{float(value):.4f}</td>')
            elif column == "firms":
                cells.append(f'<td class="n">{int(value):,}</td>')
            else:
                cells.append(f"<td>{html.escape(str(value))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def write_kd(results: Mapping[str, KdResult], out: Path, *, title: str = "Kd",
             notes: Sequence[str] = ()) -> dict[str, Path]:
    """Write ``kd.csv`` (every curve, long form with an ``activity`` column), ``kd_summary.csv`` and ``kd.html``.

    Returns
    -------
    dict
        The paths written, by name.
    """
    out.mkdir(parents=True, exist_ok=True)
    curves = pd.concat([r.to_frame().assign(activity=label) for label, r in results.items()], ignore_index=True)
    curves = curves[["activity", *[c for c in curves.columns if c != "activity"]]]
    summary = summary_frame(results)
    paths = {"kd.csv": out / "kd.csv", "kd_summary.csv": out / "kd_summary.csv", "kd.html": out / "kd.html"}
    write_csv(curves, paths["kd.csv"])
    write_csv(summary, paths["kd_summary.csv"])
    plots = []
    for label, r in results.items():
        where = ranges_text(r.localised)
        caption = (f"{r.n_cases:,} firms among {r.n_sites:,} sites; bandwidth {r.bandwidth_km:.3g} km; "
                   f"{r.permutations:,} random draws (seed {r.seed}); {100 * (1 - r.alpha):g} % envelopes. "
                   + (f"Localised at {where} (Γ = {r.localisation_index:.4f})." if where else
                      f"Dispersed at {ranges_text(r.dispersed)} (Ψ = {r.dispersion_index:.4f})." if r.dispersed
                      else "Within the global envelope at every distance."))
        plots.append({"title": label, "caption": caption, "svg": kd_svg(r)})
    page = render_page("kd.html.j2",
        title=title, notes=list(notes), summary=_summary_table(summary), plots=plots)
    paths["kd.html"].write_text(page, encoding="utf-8")
    return paths
