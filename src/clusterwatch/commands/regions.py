"""``clusterwatch regions``: which clusters each region has and how strong they are (LQ, flags, stars, relatedness)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.markup import escape

from clusterwatch.cli.console import console, print_table
from clusterwatch.cli.options import (
    WORKSPACE,
    AsOfOpt,
    CodeSystemOpt,
    DatasetOpt,
    OutOpt,
    WorkspaceOpt,
    app,
    date_callback,
)
from clusterwatch.errors import InputError, OptionError
from clusterwatch.validation import check_int

if TYPE_CHECKING:
    from clusterwatch.analysis.regional import RegionalAnalysis, RegionalTable


def _read_table(path: Path) -> pd.DataFrame:
    """An aggregate or mapping table from CSV (also .gz), TSV, Parquet or Excel, all columns as text."""
    if not path.exists():
        raise InputError("no such file", path=str(path))
    name = path.name.lower()
    try:
        if name.endswith(".parquet"):
            return pd.read_parquet(path).astype("string")
        if name.endswith((".xlsx", ".xls")):
            return pd.read_excel(path, dtype=str)
        return pd.read_csv(path, dtype=str, sep=None, engine="python", keep_default_na=False, na_values=[""])
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the table: {exc}", path=str(path)) from None


def _county_from_zip(firms: pd.DataFrame) -> pd.Series:
    """US county ('Deer Lodge County, MT') of each firm's ZIP, from the ``zipcodes`` package (the ZIP's county)."""
    import zipcodes

    core = getattr(zipcodes, "_zipcodes", zipcodes)  # the compiled core returns a fresh list, not a cached one
    lookup = {r["zip_code"]: f"{r['county']}, {r['state']}" for r in core.list_all() if r.get("county")}
    zips = firms["postcode"].astype("string").str.strip().str.slice(0, 5)
    return zips.map(lookup).astype("string")


@app.command()
def regions(
    workspace: WorkspaceOpt = WORKSPACE,
    as_of: AsOfOpt = None,
    dataset: DatasetOpt = None,
    region: Annotated[
        str, typer.Option(help="Region column: county, postcode, city, region, country ... or h3 (with --h3).")
    ] = "county",
    h3: Annotated[int | None, typer.Option("--h3", help="H3 resolution 0-15: regions are H3 cells.")] = None,
    industries: Annotated[
        str, typer.Option(help="clusters (US benchmark clusters), code, a code level (sector, division ...), mapping.")
    ] = "clusters",
    mapping: Annotated[
        Path | None, typer.Option(help="Table code,cluster[,name,traded]: a user mapping (codes may be prefixes).")
    ] = None,
    code_system: CodeSystemOpt = None,
    aggregate: Annotated[
        Path | None,
        typer.Option(help="An aggregate table (region, industry, employment, establishments) instead of firms."),
    ] = None,
    region_column: Annotated[str, typer.Option(help="Region column of --aggregate.")] = "region",
    industry_column: Annotated[str, typer.Option(help="Industry column of --aggregate.")] = "industry",
    employment_column: Annotated[str, typer.Option(help="Employment column of --aggregate ('' if none).")] = (
        "employment"),
    establishments_column: Annotated[
        str, typer.Option(help="Establishments column of --aggregate ('' if none).")] = "establishments",
    traded_column: Annotated[
        str | None, typer.Option(help="Traded/local column of --aggregate (true/false or traded/local).")] = None,
    name_column: Annotated[str | None, typer.Option(help="Industry name column of --aggregate.")] = None,
    reference: Annotated[
        Path | None, typer.Option(help="Benchmark totals per industry (industry, employment, establishments).")
    ] = None,
    measure: Annotated[
        str | None, typer.Option(help="employment or establishments (default: employment when known).")
    ] = None,
    flags: Annotated[str | None, typer.Option(help="Flag 'traded' clusters (default when typed) or 'all'.")] = None,
    star_size_top: Annotated[float, typer.Option(help="Size star: top share of a category's regions.")] = 0.10,
    star_lq: Annotated[float, typer.Option(help="Specialisation star: minimum location quotient.")] = 2.0,
    star_focus_top: Annotated[float, typer.Option(help="Focus star: top share of region shares.")] = 0.10,
    focus_scope: Annotated[str, typer.Option(help="Focus ranking over 'all' clusters or per 'industry'.")] = "all",
    entry_from: Annotated[
        str | None, typer.Option("--entry-from", callback=date_callback,
                                 help="Also show industries entering/leaving since this date (YYYY-MM-DD).")
    ] = None,
    top: Annotated[int, typer.Option(help="Strongest clusters listed per region.")] = 3,
    show: Annotated[int, typer.Option(help="Regions shown in the printed summary (the largest).")] = 10,
    out: OutOpt = Path("regions-out"),
) -> None:
    """Which clusters each region has and how strong they are: LQs, US Cluster Mapping flags, ECO stars.

    Also Krugman/Hoover specialisation, relatedness density, and industries entering and leaving since --entry-from.

    Input: the workspace's firms (each firm one establishment, employment from `employees`),
    or an aggregate table (--aggregate) such as County Business Patterns.

    Output in --out: regions.csv, strongest.csv, specialisation.csv, industries.csv, proximity.csv,
    entry_exit.csv (with --entry-from) and an offline regions.html with an inline SVG map.
    """
    from clusterwatch.analysis.regional import analyse_regions, entry_exit, firms_to_regions, regional_table
    from clusterwatch.io.workspace import Workspace
    from clusterwatch.report.regions import write_regions

    check_int(top, "--top", minimum=1)
    check_int(show, "--show", minimum=0)
    reference_table = _read_table(reference) if reference is not None else None
    mapping_table = _read_table(mapping) if mapping is not None else None
    entry = None
    if aggregate is not None:
        if entry_from is not None:
            raise OptionError("--entry-from needs firms from the workspace, not --aggregate")
        frame = _read_table(aggregate)
        table = regional_table(
            frame, region=region_column, industry=industry_column, employment=employment_column or None,
            establishments=establishments_column or None, traded=traded_column, industry_name=name_column,
            reference=reference_table, source=aggregate.name, as_of=as_of,
        )
    else:
        if not workspace.exists():
            raise InputError("no such workspace; run `clusterwatch ingest` first", path=str(workspace))

        def build(firms: pd.DataFrame, day: str | None) -> RegionalTable:
            column = region
            if (h3 is None and region == "county" and "county" in firms and firms["county"].isna().all()
                    and "postcode" in firms):
                firms = firms.assign(county_from_zip=_county_from_zip(firms))
                column = "county_from_zip"
                console.print("note — the firms have no county; counties derived from ZIP codes (zipcodes package)")
            return firms_to_regions(
                firms, region="h3" if h3 is not None else column, h3_resolution=h3, industries=industries,
                mapping=mapping_table, code_system=code_system, reference=reference_table, as_of=day,
            )

        with Workspace(workspace, read_only=True) as ws:
            firms = ws.firms(as_of=as_of, datasets=dataset)
            earlier = ws.firms(as_of=entry_from, datasets=dataset) if entry_from is not None else None
        if firms.empty:
            raise InputError("the workspace holds no firms for this selection", path=str(workspace))
        table = build(firms, as_of)
        if earlier is not None:
            entry = entry_exit(build(earlier, entry_from), table,
                               measure=measure or ("employment" if table.has_employment else "establishments"))
    analysis = analyse_regions(
        table, measure=measure, industries=flags, size_top=star_size_top, specialisation_min=star_lq,
        focus_top=star_focus_top, focus_scope=focus_scope,
    )
    paths = write_regions(analysis, out, top=top, entry=entry)
    _print_summary(analysis, top=top, show=show)
    if entry is not None:
        s = entry.summary.set_index("status")
        console.print(f"Entry/exit {entry.before.as_of} → {entry.after.as_of}: {s.loc['entry', 'cells']:,} entries, "
                      f"{s.loc['exit', 'cells']:,} exits; mean relatedness density of entries "
                      f"{s.loc['entry', 'mean_density_before']:.3f} vs "
                      f"{s.loc['absent', 'mean_density_before']:.3f} for industries that stayed absent")
    console.print(f"Wrote {', '.join(p.name for p in paths.values())} to {out}")


def _print_summary(analysis: RegionalAnalysis, *, top: int, show: int) -> None:
    p = analysis.provenance
    console.print(escape(p.describe()))
    if p.dropped:
        console.print("left out — " + escape("; ".join(f"{k}: {v:,}" for k, v in p.dropped.items())))
    cells = analysis.flags.cells
    strong = int(cells["strong"].fillna(False).astype(bool).sum())
    three = int((analysis.stars.cells["stars"] == 3).sum())
    console.print(f"{cells['region'].nunique():,} regions, {len(analysis.table.industries):,} industries; "
                  f"{strong:,} strong clusters (US Cluster Mapping), {three:,} three-star clusters")
    if show == 0:
        return
    largest = analysis.specialisation.regions.nlargest(show, "total")["region"]
    strongest = analysis.strongest(top)
    strongest = strongest[strongest["region"].isin(set(largest))]
    lq = f"lq_cm_{analysis.measure}" if analysis.table.has_traded else f"lq_{analysis.measure}"
    order = {r: i for i, r in enumerate(largest)}
    strongest = strongest.assign(_order=strongest["region"].map(order)).sort_values(["_order", "rank"])
    rows = []
    for row in strongest.itertuples(index=False):
        record = row._asdict()
        value = record[analysis.measure]
        rows.append((str(record["region"]), record["rank"], str(record["name"]),
                     round(float(value)) if pd.notna(value) else None, record[lq],
                     "yes" if _true(record["strong"]) else "", record["stars"]))
    print_table(f"Strongest clusters in the {len(largest)} largest regions (by {analysis.measure})",
                ("region", "rank", "cluster", analysis.measure, "LQ", "strong", "stars"), rows,
                right=(analysis.measure, "LQ", "rank", "stars"))


def _true(value: object) -> bool:
    return False if value is None or value is pd.NA else bool(value)
