"""Paycheck Protection Program (PPP) loans of 2020: establishments with NAICS code, jobs and location.

Publisher: the US Small Business Administration and the US Treasury (PPP loan-level data, released July 2020 and
later). Licence: US government work, public domain. Three layouts are read:

- ``ppp-georgia``: Georgia loans as cleaned by the public mirror mmainzer/ppp-loans (``ppp_georgia_dedup.csv``),
  with a ZCTA and county FIPS per loan.
- ``ppp-montana``: Montana loans as collected by eidietrich/mt-ppp-loans (``mt-combined.csv``), in the SBA's
  column layout.
- ``ppp-us``: the national release of loans under $150,000 (SBA ``foia_up_to_150k_XX.csv`` files, one per
  state; e.g. the Parquet conversion of sbooeshaghi/SBA-PPP-Loan-Data), read column-projected.

Every row is a loan, i.e. an establishment that applied. PPP covers only businesses that applied for a loan, and
carries no firm identifier: :func:`loan_ids` numbers the rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from clusterwatch.io.adapters.base import Extract, ReadOptions, apply_column_map, register
from clusterwatch.io.sources import LINE, RECORD, RawTable, file_kind, read_table

#: NAICS values that mean "no code": SBA's ``999990`` (unclassified establishments) and ``0``.
NO_NAICS: tuple[str, ...] = ("999990", "0", "000000")

#: Columns each layout needs; those of the ``*_OPTIONAL`` lists are used where the file has them.
GEORGIA_COLUMNS: tuple[str, ...] = ("Recipient", "NAICS", "ZCTA", "Jobs", "Date")
GEORGIA_OPTIONAL: tuple[str, ...] = ("Address", "City", "FIPS", "BusinessType", "NonProfit", "Amount")
MONTANA_COLUMNS: tuple[str, ...] = ("BusinessName", "Zip", "NAICSCode", "JobsRetained", "DateApproved")
MONTANA_OPTIONAL: tuple[str, ...] = (
    "Address", "City", "State", "BusinessType", "NonProfit", "LoanAmount", "LoanRange",
)
#: Columns read from the national file (Parquet: only these, and those of ``US_OPTIONAL`` it has, are read).
US_COLUMNS: tuple[str, ...] = ("City", "State", "Zip", "NAICSCode", "JobsRetained")
US_OPTIONAL: tuple[str, ...] = ("BusinessType", "NonProfit", "BusinessName", "Address")

NOTE_LOANS = ("rows are PPP loans of 2020: establishments that applied for a loan, not a census of firms; a "
              "business with several loans appears several times")
NOTE_IDS = ("PPP publishes no firm id: firm_id is PPP-{state}-<record number in the file>, stable for this file "
            "only")
NOTE_SME = "sme is true for every row: PPP eligibility was generally fewer than 500 employees"
NOTE_JOBS = "employees = jobs reported on the loan application (0 kept as published)"
NOTE_NAICS = "NAICS 999990 (SBA's 'unclassified') and 0 become no code; the row is kept"
NOTE_KIND = "non-profits (NonProfit = Y or a Non-Profit business type) are kind 'other', all others 'firm'"
NOTE_DATE = ("the loan approval date is not a founding date: founded is left empty; each loan is an event of "
             "kind 'loan' dated by its approval, with its amount")
NOTE_NO_DATE = ("the loan approval date is not a founding date: founded is left empty; loans are not kept as "
                "events in the national file (2.8 million rows; approval dates span April-August 2020 only)")


def _text(values: pd.Series) -> pd.Series:
    s = values.astype("string").str.strip()
    return s.where(s != "")


def _column(src: pd.DataFrame, name: str) -> pd.Series:
    if name in src.columns:
        return _text(src[name])
    return pd.Series(pd.NA, index=src.index, dtype="string")


def loan_ids(records: pd.Series | np.ndarray, prefix: str) -> pd.Series:
    """Deterministic ids ``<prefix>-<record>`` (``PPP-GA-17``) from record numbers in the file.

    Loans carry no firm identifier, and names or addresses repeat (franchises, shared offices) or are withheld,
    so the row's position is the only key that is always unique.
    """
    values = np.asarray(records)
    arr = pc.binary_join_element_wise(prefix + "-", pa.array(values).cast(pa.string()), "")
    return pd.Series(arr.to_pandas(types_mapper=pd.ArrowDtype), dtype="string[pyarrow]")


def naics_code(values: pd.Series) -> pd.Series:
    """NAICS codes as published → digits, NA for blanks and :data:`NO_NAICS` (``"722511.0"`` → ``"722511"``)."""
    s = _text(values).str.replace(r"\.0$", "", regex=True)
    return s.where(~s.isin(NO_NAICS).fillna(False))


def firm_kind(nonprofit: pd.Series, business_type: pd.Series) -> pd.Series:
    """``"other"`` for non-profits (flag ``Y``, or a business type naming Non-Profit), else ``"firm"``."""
    flagged = nonprofit.str.upper().str.strip().eq("Y").fillna(False)
    # lower() first: a case-insensitive regex would leave Arrow's fast path for Python's re
    typed = business_type.str.lower().str.contains("non-profit|nonprofit", regex=True).fillna(False)
    kind = np.where((flagged | typed).to_numpy(), "other", "firm")
    return pd.Series(kind, index=nonprofit.index, dtype="string")


def _undisclosed(values: pd.Series) -> pd.Series:
    return values.where(~values.str.lower().eq("undisclosed").fillna(False))


def _dollars(values: pd.Series) -> pd.Series:
    # " $20,800 " → "20800"; "undisclosed" → NA
    s = _undisclosed(_text(values))
    return s.str.replace(r"[$, ]", "", regex=True).replace("", pd.NA)


def _build(
    raw: RawTable,
    options: ReadOptions,
    *,
    state: str,
    columns: dict[str, pd.Series | str],
    loans: pd.DataFrame | None,
    date_format: str | None,
    notes: list[str],
) -> Extract:
    """Firm rows (and loan events, where ``loans`` has ``date``, ``amount``, ``title``) of a PPP file."""
    src = raw.frame
    index = src.index
    firm_id = loan_ids(src[RECORD].to_numpy(), f"PPP-{state}")
    firm_id.index = index
    rows = pd.DataFrame(
        {
            "firm_id": firm_id,
            **columns,
            "code_system": "naics",
            "country": "US",
            "sme": pd.Series(True, index=index, dtype="boolean"),
            RECORD: src[RECORD],
            LINE: src[LINE],
        },
        index=index,
    )
    if options.columns:
        mapped = apply_column_map(src, options.columns, raw.path)
        for canonical in options.columns:
            rows[canonical] = mapped[canonical]
    events = None
    if loans is not None:
        events = pd.DataFrame(
            {
                "firm_id": rows["firm_id"],
                "date": loans["date"],
                "kind": "loan",
                "title": loans["title"],
                "amount": loans["amount"],
                RECORD: src[RECORD],
            },
            index=index,
        )
    return Extract(
        path=raw.path,
        rows=rows,
        rows_read=raw.rows_read,
        rejected=raw.rejected,
        rows_are="firms",
        events=events,
        date_formats={"date": date_format} if date_format else {},
        notes=[NOTE_LOANS, NOTE_IDS.format(state=state), NOTE_SME, NOTE_JOBS, NOTE_NAICS, NOTE_KIND,
               NOTE_DATE if loans is not None else NOTE_NO_DATE, *notes],
    )


@register("ppp-georgia", "PPP loans 2020, Georgia (mmainzer/ppp-loans ppp_georgia_dedup): NAICS, jobs, ZCTA, FIPS")
def read_ppp_georgia(path: str, options: ReadOptions) -> Extract:
    """Read Georgia PPP loans (``ppp_georgia_dedup.csv.gz``); each row is an establishment.

    Columns become: record number → ``firm_id`` ``PPP-GA-<record>`` (:func:`loan_ids`); ``Recipient`` → ``name``;
    ``NAICS`` → ``code`` (:func:`naics_code`, system ``naics``); ``Jobs`` → ``employees``; ``ZCTA`` (a float
    such as ``30901.0``) → ``postcode`` with ``country`` ``US``, geocoded as a ZIP; ``FIPS`` → ``county``;
    ``Address``, ``City``; ``region`` ``GA``; ``NonProfit``/``BusinessType`` → ``kind`` (:func:`firm_kind`);
    ``sme`` true. ``Date`` (approval, ISO) and ``Amount`` → an event of kind ``loan``; ``founded`` stays empty.

    In this mirror every city has exactly one ZCTA, so locations are city-level in effect; the core files of
    metro Atlanta are missing.

    Parameters
    ----------
    path
        ``ppp_georgia_dedup.csv.gz`` or a file of the same layout.
    options
        Read options; ``columns`` overrides the mapping, ``encoding``/``delimiter`` apply.

    Returns
    -------
    Extract
        One firm row per loan, with one loan event each.

    Raises
    ------
    InputError
        The file cannot be read, or lacks one of :data:`GEORGIA_COLUMNS`.
    """
    raw = read_table(path, encoding=options.encoding or "utf-8", delimiter=options.delimiter)
    raw.require(GEORGIA_COLUMNS)
    src = raw.frame
    nonprofit = _column(src, "NonProfit")
    business_type = _column(src, "BusinessType")
    columns: dict[str, pd.Series | str] = {
        "name": _column(src, "Recipient"),
        "code": naics_code(src["NAICS"]),
        "employees": _column(src, "Jobs"),
        "kind": firm_kind(nonprofit, business_type),
        "address": _column(src, "Address"),
        "city": _column(src, "City"),
        "county": _column(src, "FIPS").str.replace(r"\.0$", "", regex=True),
        "region": "GA",
        "postcode": _column(src, "ZCTA").str.replace(r"\.0$", "", regex=True),
    }
    loans = pd.DataFrame({"date": _column(src, "Date"), "amount": _column(src, "Amount"), "title": "PPP loan"})
    return _build(
        raw, options, state="GA", columns=columns, loans=loans, date_format=None,
        notes=["postcode is the ZCTA the mirror gives, one per city: locations are city-level in effect",
               "the mirror lacks the core files of metro Atlanta"],
    )


@register("ppp-montana", "PPP loans 2020, Montana (eidietrich/mt-ppp-loans mt-combined.csv): NAICS, jobs, ZIP")
def read_ppp_montana(path: str, options: ReadOptions) -> Extract:
    """Read Montana PPP loans (``mt-combined.csv``, SBA layout; header names with blanks and a BOM are fine).

    Columns become: record number → ``firm_id`` ``PPP-MT-<record>``; ``BusinessName`` → ``name`` and ``Address``
    → ``address`` (``undisclosed`` → empty: the SBA named borrowers of loans of $150,000 or more only);
    ``NAICSCode`` → ``code`` (:func:`naics_code`); ``JobsRetained`` → ``employees``; ``Zip`` → ``postcode``
    (``country`` ``US``); ``City``; ``State`` → ``region``; ``kind`` by :func:`firm_kind`; ``sme`` true.
    ``DateApproved`` (``m/d/yy``) and ``LoanAmount`` (``" $20,800 "``) → an event of kind ``loan``; large loans
    have only a range (``LoanRange``), kept in the event title.

    Parameters
    ----------
    path
        ``mt-combined.csv`` or a file of the same layout.
    options
        Read options; ``columns`` overrides the mapping, ``encoding``/``delimiter`` apply.

    Returns
    -------
    Extract
        One firm row per loan, with one loan event each.

    Raises
    ------
    InputError
        The file cannot be read, or lacks one of :data:`MONTANA_COLUMNS`.
    """
    raw = read_table(path, encoding=options.encoding or "utf-8", delimiter=options.delimiter)
    raw.require(MONTANA_COLUMNS)
    src = raw.frame
    columns: dict[str, pd.Series | str] = {
        "name": _undisclosed(_column(src, "BusinessName")),
        "code": naics_code(src["NAICSCode"]),
        "employees": _column(src, "JobsRetained"),
        "kind": firm_kind(_column(src, "NonProfit"), _column(src, "BusinessType")),
        "address": _undisclosed(_column(src, "Address")),
        "city": _column(src, "City"),
        "region": _column(src, "State"),
        "postcode": _column(src, "Zip"),
    }
    loan_range = _column(src, "LoanRange").str.replace(r"^[a-z]\s+", "", regex=True)
    amount = _dollars(_column(src, "LoanAmount"))
    title = ("PPP loan, " + loan_range + " (amount undisclosed)").where(amount.isna() & loan_range.notna(),
                                                                         "PPP loan")
    loans = pd.DataFrame({"date": _column(src, "DateApproved"), "amount": amount, "title": title})
    return _build(
        raw, options, state="MT", columns=columns, loans=loans, date_format="%m/%d/%y",
        notes=["names and addresses are published only for loans of $150,000 or more, amounts only for smaller "
               "loans (large ones as a range, kept in the loan's title)"],
    )


@register("ppp-us", "PPP loans under $150k, 2020, national SBA release (Parquet or CSV): NAICS, jobs, ZIP")
def read_ppp_us(path: str, options: ReadOptions) -> Extract:
    """Read the national PPP release of loans under $150,000 (2.77 million rows in the 49-state Parquet file).

    Only :data:`US_COLUMNS` (and those of :data:`US_OPTIONAL` the file has) are read. Columns become: record
    number → ``firm_id`` ``PPP-US-<record>``; ``NAICSCode`` → ``code`` (:func:`naics_code`); ``JobsRetained`` →
    ``employees``; ``Zip`` → ``postcode`` (``country`` ``US``); ``City``; ``State`` → ``region``; ``kind`` by
    :func:`firm_kind` from ``NonProfit``/``BusinessType``; ``sme`` true; ``BusinessName``/``Address`` where the
    file has them (the national under-$150k release has not). ``founded`` stays empty (the approval date is not a
    founding date), and, unlike the state layouts, loans are not kept as events: ``DateApproved`` and
    ``LoanAmount`` are not read, which keeps the 2.8 million rows within the 2 GB ingest budget
    (``bench/bench_ingest_ppp.py``).

    Parameters
    ----------
    path
        The national file (Parquet, or a CSV of the SBA layout, e.g. one ``foia_up_to_150k_XX.csv``).
    options
        Read options; ``columns`` overrides the mapping, ``encoding``/``delimiter`` apply to CSV.

    Returns
    -------
    Extract
        One firm row per loan.

    Raises
    ------
    InputError
        The file cannot be read, or lacks one of :data:`US_COLUMNS`.
    """
    kind = file_kind(path)
    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            present = set(pq.read_schema(path).names)
        except (OSError, pa.ArrowException):
            present = set()  # read_table reports the unreadable file
        wanted = [*US_COLUMNS, *(c for c in US_OPTIONAL if c in present)]
        extra = [c for c in options.columns.values() if c in present and c not in wanted]
        raw = read_table(path, kind=kind, columns=[*wanted, *extra])
    elif kind in ("csv", "tsv"):
        raw = read_table(path, kind=kind, encoding=options.encoding or "utf-8", delimiter=options.delimiter)
    else:
        raw = read_table(path, kind=kind)
    raw.require(US_COLUMNS)
    src = raw.frame
    columns: dict[str, pd.Series | str] = {
        "code": naics_code(src["NAICSCode"]),
        "employees": _column(src, "JobsRetained"),
        "kind": firm_kind(_column(src, "NonProfit"), _column(src, "BusinessType")),
        "city": _column(src, "City"),
        "region": _column(src, "State"),
        "postcode": _column(src, "Zip"),
    }
    # the national under-$150k release names no borrower: add name/address only where a file has them
    columns.update({canonical: _column(src, source) for canonical, source in (("name", "BusinessName"),
                                                                             ("address", "Address"))
                    if source in src.columns})
    return _build(raw, options, state="US", columns=columns, loans=None, date_format=None, notes=[])
