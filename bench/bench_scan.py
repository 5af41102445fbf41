"""Benchmark: Kulldorff's Bernoulli spatial scan against SaTScan's speed, and at 20,000 sites.

1. ``satscan``: the SaTScan Langley case (``../shared/reference/satscan_bernoulli_langley``): 5,635 licences at
   3,608 locations, 351 manufacturing cases, windows up to 50 % of the population, 999 replicates. SaTScan 10.3.2
   took 9.0 s on 2 threads (17.4 s on 1). Target: no slower, with the same most likely cluster (location ids).
2. ``20k``: 20,000 distinct sites (a real-looking mix: uniform background plus dense centres, in a 40 km square
   near Atlanta), 1,000 cases with a planted cluster, windows up to 10 % of the sites, 999 replicates.
   Target: under 60 s on 2 cores.

Each case is timed after a warm-up call with a handful of replicates (numba compiles, or loads its cache, once per
process: that one-off cost is printed too). Usage::

    python bench/bench_scan.py [--jobs 2] [--permutations 999] [--only satscan|20k] [--strict]

``--strict`` exits with status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from clusterwatch.analysis.space import bernoulli_scan

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CLUSTERWATCH_SHARED_DATA", REPO.parent / "shared" / "data")).parent
REFERENCE = SHARED / "reference" / "satscan_bernoulli_langley"
SATSCAN_SECONDS = 9.0
SATSCAN_LLR = 98.280425
TARGET_20K_SECONDS = 60.0


def satscan_case(jobs: int, permutations: int) -> bool:
    loc = pd.read_csv(REFERENCE / "langley_manuf_locations.csv")
    population = (loc["cases"] + loc["controls"]).to_numpy()
    firms = pd.DataFrame({"x": np.repeat(loc["x"].to_numpy(), population),
                          "y": np.repeat(loc["y"].to_numpy(), population)})
    case = np.concatenate([np.r_[np.ones(c, bool), np.zeros(k, bool)]
                           for c, k in zip(loc["cases"], loc["controls"], strict=True)])
    started = time.perf_counter()
    bernoulli_scan(firms, case, coordinates="xy", permutations=4, rng=1, n_jobs=jobs)
    warm = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    result = bernoulli_scan(firms, case, coordinates="xy", permutations=permutations, rng=20240601, n_jobs=jobs)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    gis = pd.read_csv(REFERENCE / "langley_manuf_bernoulli_standardMC.gis.txt", sep=r"\s+",
                      usecols=["LOC_ID", "CLUSTER"])
    ids = result.locations.reset_index().merge(loc[["loc", "x", "y"]], on=["x", "y"], how="left")
    same = set(ids.loc[ids["cluster"] == 1, "loc"]) == set(gis.loc[gis["CLUSTER"] == 1, "LOC_ID"])
    top = result.most_likely
    assert top is not None
    print(f"satscan case: {len(result.locations):,} locations, {result.total_firms:,} firms, "
          f"{result.total_cases} cases, {permutations} replicates, {jobs} threads")
    print(f"  warm-up (numba compile or cache load + 4 replicates): {warm:.2f} s")
    print(f"  time {seconds:.2f} s, CPU {cpu:.2f} s (SaTScan 10.3.2: {SATSCAN_SECONDS} s on 2 threads) -> "
          f"{SATSCAN_SECONDS / seconds:.1f}x")
    print(f"  most likely cluster: {top['locations']} locations, {top['cases']}/{top['firms']}, LLR {top['llr']:.6f} "
          f"(SaTScan {SATSCAN_LLR}), p {top['p_value']:.3f}; same location ids as SaTScan: {same}")
    return same and seconds <= SATSCAN_SECONDS and abs(top["llr"] / SATSCAN_LLR - 1) < 1e-3


def twenty_thousand(jobs: int, permutations: int) -> bool:
    rng = np.random.default_rng(2024)
    n, n_cases = 20_000, 1_000
    centres = rng.uniform(0, 40, (12, 2))
    background = rng.uniform(0, 40, (n // 2, 2))
    dense = centres[rng.integers(0, 12, n - n // 2)] + rng.normal(0, 1.5, (n - n // 2, 2))
    xy = np.vstack([background, dense])
    lat = 33.75 + xy[:, 1] / 111.2
    lon = -84.39 + xy[:, 0] / (111.2 * np.cos(np.radians(33.75)))
    firms = pd.DataFrame({"lat": lat, "lon": lon}).drop_duplicates()
    planted = np.hypot(xy[: len(firms), 0] - 20, xy[: len(firms), 1] - 20) < 2.0
    weights = np.where(planted, 8.0, 1.0)
    case = np.zeros(len(firms), dtype=bool)
    case[rng.choice(len(firms), n_cases, replace=False, p=weights / weights.sum())] = True
    started = time.perf_counter()
    bernoulli_scan(firms, case, max_population=0.1, permutations=4, rng=1, n_jobs=jobs)
    warm = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    result = bernoulli_scan(firms, case, max_population=0.1, permutations=permutations, rng=7, n_jobs=jobs)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    top = result.most_likely
    assert top is not None
    print(f"20k case: {len(result.locations):,} sites, {int(case.sum()):,} cases, windows up to 10 % of the sites, "
          f"{permutations} replicates, {jobs} threads")
    print(f"  warm-up (window lists + 4 replicates): {warm:.2f} s")
    print(f"  time {seconds:.2f} s, CPU {cpu:.2f} s (target < {TARGET_20K_SECONDS:.0f} s)")
    print(f"  most likely cluster: {top['cases']}/{top['firms']} firms, radius {top['radius']:.2f} km, "
          f"LLR {top['llr']:.2f}, p {top['p_value']:.3f}")
    return seconds < TARGET_20K_SECONDS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--only", choices=("satscan", "20k"))
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} CPUs, load average {load:.2f} at start")
    ok = True
    if args.only in (None, "satscan"):
        if REFERENCE.is_dir():
            ok &= satscan_case(args.jobs, args.permutations)
        else:
            print(f"satscan case skipped: {REFERENCE} not present")
    if args.only in (None, "20k"):
        ok &= twenty_thousand(args.jobs, args.permutations)
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
