"""Benchmark: prospective space-time permutation scan, 5,000 locations × 40 periods, 10,000 entries, 999 replicates.

Target (issue 6): under 120 s on 2 cores. Synthetic data: locations uniform in a 40 km square, entries spread over
locations and periods at random (so the null holds), with SaTScan's default windows (circles up to 50 % of the
entries, intervals up to half the study period). Prints the time of each stage and the peak memory.

    python bench/bench_stscan.py [--locations 5000] [--periods 40] [--entries 10000] [--replicates 999]
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np
import pandas as pd

from clusterwatch.analysis.time import cube_from_counts, space_time_permutation_scan


def synthetic_cube(n_locations: int, n_periods: int, n_entries: int, seed: int = 0):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    where = pd.DataFrame({"location": [f"L{i:05d}" for i in range(n_locations)],
                          "x": rng.uniform(0, 40, n_locations), "y": rng.uniform(0, 40, n_locations)})
    # every location gets at least one entry, the rest fall at random
    site = np.concatenate([np.arange(n_locations), rng.integers(0, n_locations, n_entries - n_locations)])
    month = rng.integers(0, n_periods, n_entries)
    periods = pd.period_range("2020-01", periods=n_periods, freq="M").astype(str)
    counts = pd.DataFrame({"location": where["location"].to_numpy()[site], "period": periods.to_numpy()[month],
                           "count": 1})
    return cube_from_counts(counts, where, period="month", start=periods[0], end=periods[-1])


def cpu_seconds() -> float:
    """User + system CPU time of this process so far (all threads): comparable when the machine is shared."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locations", type=int, default=5000)
    parser.add_argument("--periods", type=int, default=40)
    parser.add_argument("--entries", type=int, default=10000)
    parser.add_argument("--replicates", type=int, default=999)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    started = time.perf_counter()
    cube = synthetic_cube(args.locations, args.periods, args.entries)
    built = time.perf_counter()
    # warm the numba cache on a tiny cube so compilation is not timed
    space_time_permutation_scan(synthetic_cube(30, 6, 60), permutations=9, rng=1, n_jobs=args.jobs)
    warm = time.perf_counter()
    cpu_before = cpu_seconds()
    scan = space_time_permutation_scan(cube, permutations=args.replicates, rng=1, scheduler="threads",
                                       n_jobs=args.jobs)
    done = time.perf_counter()
    cpu = cpu_seconds() - cpu_before
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    best = scan.most_likely
    print(f"space-time permutation scan: {args.locations:,} locations x {args.periods} periods, "
          f"{cube.n_entries:,} entries, {args.replicates} replicates, {args.jobs} threads on {os.cpu_count()} CPUs")
    print(f"  build cube {built - started:.1f} s, compile {warm - built:.1f} s, scan {done - warm:.1f} s "
          f"(target < 120 s; CPU time {cpu:.1f} s over {args.jobs} threads), peak memory {peak:.2f} GiB")
    if best is not None:
        print(f"  most likely cluster: {len(best.locations)} locations, {best.n_periods} periods, "
              f"LLR {best.llr:.3f}, p = {best.p:.3f}")


if __name__ == "__main__":
    main()
