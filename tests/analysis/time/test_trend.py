"""The Mann–Kendall test: S, tie-corrected variance and p by hand."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from clusterwatch.analysis.time import mann_kendall
from clusterwatch.errors import OptionError


def _by_hand(x: np.ndarray) -> tuple[float, float, float]:
    n = len(x)
    s = sum(np.sign(x[j] - x[i]) for i in range(n) for j in range(i + 1, n))
    _, ties = np.unique(x, return_counts=True)
    var = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in ties)) / 18
    z = (s - np.sign(s)) / np.sqrt(var) if s else 0.0
    return float(s), float(var), float(2 * stats.norm.sf(abs(z)))


@pytest.mark.parametrize(
    "series",
    [
        [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
        [5.0, 3.0, 3.0, 1.0, 1.0, 1.0, 0.5, 0.2, 0.2, 0.0],  # falling, with ties
        [0.3, -1.2, 0.8, 0.1, -0.4, 2.2, -0.7, 0.0, 0.0, 0.9],
        [2.0, 2.0, 2.0, 2.0],  # all tied: no trend
    ],
)
def test_matches_the_definition(series: list[float]) -> None:
    x = np.array(series)
    result = mann_kendall(x)
    s, var, p = _by_hand(x)
    assert result.s[0] == s and abs(result.var_s[0] - var) < 1e-9
    assert abs(result.p[0] - p) < 1e-12 if var > 0 else result.p[0] == 1.0


def test_trend_direction_and_alpha() -> None:
    rising = np.arange(10.0)
    assert mann_kendall(rising).trend[0] == "increasing"
    assert mann_kendall(-rising).trend[0] == "decreasing"
    flat = np.array([1.0, 3.0, 2.0, 4.0, 3.0, 5.0])  # S = 9 of 15 pairs: p = 0.06
    assert mann_kendall(flat, alpha=0.05).trend[0] == "none"
    assert mann_kendall(flat, alpha=0.1).trend[0] == "increasing"


def test_tau_agrees_with_scipy_without_ties() -> None:
    x = np.array([0.3, -1.2, 0.8, 0.1, -0.4, 2.2, -0.7, 0.05, 1.5, 0.9])
    tau = stats.kendalltau(np.arange(10), x).statistic
    assert abs(mann_kendall(x).tau[0] - tau) < 1e-12


def test_nan_rows_and_bad_input() -> None:
    result = mann_kendall(np.array([[1.0, np.nan, 2.0], [1.0, 2.0, 3.0]]))
    assert np.isnan(result.p[0]) and result.trend[0] == "none" and result.s[1] == 3
    with pytest.raises(OptionError):
        mann_kendall(np.array([[1.0]]))
    with pytest.raises(OptionError):
        mann_kendall(np.arange(5.0), alpha=0)
