"""Benchmark: the facilitator's outputs of a scan — report page, place names, GIS files — on Georgia PPP.

Georgia PPP (79,756 loans, format ``ppp-georgia``) is read and scanned in memory (``--no-text``, 999 replicates,
seed 1, other settings at their defaults); then each output step is timed on its own:

* ``nearest_places`` of every firm (first call: gazetteer and KD-tree built; second call: cached);
* ``render_scan_html`` (map data: boundaries, place labels, member firms, H3 cells; cards; methods) and the page
  size in MB: the first call (it also decodes the shipped boundaries) and the best and median of ``--repeats``
  more. 2026-12-04 (2-core machine shared with other jobs; 241 candidates, 13,767 member firms): first call /
  best / median 1.89 / 1.06 / 1.28 s before ``candidate_places`` counted all candidates' members in one pass and
  the cards stopped building empty frames and ``itertuples``; 1.32 / 0.59 / 0.77 s after (the same HTML);
* ``write_candidate_outputs`` (CSVs, GeoJSON, GeoPackage, GeoParquet) and the GeoPackage's layers and size.

Also printed: the place of the candidate with a NAICS 3141 (carpet and rug mills) piece — expected "Dalton,
Whitfield County, GA" — and how many candidates have no place name.

Usage::

    .venv/bin/python bench/bench_report.py [--permutations 999] [--seed 1] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CLUSTERWATCH_SHARED_DATA", REPO.parent / "shared" / "data"))
GEORGIA = SHARED / "ppp_georgia" / "ppp_georgia_dedup.csv.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5, help="renders timed after the first")
    args = parser.parse_args()

    from clusterwatch import read_firms
    from clusterwatch.candidates import CandidateConfig, find_candidates
    from clusterwatch.places import nearest_places
    from clusterwatch.report.gis import write_candidate_outputs
    from clusterwatch.report.mapdata import candidate_places, member_firms
    from clusterwatch.report.scan import render_scan_html

    start = time.perf_counter()
    read = read_firms(str(GEORGIA), format="ppp-georgia")
    found = find_candidates(read.firms, read.events, rng=args.seed,
                            config=CandidateConfig(use_text=False, permutations=args.permutations))
    firms = read.firms
    print(f"read + scan: {time.perf_counter() - start:.1f} s; {len(firms):,} firms, "
          f"{len(found.candidates)} candidates, {len(found.candidate_firms):,} memberships")

    for attempt in ("first", "second"):
        start = time.perf_counter()
        names = nearest_places(firms["lat"], firms["lon"], country=firms["country"])
        print(f"nearest_places of {len(firms):,} firms ({attempt} call): {time.perf_counter() - start:.2f} s; "
              f"{(names['place'] == '').sum():,} without a name")

    seconds = []
    for _ in range(1 + args.repeats):  # the first call also decodes the shipped boundaries (once a process)
        start = time.perf_counter()
        page = render_scan_html(found, firms)
        seconds.append(time.perf_counter() - start)
    print(f"render_scan_html: first call {seconds[0]:.2f} s, then best of {args.repeats} {min(seconds[1:]):.2f} s "
          f"(median {sorted(seconds[1:])[args.repeats // 2]:.2f} s); {len(page.encode()) / 1e6:.1f} MB")

    named = candidate_places(found.candidates, member_firms(found.candidate_firms, firms))
    carpets = found.pieces.loc[found.pieces["activity_id"].astype(str).str.startswith("naics:3141"), "candidate_id"]
    for cid in sorted(set(carpets)):
        print(f"carpet candidate {cid}: {named.loc[named['candidate_id'] == cid, 'place'].iloc[0]}")
    print(f"candidates without a place name: {(named['place'] == '').sum()} of {len(named)}")

    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        written = write_candidate_outputs(found, firms, folder)
        print(f"write_candidate_outputs: {time.perf_counter() - start:.1f} s; "
              f"{sum(p.stat().st_size for p in written.values()) / 1e6:.1f} MB in {len(written)} files")
        con = sqlite3.connect(Path(folder) / "candidates.gpkg")
        for (layer,) in con.execute("SELECT table_name FROM gpkg_contents ORDER BY table_name"):
            print(f"  candidates.gpkg layer {layer}: {con.execute(f'SELECT count(*) FROM {layer}').fetchone()[0]:,}")
        con.close()


if __name__ == "__main__":
    main()
