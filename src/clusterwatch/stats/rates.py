"""Tests of excess against a base rate: is a share higher than the register's, is a share of entries rising?

These back the words a candidate's status uses ("young", "rising", "SME-driven"): each means significantly more
than the register itself shows, not more than a fixed threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as _stats

from clusterwatch.errors import OptionError
from clusterwatch.stats.inference import check_alternative

__all__ = ["CochranArmitage", "binomial_excess", "cochran_armitage", "gumbel_p"]


def binomial_excess(successes: int, trials: int, base_rate: float, alternative: str = "greater") -> float:
    """Exact binomial p-value of ``successes`` out of ``trials`` against the base rate ``base_rate``.

    ``greater``: is the share higher than the base rate (e.g. more young firms than the register has)?

    Parameters
    ----------
    successes, trials
        Counts, ``0 <= successes <= trials``.
    base_rate
        The share under the null, in [0, 1].
    alternative
        ``greater``, ``less`` or ``two-sided``.

    Returns
    -------
    float
        The p-value; NaN when ``trials`` is 0.

    Raises
    ------
    OptionError
        For impossible counts or a base rate outside [0, 1].

    Examples
    --------
    >>> round(binomial_excess(8, 10, 0.3), 6)   # P(X >= 8), X ~ Bin(10, 0.3) = 0.001590
    0.00159
    >>> binomial_excess(0, 0, 0.3)
    nan
    """
    check_alternative(alternative)
    k, n = int(successes), int(trials)
    if not 0 <= k <= n:
        raise OptionError(f"successes must be in [0, trials], got {successes!r} of {trials!r}")
    if not (isinstance(base_rate, int | float) and 0.0 <= float(base_rate) <= 1.0):
        raise OptionError(f"base_rate must be a share in [0, 1], got {base_rate!r}")
    if n == 0:
        return float("nan")
    return float(_stats.binomtest(k, n, float(base_rate), alternative=alternative).pvalue)


@dataclass(frozen=True)
class CochranArmitage:
    """Cochran–Armitage test for a trend in proportions: ``statistic`` (the score T), ``z``, ``p_increasing``,
    ``p_decreasing`` (one-sided, normal approximation) and ``slope`` (the least-squares slope of the share on the
    scores, weighted by the totals)."""

    statistic: float
    z: float
    p_increasing: float
    p_decreasing: float
    slope: float


def cochran_armitage(cases: np.ndarray, totals: np.ndarray, scores: np.ndarray | None = None) -> CochranArmitage:
    """Cochran–Armitage trend test: does the share ``cases / totals`` rise (or fall) along the ``scores``?

    For entries, ``totals[t]`` are the register's entries in year ``t`` and ``cases[t]`` the candidate's: a rising
    share means the candidate gains entries faster than the register, whatever the register's own trend.

    ``T = Σ s_t (c_t − n_t p̄)``, ``Var T = p̄ (1 − p̄) [Σ n_t s_t² − (Σ n_t s_t)² / N]``, ``z = T / √Var T``
    with ``p̄ = C / N``; one-sided p-values from the standard normal.

    Parameters
    ----------
    cases, totals
        Counts per period, ``0 <= cases <= totals``.
    scores
        Scores of the periods (default 0, 1, 2, ...).

    Returns
    -------
    CochranArmitage
        NaN statistics when there are no cases, no non-cases or fewer than two periods with entries.

    Raises
    ------
    OptionError
        For arrays of different lengths or impossible counts.

    References
    ----------
    Cochran, W. G. (1954). Some methods for strengthening the common χ² tests. *Biometrics* 10, 417–451.
    Armitage, P. (1955). Tests for linear trends in proportions and frequencies. *Biometrics* 11, 375–386.
    Agresti, A. (2013). *Categorical Data Analysis*, 3rd ed., section 5.3.5.

    Examples
    --------
    >>> r = cochran_armitage(np.array([1, 2, 4, 7]), np.array([20, 20, 20, 20]))
    >>> round(r.z, 4), r.p_increasing < 0.01
    (2.6318, True)
    """
    c = np.asarray(cases, dtype=float)
    n = np.asarray(totals, dtype=float)
    s = np.arange(c.size, dtype=float) if scores is None else np.asarray(scores, dtype=float)
    if not c.shape == n.shape == s.shape or c.ndim != 1:
        raise OptionError(f"cases, totals and scores must be 1-D of one length, got {c.shape}, {n.shape}, {s.shape}")
    if (c < 0).any() or (c > n).any():
        raise OptionError("cases must be between 0 and totals in every period")
    nan = CochranArmitage(float("nan"), float("nan"), float("nan"), float("nan"), float("nan"))
    big_n, big_c = float(n.sum()), float(c.sum())
    if big_n == 0 or big_c == 0 or big_c == big_n or int((n > 0).sum()) < 2:
        return nan
    p_bar = big_c / big_n
    statistic = float((s * (c - n * p_bar)).sum())
    spread = float((n * s**2).sum() - (n * s).sum() ** 2 / big_n)
    variance = p_bar * (1 - p_bar) * spread
    if not variance > 0:
        return nan
    z = statistic / math.sqrt(variance)
    return CochranArmitage(statistic, z, float(_stats.norm.sf(z)), float(_stats.norm.cdf(z)), statistic / spread)


def gumbel_p(observed: np.ndarray | float, simulated: np.ndarray) -> np.ndarray:
    """Upper-tail p-value from a Gumbel distribution fitted to the replicates' maxima (method of moments).

    Monte Carlo p-values cannot fall below 1 / (R + 1); when many activities are tested at once that floor hides
    strong clusters from the false-discovery control. Abrams, Kleinman & Kulldorff (2010) show that the maxima of
    spatial scan replicates follow a Gumbel distribution closely in the upper tail: with the replicates' mean m and
    standard deviation s, ``β = s √6 / π``, ``μ = m − γ β`` (γ Euler's constant) and
    ``p = 1 − exp(−exp(−(x − μ) / β))``.

    Parameters
    ----------
    observed
        The observed statistic(s).
    simulated
        The replicates' maxima (at least 10, not all equal).

    Returns
    -------
    numpy.ndarray
        p-values in (0, 1], shaped as ``observed``; NaN when the fit is impossible.

    References
    ----------
    Abrams, A. M., Kleinman, K. & Kulldorff, M. (2010). Gumbel based p-value approximations for spatial scan
    statistics. *International Journal of Health Geographics* 9, 61.

    Examples
    --------
    >>> sims = np.random.default_rng(0).gumbel(5.0, 1.5, 9999)
    >>> round(float(gumbel_p(5.0 + 1.5 * 6.0, sims)), 4)   # exact: 1 - exp(-exp(-6)) = 0.00248
    0.0025
    """
    sims = np.asarray(simulated, dtype=float)
    obs = np.asarray(observed, dtype=float)
    sd = float(sims.std(ddof=1)) if sims.size > 1 else 0.0
    if sims.size < 10 or not sd > 0:
        return np.full(obs.shape, np.nan)
    beta = sd * math.sqrt(6) / math.pi
    mu = float(sims.mean()) - np.euler_gamma * beta
    return np.asarray(-np.expm1(-np.exp(-(obs - mu) / beta)))
