"""SBIR awards: US Small Business Innovation Research awards, with or without the awardee's address.

Publisher: the US Small Business Administration, SBIR.gov award database (each federal agency reports its SBIR and
STTR awards; https://www.sbir.gov/sbirsearch/award/all). Licence: US government work, public domain. The two
layouts read here are those of the public mirror ereidelbach/SBIR (GitHub), which scraped sbir.gov:

- ``awards_with_address.csv.gz`` (format ``sbir-awards``): one award per row with the firm's address, ZIP, state,
  award amount and abstract. Rows are observations of firms.
- ``awards.csv.gz`` (format ``sbir-abstracts``): one award per row with title and abstract but no location. Rows
  are dated events only; their ``firm_id`` is the same name key as in ``sbir-awards``, so they attach to the
  firms that file locates.

Firms have no identifier in these files; :func:`firm_key` derives one from the name.
"""

from __future__ import annotations

import gzip
import html
import os
import tempfile

import numpy as np
import pandas as pd

from clusterwatch.errors import InputError
from clusterwatch.io.adapters.base import Extract, ReadOptions, apply_column_map, register
from clusterwatch.io.sources import LINE, RECORD, RawTable, read_table

#: Columns ``sbir-awards`` needs (``awards_with_address.csv.gz``).
AWARD_COLUMNS: tuple[str, ...] = (
    "firm", "award_year", "phase", "program", "agency", "award_amount", "address", "state", "zip5", "title",
    "abstract",
)
#: Columns ``sbir-abstracts`` needs (``awards.csv.gz``).
ABSTRACT_COLUMNS: tuple[str, ...] = ("firm", "year", "phase", "program", "agency", "title", "abstract")

#: Legal-form words dropped from the end of a firm name by :func:`firm_key` (after punctuation is removed, so
#: ``L.L.C.`` is ``LLC``). ``CORPON`` is the legacy sbir.gov abbreviation of CORPORATION.
LEGAL_SUFFIXES: tuple[str, ...] = (
    "INC", "INCORPORATED", "INCORPORATE", "CORP", "CORPORATION", "CORPON", "CO", "COMPANY", "LLC", "L L C", "LC",
    "LTD", "LIMITED", "LP", "L P", "LLP", "PLLC", "PC", "P C",
)
#: Cut-off legal words at the end of names exactly 30 characters long: older sbir.gov records truncate names to
#: 30 characters (``"Applied Food Biotechnology, In"``).
TRUNCATED_SUFFIXES: tuple[str, ...] = (
    "I", "IN", "C", "COR", "CORPO", "CORPOR", "CORPORA", "CORPORAT", "CORPORATI", "CORPORATIO", "INCORP",
    "INCORPO", "INCORPOR", "INCORPORA", "INCORPORAT", "L", "LL", "LT", "P",
)
_LEGACY_NAME_WIDTH = 30

#: Whole-value placeholders sbir.gov uses where a title or abstract is missing (compared upper-case, without a
#: final full stop). An abstract that starts with one of them followed by real text keeps the text.
PLACEHOLDERS: tuple[str, ...] = (
    "N/A", "NA", "NOT AVAILABLE", "NOT AVAILABLE NOT AVAILABLE", "NOT AVAIALBLE", "NOT AVAIABLE",
    "ABSTRACT NOT AVAILABLE", "NO ABSTRACT AT THIS TIME", "ABSTRACT IS HERE", "IN PROCESS FOR PUBLIC RELEASE",
    "TITLE MISSING", "MISSING TITLE", "TBD", "NULL",
)
_LEADING_PLACEHOLDER = r"^(?:(?:N/A|Not Available|Not Avaialble|Not avaiable)\.?(?:\s+|$))+"

NOTE_FIRM_KEY = (
    "firm_id is the firm name normalised (upper case, punctuation and legal suffixes such as INC, LLC, CORP "
    "removed), so spellings of one firm agree; same-named firms in different states share one id (the state is "
    "left out so that the awards-only file, which has no state, joins)"
)
NOTE_SME = "sme is true for every firm: SBIR awardees must have fewer than 500 employees"
NOTE_AWARD_KIND = (
    "each award is an event of kind 'award:<program> <phase>:<agency>[/<branch>]'; its text is the abstract "
    "with sbir.gov's 'Abstract' label and placeholders such as 'N/A' removed, HTML entities decoded"
)


