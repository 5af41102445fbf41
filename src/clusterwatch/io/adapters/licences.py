"""Municipal business licence registers: Township of Langley (BC), City of Seattle (WA), City of Little Rock (AR).

- ``langley-licences``: Township of Langley business licences (``Business_Licenses.csv``), published on the
  Township's open data portal. One row per licence; point coordinates for licences at a civic address in the
  Township (about 80 %), none for out-of-town businesses.
- ``seattle-licences``: City of Seattle "Active Business License Tax Certificate" (Seattle Open Data), in the
  analysis extract of 2 August 2026 (``business_licenses_analysis.csv``, see its ``data_dictionary.md``).
- ``little-rock-licences``: City of Little Rock business licences (``Business_Licenses.csv``, the City's open data);
  a local classification (not NAICS), two-digit-year start dates 1987–2021.

Licences: each file is published under its portal's open data terms (the copies used in development carry no
licence text of their own; check the dataset page before redistributing).

Licence registers list active licences only: businesses that closed are absent (survivorship), and a licence start
date is the date the business started in that city, which is not always its founding date.

"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from clusterwatch.io.adapters._common import (
    local_code,
    merge_rejected,
    override_columns,
    reject_rows,
    require_any,
    stable_id,
    text,
)
from clusterwatch.io.adapters.base import Extract, ReadOptions, register
from clusterwatch.io.sources import LINE, RECORD, read_table
from clusterwatch.io.validate import parse_numbers

# ---------------------------------------------------------------- Township of Langley

LANGLEY_COLUMNS: tuple[str, ...] = (
    "PropertyNumber", "Business_Name", "Civic_Unit", "Civic_House", "Civic_Street", "Mailing_Address",
    "CommunityName", "Licence_Desc", "NAICS_Primary", "Approved_Date", "PartTime_Employees", "FullTime_Employees",
)

OUT_OF_TOWN = "OUT OF TOWN"

#: Canadian postal code at the end of a mailing address. Digit positions also take ``O`` and ``I``, which the
#: register sometimes has for ``0`` and ``1`` (``"VIM 4A7"``, ``"V2Y OL7"``).
_CA_POSTCODE = r"(?:^|\s)([A-Z])([0-9OI])([A-Z])\s?([0-9OI])([A-Z])([0-9OI])\s*$"


def canadian_postcode(address: pd.Series) -> pd.Series:
    """The postal code at the end of Canadian mailing addresses, as ``"A1A 1A1"``; NA where there is none.

    ``O`` and ``I`` typed in a digit position are read as ``0`` and ``1`` (letters are never O or I there).
    """
    parts = address.astype("string").str.upper().str.extract(_CA_POSTCODE)
    for col in (1, 3, 5):
        parts[col] = parts[col].str.replace("O", "0").str.replace("I", "1")
    return (parts[0] + parts[1] + parts[2] + " " + parts[3] + parts[4] + parts[5]).astype("string")


def _mailing_town(address: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Town and province from the last line of a mailing address (``"LANGLEY BC  V2Y 0G9"``)."""
    last = address.astype("string").str.strip().str.split("\n").str[-1].str.strip()
    found = last.str.extract(r"^(.*?)\s+([A-Z]{2})(?:\s+[A-Z0-9]{1,3}\s?[A-Z0-9]{0,3})?$")
    return text(found[0]), text(found[1])


def _langley_employees(full_time: pd.Series, part_time: pd.Series) -> pd.Series:
    """Full-time + 0.5 × part-time; a count that is not a number is passed on so that validation rejects it."""
    ft_text, pt_text = text(full_time), text(part_time)
    ft, pt = parse_numbers(full_time), parse_numbers(part_time)
    fte = ft.fillna(0.0) + 0.5 * pt.fillna(0.0)
    fte = fte.where(ft.notna() | pt.notna())
    out = fte.astype("object")
    bad_ft = ft_text.notna() & ft.isna()
    bad_pt = pt_text.notna() & pt.isna()
    out[bad_ft] = ft_text[bad_ft]
    out[bad_pt & ~bad_ft] = pt_text[bad_pt & ~bad_ft]
    return out


def _slash_date_to_iso(values: pd.Series) -> pd.Series:
    """``"2022/03/15 00:00:00+00"`` → ``"2022-03-15"``; anything else is passed on as it is."""
    s = text(values)
    ymd = s.str.extract(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?:[ T].*)?$")
    iso = ymd[0] + "-" + ymd[1].str.zfill(2) + "-" + ymd[2].str.zfill(2)
    return iso.fillna(s)


