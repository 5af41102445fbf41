"""Ingest: read sources through their adapters, validate, geocode, and return canonical tables plus a report.

:func:`read_firms` is pure with respect to the workspace: it never opens one. ``clusterwatch ingest`` calls it and
then stores the result (:mod:`clusterwatch.io.workspace`).
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from clusterwatch.codes.formats import CODES_SEPARATOR, join_codes
from clusterwatch.errors import ClusterwatchError, InputError
from clusterwatch.io.adapters.base import Extract, ReadOptions, get_adapter
from clusterwatch.io.geocode import GeocodeOptions
from clusterwatch.io.sources import LINE, RECORD, STR, empty_rejected
from clusterwatch.io.validate import (
    coerce_firms,
    fill_code_systems,
    missing_value,
    parse_dates,
    parse_numbers,
    validate_firms,
)
from clusterwatch.schema import EVENT_COLUMNS, RELATION_COLUMNS, Column

ROWS_ARE = ("firms", "observations", "relations", "events")


@dataclass(frozen=True)
class SourceReport:
    """Counts for one ingested source; ``rows_read == accepted + rejected`` always holds."""

    dataset: str
    path: str
    format: str
    rows_are: str
    rows_read: int
    accepted: int
    rejected: int
    firms: int
    events: int
    relations: int
    rejected_by_reason: dict[str, int]
    located_by: dict[str, int]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class IngestReport:
    """What was read, accepted and rejected, per source."""

    sources: tuple[SourceReport, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per source with its counts."""
        cols = ["dataset", "path", "format", "rows_are", "rows_read", "accepted", "rejected", "firms",
                "events", "relations"]
        return pd.DataFrame([{c: getattr(s, c) for c in cols} for s in self.sources], columns=cols)

    @property
    def rows_read(self) -> int:
        return sum(s.rows_read for s in self.sources)

    @property
    def accepted(self) -> int:
        return sum(s.accepted for s in self.sources)

    @property
    def rejected(self) -> int:
        return sum(s.rejected for s in self.sources)


@dataclass(frozen=True)
class IngestResult:
    """Firms, dated events and relations in canonical form, the rejected records, and the report.

    Every table has a ``dataset`` column naming the source it came from.
    """

    firms: pd.DataFrame
    events: pd.DataFrame
    relations: pd.DataFrame
    rejected: pd.DataFrame
    report: IngestReport

    @property
    def activities(self) -> pd.DataFrame:
        """Deprecated name of :attr:`events` (the dated-evidence table)."""
        warnings.warn("IngestResult.activities is now IngestResult.events", DeprecationWarning, stacklevel=2)
        return self.events


_DTYPES = {"str": STR, "float": "float64", "date": "datetime64[s]", "bool": "boolean", "int": "Int64"}


def _typed(frame: pd.DataFrame | None, columns: tuple[Column, ...], date_format: str | None = None) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index if frame is not None else pd.RangeIndex(0))
    for col in columns:
        dtype = _DTYPES[col.dtype]
        if frame is not None and col.name in frame.columns:
            values = frame[col.name]
            if col.dtype == "date" and not pd.api.types.is_datetime64_any_dtype(values):
                values = parse_dates(values, date_format)
            elif col.dtype == "float":
                values = parse_numbers(values)
            elif col.dtype == "str":
                values = values.astype(STR).str.strip().replace("", pd.NA)
            out[col.name] = values.astype(dtype)
        else:
            out[col.name] = pd.Series(missing_value(dtype), index=out.index, dtype=dtype)
    return out


def empty_firms() -> pd.DataFrame:
    """An empty canonical firm table (with ``dataset``)."""
    frame = coerce_firms(pd.DataFrame())
    frame.insert(0, "dataset", pd.Series([], dtype=STR))
    return frame


def _merge_observations(rows: pd.DataFrame) -> pd.DataFrame:
    """Merge observation rows into one row per firm: first value seen, earliest founding, all codes."""
    if rows.empty:
        return rows
    grouped = rows.groupby("firm_id", sort=False, dropna=True)
    firms = grouped.first()
    if rows["founded"].notna().any():
        firms["founded"] = grouped["founded"].min()
    if rows["dissolved"].notna().any():
        firms["dissolved"] = grouped["dissolved"].max()
    if rows["employees"].notna().any():
        firms["employees"] = grouped["employees"].max()
    if rows["codes"].notna().any():
        firms["codes"] = grouped["codes"].agg(
            lambda s: join_codes([c for v in s.dropna() for c in str(v).split(CODES_SEPARATOR)]) or pd.NA
        )
    return firms.reset_index()


