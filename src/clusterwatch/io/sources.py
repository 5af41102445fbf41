"""Read source files (CSV, CSV.gz, TSV, Excel, Parquet, JSON/JSONL) into a raw table of strings.

Every record keeps its position in the file (``_record``: 1-based record number, header excluded; ``_line``: the
physical line where the record starts, header included), so that any rejection later can name it. Records the CSV
parser cannot use (wrong number of fields, undecodable bytes, an unterminated quote) come back as rejected records
with their line and reason instead of stopping the read or vanishing.

CSV reading goes through DuckDB's parallel reader with ``store_rejects``; Excel through pandas/openpyxl; Parquet and
JSON through DuckDB.
"""

from __future__ import annotations

import codecs
import gzip
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from clusterwatch.errors import InputError
from clusterwatch.validation import check_int

#: The string dtype used for text columns: Arrow-backed, with pd.NA (compact for millions of rows).
STR = pd.StringDtype("pyarrow")

RECORD = "_record"
LINE = "_line"

REJECTED_COLUMNS = ["source", "line", "record", "column", "reason", "raw"]

_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "csv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}


def arrow_strings(values: pd.Series) -> pa.ChunkedArray:
    """The values of a Series as Arrow strings (zero-copy for Arrow-backed strings; chunks are kept)."""
    arr = pa.chunked_array(pa.array(values.astype(STR).array)) if len(values) else pa.chunked_array([], pa.string())
    return arr if arr.type == pa.string() else arr.cast(pa.string())


def string_series(arr: pa.Array | pa.ChunkedArray, index: pd.Index) -> pd.Series:
    """Arrow strings back as an Arrow-backed pandas Series on ``index`` (no copy)."""
    if arr.type != pa.string():
        arr = arr.cast(pa.string())
    return pd.Series(pd.arrays.ArrowStringArray(arr), index=index, dtype=STR)


def file_kind(path: str | os.PathLike[str]) -> str:
    """The container format of a file from its name: csv, tsv, excel, parquet, json or jsonl.

    A trailing ``.gz`` is looked through (``firms.csv.gz`` is csv).

    Raises
    ------
    InputError
        When the suffix is not one clusterwatch reads.
    """
    name = Path(path).name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    suffix = Path(name).suffix
    if suffix not in _FORMATS:
        allowed = ", ".join(sorted(_FORMATS)) + " (optionally .gz for csv/tsv/json)"
        raise InputError(f"cannot tell the file type from suffix {suffix!r}; readable: {allowed}", path=str(path))
    return _FORMATS[suffix]


@dataclass
class RawTable:
    """What was read from one file, before any mapping to the canonical schema.

    Attributes
    ----------
    path
        The file read.
    frame
        One row per usable record; source columns as read (strings for CSV/Excel), plus ``_record`` and ``_line``.
    rejected
        Records the parser could not use, with columns ``source, line, record, column, reason, raw``.
    rows_read
        Records found in the file (usable + rejected), header excluded.
    delimiter
        The field separator of a delimited text file (given or detected); ``None`` for other formats.
    """

    path: str
    frame: pd.DataFrame
    rejected: pd.DataFrame = field(default_factory=lambda: empty_rejected())
    rows_read: int = 0
    delimiter: str | None = None

    def require(self, columns: Sequence[str]) -> None:
        """Raise :class:`InputError` naming the first of ``columns`` the file lacks."""
        have = set(self.frame.columns)
        for col in columns:
            if col not in have:
                found = [c for c in self.frame.columns if not c.startswith("_")]
                shown = ", ".join(found)[:300]
                hint = ""
                if found and all(c.startswith("column") and c[6:].isdigit() for c in found):
                    hint = "; the header line could not be read: check the encoding (--encoding) and delimiter"
                raise InputError(f"required column is absent (columns found: {shown}){hint}", path=self.path,
                                 column=col)


def empty_rejected() -> pd.DataFrame:
    """An empty rejected-records frame with the standard columns."""
    return pd.DataFrame(
        {
            "source": pd.Series([], dtype="object"),
            "line": pd.Series([], dtype="Int64"),
            "record": pd.Series([], dtype="Int64"),
            "column": pd.Series([], dtype="object"),
            "reason": pd.Series([], dtype="object"),
            "raw": pd.Series([], dtype="object"),
        }
    )


