"""``clusterwatch localise``: is an activity localised, and at which distances (Duranton–Overman Kd)?"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import pandas as pd
import typer
from rich.markup import escape

from clusterwatch.cli.console import console, fmt, print_table
from clusterwatch.cli.options import (
    PERMUTATIONS,
    WORKSPACE,
    AsOfOpt,
    CodeSystemOpt,
    DatasetOpt,
    JobsOpt,
    OutOpt,
    SchedulerOpt,
    SeedOpt,
    WorkspaceOpt,
    app,
)
from clusterwatch.commands._common import code_system_of, located_firms
from clusterwatch.errors import OptionError
from clusterwatch.validation import check_int

if TYPE_CHECKING:
    from clusterwatch.analysis.space.kd import KdResult


def _prefix_mask(codes: pd.Series, prefix: str, system: str) -> np.ndarray:
    """Firms whose code starts with ``prefix``; a range such as NAICS ``31-33`` means 31, 32 or 33; a letter
    (a NACE section) is matched at the section level."""
    from clusterwatch import codes as cw_codes

    prefix = prefix.strip()
    ranged = re.fullmatch(r"(\d+)-(\d+)", prefix)
    if ranged:
        first, last = int(ranged[1]), int(ranged[2])
        width = len(ranged[1])
        if last < first or last - first > 100:
            raise OptionError(f"--code {prefix!r}: a range is FIRST-LAST with FIRST <= LAST, e.g. 31-33")
        prefixes = tuple(str(v).zfill(width) for v in range(first, last + 1))
        return codes.str.startswith(prefixes).fillna(False).to_numpy(dtype=bool)
    if prefix.isalpha():
        section = cw_codes.truncate(codes, system, "section")
        return (section == prefix.upper()).fillna(False).to_numpy(dtype=bool)
    if not prefix.isdigit():
        raise OptionError(f"--code {prefix!r} is not a code prefix (digits, a range such as 31-33, or a letter)")
    return codes.str.startswith(prefix).fillna(False).to_numpy(dtype=bool)


def _cluster_mask(firms: pd.DataFrame, cluster: str) -> tuple[np.ndarray, str]:
    """Firms (NAICS) in a US benchmark cluster given by its code or (part of) its name."""
    from clusterwatch.codes import benchmark_clusters, naics_to_cluster

    table = benchmark_clusters()[["cluster_code", "cluster_name"]].drop_duplicates()
    wanted = cluster.strip()
    if wanted.isdigit():
        chosen = table[table["cluster_code"] == int(wanted)]
    else:
        names = table["cluster_name"].str.lower()
        chosen = table[names == wanted.lower()]
        if chosen.empty:
            chosen = table[names.str.contains(wanted.lower(), regex=False)]
    if len(chosen) != 1:
        listed = ", ".join(f"{c} {n}" for c, n in chosen.itertuples(index=False)) if len(chosen) else (
            "none; see clusterwatch.codes.benchmark_clusters()")
        raise OptionError(f"--cluster {cluster!r} must name one US benchmark cluster; matches: {listed}")
    code, name = int(chosen.iloc[0, 0]), str(chosen.iloc[0, 1])
    naics = firms["code"].astype("string").where(firms["code_system"].astype("string") == "naics")
    assigned = naics_to_cluster(naics).cluster_code
    return (assigned == code).fillna(False).to_numpy(dtype=bool), f"cluster {code} {name}"


def _activities(firms: pd.DataFrame, code: list[str] | None, code_system: str | None, cluster: str | None,
                by: str | None, min_firms: int) -> dict[str, np.ndarray]:
    from clusterwatch import codes as cw_codes

    if sum(x is not None and x != [] for x in (code, cluster, by)) != 1:
        raise OptionError("give one of --code PREFIX, --cluster NAME/CODE or --by LEVEL")
    if cluster is not None:
        mask, label = _cluster_mask(firms, cluster)
        return {label: mask}
    system = code_system_of(firms, code_system)
    own = firms["code"].astype("string").where(firms["code_system"].astype("string") == system)
    if code:
        mask = np.zeros(len(firms), dtype=bool)
        for prefix in code:
            mask |= _prefix_mask(own, prefix, system)
        titles = [f"{p} {cw_codes.code_title(p, system) or ''}".strip() for p in code]
        return {"; ".join(titles): mask}
    level: str | int = int(str(by)) if str(by).isdigit() else str(by)
    truncated = cw_codes.truncate(own, system, level)
    activities = {}
    for value, count in truncated.value_counts().items():
        if min_firms <= count < len(firms):
            title = cw_codes.code_title(str(value), system)
            activities[f"{value} {title}" if title else str(value)] = (truncated == value).fillna(False).to_numpy(
                dtype=bool)
    if not activities:
        raise OptionError(f"no activity at level {by!r} has {min_firms} or more firms")
    return activities


def _max_distance(value: str) -> float | str:
    try:
        return float(value)
    except ValueError:
        return value  # a rule name, checked by the analysis


@app.command()
def localise(
    workspace: WorkspaceOpt = WORKSPACE,
    code: Annotated[
        list[str] | None,
        typer.Option("--code", "-c", help="The activity: firms whose code starts with this prefix (repeatable; "
                                          "31-33 is a range, a letter a NACE section)."),
    ] = None,
    code_system: CodeSystemOpt = None,
    cluster: Annotated[
        str | None, typer.Option(help="The activity: a US benchmark cluster by code or name (NAICS firms).")
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Every activity at this code level instead (sector, 2, 3 ...).")
    ] = None,
    min_firms: Annotated[int, typer.Option("--min-firms", help="With --by: activities with at least this many "
                                                               "firms.")] = 20,
    as_of: AsOfOpt = None,
    dataset: DatasetOpt = None,
    permutations: Annotated[int, typer.Option(min=1, help="Counterfactual random draws of the firms' sites.")] = (
        PERMUTATIONS),
    alpha: Annotated[float, typer.Option(help="Risk level of the envelopes (0.05: 95 % bands).")] = 0.05,
    seed: SeedOpt = None,
    max_distance_km: Annotated[
        str, typer.Option("--max-distance-km", help="Largest distance: km, 'median' (median distance between two "
                                                    "firms, Duranton-Overman) or 'third-window' (dbmss).")
    ] = "median",
    distance: Annotated[str, typer.Option(help="great-circle or local (planar km, faster).")] = "great-circle",
    weighted: Annotated[bool, typer.Option("--weighted", help="Employment-weighted Kd (firms' employees).")] = False,
    jobs: JobsOpt = None,
    scheduler: SchedulerOpt = "threads",
    out: OutOpt = Path("localise-out"),
) -> None:
    """Duranton-Overman Kd of an activity against all firm sites, with local and global envelopes (as R dbmss).

    The activity's firms are compared with the same number of firms placed at sites drawn at random from all the
    firms' sites. Prints where the activity is localised (above the global envelope) or dispersed, and the indices
    Gamma and Psi; writes kd.csv (distance_km, kd, mean, local_lo, local_hi, global_lo, global_hi per activity),
    kd_summary.csv and an offline kd.html with the curves.
    """
    from clusterwatch.analysis.space.kd import kd
    from clusterwatch.report.kd import ranges_text, write_kd
    from clusterwatch.stats import resolve_seed

    check_int(min_firms, "--min-firms", minimum=3)
    firms = located_firms(workspace, as_of, dataset, minimum=4)
    activities = _activities(firms, code, code_system, cluster, by, min_firms)
    base = resolve_seed(seed).entropy
    seeds = np.random.SeedSequence(base).generate_state(len(activities), dtype=np.uint32) if by else [base]
    results: dict[str, KdResult] = {}
    for (label, mask), activity_seed in zip(activities.items(), seeds, strict=True):
        n = int(mask.sum())
        if n < 3:
            raise OptionError(f"{label}: {n} firms; Kd needs at least 3")
        if weighted:
            sized = (pd.to_numeric(firms["employees"], errors="coerce") > 0).to_numpy()
            lacking = int((mask & ~sized).sum())
            if lacking:
                console.print(f"note — {escape(label)}: {lacking:,} of {n:,} firms have no employees: they count "
                              "as sites but not as the activity's firms in the weighted Kd")
                mask = mask & sized
        results[label] = kd(firms, mask, weights="employees" if weighted else None, distance=distance,
                            max_distance_km=_max_distance(max_distance_km), permutations=permutations, alpha=alpha,
                            rng=int(activity_seed), scheduler=scheduler, n_jobs=jobs)
    notes = [f"{len(firms):,} located firms" + (f" known on {as_of}" if as_of else "") + f", from {workspace.name}"
             + (f"; base seed {base}" if by else "") + "."]
    title = "Kd: " + (next(iter(results)) if len(results) == 1 else f"activities by {by}")
    paths = write_kd(results, out, title=title, notes=notes)

    ordered = sorted(results.items(), key=lambda item: (-item[1].localisation_index, item[1].dispersion_index))
    print_table("Where the activity is localised (above the global envelope)" if len(results) == 1
                else f"Kd by {by}, most localised first",
                ("activity", "firms", "localised at", "Γ", "dispersed at", "Ψ", "bandwidth km"),
                ((label, r.n_cases, ranges_text(r.localised) or "—", fmt(r.localisation_index),
                  ranges_text(r.dispersed) or "—", fmt(r.dispersion_index), fmt(r.bandwidth_km))
                 for label, r in ordered),
                right=("firms", "Γ", "Ψ", "bandwidth km"))
    first = next(iter(results.values()))
    console.print(f"{first.n_sites:,} sites; distances up to {first.max_distance_km:.3g} km "
                  f"({first.max_distance_rule}); {permutations:,} draws, {100 * (1 - alpha):g} % envelopes"
                  + (f"; seed {first.seed}" if not by else f"; base seed {base}")
                  + ("; employment-weighted" if weighted else ""))
    console.print(f"Wrote {', '.join(p.name for p in paths.values())} to {out}")
