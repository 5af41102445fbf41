"""Business Finland: funding awarded to organisations, per business id and year (2010 onwards).

Publisher: Business Finland (the Finnish innovation funding agency), open data "Myönnetyt rahoitukset"; the copy
used in tests is mirrored by simoalanne/SolitaProject. Licence: CC BY 4.0 (Business Finland open data). The file is
UTF-8 without a byte-order mark; amounts are written with no-break spaces between thousands (``"1 139 200"``).
It holds no location and no industry code, so its rows are dated evidence about firms (events), joined to firms
from other sources by the business id (Y-tunnus).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clusterwatch.io.adapters.base import Extract, ReadOptions, register
from clusterwatch.io.sources import LINE, RECORD, empty_rejected, read_table, rejected_frame

ORGANISATION = "Organisaatio"
BUSINESS_ID = "Y-tunnus"
YEAR = "Myöntämisvuosi"
TOTAL = "Yhteensä €"
#: Source column → the part's name in the event text.
PARTS: dict[str, str] = {
    "Avustus €": "grant",
    "Laina €": "loan",
    "EAKR-rahoitus €": "ERDF",
    "Tutkimusrahoitus €": "research funding",
}
REQUIRED_COLUMNS: tuple[str, ...] = (ORGANISATION, BUSINESS_ID, YEAR, TOTAL, *PARTS)

#: Weights of the Finnish business id check digit (Finnish Tax Administration / PRH).
CHECK_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2])


def business_id_problems(ids: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Normalise Finnish business ids (Y-tunnus) and say what is wrong with each.

    A business id is seven digits, a dash and a check digit. The check digit: weight the seven digits by
    7, 9, 10, 5, 8, 4, 2, sum, take the remainder mod 11; remainder 0 gives 0, remainder 1 is never issued, other
    remainders give 11 − remainder. Old six-digit ids are written with a leading zero (``123456-7`` →
    ``0123456-7``), as the Tax Administration advises.

    Parameters
    ----------
    ids
        Business ids as published.

    Returns
    -------
    tuple of Series
        The normalised ids, and per id a missing value when valid or the reason it is not.

    Examples
    --------
    >>> import pandas as pd
    >>> ids, why = business_id_problems(pd.Series(["0112038-9", "112038-9", "0112038-8", "-"]))
    >>> list(ids)
    ['0112038-9', '0112038-9', '0112038-8', '-']
    >>> why.isna().tolist()
    [True, True, False, False]
    """
    s = ids.astype("string").str.strip().str.replace(r"\s+", "", regex=True)
    s = s.str.replace(r"^(\d{6}-\d)$", r"0\1", regex=True)
    well_formed = s.str.fullmatch(r"\d{7}-\d").fillna(False)
    shown = "(Y-tunnus '" + s.fillna("").str.slice(0, 30) + "'"
    missing = s.isna() | s.isin(["", "-"]).fillna(False)
    reason = pd.Series(None, index=ids.index, dtype="object")
    reason[missing] = ("missing business id " + shown + ")")[missing]
    malformed = ~well_formed & ~missing
    reason[malformed] = ("malformed business id " + shown + "; expected 7 digits, dash, check digit)")[malformed]
    if well_formed.any():
        good = s[well_formed]
        digits = np.stack([good.str.slice(i, i + 1).astype(int).to_numpy() for i in range(7)], axis=1)
        remainder = pd.Series((digits @ CHECK_WEIGHTS) % 11, index=good.index)
        expected = remainder.where(remainder == 0, 11 - remainder)
        given = good.str.slice(8, 9).astype(int)
        wrong = (remainder == 1) | (expected != given)
        why = ("business id check digit wrong " + shown[good.index] + "; expected "
               + expected.astype("string") + ")")
        why = why.mask(remainder == 1, "business id check digit wrong " + shown[good.index]
                       + "; no valid check digit exists for these digits)")
        reason[wrong[wrong].index] = why[wrong]
    return s, reason


