"""Benchmark: Gi* hot spots with 999 conditional permutations on 50,000 H3 cells.

Firms are placed on the 50,311 resolution-9 cells within 129 grid steps of a cell in Seattle (one firm at every
cell's centre plus 100,000 more at random cells), and the activity is more common near three centres. The
timed call is the whole :func:`clusterwatch.analysis.space.hotspots`: cell assignment, ring-1 neighbours, z-scores,
999 permutations (two threads), p-values and Benjamini–Hochberg. Target: under 30 s on 2 cores.

Usage::

    python bench/bench_hotspots.py [--jobs 2] [--permutations 999] [--strict]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import h3
import numpy as np
import pandas as pd

from clusterwatch.analysis.space import hotspots

TARGET_SECONDS = 30.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} CPUs, load average {load:.2f} at start")

    centre = h3.latlng_to_cell(47.61, -122.33, 9)
    cells = list(h3.grid_disk(centre, 129))
    rng = np.random.default_rng(2024)
    ll = np.array([h3.cell_to_latlng(c) for c in cells])
    extra = rng.integers(0, len(cells), 100_000)
    lat = np.r_[ll[:, 0], ll[extra, 0]]
    lon = np.r_[ll[:, 1], ll[extra, 1]]
    firms = pd.DataFrame({"lat": lat, "lon": lon})
    hubs = np.array([[47.61, -122.33], [47.65, -122.20], [47.55, -122.45]])
    distance = np.min(np.hypot(lat[:, None] - hubs[:, 0], (lon[:, None] - hubs[:, 1]) * 0.67), axis=1)
    case = rng.random(len(firms)) < np.where(distance < 0.02, 0.25, 0.05)

    hotspots(firms.iloc[:2000], case[:2000], permutations=9, rng=1, n_jobs=args.jobs)  # numba compile / cache load
    started, cpu = time.perf_counter(), time.process_time()
    result = hotspots(firms, case, permutations=args.permutations, rng=7, n_jobs=args.jobs)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    tally = result.cells["hot_spot"].value_counts()
    print(f"{len(result.cells):,} H3 cells (resolution 9, k = 1), {len(firms):,} firms, {int(case.sum()):,} counted, "
          f"{args.permutations} permutations, {args.jobs} threads")
    print(f"  time {seconds:.2f} s, CPU {cpu:.2f} s (target < {TARGET_SECONDS:.0f} s)")
    print(f"  {tally.get('hot', 0):,} hot, {tally.get('cold', 0):,} cold cells at FDR 0.05 (permutation p); "
          f"{int((result.cells['p_sim'] <= result.cells['p_sim'].min()).sum()):,} cells at the smallest p, "
          f"{result.cells['p_sim'].min():.4f}")
    return 1 if args.strict and seconds >= TARGET_SECONDS else 0


if __name__ == "__main__":
    sys.exit(main())
