"""clusterwatch.places: nearest place names from the offline gazetteers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusterwatch.places import PLACE_COLUMNS, gazetteer, nearest_place, nearest_places, place_label, places_within

EARTH_KM = 6371.0088
TOLERANCE_KM = 1e-6


def _haversine(lat1: float, lon1: float, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(a))


@pytest.mark.parametrize(("lat", "lon", "place", "county", "region", "country"), [
    (34.7698, -84.9702, "Dalton", "Whitfield County", "GA", "US"),  # the carpet capital
    (32.0809, -81.0912, "Savannah", "Chatham County", "GA", "US"),
    (47.6062, -122.3321, "Seattle", "King County", "WA", "US"),
    (59.9127, 10.7461, "Oslo", "Oslo", "Oslo County", "NO"),
])
def test_known_places(lat: float, lon: float, place: str, county: str, region: str, country: str) -> None:
    row = nearest_places([lat], [lon]).iloc[0]
    assert (row["place"], row["county"], row["region"], row["country"]) == (place, county, region, country)
    assert 0 <= row["distance_km"] < 10


def test_shape_order_missing_and_far_away() -> None:
    frame = nearest_places([47.6062, np.nan, 0.0, 34.7698], [-122.3321, 10.0, -30.0, -84.9702])
    assert list(frame.columns) == PLACE_COLUMNS and list(frame.index) == [0, 1, 2, 3]
    assert frame["place"].tolist() == ["Seattle", "", "", "Dalton"]  # NaN: nothing; mid-Atlantic: beyond max_km
    assert np.isnan(frame.loc[1, "distance_km"]) and frame.loc[2, "distance_km"] > 1000
    assert nearest_places([], []).empty
    with pytest.raises(ValueError, match="differ in length"):
        nearest_places([1.0, 2.0], [1.0])


def test_nearest_is_the_brute_force_nearest() -> None:
    """The KD-tree on unit vectors finds the same nearest centroid, at the same great-circle distance, as a
    brute-force haversine search over the whole US gazetteer."""
    table = gazetteer(("US",))
    rng = np.random.default_rng(3)
    lat, lon = rng.uniform(30, 48, 25), rng.uniform(-120, -75, 25)
    found = nearest_places(lat, lon, max_km=1e6)
    for i in range(len(lat)):
        d = _haversine(lat[i], lon[i], table["lat"].to_numpy(), table["lon"].to_numpy())
        assert found.loc[i, "distance_km"] == pytest.approx(d.min(), abs=TOLERANCE_KM)
        best = table.iloc[int(np.argmin(d))]
        assert found.loc[i, "place"] == best["place"] and found.loc[i, "county"] == best["county"]


def test_scalar_matches_vector_and_labels() -> None:
    one = nearest_place(34.7698, -84.9702)
    assert one.place == "Dalton" and one.distance_km < 5
    assert place_label(one.place, one.county, one.region, one.country) == "Dalton, Whitfield County, GA"
    assert place_label("Oslo", "Oslo", "Oslo County", "NO") == "Oslo, Oslo County, NO"  # county = place: once
    assert place_label("", "", "", "") == ""


def test_places_within_a_box_biggest_first() -> None:
    labels = places_within((-84.6, 33.6, -84.2, 33.9), limit=20)  # Atlanta and around
    assert labels.loc[0, "place"] == "Atlanta" and labels["weight"].is_monotonic_decreasing
    assert labels["lat"].between(33.6, 33.9).all() and labels["lon"].between(-84.6, -84.2).all()
    assert isinstance(labels, pd.DataFrame) and len(labels) == 20
