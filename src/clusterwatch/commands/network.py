"""``clusterwatch network``: collaboration and ownership networks — communities, roles, health, triple helix."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.markup import escape
from rich.table import Table

from clusterwatch.cli.console import console, fmt
from clusterwatch.cli.options import (
    PERMUTATIONS,
    WORKSPACE,
    AsOfOpt,
    OutOpt,
    SchedulerOpt,
    SeedOpt,
    WorkspaceOpt,
    app,
    date_callback,
)
from clusterwatch.errors import InputError, OptionError
from clusterwatch.validation import check_choice, check_int


def _read_candidates(path: Path) -> pd.DataFrame:
    """Spatial candidates (candidate_id, firm_id) from CSV/TSV (also .gz) or Parquet."""
    if not path.exists():
        raise InputError("no such file", path=str(path))
    try:
        if path.name.lower().endswith(".parquet"):
            return pd.read_parquet(path).astype("string")
        return pd.read_csv(path, dtype=str, sep=None, engine="python", keep_default_na=False, na_values=[""])
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the candidates table: {exc}", path=str(path)) from None


def _num(value: float, digits: int = 3) -> str:
    return "" if pd.isna(value) else fmt(value, digits=digits)


def _core(size: float, fit: float) -> str:
    """The core of a core-periphery fit, or "none" (never "0 ()" or "0 (nan)")."""
    if pd.isna(size) or not size:
        return "none"
    return fmt(size) + ("" if pd.isna(fit) else f" ({fmt(fit, digits=2)})")


@app.command()
def network(
    workspace: WorkspaceOpt = WORKSPACE,
    dataset: Annotated[
        list[str] | None, typer.Option("--dataset", "-d", help="Relations of these workspace datasets (repeatable).")
    ] = None,
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help="Only relations of this kind, e.g. acquisition (repeatable).")
    ] = None,
    mode: Annotated[
        str, typer.Option(help="direct (source -> target ties), projection (shared projects) or auto.")
    ] = "auto",
    as_of: AsOfOpt = None,
    since: Annotated[
        str | None, typer.Option("--since", callback=date_callback,
                                 help="Window start: ties dated on or after it (with --as-of: a window).")
    ] = None,
    undated: Annotated[str, typer.Option(help="With a date selection, keep or drop undated ties.")] = "keep",
    undirected: Annotated[bool, typer.Option("--undirected", help="Treat direct ties as undirected.")] = False,
    weighting: Annotated[
        str, typer.Option(help="Tie weight: count (relations / shared projects) or newman (1/(k-1) per project).")
    ] = "count",
    max_project_size: Annotated[
        int | None, typer.Option("--max-project-size", help="Leave out projects with more participants.")
    ] = None,
    method: Annotated[str, typer.Option(help="Communities: leiden or louvain.")] = "leiden",
    resolution: Annotated[float, typer.Option(help="Modularity resolution (> 1: more, smaller communities).")] = 1.0,
    group: Annotated[
        str, typer.Option(help="Gould-Fernandez brokerage over this node attribute: kind, country, region ...")
    ] = "kind",
    median_over: Annotated[
        str, typer.Option("--median-over", help="Giuliani-Bell median splits over the network or each cluster.")
    ] = "network",
    permutations: Annotated[int, typer.Option(min=1, help="Random removals (fragility) and random sets "
                                                          "(co-location).")] = PERMUTATIONS,
    pivots: Annotated[int, typer.Option(help="Betweenness estimated from this many pivots on large graphs.")] = 200,
    exact_max_work: Annotated[
        float, typer.Option("--exact-max-work", help="Exact betweenness while nodes x (nodes + 2 ties) <= this.")
    ] = 5e8,
    candidates: Annotated[
        Path | None, typer.Option(help="Spatial candidates table with columns candidate_id, firm_id.")
    ] = None,
    colour_by: Annotated[
        str, typer.Option("--colour-by", help="Initial node colours in network.html: kind, community or role.")
    ] = "kind",
    seed: SeedOpt = None,
    scheduler: SchedulerOpt = "threads",
    top: Annotated[int, typer.Option(help="Rows in the printed tables.")] = 10,
    out: OutOpt = Path("network-out"),
) -> None:
    """Collaboration and ownership networks: communities, roles (gatekeepers ...), health, triple-helix synergy.

    Builds the graph from the workspace's relations: direct ties (acquirer -> acquired ...) or shared projects
    (CORDIS participations projected onto organisations). Finds communities (Leiden), each organisation's roles
    (Giuliani-Bell, Gould-Fernandez, Burt constraint, betweenness), the network's health and fragility when its
    top brokers leave, Leydesdorff's triple-helix synergy, and how communities and spatial candidates meet.

    Output in --out: nodes.csv, ties.csv, communities.csv, health.csv, fragility.csv, synergy.csv,
    community_space.csv (and candidate_network.csv with --candidates), and an offline network.html.
    """
    from clusterwatch.analysis.network import analyse_network, build_graph
    from clusterwatch.io.workspace import Workspace
    from clusterwatch.report.network import COLOR_BY, write_network_html, write_network_tables

    check_int(top, "--top", minimum=1)
    check_choice(colour_by, "--colour-by", COLOR_BY)
    if not workspace.exists():
        raise InputError("no such workspace; run `clusterwatch ingest` first", path=str(workspace))
    candidate_table = _read_candidates(candidates) if candidates is not None else None
    with Workspace(workspace, read_only=True) as ws:
        relations = ws.relations()
        firms = ws.firms(as_of=as_of)
    if dataset:
        unknown = sorted(set(dataset) - set(relations["dataset"].unique()))
        if unknown:
            raise OptionError(f"--dataset {', '.join(unknown)} holds no relations; datasets with relations: "
                              f"{', '.join(sorted(relations['dataset'].unique())) or 'none'}")
        relations = relations[relations["dataset"].isin(dataset)]
    if relations.empty:
        raise InputError("the workspace holds no relations (ingest e.g. a cordis or crunchbase-acquisitions file)",
                         path=str(workspace))
    graph = build_graph(relations, firms, mode=mode, directed=False if undirected else None, weighting=weighting,
                        as_of=as_of, start=since, undated=undated, max_project_size=max_project_size, kinds=kind)
    if graph.n_edges == 0:
        raise InputError("no ties in this selection (check --as-of/--since/--kind/--dataset)", path=str(workspace))
    analysis = analyse_network(graph, method=method, gamma=resolution, group=group, median_over=median_over,
                               permutations=permutations, pivots=pivots, exact_max_work=exact_max_work,
                               candidates=candidate_table, rng=seed, scheduler=scheduler)
    paths = write_network_tables(out, analysis)
    html_path = write_network_html(out / "network.html", analysis, colour_by=colour_by, seed=analysis.seed % 2**32)

    m = analysis.health.metrics
    console.print(f"[bold]{graph.n_nodes:,}[/bold] organisations, [bold]{graph.n_edges:,}[/bold] ties "
                  f"({graph.mode}, {'directed' if graph.directed else 'undirected'}); seed {analysis.seed}")
    for note in graph.notes:
        console.print(f"note — {escape(note)}")
    health = Table(title="Health")
    for col in ("density", "comp.", "largest", "fragm.", "deg. centr.", "betw. centr.", "core (fit)", "T bits"):
        health.add_column(col, justify="right")
    health.add_row(f"{m['density']:.4f}", f"{m['components']:,.0f}", f"{m['largest_component_share']:.1%}",
                   f"{m['fragmentation']:.3f}", f"{m['degree_centralisation']:.3f}",
                   f"{m['betweenness_centralisation']:.3f}", _core(m["core_size"], m["core_fit"]),
                   f"{analysis.synergy.synergy:+.4f}")
    console.print(health)
    nodes = analysis.to_frame()
    brokers = Table(title=f"Top brokers (betweenness {analysis.roles.betweenness_method}; Giuliani-Bell role; "
                          f"Gould-Fernandez over {analysis.roles.group_by})")
    for col in ("organisation", "kind", "comm.", "role", "betweenness", "constraint", "G-F gatekeeper"):
        brokers.add_column(col, justify="left" if col in ("organisation", "kind", "role") else "right",
                           no_wrap=col == "organisation", overflow="ellipsis", max_width=30 if col == "organisation"
                           else None)
    for row in nodes.sort_values(["betweenness", "firm_id"], ascending=[False, True]).head(top).itertuples():
        label = row.name if isinstance(row.name, str) else row.firm_id
        brokers.add_row(escape(str(label))[:50], escape(str(row.kind) if pd.notna(row.kind) else ""),
                        str(row.community), escape(str(row.gb_role) if pd.notna(row.gb_role) else ""),
                        _num(row.betweenness, 1), _num(row.constraint), f"{row.gatekeeper:,}")
    console.print(brokers)
    comms = Table(title=f"Communities ({analysis.communities.n_communities:,}; modularity "
                        f"{analysis.communities.modularity:.3f})")
    for col in ("comm.", "size", "firm", "univ.", "res.", "public", "SME", "km", "T bits"):
        comms.add_column(col, justify="right")
    comms.add_column("largest member", no_wrap=True, overflow="ellipsis", max_width=28)
    for row in analysis.communities.summary.head(top).itertuples():
        comms.add_row(str(row.community), f"{row.size:,}", f"{row.share_firm:.0%}", f"{row.share_university:.0%}",
                      f"{row.share_research:.0%}", f"{row.share_public:.0%}",
                      "" if pd.isna(row.sme_share) else f"{row.sme_share:.0%}", _num(row.spread_km, 0),
                      _num(row.synergy_bits), escape(str(row.top_members).split("; ")[0]))
    console.print(comms)
    frag = Table(title="Fragility: largest component after the top k brokers leave (random removal)")
    for col in ("k", "largest component", "random (95% band)", "components", "p"):
        frag.add_column(col, justify="right")
    for row in analysis.health.fragility.itertuples():
        frag.add_row(f"{row.k:,}", f"{row.largest_share:.1%}",
                     f"{row.random_largest_share:.1%} ({row.random_low:.1%}–{row.random_high:.1%})",
                     f"{row.components:,}", f"{row.p_value:.3f}")
    console.print(frag)
    if analysis.space is not None:
        co = analysis.space.communities
        console.print(f"Co-located communities (q ≤ {analysis.space.alpha:g}): {int(co['colocated'].sum())} of "
                      f"{int(co['p_value'].notna().sum())} tested")
    console.print(f"Wrote {', '.join(p.name for p in paths.values())} and {html_path.name} to {out}")
