"""Geocoding tables and normalisers, against known centroids."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clusterwatch.io.geocode import (
    GeocodeOptions,
    locate_postcodes,
    normalise_uk_postcode,
    normalise_us_zip,
    project_to_wgs84,
)

TOL_DEG = 0.05  # centroid tables differ by a few hundred metres between vintages


def test_us_zip_forms() -> None:
    got = normalise_us_zip(pd.Series(["30901", "30901-1234", "30901.0", "501", "ABCDE", None, "309011234"]))
    assert got.tolist()[:5] == ["30901", "30901", "30901", "00501", pd.NA]
    assert got.isna().tolist()[4:6] == [True, True]
    assert got.tolist()[6] == "30901"


def test_uk_postcode_forms() -> None:
    got = normalise_uk_postcode(pd.Series(["tn389lh", "TN38 9LH", " ec1a 1bb ", "TN38", "nonsense!"]))
    assert got.tolist()[:4] == ["TN38 9LH", "TN38 9LH", "EC1A 1BB", "TN38"]
    assert pd.isna(got.iloc[4])


def test_locate_by_country(tmp_path: Path) -> None:
    postcodes = pd.Series(["30901", "TN38 9LH", "00100", "0150", "75001", "12345", None])
    countries = pd.Series(["US", "GB", "FI", "NO", "FR", "ZZ", "US"])
    got = locate_postcodes(postcodes, countries, GeocodeOptions())
    assert got.lat[0] == pytest.approx(33.47, abs=TOL_DEG)  # Augusta GA
    assert got.lat[1] == pytest.approx(50.86, abs=TOL_DEG)  # St Leonards-on-Sea district
    assert got.precision[:5].tolist() == ["zip", "district", "postcode", "postcode", "postcode"]
    assert got.lat[2] == pytest.approx(60.17, abs=TOL_DEG)  # Helsinki centre (Paavo)
    assert got.lat[3] == pytest.approx(59.9, abs=0.1)  # Oslo
    assert got.lat[4] == pytest.approx(48.86, abs=TOL_DEG)  # Paris 1er
    assert np.isnan(got.lat[5]) and "no postcode table for country 'ZZ'" in got.reason[5]
    assert got.reason[6] == "no coordinates and no postcode to geocode"


def test_full_uk_postcode_file_then_district_fallback(tmp_path: Path) -> None:
    lookup = tmp_path / "onspd.csv"
    lookup.write_text("pcds,lat,long\nTN38 9LH,50.8701,0.5301\nZZ99 9ZZ,99.999999,0\n")
    got = locate_postcodes(pd.Series(["TN389LH", "TN38 9XX"]), pd.Series(["GB", "GB"]),
                           GeocodeOptions(postcodes=str(lookup)))
    assert got.precision.tolist() == ["postcode", "district"]
    assert got.lat[0] == pytest.approx(50.8701)


def test_generic_geocode_table(tmp_path: Path) -> None:
    table = tmp_path / "keys.csv"
    table.write_text("key,lat,lon\nV2Y 0G9,49.16,-122.67\n")
    got = locate_postcodes(pd.Series(["v2y 0g9", "V1M 1A1"]), pd.Series(["CA", "CA"]),
                           GeocodeOptions(geocode_table=str(table)))
    assert got.precision.tolist() == ["table", None]
    assert got.lat[0] == pytest.approx(49.16)


def test_web_mercator_round_trip() -> None:
    lat, lon = project_to_wgs84(np.array([-13655110.99]), np.array([6302015.65]), "EPSG:3857")
    assert lat[0] == pytest.approx(49.15977599, abs=1e-6)
    assert lon[0] == pytest.approx(-122.6659491, abs=1e-6)


def test_other_crs_needs_the_geo_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from clusterwatch import MissingDependencyError

    before = {name for name in sys.modules if name.startswith("pyproj")}
    # None in sys.modules makes the import fail at once (no half-imported pyproj submodules left behind), and
    # monkeypatch puts back whatever was there, so later tests import pyproj as usual
    monkeypatch.setitem(sys.modules, "pyproj", None)
    with pytest.raises(MissingDependencyError, match=r"clusterwatch\[geo\]"):
        project_to_wgs84(np.array([530000.0]), np.array([180000.0]), "EPSG:27700")
    assert {name for name in sys.modules if name.startswith("pyproj.")} == before - {"pyproj"}
