"""The network analysis as CSV files and one self-contained offline HTML page (an inline SVG network view).

The page needs no network access: the layout is computed here (Fruchterman–Reingold, igraph, seeded) and drawn
as SVG by a few lines of inline JavaScript that only recolour nodes (by kind, community or Giuliani–Bell role).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clusterwatch.analysis.network import NetworkAnalysis
from clusterwatch.analysis.network.communities import seeded_igraph
from clusterwatch.report.csvsafe import write_csv
from clusterwatch.report.render import render_page

#: Nodes and ties drawn at most; the CSV files hold all of them.
MAX_NODES = 1500
MAX_TIES = 6000
MAX_HTML_ROWS = 200
COLOR_BY: tuple[str, ...] = ("kind", "community", "role")

KIND_COLOURS = {"firm": "#1f77b4", "university": "#d62728", "research": "#ff7f0e", "public": "#2ca02c",
                "other": "#9467bd", "": "#aaaaaa"}
ROLE_COLOURS = {"gatekeeper": "#d62728", "active mutual exchanger": "#ff7f0e", "external star": "#1f77b4",
                "isolated": "#bbbbbb", "": "#dddddd"}
COMMUNITY_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                     "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd")


def write_network_tables(out: Path, analysis: NetworkAnalysis) -> dict[str, Path]:
    """Write the analysis' tables as CSV files in ``out``; returns name → path.

    ``nodes.csv`` (roles, community, core), ``ties.csv``, ``communities.csv``, ``health.csv`` (one row),
    ``fragility.csv``, ``synergy.csv``, and with a link to space ``community_space.csv`` and, when candidates were
    given, ``candidate_network.csv``.
    """
    out.mkdir(parents=True, exist_ok=True)
    tables: dict[str, pd.DataFrame] = {
        "nodes": analysis.to_frame(),
        "ties": analysis.graph.to_frame(),
        "communities": analysis.communities.to_frame(),
        "health": analysis.health.to_frame().assign(
            betweenness=analysis.health.betweenness_method, pivots=analysis.health.pivots,
            modularity=analysis.communities.modularity, seed=str(analysis.seed)),
        "fragility": analysis.health.fragility,
        "synergy": analysis.synergy.to_frame(),
    }
    if analysis.space is not None:
        tables["community_space"] = analysis.space.communities
        if len(analysis.space.candidates):
            tables["candidate_network"] = analysis.space.candidates
    paths = {}
    for name, frame in tables.items():
        path = out / f"{name}.csv"
        write_csv(frame, path)
        paths[name] = path
    return paths


def _shown_nodes(analysis: NetworkAnalysis, max_nodes: int) -> np.ndarray:
    """Positions of the nodes drawn: all, or the ``max_nodes`` with the highest betweenness, then degree."""
    nodes = analysis.roles.nodes
    n = len(nodes)
    if n <= max_nodes:
        return np.arange(n)
    order = np.lexsort((np.arange(n), -nodes["degree"].to_numpy(), -nodes["betweenness"].to_numpy()))
    return np.sort(order[:max_nodes])


def network_layout(analysis: NetworkAnalysis, shown: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray,
                                                                                        np.ndarray, np.ndarray]:
    """Fruchterman–Reingold positions in [0, 1]² of the shown nodes, and the ties drawn between them.

    Returns x, y and the drawn ties' endpoints (positions into ``shown``), the :data:`MAX_TIES` strongest.
    """
    graph = analysis.graph
    u, v, w = graph.simple
    local = np.full(graph.n_nodes, -1, dtype=np.int64)
    local[shown] = np.arange(len(shown))
    keep = (local[u] >= 0) & (local[v] >= 0)
    a, b, weight = local[u[keep]], local[v[keep]], w[keep]
    rng = np.random.default_rng(seed)
    start = rng.uniform(-1, 1, size=(len(shown), 2))
    if len(shown) > 1:
        with seeded_igraph(seed) as ig:
            g = ig.Graph(n=len(shown), edges=list(zip(a.tolist(), b.tolist(), strict=True)))
            pos = np.asarray(g.layout_fruchterman_reingold(seed=start.tolist(), niter=500).coords, dtype=float)
    else:
        pos = np.zeros((len(shown), 2))
    span = np.where(np.ptp(pos, axis=0) > 0, np.ptp(pos, axis=0), 1.0)
    pos = (pos - pos.min(axis=0)) / span
    if len(a) > MAX_TIES:
        top = np.sort(np.lexsort((np.arange(len(a)), -weight))[:MAX_TIES])
        a, b = a[top], b[top]
    return pos[:, 0], pos[:, 1], a, b


def _fmt(value: Any) -> str:
    if value is None or (not isinstance(value, str) and np.ndim(value) == 0 and bool(pd.isna(value))):
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else ""
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        x = float(value)
        return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}" if abs(x) >= 1 else f"{x:.3f}"
    return str(value)


def html_table(frame: pd.DataFrame, max_rows: int = MAX_HTML_ROWS) -> str:
    """A plain HTML table (escaped), at most ``max_rows`` rows."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(
            f'<td class="{"n" if isinstance(v, int | float | np.integer | np.floating) else ""}">'
            f"{html.escape(_fmt(v))}</td>" for v in row) + "</tr>"
        for row in frame.head(max_rows).itertuples(index=False))
    more = (f'<p class="note">{max_rows:,} of {len(frame):,} rows shown; the CSV file has all.</p>'
            if len(frame) > max_rows else "")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"




