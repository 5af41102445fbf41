"""Esri's emerging hot spot categories: every one of the 17 on hand-built histories and on a hand-built cube."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest

from clusterwatch.analysis.geometry import local_xy_km
from clusterwatch.analysis.time import CATEGORIES, EntriesCube, classify, emerging_hot_spots

H, C, N = "H", "C", "."  # hot, cold, neither

# (history over 10 periods, trend of the Gi* series, expected category)
HISTORIES = [
    ("........." + H, 0, "new hot spot"),
    ("C........" + H, 0, "new hot spot"),  # Esri: never hot before; earlier cold spots do not matter (sfdep differs)
    (".......HHH", 0, "consecutive hot spot"),
    ("C......HHH", 0, "consecutive hot spot"),
    ("HHHHHHHHHH", +1, "intensifying hot spot"),
    ("HHHHHHHHHH", 0, "persistent hot spot"),
    (".HHHHHHHHH", 0, "persistent hot spot"),  # 90 % of the periods
    ("HHHHHHHHHH", -1, "diminishing hot spot"),
    ("..H..H...H", 0, "sporadic hot spot"),
    ("..H..H..HH", +1, "sporadic hot spot"),
    ("C..H.....H", 0, "oscillating hot spot"),
    ("HHHHHHHHH.", 0, "historical hot spot"),
    ("HHHHHHHHH.", -1, "historical hot spot"),
    ("........." + C, 0, "new cold spot"),
    (".......CCC", 0, "consecutive cold spot"),
    ("CCCCCCCCCC", -1, "intensifying cold spot"),  # low counts cluster ever more strongly: Gi* falls
    ("CCCCCCCCCC", 0, "persistent cold spot"),
    ("CCCCCCCCCC", +1, "diminishing cold spot"),
    ("..C..C...C", 0, "sporadic cold spot"),
    ("H..C.....C", 0, "oscillating cold spot"),
    ("CCCCCCCCC.", 0, "historical cold spot"),
    ("..........", 0, "no pattern detected"),
    ("..H..H..H.", 0, "no pattern detected"),  # hot before, not now, under 90 %
    ("HHHHHHHH..", 0, "no pattern detected"),  # 8 of the 10 periods: under 90 %
    ("HHHHHHHHHC", 0, "new cold spot"),  # the final state decides first
]


def test_historical_counts_ninety_percent_over_all_intervals() -> None:
    """Esri: "The most recent time period is not hot, but at least ninety percent of the time-step intervals have
    been statistically significant hot spots." The final interval counts among the intervals."""
    for n in range(2, 10):  # hot in every interval but the last: (n - 1) / n < 90 % below ten intervals
        hot = np.array([True] * (n - 1) + [False])
        assert classify(hot[None], np.zeros_like(hot)[None], np.array([0]))[0] == "no pattern detected", n
        assert classify(np.zeros_like(hot)[None], hot[None], np.array([0]))[0] == "no pattern detected", n
    hot = np.array([True] * 9 + [False])  # 9 of 10 = 90 %
    assert classify(hot[None], np.zeros_like(hot)[None], np.array([0]))[0] == "historical hot spot"
    # 18 of the 19 earlier intervals (94.7 %), but 18 of all 20 (90 %): historical; 17 of 20 (85 %): not
    hot = np.array([True] * 9 + [False] + [True] * 9 + [False])
    assert classify(hot[None], np.zeros_like(hot)[None], np.array([0]))[0] == "historical hot spot"
    hot = np.array([True] * 8 + [False, False] + [True] * 9 + [False])
    assert classify(hot[None], np.zeros_like(hot)[None], np.array([0]))[0] == "no pattern detected"


def _masks(history: str) -> tuple[np.ndarray, np.ndarray]:
    return np.array([c == H for c in history]), np.array([c == C for c in history])


@pytest.mark.parametrize(("history", "trend", "expected"), HISTORIES)
def test_classify_hand_built_history(history: str, trend: int, expected: str) -> None:
    hot, cold = _masks(history)
    assert classify(hot[None, :], cold[None, :], np.array([trend]))[0] == expected


