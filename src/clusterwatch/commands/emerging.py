"""``clusterwatch emerging``: emerging hot spots and the prospective space-time scan of one activity's entries."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from clusterwatch.cli.console import console, fmt, print_table
from clusterwatch.cli.options import (
    MAX_POPULATION,
    PERMUTATIONS,
    WORKSPACE,
    AlphaOpt,
    AsOfOpt,
    CodeSystemOpt,
    DatasetOpt,
    JobsOpt,
    NullOpt,
    OutOpt,
    PermutationsOpt,
    SchedulerOpt,
    SeedOpt,
    WorkspaceOpt,
    app,
    date_callback,
)
from clusterwatch.errors import OptionError


@app.command()
def emerging(
    workspace: WorkspaceOpt = WORKSPACE,
    code: Annotated[
        str | None, typer.Option("--code", "-c", help="Official code at any level: NAICS 72, 5417, 31-33; NACE J, "
                                                      "62.01 ...")
    ] = None,
    code_system: CodeSystemOpt = None,
    cluster: Annotated[
        str | None, typer.Option(help="US benchmark cluster instead of --code: its code (13) or name.")
    ] = None,
    dataset: DatasetOpt = None,
    city: Annotated[
        list[str] | None, typer.Option(help="Only firms in these cities (repeatable, case-insensitive).")
    ] = None,
    resolution: Annotated[int, typer.Option(help="H3 resolution of the cells (8 ≈ 0.7 km², 7 ≈ 5 km²).")] = 8,
    period: Annotated[str, typer.Option(help="Period of the cube: year, quarter or month.")] = "year",
    start: Annotated[str | None, typer.Option("--start", callback=date_callback,
                                              help="Leave out entries before this date (YYYY-MM-DD).")] = None,
    as_of: AsOfOpt = None,
    ring: Annotated[int, typer.Option(help="Spatial neighbourhood of Gi*, in H3 steps.")] = 1,
    time_lags: Annotated[int, typer.Option("--time-lags", help="Periods back in the Gi* neighbourhood.")] = 1,
    inference: Annotated[str, typer.Option(help="Gi* inference: exact, permutation or normal (Esri).")] = "exact",
    null: NullOpt = "total",
    alpha: AlphaOpt = 0.05,
    max_temporal: Annotated[
        int | None, typer.Option("--max-temporal", help="Longest space-time cluster, in periods (default: half).")
    ] = None,
    max_spatial_share: Annotated[
        float, typer.Option("--max-spatial-share", help="Largest share of all entries a space-time scan circle may "
                                                        "hold (SaTScan's default: 0.5).")
    ] = MAX_POPULATION,
    max_radius_km: Annotated[
        float | None, typer.Option("--max-radius-km", help="Largest space-time scan circle radius in km "
                                                           "(default: none).")
    ] = None,
    permutations: PermutationsOpt = PERMUTATIONS,
    seed: SeedOpt = None,
    scheduler: SchedulerOpt = "threads",
    jobs: JobsOpt = None,
    out: OutOpt = Path("emerging-out"),
) -> None:
    """Which places are new, growing, persistent or fading in an activity, and is there an emerging cluster now?

    Counts entries (foundings) of the selected firms per H3 cell and period, classifies every cell into Esri's
    emerging hot spot categories, and runs the prospective space-time permutation scan (Kulldorff 2005). Writes
    ehsa.csv (one row per cell), ehsa_bins.csv (one row per cell and period), stscan.csv (the clusters) and
    emerging.html (the map) to --out.
    """
    from clusterwatch.analysis.time import code_entries, emerging_hot_spots, entries_cube, space_time_permutation_scan
    from clusterwatch.io.workspace import Workspace
    from clusterwatch.report.emerging import write_emerging_html
    from clusterwatch.stats import resolve_seed

    if code is not None and cluster is not None:
        raise OptionError("give --code or --cluster, not both")
    with Workspace(workspace, read_only=True) as ws:
        firms = ws.firms(datasets=dataset)  # all firms: a firm dissolved since still entered when it was founded
    if city:
        wanted = {c.strip().upper() for c in city}
        firms = firms[firms["city"].astype("string").str.strip().str.upper().isin(wanted).fillna(False).to_numpy()]
    if not len(firms):
        raise OptionError(f"no firms in {workspace}" + (f" for datasets {', '.join(dataset)}" if dataset else "")
                          + (f" in {', '.join(city)}" if city else ""))
    chosen_cluster: int | str | None = int(cluster) if cluster is not None and cluster.isdigit() else cluster
    entries = code_entries(firms, code=code, code_system=code_system, cluster=chosen_cluster)
    cube = entries_cube(entries, resolution=resolution, period=period, as_of=as_of, start=start)
    run_seed = resolve_seed(seed)
    hot_spots = emerging_hot_spots(cube, ring=ring, time_lags=time_lags, alpha=alpha, inference=inference, null=null,
                                   permutations=permutations, rng=run_seed.entropy, scheduler=scheduler,
                                   n_jobs=jobs)
    scan = space_time_permutation_scan(cube, max_spatial_share=max_spatial_share, max_temporal_length=max_temporal,
                                       max_radius_km=max_radius_km, permutations=permutations,
                                       rng=run_seed.entropy, scheduler=scheduler, n_jobs=jobs)
    out.mkdir(parents=True, exist_ok=True)
    from clusterwatch.report.csvsafe import write_csv

    write_csv(hot_spots.to_frame(), out / "ehsa.csv")
    write_csv(hot_spots.bins_frame(), out / "ehsa_bins.csv")
    write_csv(scan.to_frame(), out / "stscan.csv")
    page = write_emerging_html(out / "emerging.html", hot_spots, scan)

    dropped = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in cube.dropped.items() if v)
    console.print(
        f"[bold]{escape(cube.activity)}[/bold]: {cube.n_entries:,} entries in {cube.shape[0]:,} cells, "
        f"{cube.shape[1]} {period}s {cube.periods[0]}–{cube.periods[-1]}"
        + (f" (left out: {escape(dropped)})" if dropped else "")
    )
    counts = hot_spots.summary()
    print_table("Emerging hot spot categories", ("category", "cells"),
                ((str(name), int(n)) for name, n in counts.items() if n), right=("cells",))
    print_table(f"Space-time clusters ending {cube.periods[-1]} ({fmt(permutations)} replicates, seed "
                f"{run_seed.entropy})",
                ("rank", "cells", "from", "observed", "expected", "LLR", "p", f"recurrence ({period}s)"),
                ((c.rank, len(c.locations), str(c.start), c.observed, fmt(c.expected), fmt(c.llr), fmt(c.p),
                  fmt(c.recurrence_periods)) for c in scan.clusters[:5]),
                right=("rank", "cells", "observed", "expected", "LLR", "p", f"recurrence ({period}s)"))
    console.print(f"Wrote {out / 'ehsa.csv'}, {out / 'ehsa_bins.csv'}, {out / 'stscan.csv'} and {page}")