def _reason_category(reason: str) -> str:
    return reason.split(":", 1)[0].split(" (", 1)[0].strip()


def _validate_links(
    frame: pd.DataFrame, required: Sequence[str], source: str, date_format: str | None
) -> tuple[np.ndarray, pd.DataFrame]:
    """Checks for relation/event-only rows: required ids present, dates and amounts parse."""
    n = len(frame)
    reason = np.full(n, None, dtype=object)
    column = np.full(n, None, dtype=object)
    raw = np.full(n, None, dtype=object)

    def add(mask: np.ndarray, why: str, col: str, values: pd.Series | None = None) -> None:
        m = mask & pd.isna(reason)
        reason[m] = why
        column[m] = col
        if values is not None:
            raw[m] = values.astype(STR).to_numpy(dtype=object, na_value=None)[m]

    for col in required:
        vals = frame[col].astype(STR).str.strip() if col in frame.columns else pd.Series(pd.NA, index=frame.index)
        add((vals.isna() | (vals == "")).to_numpy(), f"missing {col}", col)
    if "date" in frame.columns and not pd.api.types.is_datetime64_any_dtype(frame["date"]):
        given = frame["date"].astype(STR).str.strip().fillna("") != ""
        parsed = parse_dates(frame["date"], date_format)
        add((given & parsed.isna()).to_numpy(), "unparseable date in date", "date", frame["date"])
    for col in ("amount", "weight"):
        if col in frame.columns:
            given = frame[col].astype(STR).str.strip().fillna("") != ""
            add((given & parse_numbers(frame[col]).isna()).to_numpy(), f"unparseable number in {col}", col,
                frame[col])
    ok = pd.isna(reason)
    bad = ~ok
    rejected = pd.DataFrame(
        {
            "source": source,
            "line": pd.array(frame[LINE].to_numpy()[bad], dtype="Int64"),
            "record": pd.array(frame[RECORD].to_numpy()[bad], dtype="Int64"),
            "column": column[bad],
            "reason": reason[bad],
            "raw": raw[bad],
        }
    ) if bad.any() else empty_rejected()
    return ok, rejected


def _link_rejects(table: pd.DataFrame, rows: pd.DataFrame, path: str, date_format: str | None) -> pd.DataFrame:
    """Rejected records for rows whose event/relation has an unparseable date, amount or weight.

    Only records still among ``rows`` count: an adapter may already have rejected a record itself.
    """
    table = table[np.isin(table[RECORD].to_numpy(), rows[RECORD].to_numpy())]
    if LINE not in table.columns:
        lines = pd.Series(rows[LINE].to_numpy(), index=rows[RECORD].to_numpy())
        lines = lines[~lines.index.duplicated()]
        table = table.assign(**{LINE: lines.reindex(table[RECORD].to_numpy()).to_numpy()})
    _, rejected = _validate_links(table, [], path, date_format)
    return rejected


#: Encodings worth trying when a file is not UTF-8 (Western European registers: Windows' cp1252 or latin-1).
ENCODING_HINT = "e.g. --encoding cp1252 or --encoding latin-1"


def _reading_warnings(rows_read: int, by_reason: Mapping[str, int], encoding: str | None) -> list[str]:
    """Notes that tell a user what went wrong reading a file as a whole: no rows at all, text that did not decode.

    >>> _reading_warnings(0, {}, None)
    ['warning: the file holds no rows (a header line at most): nothing was ingested from it']
    >>> _reading_warnings(10, {"undecodable bytes": 3}, None)[0][:68]
    'warning: 3 of 10 rows could not be decoded as utf-8: give the file’s'
    """
    notes = []
    if rows_read == 0:
        notes.append("warning: the file holds no rows (a header line at most): nothing was ingested from it")
    bad = by_reason.get("undecodable bytes", 0)
    if bad:
        notes.append(f"warning: {bad:,} of {rows_read:,} rows could not be decoded as {encoding or 'utf-8'}: give "
                     f"the file’s encoding with --encoding ({ENCODING_HINT}) to read them")
    return notes