def parse_euros(values: pd.Series) -> pd.Series:
    """Amounts like ``"1 139 200"`` (blank or no-break-space thousands), ``"-19 692"`` → float; NaN if not a number."""
    s = values.astype("string").str.replace(r"[\s\u00a0\u202f]", "", regex=True).str.replace(",", ".", regex=False)
    return pd.to_numeric(s.where(s != ""), errors="coerce").astype("float64")


def _parts_text(parts: dict[str, pd.Series]) -> pd.Series:
    """``"grant 9536 EUR; loan 40000 EUR"``: the non-zero parts of each award."""
    pieces = [(name + " " + amount.round(0).astype("Int64").astype("string") + " EUR").where(amount != 0)
              for name, amount in parts.items()]
    text = pieces[0]
    for piece in pieces[1:]:
        text = (text + "; " + piece).fillna(text).fillna(piece)
    return text


@register("business-finland", "Business Finland funding awarded per business id (Y-tunnus) and year")
def read_business_finland(path: str, options: ReadOptions) -> Extract:
    """Read Business Finland's table of awarded funding.

    Rows are events only (``rows_are="events"``): the file locates no firm. Columns become:

    - ``Y-tunnus`` → ``firm_id`` after checking the format and check digit (:func:`business_id_problems`); rows
      without a valid business id (foreign organisations are listed with ``"-"``) are rejected with the reason.
    - ``Myöntämisvuosi`` (year awarded) → ``date`` (1 January of the year); ``kind`` is ``"funding"``.
    - ``Organisaatio`` → ``title``; ``Yhteensä €`` (total) → ``amount``, in euros. Negative totals (funding
      returned or cancelled) are kept as published.
    - the parts (``Avustus`` grant, ``Laina`` loan, ``EAKR-rahoitus`` ERDF, ``Tutkimusrahoitus`` research
      funding) → ``text``, the non-zero ones as ``"grant 9536 EUR; loan 40000 EUR"``.

    Parameters
    ----------
    path
        ``BFData.csv`` (``,``-separated, UTF-8).
    options
        Read options; ``encoding`` for copies saved in another encoding.

    Returns
    -------
    Extract
        ``events`` with one row per accepted award row; rejected rows in ``rejected``.

    Raises
    ------
    InputError
        The file cannot be read or lacks one of :data:`REQUIRED_COLUMNS`.
    """
    raw = read_table(path, kind="csv", delimiter=options.delimiter or ",", encoding=options.encoding or "utf-8")
    raw.require(REQUIRED_COLUMNS)
    src = raw.frame
    ids, why = business_id_problems(src[BUSINESS_ID])
    bad = why.notna()
    rejected = rejected_frame(path, src, bad, why, BUSINESS_ID)
    if len(rejected):
        rejected["raw"] = src.loc[bad, BUSINESS_ID].astype("object").to_numpy()
    rejected = pd.concat([raw.rejected, rejected], ignore_index=True) if len(rejected) else raw.rejected
    if rejected.empty:
        rejected = empty_rejected()

    keep = (~bad).to_numpy()
    total = parse_euros(src[TOTAL])
    parts = {name: parse_euros(src[col]) for col, name in PARTS.items()}
    # an amount that does not parse goes on raw, so that validation rejects the row and names the value
    amount = total.astype("object").where(total.notna(), src[TOTAL].astype("object"))
    events = pd.DataFrame(
        {
            "firm_id": ids,
            "date": src[YEAR].astype("string").str.strip(),
            "kind": "funding",
            "title": src[ORGANISATION].astype("string").str.strip(),
            "text": _parts_text(parts),
            "amount": amount,
            RECORD: src[RECORD],
            LINE: src[LINE],
        }
    )[keep].reset_index(drop=True)
    return Extract(
        path=path,
        rows=events[["firm_id", RECORD, LINE]].iloc[0:0],
        rows_read=raw.rows_read,
        rejected=rejected,
        rows_are="events",
        events=events,
        notes=[
            "rows are funding awards (events) keyed by business id; they locate no firm",
            "date = 1 January of the award year; amount = total in EUR, parts (grant, loan, ERDF, research) in text",
        ],
    )