def _check_readable(path: str | os.PathLike[str]) -> str:
    p = Path(path)
    if not p.exists():
        raise InputError("no such file", path=str(p))
    if p.is_dir():
        raise InputError("is a folder, not a file", path=str(p))
    if not os.access(p, os.R_OK):
        raise InputError("cannot be read (permission denied)", path=str(p))
    return str(p)


def _to_arrow(rel: duckdb.DuckDBPyRelation) -> pa.Table:
    # duckdb renamed fetch_arrow_table → to_arrow_table; support both
    fetch = getattr(rel, "to_arrow_table", None) or rel.fetch_arrow_table
    table: pa.Table = fetch()
    return table


def _arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    # pyarrow-backed strings keep millions of rows within memory budgets
    frame = table.to_pandas(types_mapper={pa.string(): STR, pa.large_string(): STR}.get, self_destruct=True)
    return frame


def read_table(
    path: str | os.PathLike[str],
    *,
    kind: str | None = None,
    delimiter: str | None = None,
    encoding: str = "utf-8",
    columns: Sequence[str] | None = None,
    sheet: str | int | None = None,
    newline: str | None = None,
    header: bool = True,
    skip_rows: int = 0,
) -> RawTable:
    """Read one file into a :class:`RawTable`.

    Parameters
    ----------
    path
        The file. ``.gz`` compressed CSV/TSV/JSON is read as it is.
    kind
        Force the container format (csv, tsv, excel, parquet, json, jsonl); default: from the file name.
    delimiter
        Field separator for CSV; default: detected (``,``, ``;``, tab or ``|``).
    encoding
        Text encoding of CSV/TSV: ``utf-8`` (default) or any Python codec (``latin-1``, ``cp1252`` ...). In UTF-8
        files, records with bytes that do not decode are rejected records, never silently replaced; other encodings
        are transcoded first (small files) and a byte that does not decode stops the read with its offset.
    columns
        Read only these columns (faster on wide Parquet files); each must exist.
    sheet
        Excel sheet name or index (default: the first).
    newline
        ``"\\r"`` for files with classic Mac line ends (they are converted before reading).
    header
        Whether the first line holds column names (CSV).
    skip_rows
        Lines above the header to skip (title rows of an Excel sheet, a CSV preamble); line numbers still count them.

    Raises
    ------
    InputError
        Missing or unreadable file, unknown format, empty file, a requested column absent.
    """
    src = _check_readable(path)
    skip_rows = check_int(skip_rows, "skip_rows", minimum=0)
    kind = kind or file_kind(src)
    if kind in ("csv", "tsv"):
        raw = _read_csv(src, delimiter="\t" if kind == "tsv" and delimiter is None else delimiter,
                        encoding=encoding, newline=newline, header=header, skip_rows=skip_rows)
    elif kind == "excel":
        raw = _read_excel(src, sheet, skip_rows)
    elif kind == "parquet":
        raw = _read_duckdb(src, "read_parquet(?)", columns)
    elif kind in ("json", "jsonl"):
        fmt = "newline_delimited" if kind == "jsonl" else "auto"
        raw = _read_duckdb(src, f"read_json(?, format='{fmt}', union_by_name=true)", columns)
    else:
        raise InputError(f"unknown format {kind!r}; one of csv, tsv, excel, parquet, json, jsonl", path=src)
    if columns is not None:
        raw.require(columns)
        keep = [*columns, RECORD, LINE]
        raw.frame = raw.frame[keep]
    return raw


def _sniff_delimiter(path: str, encoding: str) -> str:
    opener = gzip.open if path.lower().endswith(".gz") else open
    with opener(path, "rb") as fh:
        head = fh.readline(1 << 20).decode(encoding, errors="replace")
    counts = {d: head.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _transcoded(path: str, encoding: str, newline: str | None) -> str:
    """Copy a file to a temporary UTF-8, ``\\n``-ended file (for other encodings or ``\\r`` line ends)."""
    opener = gzip.open if path.lower().endswith(".gz") else open
    with opener(path, "rb") as fh:
        data = fh.read()
    if encoding != "utf-8":
        try:
            data = data.decode(encoding).encode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"is not {encoding} text (byte {exc.start} cannot be decoded); give its encoding with "
                             "--encoding (utf-8, cp1252, latin-1 ...)", path=path) from exc
    if newline == "\r":
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="clusterwatch-")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return tmp


