"""Benchmark: ``clusterwatch scan`` WITH text activities on about 149,000 real firms.

The SBA Dynamic Small Business Search profiles (format ``dsbs``: 69,146 firms with free-text capability
statements, nationwide ZIP centroids) and the Georgia PPP establishments (format ``ppp-georgia``: 79,760 loans, no
text) are ingested into one temporary workspace and scanned together with text activities on
(``clusterwatch scan -w WS --out DIR --seed 1``, default 999 replicates). The text path here is TF-IDF + truncated
SVD topics (no sentence-embedding model, nothing cached), so the timing includes building the text activities.
Target (issue 7): under 8 minutes on 2 cores, peak memory under 4 GB.

Usage::

    python bench/bench_scan_text.py [--permutations 999]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CLUSTERWATCH_SHARED_DATA", REPO.parent / "shared" / "data"))
DSBS = SHARED / "us_dsbs" / "dsbs_profiles_capabilities.parquet"
GEORGIA = SHARED / "ppp_georgia" / "ppp_georgia_dedup.csv.gz"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--permutations", type=int, default=999)
    args = parser.parse_args()
    if not DSBS.exists() or not GEORGIA.exists():
        print(f"data not found under {SHARED}", file=sys.stderr)
        return 2
    import pandas as pd

    from clusterwatch import Workspace
    from clusterwatch.cli import run

    with tempfile.TemporaryDirectory(prefix="cw-scan-text-") as tmp:
        ws = os.path.join(tmp, "ws.duckdb")
        out = os.path.join(tmp, "out")
        t0 = time.perf_counter()
        for path, fmt in ((DSBS, "dsbs"), (GEORGIA, "ppp-georgia")):
            if run(["ingest", str(path), "--format", fmt, "-w", ws]) != 0:
                return 1
        t1 = time.perf_counter()
        code = run(["scan", "-w", ws, "--out", out, "--seed", "1", "--permutations", str(args.permutations)])
        t2 = time.perf_counter()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        n_firms = len(Workspace(ws).firms())
        cand_path = Path(out) / "candidates.csv"
        if cand_path.exists():
            cands = pd.read_csv(cand_path)
            kinds = cands["activity"].astype(str).str.split(":").str[0].value_counts().to_dict()
            print(f"candidates     {len(cands):8d}   by activity source: {kinds}")
        print(f"firms          {n_firms:8d}")
        print(f"ingest         {t1 - t0:8.1f} s")
        print(f"scan           {t2 - t1:8.1f} s   (text on: TF-IDF + SVD)")
        print(f"total          {t2 - t0:8.1f} s   (target < 480 s)")
        print(f"peak RSS       {peak:8.2f} GiB (target < 4 GiB)")
        return code


if __name__ == "__main__":
    sys.exit(main())
