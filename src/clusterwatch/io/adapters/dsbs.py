"""SBA Dynamic Small Business Search (DSBS) profiles: what US small firms say they do, with their addresses.

Publisher: US Small Business Administration (a US government work, public domain); the profile pages were scraped
and mirrored by 5014NG3/uslocalcompany, with contact persons removed, as ``dsbs_profiles_capabilities.parquet``
(69,159 profiles; columns ``firm_name, address_line_1, city, state, zip, capabilities, website,
dsbs_business_type``). The mirror carries no UEI, DUNS, CAGE code or NAICS code.
"""

from __future__ import annotations

import pandas as pd

from clusterwatch.io.adapters._common import override_columns, stable_id, text
from clusterwatch.io.adapters.base import Extract, ReadOptions, register
from clusterwatch.io.sources import LINE, RECORD, read_table

DSBS_COLUMNS: tuple[str, ...] = ("firm_name", "address_line_1", "city", "state", "zip", "capabilities")

_ZIP = r"^\d{5}(?:-\d{4})?$"
_STATE = r"^[A-Z]{2}$"


def realign_shifted(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Put back profiles whose fields slid two columns right: the city in ``state``, the state in ``zip``.

    A handful of scraped profiles (4 of 69,159) hold the city in ``state``, the state code in ``zip`` and the
    ZIP code in ``capabilities`` (their ``address_line_1`` is a contact's job title, or empty). For those rows
    the city, state and ZIP are moved back, and address and capabilities left empty.

    Returns
    -------
    tuple
        The corrected columns ``address_line_1, city, state, zip, capabilities`` and the mask of moved rows.
    """
    state = text(frame["state"])
    zip_code = text(frame["zip"])
    caps = text(frame["capabilities"])
    shifted = (
        ~state.str.fullmatch(_STATE).fillna(True)
        & zip_code.str.fullmatch(_STATE).fillna(False)
        & caps.str.fullmatch(_ZIP).fillna(False)
    )
    out = pd.DataFrame(
        {
            "address_line_1": text(frame["address_line_1"]).where(~shifted),
            "city": text(frame["city"]).where(~shifted, state),
            "state": state.where(~shifted, zip_code),
            "zip": zip_code.where(~shifted, caps),
            "capabilities": caps.where(~shifted),
        }
    )
    return out, shifted


@register("dsbs", "SBA Dynamic Small Business Search profiles (capabilities text, US address)")
def read_dsbs(path: str, options: ReadOptions) -> Extract:
    """Read SBA DSBS profiles (Parquet, or the same columns as CSV).

    Each row is a small-business profile. Columns become:

    - ``firm_name`` + ``address_line_1`` + the 5-digit ZIP → ``firm_id`` (:func:`~clusterwatch.io.adapters.licences.
      stable_id`; the mirror has no UEI/DUNS/CAGE). Two profiles of one firm at one address (6 in the mirror) share
      an id, and validation rejects the second as a duplicate. ``firm_name`` → ``name``.
    - ``capabilities`` (free text, median 240 characters) → ``description``.
    - ``address_line_1`` → ``address``, ``city``, ``state`` → ``region``, ``zip`` (ZIP+4; a trailing ``-`` as in
      ``"99737-"`` is dropped) → ``postcode``, located by the US ZIP table; ``country`` ``US``.
    - ``sme`` is ``True`` for every row: DSBS lists firms registered as small under SBA size standards.
    - ``kind`` ``firm``. ``website`` and ``dsbs_business_type`` (CON/MFG/RAD/SVC flags) are not used; there is no
      industry code, so ``code`` stays empty.

    Profiles whose fields slid two columns to the right are put back (:func:`realign_shifted`).

    Parameters
    ----------
    path
        The Parquet (or CSV) file.
    options
        Read options (``columns``, ``encoding`` for CSV).

    Returns
    -------
    Extract
        One row per profile (``rows_are="firms"``).

    Raises
    ------
    InputError
        The file cannot be read or lacks one of :data:`DSBS_COLUMNS`.
    """
    raw = read_table(path, encoding=options.encoding or "utf-8", delimiter=options.delimiter)
    raw.require(DSBS_COLUMNS)
    src = raw.frame
    fixed, shifted = realign_shifted(src)
    zip_code = fixed["zip"].str.replace(r"-$", "", regex=True)
    rows = pd.DataFrame(
        {
            "firm_id": stable_id([src["firm_name"], fixed["address_line_1"], zip_code.str.slice(0, 5)]),
            "name": text(src["firm_name"]),
            "description": fixed["capabilities"],
            "sme": True,
            "kind": "firm",
            "address": fixed["address_line_1"],
            "city": fixed["city"],
            "region": fixed["state"],
            "postcode": zip_code,
            "country": "US",
            RECORD: src[RECORD],
            LINE: src[LINE],
        }
    )
    rows = override_columns(rows, src, options, path)
    notes = [
        "sme = True for every profile (SBA small business search); located by ZIP centroid",
        "firm_id = hash of name + address + ZIP (the profiles carry no UEI/DUNS); no industry code",
    ]
    if shifted.any():
        notes.append(f"{int(shifted.sum())} profiles with fields shifted two columns were realigned")
    return Extract(
        path=path,
        rows=rows,
        rows_read=raw.rows_read,
        rejected=raw.rejected,
        rows_are="firms",
        notes=notes,
    )
