"""Benchmark: the facilitator's outputs of a scan — report page, place names, GIS files — on Georgia PPP.

Georgia PPP (79,756 loans, format ``ppp-georgia``) is read and scanned in memory (``--no-text``, 999 replicates,
seed 1, other settings at their defaults); then each output step is timed on its own:

* ``nearest_places`` of every firm (first call: gazetteer and KD-tree built; second call: cached);
* ``render_scan_html`` (map data: boundaries, place labels, member firms, H3 cells; cards; methods) and the page
  size in MB;
* ``write_candidate_outputs`` (CSVs, GeoJSON, GeoPackage, GeoParquet) and the GeoPackage's layers and size.

Also printed: the place of the candidate with a NAICS 3141 (carpet and rug mills) piece — expected "Dalton,
Whitfield County, GA" — and how many candidates have no place name.

Usage::

    .venv/bin/python bench/bench_report.py [--permutations 999] [--seed 1]
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

    start = time.perf_counter()
    page = render_scan_html(found, firms)
    print(f"render_scan_html: {time.perf_counter() - start:.1f} s; {len(page.encode()) / 1e6:.1f} MB")

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
