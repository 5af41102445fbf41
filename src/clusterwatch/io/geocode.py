"""Geocoding: turn postcodes, ZIP codes, projected X/Y or any key into WGS84 latitude and longitude.

Lookups are vectorised (one index look-up per call), built once and cached. What cannot be located is reported
back as NaN with a reason; the pipeline turns it into a rejected row, never a silent drop.

Tables (all offline):

- US ZIP and ZCTA: centroids from the PyPI package ``zipcodes`` (ZCTAs are matched as ZIPs, which they approximate).
- UK: a full-postcode lookup file given by the user (``--postcodes FILE``; columns like ``pcd``/``postcode``,
  ``lat``/``latitude``, ``long``/``lon``/``longitude``), falling back to the postcode district (outcode) centroids
  shipped with the package.
- Finland: Statistics Finland's Paavo 2020 postal areas first, then GeoNames.
- Other European countries shipped (AT BE DE DK EE ES FR GB IT NL NO PL SE): GeoNames postal codes.
- Anything else: ``--geocode-table FILE`` with columns ``key, lat, lon``.
"""

from __future__ import annotations

import functools
import math
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from clusterwatch.errors import InputError, OptionError
from clusterwatch.io.sources import STR, arrow_strings, string_series

GEONAMES_COUNTRIES: tuple[str, ...] = (
    "AT", "BE", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "IT", "NL", "NO", "PL", "SE",
)


