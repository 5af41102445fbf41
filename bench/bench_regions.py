"""Benchmark: the regional analysis on the national PPP file (2,765,676 loans), by state, ZIP and H3 cell.

Stages, each timed (the read is reported but is not part of the analysis):

1. ``read``: ``clusterwatch.read_firms(path, format="ppp-us")``;
2. ``table <regions>``: ``firms_to_regions`` (NAICS -> benchmark clusters, employment = jobs retained);
3. ``analyse <regions>``: ``analyse_regions`` (location quotients, US Cluster Mapping flags, stars, Krugman/Hoover,
   proximity and relatedness density) and ``strongest(3)``.

Usage::

    python bench/bench_regions.py [PARQUET] [--strict]

Target: every table + analyse pair under 10 s on a 2-core machine (``--strict`` exits 1 when one is missed).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CLUSTERWATCH_SHARED_DATA", REPO.parent / "shared" / "data"))
PPP_US = SHARED / "ppp_us_2020" / "ppp_under150k_2020-07_49states.parquet"
TARGET_SECONDS = 10.0


def _peak_gib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return (peak if sys.platform == "darwin" else peak * 1024) / 2**30


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parquet", nargs="?", type=Path, default=PPP_US)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    if not args.parquet.exists():
        print(f"missing {args.parquet}; set CLUSTERWATCH_SHARED_DATA")
        return 2

    import clusterwatch
    from clusterwatch.analysis.regional import analyse_regions, firms_to_regions

    started = time.perf_counter()
    firms = clusterwatch.read_firms(args.parquet, format="ppp-us").firms
    print(f"read            {len(firms):>10,} firms  {time.perf_counter() - started:6.1f} s")
    missed = False
    for label, kwargs in (("state", {"region": "region"}), ("ZIP", {"region": "postcode"}),
                          ("H3 res 6", {"region": "h3", "h3_resolution": 6})):
        started = time.perf_counter()
        table = firms_to_regions(firms, **kwargs)  # type: ignore[arg-type]
        built = time.perf_counter() - started
        analysis = analyse_regions(table)
        strongest = analysis.strongest(3)
        analysed = time.perf_counter() - started - built
        total = built + analysed
        missed |= total > TARGET_SECONDS
        strong = int(analysis.flags.cells["strong"].fillna(False).astype(bool).sum())
        print(f"{label:<9} {len(table.regions):>7,} regions {len(table.cells):>9,} cells  table {built:5.1f} s  "
              f"analyse {analysed:5.1f} s  total {total:5.1f} s (target < {TARGET_SECONDS:.0f})  "
              f"{strong:,} strong, {len(strongest):,} strongest rows")
    print(f"peak resident memory {_peak_gib():.2f} GiB")
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
