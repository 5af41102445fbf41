"""Benchmark: text-derived activities (TF-IDF + SVD + k-means) on all SBIR award abstracts.

Reads ../shared/data/sbir/awards.csv.gz (format ``sbir-abstracts``, 84,902 awards), runs
:func:`clusterwatch.analysis.text.discover_activities` with the defaults and prints the time, the peak memory
(resident set size of the process, which includes reading the file) and the activities found.

    .venv/bin/python bench/bench_text.py [--seed 0] [--as-of 2009-12-31]

The SBIR boilerplate words (:data:`~clusterwatch.analysis.text.SBIR_STOP_WORDS`) are left out of the vocabulary.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import pandas as pd

import clusterwatch
from clusterwatch.analysis.text import SBIR_STOP_WORDS, discover_activities

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sbir" / "awards.csv.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--as-of", default=None)
    args = parser.parse_args()
    started = time.perf_counter()
    texts = clusterwatch.read_firms(DATA, format="sbir-abstracts").events
    read_s = time.perf_counter() - started
    rss_read = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    started = time.perf_counter()
    result = discover_activities(texts, rng=args.seed, as_of=args.as_of, extra_stop_words=SBIR_STOP_WORDS)
    fit_s = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"texts: {len(texts):,} rows, {result.n_texts_used:,} used ({result.n_texts_dropped:,} empty or left out)")
    print(f"firms: {texts['firm_id'].nunique():,}; in activities: {len(result.assignments):,}")
    print(f"activities: {len(result.activities)} of k={result.n_activities}; SVD dims {result.n_dimensions}")
    print(f"read: {read_s:.1f} s; discover_activities: {fit_s:.1f} s")
    print(f"peak RSS: {peak:.2f} GiB (after reading: {rss_read:.2f} GiB)")
    with pd.option_context("display.width", 200, "display.max_colwidth", 60, "display.max_rows", 100):
        print(result.activities[["activity_id", "label", "n_firms", "n_texts", "first_period"]].to_string(index=False))


if __name__ == "__main__":
    main()