@dataclass(frozen=True)
class Lookup:
    """A key → (lat, lon) table with the precision its matches have.

    Attributes
    ----------
    name
        Where the table comes from (shown in reports).
    keys
        Normalised keys, unique.
    lat, lon
        Coordinates aligned with ``keys``.
    precision
        What a match means: ``postcode``, ``district``, ``zip``, ``table`` ...
    """

    name: str
    keys: pd.Index
    lat: np.ndarray
    lon: np.ndarray
    precision: str

    @classmethod
    def from_frame(cls, name: str, frame: pd.DataFrame, precision: str) -> Lookup:
        """Build from a frame with columns ``key, lat, lon``; the first row of a repeated key wins."""
        f = frame.dropna(subset=["key", "lat", "lon"]).drop_duplicates("key", keep="first")
        return cls(
            name=name,
            keys=pd.Index(f["key"].astype(str).to_numpy()),
            lat=f["lat"].astype(float).to_numpy(),
            lon=f["lon"].astype(float).to_numpy(),
            precision=precision,
        )

    def find(self, keys: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Coordinates for ``keys`` (already normalised); NaN where absent. Returns ``lat, lon, found``."""
        idx = pc.index_in(arrow_strings(keys), value_set=self._arrow_keys)
        pos = idx.fill_null(-1).to_numpy(zero_copy_only=False)
        found = pos >= 0
        lat = np.where(found, self.lat[pos], np.nan)
        lon = np.where(found, self.lon[pos], np.nan)
        return lat, lon, found

    @functools.cached_property
    def _arrow_keys(self) -> pa.Array:
        return pa.array(self.keys.astype(str).to_numpy(dtype=object), type=pa.string())


def _data_file(name: str) -> Path:
    return Path(str(resources.files("clusterwatch") / "data" / "geocode" / name))


# ---------------------------------------------------------------- normalisers

def normalise_us_zip(values: pd.Series) -> pd.Series:
    """ZIP, ZIP+4, ZCTA or numbers read as floats (``30901.0``) → five-digit ZIP string; NA where impossible."""
    arr = arrow_strings(values)
    arr = pc.replace_substring_regex(pc.utf8_trim_whitespace(arr), r"\.0+$", "")
    found = pc.extract_regex(arr, r"^(?P<zip>\d{3,5})(?:[- ]?\d{4})?$")
    zips = pc.utf8_lpad(pc.struct_field(found, [0]), width=5, padding="0")
    return string_series(zips, values.index)


def normalise_uk_postcode(values: pd.Series) -> pd.Series:
    """UK postcodes to the ``"OUT IN"`` form with one space, upper case (``tn389lh`` → ``TN38 9LH``).

    A district alone (``TN38``) is kept as it is; anything else is NA.
    """
    arr = pc.replace_substring_regex(pc.utf8_upper(arrow_strings(values)), r"[^A-Z0-9]", "")
    full = pc.match_substring_regex(arr, r"^[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}$")
    district = pc.match_substring_regex(arr, r"^[A-Z]{1,2}\d[A-Z\d]?$")
    spaced = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(arr, 0, -3), pc.utf8_slice_codeunits(arr, -3), " "
    )
    none = pa.scalar(None, pa.string())
    return string_series(pc.if_else(full, spaced, pc.if_else(district, arr, none)), values.index)


def uk_outcode(values: pd.Series) -> pd.Series:
    """The district (outward code) of normalised UK postcodes."""
    return string_series(pc.replace_substring_regex(arrow_strings(values), r" .*$", ""), values.index)


def normalise_postcode(values: pd.Series) -> pd.Series:
    """Generic European postcode normalisation: upper case, no spaces or country prefix (``FI-00100`` → ``00100``)."""
    s = values.astype(STR).str.upper().str.strip()
    s = s.str.replace(r"^[A-Z]{1,2}-(?=\d)", "", regex=True)
    return s.str.replace(r"\s+", "", regex=True)


# ---------------------------------------------------------------- tables

def _zipcode_rows() -> list[dict[str, object]]:
    """All ZIP records of the ``zipcodes`` package, as a fresh list the caller may drop.

    The compiled core returns a new list; ``zipcodes.list_all()`` would also keep its 42,000 dicts cached for good.
    """
    import zipcodes

    core = getattr(zipcodes, "_zipcodes", zipcodes)
    rows: list[dict[str, object]] = core.list_all()
    return rows


@functools.lru_cache(maxsize=1)
def us_zip_lookup() -> Lookup:
    """US ZIP centroids from the ``zipcodes`` package (42,000 ZIPs)."""
    rows = _zipcode_rows()
    frame = pd.DataFrame(
        {
            "key": [r["zip_code"] for r in rows],
            "lat": pd.to_numeric(pd.Series([r["lat"] for r in rows]), errors="coerce"),
            "lon": pd.to_numeric(pd.Series([r["long"] for r in rows]), errors="coerce"),
        }
    )
    frame = frame[(frame["lat"] != 0) | (frame["lon"] != 0)]
    return Lookup.from_frame("US ZIP centroids (zipcodes package)", frame, "zip")


@functools.lru_cache(maxsize=1)
def uk_outcode_lookup() -> Lookup:
    """UK postcode district (outcode) centroids shipped with the package."""
    frame = pd.read_csv(_data_file("uk_outcodes.csv"), usecols=["outcode", "latitude", "longitude"], dtype=str)
    frame = frame.rename(columns={"outcode": "key", "latitude": "lat", "longitude": "lon"})
    frame["key"] = frame["key"].str.upper().str.strip()
    frame["lat"] = pd.to_numeric(frame["lat"], errors="coerce")
    frame["lon"] = pd.to_numeric(frame["lon"], errors="coerce")
    return Lookup.from_frame("UK postcode district centroids", frame, "district")


@functools.lru_cache(maxsize=4)
def uk_postcode_lookup(path: str) -> Lookup:
    """A full UK postcode lookup file (ONS Postcode Directory, Code-Point Open converted, or similar).

    Recognised columns: postcode in ``pcd``, ``pcds``, ``postcode`` or ``pcd2``; latitude in ``lat`` or
    ``latitude``; longitude in ``long``, ``lon``, ``lng`` or ``longitude`` (case-insensitive).
    """
    frame = _read_lookup_file(path)
    cols = {c.lower(): c for c in frame.columns}
    key = _pick(cols, ("pcds", "pcd", "postcode", "pcd2"), path, "postcode")
    lat = _pick(cols, ("lat", "latitude"), path, "lat")
    lon = _pick(cols, ("long", "lon", "lng", "longitude"), path, "long")
    out = pd.DataFrame(
        {
            "key": normalise_uk_postcode(frame[key]),
            "lat": pd.to_numeric(frame[lat], errors="coerce"),
            "lon": pd.to_numeric(frame[lon], errors="coerce"),
        }
    )
    # ONSPD marks postcodes without a grid reference with lat 99.999999
    out = out[(out["lat"].abs() <= 90) & (out["lon"].abs() <= 180)]
    return Lookup.from_frame(f"UK postcode lookup {Path(path).name}", out, "postcode")


@functools.lru_cache(maxsize=16)
def geonames_lookup(country: str) -> Lookup:
    """GeoNames postal code centroids for one of :data:`GEONAMES_COUNTRIES`."""
    cc = country.upper()
    if cc not in GEONAMES_COUNTRIES:
        raise OptionError(
            f"no shipped postcode table for country {country!r}; shipped: {', '.join(GEONAMES_COUNTRIES)}, US; "
            "use --geocode-table FILE for others"
        )
    frame = pd.read_csv(_data_file(f"zipcodes.{cc.lower()}.csv.gz"), dtype=str,
                        usecols=["zipcode", "latitude", "longitude"])
    frame = pd.DataFrame(
        {
            "key": normalise_postcode(frame["zipcode"]),
            "lat": pd.to_numeric(frame["latitude"], errors="coerce"),
            "lon": pd.to_numeric(frame["longitude"], errors="coerce"),
        }
    )
    precision = "district" if cc == "GB" else "postcode"
    return Lookup.from_frame(f"GeoNames postal codes {cc}", frame, precision)


@functools.lru_cache(maxsize=1)
def finland_paavo_lookup() -> Lookup:
    """Statistics Finland Paavo 2020 postal area centre points."""
    frame = pd.read_csv(_data_file("fi_paavo2020.csv.gz"), dtype=str, usecols=["postcode", "lat", "lon"])
    frame = frame.rename(columns={"postcode": "key"})
    frame["key"] = normalise_postcode(frame["key"])
    frame["lat"] = pd.to_numeric(frame["lat"], errors="coerce")
    frame["lon"] = pd.to_numeric(frame["lon"], errors="coerce")
    return Lookup.from_frame("Statistics Finland Paavo 2020 postal areas", frame, "postcode")


@functools.lru_cache(maxsize=4)
def table_lookup(path: str) -> Lookup:
    """A user table with columns ``key, lat, lon`` (any readable format)."""
    frame = _read_lookup_file(path)
    cols = {c.lower(): c for c in frame.columns}
    key = _pick(cols, ("key",), path, "key")
    lat = _pick(cols, ("lat", "latitude"), path, "lat")
    lon = _pick(cols, ("lon", "long", "lng", "longitude"), path, "lon")
    out = pd.DataFrame(
        {
            "key": frame[key].astype(STR).str.strip().str.upper(),
            "lat": pd.to_numeric(frame[lat], errors="coerce"),
            "lon": pd.to_numeric(frame[lon], errors="coerce"),
        }
    )
    return Lookup.from_frame(f"geocode table {Path(path).name}", out, "table")


def _read_lookup_file(path: str) -> pd.DataFrame:
    from clusterwatch.io.sources import read_table

    if not os.path.exists(path):
        raise InputError("geocoding table not found", path=path)
    return read_table(path).frame


def _pick(cols: dict[str, str], options: tuple[str, ...], path: str, label: str) -> str:
    for opt in options:
        if opt in cols:
            return cols[opt]
    raise InputError(f"lookup table needs a {label} column (one of {', '.join(options)})", path=path, column=label)


# ---------------------------------------------------------------- US city centres

def normalise_city(values: pd.Series) -> pd.Series:
    """City names to a matching key: upper case, ``ST.``/``FT.``/``MT.`` spelt out, letters and digits only.

    ``"St. Louis"`` and ``"Saint Louis"`` → ``"SAINTLOUIS"``; ``"McLean"`` and ``"Mc Lean"`` → ``"MCLEAN"``;
    the aliases ``NYC``, ``NY`` and ``New York City`` → ``"NEWYORK"``.
    """
    s = values.astype("string").str.upper().str.strip()
    s = s.str.replace(r"\bST\.?\s+", "SAINT ", regex=True)
    s = s.str.replace(r"\bFT\.?\s+", "FORT ", regex=True)
    s = s.str.replace(r"\bMT\.?\s+", "MOUNT ", regex=True)
    s = s.str.replace(r"[^A-Z0-9]", "", regex=True)
    s = s.replace({"NYC": "NEWYORK", "NY": "NEWYORK", "NEWYORKCITY": "NEWYORK"})
    return s.where(s != "")


@functools.lru_cache(maxsize=1)
def us_city_lookup() -> Lookup:
    """US city centres: the mean ZIP centroid of each city, keyed ``"CITYKEY|ST"`` (see :func:`normalise_city`).

    Built from the ``zipcodes`` package: standard ZIPs (PO-box ZIPs only for a city that has no standard ZIP;
    unique-organisation and military ZIPs left out), grouped by primary city name and state. A name that a ZIP
    lists as an acceptable alternative (``"Foster City"``, ``"Hollywood"``) is keyed too, with the mean of the
    ZIPs that list it, unless it is some ZIP's primary city in that state.
    """
    frame = pd.DataFrame(_zipcode_rows())
    frame = frame[frame["zip_code_type"].isin(["STANDARD", "PO BOX"])]
    frame = frame.assign(lat=pd.to_numeric(frame["lat"], errors="coerce"),
                         lon=pd.to_numeric(frame["long"], errors="coerce"))
    frame = frame[frame["lat"].notna() & frame["lon"].notna() & ((frame["lat"] != 0) | (frame["lon"] != 0))]
    # PO-box ZIP centroids sit wherever the post office's box section was placed (Menlo Park's 94026 is 13 km
    # from the town): they count only for a city without standard ZIPs
    frame = frame.assign(po_box=frame["zip_code_type"] == "PO BOX")

    def centres(zips: pd.DataFrame, city: pd.Series) -> pd.DataFrame:
        keyed = zips.assign(key=normalise_city(city) + "|" + zips["state"]).dropna(subset=["key"])
        best = keyed.groupby("key")["po_box"].transform("min")  # False where the city has a standard ZIP
        return keyed[keyed["po_box"] == best].groupby("key", as_index=False)[["lat", "lon"]].mean()

    primary = centres(frame, frame["city"])
    aliases = frame["acceptable_cities"].explode().dropna()
    alias = centres(frame.loc[aliases.index], aliases)
    table = pd.concat([primary, alias[~alias["key"].isin(primary["key"])]], ignore_index=True)
    return Lookup.from_frame("US city centres (mean ZIP centroid, zipcodes package)", table, "city")



# ---------------------------------------------------------------- locating rows

@dataclass(frozen=True)
class GeocodeOptions:
    """Where lookup tables come from.

    Attributes
    ----------
    postcodes
        Full UK postcode lookup file (``--postcodes``).
    geocode_table
        Generic ``key, lat, lon`` table (``--geocode-table``), matched on the ``postcode`` column (or the adapter's
        geocode key), for any country.
    """

    postcodes: str | None = None
    geocode_table: str | None = None


@dataclass
class Located:
    """Result of :func:`locate_postcodes`: coordinates, precision and, for misses, the reason."""

    lat: np.ndarray
    lon: np.ndarray
    precision: np.ndarray
    reason: np.ndarray  # object array, None where located


def locate_postcodes(postcodes: pd.Series, countries: pd.Series, options: GeocodeOptions) -> Located:
    """Locate rows by postcode and country, vectorised per country.

    Parameters
    ----------
    postcodes
        Postcodes as published (any spacing or case; US ZIP+4, floats like ``30901.0`` and ZCTAs accepted).
    countries
        ISO alpha-2 country per row (``US``, ``GB``, ``FI`` ...); ``UK`` is read as ``GB``.
    options
        Lookup files given by the user.

    Returns
    -------
    Located
        Arrays aligned with ``postcodes``; ``reason`` says why a row could not be located.
    """
    n = len(postcodes)
    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    precision = np.full(n, None, dtype=object)
    reason = np.full(n, None, dtype=object)
    pcs = postcodes.reset_index(drop=True).astype(STR)
    cc = countries.reset_index(drop=True).astype(STR).str.upper().str.strip().replace({"UK": "GB", "USA": "US"})
    blank = pcs.isna() | (pcs.str.strip() == "")
    reason[blank.to_numpy()] = "no coordinates and no postcode to geocode"
    user_table = table_lookup(options.geocode_table) if options.geocode_table else None
    for country in cc[~blank].dropna().unique():
        rows = ((cc == country).fillna(False) & ~blank).to_numpy(dtype=bool)
        keys_raw = pcs[rows]
        got_lat, got_lon, got_prec, why = _locate_country(str(country), keys_raw, options)
        if user_table is not None:
            miss = np.isnan(got_lat)
            if miss.any():
                ulat, ulon, ufound = user_table.find(keys_raw.str.strip().str.upper()[miss])
                got_lat[miss], got_lon[miss] = ulat, ulon
                got_prec[miss] = _where(ufound, "table", None)
                why[miss] = _where(ufound, None, why[miss])
        lat[rows], lon[rows], precision[rows], reason[rows] = got_lat, got_lon, got_prec, why
    no_country = (cc.isna() & ~blank).to_numpy()
    if no_country.any():
        if user_table is not None:
            ulat, ulon, ufound = user_table.find(pcs[no_country].str.strip().str.upper())
            lat[no_country], lon[no_country] = ulat, ulon
            precision[no_country] = _where(ufound, "table", None)
            reason[no_country] = _where(ufound, None, "postcode not in the geocode table and no country given")
        else:
            reason[no_country] = "postcode given but no country to pick a postcode table (use --country)"
    return Located(lat=lat, lon=lon, precision=precision, reason=reason)


def _where(mask: np.ndarray, yes: object, no: object) -> np.ndarray:
    """``np.where`` for object values that may be None."""
    out = np.empty(len(mask), dtype=object)
    out[:] = no if not isinstance(no, np.ndarray) else no
    out[mask] = yes if not isinstance(yes, np.ndarray) else yes[mask]
    return out


def _locate_country(
    country: str, raw: pd.Series, options: GeocodeOptions
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = len(raw)
    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    prec = np.full(n, None, dtype=object)
    why = np.full(n, None, dtype=object)

    def fill(lookup: Lookup, keys: pd.Series, mask: np.ndarray) -> None:
        la, lo, found = lookup.find(keys[mask])
        idx = np.flatnonzero(mask)[found]
        lat[idx], lon[idx], prec[idx] = la[found], lo[found], lookup.precision

    if country == "US":
        keys = normalise_us_zip(raw)
        bad = keys.isna().to_numpy()
        why[bad] = "malformed US ZIP code " + raw[bad].astype(str).str.slice(0, 20).map(repr).to_numpy(dtype=object)
        fill(us_zip_lookup(), keys, ~bad)
        miss = np.isnan(lat) & ~bad
        why[miss] = "ZIP " + keys[miss].astype(str).to_numpy(dtype=object) + " not in the US ZIP table"
    elif country == "GB":
        keys = normalise_uk_postcode(raw)
        bad = keys.isna().to_numpy()
        why[bad] = "malformed UK postcode " + raw[bad].astype(str).str.slice(0, 20).map(repr).to_numpy(dtype=object)
        if options.postcodes:
            fill(uk_postcode_lookup(options.postcodes), keys, ~bad)
        miss = np.isnan(lat) & ~bad
        fill(uk_outcode_lookup(), uk_outcode(keys), miss)
        # Channel Islands and the Isle of Man (GY, JE, IM) are in GeoNames' GB table, not in the district table
        fill(geonames_lookup("GB"), uk_outcode(keys), np.isnan(lat) & ~bad)
        miss = np.isnan(lat) & ~bad
        why[miss] = (
            "UK postcode " + keys[miss].astype(str).to_numpy(dtype=object) + " and its district not in the lookup"
        )
    elif country in GEONAMES_COUNTRIES:
        keys = normalise_postcode(raw)
        bad = keys.isna().to_numpy()
        if country == "FI":
            fill(finland_paavo_lookup(), keys, ~bad)
        miss = np.isnan(lat) & ~bad
        fill(geonames_lookup(country), keys, miss)
        if country == "NL":  # GeoNames NL holds the 4-digit areas: "2321KS" -> "2321"
            fill(geonames_lookup(country), keys.str.slice(0, 4), np.isnan(lat) & ~bad)
        miss = np.isnan(lat) & ~bad
        why[miss] = f"{country} postcode " + keys[miss].astype(str).to_numpy(dtype=object) + " not in the table"
        why[bad] = "empty postcode"
    else:
        why[:] = (
            f"no postcode table for country {country!r} (shipped: US, {', '.join(GEONAMES_COUNTRIES)}); "
            "use --geocode-table"
        )
    return lat, lon, prec, why


# ---------------------------------------------------------------- projections

_WEB_MERCATOR = {"3857", "900913", "3785", "102100"}
_R_MERCATOR = 6378137.0


def project_to_wgs84(x: np.ndarray, y: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Projected X/Y in ``crs`` → (lat, lon) in WGS84.

    Web Mercator (EPSG:3857) is inverted in closed form; any other CRS needs ``pyproj`` (extra ``geo``).

    Raises
    ------
    MissingDependencyError
        When a CRS other than Web Mercator or WGS84 is asked for and pyproj is not installed.
    """
    code = re.sub(r"^(EPSG|ESRI):", "", crs.strip().upper())
    if code in ("4326", "WGS84"):
        return y.astype(float), x.astype(float)
    if code in _WEB_MERCATOR:
        lon = np.degrees(x / _R_MERCATOR)
        lat = np.degrees(2.0 * np.arctan(np.exp(y / _R_MERCATOR)) - math.pi / 2.0)
        return lat, lon
    from clusterwatch._optional import import_optional

    pyproj = import_optional("pyproj", extra="geo")
    transformer = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = transformer.transform(x, y)
    return np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
