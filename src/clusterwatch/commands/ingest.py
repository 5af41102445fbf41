"""``clusterwatch ingest``, and the one implementation of reading sources into a workspace that ``scan`` reuses."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from clusterwatch.cli.console import console, escape, fmt, print_table, progress
from clusterwatch.cli.options import (
    WORKSPACE,
    CodeSystemOpt,
    ColumnOpt,
    CountryOpt,
    CrsOpt,
    DatasetNameOpt,
    DateFormatOpt,
    DelimiterOpt,
    EncodingOpt,
    FormatOpt,
    GeocodeTableOpt,
    PostcodesOpt,
    SheetOpt,
    SkipRowsOpt,
    WorkspaceOpt,
    app,
    parse_columns,
)
from clusterwatch.io.ingest import IngestResult
from clusterwatch.io.workspace import INTERRUPTED_AFTER


@dataclass(frozen=True)
class SourceOptions:
    """How to read source files: the options ``ingest`` and ``scan`` share (see :func:`clusterwatch.read_firms`)."""

    format: str = "generic"
    columns: tuple[str, ...] = ()
    postcodes: Path | None = None
    geocode_table: Path | None = None
    crs: str | None = None
    country: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    code_system: str | None = None
    date_format: str | None = None
    sheet: str | None = None
    skip_rows: int = 0
    dataset: str | None = None


def _sheet(value: str | None) -> str | int | None:
    return int(value) if value is not None and value.strip().isdigit() else value


def ingest_sources(sources: Sequence[Path], workspace: Path, options: SourceOptions, *,
                   on_source: Callable[[str], None] | None = None) -> tuple[IngestResult, Path]:
    """Read ``sources`` with ``options`` and store them in ``workspace``; the result and the rejected-rows file.

    The store is one transaction: interrupted (Ctrl-C) or failing, it is rolled back and the workspace keeps what
    it held (an interruption says so on standard error and is raised again: exit code 130).
    """
    from clusterwatch.io.ingest import read_firms
    from clusterwatch.io.workspace import Workspace

    mapping = parse_columns(list(options.columns))
    result = read_firms(
        [str(s) for s in sources], format=options.format, columns=mapping, postcodes=options.postcodes,
        geocode_table=options.geocode_table, crs=options.crs, country=options.country, encoding=options.encoding,
        delimiter=options.delimiter, code_system=options.code_system, date_format=options.date_format,
        sheet=_sheet(options.sheet), skip_rows=options.skip_rows, dataset=options.dataset, progress=on_source,
    )
    if on_source:
        on_source(f"storing in {workspace}")
    workspace.parent.mkdir(parents=True, exist_ok=True)
    try:
        with Workspace(workspace) as ws:
            ws.store(result)
            rejected_path = ws.rejected_path
    except KeyboardInterrupt as exc:  # typer turns it into exit code 130 without a word: say what became of it
        if str(exc) == INTERRUPTED_AFTER:
            print(f"clusterwatch: interrupted while committing: the sources were stored in {workspace} in full",
                  file=sys.stderr)
        else:
            print(f"clusterwatch: interrupted while storing: nothing was stored, {workspace} holds what it held "
                  "before", file=sys.stderr)
        raise
    return result, rejected_path


def print_ingest_report(result: IngestResult, workspace: Path, rejected_path: Path) -> None:
    """What was read, accepted and rejected per source, how rows were located, and each source's notes."""
    print_table(f"Ingested into {workspace}",
                ("dataset", "format", "read", "accepted", "rejected", "firms", "events", "relations"),
                ((s.dataset, s.format, s.rows_read, s.accepted, s.rejected, s.firms, s.events, s.relations)
                 for s in result.report.sources),
                right=("read", "accepted", "rejected", "firms", "events", "relations"))
    for s in result.report.sources:
        if s.rejected_by_reason:
            reasons = "; ".join(f"{k}: {fmt(v)}" for k, v in list(s.rejected_by_reason.items())[:6])
            console.print(f"[bold]{escape(s.dataset)}[/bold] rejected — {escape(reasons)}")
        if s.located_by:
            located = ", ".join(f"{k}: {fmt(v)}" for k, v in s.located_by.items())
            console.print(f"[bold]{escape(s.dataset)}[/bold] located by — {escape(located)}")
        for note in s.notes:
            console.print(f"[bold]{escape(s.dataset)}[/bold] note — {escape(note)}")
    if result.report.rejected:
        console.print(f"Rejected rows with their reasons: {rejected_path}")


@app.command()
def ingest(
    sources: Annotated[list[Path], typer.Argument(help="Source files: CSV, CSV.gz, TSV, Excel, Parquet, JSON/JSONL.")],
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
    dataset: DatasetNameOpt = None,
) -> None:
    """Read sources into the canonical schema and store them in the workspace.

    Re-ingesting a source (same dataset name) replaces it. Rejected rows, each with file, line and reason, go to
    WORKSPACE.rejected.csv beside the workspace (clusterwatch.rejected.csv for clusterwatch.duckdb). A file that
    cannot be used at all, or an interruption while storing, leaves the workspace as it was.
    """
    options = SourceOptions(format=format, columns=tuple(column or ()), postcodes=postcodes,
                            geocode_table=geocode_table, crs=crs, country=country, encoding=encoding,
                            delimiter=delimiter, code_system=code_system, date_format=date_format, sheet=sheet,
                            skip_rows=skip_rows, dataset=dataset)
    parse_columns(list(options.columns))  # a usage error before anything is read
    with progress() as bar:
        task = bar.add_task("reading", total=len(sources) + 1)
        started = {"n": 0}

        def on_source(message: str) -> None:
            if started["n"]:
                bar.advance(task)
            started["n"] += 1
            bar.update(task, description=message)

        result, rejected_path = ingest_sources(sources, workspace, options, on_source=on_source)
        bar.advance(task)
    print_ingest_report(result, workspace, rejected_path)