def ingest_extract(extract: Extract, *, dataset: str, format_name: str, options: ReadOptions) -> IngestResult:
    """Validate one adapter :class:`Extract` and build the canonical tables and its report."""
    rows_are = extract.rows_are
    if rows_are == "activities":  # the old name of "events"
        warnings.warn(f'adapter {format_name}: rows_are="activities" is now rows_are="events"', DeprecationWarning,
                      stacklevel=2)
        rows_are = "events"
    if rows_are not in ROWS_ARE:
        raise ClusterwatchError(f"adapter {format_name} returned rows_are={rows_are!r}")
    path = extract.path
    parse_rejects = extract.rejected
    events = extract.events
    relations = extract.relations
    located_by: dict[str, int] = {}
    notes = list(extract.notes)
    if rows_are in ("firms", "observations"):
        # a row whose event or relation carries an unparseable date or amount is rejected as a whole
        link_rejects = [
            _link_rejects(table, extract.rows, path, extract.date_formats.get("date"))
            for table in (events, relations)
            if table is not None and len(table) and RECORD in table.columns
        ]
        link_rejected = pd.concat(link_rejects, ignore_index=True).drop_duplicates("record") if link_rejects else None
        rows_in = extract.rows
        if link_rejected is not None and len(link_rejected):
            bad = link_rejected["record"].astype("int64").to_numpy()
            rows_in = rows_in[~np.isin(rows_in[RECORD].to_numpy(), bad)]
        rows_in, code_notes = fill_code_systems(rows_in, code_system=options.code_system, country=options.country,
                                                source=path)
        notes += code_notes
        validated = validate_firms(
            rows_in,
            source=path,
            today=options.today,
            geocode=options.geocode,
            date_formats=extract.date_formats,
            crs=extract.crs,
            unique_ids=rows_are == "firms",
        )
        rows = validated.rows
        row_rejects = validated.rejected
        if link_rejected is not None and len(link_rejected):
            row_rejects = pd.concat([link_rejected, row_rejects], ignore_index=True)
        accepted_records = rows[RECORD].to_numpy()
        located_by = {str(k): int(v) for k, v in rows["geo_precision"].value_counts(dropna=False).items()}
        firms = rows.drop(columns=[RECORD, LINE])
        if rows_are == "observations":
            firms = _merge_observations(firms)
        firms = coerce_firms(firms)
    else:
        table = relations if rows_are == "relations" else events
        if table is None:
            raise ClusterwatchError(f"adapter {format_name} has rows_are={rows_are} but no such table")
        required = ["source"] if rows_are == "relations" else ["firm_id"]
        ok, row_rejects = _validate_links(table, required, path, extract.date_formats.get("date"))
        accepted_records = table[RECORD].to_numpy()[ok]
        firms = coerce_firms(pd.DataFrame())

    def kept(frame: pd.DataFrame | None, columns: tuple[Column, ...]) -> pd.DataFrame:
        if frame is None or frame.empty:
            return _typed(None, columns)
        sel = frame[np.isin(frame[RECORD].to_numpy(), accepted_records)] if RECORD in frame.columns else frame
        return _typed(sel.reset_index(drop=True), columns, extract.date_formats.get("date"))

    dated = kept(events, EVENT_COLUMNS)
    rels = kept(relations, RELATION_COLUMNS)
    rejected = pd.concat([parse_rejects, row_rejects], ignore_index=True) if len(row_rejects) else parse_rejects
    n_rejected = len(rejected)
    n_accepted = len(accepted_records)
    if n_accepted + n_rejected != extract.rows_read:
        raise ClusterwatchError(
            f"internal count mismatch for {path}: read {extract.rows_read}, accepted {n_accepted}, "
            f"rejected {n_rejected}"
        )
    by_reason: dict[str, int] = {}
    for r in rejected["reason"].astype(str):
        cat = _reason_category(r)
        by_reason[cat] = by_reason.get(cat, 0) + 1
    notes += _reading_warnings(extract.rows_read, by_reason, options.encoding)
    report = SourceReport(
        dataset=dataset,
        path=path,
        format=format_name,
        rows_are=rows_are,
        rows_read=extract.rows_read,
        accepted=n_accepted,
        rejected=n_rejected,
        firms=len(firms),
        events=len(dated),
        relations=len(rels),
        rejected_by_reason=dict(sorted(by_reason.items(), key=lambda kv: -kv[1])),
        located_by=located_by,
        notes=tuple(notes),
    )
    for frame in (firms, dated, rels, rejected):
        frame.insert(0, "dataset", pd.Series(dataset, dtype=STR, index=frame.index))
    return IngestResult(firms=firms, events=dated, relations=rels, rejected=rejected,
                        report=IngestReport((report,)))