@register("langley-licences", "Township of Langley (BC) business licences, with point coordinates")
def read_langley_licences(path: str, options: ReadOptions) -> Extract:
    """Read the Township of Langley business licence register (``Business_Licenses.csv``).

    Each row is a licence; a business holding several licences at one property (a winery with a lounge, a golf
    course with a restaurant) appears once per licence, so rows are observations merged per firm.

    Columns become:

    - ``PropertyNumber`` + ``Business_Name`` → ``firm_id`` (``"107540 BACKYARD VINEYARDS CORP"``; ``FID`` is an
      export row number, unique but not stable between downloads). ``Business_Name`` → ``name``.
    - ``Latitude``/``Longitude`` (WGS84) → ``lat``/``lon``. The file's ``X``/``Y`` (Web Mercator, EPSG:3857) are
      the same points (they agree within 1 cm) and are used only where latitude/longitude are absent.
    - ``NAICS_Primary`` → ``code`` (``naics``; NAICS Canada, whose 2–6-digit codes share the US format).
    - ``FullTime_Employees`` + 0.5 × ``PartTime_Employees`` → ``employees`` (full-time equivalents).
      ``Seasonal_Employees`` are left out: they work part of the year only, and a few very large seasonal counts
      (up to 1,000) would swamp the year-round size.
    - ``Approved_Date`` (``"2022/03/15 00:00:00+00"``) → ``founded``: the licence approval date, published only
      for licences approved December 2021 – March 2022 (new licences); other rows have no founding date.
    - ``Licence_Desc`` (the business's own activity, e.g. ``"FLIGHT MUSEUM"``) → ``description``.
    - The civic address (``Civic_Unit``-``Civic_House`` ``Civic_Street``) → ``address``, or the first line of
      ``Mailing_Address`` for out-of-town businesses. ``CommunityName`` (Willoughby, Aldergrove ...) → ``city``,
      ``"Langley"`` for located licences without one; ``region`` ``BC``; ``country`` ``CA``.
    - The postal code at the end of ``Mailing_Address`` → ``postcode``.

    Licences without coordinates (about 20 %, nearly all out-of-town contractors whose ``Civic_Street`` is
    ``"OUT OF TOWN"``) cannot be located: no Canadian postal code table ships with clusterwatch, so they are
    rejected with that reason. With ``--geocode-table FILE`` (keys like ``V2Y 0G9``) they are passed on and located
    by their mailing postal code, which is where the business is based, not where it works in the Township.

    Parameters
    ----------
    path
        The CSV file.
    options
        Read options (``columns``, ``encoding``, ``geocode``).

    Returns
    -------
    Extract
        Licence rows (``rows_are="observations"``), merged per ``firm_id`` after validation.

    Raises
    ------
    InputError
        The file cannot be read, or lacks one of :data:`LANGLEY_COLUMNS` or both coordinate pairs
        (``Latitude``/``Longitude``, ``X``/``Y``).
    """
    raw = read_table(path, encoding=options.encoding or "utf-8", delimiter=options.delimiter)
    raw.require(LANGLEY_COLUMNS)
    src = raw.frame
    coords = require_any(src, [("Latitude", "Longitude"), ("X", "Y")], path)

    if coords == ("Latitude", "Longitude"):
        lat, lon = text(src["Latitude"]), text(src["Longitude"])
    else:
        lat = lon = pd.Series(pd.NA, index=src.index, dtype="string")
    if "X" in src.columns and "Y" in src.columns:
        has_latlon = lat.notna() & lon.notna()
        x, y = text(src["X"]).where(~has_latlon), text(src["Y"]).where(~has_latlon)
    else:
        x = y = pd.Series(pd.NA, index=src.index, dtype="string")
    located = (lat.notna() & lon.notna()) | (x.notna() & y.notna())

    name = text(src["Business_Name"])
    firm_id = text(src["PropertyNumber"]) + " " + name.str.upper()

    street = text(src["Civic_Street"])
    out_of_town = (street.str.upper() == OUT_OF_TOWN).fillna(False)
    unit, house = text(src["Civic_Unit"]), text(src["Civic_House"])
    civic = ((unit + "-").fillna("") + house + " " + street).where(~out_of_town)
    mailing = src["Mailing_Address"].astype("string")
    first_line = text(mailing.str.split("\n").str[0])
    town, province = _mailing_town(mailing)
    city = text(src["CommunityName"]).fillna(pd.Series("Langley", index=src.index).where(located)).fillna(town)
    region = pd.Series("BC", index=src.index, dtype="string").where(located, province)

    rows = pd.DataFrame(
        {
            "firm_id": firm_id,
            "name": name,
            "lat": lat,
            "lon": lon,
            "x": x,
            "y": y,
            "code": text(src["NAICS_Primary"]),
            "code_system": "naics",
            "founded": _slash_date_to_iso(src["Approved_Date"]),
            "employees": _langley_employees(src["FullTime_Employees"], src["PartTime_Employees"]),
            "description": text(src["Licence_Desc"]),
            "kind": "firm",
            "address": civic.fillna(first_line),
            "city": city,
            "region": region,
            "postcode": canadian_postcode(mailing),
            "country": "CA",
            RECORD: src[RECORD],
            LINE: src[LINE],
        }
    )
    rows = override_columns(rows, src, options, path)

    rejected = raw.rejected
    if not options.geocode.geocode_table:
        why = pd.Series(
            "cannot locate: no coordinates and no Canadian postal code table (give --geocode-table to locate "
            "by the mailing postal code)", index=rows.index, dtype="object")
        why[out_of_town.to_numpy()] = (
            "cannot locate: no coordinates (out-of-town business) and no Canadian postal code table (give "
            "--geocode-table to locate by the mailing postal code)")
        rows, adapter_rejects = reject_rows(rows, ~located, why, "Latitude", path, rows["postcode"])
        rejected = merge_rejected(rejected, adapter_rejects)
    return Extract(
        path=path,
        rows=rows,
        rows_read=raw.rows_read,
        rejected=rejected,
        rows_are="observations",
        crs="EPSG:3857",
        notes=[
            "one row per licence; licences of one business at one property are merged (firm_id = PropertyNumber "
            "+ Business_Name)",
            "employees = full-time + 0.5 x part-time (seasonal employees left out)",
            "founded = licence approval date, published only for licences approved Dec 2021 - Mar 2022",
            "active licences only: businesses that closed are absent",
        ],
    )