def _read_csv(path: str, *, delimiter: str | None, encoding: str, newline: str | None, header: bool,
              skip_rows: int = 0) -> RawTable:
    try:
        enc = codecs.lookup(encoding).name.replace("_", "-")
    except LookupError as exc:
        raise InputError(f"unknown text encoding {encoding!r} (e.g. utf-8, latin-1, cp1252)", path=path) from exc
    enc = "utf-8" if enc in ("utf-8", "utf8") else enc
    read_path = path
    tmp: str | None = None
    if enc != "utf-8" or newline == "\r":
        tmp = read_path = _transcoded(path, enc, newline)
    delim = delimiter or _sniff_delimiter(read_path, "utf-8")
    con = duckdb.connect()
    try:
        try:
            rel = con.sql(
                "SELECT * FROM read_csv(?, all_varchar=true, header=?, delim=?, quote='\"', escape='\"', "
                "store_rejects=true, auto_detect=true, sample_size=-1, max_line_size=10000000, skip=?)",
                params=[read_path, header, delim, int(skip_rows)],
            )
            table = _to_arrow(rel)
            rejects = con.sql(
                "SELECT line, column_name, error_type, csv_line, error_message FROM reject_errors ORDER BY line"
            ).df()
        except duckdb.Error as exc:
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(f"cannot be read as delimited text ({msg})", path=path) from exc
    finally:
        con.close()
        if tmp is not None:
            os.unlink(tmp)
    frame = _arrow_to_pandas(_normalise_names(table))
    n_ok = len(frame)
    rejected = _parse_rejects(path, rejects, skip_rows)
    n_bad = len(rejected)
    rows_read = n_ok + n_bad
    header_lines = (1 if header else 0) + int(skip_rows)
    # record numbers of the usable rows: all records minus the rejected ones, in order
    if n_bad:
        bad_records = rejected["record"].to_numpy(dtype=np.int64)
        records = np.setdiff1d(np.arange(1, rows_read + 1, dtype=np.int64), bad_records, assume_unique=True)
        if len(records) != n_ok:  # reject lines counted physically; fall back to order
            records = np.arange(1, n_ok + 1, dtype=np.int64)
    else:
        records = np.arange(1, n_ok + 1, dtype=np.int64)
    lines = records + header_lines
    extra = _embedded_newlines(table) if n_ok else None
    if extra is not None:
        # records that span lines push every later record down
        lines = lines + np.concatenate([[0], np.cumsum(extra)[:-1]])
    frame[RECORD] = records
    frame[LINE] = lines
    return RawTable(path=path, frame=frame, rejected=rejected, rows_read=rows_read, delimiter=delim)


def _normalise_names(table: pa.Table) -> pa.Table:
    # strip BOMs and surrounding blanks from header names (" LoanAmount " in the Montana PPP file)
    names = [str(n).replace("\ufeff", "").strip() for n in table.column_names]
    return table.rename_columns(names)


def _embedded_newlines(table: pa.Table) -> np.ndarray | None:
    total: np.ndarray | None = None
    for col in table.columns:
        if not pa.types.is_string(col.type) and not pa.types.is_large_string(col.type):
            continue
        counts = pc.count_substring(col, "\n")
        arr = counts.to_numpy(zero_copy_only=False)
        arr = np.nan_to_num(arr.astype(np.float64)).astype(np.int64)
        if arr.any():
            total = arr if total is None else total + arr
    return total


_ERROR_REASONS = {
    "MISSING COLUMNS": "wrong number of fields (too few)",
    "TOO MANY COLUMNS": "wrong number of fields (too many)",
    "INVALID ENCODING": "undecodable bytes",
    "INVALID UNICODE": "undecodable bytes",
    "UNQUOTED VALUE": "malformed quoting",
    "LINE SIZE OVER MAXIMUM": "line too long",
    "CAST": "unparseable value",
}


