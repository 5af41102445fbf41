"""Reading every container format, with record and line numbers."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from clusterwatch import InputError
from clusterwatch.io.sources import file_kind, read_table

ROWS = [{"firm_id": "a", "lat": "60.1", "lon": "24.9"}, {"firm_id": "b", "lat": "60.2", "lon": "24.8"}]


@pytest.mark.parametrize("name", ["f.csv", "f.csv.gz", "f.tsv", "f.xlsx", "f.parquet", "f.json", "f.jsonl"])
def test_every_format_reads_the_same_rows(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    frame = pd.DataFrame(ROWS)
    kind = file_kind(path)
    if kind == "csv" and name.endswith(".gz"):
        with gzip.open(path, "wt") as fh:
            frame.to_csv(fh, index=False)
    elif kind == "csv":
        frame.to_csv(path, index=False)
    elif kind == "tsv":
        frame.to_csv(path, index=False, sep="\t")
    elif kind == "excel":
        frame.to_excel(path, index=False)
    elif kind == "parquet":
        frame.to_parquet(path)
    elif kind == "json":
        path.write_text(json.dumps(ROWS))
    else:
        path.write_text("\n".join(json.dumps(r) for r in ROWS))
    raw = read_table(path)
    assert raw.rows_read == 2
    assert raw.frame["firm_id"].tolist() == ["a", "b"]
    assert raw.frame["_record"].tolist() == [1, 2]
    assert pd.to_numeric(raw.frame["lat"]).tolist() == [60.1, 60.2]


def test_semicolon_and_bom_and_padded_header(tmp_path: Path) -> None:
    path = tmp_path / "semi.csv"
    path.write_bytes("\ufeff firm_id ; lat;lon\na;1,5;2\n".encode())
    raw = read_table(path)
    assert list(raw.frame.columns[:3]) == ["firm_id", "lat", "lon"]
    assert raw.frame["lat"].tolist() == ["1,5"]


def test_other_encodings_and_mac_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("firm_id,name\r1,Caf\xe9\r2,Na\xefve\r".encode("latin-1"))
    raw = read_table(path, encoding="latin-1", newline="\r")
    assert raw.frame["name"].tolist() == ["Café", "Naïve"]
    with pytest.raises(InputError, match="unknown text encoding"):
        read_table(path, encoding="klingon")


def test_unusable_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder"):
        read_table(tmp_path, kind="csv")
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(InputError, match="bad.parquet: cannot be read"):
        read_table(bad)
    ok = tmp_path / "ok.parquet"
    pd.DataFrame(ROWS).to_parquet(ok)
    with pytest.raises(InputError, match="column 'employees'"):
        read_table(ok, columns=["firm_id", "employees"])
