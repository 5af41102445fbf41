"""Esri's emerging hot spot categories, decided from each location's hot/cold history and Gi* trend.

The rules (Esri, *How Emerging Hot Spot Analysis works*), for a series of ``n`` periods whose last is the final one:

========================  ==========================================================================================
new                       hot in the final period and never hot before
consecutive               an uninterrupted run of ≥ 2 hot periods ending in the final one, never hot before that run,
                          hot in < 90 % of the periods
intensifying              hot in ≥ 90 % of the periods including the final one; significant increasing Gi* trend
persistent                hot in ≥ 90 % of the periods including the final one; no significant trend
diminishing               hot in ≥ 90 % of the periods including the final one; significant decreasing Gi* trend
sporadic                  hot in the final period, hot before the final run too (on again, off again), hot in < 90 %,
                          never cold
oscillating               hot in the final period, hot before the final run too, hot in < 90 %, cold in some earlier
                          period
historical                not hot in the final period, hot in ≥ 90 % of the periods (all n of them, the final one
                          included: Esri's "at least ninety percent of the time-step intervals"), so a series of
                          fewer than 10 periods is never historical
========================  ==========================================================================================

Cold-spot categories mirror these (for cold spots "intensifying" means a significant *decreasing* Gi* trend: the
clustering of low counts grows stronger). Every location gets exactly one category, decided in this order: the
final period's state first (hot → a hot category, cold → a cold category, neither → historical or no pattern);
then the ≥ 90 % rule; then new, consecutive, oscillating, sporadic. Where Esri's wording lets two categories fit,
that order settles it, and it is where R ``sfdep`` differs:

* a location cold earlier and hot only in the final period is *new* (Esri: "never been a hot spot before"; sfdep
  requires no earlier significant bin of either kind, and calls it oscillating);
* a location whose only hot periods are a final run, after earlier cold spots, is *consecutive* (same reason);
* *sporadic* needs a hot final period (sfdep does not check it); *historical* needs only a final period that is
  not hot (sfdep needs a negative Gi*), with the 90 % counted over all periods, as Esri words it;
* *persistent* needs the final period hot (sfdep does not check it) — otherwise the location is historical;
* the trend test has its own level ``trend_alpha`` (sfdep reuses the Gi* threshold).

A location that is hot in ≥ 90 % of the periods but cold in the final one is a cold category (the final
state first), not a historical hot spot.
"""

from __future__ import annotations

import numpy as np

#: Every category, in the order of the legend: hot spots, cold spots, then no pattern.
CATEGORIES: tuple[str, ...] = (
    "new hot spot", "consecutive hot spot", "intensifying hot spot", "persistent hot spot",
    "diminishing hot spot", "sporadic hot spot", "oscillating hot spot", "historical hot spot",
    "new cold spot", "consecutive cold spot", "intensifying cold spot", "persistent cold spot",
    "diminishing cold spot", "sporadic cold spot", "oscillating cold spot", "historical cold spot",
    "no pattern detected",
)
_KINDS = ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "oscillating", "historical")


def _share_at_least_90(count: int, total: int) -> bool:
    return total > 0 and 10 * count >= 9 * total  # exact in integers: no 0.9 rounding


def _side(same: np.ndarray, other: np.ndarray, trend: int, stronger: int) -> str:
    """The category kind of a location whose final period is significant on the side ``same``."""
    n = same.size
    count = int(same.sum())
    if _share_at_least_90(count, n):
        if trend == stronger:
            return "intensifying"
        if trend == -stronger:
            return "diminishing"
        return "persistent"
    if count == 1:
        return "new"
    run = 0
    for value in same[::-1]:
        if not value:
            break
        run += 1
    if run == count:
        return "consecutive"
    if other[:-1].any():
        return "oscillating"
    return "sporadic"


def classify(hot: np.ndarray, cold: np.ndarray, trend: np.ndarray) -> np.ndarray:
    """The emerging hot spot category of every location.

    Parameters
    ----------
    hot, cold
        Boolean, shape (locations, periods): significant hot / cold spot bins (never both in one bin).
    trend
        Per location: +1 significant increasing Gi* trend, -1 significant decreasing, 0 none.

    Returns
    -------
    numpy.ndarray
        One of :data:`CATEGORIES` per location (object dtype).

    Examples
    --------
    >>> hot = np.array([[0, 0, 0, 1], [0, 1, 1, 1], [0, 1, 0, 1], [1, 1, 1, 0]], dtype=bool)
    >>> classify(hot, np.zeros_like(hot), np.zeros(4, dtype=int)).tolist()   # 3 of 4 hot, not now: under 90 %
    ['new hot spot', 'consecutive hot spot', 'sporadic hot spot', 'no pattern detected']
    >>> historical = np.array([[1] * 9 + [0]], dtype=bool)                    # 9 of 10 intervals hot, not now
    >>> classify(historical, np.zeros_like(historical), np.zeros(1, dtype=int)).tolist()
    ['historical hot spot']
    """
    hot = np.asarray(hot, dtype=bool)
    cold = np.asarray(cold, dtype=bool)
    trend = np.asarray(trend, dtype=np.int64)
    out = np.empty(hot.shape[0], dtype=object)
    for i in range(hot.shape[0]):
        h, c = hot[i], cold[i]
        if h[-1]:
            out[i] = f"{_side(h, c, int(trend[i]), +1)} hot spot"
        elif c[-1]:
            out[i] = f"{_side(c, h, int(trend[i]), -1)} cold spot"
        elif _share_at_least_90(int(h.sum()), h.size):  # over every period, the final (not hot) one included
            out[i] = "historical hot spot"
        elif _share_at_least_90(int(c.sum()), c.size):
            out[i] = "historical cold spot"
        else:
            out[i] = "no pattern detected"
    return out
