"""Every option that more than one command takes, defined once, with one default and one short flag each.

Commands import the program (:data:`app`), the consoles and these options from here and from
:mod:`clusterwatch.cli.console` only; nothing here imports a command, so there is no cycle between the program and
its commands.

Short flags have one meaning across the program: ``-f`` ``--format``, ``-m`` ``--column`` (map a column), ``-w``
``--workspace``, ``-o`` ``--out``, ``-d`` ``--dataset`` (choose datasets), ``-c`` ``--code``, ``-j`` ``--jobs``.

Defaults that depend on the method (documented where they differ):

- ``--permutations``: :data:`PERMUTATIONS` (999), SaTScan's and esda's default number of replicates.
- ``--max-population`` of the Bernoulli spatial scan (``scan-space``) and the space-time scan's largest spatial share
  (``emerging``): :data:`MAX_POPULATION` = 0.5, the default of Kulldorff's scan statistic in SaTScan ("maximum
  spatial cluster size: 50 percent of the population at risk"; Kulldorff 1997). The main job ``scan`` is a different
  method — it looks for *places*, so its circles hold at most 10 % of the register and 25 km
  (:class:`~clusterwatch.candidates.CandidateConfig`, whose default its option takes) — and ``demo`` passes 0.3 on
  purpose for a register of 753 firms (its docstring says why); neither is a second default of this option.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from clusterwatch.schema import FIRM_COLUMNS, names

__all__ = [
    "MAX_POPULATION", "PERMUTATIONS", "WORKSPACE", "AlphaOpt", "AsOfOpt", "CodeOpt", "CodeSystemOpt", "ColumnOpt",
    "CountryOpt", "CrsOpt", "DatasetNameOpt", "DatasetOpt", "DateFormatOpt", "DelimiterOpt", "EncodingOpt",
    "FormatOpt", "GeocodeTableOpt", "JobsOpt", "MaxPopulationOpt", "NullOpt", "OutOpt", "PermutationsOpt",
    "PostcodesOpt", "SchedulerOpt", "SeedOpt", "SheetOpt", "SkipRowsOpt", "WorkspaceOpt", "app", "check_date",
    "check_out", "date_callback", "null_callback", "parse_columns", "scheduler_callback",
]

app = typer.Typer(
    name="clusterwatch",
    help="Find business clusters before they have a name: ingest firm registers, measure concentration and emergence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Monte Carlo replicates unless a method says otherwise (SaTScan's and esda's 999).
PERMUTATIONS = 999
#: Largest scan window as a share of the population at risk: SaTScan's default for Kulldorff's scan (50 %).
MAX_POPULATION = 0.5
#: The workspace file every command reads by default.
WORKSPACE = Path("clusterwatch.duckdb")


# ---------------------------------------------------------------------------------------------------------- checks
def check_date(value: str | None, flag: str = "--as-of") -> str | None:
    """A date option's value as ``YYYY-MM-DD``, or a usage error naming the option and saying what is wrong.

    Examples
    --------
    >>> check_date("2020-02-29")
    '2020-02-29'
    >>> for bad in ("2020-02-30", "2020-13-01", "1/2/2020"):
    ...     try:
    ...         check_date(bad)
    ...     except typer.BadParameter as exc:
    ...         print(exc.message)
    '2020-02-30' is not a date (YYYY-MM-DD): day is out of range for month
    '2020-13-01' is not a date (YYYY-MM-DD): month must be in 1..12
    '1/2/2020' is not a date (YYYY-MM-DD): it is not in that form
    """
    if value is None:
        return None
    text = str(value).strip()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        reason = str(exc)
        if reason.startswith("Invalid isoformat string"):
            reason = "it is not in that form"
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD): {reason}", param_hint=flag) from None
    return day.isoformat()


def date_callback(ctx: typer.Context, param: typer.CallbackParam, value: str | None) -> str | None:
    """A typer callback for any date option (``--since``, ``--start`` ...): :func:`check_date` naming it."""
    flag = param.opts[0] if param.opts else "--as-of"
    return check_date(value, flag)


def check_out(path: Path, flag: str = "--out") -> Path:
    """``path`` if it is, or can be made, a writable folder; else a usage error before anything is computed.

    The folder is not created here (a command that fails later leaves no empty folder behind); its nearest existing
    ancestor must be a folder this process may write in.
    """
    probe = Path(path).expanduser()
    if probe.exists():
        if not probe.is_dir():
            raise typer.BadParameter(f"{str(path)!r} is a file, not a folder", param_hint=flag)
        if not os.access(probe, os.W_OK | os.X_OK):
            raise typer.BadParameter(f"the folder {str(path)!r} is not writable", param_hint=flag)
        return path
    parent = probe.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise typer.BadParameter(f"{str(path)!r} cannot be made: {str(parent)!r} is a file", param_hint=flag)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise typer.BadParameter(f"{str(path)!r} cannot be made: {str(parent)!r} is not writable", param_hint=flag)
    return path


def _out_callback(value: Path | None) -> Path | None:
    return None if value is None else check_out(value)


def parse_columns(values: Sequence[str]) -> dict[str, str]:
    """``--column canonical=SOURCE`` values as a mapping, or a usage error naming the bad one and the allowed names."""
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


# ------------------------------------------------------------------------------------------------- where and when
WorkspaceOpt = Annotated[Path, typer.Option("--workspace", "-w", help="Workspace file (DuckDB).", show_default=True)]
OutOpt = Annotated[
    Path, typer.Option("--out", "-o", callback=_out_callback,
                       help="Folder for the outputs (made if missing; checked writable before any computing).")
]
AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", callback=date_callback,
                             help="Use only what was known on this date, YYYY-MM-DD (default: the data's last).")
]
DatasetOpt = Annotated[
    list[str] | None, typer.Option("--dataset", "-d", help="Only firms of these workspace datasets (repeatable).")
]

# ------------------------------------------------------------------------------------------------------ inference
SeedOpt = Annotated[int | None, typer.Option("--seed", min=0, help="Random seed (default: drawn, then printed).")]
PermutationsOpt = Annotated[int, typer.Option("--permutations", min=0, help="Monte Carlo replicates.")]
MaxPopulationOpt = Annotated[
    float, typer.Option("--max-population", help="Largest Bernoulli scan window as a share of all firms, in (0, 0.5] "
                                                 "(SaTScan's default: 0.5).")
]
AlphaOpt = Annotated[float, typer.Option("--alpha", help="False-discovery rate (Benjamini-Hochberg).")]
JobsOpt = Annotated[int | None, typer.Option("--jobs", "-j", min=1, help="Worker threads (default: all CPUs).")]


def null_callback(value: str) -> str:
    """``--null`` checked against the Gi* nulls (:data:`clusterwatch.stats.gistar.NULLS`), as a usage error."""
    from clusterwatch.stats.gistar import NULLS

    if value not in NULLS:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(NULLS)}", param_hint="--null")
    return value


NullOpt = Annotated[
    str, typer.Option("--null", callback=null_callback,
                      help="The Gi* null the p-values test: total (each cell's value placed at random over all cells, "
                           "the null of Ord & Getis's z; the default) or conditional (esda's: the cell's own value "
                           "held, the others permuted; permutation p-values only).")
]

# ---------------------------------------------------------------------------------------------------- activities
CodeOpt = Annotated[
    list[str] | None,
    typer.Option("--code", "-c", help="The activity: an industry code at any level, e.g. 31-33, 5417, J, 62 "
                                      "(repeatable: firms with any of them). A firm matches on any of its codes."),
]
CodeSystemOpt = Annotated[
    str | None, typer.Option("--code-system", help="Code system of the codes: naics, nace2, uksic2007, sn2007 "
                                                   "(default: the firms' only system, or inferred on ingest).")
]

# ---------------------------------------------------------------------------------- reading sources (ingest, scan)
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="Source format (see `clusterwatch formats`).")]
ColumnOpt = Annotated[
    list[str] | None, typer.Option("--column", "-m", help="Map a column: canonical=SOURCE_COLUMN (repeatable).")
]
PostcodesOpt = Annotated[
    Path | None, typer.Option("--postcodes", help="UK full-postcode lookup file (without it: postcode district "
                                                  "centroids).")
]
GeocodeTableOpt = Annotated[
    Path | None, typer.Option("--geocode-table", help="Table key,lat,lon for keys no shipped table covers.")
]
CrsOpt = Annotated[str | None, typer.Option("--crs", help="CRS of projected x/y columns, e.g. EPSG:3857.")]
CountryOpt = Annotated[
    str | None, typer.Option("--country", help="ISO country code of rows without one (picks the postcode table).")
]
EncodingOpt = Annotated[
    str | None, typer.Option("--encoding", help="Text encoding of CSV files: utf-8 (default), latin-1, cp1252 ...")
]
DelimiterOpt = Annotated[
    str | None, typer.Option("--delimiter", help="CSV field separator (default: detected). With ';' a decimal comma "
                                                 "in coordinates is read as a decimal point.")
]
DateFormatOpt = Annotated[
    str | None, typer.Option("--date-format", help="strptime format of non-ISO dates, e.g. %d/%m/%Y.")
]
SheetOpt = Annotated[str | None, typer.Option("--sheet", help="Excel sheet: its name or 0-based index (default: the "
                                                              "first).")]
SkipRowsOpt = Annotated[
    int, typer.Option("--skip-rows", min=0, help="Lines above the header to skip (Excel title rows, CSV preambles).")
]
DatasetNameOpt = Annotated[
    str | None, typer.Option("--dataset", help="Name to store a single source under (default: its file name).")
]

# ------------------------------------------------------------------------------------------------------ scheduler
def scheduler_callback(value: str | None) -> str | None:
    """A typer callback for ``--scheduler``: :func:`clusterwatch.compute.check_scheduler` as a usage error.

    The forms: ``serial``, ``threads`` (default), ``processes``, ``tcp://host:port`` (an existing Dask cluster) and
    ``local:N`` (a Dask LocalCluster of N workers on this machine, started for the run and closed after); the Dask
    forms need ``pip install 'clusterwatch[dask]'`` (on the workers too), checked here before anything is read.
    """
    if value in (None, "serial", "threads", "processes"):
        return value  # the common case imports nothing
    from clusterwatch.compute import check_scheduler
    from clusterwatch.errors import OptionError

    try:
        checked = check_scheduler(value)
        if checked is not None and (checked.startswith("tcp://") or checked.startswith("local:")):
            from clusterwatch._optional import import_optional

            import_optional("dask.distributed", extra="dask")
    except (OptionError, ImportError) as exc:
        raise typer.BadParameter(str(exc), param_hint="--scheduler") from None
    return checked


SchedulerOpt = Annotated[
    str, typer.Option("--scheduler", callback=scheduler_callback,
                      help="Where replicates run: threads, processes, serial, tcp://host:port (an existing Dask "
                           "cluster) or local:N (a Dask LocalCluster of N workers); results do not depend on it.")
]
