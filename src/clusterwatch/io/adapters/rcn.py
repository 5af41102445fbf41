"""Research Council of Norway (Forskningsrådet): Norwegian organisations' participations in Horizon 2020.

``rcn-h2020`` reads "Bevilgninger EU", ``;``-separated, one row per participation. Licence: Norwegian Licence for
Open Government Data (NLOD 2.0). Organisation numbers join the Norwegian register (``norway-brreg``).
"""

from __future__ import annotations

import functools
from importlib import resources

import numpy as np
import pandas as pd

from clusterwatch.io.adapters._common import override_columns, text
from clusterwatch.io.adapters.base import Extract, ReadOptions, register
from clusterwatch.io.sources import LINE, RECORD, read_table, rejected_frame
from clusterwatch.io.validate import parse_numbers


def _text(frame: pd.DataFrame, col: str) -> pd.Series:
    return text(frame[col]) if col in frame.columns else pd.Series(pd.NA, index=frame.index, dtype="string")


#: ``FoU sektorkode`` (R&D sector) → ``kind``. DIV ("Øvrige") splits by ``FoU kategori``: "Øvrige offentlige"
#: → public, "Øvrige andre" → other. The Research Council itself (NFR) and the health trusts (HEL) are public.
KIND_BY_RD_SECTOR: dict[str, str] = {
    "NÆR": "firm",
    "UOH": "university",
    "INS": "research",
    "HEL": "public",
    "NFR": "public",
}

RCN_DATE_FORMAT = "%d.%m.%Y %H:%M"

RCN_REQUIRED: tuple[str, ...] = (
    "Prosjektnr", "Organisasjonsnummer", "Organisasjonsnavn", "FoU sektorkode", "Adresse kommunenummer",
    "Adresse kommune", "Innvilget beløp organisasjon EUR",
)


#: Municipalities the GeoNames NO table lacks: Svalbard (2100; its Longyearbyen postcodes 9170-9178 are absent),
#: placed at Longyearbyen.
EXTRA_MUNICIPALITIES: dict[str, tuple[float, float]] = {"2100": (78.2232, 15.6267)}


@functools.lru_cache(maxsize=1)
def _norwegian_municipalities() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Municipality centroids (mean of their postcode centroids) from the shipped GeoNames NO table.

    Returns the table by municipality number and by lower-case name (the GeoNames numbers are those of 2024).
    """
    file = resources.files("clusterwatch") / "data" / "geocode" / "zipcodes.no.csv.gz"
    with resources.as_file(file) as p:
        table = pd.read_csv(p, dtype=str, usecols=["province", "province_code", "latitude", "longitude"])
    table["lat"] = pd.to_numeric(table["latitude"], errors="coerce")
    table["lon"] = pd.to_numeric(table["longitude"], errors="coerce")
    table = table.dropna(subset=["lat", "lon", "province_code"])
    by_number = table.groupby("province_code")[["lat", "lon"]].mean()
    table["name"] = table["province"].str.lower().str.strip()
    by_name = table.groupby("name")[["lat", "lon"]].mean()
    return by_number, by_name


def locate_municipalities(numbers: pd.Series, names: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Norwegian municipalities → centroid (lat, lon) and, where not found, the reason.

    Matched by number first (``301`` is read as ``0301``), then by name, case-insensitively; a bilingual name
    (``"Harstad - Hárstták"``) matches by either part or both (GeoNames writes ``"Guovdageaidnu Kautokeino"``).
    Numbers changed in the 2020 and 2024 reforms, which is why names are tried too. The centroid is the mean of
    the GeoNames postcode centroids of the municipality; :data:`EXTRA_MUNICIPALITIES` adds those GeoNames lacks.
    """
    by_number, by_name = _norwegian_municipalities()
    by_number = pd.concat([by_number, pd.DataFrame(EXTRA_MUNICIPALITIES, index=["lat", "lon"]).T])
    nr = numbers.astype("string").str.strip().str.zfill(4)
    name = names.astype("string").str.strip()
    pairs = pd.DataFrame({"nr": nr, "name": name}).drop_duplicates().reset_index(drop=True)
    pairs["lat"], pairs["lon"] = np.nan, np.nan
    for i, (n, m) in enumerate(zip(pairs["nr"], pairs["name"], strict=True)):  # per distinct municipality
        if isinstance(n, str) and n in by_number.index:
            pairs.loc[i, ["lat", "lon"]] = by_number.loc[n, ["lat", "lon"]].to_numpy()
            continue
        if isinstance(m, str):
            for candidate in [m, m.replace(" - ", " "), *m.split(" - ")]:
                key = candidate.strip().lower()
                if key in by_name.index:
                    pairs.loc[i, ["lat", "lon"]] = by_name.loc[key, ["lat", "lon"]].to_numpy()
                    break
    located = pd.DataFrame({"nr": nr, "name": name}).merge(pairs, on=["nr", "name"], how="left")
    lat = pd.Series(located["lat"].to_numpy(), index=numbers.index, dtype="float64")
    lon = pd.Series(located["lon"].to_numpy(), index=numbers.index, dtype="float64")
    reason = ("municipality " + name.fillna("(no name)") + " (" + numbers.astype("string").fillna("no number")
              + ") not in the GeoNames NO table")
    reason = reason.where(lat.isna())
    reason = reason.mask(lat.isna() & numbers.isna() & names.isna(), "no municipality given")
    return lat, lon, reason


