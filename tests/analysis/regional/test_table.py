"""Building the region x industry table from firms and from aggregate tables."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest

from clusterwatch.analysis.regional import firms_to_regions, regional_table
from clusterwatch.errors import InputError, OptionError


def _firms() -> pd.DataFrame:
    return pd.DataFrame({
        "firm_id": list("abcdefgh"),
        "county": ["A", "A", "A", "B", "B", None, "B", "B"],
        "postcode": ["1", "1", "2", "3", "3", "3", "4", "4"],
        "lat": [33.75, 33.75, 33.76, 34.0, 34.0, 34.0, 34.2, 34.2],
        "lon": [-84.39, -84.39, -84.38, -83.9, -83.9, -83.9, -83.8, -83.8],
        "code": ["336411", "336413", "541715", "722511", None, "541715", "111110", "5417"],
        "code_system": "naics",
        "employees": [100.0, 50.0, 10.0, 20.0, 5.0, 7.0, 3.0, np.nan],
        "dataset": "test",
    })


def test_counts_add_up_and_reasons_are_named() -> None:
    firms = _firms()
    before = firms.copy()
    table = firms_to_regions(firms, region="county")
    p = table.provenance
    assert p.rows == 8 and p.used + sum(p.dropped.values()) == p.rows
    # f: no county; e: no code; g: farming is in no benchmark cluster; h: a 4-digit code is never guessed
    assert p.dropped == {"no region": 1, "no industry code": 1, "code in no benchmark cluster": 2}
    assert table.cells["establishments"].sum() == p.used == 4
    pd.testing.assert_frame_equal(firms, before)  # the input is not modified


def test_cells_sum_employment_and_count_firms() -> None:
    table = firms_to_regions(_firms(), region="county")
    cells = table.cells.set_index(["region", "industry"])
    assert cells.loc[("A", "1"), "employment"] == 150.0 and cells.loc[("A", "1"), "establishments"] == 2
    assert cells.loc[("A", "13"), "employment"] == 10.0
    assert cells.loc[("B", "111"), "employment"] == 20.0  # 722511: Local Hospitality Establishments
    traded = table.industries.set_index("industry")["traded"]
    assert bool(traded["1"]) and not bool(traded["111"])
    points = table.regions.set_index("region")
    assert points.loc["A", "lat"] == pytest.approx((33.75 * 2 + 33.76) / 3)


def test_unknown_employment_stays_unknown() -> None:
    firms = _firms().assign(code=["336411"] * 8, employees=[1.0, np.nan, 2, np.nan, np.nan, 1, np.nan, np.nan])
    table = firms_to_regions(firms, region="county")
    cells = table.cells.set_index("region")
    assert cells.loc["A", "employment"] == 3.0  # known values summed
    assert np.isnan(cells.loc["B", "employment"])  # none of B's firms has a known size
    assert cells.loc["B", "establishments"] == 4
    assert table.provenance.employment_coverage == pytest.approx(2 / 7)
    only_unknown = firms.assign(employees=np.nan)
    assert not firms_to_regions(only_unknown, region="county").has_employment


def test_h3_regions_are_cells_at_the_resolution() -> None:
    table = firms_to_regions(_firms(), region="h3", h3_resolution=7)
    assert table.provenance.region == "h3 resolution 7"
    for cell in table.regions["region"]:
        assert h3.is_valid_cell(cell) and h3.get_resolution(cell) == 7
    assert table.regions["h3"].all()
    first = table.regions.iloc[0]
    assert h3.latlng_to_cell(first["lat"], first["lon"], 7) == first["region"]  # the point is the cell centre
    assert table.provenance.dropped.get("no region", 0) == 0  # every firm has coordinates


@pytest.mark.parametrize(("level", "expected"), [("sector", {"31-33", "54", "72"}), ("4", {"3364", "5417", "7225"}),
                                                  ("code", {"336411", "336413", "541715", "722511"})])
def test_code_levels(level: str, expected: set[str]) -> None:
    firms = _firms().iloc[:4]
    table = firms_to_regions(firms, region="county", industries=level)
    assert set(table.industries["industry"]) == expected
    assert not table.has_traded


def test_mapping_takes_the_longest_prefix() -> None:
    mapping = pd.DataFrame({"code": ["54", "5417", "3364"], "cluster": ["services", "research", "aero"],
                            "traded": ["local", "traded", "traded"]})
    table = firms_to_regions(_firms(), region="postcode", industries="mapping", mapping=mapping)
    cells = table.cells.set_index("region")["industry"]
    assert cells["2"] == "research"
    assert set(table.industries["industry"]) == {"aero", "research"}
    assert table.provenance.dropped["code not in the mapping"] == 2  # 722511 and 111110
    assert bool(table.industries.set_index("industry").loc["research", "traded"])
    with_dict = firms_to_regions(_firms(), region="postcode", industries="mapping", mapping={"5": "five"})
    assert set(with_dict.industries["industry"]) == {"five"}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"region": "nuts"}, "unknown region column 'nuts'; allowed: county, postcode, h3"),
    ({"region": "h3"}, "h3_resolution"),
    ({"region": "h3", "h3_resolution": 16}, "0-15"),
    ({"region": "county", "h3_resolution": 7}, "only for region='h3'"),
    ({"industries": "division"}, "unknown industries 'division'"),
    ({"industries": "mapping"}, "needs a mapping"),
    ({"mapping": {"54": "x"}}, "use industries='mapping'"),
])
def test_bad_options_name_the_value(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(OptionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        firms_to_regions(_firms(), **kwargs)  # type: ignore[arg-type]


def test_mixed_code_systems_need_a_choice() -> None:
    firms = _firms().assign(code_system=["naics"] * 4 + ["nace2"] * 4)
    with pytest.raises(OptionError, match="several code systems"):
        firms_to_regions(firms, region="postcode", industries="code")
    table = firms_to_regions(firms, region="postcode", industries="code", code_system="naics")
    assert table.provenance.dropped == {"other code system": 3, "no industry code": 1}
    with pytest.raises(OptionError, match="needs NAICS"):
        firms_to_regions(firms.assign(code_system="nace2"), region="postcode")


def test_aggregate_table_checks_its_input() -> None:
    frame = pd.DataFrame({"region": ["A", "A", "B"], "industry": ["x", "y", "x"], "employment": [1, 2, 3],
                          "establishments": [1, 1, 1]})
    table = regional_table(frame, source="CBP", as_of="2016-03-12")
    assert table.provenance.input == "aggregate" and table.provenance.as_of == "2016-03-12"
    assert table.matrix().to_numpy().tolist() == [[1.0, 2.0], [3.0, 0.0]]
    with pytest.raises(InputError, match="appear more than once"):
        regional_table(pd.concat([frame, frame.iloc[:1]]))
    with pytest.raises(InputError, match="negative"):
        regional_table(frame.assign(employment=[1, -2, 3]))
    with pytest.raises(InputError, match="not a number"):
        regional_table(frame.assign(employment=["1", "two", "3"]))
    with pytest.raises(InputError, match="no industry column 'naics'"):
        regional_table(frame, industry="naics")
    with pytest.raises(OptionError, match="both are None"):
        regional_table(frame, employment=None, establishments=None)
    with pytest.raises(InputError, match="traded must be"):
        regional_table(frame.assign(kind=["traded", "maybe", "local"]), traded="kind")
    with pytest.raises(InputError, match="more than once in the reference"):
        table.with_reference(pd.DataFrame({"industry": ["x", "x"], "employment": [1, 2]}))
    with pytest.raises(InputError, match=r"lacks 1 of the table's industries \(y\)"):
        table.with_reference(pd.DataFrame({"industry": ["x"], "employment": [1]}))
    missing_keys = regional_table(frame.assign(region=["A", None, "B"]))
    assert missing_keys.provenance.dropped == {"no region or no industry": 1}
