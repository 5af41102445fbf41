"""Benchmark: the main job, ``clusterwatch scan``, on the 102,858 Georgia + Montana PPP firms without text: its
time and memory on 2 cores, and checks of what it finds.

Georgia (79,756 loans, format ``ppp-georgia``) and Montana (23,102 loans, format ``ppp-montana``) PPP
establishments are ingested into one temporary workspace and scanned together (NAICS activities at 2/3/4 digits
and benchmark clusters, 999 replicates, seed 1, ``--no-text``, every other setting at its default). The process
is pinned to ``--cores`` CPUs (default 2) before anything numerical is imported.

Printed:

* ingest and scan wall time, scan CPU time (all threads) and peak resident memory during the scan (sampled every
  10 ms by ``bench/_memory.py``); target: scan under 60 s on 2 cores (issue 12), peak under 4 GiB (issue 7);
* Dalton carpets: the candidates with a piece of NAICS 3141 (carpet and rug mills) whose circle reaches Whitfield
  County, GA (34.77 N, 84.97 W); target: exactly ONE, in the top 10 (its rank, label, status and pieces printed);
* candidate pairs sharing more than half of the smaller one's firms (target 0: merging should have joined them);
* distinct scores among the candidates (ties make the ranking arbitrary).

Usage::

    .venv/bin/python bench/bench_scan_job.py [--cores 2] [--permutations 999] [--seed 1]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CLUSTERWATCH_SHARED_DATA", REPO.parent / "shared" / "data"))
GEORGIA = SHARED / "ppp_georgia" / "ppp_georgia_dedup.csv.gz"
MONTANA = SHARED / "ppp_montana" / "mt-combined.csv"
DALTON = (34.77, -84.97)
CARPETS = "naics:3141"


def overlapping_pairs(candidate_firms, share: float = 0.5) -> int:  # type: ignore[no-untyped-def]
    """Candidate pairs sharing more than ``share`` of the smaller one's firms."""
    import numpy as np
    from scipy import sparse

    ids = candidate_firms["candidate_id"].astype("category")
    firms = candidate_firms["firm_id"].astype(str).astype("category")
    matrix = sparse.csr_matrix((np.ones(len(ids)), (ids.cat.codes, firms.cat.codes)),
                               shape=(len(ids.cat.categories), len(firms.cat.categories)))
    matrix.data[:] = 1.0
    shared = sparse.triu(matrix @ matrix.T, k=1).tocoo()
    size = np.asarray(matrix.sum(axis=1)).ravel()
    return int((shared.data > share * np.minimum(size[shared.row], size[shared.col])).sum())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=2, help="CPUs the job may use")
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not GEORGIA.exists() or not MONTANA.exists():
        print(f"data not found under {SHARED}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _cores import pin  # noqa: E402  (bench/_cores.py: imports nothing numerical)

    pinned = pin(args.cores)
    os.environ.setdefault("COLUMNS", "200")  # the CLI's summary lines unwrapped

    import numpy as np
    import pandas as pd

    from _memory import StagePeak  # noqa: E402
    from clusterwatch.analysis.geometry import haversine_km
    from clusterwatch.cli import run

    memory = StagePeak()
    with tempfile.TemporaryDirectory(prefix="cw-scan-") as tmp:
        ws, out = os.path.join(tmp, "ws.duckdb"), Path(tmp) / "out"
        t0 = time.perf_counter()
        for path, fmt in ((GEORGIA, "ppp-georgia"), (MONTANA, "ppp-montana")):
            with contextlib.redirect_stdout(io.StringIO()) as said:
                if run(["ingest", str(path), "--format", fmt, "-w", ws]) != 0:
                    print(said.getvalue())
                    return 1
        t1, cpu = time.perf_counter(), time.process_time()
        memory.reset()
        with contextlib.redirect_stdout(io.StringIO()) as said:  # the CLI's own table; its summary line is kept
            code = run(["scan", "-w", ws, "--out", str(out), "--no-text", "--seed", str(args.seed),
                        "--permutations", str(args.permutations)])
        t2, cpu = time.perf_counter(), time.process_time() - cpu
        memory.close()
        print("\n".join(line for line in said.getvalue().splitlines() if line.startswith(("Scanned", "Note"))))
        if code != 0:
            print(said.getvalue())
            return code
        candidates = pd.read_csv(out / "candidates.csv", dtype={"candidate_id": str})
        members = pd.read_csv(out / "candidate_firms.csv", dtype=str)
        firms_held = members["firm_id"].nunique()
    scan_s = t2 - t1
    print(f"\n{pinned}; {args.permutations} replicates, seed {args.seed}, no text")
    print(f"ingest         {t1 - t0:8.1f} s")
    print(f"scan wall      {scan_s:8.1f} s   (target < 60 s on 2 cores: {'met' if scan_s < 60 else 'NOT met'})")
    print(f"scan CPU       {cpu:8.1f} s   ({cpu / max(scan_s, 1e-9):.2f} cores busy on average)")
    print(f"scan peak RSS  {memory.peak / 2**30:8.2f} GiB (target < 4 GiB)")
    print(f"candidates     {len(candidates):8d}   holding {firms_held:,} firms")

    pieces = candidates["pieces"].fillna("").astype(str).str.split(";")
    distance = np.asarray(haversine_km(np.array([DALTON[0]]), np.array([DALTON[1]]),
                                       candidates["lat"].to_numpy(float), candidates["lon"].to_numpy(float))).ravel()
    reaches = distance <= candidates["radius_km"].to_numpy(float) + 5.0
    carpets = candidates[pieces.map(lambda p: CARPETS in p).to_numpy() & reaches]
    print(f"\nDalton carpets ({CARPETS} pieces reaching {DALTON}): {len(carpets)} candidate(s)")
    for rank, row in zip(carpets.index + 1, carpets.itertuples(index=False), strict=True):
        print(f"  rank {rank}: {row.candidate_id} '{row.label}' status {row.status}, score {row.score:.2f}, "
              f"{row.n_firms} firms, radius {row.radius_km:.1f} km; pieces {row.pieces}")
    near = candidates[(distance <= 30.0) & ~candidates.index.isin(carpets.index)]
    print(f"  other candidates centred within 30 km of Dalton: {len(near)}")
    for rank, row in zip(near.index + 1, near.itertuples(index=False), strict=True):
        print(f"    rank {rank}: {row.candidate_id} '{row.label}' {row.n_firms} firms; pieces {row.pieces}")
    ok = len(carpets) == 1 and int(carpets.index[0]) < 10
    print(f"  target ONE candidate in the top 10: {'met' if ok else 'NOT met'}")
    print(f"\npairs sharing > half of the smaller one's firms: {overlapping_pairs(members)} (target 0)")
    scores = candidates["score"].round(6)
    ties = int(scores.duplicated(keep=False).sum())
    print(f"distinct scores: {scores.nunique()} of {len(candidates)} candidates ({ties} candidates share a score)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