def network_html(analysis: NetworkAnalysis, *, colour_by: str = "kind", max_nodes: int = MAX_NODES,
                 title: str = "clusterwatch network", seed: int = 0) -> str:
    """The self-contained HTML page of a network analysis (see the module docstring).

    Node size grows with betweenness; gatekeepers (Giuliani–Bell) have a black ring; ``colour_by`` is the initial
    colouring (``kind``, ``community`` or ``role``), which the page can switch.
    """
    if colour_by not in COLOR_BY:
        from clusterwatch.errors import OptionError

        raise OptionError(f"colour_by must be one of {', '.join(COLOR_BY)}, got {colour_by!r}")
    nodes = analysis.to_frame()
    shown = _shown_nodes(analysis, max_nodes)
    x, y, a, b = network_layout(analysis, shown, seed)
    sub = nodes.iloc[shown]
    btw = sub["betweenness"].to_numpy(float)
    top = float(btw.max()) if len(btw) and btw.max() > 0 else 1.0
    radius = 3.0 + 12.0 * np.sqrt(np.clip(btw, 0, None) / top)
    kind = sub["kind"].astype("object").where(sub["kind"].notna(), "").astype(str).tolist()
    role = sub["gb_role"].astype("object").where(sub["gb_role"].notna(), "").astype(str).tolist()
    community = sub["community"].astype(int).astype(str).tolist()
    name = sub["name"].astype("object").where(sub["name"].notna(), sub["firm_id"]).astype(str)
    label = [f"{nm} ({kd or 'kind unknown'}); community {cm}; {rl or 'no role'}; betweenness {bt:,.0f}; "
             f"{dg:,} partners" for nm, kd, cm, rl, bt, dg in zip(name, kind, community, role, btw,
                                                                  sub["degree"].to_numpy(), strict=True)]
    n_comm = analysis.communities.n_communities
    palettes = {
        "kind": KIND_COLOURS,
        "role": ROLE_COLOURS,
        "community": {str(c): (COMMUNITY_COLOURS[c] if c < len(COMMUNITY_COLOURS) else "#cccccc")
                      for c in range(n_comm)},
    }
    data = {"x": np.round(x * 1000, 1).tolist(), "y": np.round(y * 1000, 1).tolist(), "r": np.round(radius, 1).tolist(),
            "a": a.tolist(), "b": b.tolist(), "kind": kind, "role": role, "community": community, "label": label,
            "palettes": palettes}
    graph = analysis.graph
    metrics = analysis.health.metrics
    summary = (f"{graph.n_nodes:,} organisations, {graph.n_edges:,} ties ({graph.mode}, "
               f"{'directed' if graph.directed else 'undirected'}); {analysis.communities.n_communities:,} "
               f"communities (modularity {analysis.communities.modularity:.3f}, {analysis.communities.method}, "
               f"resolution γ {analysis.communities.gamma:g}); density {metrics['density']:.4f}; "
               f"largest component {metrics['largest_component_share']:.1%}; triple-helix synergy "
               f"{analysis.synergy.synergy:+.4f} bits over {analysis.synergy.n_units:,} units; seed {analysis.seed}.")
    caption = (f"{len(shown):,} of {graph.n_nodes:,} organisations drawn "
               f"({'all' if len(shown) == graph.n_nodes else 'those with the highest betweenness'}), "
               f"{len(a):,} ties between them{' (the strongest)' if len(a) == MAX_TIES else ''}; size grows with "
               "betweenness; a black ring marks Giuliani–Bell gatekeepers. Hover a node for its name and roles.")
    brokers = nodes.sort_values(["betweenness", "firm_id"], ascending=[False, True]).head(25)[
        ["name", "kind", "community", "gb_role", "betweenness", "constraint", "brokerage", "gatekeeper",
         "representative", "liaison", "degree"]]
    frag = analysis.health.fragility[["k", "removed", "largest_share", "components", "random_largest_share",
                                      "random_low", "random_high", "p_value"]]
    name_of = nodes.set_index("firm_id")["name"]
    frag = frag.assign(removed=frag["removed"].map(lambda f: "" if f is None or pd.isna(f) else
                                                    str(name_of.get(f, f))))
    comm_cols = ["community", "size", "internal_density", "share_firm", "share_university", "share_research",
                 "share_public", "sme_share", "lat", "lon", "spread_km", "synergy_bits", "top_members"]
    sections = [
        {"title": "Health", "note": "Ties taken undirected. Fragmentation: share of pairs that cannot reach each "
                                    "other. Core: the nested k-core set that best fits Borgatti–Everett's ideal.",
         "table": html_table(pd.DataFrame({"measure": list(metrics), "value": list(metrics.values())}))},
        {"title": "Fragility: top brokers leave",
         "note": f"Largest component (share of all nodes) after removing the k organisations with the highest "
                 f"betweenness, against {analysis.health.permutations:,} random removals of k (2.5–97.5 % band); "
                 "p: how often random removal leaves a largest component as small.",
         "table": html_table(frag)},
        {"title": "Top brokers", "note": "Betweenness " + (
            "exact" if analysis.roles.betweenness_method == "exact" else
            f"estimated from {analysis.roles.pivots} pivots") + f"; Gould–Fernandez roles over "
            f"{analysis.roles.group_by}; Burt constraint (lower: more structural holes).",
         "table": html_table(brokers)},
        {"title": "Communities", "note": "Composition shares, SME share among organisations with a flag, centre and "
                                         "median distance to it, Leydesdorff's T (bits; negative = synergy).",
         "table": html_table(analysis.communities.to_frame()[comm_cols])},
    ]
    if analysis.space is not None:
        sections.append({"title": "Co-location of communities",
                         "note": "Mean distance to the community's centre against random sets of as many located "
                                 "organisations; q: Benjamini–Hochberg.",
                         "table": html_table(analysis.space.communities)})
        if len(analysis.space.candidates):
            sections.append({"title": "Spatial candidates in the network", "note": "",
                             "table": html_table(analysis.space.candidates)})
    return render_page("network.html.j2",
        title=title, summary=summary, notes=list(graph.notes), caption=caption, colour_options=COLOR_BY,
        colour_by=colour_by, data=data, sections=sections)


def write_network_html(path: Path, analysis: NetworkAnalysis, **options: Any) -> Path:
    """Write :func:`network_html` to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(network_html(analysis, **options), encoding="utf-8")
    return path
