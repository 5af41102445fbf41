"""The Norwegian Central Coordinating Register for Legal Entities (Enhetsregisteret).

- ``norway-brreg``: Enhetsregisteret, published by the Brønnøysund Register Centre (Brønnøysundregistrene) as the
  bulk download of "enheter" (legal units) and "underenheter" (establishments), CSV with dotted column names.
  Licence: Norwegian Licence for Open Government Data (NLOD 2.0).

RCN's H2020 participations, which join this register by organisation number, are read by ``rcn.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clusterwatch.errors import InputError
from clusterwatch.io.adapters._common import override_columns
from clusterwatch.io.adapters.base import Extract, ReadOptions, register
from clusterwatch.io.sources import LINE, RECORD, read_table

# ---------------------------------------------------------------- Enhetsregisteret

#: Institutional sector codes (SSB's standard for institutional sector grouping) read as public administration.
PUBLIC_SECTORS = frozenset({"6100", "6500"})
#: Sectors of non-profit bodies, housing co-operatives and similar: ``kind`` "other".
OTHER_SECTORS = frozenset({"2500", "7000", "8300"})
#: Organisational forms read as public bodies where no sector code is given.
PUBLIC_FORMS = frozenset({"STAT", "KOMM", "FYLK", "ORGL", "KF", "IKS", "FKF"})
#: Organisational forms read as "other": associations, foundations, housing co-operatives, condominiums,
#: co-ownerships, estates (bankruptcy and other), the church, registered persons, office-sharing, VAT split units,
#: other legal persons, and establishments of non-business units (AAFY).
OTHER_FORMS = frozenset({"FLI", "STI", "BRL", "ESEK", "SAM", "KBO", "BO", "KIRK", "PERS", "KTRF", "OPMV",
                         "ANNA", "AAFY"})
#: Sectors and forms in which an R&D code (NACE 72) means a research institute, not a firm.
NON_MARKET_SECTORS = PUBLIC_SECTORS | OTHER_SECTORS
NON_MARKET_FORMS = frozenset({"STI", "FLI", "ORGL", "STAT"})

#: The register's code for "industry not given"; it is no NACE code.
UNSPECIFIED_CODE = "00.000"

_DISSOLVED_ENHETER = (
    "konkursdato", "underAvviklingDato", "tvangsavvikletPgaManglendeSlettingDato",
    "tvangsopplostPgaManglendeDagligLederDato", "tvangsopplostPgaManglendeRevisorDato",
    "tvangsopplostPgaManglendeRegnskapDato", "tvangsopplostPgaMangelfulltStyreDato",
)


def _text(frame: pd.DataFrame, col: str | None) -> pd.Series:
    if col is None or col not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    s = frame[col].astype("string").str.strip()
    return s.where(s != "")


def _column(frame: pd.DataFrame, name: str) -> str | None:
    """The frame's column called ``name``, compared case-insensitively (the register's spelling varies)."""
    lower = {c.lower(): c for c in frame.columns}
    return lower.get(name.lower())


def _first(*values: pd.Series) -> pd.Series:
    out = values[0]
    for v in values[1:]:
        out = out.fillna(v)
    return out


def _earliest_date(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """Earliest ISO date among ``columns`` per row; a given value that is no date is passed on raw."""
    given = [_text(frame, c) for c in columns if c in frame.columns]
    if not given:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    parsed = pd.concat([pd.to_datetime(g, format="%Y-%m-%d", errors="coerce") for g in given], axis=1)
    out = parsed.min(axis=1).dt.strftime("%Y-%m-%d").astype("string")
    for g, p in zip(given, parsed.columns, strict=True):
        bad = g.notna() & parsed[p].isna()
        out = out.mask(bad, g)  # validation rejects it as an unparseable date
    return out


def brreg_kind(form: pd.Series, sector: pd.Series, code: pd.Series) -> pd.Series:
    """Triple-helix kind of register units from organisational form, institutional sector and NACE code.

    First rule that applies:

    1. NACE 85.42 (tertiary education), unless a sole proprietorship → university;
    2. NACE 72 (research and development) in a non-market sector or form → research;
    3. NACE 84 (public administration), a public sector (6100 central, 6500 local government) or, without a
       sector, a public form (STAT, KOMM, FYLK, ORGL, KF, IKS) → public;
    4. non-profit and household sectors (2500, 7000, 8300) or forms (associations, foundations, housing
       co-operatives, condominiums, estates ..., see :data:`OTHER_FORMS`) → other;
    5. everything else (companies, sole proprietors, state- or municipally-owned companies, financial
       corporations, foreign units) → firm.
    """
    form = form.fillna("").str.upper()
    sector = sector.fillna("")
    code = code.fillna("")
    no_sector = sector == ""
    # a sole proprietor teaching at tertiary level is a firm, not a university
    university = code.str.startswith("85.42") & (form != "ENK") & (sector != "8200")
    research = code.str.startswith("72") & (sector.isin(NON_MARKET_SECTORS) | form.isin(NON_MARKET_FORMS))
    public = code.str.startswith("84") | sector.isin(PUBLIC_SECTORS) | (no_sector & form.isin(PUBLIC_FORMS))
    other = sector.isin(OTHER_SECTORS) | (no_sector & form.isin(OTHER_FORMS)) | (form == "AAFY")
    kind = np.select(
        [university.to_numpy(bool), research.to_numpy(bool), public.to_numpy(bool), other.to_numpy(bool)],
        ["university", "research", "public", "other"],
        default="firm",
    )
    return pd.Series(kind, index=form.index, dtype="string")


@register("norway-brreg", "Norwegian business register (Enhetsregisteret): enheter or underenheter bulk CSV")
def read_brreg(path: str, options: ReadOptions) -> Extract:
    """Read a Brønnøysund Enhetsregisteret bulk CSV of legal units (enheter) or establishments (underenheter).

    The file type is told by its columns: establishments have ``beliggenhetsadresse.*`` (where they are),
    legal units ``forretningsadresse.*`` (business address). Columns become:

    - ``organisasjonsnummer`` → ``firm_id``; ``navn`` → ``name``.
    - ``naeringskode1.kode`` → ``code`` (SN2007: NACE Rev. 2 with a fifth national digit, ``"46.694"``;
      ``code_system`` ``sn2007``); ``naeringskode1..3`` → ``codes``. ``00.000`` ("Uoppgitt", not given) is
      no code.
    - ``aktivitet`` (the registered activity, free text) → ``description``, else ``vedtektsfestetFormaal``
      (objects clause of the articles).
    - ``founded``: ``stiftelsesdato`` (foundation), else ``oppstartsdato`` (establishments' start), else the date
      of registration (``registreringsdatoEnhetsregisteret``; the register opened in 1995, so older units without
      a foundation date get their 1995 registration date).
    - ``dissolved``: establishments' ``nedleggelsesdato``; for legal units the earliest of the bankruptcy,
      winding-up and forced-dissolution dates.
    - ``antallAnsatte`` → ``employees`` (blank where no employees are registered: left unknown, not zero).
    - address: the business address (``forretningsadresse``; ``beliggenhetsadresse`` for establishments), else
      the postal address (``postadresse``): ``postnummer`` → ``postcode``, ``poststed`` → ``city``,
      ``kommunenummer`` → ``county``, ``adresse`` → ``address``, ``landkode`` → ``country`` (``NO`` if blank).
    - ``kind`` by :func:`brreg_kind` from ``organisasjonsform.kode``, ``institusjonellSektorkode.kode`` and the
      code.
    - ``overordnetEnhet`` (the parent unit) → a relation ``source`` = unit, ``target`` = parent, ``kind``
      ``"part_of"``.

    Parameters
    ----------
    path
        ``enheter_alle.csv(.gz)`` / ``underenheter_alle.csv(.gz)`` or a selection with the same columns.
    options
        Read options; ``columns`` overrides the mapping.

    Returns
    -------
    Extract
        One row per unit (``rows_are="firms"``), with ``relations`` to parent units.

    Raises
    ------
    InputError
        The file cannot be read, lacks ``organisasjonsnummer``, ``navn`` or ``naeringskode1.kode``, or has
        neither address block.
    """
    raw = read_table(path, kind="csv", delimiter=options.delimiter, encoding=options.encoding or "utf-8")
    raw.require(["organisasjonsnummer", "navn", "naeringskode1.kode"])
    src = raw.frame
    if "beliggenhetsadresse.postnummer" in src.columns:
        where, establishments = "beliggenhetsadresse", True
    elif "forretningsadresse.postnummer" in src.columns:
        where, establishments = "forretningsadresse", False
    else:
        raise InputError("required column is absent (an Enhetsregisteret file has forretningsadresse.* or, for "
                         "underenheter, beliggenhetsadresse.*)", path=path, column="forretningsadresse.postnummer")

    own = _text(src, f"{where}.postnummer").notna()

    def address(part: str) -> pd.Series:
        return _text(src, f"{where}.{part}").where(own, _text(src, f"postadresse.{part}"))

    has_postcode = own | _text(src, "postadresse.postnummer").notna()
    country = address("landkode").str.upper().fillna("NO").where(has_postcode, "NO")

    codes = [_text(src, f"naeringskode{i}.kode") for i in (1, 2, 3)]
    codes = [c.where(c != UNSPECIFIED_CODE) for c in codes]
    joined = codes[0].fillna("")
    for c in codes[1:]:
        joined = joined + ";" + c.fillna("")
    joined = joined.str.replace(r";{2,}", ";", regex=True).str.strip(";")
    registered = _text(src, _column(src, "registreringsdatoEnhetsregisteret")
                       or _column(src, "registreringsdatoIEnhetsregisteret"))
    founded = _first(_text(src, "stiftelsesdato"), _text(src, "oppstartsdato"), registered)
    dissolved = _text(src, "nedleggelsesdato") if establishments else _earliest_date(src, _DISSOLVED_ENHETER)
    firm_id = _text(src, "organisasjonsnummer")

    rows = pd.DataFrame(
        {
            "firm_id": firm_id,
            "name": _text(src, "navn"),
            "code": _first(*codes),
            "codes": joined.where(joined != ""),
            "code_system": "sn2007",
            "description": _first(_text(src, "aktivitet"), _text(src, "vedtektsfestetFormaal")),
            "founded": founded,
            "dissolved": dissolved,
            "employees": _text(src, "antallAnsatte"),
            "kind": brreg_kind(_text(src, "organisasjonsform.kode"), _text(src, "institusjonellSektorkode.kode"),
                               codes[0]),
            "address": address("adresse"),
            "city": address("poststed"),
            "county": address("kommunenummer"),
            "postcode": address("postnummer"),
            "country": country,
            RECORD: src[RECORD],
            LINE: src[LINE],
        }
    )
    rows = override_columns(rows, src, options, path)

    relations = None
    parent = _text(src, "overordnetEnhet")
    if parent.notna().any():
        has = parent.notna()
        relations = pd.DataFrame(
            {
                "source": firm_id[has],
                "target": parent[has],
                "kind": "part_of",
                RECORD: src[RECORD][has],
            }
        ).reset_index(drop=True)
    notes = [
        "founded = stiftelsesdato, else start or registration date (the register opened in 1995)",
        "kind from organisational form, institutional sector and NACE code (see the adapter's documentation)",
    ]
    if not establishments:
        notes.append("dissolved = earliest bankruptcy / winding-up / forced-dissolution date")
    return Extract(
        path=path,
        rows=rows,
        rows_read=raw.rows_read,
        rejected=raw.rejected,
        rows_are="firms",
        relations=relations,
        notes=notes,
    )
