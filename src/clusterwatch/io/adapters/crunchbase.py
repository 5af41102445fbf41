"""Crunchbase export of October 2013: companies, funding rounds and acquisitions.

Publisher: CrunchBase (user-contributed); licence: Creative Commons Attribution (CC BY) under CrunchBase's
licensing policy before 12 December 2013. The three CSV files (``crunchbase-companies.csv``,
``crunchbase-rounds.csv``, ``crunchbase-acquisitions.csv``) are Mac Roman text with classic Mac ``\\r`` line
ends, as Excel for Mac wrote them; a few names had already been through a UTF-8/Mac Roman mix-up before that
(``"MalmÃ¶"``) and are repaired where the bytes allow.

The companies file is US start-ups that raised money; locations are city-level (country, state, city), with no
postcode and no coordinates. clusterwatch places US companies at the centre of their city: the mean of the ZIP
centroids (``zipcodes`` package) of the city's ZIP codes (:func:`clusterwatch.io.geocode.us_city_lookup`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clusterwatch.io.adapters._common import local_code, merge_rejected, override_columns, reject_rows, text
from clusterwatch.io.adapters.base import Extract, ReadOptions, register
from clusterwatch.io.geocode import normalise_city, table_lookup, us_city_lookup
from clusterwatch.io.sources import LINE, RECORD, RawTable, read_table
from clusterwatch.io.validate import parse_numbers

ENCODING = "mac_roman"
CODE_SYSTEM = "crunchbase"

COMPANY_COLUMNS: tuple[str, ...] = (
    "permalink", "name", "category_code", "funding_total_usd", "country_code", "state_code", "region", "city",
    "funding_rounds", "founded_at", "founded_year", "first_funding_at", "last_funding_at",
)
ROUND_COLUMNS: tuple[str, ...] = ("company_permalink", "funding_round_type", "funded_at", "raised_amount_usd")
ACQUISITION_COLUMNS: tuple[str, ...] = (
    "company_permalink", "acquirer_permalink", "acquired_at", "price_amount", "price_currency_code",
)

#: Crunchbase categories whose letters do not fit the 12 characters validation allows a local code; every other
#: category is its ``category_code`` without underscores (``games_video`` → ``gamesvideo``).
CATEGORY_CODES: dict[str, str] = {
    "network_hosting": "nethosting",
    "public_relations": "pubrelations",
    "transportation": "transport",
}

#: ISO alpha-3 → alpha-2 for the countries most frequent in Crunchbase; others are kept as published.
COUNTRY_CODES: dict[str, str] = {
    "USA": "US", "GBR": "GB", "CAN": "CA", "DEU": "DE", "FRA": "FR", "ISR": "IL", "IND": "IN", "CHN": "CN",
    "JPN": "JP", "NLD": "NL", "ESP": "ES", "IRL": "IE", "SWE": "SE", "CHE": "CH", "AUS": "AU", "FIN": "FI",
    "DNK": "DK", "NOR": "NO", "BEL": "BE", "ITA": "IT", "AUT": "AT", "SGP": "SG", "KOR": "KR", "BRA": "BR",
    "RUS": "RU", "EST": "EE", "POL": "PL", "TWN": "TW", "HKG": "HK", "NZL": "NZ",
}


def geocode_key(city: pd.Series, state: pd.Series, country: pd.Series) -> pd.Series:
    """The key a ``--geocode-table`` row must carry for a Crunchbase location: ``"CITY, STATE, COUNTRY"``.

    Upper case, as published, empty parts left out: ``"SAN FRANCISCO, CA, USA"``, ``"LONDON, GBR"``.
    """
    parts = [text(p).str.upper() for p in (city, state, country)]
    joined = parts[0].fillna("")
    for part in parts[1:]:
        joined = joined + ", " + part.fillna("")
    joined = joined.str.replace(r"(, )+", ", ", regex=True).str.strip(", ")
    return joined.where(joined != "")


def repair_mojibake(values: pd.Series) -> pd.Series:
    """Undo UTF-8 text that was read as Latin-1 before being saved (``"MalmÃ¶"`` → ``"Malmö"``).

    Only values with the tell-tale ``Ã``, ``Â`` or ``â`` are tried, and kept repaired only when their bytes
    form valid UTF-8; values whose bytes were lost (``"BerkÃ_na"``) stay as they are.
    """
    s = values.astype("string")
    suspect = s.str.contains("[ÃÂâ]", regex=True).fillna(False)
    if not suspect.any():
        return s
    fixed: dict[str, str] = {}
    for value in s[suspect].unique():  # a handful of distinct values
        try:
            fixed[str(value)] = str(value).encode("cp1252").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return s.where(~suspect, s.map(fixed).fillna(s))


def state_from_region(state: pd.Series, region: pd.Series, share: float = 0.9) -> pd.Series:
    """Fill a missing state from the company's region (Crunchbase's metro area: ``"SF Bay"`` → ``CA``).

    A region gives its state when at least ``share`` of the file's companies in that region that have a state
    share one state; other missing states stay missing.
    """
    st, reg = text(state).str.upper(), text(region)
    known = pd.DataFrame({"region": reg, "state": st}).dropna()
    if known.empty:
        return st
    counts = known.groupby(["region", "state"]).size()
    totals = counts.groupby(level="region").transform("sum")
    top = counts[(counts / totals) >= share].reset_index().drop_duplicates("region")
    by_region = pd.Series(top["state"].to_numpy(), index=top["region"].to_numpy())
    return st.fillna(reg.map(by_region)).astype("string")


def category_code(values: pd.Series) -> pd.Series:
    """Crunchbase ``category_code`` → a local code of at most 12 letters (:data:`CATEGORY_CODES`)."""
    s = text(values).str.lower()
    known = s.map(CATEGORY_CODES)
    return known.fillna(local_code(s.str.replace("_", "", regex=False))).astype("string")


def _locate(city: pd.Series, state: pd.Series, country: pd.Series, options: ReadOptions
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """City centres for US rows, then the user's ``--geocode-table``; reasons for what stays unlocated."""
    n = len(city)
    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    precision = np.full(n, None, dtype=object)
    us = (text(country).str.upper().isin(["USA", "US"])).fillna(False).to_numpy()
    keys = normalise_city(city) + "|" + text(state).str.upper()
    if us.any():
        la, lo, found = us_city_lookup().find(keys[us])
        idx = np.flatnonzero(us)[found]
        lat[idx], lon[idx], precision[idx] = la[found], lo[found], "city"
    table_keys = geocode_key(city, state, country)
    if options.geocode.geocode_table:
        miss = np.isnan(lat)
        la, lo, found = table_lookup(options.geocode.geocode_table).find(table_keys[miss])
        idx = np.flatnonzero(miss)[found]
        lat[idx], lon[idx], precision[idx] = la[found], lo[found], "table"
    shown = "'" + table_keys.fillna("") + "'"
    reason = np.where(
        us,
        ("cannot locate: city " + shown + " not in the US city table").to_numpy(dtype=object),
        ("cannot locate: no city table outside the US for " + shown + " (give --geocode-table with key "
         "'CITY, STATE, COUNTRY')").to_numpy(dtype=object),
    )
    no_city = text(city).isna().to_numpy()
    reason[no_city] = "cannot locate: no city given"
    if options.geocode.geocode_table:
        reason[~us & ~no_city] = ("cannot locate: " + shown + " not in the geocode table").to_numpy(
            dtype=object)[~us & ~no_city]
    return lat, lon, precision, reason


