"""``clusterwatch scan``: the main job — ranked cluster candidates and a report a facilitator can use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.markup import escape
from rich.table import Table

from clusterwatch.cli import WorkspaceOpt, _parse_columns, _progress, app, console
from clusterwatch.errors import InputError


@app.command()
def scan(
    sources: Annotated[
        list[Path] | None, typer.Argument(help="Source files to ingest first (none: use the workspace as it is).")
    ] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="Source format (see `clusterwatch formats`).")] = (
        "generic"
    ),
    column: Annotated[
        list[str] | None, typer.Option("--column", "-c", help="Map a column: canonical=SOURCE_COLUMN (repeatable).")
    ] = None,
    workspace: WorkspaceOpt = Path("clusterwatch.duckdb"),
    postcodes: Annotated[Path | None, typer.Option(help="UK full-postcode lookup file.")] = None,
    geocode_table: Annotated[
        Path | None, typer.Option("--geocode-table", help="Table key,lat,lon for keys no shipped table covers.")
    ] = None,
    crs: Annotated[str | None, typer.Option(help="CRS of projected x/y columns, e.g. EPSG:3857.")] = None,
    country: Annotated[str | None, typer.Option(help="ISO country code of rows without one.")] = None,
    code_system: Annotated[
        str | None, typer.Option("--code-system", help="Code system of the code column: naics, nace2 ...")
    ] = None,
    date_format: Annotated[str | None, typer.Option("--date-format", help="strptime format of dates.")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for candidates.csv, report.html ...")] = Path(
        "scan-out"
    ),
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Use only what was known on this date (default: the data's last).")
    ] = None,
    recent_years: Annotated[
        int, typer.Option("--recent-years", help="Firms founded within this many years of --as-of are young.")
    ] = 5,
    min_firms: Annotated[int, typer.Option("--min-firms", help="Fewest firms an activity needs to be tested.")] = 8,
    max_radius_km: Annotated[
        float, typer.Option("--max-radius-km", help="Largest scan circle radius in km (0: no cap).")
    ] = 25.0,
    max_population: Annotated[
        float,
        typer.Option("--max-population", help="Largest scan circle as a share of all firms (a place, not a region)."),
    ] = 0.1,
    permutations: Annotated[
        int, typer.Option(help="Monte Carlo replicates of the scan (more: smaller p-values, needed for many tests).")
    ] = 999,
    alpha: Annotated[float, typer.Option(help="False-discovery rate across all clusters tested.")] = 0.05,
    no_text: Annotated[bool, typer.Option("--no-text", help="Skip text-derived activities.")] = False,
    text_method: Annotated[
        str,
        typer.Option("--text-method", help="Text activities: tfidf-svd-kmeans (fast), embedding-kmeans or auto "
                     "(sentence embeddings, cached in the workspace)."),
    ] = "tfidf-svd-kmeans",
    seed: Annotated[int | None, typer.Option(help="Random seed (default: drawn and reported).")] = None,
) -> None:
    """Find cluster candidates: activities (codes, texts) concentrated in a place, ranked, with their evidence.

    Ingests SOURCE files into the workspace (as `clusterwatch ingest` does) or uses the workspace as it is, then
    tests every activity with a Bernoulli spatial scan (Benjamini–Hochberg across all), measures entries, young
    and SME shares, trends and emerging hot spots, and writes candidates.csv, candidate_firms.csv,
    candidates.geojson, activities.csv and report.html to --out.
    """
    from clusterwatch import __version__
    from clusterwatch.analysis.text.activities import METHODS as TEXT_METHODS
    from clusterwatch.candidates import find_candidates
    from clusterwatch.errors import OptionError
    from clusterwatch.io.workspace import Workspace
    from clusterwatch.report.scan import candidates_geojson, write_scan_html
    from clusterwatch.stats import resolve_seed

    if text_method not in TEXT_METHODS:
        raise OptionError(f"--text-method must be one of {', '.join(TEXT_METHODS)}; got {text_method!r}")
    run_seed = resolve_seed(seed)
    with _progress() as progress:
        task = progress.add_task("starting", total=6)
        if sources:
            from clusterwatch.io.ingest import read_firms

            progress.update(task, description=f"reading {len(sources)} source(s)")
            result = read_firms([str(s) for s in sources], format=format, columns=_parse_columns(column or []),
                                postcodes=postcodes, geocode_table=geocode_table, crs=crs, country=country,
                                code_system=code_system, date_format=date_format)
            workspace.parent.mkdir(parents=True, exist_ok=True)
            with Workspace(workspace) as ws:
                ws.store(result)
        progress.advance(task)
        progress.update(task, description=f"reading {workspace}")
        with Workspace(workspace, read_only=True) as ws:
            firms = ws.firms(as_of=as_of)
            activities = ws.activities(as_of=as_of)
            data_sources = ws.sources()
            rejected = ws.rejected()
        if firms.empty:
            raise InputError(f"no firms in {workspace}" + (f" as of {as_of}" if as_of else ""))
        progress.advance(task)

        def on_step(message: str, done: int, total: int) -> None:
            progress.update(task, description=message, completed=1 + done)

        found = find_candidates(firms, activities, as_of=as_of, recent_years=recent_years, min_firms=min_firms,
                                max_radius_km=max_radius_km or None, max_population=max_population,
                                permutations=permutations, alpha=alpha, use_text=not no_text,
                                text_method=text_method, text_cache=str(workspace),
                                rng=run_seed.entropy, progress=on_step)
        progress.update(task, description=f"writing {out}", completed=5)
        out.mkdir(parents=True, exist_ok=True)
        found.candidates.to_csv(out / "candidates.csv", index=False)
        found.candidate_firms.to_csv(out / "candidate_firms.csv", index=False)
        found.activities.to_csv(out / "activities.csv", index=False)
        found.entries.to_csv(out / "candidate_entries.csv", index=False)
        (out / "candidates.geojson").write_text(json.dumps(candidates_geojson(found.candidates)), encoding="utf-8")
        rejected_counts = (rejected.groupby(["dataset", "reason"]).size().rename("rows").reset_index()
                           if len(rejected) else pd.DataFrame(columns=["dataset", "reason", "rows"]))
        page = write_scan_html(out / "report.html", found, firms, sources=data_sources, rejected=rejected_counts,
                               versions={"clusterwatch": __version__, "pandas": pd.__version__})
        progress.advance(task)

    p = found.parameters
    console.print(f"Scanned {p['n_firms']:,} firms as of {p['as_of']}: {p['n_activities']} activities "
                  f"(text: {escape(found.text_method)}), {p['n_clusters_tested']} clusters tested, "
                  f"{len(found.candidates)} candidates at q ≤ {alpha} (seed {found.seed})")
    if p["n_clusters_tested"] / (permutations + 1) > alpha:
        console.print(f"[yellow]Note:[/yellow] with {permutations} permutations the smallest p-value is "
                      f"{1 / (permutations + 1):.4f}; across {p['n_clusters_tested']} tests the false-discovery "
                      f"control may hide clusters that stand alone: --permutations 9999 resolves smaller p-values")
    table = Table(title="Cluster candidates (best first)")
    for name in ("id", "status", "score", "label", "firms", "young", "q", "trend"):
        table.add_column(name, justify="right" if name in ("score", "firms", "young", "q") else "left")
    for row in found.candidates.head(20).itertuples(index=False):
        young = "" if pd.isna(row.recent_share) else f"{row.recent_share:.0%}"
        table.add_row(row.candidate_id, row.status, f"{row.score:.1f}", escape(str(row.label))[:36],
                      str(row.n_firms), young, f"{row.q_value:.3f}", row.trend)
    console.print(table)
    console.print(f"Wrote {out / 'candidates.csv'}, candidate_firms.csv, candidates.geojson, activities.csv")
    console.print(f"Report: {page}")
