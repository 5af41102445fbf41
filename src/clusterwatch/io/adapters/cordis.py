"""CORDIS organisation participations in EU framework programmes (H2020, Horizon Europe, FP7).

Publisher: European Commission, CORDIS (data.europa.eu, "CORDIS - EU research projects under Horizon 2020").
Licence: CC BY 4.0 (© European Union). The ``organization`` table of the CORDIS project data releases: one row per
participation of an organisation in a project, as CSV (``,`` or ``;``-separated) or JSON. When the release's
``project.json`` / ``project.csv`` lies beside the file, project titles, objectives and start dates are attached.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from clusterwatch.io.adapters._common import override_columns
from clusterwatch.io.adapters.base import Extract, ReadOptions, register
from clusterwatch.io.sources import LINE, RECORD, file_kind, read_table, rejected_frame

REQUIRED_COLUMNS: tuple[str, ...] = (
    "projectID", "organisationID", "name", "activityType", "country", "geolocation",
)
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "projectAcronym", "SME", "street", "postCode", "city", "nutsCode", "role", "ecContribution",
)

#: ``activityType`` → ``kind``: private for-profit (PRC), higher education (HES), research organisation (REC),
#: public body (PUB), other (OTH).
KIND_BY_ACTIVITY_TYPE: dict[str, str] = {
    "PRC": "firm",
    "HES": "university",
    "REC": "research",
    "PUB": "public",
    "OTH": "other",
}

#: CORDIS uses the EU's country codes; these two differ from ISO 3166-1.
ISO_COUNTRY: dict[str, str] = {"UK": "GB", "EL": "GR"}

#: Length of all-digit postcodes by country: CORDIS files store some as numbers, which drops leading zeros
#: (ROMA ``186`` for ``00186``, Helsinki ``880`` for ``00880``).
POSTCODE_DIGITS: dict[str, int] = {
    "AT": 4, "BE": 4, "CH": 4, "DK": 4, "NO": 4, "LU": 4, "HU": 4, "SI": 4, "CY": 4, "BG": 4,
    "DE": 5, "FI": 5, "FR": 5, "IT": 5, "ES": 5, "EE": 5, "GR": 5, "HR": 5, "LT": 5, "SE": 5, "TR": 5, "US": 5,
}


def _text(frame: pd.DataFrame, col: str) -> pd.Series:
    if col not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    s = frame[col].astype("string").str.strip()
    # JSON files whose field mixes numbers and strings come back as JSON text: '"2321 KS"', '""'
    s = s.str.replace(r'^"(.*)"$', r"\1", regex=True).str.strip()
    return s.where(s != "")


def parse_decimal(values: pd.Series) -> pd.Series:
    """Money as CORDIS writes it: ``125113.75``, or with a decimal comma ``"125113,75"`` → float (NaN if blank).

    CORDIS never groups thousands, so a single comma is a decimal comma. Values that are not numbers are NaN
    here; :func:`read_cordis` rejects their rows.
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    s = _text(values.to_frame("v"), "v").str.replace(r"^(-?\d+),(\d+)$", r"\1.\2", regex=True)
    return pd.to_numeric(s, errors="coerce").astype("float64")


def pad_postcodes(postcodes: pd.Series, countries: pd.Series) -> pd.Series:
    """Restore leading zeros of all-digit postcodes stored as numbers (see :data:`POSTCODE_DIGITS`)."""
    out = postcodes.astype("string")
    digits_only = out.str.fullmatch(r"\d+").fillna(False)
    for country, width in POSTCODE_DIGITS.items():
        m = digits_only & (countries == country).fillna(False) & (out.str.len() < width).fillna(False)
        if m.any():
            out = out.mask(m, out.str.zfill(width))
    return out


def _project_table(path: str) -> pd.DataFrame | None:
    """The release's project table beside ``path`` (``project.json``/``project.csv``), or ``None``."""
    folder = Path(path).parent
    for name in ("project.json", "project.csv", "project.csv.gz"):
        candidate = folder / name
        if candidate.exists() and candidate.resolve() != Path(path).resolve():
            table = read_table(candidate).frame
            if "id" not in table.columns:
                return None
            keep = [c for c in ("id", "acronym", "title", "objective", "startDate") if c in table.columns]
            projects = table[keep].copy()
            projects["id"] = _text(projects, "id")
            return projects.dropna(subset=["id"]).drop_duplicates("id")
    return None


