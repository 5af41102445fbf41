"""Benchmark: the main job, ``clusterwatch scan``, on about 100,000 real firms without text.

Georgia (79,760 loans) and Montana (23,102 loans) PPP establishments are ingested into one temporary workspace and
scanned together (NAICS activities at 2/3/4 digits and benchmark clusters, 999 replicates, seed 1, ``--no-text``).
Target (issue 7): under 5 minutes on 2 cores, peak memory under 4 GB.

Usage::

    python bench/bench_scan_job.py
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CLUSTERWATCH_SHARED_DATA", REPO.parent / "shared" / "data"))
GEORGIA = SHARED / "ppp_georgia" / "ppp_georgia_dedup.csv.gz"
MONTANA = SHARED / "ppp_montana" / "mt-combined.csv"


def main() -> int:
    if not GEORGIA.exists() or not MONTANA.exists():
        print(f"data not found under {SHARED}", file=sys.stderr)
        return 2
    from clusterwatch.cli import run

    with tempfile.TemporaryDirectory(prefix="cw-scan-") as tmp:
        ws = os.path.join(tmp, "ws.duckdb")
        t0 = time.perf_counter()
        for path, fmt in ((GEORGIA, "ppp-georgia"), (MONTANA, "ppp-montana")):
            if run(["ingest", str(path), "--format", fmt, "-w", ws]) != 0:
                return 1
        t1 = time.perf_counter()
        code = run(["scan", "-w", ws, "--out", os.path.join(tmp, "out"), "--no-text", "--seed", "1",
                    "--permutations", "999"])
        t2 = time.perf_counter()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        print(f"ingest         {t1 - t0:8.1f} s")
        print(f"scan           {t2 - t1:8.1f} s")
        print(f"total          {t2 - t0:8.1f} s   (target < 300 s)")
        print(f"peak RSS       {peak:8.2f} GiB (target < 4 GiB)")
        return code


if __name__ == "__main__":
    sys.exit(main())
