"""UK Companies House "Free Company Data Product" (BasicCompanyData), as one file or in parts.

Publisher: Companies House (UK). Licence: Open Government Licence v3.0. The monthly snapshot lists every live
company on the register (about 5 million) in 55 columns; the parts (``BasicCompanyData-2020-05-01-part1_6.csv``)
share the header. Some header names carry a leading blank in the official files (``" CompanyNumber"``); the reader
strips them.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from clusterwatch.io.adapters._common import override_columns
from clusterwatch.io.adapters.base import Extract, ReadOptions, register
from clusterwatch.io.sources import LINE, RECORD, arrow_strings, read_table, string_series

#: The 55 columns of the official BasicCompanyData file, in order.
OFFICIAL_COLUMNS: tuple[str, ...] = (
    "CompanyName", "CompanyNumber", "RegAddress.CareOf", "RegAddress.POBox", "RegAddress.AddressLine1",
    "RegAddress.AddressLine2", "RegAddress.PostTown", "RegAddress.County", "RegAddress.Country",
    "RegAddress.PostCode", "CompanyCategory", "CompanyStatus", "CountryOfOrigin", "DissolutionDate",
    "IncorporationDate", "Accounts.AccountRefDay", "Accounts.AccountRefMonth", "Accounts.NextDueDate",
    "Accounts.LastMadeUpDate", "Accounts.AccountCategory", "Returns.NextDueDate", "Returns.LastMadeUpDate",
    "Mortgages.NumMortCharges", "Mortgages.NumMortOutstanding", "Mortgages.NumMortPartSatisfied",
    "Mortgages.NumMortSatisfied", "SICCode.SicText_1", "SICCode.SicText_2", "SICCode.SicText_3",
    "SICCode.SicText_4", "LimitedPartnerships.NumGenPartners", "LimitedPartnerships.NumLimPartners", "URI",
    *(f"PreviousName_{i}.{part}" for i in range(1, 11) for part in ("CONDATE", "CompanyName")),
    "ConfStmtNextDueDate", "ConfStmtLastMadeUpDate",
)

SIC_COLUMNS: tuple[str, ...] = tuple(f"SICCode.SicText_{i}" for i in range(1, 5))

#: The columns this adapter reads; a file lacking one of them is refused.
REQUIRED_COLUMNS: tuple[str, ...] = (
    "CompanyName", "CompanyNumber", "RegAddress.AddressLine1", "RegAddress.AddressLine2", "RegAddress.PostTown",
    "RegAddress.County", "RegAddress.Country", "RegAddress.PostCode", "DissolutionDate", "IncorporationDate",
    "Accounts.AccountCategory", *SIC_COLUMNS,
)

#: ``Accounts.AccountCategory`` → SME flag. Categories open only to small or medium companies (the small-company
#: regime: micro-entity, total exemption, abridged accounts) say ``True``; full and group accounts, filed by
#: companies above the small thresholds, say ``False``. Categories that say nothing about size (no accounts yet,
#: dormant, initial/interim accounts, and the subsidiary audit/filing exemptions of ss. 479A/394A Companies Act
#: 2006, which any size of subsidiary may use) leave the flag unknown.
SME_BY_ACCOUNT_CATEGORY: dict[str, bool | None] = {
    "MICRO ENTITY": True,
    "SMALL": True,
    "MEDIUM": True,
    "TOTAL EXEMPTION FULL": True,
    "TOTAL EXEMPTION SMALL": True,
    "PARTIAL EXEMPTION": True,
    "AUDITED ABRIDGED": True,
    "UNAUDITED ABRIDGED": True,
    "FULL": False,
    "GROUP": False,
    "AUDIT EXEMPTION SUBSIDIARY": None,
    "FILING EXEMPTION SUBSIDIARY": None,
    "DORMANT": None,
    "NO ACCOUNTS FILED": None,
    "ACCOUNTS TYPE NOT AVAILABLE": None,
    "INITIAL": None,
    "INTERIM": None,
}

#: ``RegAddress.Country`` values that mean the United Kingdom. The Crown dependencies are read as GB too: their
#: postcodes (GY, JE, IM) belong to the UK postcode system and its lookup files.
UK_COUNTRY_NAMES: frozenset[str] = frozenset({
    "", "UNITED KINGDOM", "UK", "GB", "GREAT BRITAIN", "ENGLAND", "WALES", "SCOTLAND", "NORTHERN IRELAND",
    "ENGLAND AND WALES", "ENGLAND & WALES", "GUERNSEY", "JERSEY", "ISLE OF MAN", "CHANNEL ISLANDS",
})

#: Registered offices abroad (overseas companies): country names → ISO alpha-2 where clusterwatch can geocode
#: them; other names are kept as published, and validation rejects those rows as not locatable.
FOREIGN_COUNTRY_CODES: dict[str, str] = {
    "UNITED STATES": "US", "USA": "US", "UNITED STATES OF AMERICA": "US", "IRELAND": "IE",
    "REPUBLIC OF IRELAND": "IE", "GERMANY": "DE", "FRANCE": "FR", "NETHERLANDS": "NL", "THE NETHERLANDS": "NL",
    "BELGIUM": "BE", "AUSTRIA": "AT", "DENMARK": "DK", "ESTONIA": "EE", "SPAIN": "ES", "FINLAND": "FI",
    "ITALY": "IT", "NORWAY": "NO", "POLAND": "PL", "SWEDEN": "SE",
}

DATE_FORMAT = "%d/%m/%Y"
NO_SIC = "None Supplied"


def parse_sic_codes(sic_texts: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """SIC text columns (``"62020 - Information technology consultancy activities"``) → (first code, all codes).

    ``"None Supplied"`` and blanks mean no code. A text that does not start with a 4- or 5-digit code is passed on
    as it is, so that validation rejects the row as having a malformed ``uksic2007`` code instead of it vanishing.

    Parameters
    ----------
    sic_texts
        The ``SICCode.SicText_1..4`` columns, in order.

    Returns
    -------
    tuple of Series
        ``code``: the first code given (NA when none); ``codes``: every code, ``';'``-joined in column order.
    """
    # in Arrow compute: pandas' str.match/str.extract fall back to Python per row, ~3 s per million rows
    parts = []
    for col in sic_texts.columns:
        text = pc.utf8_trim_whitespace(arrow_strings(sic_texts[col]))
        text = pc.if_else(pc.is_in(text, pa.array(["", NO_SIC])), pa.scalar(None, pa.string()), text)
        coded = pc.match_substring_regex(text, r"^\d{4,5}\s*-")
        # "62020 - Information ..." -> "62020"; a text without a leading code stays as it is
        parts.append(pc.if_else(coded, pc.utf8_trim_whitespace(pc.utf8_slice_codeunits(text, 0, 5)), text))
    code = parts[0]
    for part in parts[1:]:
        code = pc.coalesce(code, part)
    # null_handling="skip" returns too short an array in pyarrow 26 when a row is all null: join, then tidy
    joined = pc.binary_join_element_wise(*parts, ";", null_handling="replace", null_replacement="")
    joined = pc.utf8_trim(pc.replace_substring_regex(joined, ";{2,}", ";"), ";")
    joined = pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), joined)
    index = sic_texts.index
    return string_series(code, index), string_series(joined, index)



def _blank_na(values: pd.Series) -> pd.Series:
    # files written by R (like the public 0.1% sample) spell an empty date "NA"; no date is spelt that way
    s = values.astype("string").str.strip()
    return s.where((s != "") & (s != "NA"))


def _country(values: pd.Series) -> pd.Series:
    name = values.astype("string").str.strip().str.upper().fillna("")
    country = pd.Series("GB", index=values.index, dtype="string")
    abroad = ~name.isin(UK_COUNTRY_NAMES)
    if abroad.any():  # a few thousand rows in five million: map only those
        foreign = name[abroad]
        country[abroad] = foreign.map(FOREIGN_COUNTRY_CODES).fillna(foreign).astype("string")
    return country


@register("companies-house", "UK Companies House BasicCompanyData (the free monthly register snapshot)")
def read_companies_house(path: str, options: ReadOptions) -> Extract:
    """Read a Companies House BasicCompanyData CSV (one file or a part; ``.csv.gz`` too).

    Each row is a company. Columns become:

    - ``CompanyNumber`` → ``firm_id`` (kept as published, leading zeros and prefixes such as ``SC``, ``NI``,
      ``OC``, ``FC`` included); ``CompanyName`` → ``name``; ``kind`` is ``"firm"``.
    - ``RegAddress.AddressLine1`` and ``AddressLine2`` → ``address`` (joined by ``", "``); ``RegAddress.PostTown``
      → ``city``; ``RegAddress.County`` → ``county``; ``RegAddress.PostCode`` → ``postcode``.
    - ``RegAddress.Country`` → ``country``: ``GB`` for the UK nations, the Crown dependencies and blanks;
      registered offices abroad (overseas companies) keep their country (ISO code where one is shipped for
      geocoding, else the name, which validation cannot locate).
    - ``SICCode.SicText_1..4`` → ``code`` (the first code), ``codes`` (all, ``';'``-joined), ``code_system``
      ``uksic2007`` (see :func:`parse_sic_codes`).
    - ``IncorporationDate`` → ``founded``; ``DissolutionDate`` → ``dissolved`` (both ``dd/mm/yyyy``; ``NA``,
      as files re-written by R spell a blank, is read as blank).
    - ``Accounts.AccountCategory`` → ``size_class`` as published and ``sme`` by
      :data:`SME_BY_ACCOUNT_CATEGORY`.

    Rows carry no coordinates: validation locates them from the postcode (a full postcode lookup file given with
    ``--postcodes``, else the postcode district centroid).

    Parameters
    ----------
    path
        The CSV file.
    options
        Read options; ``columns`` (``--column``) overrides the mapping, ``encoding`` the text encoding.

    Returns
    -------
    Extract
        One row per company (``rows_are="firms"``).

    Raises
    ------
    InputError
        The file cannot be read, or lacks one of :data:`REQUIRED_COLUMNS`.
    """
    raw = read_table(path, kind="csv", delimiter=options.delimiter or ",", encoding=options.encoding or "utf-8")
    raw.require(REQUIRED_COLUMNS)
    src = raw.frame

    address = src["RegAddress.AddressLine1"].astype("string").str.strip()
    line2 = src["RegAddress.AddressLine2"].astype("string").str.strip()
    address = address.where(address != "")
    line2 = line2.where(line2 != "")
    address = (address + ", " + line2).fillna(address).fillna(line2)

    code, codes = parse_sic_codes(src[list(SIC_COLUMNS)])
    category = src["Accounts.AccountCategory"].astype("string").str.strip().str.upper()
    category = category.where(category != "")
    sme = category.map(SME_BY_ACCOUNT_CATEGORY).astype("boolean")

    rows = pd.DataFrame(
        {
            "firm_id": src["CompanyNumber"].astype("string").str.strip(),
            "name": src["CompanyName"],
            "kind": "firm",
            "address": address,
            "city": src["RegAddress.PostTown"],
            "county": src["RegAddress.County"],
            "postcode": src["RegAddress.PostCode"],
            "country": _country(src["RegAddress.Country"]),
            "code": code,
            "codes": codes,
            "code_system": "uksic2007",
            "founded": _blank_na(src["IncorporationDate"]),
            "dissolved": _blank_na(src["DissolutionDate"]),
            "size_class": category,
            "sme": sme,
            RECORD: src[RECORD],
            LINE: src[LINE],
        }
    )
    rows = override_columns(rows, src, options, path)
    return Extract(
        path=path,
        rows=rows,
        rows_read=raw.rows_read,
        rejected=raw.rejected,
        rows_are="firms",
        date_formats={"founded": DATE_FORMAT, "dissolved": DATE_FORMAT},
        notes=[
            "located by registered office postcode (the company's legal address, not necessarily where it works)",
            "sme from Accounts.AccountCategory: small-company regimes = True, FULL/GROUP = False, others unknown",
        ],
    )