def _parse_rejects(path: str, rejects: pd.DataFrame, skip_rows: int = 0) -> pd.DataFrame:
    if rejects.empty:
        return empty_rejected()
    rejects = rejects.drop_duplicates("line", keep="first")
    lines = rejects["line"].astype("int64").to_numpy()
    reason = [
        f"{_ERROR_REASONS.get(str(t), str(t).lower())}: {str(m).splitlines()[0][:160]}"
        for t, m in zip(rejects["error_type"], rejects["error_message"], strict=True)
    ]
    out = pd.DataFrame(
        {
            "source": path,
            "line": pd.array(lines, dtype="Int64"),
            # without multi-line records a record's number is its line less the header
            "record": pd.array(lines - 1 - int(skip_rows), dtype="Int64"),
            "column": rejects["column_name"].astype("object").where(rejects["column_name"].notna(), None).to_numpy(),
            "reason": reason,
            "raw": rejects["csv_line"].astype("object").to_numpy(),
        }
    )
    return out


def _read_excel(path: str, sheet: str | int | None, skip_rows: int = 0) -> RawTable:
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for a bad workbook
        raise InputError(f"cannot be read as an Excel workbook ({exc})", path=path) from exc
    with book:
        sheets = [str(s) for s in book.sheet_names]
        if isinstance(sheet, int) and not 0 <= sheet < len(sheets):
            raise InputError(f"has no sheet {sheet} (0-based); its sheets are {', '.join(map(repr, sheets))}",
                             path=path)
        if isinstance(sheet, str) and sheet not in sheets:
            raise InputError(f"has no sheet {sheet!r}; its sheets are {', '.join(map(repr, sheets))}", path=path)
        try:
            frame = pd.read_excel(book, sheet_name=0 if sheet is None else sheet, dtype=str,
                                  skiprows=skip_rows or None)
        except Exception as exc:  # openpyxl raises many types for a bad workbook
            raise InputError(f"cannot be read as an Excel workbook ({exc})", path=path) from exc
    frame.columns = [str(c).replace("\ufeff", "").strip() for c in frame.columns]
    n = len(frame)
    frame[RECORD] = np.arange(1, n + 1, dtype=np.int64)
    frame[LINE] = frame[RECORD] + 1 + int(skip_rows)
    return RawTable(path=path, frame=frame.reset_index(drop=True), rows_read=n)


def _read_duckdb(path: str, source_sql: str, columns: Sequence[str] | None) -> RawTable:
    con = duckdb.connect()
    try:
        try:
            rel = con.sql(f"SELECT * FROM {source_sql}", params=[path])
            if columns is not None:
                missing = [c for c in columns if c not in rel.columns]
                if missing:
                    raise InputError(
                        f"required column is absent (columns found: {', '.join(rel.columns)[:300]})",
                        path=path,
                        column=missing[0],
                    )
                rel = rel.select(*[duckdb.ColumnExpression(c) for c in columns])
            table = _to_arrow(rel)
        except duckdb.Error as exc:
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(f"cannot be read ({msg})", path=path) from exc
    finally:
        con.close()
    frame = _arrow_to_pandas(table)
    n = len(frame)
    frame[RECORD] = np.arange(1, n + 1, dtype=np.int64)
    frame[LINE] = frame[RECORD]  # JSON/Parquet have no header line; the record number is its position
    return RawTable(path=path, frame=frame, rows_read=n)


def rejected_frame(
    source: str,
    frame: pd.DataFrame,
    mask: Any,
    reason: Any,
    column: str | None,
) -> pd.DataFrame:
    """Build rejected records for the rows of ``frame`` selected by ``mask`` (``reason`` a string or a Series)."""
    sel = frame.loc[mask]
    if isinstance(reason, pd.Series):
        reasons = reason.loc[mask].astype("object").to_numpy()
    else:
        reasons = np.full(len(sel), reason, dtype=object)
    return pd.DataFrame(
        {
            "source": source,
            "line": pd.array(sel[LINE].to_numpy(), dtype="Int64"),
            "record": pd.array(sel[RECORD].to_numpy(), dtype="Int64"),
            "column": column,
            "reason": reasons,
            "raw": None,
        }
    )
