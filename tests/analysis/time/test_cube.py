"""Entries and the entries cube: selection by code or cluster, first dated texts, as-of cuts, counts add up."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest

from clusterwatch.analysis.time import code_entries, cube_from_counts, entries_cube, text_entries
from clusterwatch.analysis.time.cube import last_complete_period
from clusterwatch.errors import InputError, OptionError


@pytest.fixture
def firms() -> pd.DataFrame:
    return pd.DataFrame({
        "dataset": "d",
        "firm_id": ["a", "b", "c", "d", "e", "f"],
        "lat": [47.61, 47.61, 47.62, np.nan, 47.65, 47.61],
        "lon": [-122.33, -122.33, -122.35, -122.3, -122.30, -122.33],
        "code": ["722511", "722513", "541715", "722511", "336411", "6201"],
        "codes": ["722511", "722513;541715", "541715", "722511", "336411", "6201"],
        "code_system": ["naics"] * 5 + ["nace2"],
        "founded": pd.to_datetime(["2019-03-01", "2020-07-09", "2020-01-01", "2021-05-05", None, "2020-02-02"]),
    })


def test_code_entries_at_any_level(firms: pd.DataFrame) -> None:
    assert code_entries(firms, code="72", code_system="naics")["firm_id"].tolist() == ["a", "b", "d"]
    assert code_entries(firms, code="722511", code_system="naics")["firm_id"].tolist() == ["a", "d"]
    assert code_entries(firms, code="31-33", code_system="naics")["firm_id"].tolist() == ["e"]
    assert code_entries(firms, code="5417", code_system="naics", all_codes=True)["firm_id"].tolist() == ["b", "c"]
    assert code_entries(firms, code="J", code_system="nace2")["firm_id"].tolist() == ["f"]
    assert code_entries(firms, code="62.01", code_system="nace2")["activity"].iloc[0] == "nace2 62.01"
    everything = code_entries(firms)
    assert len(everything) == len(firms) and set(everything.columns) >= {"firm_id", "date", "lat", "lon"}


def test_code_entries_by_benchmark_cluster(firms: pd.DataFrame) -> None:
    aerospace = code_entries(firms, cluster=1)  # 336411 aircraft manufacturing: Aerospace Vehicles and Defense
    assert aerospace["firm_id"].tolist() == ["e"]
    assert aerospace["activity"].iloc[0].startswith("cluster 1 ")
    assert code_entries(firms, cluster="Aerospace Vehicles")["firm_id"].tolist() == ["e"]


def test_code_entries_errors(firms: pd.DataFrame) -> None:
    with pytest.raises(OptionError, match="several systems"):
        code_entries(firms, code="72")
    with pytest.raises(OptionError, match="not both"):
        code_entries(firms, code="72", cluster=1)
    with pytest.raises(OptionError, match="benchmark cluster"):
        code_entries(firms, cluster=999)
    with pytest.raises(InputError, match="founded"):
        code_entries(firms.drop(columns="founded"))


def test_text_entries_take_the_first_dated_text(firms: pd.DataFrame) -> None:
    texts = pd.DataFrame({"dataset": "d", "firm_id": ["a", "a", "c", "zz", "b"],
                          "date": pd.to_datetime(["2015-05-01", "2012-02-01", None, "2011-01-01", "2018-01-01"])})
    entries = text_entries(firms, texts, activity="fuel cells").set_index("firm_id")
    assert entries.loc["a", "date"] == pd.Timestamp("2012-02-01")
    assert "c" not in entries.index  # no dated text
    assert np.isnan(entries.loc["zz", "lat"])  # unknown firm: unlocated, counted so by the cube
    assert (entries["activity"] == "fuel cells").all()


def test_cube_counts_add_up_with_reasons(firms: pd.DataFrame) -> None:
    entries = code_entries(firms)
    cube = entries_cube(entries, resolution=8, period="year", as_of="2020-12-31")
    # a, b, f share one cell; c another; d unlocated; e undated
    assert cube.shape == (2, 2) and cube.periods.astype(str).tolist() == ["2019", "2020"]
    assert cube.dropped == {"undated": 1, "unlocated": 1, "before_start": 0, "after_as_of": 0, "running_period": 0}
    assert cube.n_entries + sum(cube.dropped.values()) == len(entries)
    frame = cube.to_frame()
    assert len(frame) == 4 and frame["entries"].sum() == 4
    cell = h3.latlng_to_cell(47.61, -122.33, 8)
    assert cube.counts[list(cube.locations).index(cell)].tolist() == [1, 2]


def test_as_of_leaves_out_later_entries_and_the_running_period() -> None:
    entries = pd.DataFrame({"date": pd.to_datetime(["2018-05-01", "2019-02-01", "2020-03-01", "2020-09-30",
                                                    "2020-10-01"]), "lat": 47.61, "lon": -122.33})
    cube = entries_cube(entries, period="year", as_of="2020-09-30")
    assert cube.periods.astype(str).tolist() == ["2018", "2019"]  # 2020 still running on 30 September
    assert cube.dropped["after_as_of"] == 1 and cube.dropped["running_period"] == 2
    quarters = entries_cube(entries, period="quarter", as_of="2020-09-30")
    assert str(quarters.periods[-1]) == "2020Q3" and quarters.counts.sum() == 4  # 30 September is known then
    assert str(last_complete_period(pd.Timestamp("2020-12-31"), "year")) == "2020"
    started = entries_cube(entries, period="year", start="2019-01-01")
    assert started.dropped["before_start"] == 1 and str(started.periods[0]) == "2019"


def test_cube_options_are_checked() -> None:
    entries = pd.DataFrame({"date": pd.to_datetime(["2018-05-01"]), "lat": 47.61, "lon": -122.33})
    with pytest.raises(OptionError, match="period"):
        entries_cube(entries, period="week")
    with pytest.raises(OptionError, match="resolution"):
        entries_cube(entries, resolution=16)
    with pytest.raises(OptionError, match="as_of"):
        entries_cube(entries, as_of="yesterday-ish")
    with pytest.raises(InputError, match="no entries"):
        entries_cube(entries, as_of="2010-01-01")
    with pytest.raises(InputError, match="lat"):
        entries_cube(entries.drop(columns="lat"))


def test_cube_from_counts() -> None:
    counts = pd.DataFrame({"location": ["a", "b", "a", "a"], "period": ["2020-01", "2020-03", "2020-03", "2020-03"],
                           "count": [2, 1, 1, 2]})
    where = pd.DataFrame({"location": ["a", "b", "z"], "lat": [47.6, 47.7, 47.8], "lon": [-122.3, -122.3, -122.3]})
    cube = cube_from_counts(counts, where, period="month", start="2019-12")
    assert cube.counts.tolist() == [[0, 2, 0, 3], [0, 0, 0, 1]]
    assert cube.resolution is None and abs(cube.y_km[1] - cube.y_km[0] - 11.1) < 0.1
    with pytest.raises(InputError, match="without coordinates"):
        cube_from_counts(counts, where[where["location"] != "b"], period="month")
    with pytest.raises(InputError, match="whole numbers"):
        cube_from_counts(counts.assign(count=0.5), where, period="month")