# ---------------------------------------------------------------- City of Seattle

SEATTLE_COLUMNS: tuple[str, ...] = (
    "city_account_number", "business_legal_name", "trade_name", "ownership_type", "naics_code",
    "license_start_date", "street_address", "city", "state", "zip_5",
)

#: US states, DC, territories and the military "states" (AA, AE, AP).
US_STATES: frozenset[str] = frozenset({
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY",
    "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH",
    "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "PR", "VI", "GU",
    "AS", "MP", "AA", "AE", "AP",
})
CANADIAN_PROVINCES: frozenset[str] = frozenset({
    "AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT",
})

#: ``ownership_type`` values that are not firms (the triple helix ``kind``); every other type is ``firm``.
SEATTLE_KINDS: dict[str, str] = {
    "Municipality": "public",
    "Tribal Government": "public",
    "Non Profit Corporation": "other",
}

#: The licence system's "no date" value.
PLACEHOLDER_DATE = "1900-01-01"


def country_of_state(state: pd.Series, default: str | None = None) -> pd.Series:
    """``US`` for US state codes, ``CA`` for Canadian province codes, else ``default`` (NA when None)."""
    s = text(state).str.upper()
    out = pd.Series(default, index=state.index, dtype="string")
    out[s.isin(US_STATES).fillna(False).to_numpy()] = "US"
    out[s.isin(CANADIAN_PROVINCES).fillna(False).to_numpy()] = "CA"
    return out


