"""Validate extracted rows: parse values, check them, geocode, and split accepted rows from rejected ones.

Every check is vectorised. A row is rejected for the first check it fails, with a reason that starts with a fixed
category (``"missing firm_id"``, ``"impossible coordinates"`` ...) followed by the offending value, and names the
column. Checks, in order:

1. ``firm_id`` missing (empty)
2. coordinates: unparseable, out of range (|lat| > 90, |lon| > 180) or 0/0; rows without coordinates are geocoded
   from ``postcode`` (+ ``country``), and what cannot be located is rejected with the lookup's reason
3. dates: ``founded``/``dissolved`` unparseable, ``founded`` in the future, ``dissolved`` before ``founded``
4. ``employees``: unparseable or negative
5. ``code``/``codes``: malformed for their code system
6. ``sme``: not a yes/no value; ``kind``: not one of the triple-helix kinds
7. ``firm_id`` repeated (for files where each row is a firm; the first occurrence is kept)
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from clusterwatch.codes.formats import CODE_PATTERNS, normalise_code
from clusterwatch.io.geocode import GeocodeOptions, locate_postcodes, project_to_wgs84
from clusterwatch.io.sources import LINE, RECORD, STR, arrow_strings, empty_rejected, string_series
from clusterwatch.schema import FIRM_COLUMNS, FIRM_KINDS, names

#: Rows validated at a time: bounds the memory of temporary arrays on files of millions of rows.
CHUNK_ROWS = 400_000

_TRUE = {"true", "t", "yes", "y", "1", "1.0", "sme", "x"}
_FALSE = {"false", "f", "no", "n", "0", "0.0", "non-sme"}


def parse_dates(values: pd.Series, fmt: str | None = None) -> pd.Series:
    """Parse dates; a year alone (``2012``) becomes 1 January. Returns ``datetime64`` with NaT where unparseable.

    Without ``fmt``: ISO 8601 (``2020-04-08``, ``2020-04-08 00:00:00``), a year alone, or ``YYYYMMDD``.
    """
    s = values.astype(STR).str.strip()
    s = s.where(s != "", pd.NA)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[s]")
    todo = s.notna()
    if not todo.any():
        return out
    if fmt:
        parsed = pd.to_datetime(s[todo], format=fmt, errors="coerce")
        out[todo] = parsed.to_numpy(dtype="datetime64[s]")
        return out
    year = s.str.fullmatch(r"\d{4}(\.0)?").fillna(False)
    if year.any():
        out[year] = pd.to_datetime(s[year].str.slice(0, 4), format="%Y", errors="coerce").to_numpy(
            dtype="datetime64[s]"
        )
    rest = todo & ~year
    if rest.any():
        compact = s.str.fullmatch(r"\d{8}").fillna(False) & rest
        if compact.any():
            out[compact] = pd.to_datetime(s[compact], format="%Y%m%d", errors="coerce").to_numpy(
                dtype="datetime64[s]"
            )
        iso = rest & ~compact
        if iso.any():
            parsed = pd.to_datetime(s[iso], format="ISO8601", errors="coerce", utc=False)
            if isinstance(parsed.dtype, pd.DatetimeTZDtype):
                parsed = parsed.dt.tz_localize(None)
            out[iso] = parsed.to_numpy(dtype="datetime64[s]")
    return out


def parse_numbers(values: pd.Series) -> pd.Series:
    """Numbers as published: blanks, thousands separators (``"1 139 200"``, ``"1,200"``) and decimal commas
    (``"125113,75"``) allowed. NaN where empty or unparseable."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    arr = pc.replace_substring_regex(arrow_strings(values), r"[\s\x{00a0}\x{202f}]", "")
    thousands = pc.match_substring_regex(arr, r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$")
    arr = pc.if_else(thousands, pc.replace_substring(arr, ",", ""), arr)
    decimal_comma = pc.match_substring_regex(arr, r"^[-+]?\d*,\d+$")
    arr = pc.if_else(decimal_comma, pc.replace_substring(arr, ",", "."), arr)
    numeric = pc.match_substring_regex(arr, r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
    arr = pc.if_else(numeric, arr, pa.scalar(None, pa.string()))
    out = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
    return pd.Series(out, index=values.index, dtype="float64")


#: A number written with a decimal comma, optionally with dots (or spaces) between thousands: 59,91 or 1.234,5.
_DECIMAL_COMMA = r"^[-+]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$"


def decimal_comma_numbers(values: pd.Series, *, integer: bool = False) -> tuple[pd.Series, int]:
    """Numbers written the continental way (``59,91``; ``1.234,5``) rewritten with a decimal point, and how many.

    For files whose fields are separated by ``;`` — the convention where the comma is the decimal separator. A
    value such as ``10,123`` is then ten point one two three (never ten thousand one hundred and twenty-three, as
    :func:`parse_numbers` reads it in a comma-separated file). A dot alone stays a decimal point (``10.5``), except
    in counts (``integer``), where ``1.234`` can only be a thousand two hundred and thirty-four. Other values are
    left as they are.

    >>> fixed, n = decimal_comma_numbers(pd.Series(["59,91", "10,123", "1.234,5", "10.5", "", None]))
    >>> fixed.tolist(), n
    (['59.91', '10.123', '1234.5', '10.5', '', <NA>], 3)
    >>> decimal_comma_numbers(pd.Series(["1.234", "12"]), integer=True)[0].tolist()
    ['1234', '12']
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values, 0
    original = arrow_strings(values)
    arr = pc.replace_substring_regex(original, r"[\s\x{00a0}\x{202f}]", "")
    european = pc.and_(pc.match_substring_regex(arr, _DECIMAL_COMMA), pc.match_substring(arr, ","))
    thousands = r"^[-+]?\d{1,3}(\.\d{3})+$" if integer else r"^[-+]?\d{1,3}(\.\d{3}){2,}$"
    european = pc.fill_null(pc.or_(european, pc.match_substring_regex(arr, thousands)), False)
    n = int(pc.sum(european).as_py() or 0)
    if not n:
        return values, 0
    rewritten = pc.replace_substring(pc.replace_substring(arr, ".", ""), ",", ".")
    return string_series(pc.if_else(european, rewritten, original), values.index), n


def parse_bool(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Yes/no values → (boolean Series with NA, mask of values that were given but are not yes/no)."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean"), pd.Series(False, index=values.index)
    s = values.astype(STR).str.strip().str.lower()
    given = s.notna() & (s != "")
    is_true = s.isin(_TRUE).fillna(False)
    is_false = s.isin(_FALSE).fillna(False)
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[is_true] = True
    out[is_false] = False
    return out, given & ~is_true & ~is_false


@dataclass
class Validated:
    """Accepted rows in canonical types, and the rejected records."""

    rows: pd.DataFrame
    rejected: pd.DataFrame


class _Rejections:
    """Collects the first reason per row."""

    def __init__(self, frame: pd.DataFrame, source: str) -> None:
        self.frame = frame
        self.source = source
        self.reason = np.full(len(frame), None, dtype=object)
        self.column = np.full(len(frame), None, dtype=object)
        self.raw = np.full(len(frame), None, dtype=object)

    @property
    def ok(self) -> np.ndarray:
        return pd.isna(self.reason)

    def add(self, mask: np.ndarray | pd.Series, reason: str | np.ndarray, column: str,
            raw: pd.Series | None = None) -> None:
        m = np.asarray(mask, dtype=bool) & self.ok
        if not m.any():
            return
        self.reason[m] = reason if isinstance(reason, str) else np.asarray(reason, dtype=object)[m]
        self.column[m] = column
        if raw is not None:
            self.raw[m] = raw[m].astype(STR).str.slice(0, 200).to_numpy(dtype=object, na_value=None)

    def frame_of_rejected(self) -> pd.DataFrame:
        bad = ~self.ok
        if not bad.any():
            return empty_rejected()
        return pd.DataFrame(
            {
                "source": self.source,
                "line": pd.array(self.frame[LINE].to_numpy()[bad], dtype="Int64"),
                "record": pd.array(self.frame[RECORD].to_numpy()[bad], dtype="Int64"),
                "column": self.column[bad],
                "reason": self.reason[bad],
                "raw": self.raw[bad],
            }
        )


def _text(frame: pd.DataFrame, col: str) -> pd.Series:
    """A column as trimmed Arrow-backed strings, empty strings as NA (all-NA when the column is absent)."""
    if col not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype=STR)
    values = frame[col]
    arr = arrow_strings(values)
    trimmed = _blank_to_null(pc.utf8_trim_whitespace(arr))
    if trimmed.equals(arr) and values.dtype == STR:
        return values  # already clean: share the buffers instead of copying millions of strings
    return string_series(trimmed, frame.index)


def _blank_to_null(arr: pa.Array) -> pa.Array:
    blank = pc.equal(arr, "")
    if not pc.any(blank).as_py():
        return arr
    return pc.if_else(blank, pa.scalar(None, pa.string()), arr)


def validate_firms(
    rows: pd.DataFrame,
    *,
    source: str,
    today: dt.date,
    geocode: GeocodeOptions,
    date_formats: dict[str, str] | None = None,
    crs: str | None = None,
    unique_ids: bool = True,
) -> Validated:
    """Check and type the firm rows of one extract.

    Parameters
    ----------
    rows
        Canonical columns as read (strings or typed), plus ``_record`` and ``_line``.
    source
        The file, named in every rejected record.
    today
        Founding dates after it are rejected as in the future.
    geocode
        Lookup files for rows located by postcode.
    date_formats
        ``strptime`` format per date column, where not ISO.
    crs
        CRS of ``x``/``y`` columns, when present.
    unique_ids
        Reject repeated ``firm_id`` (each row is a firm); ``False`` where rows are observations of firms.

    Returns
    -------
    Validated
        Accepted rows with every canonical column in its canonical type, and the rejected records.
    """
    chunks = [
        _validate_chunk(rows.iloc[start:start + CHUNK_ROWS], source=source, today=today, geocode=geocode,
                        date_formats=date_formats, crs=crs)
        for start in range(0, max(len(rows), 1), CHUNK_ROWS)
    ]
    accepted = chunks[0].rows if len(chunks) == 1 else pd.concat([c.rows for c in chunks], ignore_index=True)
    rejected = [c.rejected for c in chunks if len(c.rejected)]
    if unique_ids and len(accepted):
        duplicates = _duplicate_ids(accepted, source)
        if len(duplicates):
            rejected.append(duplicates)
            accepted = accepted[~accepted[RECORD].isin(duplicates["record"].astype("int64"))].reset_index(drop=True)
    rejected_frame = pd.concat(rejected, ignore_index=True) if rejected else empty_rejected()
    return Validated(rows=accepted, rejected=rejected_frame)


def _duplicate_ids(accepted: pd.DataFrame, source: str) -> pd.DataFrame:
    """Rejected records for repeated ids among accepted rows (the first occurrence stays)."""
    ids = arrow_strings(accepted["firm_id"])
    if len(pc.unique(ids)) == len(ids):
        return empty_rejected()
    firm_id = accepted["firm_id"]
    dup = firm_id.duplicated(keep="first").to_numpy()
    dup_ids = firm_id[dup]
    firsts = firm_id.isin(dup_ids.unique()).to_numpy() & ~dup
    first_line = dict(zip(firm_id[firsts], accepted[LINE].to_numpy()[firsts], strict=True))
    return pd.DataFrame(
        {
            "source": source,
            "line": pd.array(accepted[LINE].to_numpy()[dup], dtype="Int64"),
            "record": pd.array(accepted[RECORD].to_numpy()[dup], dtype="Int64"),
            "column": "firm_id",
            "reason": [f"duplicate firm_id (first seen at line {first_line[i]})" for i in dup_ids],
            "raw": dup_ids.astype(object).to_numpy(),
        }
    )


def _validate_chunk(
    rows: pd.DataFrame,
    *,
    source: str,
    today: dt.date,
    geocode: GeocodeOptions,
    date_formats: dict[str, str] | None,
    crs: str | None,
) -> Validated:
    frame = rows.reset_index(drop=True)
    rej = _Rejections(frame, source)
    n = len(frame)
    date_formats = date_formats or {}

    firm_id = _text(frame, "firm_id")
    rej.add(firm_id.isna().to_numpy(), "missing firm_id", "firm_id")

    # coordinates: given, projected, or geocoded
    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    precision = np.full(n, None, dtype=object)
    if "x" in frame.columns and "y" in frame.columns and crs:
        xs, ys = parse_numbers(frame["x"]), parse_numbers(frame["y"])
        bad_xy = (_text(frame, "x").notna() & xs.isna()) | (_text(frame, "y").notna() & ys.isna())
        rej.add(bad_xy.to_numpy(), "unparseable coordinates: projected x/y is not a number", "x", frame["x"])
        has = (xs.notna() & ys.notna()).to_numpy()
        if has.any():
            plat, plon = project_to_wgs84(xs.to_numpy()[has], ys.to_numpy()[has], crs)
            lat[has], lon[has] = plat, plon
            precision[has] = "point"
    for col, arr in (("lat", lat), ("lon", lon)):
        if col in frame.columns:
            vals = parse_numbers(frame[col])
            given = _text(frame, col).notna()
            rej.add((given & vals.isna()).to_numpy(), f"unparseable coordinates: {col} is not a number", col,
                    frame[col])
            has = vals.notna().to_numpy() & np.isnan(arr)
            arr[has] = vals.to_numpy()[has]
    has_both = ~np.isnan(lat) & ~np.isnan(lon)
    if "geo_precision" in frame.columns:
        # an adapter that sets coordinates from something coarser than a point (a city centre) says so
        stated = _text(frame, "geo_precision").to_numpy(dtype=object, na_value=None)
        use = has_both & ~pd.isna(stated)
        precision[use] = stated[use]
    precision[has_both & pd.isna(precision)] = "point"
    one_only = np.isnan(lat) ^ np.isnan(lon)
    rej.add(one_only, "unparseable coordinates: only one of lat/lon given", "lat")
    out_of_range = has_both & ((np.abs(np.nan_to_num(lat)) > 90) | (np.abs(np.nan_to_num(lon)) > 180))
    shown = None
    if out_of_range.any():
        shown = "lat=" + pd.Series(lat).astype(str) + ", lon=" + pd.Series(lon).astype(str)
    rej.add(out_of_range, "impossible coordinates: out of range", "lat", shown)
    zero = has_both & (lat == 0) & (lon == 0)
    rej.add(zero, "impossible coordinates: 0/0", "lat")
    need = ~has_both & ~one_only & rej.ok
    if need.any():
        postcodes = _text(frame, "postcode")[need]
        countries = _text(frame, "country")[need]
        located = locate_postcodes(postcodes, countries, geocode)
        idx = np.flatnonzero(need)
        lat[idx], lon[idx], precision[idx] = located.lat, located.lon, located.precision
        miss = np.zeros(n, dtype=bool)
        miss[idx] = np.isnan(located.lat)
        reasons = np.full(n, None, dtype=object)
        missed = np.isnan(located.lat)
        reasons[idx[missed]] = np.array(["cannot locate: " + str(r) for r in located.reason[missed]], dtype=object)
        rej.add(miss, reasons, "postcode", _text(frame, "postcode"))

    # dates
    parsed: dict[str, pd.Series] = {}
    for col in ("founded", "dissolved"):
        if col in frame.columns:
            values = frame[col]
            if pd.api.types.is_datetime64_any_dtype(values):
                parsed[col] = values.astype("datetime64[s]")
            else:
                parsed[col] = parse_dates(values, date_formats.get(col))
                given = _text(frame, col).notna()
                rej.add((given & parsed[col].isna()).to_numpy(), f"unparseable date in {col}", col, frame[col])
    if "founded" in parsed:
        future = (parsed["founded"] > pd.Timestamp(today)).fillna(False).to_numpy()
        rej.add(future, f"founding date in the future (after {today.isoformat()})", "founded", frame["founded"])
    if "founded" in parsed and "dissolved" in parsed:
        before = (parsed["dissolved"] < parsed["founded"]).fillna(False).to_numpy()
        rej.add(before, "dissolved before founded", "dissolved", frame["dissolved"])

    # sizes
    employees = None
    if "employees" in frame.columns:
        employees = parse_numbers(frame["employees"])
        given = _text(frame, "employees").notna()
        rej.add((given & employees.isna()).to_numpy(), "unparseable number in employees", "employees",
                frame["employees"])
        rej.add((employees < 0).fillna(False).to_numpy(), "negative size in employees", "employees",
                frame["employees"])

    # codes
    code = normalise_code(frame["code"]) if "code" in frame.columns else None
    systems = _text(frame, "code_system").str.lower() if "code_system" in frame.columns else None
    codes = None
    if "codes" in frame.columns:
        codes = frame["codes"].astype(STR).str.replace(r"[.\s]", "", regex=True).replace("", pd.NA)
    if code is not None or codes is not None:
        sys_series = systems if systems is not None else pd.Series(pd.NA, index=frame.index, dtype=STR)
        for system, pattern in CODE_PATTERNS.items():
            in_sys = (sys_series == system).fillna(False)
            if not in_sys.any():
                continue
            if code is not None:
                bad = in_sys & code.notna() & ~code.str.fullmatch(pattern).fillna(False)
                rej.add(bad.to_numpy(), f"malformed {system} code", "code", frame["code"])
            if codes is not None:
                rx = re.compile(rf"^(?:{pattern})(?:;(?:{pattern}))*$")
                bad = in_sys & codes.notna() & ~codes.str.match(rx).fillna(False)
                rej.add(bad.to_numpy(), f"malformed {system} code in codes", "codes", frame["codes"])
        if code is not None:
            other = ~sys_series.isin(list(CODE_PATTERNS)).fillna(False) & code.notna()
            bad = other & ~code.str.fullmatch(r"[A-Za-z0-9]{1,12}").fillna(False)
            rej.add(bad.to_numpy(), "malformed code", "code", frame["code"])

    sme = None
    if "sme" in frame.columns:
        sme, bad_sme = parse_bool(frame["sme"])
        rej.add(bad_sme.to_numpy(), "unparseable yes/no in sme", "sme", frame["sme"])
    kind = None
    if "kind" in frame.columns:
        kind = _text(frame, "kind").str.lower()
        bad = kind.notna() & ~kind.isin(list(FIRM_KINDS)).fillna(False)
        rej.add(bad.to_numpy(), f"unknown kind (allowed: {', '.join(FIRM_KINDS)})", "kind", frame["kind"])

    ok = rej.ok
    keep = pd.RangeIndex(int(ok.sum()))
    typed: dict[str, pd.Series | np.ndarray] = {
        "firm_id": firm_id,
        "lat": lat,
        "lon": lon,
        "geo_precision": precision,
    }
    if code is not None:
        typed["code"] = code
    if codes is not None:
        typed["codes"] = codes
    elif code is not None:
        typed["codes"] = code
    if systems is not None:
        typed["code_system"] = systems
    typed.update(parsed)
    if employees is not None:
        typed["employees"] = employees
    if sme is not None:
        typed["sme"] = sme
    if kind is not None:
        typed["kind"] = kind
    columns: dict[str, pd.Series] = {}
    for col in names(FIRM_COLUMNS):
        values = typed.get(col)
        if values is None and col in frame.columns:
            values = _text(frame, col)
        if values is None:
            continue
        if isinstance(values, pd.Series):
            columns[col] = values[ok].reset_index(drop=True)  # stays Arrow-backed: no Python objects
        else:
            columns[col] = pd.Series(values[ok], index=keep)
    columns[RECORD] = pd.Series(frame[RECORD].to_numpy()[ok], index=keep)
    columns[LINE] = pd.Series(frame[LINE].to_numpy()[ok], index=keep)
    out = pd.DataFrame(columns, index=keep)
    return Validated(rows=coerce_firms(out), rejected=rej.frame_of_rejected())


_DTYPES = {"str": STR, "float": "float64", "date": "datetime64[s]", "bool": "boolean", "int": "Int64"}


def missing_value(dtype: str) -> object:
    """The missing-value marker pandas accepts for a dtype (NaN, NaT or NA)."""
    return {"float64": np.nan, "datetime64[s]": pd.NaT}.get(dtype, pd.NA)


def coerce_firms(frame: pd.DataFrame) -> pd.DataFrame:
    """Give a firm frame every canonical column, in canonical order and type (missing columns are all-NA)."""
    out = pd.DataFrame(index=frame.index)
    for col in FIRM_COLUMNS:
        dtype = _DTYPES[col.dtype]
        if col.name in frame.columns:
            out[col.name] = frame[col.name].astype(dtype)
        else:
            out[col.name] = pd.Series(missing_value(dtype), index=frame.index,
                                      dtype=dtype)
    for extra in (RECORD, LINE):
        if extra in frame.columns:
            out[extra] = frame[extra]
    return out


def fill_code_systems(rows: pd.DataFrame, *, code_system: str | None = None, country: str | None = None,
                      source: str = "") -> tuple[pd.DataFrame, list[str]]:
    """Give every row with a ``code`` and no ``code_system`` a system, or say why not: nothing is dropped silently.

    The system is ``code_system`` (``--code-system``) where given; otherwise the one the codes' shape names
    unambiguously (:func:`clusterwatch.codes.infer_code_system`, with ``country`` or the rows' one country), and
    only when every code (and every entry of ``codes``) then passes that system's format check, so that inferring
    never rejects a row. Without either, a warning note names the file and the column.

    Returns
    -------
    (pandas.DataFrame, list of str)
        The rows (a copy where systems were filled; ``rows`` itself is not changed) and notes for the ingest report.
    """
    if "code" not in rows.columns:
        return rows, []
    code = _text(rows, "code")
    system = _text(rows, "code_system") if "code_system" in rows.columns else pd.Series(pd.NA, index=rows.index,
                                                                                        dtype=STR)
    missing = (code.notna() & system.isna()).to_numpy()
    if not missing.any():
        return rows, []
    if code_system:
        filled = code_system.strip().lower()
        return rows.assign(code_system=system.mask(missing, filled)), []
    from clusterwatch.codes import infer_code_system

    countries = _text(rows, "country")[missing].dropna().str.upper().unique()
    place = country or (str(countries[0]) if len(countries) == 1 else None)
    guess = infer_code_system(code[missing], country=place)
    name = Path(source).name if source else "the file"
    if guess.system is not None:
        pattern = CODE_PATTERNS[guess.system]
        fits = normalise_code(code[missing]).str.fullmatch(pattern).fillna(False).all()
        if "codes" in rows.columns:
            entries = _text(rows, "codes")[missing].dropna().str.replace(r"[.\s]", "", regex=True)
            fits = fits and entries.str.match(rf"^(?:{pattern})(?:;(?:{pattern}))*$").fillna(False).all()
        if fits:
            note = (f"code_system inferred as {guess.system} from the codes' shape in column 'code' of {name}: "
                    f"{guess.reason}; pass --code-system to say otherwise")
            return rows.assign(code_system=system.mask(missing, guess.system)), [note]
    return rows, [f"warning: {int(missing.sum()):,} codes in column 'code' of {name} have no code system, so no "
                  f"code activities come from them ({guess.reason}); pass --code-system "
                  "naics|nace2|uksic2007|sn2007"]