def test_every_category_is_reached_and_known() -> None:
    reached = {expected for _, _, expected in HISTORIES}
    assert reached == set(CATEGORIES)
    assert len(CATEGORIES) == 17


def test_ninety_percent_is_exact_in_integers() -> None:
    # 9 of 10 is 90 %: persistent; 17 of 19 is 89.5 %: not
    hot, cold = _masks(".HHHHHHHHH")
    assert classify(hot[None], cold[None], np.array([0]))[0] == "persistent hot spot"
    hot = np.array([True, False, False] + [True] * 16)  # 17 of 19, with a gap
    assert classify(hot[None], np.zeros_like(hot)[None], np.array([0]))[0] == "sporadic hot spot"
    hot = np.array([True, False] + [True] * 18)  # 19 of 20 = 95 %
    assert classify(hot[None], np.zeros_like(hot)[None], np.array([0]))[0] == "persistent hot spot"


def _cube(series: np.ndarray) -> EntriesCube:
    """A cube of the given counts on distinct H3 cells (ring 0 makes each cell its own neighbourhood)."""
    cells = np.array(sorted(h3.grid_disk(h3.latlng_to_cell(47.6, -122.3, 8), 12))[: series.shape[0]], dtype=object)
    centres = np.array([h3.cell_to_latlng(c) for c in cells])
    x, y = local_xy_km(centres[:, 0], centres[:, 1])
    return EntriesCube(locations=cells, periods=pd.period_range("2016", periods=series.shape[1], freq="Y"),
                       counts=series.astype(np.int64), lat=centres[:, 0], lon=centres[:, 1], x_km=x, y_km=y,
                       resolution=8, period="year", activity="hand-built")


def test_every_category_on_a_hand_built_cube() -> None:
    """17 designed cells among 300 quiet ones: Gi* with ring 0 and no lag is each bin's own z-score."""
    hot, neutral, cold = 200, 100, 0
    up = np.arange(180, 280, 10)  # hot throughout, rising
    down_cold = np.arange(36, -4, -4)  # cold throughout, falling
    designed = {
        "new hot spot": [neutral] * 9 + [hot],
        "consecutive hot spot": [neutral] * 7 + [hot] * 3,
        "intensifying hot spot": list(up),
        "persistent hot spot": [hot] * 10,
        "diminishing hot spot": list(up[::-1]),
        "sporadic hot spot": [neutral, neutral, hot, neutral, neutral, hot, neutral, neutral, neutral, hot],
        "oscillating hot spot": [cold, neutral, neutral, hot, neutral, neutral, neutral, neutral, neutral, hot],
        "historical hot spot": [hot] * 9 + [neutral],
        "new cold spot": [neutral] * 9 + [cold],
        "consecutive cold spot": [neutral] * 7 + [cold] * 3,
        "intensifying cold spot": list(down_cold),
        "persistent cold spot": [cold] * 10,
        "diminishing cold spot": list(down_cold[::-1]),
        "sporadic cold spot": [neutral, neutral, cold, neutral, neutral, cold, neutral, neutral, neutral, cold],
        "oscillating cold spot": [hot, neutral, neutral, cold, neutral, neutral, neutral, neutral, neutral, cold],
        "historical cold spot": [cold] * 9 + [neutral],
        "no pattern detected": [neutral] * 10,
    }
    background = 100 + (np.arange(300 * 10).reshape(300, 10) % 2)
    series = np.vstack([np.array(list(designed.values())), background])
    result = emerging_hot_spots(_cube(series), ring=0, time_lags=0, inference="normal")
    got = dict(zip(designed, result.category[: len(designed)], strict=True))
    assert got == {name: name for name in designed}
    assert set(result.category[len(designed):]) == {"no pattern detected"}
    # a partition: every cell exactly one category
    assert result.summary().sum() == series.shape[0]