@register("cordis", "CORDIS organisation participations in EU projects (H2020, Horizon Europe), CSV or JSON")
def read_cordis(path: str, options: ReadOptions) -> Extract:
    """Read a CORDIS ``organization`` table (CSV or JSON, told apart by the file suffix).

    Rows are participations (``rows_are="observations"``): one organisation appears once per project and is
    merged into one firm after validation. Columns become:

    - ``organisationID`` → ``firm_id``; ``name``; ``activityType`` → ``kind`` by :data:`KIND_BY_ACTIVITY_TYPE`
      (a combined value such as ``"PRC;PRC"`` counts by its first part); ``SME`` → ``sme``.
    - ``geolocation`` (``"lat,lon"``) → ``lat``, ``lon``; where empty, validation geocodes ``postCode`` +
      ``country`` with the shipped GeoNames tables. Postcodes that lost leading zeros are padded
      (:func:`pad_postcodes`).
    - ``country`` (``UK``/``EL`` → ``GB``/``GR``); ``nutsCode`` → ``region``; ``city``; ``street`` → ``address``.
    - each participation → a relation (``source`` = organisation, ``target`` empty, ``project`` = ``projectID``,
      ``kind`` ``"participation"``, ``role``, ``weight`` = ``ecContribution``, ``date`` = project start where the
      project table is beside the file) and an event (``kind`` ``"project"``, ``title`` = acronym and project
      title, ``text`` = objective, ``amount`` = ``ecContribution``, ``date`` = project start).

    ``ecContribution`` with a decimal comma (``"125113,75"``) is read as a number; a participation whose
    ``ecContribution`` is given but is no number is rejected (``unparseable number in ecContribution``).

    Parameters
    ----------
    path
        ``organization.csv`` / ``.json`` (any file name; ``.csv.gz``, ``.jsonl`` too).
    options
        Read options; ``columns`` overrides the mapping, ``encoding``/``delimiter`` apply to CSV.

    Returns
    -------
    Extract
        Participation rows, with ``events`` and ``relations``.

    Raises
    ------
    InputError
        The file cannot be read, or lacks one of :data:`REQUIRED_COLUMNS`.
    """
    kind = file_kind(path)
    if kind in ("csv", "tsv"):
        raw = read_table(path, kind=kind, delimiter=options.delimiter, encoding=options.encoding or "utf-8")
    else:
        raw = read_table(path, kind=kind)
    raw.require(REQUIRED_COLUMNS)
    src = raw.frame

    geo = _text(src, "geolocation").str.split(",", n=1, expand=True)
    lat = geo[0].str.strip() if 0 in geo.columns else pd.Series(pd.NA, index=src.index, dtype="string")
    lon = geo[1].str.strip() if 1 in geo.columns else pd.Series(pd.NA, index=src.index, dtype="string")
    country = _text(src, "country").str.upper()
    country = country.replace(ISO_COUNTRY)
    activity = _text(src, "activityType").str.upper().str.split(";").str[0].str.strip()
    kind_col = activity.map(KIND_BY_ACTIVITY_TYPE).fillna(activity)  # unknown types reach validation as they are
    firm_id = _text(src, "organisationID")
    project = _text(src, "projectID")
    if "ecContribution" in src.columns:
        contribution = parse_decimal(src["ecContribution"])
        unreadable = (_text(src, "ecContribution").notna() & contribution.isna()).to_numpy()
    else:
        contribution = pd.Series(np.nan, index=src.index)
        unreadable = np.zeros(len(src), dtype=bool)

    rows = pd.DataFrame(
        {
            "firm_id": firm_id,
            "name": _text(src, "name"),
            "lat": lat,
            "lon": lon,
            "sme": _text(src, "SME"),
            "kind": kind_col,
            "address": _text(src, "street"),
            "city": _text(src, "city"),
            "region": _text(src, "nutsCode"),
            "postcode": pad_postcodes(_text(src, "postCode"), country),
            "country": country,
            RECORD: src[RECORD],
            LINE: src[LINE],
        }
    )
    rows = override_columns(rows, src, options, path)

    acronym = _text(src, "projectAcronym")
    title = acronym
    text = pd.Series(pd.NA, index=src.index, dtype="string")
    start = pd.Series(pd.NA, index=src.index, dtype="string")
    notes = ["rows are participations: an organisation's rows are merged, first non-empty value wins"]
    projects = _project_table(path)
    if projects is not None:
        info = pd.DataFrame({"id": project}).merge(projects, on="id", how="left")
        info.index = src.index
        if "acronym" in info.columns:
            acronym = acronym.fillna(_text(info, "acronym"))
        if "title" in info.columns:
            full = _text(info, "title")
            title = (acronym + ": " + full).fillna(full).fillna(acronym)
        if "objective" in info.columns:
            text = _text(info, "objective")
        if "startDate" in info.columns:
            start = _text(info, "startDate").str.slice(0, 10)
        matched = int(info["acronym"].notna().sum()) if "acronym" in info.columns else 0
        notes.append(f"project titles, objectives and start dates from the project table beside the file "
                     f"({matched} of {len(info)} participations matched)")

    role = _text(src, "role")
    weight = contribution
    relations = pd.DataFrame(
        {
            "source": firm_id,
            "target": pd.Series(pd.NA, index=src.index, dtype="string"),
            "project": project,
            "date": start,
            "kind": "participation",
            "weight": weight,
            "role": role,
            RECORD: src[RECORD],
        }
    )
    events = pd.DataFrame(
        {
            "firm_id": firm_id,
            "date": start,
            "kind": "project",
            "title": title,
            "text": text,
            "amount": weight,
            RECORD: src[RECORD],
        }
    )
    rejected = raw.rejected
    if unreadable.any():
        # the participation's money is its weight: a value that is no number rejects the row, with the value
        bad = rejected_frame(path, src, unreadable, "unparseable number in ecContribution", "ecContribution")
        bad["raw"] = src.loc[unreadable, "ecContribution"].astype("object").to_numpy()
        rejected = pd.concat([rejected, bad], ignore_index=True)
        rows = rows[~unreadable].reset_index(drop=True)
    return Extract(
        path=path,
        rows=rows,
        rows_read=raw.rows_read,
        rejected=rejected,
        rows_are="observations",
        events=events,
        relations=relations,
        notes=notes,
    )
