"""``clusterwatch scan``: the main job — ranked cluster candidates and a report a facilitator can use.

Every option of the job comes from :class:`~clusterwatch.candidates.CandidateConfig`: its default and its help text,
so the CLI, the library and the README say the same (``tests/test_scan_command.py`` checks that every setting has
an option here and a line in the README).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.markup import escape
from rich.table import Table

from clusterwatch.candidates.config import CandidateConfig, setting_help
from clusterwatch.cli.console import console
from clusterwatch.cli.console import progress as _progress
from clusterwatch.cli.options import (
    WORKSPACE,
    AsOfOpt,
    CodeSystemOpt,
    ColumnOpt,
    CountryOpt,
    CrsOpt,
    DateFormatOpt,
    DelimiterOpt,
    EncodingOpt,
    FormatOpt,
    GeocodeTableOpt,
    OutOpt,
    PostcodesOpt,
    SchedulerOpt,
    SeedOpt,
    SheetOpt,
    SkipRowsOpt,
    WorkspaceOpt,
    app,
)
from clusterwatch.commands.ingest import SourceOptions, ingest_sources, print_ingest_report
from clusterwatch.errors import InputError, OptionError

if TYPE_CHECKING:
    from clusterwatch.io.workspace import Workspace

#: The defaults of every setting (the options' defaults).
DEFAULTS = CandidateConfig()

#: The option of each setting where it is not ``--`` + the name with dashes.
FLAGS: dict[str, str] = {"use_text": "--no-text", "datasets": "--dataset", "cities": "--city",
                         "entries": "--no-entries"}


def flag_of(name: str) -> str:
    """The ``scan`` option of a :class:`CandidateConfig` setting."""
    return FLAGS.get(name, "--" + name.replace("_", "-"))


def _help(name: str, cli: str = "") -> str:
    return f"{setting_help(name)} {cli}".strip()


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """``--bbox min_lon,min_lat,max_lon,max_lat`` as four floats, or a usage error (exit 2) saying what is wrong."""
    if value is None:
        return None
    parts = [p.strip() for p in value.split(",")]
    try:
        box = tuple(float(p) for p in parts)
    except ValueError:
        box = ()
    if len(box) != 4 or not all(math.isfinite(v) for v in box):
        raise typer.BadParameter(f"{value!r} is not min_lon,min_lat,max_lon,max_lat (four numbers, e.g. "
                                 "-71.2,42.2,-70.9,42.5)", param_hint="--bbox")
    min_lon, min_lat, max_lon, max_lat = box
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        raise typer.BadParameter(f"{value!r}: need -180 ≤ min_lon < max_lon ≤ 180 and -90 ≤ min_lat < max_lat ≤ 90 "
                                 "(longitude first)", param_hint="--bbox")
    return min_lon, min_lat, max_lon, max_lat


def resolve_stop_words(setting: str, formats: Sequence[str]) -> str:
    """The stop-word preset to use: ``setting`` itself, or for ``auto`` the one the formats share."""
    from clusterwatch.candidates.activities import stop_word_preset

    return stop_word_preset(formats) if setting == "auto" else setting


def _choose_datasets(ws: Workspace, wanted: list[str] | None, ingested: list[str] | None) -> tuple[
        tuple[str, ...] | None, str]:
    """The datasets whose firms are scanned, and a line that says which, and which the workspace holds besides.

    ``--dataset`` decides where given; else the datasets just ingested that hold firms (a scan of SOURCE files
    never adds what the workspace held before); else every dataset.
    """
    listed = ws.sources()
    held = listed["dataset"].astype(str).tolist()
    with_firms = listed.loc[listed["firms"].fillna(0) > 0, "dataset"].astype(str).tolist()
    if wanted:
        unknown = sorted(set(wanted) - set(held))
        if unknown:
            raise OptionError(f"--dataset {', '.join(unknown)}: not in the workspace, which holds "
                              f"{', '.join(held) or 'nothing'}")
        chosen: list[str] | None = list(dict.fromkeys(wanted))
    elif ingested is not None:
        chosen = [d for d in ingested if d in with_firms] or None
    else:
        chosen = None
    scanned = chosen if chosen is not None else held
    others = [d for d in held if d not in scanned]
    line = f"Scanning {', '.join(scanned)}"
    if others:
        line += f"; the workspace also holds {', '.join(others)}, left out (choose with --dataset)"
    if ingested is not None and not wanted and chosen is None:
        line += " (the sources given hold no firms)"
    return (tuple(chosen) if chosen is not None else None), line


@app.command()
def scan(
    sources: Annotated[
        list[Path] | None, typer.Argument(help="Source files to ingest first, then scan alone (none: scan the "
                                                "workspace as it is).")
    ] = None,
    format: FormatOpt = "generic",
    column: ColumnOpt = None,
    workspace: WorkspaceOpt = WORKSPACE,
    postcodes: PostcodesOpt = None,
    geocode_table: GeocodeTableOpt = None,
    crs: CrsOpt = None,
    country: CountryOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    code_system: CodeSystemOpt = None,
    date_format: DateFormatOpt = None,
    sheet: SheetOpt = None,
    skip_rows: SkipRowsOpt = 0,
    out: OutOpt = Path("scan-out"),
    as_of: AsOfOpt = None,
    dataset: Annotated[
        list[str] | None, typer.Option(flag_of("datasets"), help=_help("datasets", "Repeatable; default: the "
                                                                    "SOURCE files' datasets, else all."))
    ] = None,
    city: Annotated[list[str] | None, typer.Option(flag_of("cities"), help=_help("cities", "Repeatable."))] = None,
    bbox: Annotated[str | None, typer.Option(flag_of("bbox"), metavar="MIN_LON,MIN_LAT,MAX_LON,MAX_LAT",
                                             help=_help("bbox"))] = None,
    recent_years: Annotated[int, typer.Option(flag_of("recent_years"), help=_help("recent_years"))] = (
        DEFAULTS.recent_years),
    min_firms: Annotated[int, typer.Option(flag_of("min_firms"), help=_help("min_firms"))] = DEFAULTS.min_firms,
    max_radius_km: Annotated[float, typer.Option(flag_of("max_radius_km"),
                                                 help=_help("max_radius_km", "Give 0 for none."))] = (
        DEFAULTS.max_radius_km or 0.0),
    max_population: Annotated[float, typer.Option(flag_of("max_population"), help=_help("max_population"))] = (
        DEFAULTS.max_population),
    max_clusters: Annotated[int, typer.Option(flag_of("max_clusters"), help=_help("max_clusters"))] = (
        DEFAULTS.max_clusters),
    permutations: Annotated[int, typer.Option(flag_of("permutations"), help=_help("permutations"))] = (
        DEFAULTS.permutations),
    screen_permutations: Annotated[int, typer.Option(flag_of("screen_permutations"),
                                                     help=_help("screen_permutations", "Give 0 for none."))] = (
        DEFAULTS.screen_permutations or 0),
    screen_alpha: Annotated[float, typer.Option(flag_of("screen_alpha"), help=_help("screen_alpha"))] = (
        DEFAULTS.screen_alpha),
    alpha: Annotated[float, typer.Option(flag_of("alpha"), help=_help("alpha"))] = DEFAULTS.alpha,
    status_alpha: Annotated[float, typer.Option(flag_of("status_alpha"), help=_help("status_alpha"))] = (
        DEFAULTS.status_alpha),
    trend_periods: Annotated[int, typer.Option(flag_of("trend_periods"), help=_help("trend_periods"))] = (
        DEFAULTS.trend_periods),
    min_date_coverage: Annotated[float, typer.Option(flag_of("min_date_coverage"),
                                                     help=_help("min_date_coverage"))] = DEFAULTS.min_date_coverage,
    min_dated_years: Annotated[int, typer.Option(flag_of("min_dated_years"), help=_help("min_dated_years"))] = (
        DEFAULTS.min_dated_years),
    merge_overlap: Annotated[float, typer.Option(flag_of("merge_overlap"), help=_help("merge_overlap"))] = (
        DEFAULTS.merge_overlap),
    site_km: Annotated[float, typer.Option(flag_of("site_km"), help=_help("site_km"))] = DEFAULTS.site_km,
    kd_max_candidates: Annotated[int, typer.Option(flag_of("kd_max_candidates"),
                                                   help=_help("kd_max_candidates"))] = DEFAULTS.kd_max_candidates,
    kd_max_firms: Annotated[int, typer.Option(flag_of("kd_max_firms"), help=_help("kd_max_firms"))] = (
        DEFAULTS.kd_max_firms),
    kd_permutations: Annotated[int, typer.Option(flag_of("kd_permutations"), help=_help("kd_permutations"))] = (
        DEFAULTS.kd_permutations),
    no_text: Annotated[bool, typer.Option(flag_of("use_text"), help="Skip text-derived activities (without it: "
                                          + setting_help("use_text").rstrip(".").lower() + ").")] = (
        not DEFAULTS.use_text),
    no_entries: Annotated[bool, typer.Option(flag_of("entries"), help="Do not test the young firms as an activity "
                                             "(without it: " + setting_help("entries").rstrip(".")[0].lower()
                                             + setting_help("entries").rstrip(".")[1:] + ").")] = (
        not DEFAULTS.entries),
    text_method: Annotated[str, typer.Option(flag_of("text_method"), help=_help("text_method"))] = (
        DEFAULTS.text_method),
    stop_words: Annotated[str, typer.Option(flag_of("stop_words"), help=_help("stop_words"))] = DEFAULTS.stop_words,
    seed: SeedOpt = None,
    scheduler: SchedulerOpt = "threads",
) -> None:
    """Find cluster candidates: activities (codes, texts) concentrated in a place, ranked, with their evidence.

    Ingests SOURCE files into the workspace (as `clusterwatch ingest` does) and scans their firms alone, or scans
    the workspace as it is (--dataset, --city and --bbox choose firms); tests every activity with a Bernoulli
    spatial scan (Benjamini–Hochberg across all), merges overlapping clusters into candidates, measures entries,
    young and SME shares and their trends against the register's own rates, and writes candidates.csv,
    candidate_firms.csv, candidates.geojson, activities.csv and report.html to --out.
    """
    from clusterwatch import __version__
    from clusterwatch.candidates import find_candidates, select_firms
    from clusterwatch.io.workspace import Workspace
    from clusterwatch.report.scan import write_scan_html
    from clusterwatch.stats import resolve_seed

    # every setting checked before anything is read (an OptionError is a usage error, exit 2)
    config = CandidateConfig(
        recent_years=recent_years, min_firms=min_firms, max_radius_km=max_radius_km or None,
        max_population=max_population, max_clusters=max_clusters, permutations=permutations,
        screen_permutations=screen_permutations or None, screen_alpha=screen_alpha, alpha=alpha,
        status_alpha=status_alpha, trend_periods=trend_periods, min_date_coverage=min_date_coverage,
        min_dated_years=min_dated_years, merge_overlap=merge_overlap, site_km=site_km,
        entries=not no_entries, kd_max_candidates=kd_max_candidates,
        kd_max_firms=kd_max_firms, kd_permutations=kd_permutations, use_text=not no_text, text_method=text_method,
        stop_words=stop_words, datasets=tuple(dataset) if dataset else None, cities=tuple(city) if city else None,
        bbox=parse_bbox(bbox))
    run_seed = resolve_seed(seed)
    with _progress() as progress:
        task = progress.add_task("starting", total=6)
        ingested = None
        if sources:  # ingest's own implementation, with all of its options
            progress.update(task, description=f"reading {len(sources)} source(s)")
            result, rejected_path = ingest_sources(
                sources, workspace, SourceOptions(
                    format=format, columns=tuple(column or ()), postcodes=postcodes, geocode_table=geocode_table,
                    crs=crs, country=country, encoding=encoding, delimiter=delimiter, code_system=code_system,
                    date_format=date_format, sheet=sheet, skip_rows=skip_rows),
                on_source=lambda message: progress.update(task, description=message))
            print_ingest_report(result, workspace, rejected_path)
            ingested = [s.dataset for s in result.report.sources]
        progress.advance(task)
        progress.update(task, description=f"reading {workspace}")
        with Workspace(workspace, read_only=True) as ws:
            chosen, line = _choose_datasets(ws, list(dataset) if dataset else None, ingested)
            firms = ws.firms(as_of=as_of, datasets=chosen)
            events = ws.events(as_of=as_of)
            relations = ws.relations(as_of=as_of)
            data_sources = ws.sources()
            rejected = ws.rejected()
        if firms.empty:
            raise InputError(f"no firms in {workspace}" + (f" as of {as_of}" if as_of else "")
                             + (f" in {', '.join(chosen)}" if chosen else ""))
        # the datasets the scan reads: those of its firms and those whose events belong to them
        ids = set(firms["firm_id"].astype(str))
        linked = events.loc[events["firm_id"].astype(str).isin(ids), "dataset"].astype(str)
        used = sorted(set(firms["dataset"].astype(str)) | set(linked))
        formats = data_sources.loc[data_sources["dataset"].astype(str).isin(used), "format"].astype(str).tolist()
        config = config.replace(datasets=chosen, stop_words=resolve_stop_words(config.stop_words, formats))
        if config.use_text:
            line += f" (stop words: {config.stop_words}" + (", from the formats" if stop_words == "auto" else "") + ")"
        console.print(escape(line))
        progress.advance(task)

        def on_step(message: str, done: int, total: int) -> None:
            progress.update(task, description=message, completed=1 + done * 4 // max(total, 1))

        found = find_candidates(firms, events, as_of=as_of, config=config, relations=relations,
                                text_cache=str(workspace), rng=run_seed.entropy, progress=on_step,
                                scheduler=scheduler)
        progress.update(task, description=f"writing {out}", completed=5)
        from clusterwatch.report.gis import write_candidate_outputs

        # CSVs (spreadsheet-safe; candidate_firms.csv with names, addresses, places), GeoJSON, GeoPackage, GeoParquet
        write_candidate_outputs(found, firms, out)
        rejected = rejected[rejected["dataset"].astype(str).isin(used)] if len(rejected) else rejected
        rejected_counts = (rejected.groupby(["dataset", "reason"]).size().rename("rows").reset_index()
                           if len(rejected) else pd.DataFrame(columns=["dataset", "reason", "rows"]))
        scanned, _ = select_firms(firms, config, None)
        page = write_scan_html(out / "report.html", found, scanned,
                               sources=data_sources[data_sources["dataset"].astype(str).isin(used)],
                               rejected=rejected_counts,
                               versions={"clusterwatch": __version__, "pandas": pd.__version__})
        progress.advance(task)

    p = found.parameters
    console.print(f"Scanned {p['n_firms']:,} firms as of {p['as_of']}: {p['n_activities']} activities "
                  f"(text: {escape(found.text_method)}), {p['n_clusters_tested']} clusters tested, "
                  f"{len(found.candidates)} candidates at q ≤ {config.alpha} (seed {found.seed})")
    for note in found.notes:
        console.print(f"[yellow]Note:[/yellow] {escape(note)}")
    table = Table(title="Cluster candidates (best first)")
    for name in ("id", "status", "score", "label", "firms", "young", "q", "trend"):
        table.add_column(name, justify="right" if name in ("score", "firms", "young", "q") else "left")
    for row in found.candidates.head(20).itertuples(index=False):
        young = "" if pd.isna(row.recent_share) else f"{row.recent_share:.0%}"
        table.add_row(row.candidate_id, row.status, f"{row.score:.1f}", escape(str(row.label))[:36],
                      str(row.n_firms), young, f"{row.q_value:.3f}", row.trend)
    console.print(table)
    console.print(f"Wrote {out / 'candidates.csv'}, candidate_firms.csv, candidate_pieces.csv, clusters_tested.csv, "
                  "activities.csv, candidates.geojson, candidates.gpkg (circles, member firms, cells), GeoParquet")
    console.print(f"Report: {page}")
