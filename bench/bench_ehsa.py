"""Benchmark: emerging hot spot analysis, 20,000 H3 cells × 20 periods, 999 permutations.

Target (issue 6): under 60 s on 2 cores with 999 permutations (``inference="permutation"``); the default exact
randomisation test is timed too. Synthetic data: the 19,927 resolution-9 cells within 81 steps of a point in
Seattle, yearly periods 2006-2025, about 400,000 entries (Poisson counts, with a growing hot area so that several
categories occur). Prints the time of each stage, the categories found and the peak memory.

    python bench/bench_ehsa.py [--ring-steps 81] [--periods 20] [--permutations 999] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import h3
import numpy as np
import pandas as pd

from clusterwatch.analysis.time import emerging_hot_spots, entries_cube


def synthetic_entries(ring_steps: int, n_periods: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    centre = h3.latlng_to_cell(47.61, -122.33, 9)
    cells = sorted(h3.grid_disk(centre, ring_steps))
    distance = np.array([h3.grid_distance(centre, c) for c in cells], dtype=float)
    t = np.arange(n_periods)
    # a background rate of one entry per cell and year, and a hot area that grows over time near the centre
    rate = 1.0 + 4.0 * np.exp(-distance[:, None] / 8.0) * (t[None, :] / n_periods)
    counts = rng.poisson(rate)
    counts[:, 0] += counts.sum(axis=1) == 0  # every cell has an entry, as in a cube of occupied cells
    cell_idx, period_idx = np.nonzero(counts)
    repeats = counts[cell_idx, period_idx]
    centres = np.array([h3.cell_to_latlng(c) for c in cells])
    cell_of = np.repeat(cell_idx, repeats)
    year = 2025 - n_periods + 1 + np.repeat(period_idx, repeats)
    dates = pd.to_datetime({"year": year, "month": 6, "day": 15})
    return pd.DataFrame({"date": dates, "lat": centres[cell_of, 0], "lon": centres[cell_of, 1]})


def cpu_seconds() -> float:
    """User + system CPU time of this process so far (all threads): comparable when the machine is shared."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ring-steps", type=int, default=81)
    parser.add_argument("--periods", type=int, default=20)
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    entries = synthetic_entries(args.ring_steps, args.periods)
    started = time.perf_counter()
    cube = entries_cube(entries, resolution=9, period="year")
    built = time.perf_counter()
    small = entries_cube(entries.iloc[:2000], resolution=9, period="year")  # compile numba code outside the timing
    emerging_hot_spots(small, inference="permutation", permutations=9, rng=1, n_jobs=args.jobs)
    emerging_hot_spots(small)
    warm = time.perf_counter()
    cpu_before = cpu_seconds()
    result = emerging_hot_spots(cube, inference="permutation", permutations=args.permutations, rng=1,
                                scheduler="threads", n_jobs=args.jobs)
    done = time.perf_counter()
    cpu = cpu_seconds() - cpu_before
    exact = emerging_hot_spots(cube)
    exact_done = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"emerging hot spots: {cube.shape[0]:,} cells x {cube.shape[1]} periods, {cube.n_entries:,} entries, "
          f"{args.permutations} permutations, {args.jobs} threads on {os.cpu_count()} CPUs")
    print(f"  entries cube {built - started:.1f} s, compile {warm - built:.1f} s, analysis with permutations "
          f"{done - warm:.1f} s (target < 60 s; CPU time {cpu:.1f} s), with the exact test {exact_done - done:.1f} s; "
          f"peak memory {peak:.2f} GiB")
    for name, res in (("permutation", result), ("exact", exact)):
        found = res.summary()
        print(f"  {name}: " + ", ".join(f"{cat}: {n:,}" for cat, n in found[found > 0].items()))


if __name__ == "__main__":
    main()
