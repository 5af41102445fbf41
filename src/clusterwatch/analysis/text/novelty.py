"""When activities appear: per-year shares of texts, Mann–Kendall trends, onset and recency."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clusterwatch.stats.trend import mann_kendall

#: Years with fewer dated texts than this in the whole corpus are left out of the trend test: a share computed
#: from a handful of texts (the register's firms founded in the 1900s, SBIR's 18 abstracts of 2018) is noise.
TREND_MIN_TEXTS: int = 20

#: An activity's onset is the year by which this share of its dated texts had been written; it is ``new`` when its
#: onset falls in the recent window. (Its first text alone would not do: at 60 activities every SBIR activity has a
#: text placed in 1983–85, since a few early abstracts sit nearest to almost any theme.)
ONSET_SHARE: float = 0.1

#: Default number of recent years (ending at ``as_of``, or at the last dated text) in which an activity counts as
#: ``new`` when it first appears there.
RECENT_YEARS: int = 5


def novelty_tables(
    text_assignments: pd.DataFrame, ids: np.ndarray, as_of: pd.Timestamp | None, recent_years: int
) -> tuple[pd.DataFrame, pd.DataFrame, int | None]:
    """Per-year shares, Mann–Kendall trends and recency of each activity (dated texts only)."""
    dated = text_assignments.dropna(subset=["date"])
    columns = {"trend": pd.Series(pd.NA, index=ids, dtype="string"), "trend_tau": np.nan, "trend_p": np.nan,
               "recent_share": np.nan, "onset_period": pd.Series(pd.NA, index=ids, dtype="Int64"), "new": False}
    novelty = pd.DataFrame(columns, index=pd.Index(ids, name="activity_id"))
    empty = pd.DataFrame({"activity_id": pd.Series(dtype=object), "period": pd.Series(dtype=int),
                          "n_texts": pd.Series(dtype=int), "share": pd.Series(dtype=float)})
    if dated.empty:
        return novelty, empty, None
    years = pd.to_datetime(dated["date"]).dt.year.to_numpy()
    first_year, last_year = int(years.min()), int(years.max())
    if as_of is not None:
        last_year = max(last_year, as_of.year)
    span = np.arange(first_year, last_year + 1)
    recent_from = last_year - recent_years + 1
    totals = np.bincount(years - first_year, minlength=len(span)).astype(float)
    position = {a: i for i, a in enumerate(ids)}
    group = np.array([position.get(a, -1) for a in dated["activity_id"].to_numpy()])
    placed = group >= 0
    counts = np.zeros((len(ids), len(span)))
    np.add.at(counts, (group[placed], years[placed] - first_year), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(totals > 0, counts / np.where(totals > 0, totals, 1.0), 0.0)
    periods = pd.DataFrame(
        {
            "activity_id": np.repeat(ids, len(span)),
            "period": np.tile(span, len(ids)),
            "n_texts": counts.ravel().astype(int),
            "share": shares.ravel(),
        }
    )
    has_texts = counts.sum(axis=1) > 0
    in_recent = span >= recent_from
    trend_years = totals >= TREND_MIN_TEXTS
    if trend_years.sum() < 3:  # a small corpus: every year with texts
        trend_years = totals > 0
    for i, activity in enumerate(ids):
        if not has_texts[i]:
            continue
        novelty.loc[activity, "recent_share"] = counts[i, in_recent].sum() / counts[i].sum()
        # onset: the year by which ONSET_SHARE of its texts were written (a stray early text does not date it)
        reached = np.cumsum(counts[i]) >= ONSET_SHARE * counts[i].sum()
        onset = int(span[int(np.argmax(reached))])
        novelty.loc[activity, "onset_period"] = onset
        novelty.loc[activity, "new"] = bool(onset >= recent_from)
        # the trend runs over every well-filled year of the corpus (before its first text the share is 0)
        series = shares[i, trend_years]
        if len(series) >= 3:
            test = mann_kendall(series)
            novelty.loc[activity, "trend"] = str(test.trend[0])
            novelty.loc[activity, "trend_tau"] = float(test.tau[0])
            novelty.loc[activity, "trend_p"] = float(test.p[0])
        else:
            novelty.loc[activity, "trend"] = "none"
    novelty["new"] = novelty["new"].astype(bool)
    return novelty, periods, recent_from
