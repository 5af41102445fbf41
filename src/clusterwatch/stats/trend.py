"""The Mann–Kendall trend test, vectorised over many series (one per location): shared by every analysis of trends."""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import pandas as pd
from scipy import stats

from clusterwatch.errors import OptionError


@numba.njit(cache=True)
def _mann_kendall_kernel(series: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - numba
    rows, n = series.shape
    s_out = np.zeros(rows)
    var_out = np.zeros(rows)
    for r in range(rows):
        x = series[r]
        bad = False
        for i in range(n):
            if np.isnan(x[i]):
                bad = True
        if bad:
            s_out[r] = np.nan
            var_out[r] = np.nan
            continue
        s = 0.0
        for i in range(n - 1):
            for j in range(i + 1, n):
                d = x[j] - x[i]
                if d > 0:
                    s += 1.0
                elif d < 0:
                    s -= 1.0
        ordered = np.sort(x)
        ties = 0.0
        run = 1
        for i in range(1, n + 1):
            if i < n and ordered[i] == ordered[i - 1]:
                run += 1
            else:
                if run > 1:
                    ties += run * (run - 1) * (2 * run + 5)
                run = 1
        s_out[r] = s
        var_out[r] = (n * (n - 1) * (2 * n + 5) - ties) / 18.0
    return s_out, var_out


@dataclass(frozen=True, eq=False)
class MannKendall:
    """Mann–Kendall test results, one entry per series.

    Attributes
    ----------
    s
        Kendall's S: concordant minus discordant pairs in time order.
    var_s
        Variance of S under no trend, corrected for ties.
    z
        ``(S - sign(S)) / sqrt(var_s)`` (continuity-corrected); 0 when S is 0.
    p
        Two-sided p-value from the normal approximation.
    tau
        Kendall's tau-a: S divided by the number of pairs.
    trend
        ``increasing`` or ``decreasing`` where p <= alpha, else ``none``.
    alpha
        The significance level used for ``trend``.
    """

    s: np.ndarray
    var_s: np.ndarray
    z: np.ndarray
    p: np.ndarray
    tau: np.ndarray
    trend: np.ndarray
    alpha: float

    @property
    def direction(self) -> np.ndarray:
        """+1 for a significant increase, -1 for a significant decrease, 0 otherwise."""
        return np.select([self.trend == "increasing", self.trend == "decreasing"], [1, -1], 0)

    def to_frame(self) -> pd.DataFrame:
        """One row per series: s, var_s, z, p, tau, trend."""
        return pd.DataFrame({"s": self.s, "var_s": self.var_s, "z": self.z, "p": self.p, "tau": self.tau,
                             "trend": self.trend})


def mann_kendall(series: np.ndarray, *, alpha: float = 0.05) -> MannKendall:
    """Mann–Kendall test for a monotonic trend in each row of ``series``.

    Parameters
    ----------
    series
        Shape (series, time steps), or one series (1-D). Rows holding a NaN get NaN results and no trend.
    alpha
        Significance level of the two-sided test.

    Returns
    -------
    MannKendall
        S, its tie-corrected variance, z, the two-sided p-value, tau and the trend direction of each row.

    Raises
    ------
    OptionError
        For fewer than two time steps or an alpha outside (0, 1).

    References
    ----------
    Mann, H. B. (1945). Nonparametric tests against trend. *Econometrica* 13, 245–259.
    Kendall, M. G. (1975). *Rank Correlation Methods*, 4th ed. Griffin, London (variance with ties).

    Examples
    --------
    >>> result = mann_kendall(np.array([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [3.0, 1.0, 3.0, 1.0, 3.0, 1.0]]))
    >>> result.s.tolist(), result.trend.tolist()
    ([15.0, -3.0], ['increasing', 'none'])
    >>> round(float(result.p[0]), 4)
    0.0085
    """
    check_alpha(alpha)
    values = np.atleast_2d(np.asarray(series, dtype=np.float64))
    if values.shape[1] < 2:
        raise OptionError(f"the Mann-Kendall test needs at least 2 time steps, got {values.shape[1]}")
    s, var = _mann_kendall_kernel(np.ascontiguousarray(values))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(var > 0, (s - np.sign(s)) / np.sqrt(var), 0.0)
    z = np.where(np.isnan(s), np.nan, z)
    p = np.where(np.isnan(z), np.nan, 2 * stats.norm.sf(np.abs(z)))
    n = values.shape[1]
    tau = s / (n * (n - 1) / 2)
    significant = np.nan_to_num(p, nan=1.0) <= alpha
    trend = np.where(significant & (s > 0), "increasing", np.where(significant & (s < 0), "decreasing", "none"))
    return MannKendall(s=s, var_s=var, z=z, p=p, tau=tau, trend=trend.astype(object), alpha=float(alpha))


def check_alpha(alpha: float) -> float:
    """Validate a significance level in (0, 1)."""
    if isinstance(alpha, bool) or not isinstance(alpha, int | float | np.floating) or not 0 < alpha < 1:
        raise OptionError(f"alpha must be a number between 0 and 1 (e.g. 0.05), got {alpha!r}")
    return float(alpha)
