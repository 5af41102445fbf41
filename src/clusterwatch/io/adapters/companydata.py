"""CompanyData.com free city samples: the 1,000 largest companies of a city, with US SIC codes.

``companydata`` reads the ``<city>-business-dataset-sample.csv`` files (``;``-separated, UTF-8 with BOM) of
CompanyData.com's "Free Business Datasets" (Amsterdam, Berlin, London, Los Angeles, Madrid, New York City, Paris,
Rome); the samples are published under CC0 / CC BY 4.0 (see the ``LICENSE`` beside them). They hold the largest
firms of each city, not SMEs: a contrast set for the small-firm registers.
"""

from __future__ import annotations

import pandas as pd

from clusterwatch.io.adapters._common import override_columns, text
from clusterwatch.io.adapters.base import Extract, ReadOptions, register
from clusterwatch.io.sources import LINE, RECORD, read_table
from clusterwatch.io.validate import parse_numbers

COLUMNS: tuple[str, ...] = (
    "ID", "Company Name", "Address 1", "Postal Code", "City", "State/Province", "Country",
    "Business Category Code 1", "Business Category Code 1 - Description", "Founding Year", "Employees On Site",
    "Employees Total",
)

#: Country names as the samples spell them → ISO 3166-1 alpha-2 (others are kept as published and then rejected
#: as having no postcode table unless ``--geocode-table`` covers them).
COUNTRY_CODES: dict[str, str] = {
    "England": "GB", "Scotland": "GB", "Wales": "GB", "Northern Ireland": "GB", "United Kingdom": "GB",
    "Germany": "DE", "Netherlands": "NL", "France": "FR", "Spain": "ES", "Italy": "IT", "USA": "US",
    "United States": "US", "Australia": "AU", "Belgium": "BE", "Austria": "AT", "Sweden": "SE", "Denmark": "DK",
    "Finland": "FI", "Norway": "NO", "Poland": "PL", "Estonia": "EE",
}

#: The EU SME ceiling (Commission Recommendation 2003/361/EC): fewer than 250 employees.
SME_EMPLOYEES = 250


@register("companydata", "CompanyData.com city samples (largest firms; US SIC codes, employees, founding year)")
def read_companydata(path: str, options: ReadOptions) -> Extract:
    """Read a CompanyData.com city sample.

    Column mapping: ``ID`` → ``firm_id``; ``Company Name`` → ``name``; ``Address 1`` → ``address``;
    ``Postal Code`` → ``postcode`` (geocoded by country); ``City``, ``State/Province`` → ``city``, ``region``;
    ``Country`` → ``country`` (names mapped to ISO codes, England/Scotland/Wales → GB); ``Business Category
    Code 1`` → ``code`` with ``code_system`` ``sic1987`` (US SIC, 4 digits) and its description →
    ``description``; ``Founding Year`` → ``founded`` (1 January; ``0`` means unknown); ``Employees On Site`` →
    ``employees`` (the site's, which is what a location analysis needs; ``Employees Total``, the group's, where
    the site count is 0 or missing); ``sme`` is true when the group has fewer than 250 employees (EU
    definition), false otherwise.

    Parameters
    ----------
    path
        A ``*-business-dataset-sample.csv`` file.
    options
        Read options; ``columns`` overrides the mapping.

    Returns
    -------
    Extract
        One firm per row.

    Raises
    ------
    InputError
        The file cannot be read, or lacks one of :data:`COLUMNS`.
    """
    raw = read_table(path, encoding=options.encoding or "utf-8", delimiter=options.delimiter or ";")
    first = raw.frame.columns[0]
    if "ID" not in raw.frame.columns and first in ("column00", "column0", ""):
        # the Amsterdam sample's header leaves the id column unnamed
        raw.frame = raw.frame.rename(columns={first: "ID"})
    raw.require(COLUMNS)
    src = raw.frame
    country_name = text(src["Country"])
    founded = text(src["Founding Year"])  # "0" stands for an unknown year
    on_site = parse_numbers(src["Employees On Site"])
    total = parse_numbers(src["Employees Total"])
    employees = on_site.where(on_site > 0, total)
    sme = pd.Series(pd.NA, index=src.index, dtype="boolean")
    sme[total.notna()] = total[total.notna()] < SME_EMPLOYEES
    rows = pd.DataFrame(
        {
            "firm_id": text(src["ID"]),
            "name": text(src["Company Name"]),
            "address": text(src["Address 1"]),
            "postcode": text(src["Postal Code"]),
            "city": text(src["City"]),
            "region": text(src["State/Province"]),
            "country": country_name.map(COUNTRY_CODES).fillna(country_name).astype("string"),
            "code": text(src["Business Category Code 1"]),
            "code_system": "sic1987",
            "description": text(src["Business Category Code 1 - Description"]),
            "founded": founded.where(founded != "0"),
            "employees": employees,
            "sme": sme,
            "kind": "firm",
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
        notes=[
            "the 1,000 largest firms of a city (not SMEs); code = US SIC 1987 (code_system sic1987)",
            "employees = the site's employees, the group's where the site count is 0; sme = group < 250 employees",
            "located by postcode centroid (postcode tables by country; US ZIP+4 read as ZIP)",
        ],
    )