def _read(path: str, options: ReadOptions, columns: tuple[str, ...]) -> tuple[pd.DataFrame, RawTable]:
    raw = read_table(path, kind="csv", encoding=options.encoding or ENCODING, newline="\r",
                     delimiter=options.delimiter or ",")
    raw.require(columns)
    return raw.frame, raw


@register("crunchbase-companies", "Crunchbase 2013 companies (category, city, founding date, funding)")
def read_crunchbase_companies(path: str, options: ReadOptions) -> Extract:
    """Read ``crunchbase-companies.csv`` (Crunchbase export of October 2013).

    Each row is a company. Columns become:

    - ``permalink`` (``"/company/waywire"``) → ``firm_id``; ``name`` → ``name`` (mojibake repaired,
      :func:`repair_mojibake`); ``kind`` ``firm``.
    - ``category_code`` (software, biotech, cleantech ... 42 categories, Crunchbase's own) → ``code`` with
      ``code_system`` ``crunchbase`` (:func:`category_code`: underscores dropped, three long names shortened).
    - ``founded_at`` → ``founded``, else ``founded_year`` (1 January).
    - ``city`` → ``city``, ``state_code`` → ``region`` (where missing, taken from Crunchbase's metro ``region``,
      :func:`state_from_region`), ``country_code`` → ``country`` (alpha-2 where known).
      US companies are placed at their city's centre (:func:`us_city_lookup`; ``geo_precision`` ``city``); other
      countries, and US cities the table lacks, need ``--geocode-table`` with keys ``"CITY, STATE, COUNTRY"``
      (:func:`geocode_key`), else they are rejected here with the key that was looked up.
    - ``funding_total_usd`` → an event of kind ``funding`` dated ``first_funding_at``, with the amount and the
      number of rounds in its title. Ingesting ``crunchbase-rounds`` as well gives the same money round by round:
      do not add the two.

    ``status`` (operating, acquired, closed, ipo) has no date, so it does not become ``dissolved``.

    Parameters
    ----------
    path
        The CSV file.
    options
        Read options (``columns``, ``encoding`` (default Mac Roman), ``geocode``).

    Returns
    -------
    Extract
        One row per company (``rows_are="firms"``), with funding events.

    Raises
    ------
    InputError
        The file cannot be read or lacks one of :data:`COMPANY_COLUMNS`.
    """
    src, raw = _read(path, options, COMPANY_COLUMNS)
    country = text(src["country_code"]).str.upper()
    city = repair_mojibake(text(src["city"]))
    state = state_from_region(src["state_code"], src["region"])
    lat, lon, precision, reason = _locate(city, state, country, options)
    founded = text(src["founded_at"]).fillna(text(src["founded_year"]))
    rows = pd.DataFrame(
        {
            "firm_id": text(src["permalink"]),
            "name": repair_mojibake(text(src["name"])),
            "lat": lat,
            "lon": lon,
            "geo_precision": pd.array(precision, dtype="string"),
            "code": category_code(src["category_code"]),
            "code_system": CODE_SYSTEM,
            "founded": founded,
            "kind": "firm",
            "city": city,
            "region": state,
            "country": country.map(COUNTRY_CODES).fillna(country),
            RECORD: src[RECORD],
            LINE: src[LINE],
        }
    )
    rows = override_columns(rows, src, options, path)

    total = text(src["funding_total_usd"])
    # the export holds spreadsheet-mangled totals ("5/18/27", "#####"): the firm stays, its funding total does not
    mangled = total.notna() & parse_numbers(total).isna()
    funded = total.notna() & ~mangled
    rounds = text(src["funding_rounds"]).fillna("?")
    events = pd.DataFrame(
        {
            "firm_id": text(src["permalink"]),
            "date": text(src["first_funding_at"]),
            "kind": "funding",
            "title": "total funding to " + text(src["last_funding_at"]).fillna("?") + " in " + rounds + " round(s)",
            "amount": text(src["funding_total_usd"]),
            RECORD: src[RECORD],
        }
    )[funded.to_numpy()].reset_index(drop=True)

    rows, adapter_rejects = reject_rows(rows, pd.Series(np.isnan(lat), index=rows.index),
                                        pd.Series(reason, index=rows.index), "city", path, rows["city"])
    return Extract(
        path=path,
        rows=rows,
        rows_read=raw.rows_read,
        rejected=merge_rejected(raw.rejected, adapter_rejects),
        rows_are="firms",
        events=events,
        notes=[
            "located at city centres (mean ZIP centroid of the city): geo_precision city, not the firm's address",
            "code = Crunchbase category (code_system crunchbase); founded = founded_at, else founded_year",
            "funding events hold the total raised to Oct 2013, dated at the first round",
            "the export covers US companies that raised money: not a register of all start-ups",
            *(
                [f"{int(mangled.sum())} funding totals are not numbers in the file (spreadsheet-mangled, e.g. "
                 f"{total[mangled].iloc[0]!r}): those firms are kept without a funding event"]
                if mangled.any() else []
            ),
        ],
    )