def firm_key(names: pd.Series) -> pd.Series:
    """A firm key from published firm names, so that different spellings of one firm agree.

    Upper case; ``&`` becomes ``AND``; full stops and apostrophes are dropped (``L.L.C.`` → ``LLC``); any other
    run of punctuation or blanks becomes one space; a leading ``THE`` and trailing :data:`LEGAL_SUFFIXES` (several,
    e.g. ``CO INC``) are removed; names exactly 30 characters long also lose a cut-off suffix
    (:data:`TRUNCATED_SUFFIXES`). A name that is nothing but a suffix keeps it.

    Parameters
    ----------
    names
        Firm names as published.

    Returns
    -------
    pandas.Series
        Keys (``string`` dtype) aligned with ``names``; NA where the name is blank.

    Examples
    --------
    >>> import pandas as pd
    >>> firm_key(pd.Series(["Abaris Inc.", "ABARIS", "A & P Technology, Inc.", "The Athena Group, Inc."])).tolist()
    ['ABARIS', 'ABARIS', 'A AND P TECHNOLOGY', 'ATHENA GROUP']
    """
    published = names.astype("string").str.strip()
    s = published.str.upper().str.replace("&", " AND ", regex=False)
    s = s.str.replace(r"[.'`\u2019]", "", regex=True).str.replace(r"[^A-Z0-9]+", " ", regex=True).str.strip()
    s = s.str.replace(r"^THE\s+(?=\S)", "", regex=True)
    truncated = (published.str.len() == _LEGACY_NAME_WIDTH).fillna(False)
    if truncated.any():
        cut = "|".join(TRUNCATED_SUFFIXES)
        s = s.mask(truncated, s.str.replace(rf"(?<=\S) (?:{cut})$", "", regex=True))
    legal = "|".join(sorted(LEGAL_SUFFIXES, key=len, reverse=True))
    stripped = s.str.replace(rf"(?<=\S)(?: (?:{legal}))+$", "", regex=True)
    stripped = stripped.where(stripped.str.len() > 0, s)
    return stripped.where(stripped != "")


def clean_text(values: pd.Series, *, label: str | None = None) -> pd.Series:
    """Titles and abstracts as text: label and placeholders removed, HTML entities decoded, blanks NA.

    Parameters
    ----------
    values
        Titles or abstracts as published.
    label
        A label sbir.gov puts before the text (``"Abstract"`` in ``awards_with_address.csv.gz``), removed.

    Returns
    -------
    pandas.Series
        ``string`` dtype; NA where nothing but a placeholder (:data:`PLACEHOLDERS`) was published. A leading
        ``"N/A"``/``"Not Available"`` followed by real text is dropped and the text kept.
    """
    s = values.astype("string").str.strip()
    if label:
        s = s.str.replace(rf"^{label}(?:\s+|$)", "", regex=True)
    s = s.str.replace(_LEADING_PLACEHOLDER, "", regex=True).str.strip()
    coded = s.str.contains("&", regex=False).fillna(False) & s.str.contains(";", regex=False).fillna(False)
    if coded.any():
        # only the few values with an entity go through html.unescape
        s = s.mask(coded, s[coded].map(html.unescape, na_action="ignore").astype("string"))
    bare = s.str.upper().str.rstrip(".").str.strip()
    placeholder = bare.isin(PLACEHOLDERS).fillna(False) | bare.str.fullmatch(r'[\s"]*').fillna(True)
    return s.mask(placeholder, pd.NA)


def award_kind(program: pd.Series, phase: pd.Series, agency: pd.Series, branch: pd.Series | None = None) -> pd.Series:
    """Activity kind of each award: ``award:<program> <phase>:<agency>[/<branch>]``.

    E.g. ``award:SBIR Phase I:Department of Defense/Air Force``. ``kind.str.startswith("award")`` selects every
    award; the parts after ``:`` say which programme phase and which funding agency (and branch, where given)
    made it.
    """
    prog = _text(program).fillna("SBIR")
    ph = _text(phase)
    head = ("award:" + prog + " " + ph).fillna("award:" + prog)
    ag = _text(agency)
    if branch is not None:
        br = _text(branch)
        br = br.where((br.str.upper() != "N/A").fillna(False))
        ag = (ag + "/" + br).fillna(ag)
    return (head + ":" + ag).fillna(head)


def _text(values: pd.Series) -> pd.Series:
    s = values.astype("string").str.strip()
    return s.where(s != "")


