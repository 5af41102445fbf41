"""``clusterwatch hotspots`` (Gi* hot spots on H3 cells) and ``clusterwatch scan-space`` (Bernoulli spatial scan)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import pandas as pd
import typer
from rich.markup import escape

from clusterwatch.cli.console import console, fmt, print_table
from clusterwatch.cli.options import (
    MAX_POPULATION,
    PERMUTATIONS,
    WORKSPACE,
    AlphaOpt,
    AsOfOpt,
    CodeOpt,
    CodeSystemOpt,
    DatasetOpt,
    JobsOpt,
    MaxPopulationOpt,
    NullOpt,
    OutOpt,
    PermutationsOpt,
    SchedulerOpt,
    SeedOpt,
    WorkspaceOpt,
    app,
)
from clusterwatch.commands._common import code_system_of, firm_codes_of, located_firms
from clusterwatch.errors import OptionError
from clusterwatch.validation import check_int

if TYPE_CHECKING:
    from clusterwatch.analysis.space import BernoulliScanResult

def _level(code: str, system: str) -> str | int:
    if system == "naics" and "-" in code:
        return "sector"
    if code.isalpha():
        return "section"
    if not code.isdigit():
        raise OptionError(f"--code {code!r} is not a {system} code (digits, a NAICS sector such as 31-33, a letter)")
    return len(code)


def _activity(n_firms: int, every: pd.Series, codes: list[str], system: str) -> tuple[np.ndarray, str]:
    """Firms having any of ``codes`` (at each code's own level), and a label naming the activity; ``every`` holds
    the firms' codes (:func:`~clusterwatch.commands._common.firm_codes_of`)."""
    from clusterwatch import codes as cw_codes

    mask = np.zeros(n_firms, dtype=bool)
    names = []
    for code in codes:
        code = code.strip()
        hit = (cw_codes.truncate(every, system, _level(code, system)) == code).fillna(False).to_numpy(dtype=bool)
        mask[every.index.to_numpy()[hit]] = True
        title = cw_codes.code_title(code, system)
        names.append(f"{code} {title}" if title else code)
    return mask, "; ".join(names)


@app.command()
def hotspots(
    workspace: WorkspaceOpt = WORKSPACE,
    as_of: AsOfOpt = None,
    dataset: DatasetOpt = None,
    code: CodeOpt = None,
    code_system: CodeSystemOpt = None,
    resolution: Annotated[int, typer.Option(help="H3 resolution 0-15 (9: cells of ~0.1 km2).")] = 9,
    k: Annotated[int, typer.Option("--k", help="Neighbours: cells within k grid steps.")] = 1,
    area: Annotated[str, typer.Option(help="Study area: firms (cells holding firms) or ring (plus k rings).")] = (
        "firms"),
    permutations: PermutationsOpt = PERMUTATIONS,
    alternative: Annotated[str, typer.Option(help="two-sided, greater (hot only) or less (cold only).")] = (
        "two-sided"),
    alpha: AlphaOpt = 0.05,
    inference: Annotated[str, typer.Option(help="p-values for FDR: permutation or normal.")] = "permutation",
    null: NullOpt = "total",
    seed: SeedOpt = None,
    jobs: JobsOpt = None,
    scheduler: SchedulerOpt = "threads",
    show: Annotated[int, typer.Option(help="Hot and cold cells listed in the printed summary.")] = 10,
    out: OutOpt = Path("hotspots-out"),
) -> None:
    """Gi* hot and cold spots of an activity's firms (all firms without --code) counted on H3 cells.

    Getis-Ord Gi* with ring-k neighbours, permutation p-values under --null (total randomisation by default) and
    Benjamini-Hochberg control of the false-discovery rate. Writes hotspots.csv (every cell: count, z, p, q,
    hot/cold) and an offline hotspots.html.
    """
    from clusterwatch.analysis.space import hotspots as run_hotspots
    from clusterwatch.report.hotspots import write_hotspots
    from clusterwatch.stats import resolve_seed

    firms = located_firms(workspace, as_of, dataset, minimum=1)
    if code:
        system = code_system_of(firms, code_system)
        every = firm_codes_of(workspace, firms, as_of, dataset, system)
        mask, label = _activity(len(firms), every, code, system)
        if not mask.any():
            raise OptionError(f"no firm has the code(s) {', '.join(code)}")
    else:
        mask, label = None, "all firms"
    seed_value = resolve_seed(seed).entropy
    result = run_hotspots(firms, mask, resolution=resolution, k=k, area=area, permutations=permutations,
                          alternative=alternative, alpha=alpha, inference=inference, null=null, rng=seed_value,
                          scheduler=scheduler, n_jobs=jobs)
    counted = len(firms) if mask is None else int(mask.sum())
    notes = [f"Activity: {label}: {counted:,} of {len(firms):,} firms"
             + (f" known on {as_of}" if as_of else "") + f", from {workspace.name}."]
    paths = write_hotspots(result, out, title=f"Gi* hot spots: {label}", notes=notes)
    cells = result.cells
    tally = cells["hot_spot"].value_counts()
    console.print(f"{escape(label)}: {counted:,} of {len(firms):,} firms in {len(cells):,} H3 cells "
                  f"(resolution {resolution}, k={k}, area {area}); {tally.get('hot', 0):,} hot, "
                  f"{tally.get('cold', 0):,} cold at FDR {alpha:g} ({inference} p, {null} null, "
                  f"{permutations:,} permutations, seed {result.seed})")
    listed = pd.concat([result.hot.head(show), result.cold.head(show)])
    if show and len(listed):
        print_table("Strongest hot and cold cells",
                    ("cell", "lat", "lon", "count", "local_sum", "z", "p", "q", "hot/cold"),
                    ((row.cell, f"{row.lat:.4f}", f"{row.lon:.4f}", row.count, row.local_sum, fmt(row.z),
                      fmt(row.p_value), fmt(row.q_value), row.hot_spot) for row in listed.itertuples(index=False)),
                    right=("lat", "lon", "count", "local_sum", "z", "p", "q"))
    elif inference == "permutation" and not (tally.get("hot", 0) or tally.get("cold", 0)):
        console.print(f"note — with {permutations:,} permutations no p-value is below {1 / (permutations + 1):.4f}; "
                      f"over {len(cells):,} cells the FDR control may need more permutations or --inference normal")
    console.print(f"Wrote {', '.join(p.name for p in paths.values())} to {out}")


def _place(firms: pd.DataFrame, result: BernoulliScanResult, cluster: int) -> str:
    """The most common city among a cluster's firms, when the firms have cities."""
    if "city" not in firms.columns:
        return ""
    cities = firms.loc[result.firms_in(cluster), "city"].dropna()
    return str(cities.mode().iloc[0]) if len(cities) else ""


@app.command(name="scan-space")
def scan_space(
    workspace: WorkspaceOpt = WORKSPACE,
    as_of: AsOfOpt = None,
    dataset: DatasetOpt = None,
    code: CodeOpt = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Bernoulli-scan every activity at this code level instead (sector, 3, "
                                  "division ...)."),
    ] = None,
    code_system: CodeSystemOpt = None,
    min_firms: Annotated[int, typer.Option("--min-firms", help="With --by: activities with at least this many "
                                                               "firms.")] = 20,
    max_population: MaxPopulationOpt = MAX_POPULATION,
    max_radius_km: Annotated[float | None, typer.Option("--max-radius-km", help="Largest window radius, km.")] = None,
    min_cases: Annotated[int, typer.Option(help="Fewest cases in a cluster.")] = 2,
    max_clusters: Annotated[int, typer.Option(help="Clusters reported per activity (most likely first).")] = 10,
    permutations: PermutationsOpt = PERMUTATIONS,
    seed: SeedOpt = None,
    jobs: JobsOpt = None,
    scheduler: SchedulerOpt = "threads",
    out: OutOpt = Path("scan-space-out"),
) -> None:
    """Kulldorff's Bernoulli spatial scan: where an activity's firms concentrate (cases) among all firms.

    Circular windows on every firm site up to --max-population of the firms (and --max-radius-km); the most likely
    cluster and secondary clusters that share no site with it, with Monte Carlo p-values as SaTScan computes them.
    With --by LEVEL every activity at that code level with --min-firms firms is scanned and ranked.
    """
    from clusterwatch import codes as cw_codes
    from clusterwatch.analysis.space import bernoulli_scan, bernoulli_scan_each
    from clusterwatch.report.hotspots import write_scans
    from clusterwatch.stats import resolve_seed

    if bool(code) == bool(by):
        raise OptionError("give either --code (one activity) or --by LEVEL (every activity at a code level)")
    check_int(min_firms, "--min-firms", minimum=1)
    firms = located_firms(workspace, as_of, dataset, minimum=1)
    activities: dict[str, np.ndarray] = {}
    system = code_system_of(firms, code_system)
    every = firm_codes_of(workspace, firms, as_of, dataset, system)
    if code:
        mask, label = _activity(len(firms), every, code, system)
        activities[label] = mask
    else:
        by_text = by or ""
        level: str | int = int(by_text) if by_text.isdigit() else by_text
        truncated = cw_codes.truncate(every, system, level).dropna()
        for value, positions in truncated.groupby(truncated, sort=True).groups.items():
            mask = np.zeros(len(firms), dtype=bool)
            mask[np.asarray(positions)] = True
            if min_firms <= mask.sum() < len(firms):
                title = cw_codes.code_title(str(value), system)
                activities[f"{value} {title}" if title else str(value)] = mask
        if not activities:
            raise OptionError(f"no activity at level {by!r} has {min_firms} or more firms")
    base = resolve_seed(seed).entropy
    if code:
        label, mask = next(iter(activities.items()))
        if not mask.any():
            raise OptionError(f"no firm has the code(s) {', '.join(code)}")
        results = {label: bernoulli_scan(
            firms, mask, max_population=max_population, max_radius=max_radius_km, min_cases=min_cases,
            max_clusters=max_clusters, permutations=permutations, rng=base, scheduler=scheduler, n_jobs=jobs)}
    else:
        results = bernoulli_scan_each(
            firms, activities, max_population=max_population, max_radius=max_radius_km, min_cases=min_cases,
            max_clusters=max_clusters, permutations=permutations, rng=base, scheduler=scheduler, n_jobs=jobs)
    rows = []
    for label, result in results.items():
        top = result.most_likely
        record: dict[str, object] = {
            "activity": label, "firms": result.total_cases, "cluster_cases": None, "cluster_firms": None,
            "relative_risk": None, "radius_km": None, "lat": None, "lon": None, "place": "", "llr": 0.0,
            "p_value": None,
        }
        if top is not None:
            record.update(cluster_cases=int(top["cases"]), cluster_firms=int(top["firms"]),
                          relative_risk=float(top["relative_risk"]), radius_km=float(top["radius"]),
                          lat=float(top["lat"]), lon=float(top["lon"]), place=_place(firms, result, 1),
                          llr=float(top["llr"]), p_value=float(top["p_value"]))
        record["significant_clusters"] = int((result.clusters["p_value"] <= 0.05).sum())
        record["seed"] = result.seed
        rows.append(record)
    summary = pd.DataFrame(rows).sort_values("llr", ascending=False, ignore_index=True)
    notes = [f"{len(firms):,} firms" + (f" known on {as_of}" if as_of else "") + f", from {workspace.name}; "
             f"base seed {base}."]
    paths = write_scans(results, firms, out, title="Bernoulli spatial scan", notes=notes, summary=summary)
    if by:
        from clusterwatch.report.csvsafe import write_csv

        write_csv(summary, out / "scan_summary.csv")
    if by:
        print_table("Most likely cluster per activity",
                    ("activity", "firms", "in cluster", "RR", "radius km", "place", "LLR", "p"),
                    ((row.activity, row.firms, "", "", "", "", "", "") if pd.isna(row.cluster_cases) else
                     (row.activity, row.firms, f"{fmt(row.cluster_cases)}/{fmt(row.cluster_firms)}",
                      fmt(row.relative_risk), fmt(row.radius_km), row.place, fmt(row.llr), fmt(row.p_value))
                     for row in summary.itertuples(index=False)),
                    right=("firms", "in cluster", "RR", "radius km", "LLR", "p"))
    else:
        result = next(iter(results.values()))
        console.print(f"{result.total_cases:,} cases among {result.total_firms:,} firms; seed {result.seed}")
        print_table(f"Clusters: {next(iter(results))}",
                    ("cluster", "lat", "lon", "radius km", "firms", "cases", "expected", "RR", "LLR", "p", "place"),
                    ((row.cluster, f"{row.lat:.4f}", f"{row.lon:.4f}", fmt(row.radius), row.firms, row.cases,
                      fmt(row.expected), fmt(row.relative_risk), fmt(row.llr), fmt(row.p_value),
                      _place(firms, result, int(row.cluster))) for row in result.clusters.itertuples(index=False)),
                    right=("cluster", "lat", "lon", "radius km", "firms", "cases", "expected", "RR", "LLR", "p"))
    written = [p.name for p in paths.values()] + (["scan_summary.csv"] if by else [])
    console.print(f"Wrote {', '.join(written)} to {out}")