@register("crunchbase-rounds", "Crunchbase 2013 funding rounds (events: one per round)")
def read_crunchbase_rounds(path: str, options: ReadOptions) -> Extract:
    """Read ``crunchbase-rounds.csv``: each row is a funding round, an event of its company.

    ``company_permalink`` → ``firm_id`` (joins ``crunchbase-companies``), ``funded_at`` → ``date``,
    ``funding_round_type`` (angel, series-a, venture ...) → ``title``, ``raised_amount_usd`` → ``amount`` (US
    dollars), ``kind`` ``funding round``. No firms are created.

    Parameters
    ----------
    path
        The CSV file.
    options
        Read options (``encoding``, default Mac Roman).

    Returns
    -------
    Extract
        ``rows_are="events"``.

    Raises
    ------
    InputError
        The file cannot be read or lacks one of :data:`ROUND_COLUMNS`.
    """
    src, raw = _read(path, options, ROUND_COLUMNS)
    events = pd.DataFrame(
        {
            "firm_id": text(src["company_permalink"]),
            "date": text(src["funded_at"]),
            "kind": "funding round",
            "title": text(src["funding_round_type"]),
            "amount": text(src["raised_amount_usd"]),
            RECORD: src[RECORD],
            LINE: src[LINE],
        }
    )
    return Extract(
        path=path,
        rows=events,
        rows_read=raw.rows_read,
        rejected=raw.rejected,
        rows_are="events",
        events=events,
        notes=["one event per funding round; amount in US dollars"],
    )


