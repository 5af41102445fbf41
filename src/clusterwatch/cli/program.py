"""The ``clusterwatch`` program: the root command, the workspace commands, and :func:`run` with its exit codes.

Exit codes: 0 success; 1 bad input or a failure, with a one-line reason on stderr; 2 usage error (unknown option,
missing argument, an option value that is not allowed, such as an unknown --format or an impossible date);
130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

try:  # typer ships its own copy of click from 0.2x on; before, it used click itself
    from typer._click.exceptions import ClickException, UsageError
except ImportError:  # pragma: no cover - older typer
    from click.exceptions import ClickException, UsageError  # type: ignore[assignment,no-redef]

from clusterwatch import __version__
from clusterwatch.cli.console import console, escape, fmt, fmt_range, print_table
from clusterwatch.cli.options import WORKSPACE, OutOpt, SeedOpt, WorkspaceOpt, app
from clusterwatch.errors import ClusterwatchError, OptionError
from clusterwatch.schema import EVENT_COLUMNS, FIRM_COLUMNS, RELATION_COLUMNS, Column


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


@app.command()
def demo(out: OutOpt = Path("demo-out"), seed: SeedOpt = 1) -> None:
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
def info(workspace: WorkspaceOpt = WORKSPACE) -> None:
    """Show what the workspace holds: datasets, counts, column coverage, date range, bounding box."""
    from clusterwatch.io.workspace import Workspace

    with Workspace(workspace, read_only=True) as ws:
        summary = ws.summary()
    counts = summary["counts"]
    sources = summary["sources"].set_index("dataset") if len(summary["sources"]) else None
    rows = []
    for row in counts.itertuples(index=False):
        kind = str(sources.loc[row.dataset, "format"]) if sources is not None else ""
        when = fmt(sources.loc[row.dataset, "ingested_at"]) if sources is not None else ""
        rows.append((str(row.dataset), kind, when, row.firms, row.events, row.relations, row.rejected))
    print_table(f"Workspace {workspace}", ("dataset", "format", "ingested", "firms", "events", "relations",
                                           "rejected"), rows, right=("firms", "events", "relations", "rejected"))
    if sources is not None:
        for name, row in sources.iterrows():
            reasons = json.loads(row["rejected_by_reason"] or "{}")
            if reasons:
                shown = "; ".join(f"{k}: {fmt(v)}" for k, v in reasons.items())
                console.print(f"[bold]{escape(str(name))}[/bold] rejected — {escape(shown)}")
            for note in json.loads(row["notes"] or "[]"):
                console.print(f"[bold]{escape(str(name))}[/bold] note — {escape(note)}")
    if summary["n_firms"]:
        by_dataset = summary["coverage_by_dataset"]
        print_table(f"Column coverage ({fmt(summary['n_firms'])} firms): share of firms with a value",
                    ("column", "all", *(str(c) for c in by_dataset.columns)),
                    ((name, fmt(share, percent=True), *(fmt(v, percent=True) for v in by_dataset.loc[name]))
                     for name, share in summary["coverage"].items()),
                    right=("all", *(str(c) for c in by_dataset.columns)))
        console.print(f"Founded: {fmt_range(*summary['founded_range'], missing='no founding dates')}")
        e_lo, e_hi = summary["event_range"]
        if e_lo is not None:
            console.print(f"Events dated: {fmt_range(e_lo, e_hi)}")
        box = summary["bbox"]
        if box is not None and all(v is not None and v == v for v in box):
            s, w, n, e = box
            console.print(f"Bounding box (lat, lon): south {s:.4f}, west {w:.4f}, north {n:.4f}, east {e:.4f}")
        else:
            console.print("Bounding box: no located firms")


@app.command()
def formats() -> None:
    """List the source formats (adapters) that --format accepts."""
    from clusterwatch.io.adapters import list_adapters

    print_table("Source formats", ("format", "what it reads"), ((a.name, a.description) for a in list_adapters()))


@app.command()
def schema() -> None:
    """Show the canonical columns of firms, events (dated evidence) and relations."""

    def show(title: str, columns: tuple[Column, ...]) -> None:
        print_table(title, ("column", "type", "required", "meaning"),
                    ((c.name, c.dtype, "yes" if c.required else "", c.meaning) for c in columns))

    show("firms", FIRM_COLUMNS)
    show("events", EVENT_COLUMNS)
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
        # not standalone: usage errors come back here and are said in one line, as every other error is (typer's
        # boxed message is cut to 80 columns off a terminal)
        code = app(args=list(argv) if argv is not None else None, prog_name="clusterwatch", standalone_mode=False)
        return code if isinstance(code, int) else 0
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except ClickException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # `clusterwatch` alone: the help (exit 2, as before)
            exc.show()
            return exc.exit_code
        ctx = exc.ctx if isinstance(exc, UsageError) else None
        kind = "usage error" if isinstance(exc, UsageError) else "error"
        print(f"clusterwatch: {kind}: {' '.join(exc.format_message().split())}"
              + (f" (see `{ctx.command_path} --help`)" if ctx is not None else ""), file=sys.stderr)
        return exc.exit_code
    except typer.Abort:
        print("clusterwatch: aborted", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:  # Ctrl-C: say where it stopped (the store rolls back, the workspace is intact)
        where = f" {exc}" if str(exc) else ""
        print(f"clusterwatch: interrupted{where}", file=sys.stderr)
        return 130
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