@register("rcn-h2020", "Research Council of Norway: Norwegian participations in Horizon 2020 (bevilgninger EU)")
def read_rcn_h2020(path: str, options: ReadOptions) -> Extract:
    """Read RCN's "Bevilgninger EU" table of Norwegian H2020 participations.

    Rows are participations (``rows_are="observations"``), merged per organisation after validation. Columns
    become:

    - ``Organisasjonsnummer`` → ``firm_id`` (the register's organisation number, so firms join
      ``norway-brreg``); a participation without one is rejected (``missing firm_id``).
    - ``Organisasjonsnavn`` → ``name``; ``FoU sektorkode`` / ``FoU kategori`` → ``kind`` by
      :data:`KIND_BY_RD_SECTOR`; ``Adresse kommunenummer`` → ``county``, ``Adresse kommune`` → ``city``,
      ``Adresse fylke`` → ``region``; ``country`` ``NO``.
    - location: the file has no postcode, so each row is placed at its municipality's centroid
      (:func:`locate_municipalities`; ``geo_precision`` ``"municipality"``). Rows whose municipality is not
      found are rejected with the reason, and so are rows whose contract start date or amount is given but
      does not parse.
    - each participation → a relation (``project`` = ``Prosjektnr``, ``kind`` ``"participation"``, ``role`` =
      ``Organisasjon rolle`` lower-cased, ``weight`` = ``Innvilget beløp organisasjon EUR``, ``date`` =
      ``Kontrakt startdato``) and an event (``kind`` ``"project"``, ``title`` = ``Prosjektkortnavn: Prosjektnavn``,
      ``text`` = the call topic, ``amount`` in EUR, ``date`` = contract start).

    Parameters
    ----------
    path
        ``bevilgningereu_dataset.csv``.
    options
        Read options; ``columns`` overrides the mapping.

    Returns
    -------
    Extract
        Participation rows with ``events`` and ``relations``.

    Raises
    ------
    InputError
        The file cannot be read or lacks one of :data:`RCN_REQUIRED`.
    """
    raw = read_table(path, kind="csv", delimiter=options.delimiter or ";", encoding=options.encoding or "utf-8")
    raw.require(RCN_REQUIRED)
    src = raw.frame
    firm_id = _text(src, "Organisasjonsnummer")
    sector = _text(src, "FoU sektorkode").str.upper()
    category = _text(src, "FoU kategori").str.lower()
    kind = sector.map(KIND_BY_RD_SECTOR).astype("string")
    kind = kind.mask((sector == "DIV") & category.str.contains("offentlig").fillna(False), "public")
    kind = kind.mask((sector == "DIV") & kind.isna(), "other")
    lat, lon, why = locate_municipalities(_text(src, "Adresse kommunenummer"), _text(src, "Adresse kommune"))

    located = lat.notna() | firm_id.isna()  # without an id the row is rejected for that first
    rows = pd.DataFrame(
        {
            "firm_id": firm_id,
            "name": _text(src, "Organisasjonsnavn"),
            "lat": lat,
            "lon": lon,
            "geo_precision": pd.Series("municipality", index=src.index, dtype="string").where(lat.notna()),
            "kind": kind,
            "city": _text(src, "Adresse kommune"),
            "county": _text(src, "Adresse kommunenummer").str.zfill(4),
            "region": _text(src, "Adresse fylke"),
            "country": "NO",
            RECORD: src[RECORD],
            LINE: src[LINE],
        }
    )
    rows = override_columns(rows, src, options, path)
    start = _text(src, "Kontrakt startdato")
    amount = parse_numbers(src["Innvilget beløp organisasjon EUR"])
    # the participation's date and money are the tie's: values that do not parse reject the row, naming them
    checks = [
        (~located, "cannot locate: " + why.fillna(""), "Adresse kommunenummer"),
        (start.notna() & pd.to_datetime(start, format=RCN_DATE_FORMAT, errors="coerce").isna(),
         "unparseable date in Kontrakt startdato", "Kontrakt startdato"),
        (_text(src, "Innvilget beløp organisasjon EUR").notna() & amount.isna(),
         "unparseable number in Innvilget beløp organisasjon EUR", "Innvilget beløp organisasjon EUR"),
    ]
    rejected_parts = [raw.rejected]
    taken = pd.Series(False, index=src.index)
    for mask, reason, column in checks:
        mask = mask & ~taken
        if mask.any():
            part = rejected_frame(path, src, mask, reason, column)
            part["raw"] = src.loc[mask, column].astype("object").to_numpy()
            rejected_parts.append(part)
            taken |= mask
    rejected = pd.concat(rejected_parts, ignore_index=True) if len(rejected_parts) > 1 else raw.rejected
    rows = rows[~taken.to_numpy()].reset_index(drop=True)

    short = _text(src, "Prosjektkortnavn")
    short = short.where(short.str.lower() != "ukjent")
    long_name = _text(src, "Prosjektnavn")
    title = (short + ": " + long_name).fillna(long_name).fillna(short)
    project = _text(src, "Prosjektnr")
    relations = pd.DataFrame(
        {
            "source": firm_id,
            "project": project,
            "date": start,
            "kind": "participation",
            "weight": amount,
            "role": _text(src, "Organisasjon rolle").str.lower(),
            RECORD: src[RECORD],
        }
    )
    events = pd.DataFrame(
        {
            "firm_id": firm_id,
            "date": start,
            "kind": "project",
            "title": title,
            "text": _text(src, "Topic"),
            "amount": amount,
            RECORD: src[RECORD],
        }
    )
    return Extract(
        path=path,
        rows=rows,
        rows_read=raw.rows_read,
        rejected=rejected,
        rows_are="observations",
        events=events,
        relations=relations,
        date_formats={"date": RCN_DATE_FORMAT},
        notes=[
            "located at municipality centroids (the file has no postcodes): mean of GeoNames postcode centroids",
            "kind from the R&D sector (FoU sektor): NÆR firm, UoH university, INS research, HEL/NFR/public DIV "
            "public, other DIV other",
            "amounts in EUR",
        ],
    )