@register("seattle-licences", "City of Seattle active business licences (licence start date, NAICS, ZIP)")
def read_seattle_licences(path: str, options: ReadOptions) -> Extract:
    """Read the City of Seattle active business licence extract (``business_licenses_analysis.csv``).

    Each row is a licence account. Columns become:

    - ``city_account_number`` → ``firm_id`` (16 digits, leading zeros kept); ``trade_name`` → ``name``, or
      ``business_legal_name`` where there is no trade name.
    - ``naics_code`` → ``code`` (``naics``).
    - ``license_start_date`` → ``founded``: the date the business was first licensed in Seattle. The licence
      system's no-date value ``1900-01-01`` is read as unknown. Licences starting after ``today`` (the file flags
      start dates after its download date in ``is_future_start_date``) are rejected by validation as founded in
      the future.
    - ``street_address`` → ``address``, ``city``, ``state`` → ``region``, ``zip_5`` → ``postcode`` (located by
      the US ZIP table). ``country`` is ``US`` for US states and ``CA`` for Canadian provinces (whose postal codes
      the extract truncates to 5 characters, so they cannot be located); otherwise ``--country``, and without it the
      row is rejected here as having no known country (one row, Amsterdam, in the 2026 extract).
    - ``ownership_type`` → ``kind``: municipalities and tribal governments ``public``, non-profit corporations
      ``other``, the rest ``firm`` (:data:`SEATTLE_KINDS`).

    The NAICS description is not used as ``description``: it is the code's label, not what the firm says it does.

    Parameters
    ----------
    path
        The CSV file.
    options
        Read options (``columns``, ``encoding``, ``country``).

    Returns
    -------
    Extract
        One row per licence account (``rows_are="firms"``).

    Raises
    ------
    InputError
        The file cannot be read or lacks one of :data:`SEATTLE_COLUMNS`.
    """
    raw = read_table(path, encoding=options.encoding or "utf-8", delimiter=options.delimiter)
    raw.require(SEATTLE_COLUMNS)
    src = raw.frame
    founded = text(src["license_start_date"])
    ownership = text(src["ownership_type"])
    rows = pd.DataFrame(
        {
            "firm_id": text(src["city_account_number"]),
            "name": text(src["trade_name"]).fillna(text(src["business_legal_name"])),
            "code": text(src["naics_code"]),
            "code_system": "naics",
            "founded": founded.where(founded != PLACEHOLDER_DATE),
            "kind": ownership.map(SEATTLE_KINDS).fillna("firm").astype("string"),
            "address": text(src["street_address"]),
            "city": text(src["city"]),
            "region": text(src["state"]),
            "postcode": text(src["zip_5"]),
            "country": country_of_state(src["state"], options.country),
            RECORD: src[RECORD],
            LINE: src[LINE],
        }
    )
    rows = override_columns(rows, src, options, path)
    state = text(src["state"])
    why = ("cannot locate: country unknown (state " + state.fillna("blank") + " is not a US state or Canadian "
           "province; give --country)")
    rows, adapter_rejects = reject_rows(rows, rows["country"].isna(), why.astype("object"), "state", path,
                                        rows["postcode"])
    return Extract(
        path=path,
        rows=rows,
        rows_read=raw.rows_read,
        rejected=merge_rejected(raw.rejected, adapter_rejects),
        rows_are="firms",
        notes=[
            "founded = licence start date in Seattle (1900-01-01 read as unknown)",
            "located by ZIP centroid; active licences only: businesses that closed are absent",
        ],
    )


# ---------------------------------------------------------------- City of Little Rock

LITTLE_ROCK_COLUMNS: tuple[str, ...] = (
    "Classification", "Category", "Business", "Address", "City", "Zip", "ACCOUNT START DATE",
)
LITTLE_ROCK_SYSTEM = "littlerock"
UNCLASSIFIED = "UNCLASSIFIED"
#: The start date of every licence older than the register (1,044 rows in the 2021 file).
REGISTER_START = "1/1/87"


def two_digit_year_dates(values: pd.Series, today: dt.date) -> pd.Series:
    """``m/d/yy`` dates → ISO strings, the century chosen so that the date is not after ``today``'s year.

    ``"2/22/21"`` → ``"2021-02-22"`` and ``"1/1/87"`` → ``"1987-01-01"`` (for any ``today`` from 2021 to 2086).
    Two-digit years above ``today``'s are read as 19xx, the others as 20xx; pandas' ``%y`` instead pivots at 69,
    which would put a ``"5/1/50"`` founding in 2050. Values of another form are passed on as they are, so that
    validation rejects them as unparseable.
    """
    s = text(values)
    parts = s.str.extract(r"^(\d{1,2})/(\d{1,2})/(\d{2})$")
    yy = pd.to_numeric(parts[2], errors="coerce").astype("float64")
    century = np.where(yy.to_numpy() > today.year % 100, 1900, 2000)
    year = pd.Series(yy.to_numpy() + century, index=s.index).astype("Int64").astype("string")
    iso = year + "-" + parts[0].str.zfill(2) + "-" + parts[1].str.zfill(2)
    return iso.fillna(s)


