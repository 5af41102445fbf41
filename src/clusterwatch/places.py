"""Place names for coordinates, offline: the nearest place, county / municipality, region and country.

The gazetteer is the postal-code centroids the package already ships or depends on:

- United States: every ZIP code of the PyPI package ``zipcodes`` (MIT), with its USPS place name ("city"), county
  and state.
- AT BE DE DK EE ES FI FR GB IT NL NO PL SE: the GeoNames postal codes (CC BY 4.0) shipped in
  ``clusterwatch/data/geocode/`` — ``place``; county = GeoNames ``province`` (admin 2: municipality in Norway,
  county in Britain) or, where empty, ``state``; region = ``state`` (admin 1).

A coordinate gets the names of its nearest postal-code centroid (great-circle distance, one vectorised KD-tree
query on unit vectors). Simplification: a postal centroid stands for its area, so near a boundary the name can be the
neighbour's; ``distance_km`` says how far the centroid is, and beyond ``max_km`` no name is given.

Examples
--------
>>> from clusterwatch.places import nearest_places
>>> nearest_places([34.77], [-84.97]).loc[0, ["place", "county", "region"]].tolist()
['Dalton', 'Whitfield County', 'GA']
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["PLACE_COLUMNS", "Place", "gazetteer", "nearest_place", "nearest_places", "place_label", "place_labels",
           "places_within"]

#: Columns of :func:`nearest_places`.
PLACE_COLUMNS: list[str] = ["place", "county", "region", "country", "distance_km"]

_EARTH_KM = 6371.0088
_GEONAMES = ("AT", "BE", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "IT", "NL", "NO", "PL", "SE")


class Place(NamedTuple):
    """The names of one coordinate (see :func:`nearest_place`)."""

    place: str
    county: str
    region: str
    country: str
    distance_km: float


@functools.cache
def _us_points() -> pd.DataFrame:
    import zipcodes

    rows = [(r["city"], r["county"] or "", r["state"], float(r["lat"]), float(r["long"]))
            for r in zipcodes.list_all() if r["lat"] and r["long"] and (float(r["lat"]), float(r["long"])) != (0, 0)]
    frame = pd.DataFrame(rows, columns=["place", "county", "region", "lat", "lon"])
    frame["country"] = "US"
    return frame


@functools.cache
def _geonames_points(country: str) -> pd.DataFrame:
    source = resources.files("clusterwatch") / "data" / "geocode" / f"zipcodes.{country.lower()}.csv.gz"
    with resources.as_file(source) as path:
        frame = pd.read_csv(path, dtype=str, usecols=["place", "state", "province", "latitude", "longitude"],
                            keep_default_na=False)
    lat = pd.to_numeric(frame["latitude"], errors="coerce")
    lon = pd.to_numeric(frame["longitude"], errors="coerce")
    county = frame["province"].where(frame["province"] != "", frame["state"])
    out = pd.DataFrame({"place": frame["place"], "county": county, "region": frame["state"], "lat": lat, "lon": lon,
                        "country": country})
    return out[lat.notna() & lon.notna()].drop_duplicates().reset_index(drop=True)


def _countries_near(lat: np.ndarray, lon: np.ndarray) -> tuple[str, ...]:
    """The gazetteers worth loading for these points (the Americas: US; Europe: the GeoNames countries)."""
    ok = np.isfinite(lat) & np.isfinite(lon)
    chosen: list[str] = []
    if (ok & (lon < -50)).any():
        chosen.append("US")
    if (ok & (lon > -30) & (lon < 45) & (lat > 33)).any():
        chosen.extend(_GEONAMES)
    return tuple(chosen)


@functools.cache
def gazetteer(countries: tuple[str, ...] = ("US", *_GEONAMES)) -> pd.DataFrame:
    """The postal-code centroids with their names: ``place, county, region, country, lat, lon``.

    Parameters
    ----------
    countries
        ISO codes among ``US`` and the GeoNames countries shipped.
    """
    parts = [_us_points() if cc == "US" else _geonames_points(cc) for cc in countries]
    if not parts:
        return pd.DataFrame(columns=["place", "county", "region", "country", "lat", "lon"])
    return pd.concat(parts, ignore_index=True)[["place", "county", "region", "country", "lat", "lon"]]


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


@functools.cache
def _tree(countries: tuple[str, ...]) -> object:
    from scipy.spatial import cKDTree

    table = gazetteer(countries)
    return cKDTree(_unit_vectors(table["lat"].to_numpy(dtype=float), table["lon"].to_numpy(dtype=float)))


def nearest_places(lat: npt.ArrayLike, lon: npt.ArrayLike, *, country: npt.ArrayLike | str | None = None,
                   max_km: float = 50.0) -> pd.DataFrame:
    """The nearest place of every coordinate: ``place, county, region, country, distance_km``.

    Parameters
    ----------
    lat, lon
        WGS84 degrees, same length; NaN allowed.
    country
        ISO code of each coordinate (or one for all), where known: the match is then taken from that country's
        gazetteer only, so a firm in Langley, BC is not named after the nearest US town across the border; a
        country without a gazetteer gets no names. ``None`` or empty codes: the nearest of all.
    max_km
        No names (empty strings) where the nearest postal centroid is farther than this (at sea, or in a country
        without a gazetteer); ``distance_km`` is still given.

    Returns
    -------
    pandas.DataFrame
        One row per input coordinate, in input order (a fresh ``RangeIndex``); ``distance_km`` NaN and names empty
        where the coordinate is missing.

    Raises
    ------
    ValueError
        When ``lat``, ``lon`` (and ``country``) differ in length.

    Examples
    --------
    >>> nearest_places([47.6062, float("nan")], [-122.3321, 10.0])["place"].tolist()
    ['Seattle', '']
    """
    la = np.asarray(lat, dtype=float).ravel()
    lo = np.asarray(lon, dtype=float).ravel()
    if la.shape != lo.shape:
        raise ValueError(f"lat and lon differ in length: {la.size} and {lo.size}")
    if country is None:
        codes = np.full(la.size, "", dtype=object)
    elif isinstance(country, str):
        codes = np.full(la.size, country.upper(), dtype=object)
    else:
        codes = pd.Series(np.asarray(country, dtype=object).ravel()).fillna("").astype(str).str.upper().to_numpy()
        if codes.size != la.size:
            raise ValueError(f"country has {codes.size} codes for {la.size} coordinates")
    out = pd.DataFrame({"place": "", "county": "", "region": "", "country": "", "distance_km": np.nan},
                       index=pd.RangeIndex(la.size))
    ok = np.isfinite(la) & np.isfinite(lo)
    known = set(_GEONAMES) | {"US"}
    for code in pd.unique(codes[ok]):
        rows = np.flatnonzero(ok & (codes == code))
        countries = _countries_near(la[rows], lo[rows]) if code == "" else ((code,) if code in known else ())
        if not countries:
            continue
        table = gazetteer(countries)
        chord, idx = _tree(countries).query(_unit_vectors(la[rows], lo[rows]), k=1)  # type: ignore[attr-defined]
        km = 2 * _EARTH_KM * np.arcsin(np.clip(chord / 2, 0, 1))  # chord of the unit sphere -> great circle
        out.loc[rows, "distance_km"] = km
        near = km <= max_km
        picked = table.iloc[idx[near]]
        for column in ("place", "county", "region", "country"):
            out.loc[rows[near], column] = picked[column].to_numpy()
    return out


def nearest_place(lat: float, lon: float, *, country: str | None = None, max_km: float = 50.0) -> Place:
    """The nearest place of one coordinate (see :func:`nearest_places`).

    Examples
    --------
    >>> nearest_place(59.91, 10.75).country
    'NO'
    """
    row = nearest_places([lat], [lon], country=country, max_km=max_km).iloc[0]
    return Place(str(row["place"]), str(row["county"]), str(row["region"]), str(row["country"]),
                 float(row["distance_km"]))


def place_label(place: str, county: str = "", region: str = "", country: str = "") -> str:
    """``"Dalton, Whitfield County, GA"``: the non-empty names, the country only outside the US; ``""`` if none.

    Examples
    --------
    >>> place_label("Sandvika", "Bærum", "Akershus", "NO")
    'Sandvika, Bærum, Akershus, NO'
    """
    parts = [p for p in (place, county if county != place else "", region) if p]
    if parts and country and country != "US":
        parts.append(country)
    return ", ".join(parts)


def place_labels(lat: npt.ArrayLike, lon: npt.ArrayLike, *, country: npt.ArrayLike | str | None = None,
                 max_km: float = 50.0) -> list[str]:
    """:func:`place_label` of :func:`nearest_places` for every coordinate."""
    frame = nearest_places(lat, lon, country=country, max_km=max_km)
    return [place_label(*r) for r in frame[["place", "county", "region", "country"]].itertuples(index=False)]


def places_within(bbox: tuple[float, float, float, float], *, limit: int = 400) -> pd.DataFrame:
    """Places to label on a map of ``bbox`` (min_lon, min_lat, max_lon, max_lat), biggest first.

    A place is the mean of its postal centroids; its ``weight`` is how many postal codes carry its name (a proxy
    for size: cities have many).
    """
    min_lon, min_lat, max_lon, max_lat = bbox
    countries = _countries_near(np.array([min_lat, max_lat, (min_lat + max_lat) / 2]),
                                np.array([min_lon, max_lon, (min_lon + max_lon) / 2]))
    table = gazetteer(countries)
    inside = table[table["lat"].between(min_lat, max_lat) & table["lon"].between(min_lon, max_lon)]
    if inside.empty:
        return pd.DataFrame(columns=["place", "county", "region", "country", "lat", "lon", "weight"])
    grouped = (inside.groupby(["place", "county", "region", "country"], sort=False)
               .agg(lat=("lat", "mean"), lon=("lon", "mean"), weight=("lat", "size")).reset_index())
    return grouped.sort_values(["weight", "place"], ascending=[False, True], kind="stable").head(limit).reset_index(
        drop=True)