def _firm_name(values: pd.Series) -> pd.Series:
    # one award names its firm "N/A": no name, so no firm_id (rejected as missing)
    s = _text(values)
    return s.where(~s.str.upper().isin(["N/A", "NA", "NONE"]).fillna(False))


def parse_address(address: pd.Series) -> pd.DataFrame:
    """City, state and ZIP of addresses written ``"street, City, ST, 12345"`` (sbir.gov's form).

    The street may be absent (``"Raleigh, NC, 00000"``) and the ZIP blank or ``-``; the state is upper-cased.

    Returns
    -------
    pandas.DataFrame
        Columns ``city``, ``state``, ``zip`` aligned with ``address``; NA where the address has another form.
    """
    parts = address.astype("string").str.extract(
        r"(?:^|,)\s*(?P<city>[^,]+?)\s*,\s*(?P<state>[A-Za-z]{2})\s*,\s*(?P<zip>\d{5}(?:-\d{4})?)?[\s-]*$"
    )
    parts["state"] = parts["state"].str.upper()
    return parts.astype("string")


def locate_retired_zips(postcode: pd.Series, city: pd.Series, state: pd.Series) -> pd.DataFrame:
    """City centres for awards whose ZIP is not in today's US ZIP table (``lat``, ``lon``, ``geo_precision``).

    Many ZIPs of the 1980s and 1990s were retired or renumbered (Waltham, MA ``02154`` → ``02451``–``02454``;
    Herndon, VA ``22070`` → ``20170``/``20171``); the ``zipcodes`` table knows only current ones. Such awards are
    placed at the centre of their city and state (the mean ZIP centroid of the city, from
    :func:`clusterwatch.io.geocode.us_city_lookup`) with ``geo_precision`` ``"city"``. Rows whose
    ZIP is current, or whose city is unknown too, get NA and are geocoded (or rejected) by ZIP as usual.
    """
    from clusterwatch.io.geocode import normalise_city, normalise_us_zip, us_city_lookup, us_zip_lookup

    n = len(postcode)
    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    _, _, current = us_zip_lookup().find(normalise_us_zip(postcode))
    need = ~current & (city.notna() & state.notna()).to_numpy()
    if need.any():
        keys = (normalise_city(city) + "|" + state.str.upper())[need]
        found_lat, found_lon, found = us_city_lookup().find(keys)
        idx = np.flatnonzero(need)[found]
        lat[idx], lon[idx] = found_lat[found], found_lon[found]
    precision = pd.Series("city", index=postcode.index, dtype="string").where(~np.isnan(lat))
    return pd.DataFrame({"lat": lat, "lon": lon, "geo_precision": precision}, index=postcode.index)