@register("crunchbase-acquisitions", "Crunchbase 2013 acquisitions (relations: acquirer -> acquired company)")
def read_crunchbase_acquisitions(path: str, options: ReadOptions) -> Extract:
    """Read ``crunchbase-acquisitions.csv``: each row is an acquisition, a tie from acquirer to acquired company.

    ``acquirer_permalink`` → ``source``, ``company_permalink`` → ``target``, ``acquired_at`` → ``date``,
    ``price_amount`` → ``weight`` (in ``price_currency_code``: US dollars for all but 15 rows, which are noted),
    ``kind`` ``acquisition``. No firms are created; most acquirers (large firms) are not in the companies file.

    The exported file ends with 1,534 records that hold only separators (``,,,,``); they are rejected here as
    empty records.

    Parameters
    ----------
    path
        The CSV file.
    options
        Read options (``encoding``, default Mac Roman).

    Returns
    -------
    Extract
        ``rows_are="relations"``.

    Raises
    ------
    InputError
        The file cannot be read or lacks one of :data:`ACQUISITION_COLUMNS`.
    """
    src, raw = _read(path, options, ACQUISITION_COLUMNS)
    relations = pd.DataFrame(
        {
            "source": text(src["acquirer_permalink"]),
            "target": text(src["company_permalink"]),
            "date": text(src["acquired_at"]),
            "kind": "acquisition",
            "weight": text(src["price_amount"]),
            RECORD: src[RECORD],
            LINE: src[LINE],
        }
    )
    published = [c for c in src.columns if not c.startswith("_")]
    empty = src[published].apply(lambda col: text(col).isna()).all(axis=1)
    relations, adapter_rejects = reject_rows(relations, empty, "empty record (only separators)", None, path)
    currency = text(src["price_currency_code"]).str.upper()
    other = (text(src["price_amount"]).notna() & currency.notna() & (currency != "USD")).fillna(False)
    notes = ["source = acquirer, target = acquired company; weight = price paid where published"]
    if other.any():
        counts = currency[other].value_counts()
        shown = ", ".join(f"{k} {v}" for k, v in counts.items())
        notes.append(f"{int(other.sum())} prices are not in US dollars ({shown}); weights mix currencies there")
    return Extract(
        path=path,
        rows=relations,
        rows_read=raw.rows_read,
        rejected=merge_rejected(raw.rejected, adapter_rejects),
        rows_are="relations",
        relations=relations,
        notes=notes,
    )

