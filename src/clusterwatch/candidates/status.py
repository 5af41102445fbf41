"""A candidate's status and score, measured against the register's own base rates.

"Young", "rising" and "SME-driven" each mean *significantly more than the scanned register shows*: a register
whose firms are 40 % young, or whose yearly entries rise, does not make every concentration in it "emerging".

* young: more young firms (founded within ``recent_years`` of the date) than the register's young share — exact
  one-sided binomial test;
* rising / falling: the candidate's share of the register's yearly entries rises / falls over the last
  ``trend_periods`` complete years — Cochran–Armitage trend test (so a register-wide boom is not a rise);
* SME-driven / SME-poor: more / fewer small and medium firms than the register's share — exact binomial tests.

The young, rising and falling p-values of all candidates are adjusted together by Benjamini–Hochberg (one family,
so that on a background without signal the share of candidates labelled new stays near or below
``status_alpha``); the SME p-values form a second family. Where the register's founding dates cover too few
firms or too narrow a window, or a candidate has too few dated firms, ages are unknown and the status says so.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from clusterwatch.stats import benjamini_hochberg

__all__ = ["STATUSES", "assign_status", "score_of", "status_of"]

#: Every status, in the report's order.
STATUSES: tuple[str, ...] = ("spawning", "emerging", "established", "declining", "concentrated")


def status_of(*, young_q: float, rising_q: float, falling_q: float, sme_low_q: float, ages_known: bool,
              alpha: float = 0.05) -> str:
    """The status of a candidate from its adjusted base-rate tests (first rule that applies).

    * ``concentrated``: ages unknown (the register's or the candidate's founding dates do not allow a judgement);
    * ``spawning``: young (``young_q ≤ alpha``) and rising (``rising_q ≤ alpha``), and not SME-poor;
    * ``emerging``: young or rising;
    * ``declining``: falling (``falling_q ≤ alpha``);
    * ``established``: the rest — concentrated, with ages like the register's.

    Parameters
    ----------
    young_q, rising_q, falling_q
        q-values of the young-share, rising-trend and falling-trend tests.
    sme_low_q
        q-value of the test that the candidate holds fewer SMEs than the register (SME-poor when ≤ alpha).
    ages_known
        Whether the founding dates allow a judgement of age; without them the status is ``concentrated``.
    alpha
        The level the q-values are judged at.

    Examples
    --------
    >>> status_of(young_q=0.001, rising_q=0.01, falling_q=1.0, sme_low_q=float("nan"), ages_known=True)
    'spawning'
    >>> status_of(young_q=0.2, rising_q=0.3, falling_q=0.6, sme_low_q=0.5, ages_known=True)
    'established'
    >>> status_of(young_q=float("nan"), rising_q=float("nan"), falling_q=float("nan"), sme_low_q=0.5,
    ...           ages_known=False)
    'concentrated'
    """
    if not ages_known:
        return "concentrated"
    young = _passes(young_q, alpha)
    rising = _passes(rising_q, alpha)
    if young and rising and not _passes(sme_low_q, alpha):
        return "spawning"
    if young or rising:
        return "emerging"
    if _passes(falling_q, alpha):
        return "declining"
    return "established"


def _passes(q: float, alpha: float) -> bool:
    return q is not None and not (isinstance(q, float) and math.isnan(q)) and float(q) <= alpha


def assign_status(evidence: pd.DataFrame, *, alpha: float) -> pd.DataFrame:
    """Adjust the base-rate p-values across candidates and set ``status`` and ``trend`` (a copy).

    Parameters
    ----------
    evidence
        One row per candidate with ``young_p, rising_p, falling_p, sme_p, sme_low_p, ages_known``.
    alpha
        False-discovery rate of the Benjamini–Hochberg adjustment, and the level the q-values are judged at.

    Returns
    -------
    pandas.DataFrame
        A copy of ``evidence`` with ``young_q, rising_q, falling_q, sme_q, sme_low_q, sme_driven, trend, status``.
    """
    out = evidence.copy()
    family = ["young_p", "rising_p", "falling_p"]
    _adjust(out, family)
    _adjust(out, ["sme_p", "sme_low_p"])
    out["sme_driven"] = [_passes(q, alpha) for q in out["sme_q"]]
    out["trend"] = [
        "" if not known else ("rising" if _passes(r, alpha) else "falling" if _passes(f, alpha) else "flat")
        for known, r, f in zip(out["ages_known"], out["rising_q"], out["falling_q"], strict=True)]
    out["status"] = [
        status_of(young_q=y, rising_q=r, falling_q=f, sme_low_q=s, ages_known=bool(k), alpha=alpha)
        for y, r, f, s, k in zip(out["young_q"], out["rising_q"], out["falling_q"], out["sme_low_q"],
                                 out["ages_known"], strict=True)]
    return out


def _adjust(frame: pd.DataFrame, columns: list[str]) -> None:
    """BH over every finite p-value of ``columns`` together; NaN stays NaN."""
    values = frame[columns].to_numpy(dtype=float)
    finite = np.isfinite(values)
    adjusted = np.full(values.shape, np.nan)
    if finite.any():
        adjusted[finite] = benjamini_hochberg(values[finite])
    for k, column in enumerate(columns):
        frame[column.replace("_p", "_q")] = adjusted[:, k]


#: The score's weights (significance, strength, relative risk, young excess, entries trend): one place for the
#: score, its docstring, the README and the report's methods text.
SCORE_WEIGHTS: dict[str, float] = {"significance": 0.25, "strength": 0.35, "relative risk": 0.10,
                                   "young excess": 0.15, "entries trend": 0.15}


def score_of(*, q: float, llr: float, relative_risk: float, young_share: float, base_young_share: float,
             trend_z: float, permutations: int) -> float:
    """Ranking score in [0, 100], continuous so that real data do not tie:

    ``100 × (0.25 S + 0.35 G + 0.10 R + 0.15 Y + 0.15 T)`` with
    S = −log10(q) / log10(permutations + 1) capped at 1 (significance); G = ln(1 + LLR) / ln(1001) capped at 1
    (strength of the concentration: continuous where q sits at its floor, and growing with both the size and the
    excess of the cluster; an LLR of 1,000 scores 1); R = 1 − 1 / RR (relative risk of the candidate's strongest
    piece: 0 at RR 1, 0.9 at 10); Y = excess of the young share over the register's, (young − base) / (1 − base)
    clipped to [0, 1] (0 when ages are unknown); T = Φ(z) of the Cochran–Armitage trend of the candidate's share of
    the register's entries (0.5 when unknown).

    Parameters
    ----------
    q
        The candidate's q-value (S).
    llr
        Log-likelihood ratio of its strongest piece (G).
    relative_risk
        Relative risk of its strongest piece (R).
    young_share, base_young_share
        Share of young firms in the candidate and in the register (Y; NaN when ages are unknown).
    trend_z
        Cochran–Armitage z of the candidate's share of entries (T; NaN when unknown).
    permutations
        Monte Carlo replicates: the floor of q, so that S reaches 1 at the smallest q possible.

    Examples
    --------
    >>> score_of(q=0.001, llr=30.0, relative_risk=5.0, young_share=float("nan"), base_young_share=0.3,
    ...          trend_z=float("nan"), permutations=999)
    57.896703
    """
    s = min(1.0, -math.log10(max(q, 1e-300)) / math.log10(permutations + 1))
    g = min(1.0, math.log1p(llr) / math.log(1001.0)) if llr > 0 else 0.0
    r = 1.0 if not math.isfinite(relative_risk) else max(0.0, 1.0 - 1.0 / relative_risk) if relative_risk > 0 \
        else 0.0
    y = 0.0
    if math.isfinite(young_share) and math.isfinite(base_young_share) and base_young_share < 1:
        y = min(1.0, max(0.0, (young_share - base_young_share) / (1.0 - base_young_share)))
    t = 0.5 if not math.isfinite(trend_z) else 0.5 * math.erfc(-trend_z / math.sqrt(2))
    w = list(SCORE_WEIGHTS.values())
    return round(100.0 * (w[0] * s + w[1] * g + w[2] * r + w[3] * y + w[4] * t), 6)