def default_dataset_name(path: str | os.PathLike[str]) -> str:
    """The dataset name of a source: its file name (re-ingesting a file of that name replaces it)."""
    return Path(path).name


def read_firms(
    sources: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    format: str | None = None,
    columns: Mapping[str, str] | None = None,
    postcodes: str | os.PathLike[str] | None = None,
    geocode_table: str | os.PathLike[str] | None = None,
    crs: str | None = None,
    country: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    code_system: str | None = None,
    date_format: str | None = None,
    sheet: str | int | None = None,
    skip_rows: int = 0,
    dataset: str | None = None,
    today: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> IngestResult:
    """Read firm registers and public datasets into the canonical schema, without touching any workspace.

    Parameters
    ----------
    sources
        One path or several (CSV, CSV.gz, TSV, Excel, Parquet, JSON/JSONL).
    format
        Adapter name (see ``clusterwatch formats``); default ``generic`` (canonical column names).
    columns
        Canonical name → source column, for columns that do not carry canonical names.
    postcodes
        Full UK postcode lookup file; without it UK postcodes are located at district level.
    geocode_table
        Table ``key, lat, lon`` for keys no shipped table covers.
    crs
        CRS of projected ``x``/``y`` columns (e.g. ``EPSG:3857``).
    country
        ISO alpha-2 country of rows without one (picks the postcode table).
    encoding, delimiter, code_system, date_format
        Overrides for generic files.
    sheet, skip_rows
        Excel sheet (name or 0-based index, default the first) and lines above the header to skip (generic files).
    dataset
        Name under which the source is stored (default: its file name); only with a single source.
    today
        Founding dates after this are rejected (default: today).
    progress
        Called with a short message as each source starts.

    Returns
    -------
    IngestResult
        ``firms``, ``events``, ``relations``, ``rejected`` and ``report``; report counts add up per source.

    Raises
    ------
    InputError
        A file that cannot be used at all (missing, unreadable, a required column absent), naming file and column.
    OptionError
        Unknown format or option value.

    Examples
    --------
    >>> import clusterwatch
    >>> result = clusterwatch.read_firms(clusterwatch.demo_path(), format="sbir-awards")
    >>> result.report.rows_read == result.report.accepted + result.report.rejected
    True
    """
    paths = [sources] if isinstance(sources, str | os.PathLike) else list(sources)
    if not paths:
        raise InputError("no source files given")
    if dataset is not None and len(paths) > 1:
        raise InputError("a dataset name can only be given for a single source")
    adapter = get_adapter(format or "generic")
    options = ReadOptions(
        columns=dict(columns or {}),
        geocode=GeocodeOptions(
            postcodes=str(postcodes) if postcodes else None,
            geocode_table=str(geocode_table) if geocode_table else None,
        ),
        crs=crs,
        country=country.upper() if country else None,
        encoding=encoding,
        delimiter=delimiter,
        code_system=code_system.lower() if code_system else None,
        date_format=date_format,
        sheet=sheet,
        skip_rows=skip_rows,
        today=today or dt.date.today(),
    )
    results: list[IngestResult] = []
    names_seen: set[str] = set()
    for path in paths:
        p = str(path)
        name = dataset or default_dataset_name(p)
        if name in names_seen:
            raise InputError(f"two sources share the dataset name {name!r}; rename one", path=p)
        names_seen.add(name)
        if progress:
            progress(f"reading {name}")
        extract = adapter.read(p, options)
        results.append(ingest_extract(extract, dataset=name, format_name=adapter.name, options=options))
    return combine(results)


def combine(results: Sequence[IngestResult]) -> IngestResult:
    """Concatenate several ingest results (one per source)."""

    def cat(frames: list[pd.DataFrame]) -> pd.DataFrame:
        frames = [f for f in frames if len(f)] or frames[:1]
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)

    return IngestResult(
        firms=cat([r.firms for r in results]),
        events=cat([r.events for r in results]),
        relations=cat([r.relations for r in results]),
        rejected=cat([r.rejected for r in results]),
        report=IngestReport(tuple(s for r in results for s in r.report.sources)),
    )