def _read_sbir_csv(path: str, options: ReadOptions) -> tuple[RawTable, int]:
    """Read an sbir.gov CSV; carriage returns inside unquoted fields are read as spaces.

    The scrape kept line breaks inside some abstracts; where such an abstract is not quoted, the bare carriage
    return makes the record unreadable for a strict CSV parser. Records end at ``\\n`` only in these files, so
    the adapter reads such ``\\r`` as a space (quoted ones are left as they are). Returns the table and the number
    of carriage returns replaced.
    """
    opener = gzip.open if path.lower().endswith(".gz") else open
    encoding = options.encoding or "utf-8"
    try:
        with opener(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise InputError(f"cannot be read ({exc})", path=path) from exc
    unquoted = _unquoted_bare_cr(data)
    if len(unquoted) == 0:
        return read_table(path, kind="csv", encoding=encoding, delimiter=options.delimiter), 0
    fixed = np.frombuffer(data, dtype=np.uint8).copy()
    fixed[unquoted] = ord(" ")
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="clusterwatch-sbir-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(fixed.tobytes())
        raw = read_table(tmp, kind="csv", encoding=encoding, delimiter=options.delimiter)
    finally:
        os.unlink(tmp)
    raw.path = path
    raw.rejected["source"] = path
    return raw, len(unquoted)


def _unquoted_bare_cr(data: bytes) -> np.ndarray:
    """Offsets of ``\\r`` not followed by ``\\n`` and outside double quotes (quote parity; ``""`` counts twice)."""
    if b"\r" not in data:
        return np.empty(0, dtype=np.int64)
    arr = np.frombuffer(data, dtype=np.uint8)
    cr = np.flatnonzero(arr == 13)
    after = arr[np.minimum(cr + 1, len(arr) - 1)]
    bare = cr[(after != 10) | (cr + 1 == len(arr))]
    quotes = np.flatnonzero(arr == ord('"'))
    outside = np.searchsorted(quotes, bare) % 2 == 0
    return bare[outside]


def _repair_note(replaced: int) -> list[str]:
    if not replaced:
        return []
    return [f"{replaced} carriage returns inside unquoted abstracts were read as spaces (the records end at line "
            "feeds only)"]


def _retired_zip_note(placed: int) -> list[str]:
    if not placed:
        return []
    return [f"{placed} awards whose ZIP is no longer in the US ZIP table (ZIPs renumbered since, e.g. Waltham MA "
            "02154) are placed at the centre of their city (geo_precision 'city')"]


def _require(raw: RawTable, columns: tuple[str, ...], other_format: str, other_marker: str) -> None:
    have = set(raw.frame.columns)
    missing = [c for c in columns if c not in have]
    if missing and other_marker in have:
        raise InputError(f"required column is absent; this looks like the layout of --format {other_format}",
                         path=raw.path, column=missing[0])
    raw.require(columns)


def _apply_overrides(rows: pd.DataFrame, src: pd.DataFrame, options: ReadOptions, path: str) -> pd.DataFrame:
    if options.columns:
        mapped = apply_column_map(src, options.columns, path)
        for canonical in options.columns:
            rows[canonical] = mapped[canonical]
    return rows


@register("sbir-awards", "SBIR awards with the firm's address (sbir.gov via ereidelbach/SBIR awards_with_address)")
def read_sbir_awards(path: str, options: ReadOptions) -> Extract:
    """Read SBIR awards with addresses; each row is an award, merged into one firm per awardee.

    Rows are observations (``rows_are="observations"``). Columns become:

    - ``firm`` → ``firm_id`` by :func:`firm_key` (spellings of one firm agree; the state is not part of the key, so
      same-named firms in different states merge, and the awards-only file joins), and ``name`` as published
      (a firm named ``N/A`` has no name and is rejected as ``missing firm_id``).
    - ``award_year`` → ``founded``: after merging, the firm's first SBIR award year in the file, an entry date, not
      the incorporation date.
    - ``zip5`` → ``postcode`` with ``country`` ``US`` (validation geocodes the ZIP centroid); ``state`` →
      ``region``; ``address``; the city parsed from the address (:func:`parse_address`), whose ZIP and state
      also fill a blank ``zip5``/``state``. Awards whose ZIP is no longer in the US ZIP table (retired in the
      1990s renumbering) are placed at their city's centre with ``geo_precision`` ``"city"``
      (:func:`locate_retired_zips`); what neither ZIP nor city locates is rejected with the ZIP's reason.
    - ``sme`` is true (SBIR requires fewer than 500 employees) and ``kind`` is ``"firm"``.
    - every award → an event: ``date`` = ``award_year``, ``kind`` from :func:`award_kind` (``program``,
      ``phase``, ``agency``, ``branch``), ``title``, ``text`` = ``abstract`` (:func:`clean_text`), ``amount`` =
      ``award_amount`` (US dollars).

    Rows are ordered by award year before merging, so a firm's name, address and location are those of its
    earliest award. ``hubzone``, ``woman_owned``, ``duns`` and ``url`` are not used.

    Parameters
    ----------
    path
        ``awards_with_address.csv.gz`` or a file of the same layout (CSV, optionally gzip-compressed).
    options
        Read options; ``columns`` overrides the mapping, ``encoding``/``delimiter`` apply.

    Returns
    -------
    Extract
        Award rows and their events.

    Raises
    ------
    InputError
        The file cannot be read, or lacks one of :data:`AWARD_COLUMNS`.

    Examples
    --------
    >>> import clusterwatch
    >>> result = clusterwatch.read_firms(clusterwatch.demo_path(), format="sbir-awards")
    >>> result.report.rows_read == result.report.accepted + result.report.rejected
    True
    """
    raw, repaired = _read_sbir_csv(path, options)
    _require(raw, AWARD_COLUMNS, "sbir-abstracts", "link")
    src = raw.frame
    firm = _firm_name(src["firm"])
    year = _text(src["award_year"]).str.replace(r"\.0$", "", regex=True)
    address = _text(src["address"])
    parsed = parse_address(address)
    postcode = _text(src["zip5"]).fillna(parsed["zip"])
    state = _text(src["state"]).fillna(parsed["state"])
    located = locate_retired_zips(postcode, parsed["city"], state)
    rows = pd.DataFrame(
        {
            "firm_id": firm_key(firm),
            "name": firm,
            "founded": year,
            "lat": located["lat"],
            "lon": located["lon"],
            "geo_precision": located["geo_precision"],
            "postcode": postcode,
            "country": "US",
            "region": state,
            "address": address,
            "city": parsed["city"],
            "sme": pd.Series(True, index=src.index, dtype="boolean"),
            "kind": "firm",
            RECORD: src[RECORD],
            LINE: src[LINE],
        }
    )
    rows = _apply_overrides(rows, src, options, path)
    branch = src["branch"] if "branch" in src.columns else None
    events = pd.DataFrame(
        {
            "firm_id": rows["firm_id"],
            "date": rows["founded"],
            "kind": award_kind(src["program"], src["phase"], src["agency"], branch),
            "title": clean_text(src["title"]),
            "text": clean_text(src["abstract"], label="Abstract"),
            "amount": _text(src["award_amount"]),
            RECORD: src[RECORD],
        }
    )
    by_city = int(located["geo_precision"].notna().sum())
    # earliest award first, so the merged firm takes the name and place of its first award
    order = pd.to_numeric(year, errors="coerce").to_numpy()
    rows = rows.iloc[np.lexsort((rows[RECORD].to_numpy(), np.nan_to_num(order, nan=np.inf)))]
    return Extract(
        path=path,
        rows=rows.reset_index(drop=True),
        rows_read=raw.rows_read,
        rejected=raw.rejected,
        rows_are="observations",
        events=events,
        notes=[
            NOTE_FIRM_KEY,
            "founded is the first SBIR award year, an entry date, not the incorporation date",
            NOTE_SME,
            "a firm's name, address and location (ZIP centroid, or city centre) are those of its earliest award",
            NOTE_AWARD_KIND,
            *_retired_zip_note(by_city),
            *_repair_note(repaired),
        ],
    )


@register("sbir-abstracts", "SBIR award titles and abstracts without location (ereidelbach/SBIR awards.csv)")
def read_sbir_abstracts(path: str, options: ReadOptions) -> Extract:
    """Read SBIR awards without addresses as dated events of firms located elsewhere.

    Rows are events only (``rows_are="events"``): they create no firms. Columns become:

    - ``firm`` → ``firm_id`` by :func:`firm_key`, the same key as ``sbir-awards`` gives, so the awards attach to
      firms that ``awards_with_address.csv.gz`` locates (a blank firm name is rejected as ``missing firm_id``).
    - ``year`` → ``date``; ``title``; ``abstract`` → ``text`` (:func:`clean_text`); ``kind`` from
      :func:`award_kind` (``program``, ``phase``, ``agency``; this layout names the branch, e.g. ``Air Force``,
      in ``agency``).

    ``research_institution`` (the STTR partner, almost always blank or ``Stub``) and ``link`` are not used.

    Parameters
    ----------
    path
        ``awards.csv.gz`` or a file of the same layout.
    options
        Read options; ``columns`` overrides the mapping, ``encoding``/``delimiter`` apply.

    Returns
    -------
    Extract
        One event per award.

    Raises
    ------
    InputError
        The file cannot be read, or lacks one of :data:`ABSTRACT_COLUMNS`.
    """
    raw, repaired = _read_sbir_csv(path, options)
    _require(raw, ABSTRACT_COLUMNS, "sbir-awards", "zip5")
    src = raw.frame
    events = pd.DataFrame(
        {
            "firm_id": firm_key(_firm_name(src["firm"])),
            "date": _text(src["year"]).str.replace(r"\.0$", "", regex=True),
            "kind": award_kind(src["program"], src["phase"], src["agency"]),
            "title": clean_text(src["title"]),
            "text": clean_text(src["abstract"], label="Abstract"),
            RECORD: src[RECORD],
            LINE: src[LINE],
        }
    )
    events = _apply_overrides(events, src, options, path)
    return Extract(
        path=path,
        rows=events,
        rows_read=raw.rows_read,
        rejected=raw.rejected,
        rows_are="events",
        events=events,
        notes=[
            "rows are awards without location: they create no firms and attach to firms of the same firm_id "
            "(e.g. from awards_with_address.csv.gz, --format sbir-awards)",
            NOTE_FIRM_KEY,
            NOTE_AWARD_KIND,
            *_repair_note(repaired),
        ],
    )
