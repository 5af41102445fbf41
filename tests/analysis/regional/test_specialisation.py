"""Krugman and Hoover indices against hand-computed cases and their bounds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusterwatch.analysis.regional import regional_table, specialisation


def test_krugman_and_hoover_by_hand() -> None:
    frame = pd.DataFrame({"region": ["A", "A", "B", "B", "C"], "industry": ["x", "y", "x", "y", "z"],
                          "employment": [60, 40, 20, 80, 100], "establishments": 1})
    result = specialisation(regional_table(frame))
    regions = result.regions.set_index("region")
    # benchmark shares of the 300 jobs: x 80, y 120, z 100
    shares = {"x": 80 / 300, "y": 120 / 300, "z": 100 / 300}
    a = abs(0.6 - shares["x"]) + abs(0.4 - shares["y"]) + shares["z"]
    assert regions.loc["A", "krugman"] == pytest.approx(a)
    assert regions.loc["A", "hoover"] == pytest.approx(a / 2)
    assert regions.loc["C", "krugman"] == pytest.approx(shares["x"] + shares["y"] + (1 - shares["z"]))
    industries = result.industries.set_index("industry")
    # z sits entirely in C, which holds a third of all employment: HL = (|0-1/3| + |0-1/3| + |1-1/3|) / 2
    assert industries.loc["z", "hoover_localisation"] == pytest.approx(2 / 3)


def test_a_region_like_the_benchmark_scores_zero_and_bounds_hold() -> None:
    frame = pd.DataFrame({"region": ["A", "A", "B", "B", "C"], "industry": ["x", "y", "x", "y", "y"],
                          "employment": [10, 30, 20, 60, 40], "establishments": 1})
    regions = specialisation(regional_table(frame)).regions.set_index("region")
    # A and B split x:y = 1:3, like the external benchmark below; C has only y
    benchmark = pd.DataFrame({"industry": ["x", "y"], "employment": [1, 3]})
    against = specialisation(regional_table(frame, reference=benchmark)).regions.set_index("region")
    assert against.loc["A", "krugman"] == pytest.approx(0.0, abs=1e-12)
    assert against.loc["C", "krugman"] == pytest.approx(0.5)
    assert ((regions["krugman"] >= 0) & (regions["krugman"] <= 2)).all()
    assert np.allclose(regions["hoover"], regions["krugman"] / 2)


def test_counts_work_as_the_measure() -> None:
    frame = pd.DataFrame({"region": ["A", "B"], "industry": ["x", "y"], "establishments": [3, 1]})
    result = specialisation(regional_table(frame, employment=None), measure="establishments")
    assert result.regions["krugman"].tolist() == pytest.approx([0.5, 1.5])
    assert result.measure == "establishments"
