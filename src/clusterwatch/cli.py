"""The ``clusterwatch`` command-line program: a thin layer over the library.

Exit codes: 0 success; 1 bad input or a failure, with a one-line reason on stderr; 2 usage error (unknown option,
missing argument, an option value that is not allowed, such as an unknown --format).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from clusterwatch import __version__
from clusterwatch.errors import ClusterwatchError, OptionError
from clusterwatch.schema import ACTIVITY_COLUMNS, FIRM_COLUMNS, RELATION_COLUMNS, Column, names

app = typer.Typer(
    name="clusterwatch",
    help="Find business clusters before they have a name: ingest firm registers, measure concentration and emergence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=False)
err_console = Console(stderr=True)

WorkspaceOpt = Annotated[
    Path, typer.Option("--workspace", "-w", help="Workspace file (DuckDB).", show_default=True)
]


def _version(value: bool) -> None:
    if value:
        console.print(f"clusterwatch {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """clusterwatch: find business clusters before they have a name."""


def _parse_columns(values: Sequence[str]) -> dict[str, str]:
    allowed = [*names(FIRM_COLUMNS), "x", "y"]
    out: dict[str, str] = {}
    for item in values:
        if "=" not in item:
            raise typer.BadParameter(f"{item!r} is not canonical=SOURCE_COLUMN", param_hint="--column")
        canonical, source = (p.strip() for p in item.split("=", 1))
        if canonical not in allowed:
            raise typer.BadParameter(
                f"{canonical!r} is not a canonical column; one of: {', '.join(allowed)}", param_hint="--column"
            )
        out[canonical] = source
    return out


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )


@app.command()
def ingest(
    sources: Annotated[list[Path], typer.Argument(help="Source files: CSV, CSV.gz, TSV, Excel, Parquet, JSON/JSONL.")],
    format: Annotated[
        str, typer.Option("--format", "-f", help="Source format (see `clusterwatch formats`).")
    ] = "generic",
    column: Annotated[
        list[str] | None,
        typer.Option("--column", "-c", help="Map a column: canonical=SOURCE_COLUMN (repeatable)."),
    ] = None,
    workspace: WorkspaceOpt = Path("clusterwatch.duckdb"),
    postcodes: Annotated[
        Path | None, typer.Option(help="UK full-postcode lookup file (without it: postcode district centroids).")
    ] = None,
    geocode_table: Annotated[
        Path | None, typer.Option("--geocode-table", help="Table key,lat,lon for keys no shipped table covers.")
    ] = None,
    crs: Annotated[str | None, typer.Option(help="CRS of projected x/y columns, e.g. EPSG:3857.")] = None,
    country: Annotated[
        str | None, typer.Option(help="ISO country code of rows without one (picks the postcode table).")
    ] = None,
    encoding: Annotated[str | None, typer.Option(help="Text encoding of CSV files (default utf-8).")] = None,
    delimiter: Annotated[str | None, typer.Option(help="CSV field separator (default: detected).")] = None,
    code_system: Annotated[
        str | None, typer.Option("--code-system", help="Code system of the code column: naics, nace2, uksic2007 ...")
    ] = None,
    date_format: Annotated[
        str | None, typer.Option("--date-format", help="strptime format of non-ISO dates, e.g. %d/%m/%Y.")
    ] = None,
    dataset: Annotated[
        str | None, typer.Option(help="Name to store a single source under (default: its file name).")
    ] = None,
) -> None:
    """Read sources into the canonical schema and store them in the workspace.

    Re-ingesting a source (same dataset name) replaces it. Rejected rows, each with file, line and reason, go to
    rejected.csv beside the workspace. A file that cannot be used at all stops the command and leaves the workspace
    as it was.
    """
    from clusterwatch.io.ingest import read_firms
    from clusterwatch.io.workspace import Workspace

    mapping = _parse_columns(column or [])
    with _progress() as progress:
        task = progress.add_task("reading", total=len(sources) + 1)

        started = {"n": 0}

        def on_source(message: str) -> None:
            if started["n"]:
                progress.advance(task)
            started["n"] += 1
            progress.update(task, description=message)

        result = read_firms(
            [str(s) for s in sources],
            format=format,
            columns=mapping,
            postcodes=postcodes,
            geocode_table=geocode_table,
            crs=crs,
            country=country,
            encoding=encoding,
            delimiter=delimiter,
            code_system=code_system,
            date_format=date_format,
            dataset=dataset,
            progress=on_source,
        )
        progress.advance(task)
        progress.update(task, description=f"storing in {workspace}")
        with Workspace(workspace) as ws:
            ws.store(result)
            rejected_path = ws.rejected_path
        progress.advance(task)
    table = Table(title=f"Ingested into {workspace}", show_lines=False)
    for col in ("dataset", "format", "read", "accepted", "rejected", "firms", "activities", "relations"):
        table.add_column(col, justify="left" if col in ("dataset", "format") else "right")
    for s in result.report.sources:
        table.add_row(s.dataset, s.format, f"{s.rows_read:,}", f"{s.accepted:,}", f"{s.rejected:,}",
                      f"{s.firms:,}", f"{s.activities:,}", f"{s.relations:,}")
    console.print(table)
    for s in result.report.sources:
        if s.rejected_by_reason:
            reasons = "; ".join(f"{k}: {v:,}" for k, v in list(s.rejected_by_reason.items())[:6])
            console.print(f"[bold]{escape(s.dataset)}[/bold] rejected — {escape(reasons)}")
        if s.located_by:
            located = ", ".join(f"{k}: {v:,}" for k, v in s.located_by.items())
            console.print(f"[bold]{escape(s.dataset)}[/bold] located by — {escape(located)}")
        for note in s.notes:
            console.print(f"[bold]{escape(s.dataset)}[/bold] note — {escape(note)}")
    if result.report.rejected:
        console.print(f"Rejected rows with their reasons: {rejected_path}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the demo workspace and its outputs.")] = Path(
        "demo-out"
    ),
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
) -> None:
    """Run the main job on the bundled demo data (a real regional slice of SBIR awards).

    Ingests the demo (753 Massachusetts SBIR firms, 1983-2002, with award abstracts) into OUT/clusterwatch.duckdb,
    runs `clusterwatch scan` as of the data's last date and writes the candidates and report.html to OUT. A
    regional register of 753 firms is small, so windows may hold up to 30 % of the firms (scan's default, 10 %, is
    sized for registers of tens of thousands), activities need 8 firms and p-values come from 9,999 replicates.
    """
    from clusterwatch import demo_path
    from clusterwatch.commands.scan import scan

    out.mkdir(parents=True, exist_ok=True)
    # the main job itself, with the config's defaults but for what a register of 753 firms needs: windows up to
    # 30 % of the firms, 9,999 replicates, and text groups of at least 8 firms (smaller ones have no power here)
    scan(sources=[Path(demo_path())], format="sbir-awards", workspace=out / "clusterwatch.duckdb", out=out,
         max_population=0.3, permutations=9999, min_firms=8, seed=seed)
    console.print(f"Demo report: {out / 'report.html'}  (open it in a browser; it works offline)")


@app.command()
def info(workspace: WorkspaceOpt = Path("clusterwatch.duckdb")) -> None:
    """Show what the workspace holds: datasets, counts, column coverage, date range, bounding box."""
    from clusterwatch.io.workspace import Workspace

    with Workspace(workspace, read_only=True) as ws:
        summary = ws.summary()
    counts = summary["counts"]
    sources = summary["sources"].set_index("dataset") if len(summary["sources"]) else None
    table = Table(title=f"Workspace {workspace}")
    for col in ("dataset", "format", "ingested", "firms", "activities", "relations", "rejected"):
        table.add_column(col, justify="left" if col in ("dataset", "format", "ingested") else "right")
    for row in counts.itertuples(index=False):
        fmt = str(sources.loc[row.dataset, "format"]) if sources is not None else ""
        when = str(sources.loc[row.dataset, "ingested_at"]) if sources is not None else ""
        table.add_row(str(row.dataset), fmt, when, f"{row.firms:,}", f"{row.activities:,}", f"{row.relations:,}",
                      f"{row.rejected:,}")
    console.print(table)
    if sources is not None:
        for name, row in sources.iterrows():
            reasons = json.loads(row["rejected_by_reason"] or "{}")
            if reasons:
                shown = "; ".join(f"{k}: {v:,}" for k, v in reasons.items())
                console.print(f"[bold]{escape(str(name))}[/bold] rejected — {escape(shown)}")
            for note in json.loads(row["notes"] or "[]"):
                console.print(f"[bold]{escape(str(name))}[/bold] note — {escape(note)}")
    if summary["n_firms"]:
        by_dataset = summary["coverage_by_dataset"]
        cov = Table(title=f"Column coverage ({summary['n_firms']:,} firms): share of firms with a value")
        cov.add_column("column")
        cov.add_column("all", justify="right")
        for name in by_dataset.columns:
            cov.add_column(str(name), justify="right")
        for name, share in summary["coverage"].items():
            cov.add_row(name, f"{share:.0%}", *(f"{v:.0%}" for v in by_dataset.loc[name]))
        console.print(cov)
        lo, hi = summary["founded_range"]
        console.print(f"Founded: {lo} … {hi}")
        a_lo, a_hi = summary["activity_range"]
        if a_lo is not None:
            console.print(f"Activities dated: {a_lo} … {a_hi}")
        s, w, n, e = summary["bbox"]
        console.print(f"Bounding box (lat, lon): south {s:.4f}, west {w:.4f}, north {n:.4f}, east {e:.4f}")


@app.command()
def formats() -> None:
    """List the source formats (adapters) that --format accepts."""
    from clusterwatch.io.adapters import list_adapters

    table = Table(title="Source formats")
    table.add_column("format")
    table.add_column("what it reads")
    for adapter in list_adapters():
        table.add_row(adapter.name, adapter.description)
    console.print(table)


@app.command()
def schema() -> None:
    """Show the canonical columns of firms, activities and relations."""

    def show(title: str, columns: tuple[Column, ...]) -> None:
        table = Table(title=title)
        for col in ("column", "type", "required", "meaning"):
            table.add_column(col)
        for c in columns:
            table.add_row(c.name, c.dtype, "yes" if c.required else "", c.meaning)
        console.print(table)

    show("firms", FIRM_COLUMNS)
    show("activities", ACTIVITY_COLUMNS)
    show("relations", RELATION_COLUMNS)


def _load_commands() -> None:
    """Import every module of :mod:`clusterwatch.commands`, each of which adds commands to :data:`app`."""
    import importlib
    import pkgutil

    from clusterwatch import commands

    for info_ in pkgutil.iter_modules(commands.__path__):
        if not info_.name.startswith("_"):
            importlib.import_module(f"clusterwatch.commands.{info_.name}")


_load_commands()


def run(argv: Sequence[str] | None = None) -> int:
    """Run the program with ``argv`` (default: ``sys.argv[1:]``) and return its exit code."""
    try:
        app(args=list(argv) if argv is not None else None, prog_name="clusterwatch", standalone_mode=True)
    except SystemExit as exc:  # typer exits on its own after help, usage errors (2) and success
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except OptionError as exc:  # a value the options do not allow is a usage error
        print(f"clusterwatch: usage error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except ClusterwatchError as exc:
        message = " ".join(str(exc).split())
        print(f"clusterwatch: error: {message}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"clusterwatch: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: one line by default, the traceback on request
        if os.environ.get("CLUSTERWATCH_DEBUG"):
            raise
        message = " ".join(str(exc).split())[:300]
        print(f"clusterwatch: internal error: {type(exc).__name__}: {message} "
              "(set CLUSTERWATCH_DEBUG=1 for the traceback, and please report it)", file=sys.stderr)
        return 1
    return 0


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())


if __name__ == "__main__":  # pragma: no cover
    main()
