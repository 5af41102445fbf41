"""Rebuild the bundled demo dataset ``src/clusterwatch/data/demo/sbir_demo_awards.csv.gz`` from the shared data.

Selection rule: every award of ``sbir/awards_with_address.csv.gz`` whose ``state`` is ``MA`` and whose
``award_year`` is 1983 to 2002, in file order. Records (and the header) are copied byte for byte from the source,
so the demo has the source's exact format; the file is gzip level 9 with no name and mtime 0, so a rebuild gives
the same bytes (for a given zlib). See ``src/clusterwatch/data/demo/PROVENANCE.md``.

Usage::

    python bench/make_demo.py [--source CSV_GZ] [--out CSV_GZ]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CLUSTERWATCH_SHARED_DATA", REPO.parent / "shared" / "data"))
SOURCE = SHARED / "sbir" / "awards_with_address.csv.gz"
OUT = REPO / "src" / "clusterwatch" / "data" / "demo" / "sbir_demo_awards.csv.gz"

STATE = "MA"
FIRST_YEAR, LAST_YEAR = 1983, 2002  # the address file has no awards 2003-2016; 2017-2018 would start after a gap


def split_records(data: bytes) -> list[bytes]:
    """The CSV records of ``data`` as raw bytes (header first): a line feed ends a record outside quotes only."""
    arr = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(arr == ord("\n"))
    quotes = np.flatnonzero(arr == ord('"'))
    ends = newlines[np.searchsorted(quotes, newlines) % 2 == 0]
    starts = np.concatenate([[0], ends + 1])
    stops = np.concatenate([ends, [len(data)]])
    return [data[a:b] for a, b in zip(starts.tolist(), stops.tolist(), strict=True) if b > a]


def build(source: Path, out: Path) -> dict[str, int]:
    """Write the demo file; returns its counts (records, firms, ZIPs, years, bytes)."""
    from clusterwatch.io.adapters.base import ReadOptions
    from clusterwatch.io.adapters.sbir import firm_key, read_sbir_awards

    with gzip.open(source, "rb") as fh:
        data = fh.read()
    records = split_records(data)
    # fields of each record, to select by; carriage returns only matter to the output, which is copied raw
    fields = list(csv.reader(r.decode("utf-8").replace("\r", " ") for r in records))
    header, rows = fields[0], fields[1:]
    if any(len(r) != len(header) for r in rows):
        raise SystemExit("a record does not have as many fields as the header")
    read = read_sbir_awards(str(source), ReadOptions())
    if len(rows) != read.rows_read:
        raise SystemExit(f"record split disagrees with the reader: {len(rows)} vs {read.rows_read} records")
    state, year, zip5, firm = (header.index(c) for c in ("state", "award_year", "zip5", "firm"))
    chosen = [i for i, r in enumerate(rows, start=1)
              if r[state] == STATE and r[year].isdigit() and FIRST_YEAR <= int(r[year]) <= LAST_YEAR]
    body = b"\n".join([records[0], *(records[i] for i in chosen)]) + b"\n"
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(body)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(buf.getvalue())
    import pandas as pd

    picked = [rows[i - 1] for i in chosen]
    return {
        "records": len(chosen),
        "firm_names": len({r[firm] for r in picked}),
        "firm_keys": int(firm_key(pd.Series([r[firm] for r in picked])).nunique()),
        "zips": len({r[zip5] for r in picked}),
        "years": len({r[year] for r in picked}),
        "bytes": len(buf.getvalue()),
        "uncompressed_bytes": len(body),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if not args.source.exists():
        print(f"source not found: {args.source}", file=sys.stderr)
        return 2
    counts = build(args.source, args.out)
    print(f"wrote {args.out}")
    for key, value in counts.items():
        print(f"  {key:<20} {value:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
