"""Benchmark: ingest a 1,000,000-row Companies House BasicCompanyData file with the ``companies-house`` adapter
and store it in a DuckDB workspace.

The file is built from the real 0.1% sample (``shared/data/companies_house_sample``): its rows are resampled with
replacement, each gets a new unique ``CompanyNumber``, and postcodes are drawn half from the sample's real postcodes
and half from the shipped postcode district table (district + a random inward code, so most are district hits).
The build runs in a child process so that the measured peak memory is the ingest's alone.

Usage::

    python bench/bench_ingest_companies_house.py [CSV] [--rows N] [--profile]

With ``CSV`` the file is built there (or reused when it exists); without, in a temporary folder. Target: under
60 s for 1,000,000 rows on a 2-core machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CLUSTERWATCH_SHARED_DATA", REPO.parent / "shared" / "data"))
SAMPLE = SHARED / "companies_house_sample" / "BasicCompanyDataAsOneFile-2020-05-01_sample.csv"


def build(path: str, rows: int, seed: int = 20260527) -> None:
    """Write a ``rows``-row BasicCompanyData CSV at ``path`` from the real sample."""
    import duckdb
    import numpy as np
    import pandas as pd

    from clusterwatch.io.geocode import uk_outcode_lookup

    sample = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed)
    frame = sample.iloc[rng.integers(0, len(sample), rows)].reset_index(drop=True)
    frame["CompanyNumber"] = pd.Series(np.arange(1, rows + 1)).map("{:08d}".format).to_numpy()
    frame["URI"] = "http://business.data.gov.uk/id/company/" + frame["CompanyNumber"]
    real = sample["RegAddress.PostCode"][sample["RegAddress.PostCode"] != ""].to_numpy()
    outcodes = uk_outcode_lookup().keys.to_numpy(dtype=object)
    letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
    synthetic = (
        outcodes[rng.integers(0, len(outcodes), rows)].astype(str)
        + " "
        + rng.integers(1, 10, rows).astype(str)
        + letters[rng.integers(0, len(letters), rows)]
        + letters[rng.integers(0, len(letters), rows)]
    )
    use_real = rng.random(rows) < 0.5
    frame["RegAddress.PostCode"] = np.where(use_real, real[rng.integers(0, len(real), rows)], synthetic)
    con = duckdb.connect()
    try:
        con.register("companies", frame)
        con.execute(f"COPY companies TO '{path}' (HEADER, DELIMITER ',')")
    finally:
        con.close()


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="?", help="where to build (or reuse) the file")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--profile", action="store_true", help="print the 25 costliest functions (cProfile)")
    args = parser.parse_args()
    if not SAMPLE.exists():
        print(f"sample not found: {SAMPLE}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="cw-bench-") as tmp:
        path = args.csv or os.path.join(tmp, "BasicCompanyData-bench.csv")
        if not os.path.exists(path):
            t0 = time.perf_counter()
            child = mp.get_context("spawn").Process(target=build, args=(path, args.rows))
            child.start()
            child.join()
            if child.exitcode != 0:
                print("building the file failed", file=sys.stderr)
                return 1
            print(f"built {path} ({os.path.getsize(path) / 2**20:.0f} MiB) in {time.perf_counter() - t0:.1f} s")

        import clusterwatch

        rss_before = peak_rss_mib()
        t0 = time.perf_counter()
        if args.profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            result = prof.runcall(clusterwatch.read_firms, path, format="companies-house",
                                  today=dt.date(2026, 11, 27))
        else:
            result = clusterwatch.read_firms(path, format="companies-house", today=dt.date(2026, 11, 27))
        seconds_read = time.perf_counter() - t0
        t1 = time.perf_counter()
        with clusterwatch.Workspace(os.path.join(tmp, "bench.duckdb")) as ws:
            ws.store(result)
        seconds_store = time.perf_counter() - t1
        seconds = seconds_read + seconds_store
        report = result.report
        print(f"rows read      {report.rows_read:>12,}")
        print(f"accepted       {report.accepted:>12,}")
        print(f"rejected       {report.rejected:>12,}  {report.sources[0].rejected_by_reason}")
        print(f"located by     {report.sources[0].located_by}")
        print(f"read+validate  {seconds_read:>12.1f} s")
        print(f"store          {seconds_store:>12.1f} s")
        print(f"seconds        {seconds:>12.1f}")
        print(f"rows/s         {report.rows_read / seconds:>12,.0f}")
        print(f"peak RSS       {peak_rss_mib():>12,.0f} MiB (before ingest {rss_before:,.0f} MiB)")
        print(f"target <60 s   {'met' if seconds < 60 else 'MISSED'}")
        if args.profile:
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
