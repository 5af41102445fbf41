"""European Cluster Observatory stars against hand-computed cases; thresholds are parameters."""

from __future__ import annotations

import pandas as pd
import pytest

from clusterwatch.analysis.regional import cluster_stars, regional_table
from clusterwatch.errors import OptionError


def _ten_regions() -> pd.DataFrame:
    """Ten regions of 100 jobs each: x = 10, 20, ..., 100 and y = the rest (0 in R10)."""
    regions = [f"R{i:02d}" for i in range(1, 11)]
    x = [10 * i for i in range(1, 11)]
    frame = pd.concat([
        pd.DataFrame({"region": regions, "industry": "x", "employment": x}),
        pd.DataFrame({"region": regions, "industry": "y", "employment": [100 - v for v in x]}),
    ])
    return regional_table(frame, establishments=None)


def test_three_stars_by_hand() -> None:
    stars = cluster_stars(_ten_regions())
    cells = stars.cells.set_index(["region", "industry"])
    # size: x's 90th percentile of 10..100 is 91 -> only R10; y's of 10..90 (R10 has none) is 82 -> only R01
    assert cells.index[cells["star_size"]].tolist() == [("R01", "y"), ("R10", "x")]
    thresholds = stars.thresholds.set_index("industry")["size_cut"]
    assert thresholds["x"] == pytest.approx(91) and thresholds["y"] == pytest.approx(82)
    # specialisation: LQ(y, R01) = 0.9 / 0.45 = 2 exactly (the boundary earns it); LQ(x, R10) = 1 / 0.55 < 2
    assert cells.loc[("R01", "y"), "lq"] == pytest.approx(2.0)
    assert cells.index[cells["star_specialisation"]].tolist() == [("R01", "y")]
    # focus, pooled over 19 positive shares: the 90th percentile is 0.9 -> x in R09, R10 and y in R01
    assert stars.focus_cut == pytest.approx(0.9)
    assert cells.index[cells["star_focus"]].tolist() == [("R01", "y"), ("R09", "x"), ("R10", "x")]
    assert cells.loc[("R01", "y"), "stars"] == 3 and cells.loc[("R10", "x"), "stars"] == 2
    assert cells.loc[("R10", "y"), "stars"] == 0  # nothing there, nothing earned


def test_focus_within_each_category() -> None:
    stars = cluster_stars(_ten_regions(), focus_scope="industry")
    cells = stars.cells.set_index(["region", "industry"])
    # x: 90th percentile of 0.1..1.0 is 0.91 -> R10; y: of 0.1..0.9 is 0.82 -> R01
    assert cells.index[cells["star_focus"]].tolist() == [("R01", "y"), ("R10", "x")]


def test_thresholds_are_parameters() -> None:
    stars = cluster_stars(_ten_regions(), size_top=0.3, specialisation_min=1.5, focus_top=0.5)
    cells = stars.cells.set_index(["region", "industry"])
    assert cells.xs("x", level="industry")["star_size"].sum() == 3  # 80, 90, 100 >= the 70th percentile, 73
    assert stars.size_top == 0.3 and stars.specialisation_min == 1.5 and stars.focus_top == 0.5
    # LQ(x) = share / 0.55 >= 1.5 from a share of 0.825: R09 and R10
    assert cells.xs("x", level="industry")["star_specialisation"].sum() == 2


def test_external_reference_drives_specialisation() -> None:
    frame = pd.DataFrame({"region": ["A", "A", "B", "B"], "industry": ["x", "y", "x", "y"],
                          "employment": [50, 50, 30, 70]})
    table = regional_table(frame, establishments=None,
                           reference=pd.DataFrame({"industry": ["x", "y"], "employment": [25, 75]}))
    cells = cluster_stars(table).cells.set_index(["region", "industry"])
    assert cells.loc[("A", "x"), "lq"] == pytest.approx(2.0) and cells.loc[("A", "x"), "star_specialisation"]
    assert cells.loc[("A", "x"), "size_share"] == pytest.approx(2.0)  # 50 jobs against a benchmark of 25


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"size_top": 0}, "size_top must be a share"), ({"focus_top": 1.0}, "focus_top must be a share"),
    ({"size_top": "10%"}, "size_top must be a share"), ({"specialisation_min": 0}, "specialisation_min"),
    ({"focus_scope": "region"}, "unknown focus_scope 'region'"), ({"measure": "establishments"}, "no establishments"),
])
def test_bad_thresholds_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(OptionError, match=message):
        cluster_stars(_ten_regions(), **kwargs)  # type: ignore[arg-type]
