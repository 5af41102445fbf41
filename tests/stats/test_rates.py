"""Base-rate tests: binomial excess and Cochran–Armitage against published and hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from clusterwatch.errors import OptionError
from clusterwatch.stats import binomial_excess, cochran_armitage

TOLERANCE = 1e-9


def test_binomial_excess_by_hand() -> None:
    # P(X >= 8), X ~ Bin(10, 0.3) = sum_{k=8}^{10} C(10,k) 0.3^k 0.7^(10-k)
    by_hand = sum(math.comb(10, k) * 0.3**k * 0.7 ** (10 - k) for k in range(8, 11))
    assert binomial_excess(8, 10, 0.3) == pytest.approx(by_hand, abs=TOLERANCE)
    by_hand_less = sum(math.comb(10, k) * 0.3**k * 0.7 ** (10 - k) for k in range(0, 2))
    assert binomial_excess(1, 10, 0.3, "less") == pytest.approx(by_hand_less, abs=TOLERANCE)
    assert math.isnan(binomial_excess(0, 0, 0.5))


@pytest.mark.parametrize("bad", [(11, 10, 0.3), (-1, 10, 0.3), (3, 10, 1.5)])
def test_binomial_excess_rejects_impossible_counts(bad: tuple[int, int, float]) -> None:
    with pytest.raises(OptionError):
        binomial_excess(*bad)


def test_cochran_armitage_agresti_malformation() -> None:
    # Agresti (2013), Categorical Data Analysis, table 5.3 / section 5.3.5: infant malformation by maternal
    # alcohol consumption, scores 0, 0.5, 1.5, 4, 7: published z = 2.56 (z^2 = 6.57)
    cases = np.array([48, 38, 5, 1, 1])
    totals = np.array([17066, 14464, 788, 126, 37]) + cases
    result = cochran_armitage(cases, totals, np.array([0, 0.5, 1.5, 4, 7]))
    assert result.z == pytest.approx(2.56, abs=0.005)
    assert result.z**2 == pytest.approx(6.57, abs=0.01)
    assert result.p_increasing + result.p_decreasing == pytest.approx(1.0, abs=TOLERANCE)


def test_cochran_armitage_by_hand_and_direction() -> None:
    # cases 1, 2, 4, 7 of 20 each, scores 0..3: p = 14/80, T = sum s (c - 20 p) = 10,
    # Var = p (1 - p) (20 * 14 - 120^2 / 80) = 0.175 * 0.825 * 100
    result = cochran_armitage(np.array([1, 2, 4, 7]), np.array([20, 20, 20, 20]))
    assert result.statistic == pytest.approx(10.0, abs=TOLERANCE)
    assert result.z == pytest.approx(10 / math.sqrt(0.175 * 0.825 * 100), abs=TOLERANCE)
    falling = cochran_armitage(np.array([7, 4, 2, 1]), np.array([20, 20, 20, 20]))
    assert falling.z == pytest.approx(-result.z, abs=TOLERANCE)
    assert falling.p_decreasing < 0.01 < falling.p_increasing


def test_cochran_armitage_flat_share_of_a_rising_register_is_not_rising() -> None:
    # the register's entries triple; the candidate keeps its 10 % share: no trend in the share
    totals = np.array([100, 150, 200, 250, 300])
    result = cochran_armitage(totals // 10, totals)
    assert result.z == pytest.approx(0.0, abs=TOLERANCE)


def test_cochran_armitage_degenerate_inputs_give_nan() -> None:
    assert math.isnan(cochran_armitage(np.zeros(4), np.full(4, 10)).z)
    assert math.isnan(cochran_armitage(np.array([3]), np.array([10])).z)
    with pytest.raises(OptionError):
        cochran_armitage(np.array([5, 1]), np.array([3, 3]))
