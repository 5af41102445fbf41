"""Benchmark: ingest the national PPP file (2,765,676 loans) and store it in a DuckDB workspace.

Stages, each timed with the peak resident memory reached during it:

1. ``read``: the ``ppp-us`` adapter reads the Parquet file (only the columns it maps) and maps them;
2. ``validate``: validation, ZIP geocoding and typing (``ingest_extract``); stages 1 and 2 together are what
   ``clusterwatch.read_firms(path, format="ppp-us")`` does;
3. ``store``: ``clusterwatch.Workspace(tmp).store(result)`` into a fresh workspace file.

Usage::

    python bench/bench_ingest_ppp.py [PARQUET] [--profile] [--no-store] [--strict]

Targets: under 60 s in all and under 2 GB peak resident memory, on a 2-core machine. ``--strict`` exits with
status 1 when a target is missed; ``--profile`` prints the 30 costliest functions (cProfile, cumulative).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _memory import StagePeak, peak_bytes, rss_bytes  # bench/_memory.py (scripts run from bench/)

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CLUSTERWATCH_SHARED_DATA", REPO.parent / "shared" / "data"))
PPP_US = SHARED / "ppp_us_2020" / "ppp_under150k_2020-07_49states.parquet"
EXPECTED_ROWS = 2_765_676
TARGET_SECONDS = 60.0
TARGET_PEAK_GIB = 2.0
TODAY = dt.date(2026, 11, 27)


@contextmanager
def stage(name: str, sampler: StagePeak, timings: dict[str, tuple[float, int]]) -> Iterator[None]:
    """Time a stage and record the peak memory sampled during it."""
    sampler.reset()
    t0 = time.perf_counter()
    yield
    seconds = time.perf_counter() - t0
    timings[name] = (seconds, max(sampler.peak, rss_bytes()))


def run(path: str, *, store: bool, workdir: str) -> tuple[Any, dict[str, tuple[float, int]]]:
    """Run the stages; returns the ingest result and ``{stage: (seconds, peak bytes)}``."""
    from clusterwatch import Workspace
    from clusterwatch.io.adapters.base import ReadOptions, get_adapter
    from clusterwatch.io.ingest import default_dataset_name, ingest_extract

    timings: dict[str, tuple[float, int]] = {}
    sampler = StagePeak()
    try:
        adapter = get_adapter("ppp-us")
        options = ReadOptions(today=TODAY)
        with stage("read", sampler, timings):
            extract = adapter.read(path, options)
        with stage("validate", sampler, timings):
            result = ingest_extract(extract, dataset=default_dataset_name(path), format_name=adapter.name,
                                    options=options)
            del extract
        if store:
            with stage("store", sampler, timings), Workspace(os.path.join(workdir, "bench.duckdb")) as ws:
                ws.store(result)
    finally:
        sampler.close()
    return result, timings


def _profiled(fn: Callable[[], Any]) -> Any:
    import cProfile
    import pstats

    prof = cProfile.Profile()
    out = prof.runcall(fn)
    pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parquet", nargs="?", default=str(PPP_US), help="the national PPP file")
    parser.add_argument("--profile", action="store_true", help="print the 30 costliest functions (cProfile)")
    parser.add_argument("--no-store", action="store_true", help="skip storing into a workspace")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    args = parser.parse_args()
    if not os.path.exists(args.parquet):
        print(f"file not found: {args.parquet}", file=sys.stderr)
        return 2
    base = rss_bytes()
    with tempfile.TemporaryDirectory(prefix="cw-bench-ppp-") as tmp:

        def go() -> tuple[Any, dict[str, tuple[float, int]]]:
            return run(args.parquet, store=not args.no_store, workdir=tmp)

        result, timings = _profiled(go) if args.profile else go()
        db = os.path.join(tmp, "bench.duckdb")
        db_size = os.path.getsize(db) if os.path.exists(db) else 0

    report = result.report.sources[0]
    total = sum(s for s, _ in timings.values())
    peak = max(peak_bytes(), *(p for _, p in timings.values()))
    gib = 2**30
    print(f"file           {args.parquet}")
    print(f"rows read      {report.rows_read:>12,}" + ("" if report.rows_read == EXPECTED_ROWS else
                                                       f"  (expected {EXPECTED_ROWS:,})"))
    print(f"accepted       {report.accepted:>12,}")
    print(f"rejected       {report.rejected:>12,}  {report.rejected_by_reason}")
    print(f"events         {report.events:>12,}")
    print(f"located by     {report.located_by}")
    for name, (seconds, stage_peak) in timings.items():
        print(f"{name:<14} {seconds:>10.1f} s  {report.rows_read / seconds:>12,.0f} rows/s  "
              f"peak {stage_peak / gib:5.2f} GiB")
    print(f"total          {total:>10.1f} s  {report.rows_read / total:>12,.0f} rows/s")
    print(f"peak RSS       {peak / gib:>10.2f} GiB (at start, before imports {base / gib:.2f} GiB)")
    if db_size:
        print(f"workspace      {db_size / 2**20:>10.0f} MiB")
    met_time = total < TARGET_SECONDS
    met_memory = peak < TARGET_PEAK_GIB * gib
    print(f"target <{TARGET_SECONDS:.0f} s   {'met' if met_time else 'MISSED'}")
    print(f"target <{TARGET_PEAK_GIB:.0f} GiB  {'met' if met_memory else 'MISSED'}")
    return 1 if args.strict and not (met_time and met_memory) else 0


if __name__ == "__main__":
    sys.exit(main())