@register("little-rock-licences", "City of Little Rock (AR) business licences (local classification)")
def read_little_rock_licences(path: str, options: ReadOptions) -> Extract:
    """Read the City of Little Rock business licence list (``Business_Licenses.csv``).

    Each row is a licence or permit; a business holding several (a restaurant with beer and mixed-drink permits)
    appears once per licence, so rows are observations merged per firm: the earliest start date is ``founded``,
    every classification lands in ``codes``.

    Columns become:

    - ``Business`` + ``Address`` → ``firm_id`` (the file has no id): :func:`stable_id` of the two, upper-cased with
      blanks collapsed. ``Business`` → ``name``.
    - ``Classification`` (279 local classes, not NAICS) → ``code`` with ``code_system`` ``littlerock``: a short
      key from :func:`local_code` (``"REAL ESTATE"`` → ``"REALESTATE"``); ``"UNCLASSIFIED"`` gives no code. The
      classification text itself → ``description``.
    - ``ACCOUNT START DATE`` (``m/d/yy``) → ``founded`` (:func:`two_digit_year_dates`: ``87``–``99`` are 19xx,
      ``00``–``21`` are 20xx). Every year-87 date is ``1/1/87``, the register's first day: those licences predate
      it, so their ``founded`` means "on or before 1987" (kept, and noted in the report).
    - ``Address`` → ``address``, ``City`` → ``city``, ``Zip`` → ``postcode`` (US ZIP or ZIP+4), ``country`` ``US``.

    A ``Zip`` of 3, 4 or 6+ digits is a typing error, not a ZIP that lost its leading zero (the file stores ZIPs
    as text, and Arkansas ZIPs start with 7), so those rows are rejected here instead of being zero-padded into a
    ZIP elsewhere in the country.

    Parameters
    ----------
    path
        The CSV file.
    options
        Read options (``columns``, ``encoding``, ``today`` for the two-digit years).

    Returns
    -------
    Extract
        Licence rows (``rows_are="observations"``), merged per ``firm_id`` after validation.

    Raises
    ------
    InputError
        The file cannot be read or lacks one of :data:`LITTLE_ROCK_COLUMNS`.
    """
    raw = read_table(path, encoding=options.encoding or "utf-8", delimiter=options.delimiter)
    raw.require(LITTLE_ROCK_COLUMNS)
    src = raw.frame
    classification = text(src["Classification"])
    code = local_code(classification.where(classification.str.upper() != UNCLASSIFIED))
    zip_code = text(src["Zip"])
    rows = pd.DataFrame(
        {
            "firm_id": stable_id([src["Business"], src["Address"]]),
            "name": text(src["Business"]),
            "code": code,
            "code_system": LITTLE_ROCK_SYSTEM,
            "founded": two_digit_year_dates(src["ACCOUNT START DATE"], options.today),
            "description": classification,
            "kind": "firm",
            "address": text(src["Address"]),
            "city": text(src["City"]),
            "postcode": zip_code,
            "country": "US",
            RECORD: src[RECORD],
            LINE: src[LINE],
        }
    )
    rows = override_columns(rows, src, options, path)
    malformed = zip_code.notna() & ~zip_code.str.fullmatch(r"\d{5}(?:-?\d{4})?").fillna(False)
    why = "cannot locate: malformed US ZIP code '" + zip_code + "' (not 5 digits)"
    rows, adapter_rejects = reject_rows(rows, malformed, why.astype("object"), "Zip", path, zip_code)
    notes = [
        "one row per licence or permit; merged per business + address (firm_id is a hash of the two)",
        "code = a key of the local Classification (code_system littlerock); description = its text",
        "founded = earliest account start date; two-digit years 87-99 read as 19xx, 00-21 as 20xx",
        "located by ZIP centroid; active licences only: businesses that closed are absent",
    ]
    register_start = int((text(src["ACCOUNT START DATE"]) == REGISTER_START).sum())
    if register_start:
        notes.append(f"{register_start} licences start on {REGISTER_START}, the register's first day: those "
                     "businesses were licensed on or before 1987, not founded then")
    return Extract(
        path=path,
        rows=rows,
        rows_read=raw.rows_read,
        rejected=merge_rejected(raw.rejected, adapter_rejects),
        rows_are="observations",
        notes=notes,
    )
