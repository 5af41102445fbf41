"""Predictive validity of candidate status: do candidates called spawning or emerging as of a past date see more
later entries in their activity and area than expected, and more than a simple growth baseline picks?

Two real registers, each cut at a past date; ``find_candidates`` sees only what was known then:

* ``seattle``: City of Seattle active business licences (format ``seattle-licences``; founded = licence start
  date; ZIP centroids; NAICS) as of 2022-12-31; later entries = licences started 2023-01-01 to the end of the
  data (Nov 2026). Caveat: the file holds licences active in 2026, so older cohorts are thinned by closures
  (survivorship); that thins the denominator (the stock as of the date) too, everywhere alike.
* ``sbir``: SBIR awards with addresses (format ``sbir-awards``; founded = first award year; ZIP centroids; no
  codes, so every activity is a text group of the award abstracts) as of 1998-12-31; later entries = firms whose
  first award is in 1999-2002. Caveat: the mirror lacks Phase I awards of 1997 and 2001-2002, so first awards in
  those years are undercounted everywhere alike.

Observed and expected later entries of a candidate. Its activities are its pieces: ``naics:XXXX`` = firms whose
code starts with XXXX, ``cluster:NN`` = firms whose code :func:`clusterwatch.codes.naics_to_cluster` puts in
benchmark cluster NN, ``text:...`` = the text group, ``entries:young`` = the firms founded within
``recent_years`` of the date (for later firms: every entrant, so that its null is that entries land where the
recent ones did). A later firm is *in the candidate* when it belongs to one of
its activities and lies in its circle (centre, ``radius_km``). Then

    observed = later firms in the candidate,
    expected = later firms of its activities anywhere x (share of the activities' firms as of the date that lie
               in the circle),

so observed / expected > 1 means entries are more concentrated in the place than the activity's stock already is
(the null: later entries of an activity land where its firms are). Text groups are re-assigned to later firms by
their texts: a later firm joins the text group most common among its 10 nearest as-of firms (cosine of TF-IDF of
award titles and abstracts, the later firm's up to the end of the outcome window; on SBIR the groups partition
the firms, so each later firm joins one); as-of firms keep the
groups ``find_candidates`` made (reproduced with :func:`clusterwatch.candidates.build_activities` and the same
seed, and checked against the result). Seattle has no texts; its candidates are code pieces only.

Compared, with bootstrap 95 % intervals (candidates, or cells, resampled):

(i) spawning/emerging candidates vs established/declining ones: mean and pooled (sum O / sum E) ratio;
(ii) a baseline: ZIP x activity cells (NAICS 4-digit x ZIP for Seattle; text group x 3-digit ZIP area for SBIR,
     whose 6,651 firms spread over some 3,000 ZIPs, so that 5-digit cells hold one or two firms and only one has
     3 recent entries, while its candidates' circles span 5-20 km, about a 3-digit area) with at least
     3 entries in the 3 years before the date, ranked by growth (entries in the last 3 years + 1) / (entries in
     the 3 years before that + 1), ties by recent entries; the top N cells, N = the number of spawning/emerging
     candidates (at least ``--min-baseline`` so that the baseline is never empty), with the same O / E. Summed
     over all cells, O / E is the share of later entries that land in a ZIP already holding their activity
     (printed): the level a place picked at random reaches, below 1 since entries also land in new places.

The diagnosis (printed per source and seed): (1) the register's dates (coverage, the commonest day of the year —
year-only dates fall on 1 January —, firms per founding year, later entries per year, the register's entries in the
trend years); (2) the status tests behind the labels (how many candidates pass young / rising after BH, the
smallest q-values, the candidates' young shares against the register's); (3) *rules compared*: the default rule
(spawning or emerging) and variants of it — young and rising both, young alone, rising alone, the top N by the
entries trend's z, by the young excess, by the score — each with O / E against the stock (as above) and against
the *recent pace* (E = later entries of its activities anywhere x the circle's share of their firms founded within
``recent_years`` of the date; O / E below 1 there, with O / E stock above it, is regression to the mean: places
picked for a recent burst get fewer later entries than the burst promised); (4) the size of the areas (Spearman
of O / E and the stock a circle holds; circle radii); (5) the baseline's cells (how many recent and prior entries
the top cells had: growth ratios of small counts pick noise).

Run (about 5 minutes on 2 cores)::

    .venv/bin/python bench/bench_predictive.py --permutations 999

Small: ``--permutations 99 --sources seattle``. ``--seeds`` repeats the scan with other seeds (candidates pooled
per seed; the table shows each seed).
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _candidates_common import NEW_STATUSES, bootstrap, core_api, fmt_interval, load, pieces_of, run_candidates  # noqa: E402
from clusterwatch.analysis.geometry import haversine_km  # noqa: E402
from clusterwatch.codes import naics_to_cluster, truncate  # noqa: E402

#: source -> (as-of date, end of the outcome window, use text, ZIP digits of the baseline's cells)
SETTINGS: dict[str, tuple[str, str, bool, int]] = {
    "seattle": ("2022-12-31", "2026-12-31", False, 5),
    "sbir": ("1998-12-31", "2002-12-31", True, 3),
}
OLD_STATUSES = frozenset({"established", "declining"})
NEIGHBOURS = 10


# ----------------------------------------------------------------------------------------------------------------
# activity membership of any firm table
# ----------------------------------------------------------------------------------------------------------------


def code_member(firms: pd.DataFrame, activity_id: str) -> np.ndarray:
    """Firms (rows) in a code activity: ``naics:XXXX`` by prefix, ``cluster:NN`` by benchmark cluster."""
    kind, _, key = activity_id.partition(":")
    codes = (firms["codes"] if "codes" in firms else firms["code"]).fillna(firms["code"]).astype("string")
    long = codes.str.split(";").explode().str.strip()
    long = long[long.notna() & (long != "")]
    row = pd.Series(np.arange(len(firms)), index=firms.index).loc[long.index].to_numpy()
    values = pd.Series(long.to_numpy(), dtype="string")
    if kind == "cluster":
        hit = (naics_to_cluster(values).cluster_code.astype("Int64") == int(key)).fillna(False).to_numpy(bool)
    elif kind == "naics":
        hit = (truncate(values, "naics", len(key)) == key).fillna(False).to_numpy(bool)
    else:
        raise ValueError(f"not a code activity: {activity_id}")
    out = np.zeros(len(firms), dtype=bool)
    out[row[hit]] = True
    return out


class TextGroups:
    """Text groups of the as-of firms (as find_candidates made them) and their re-assignment to later firms."""

    def __init__(self, before: pd.DataFrame, later: pd.DataFrame, events: pd.DataFrame, result: Any,
                 rng: int, as_of: pd.Timestamp, end: pd.Timestamp) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.neighbors import NearestNeighbors

        from clusterwatch.candidates.core import build_activities, select_firms
        from clusterwatch.snapshot import known_on
        from clusterwatch.stats import resolve_seed

        scanned, _ = select_firms(before, result.config, as_of)
        known = known_on(events, as_of, kind="events")
        known = known[known["firm_id"].astype(str).isin(set(scanned["firm_id"]))]
        acts, _, _ = build_activities(scanned, known, result.config, resolve_seed(rng), as_of=as_of)
        self.members = {a.activity_id: set(scanned["firm_id"].to_numpy()[a.members]) for a in acts
                        if a.source == "text"}
        stored = result.activities.set_index("activity_id")["n_firms"]
        wrong = [i for i, m in self.members.items() if i in stored.index and int(stored[i]) != len(m)]
        missing = sorted(set(stored.index[stored.index.str.startswith("text:")]) - set(self.members))
        if wrong or missing:
            raise SystemExit(f"text groups not reproduced (differ: {wrong[:5]}, missing: {missing[:5]})")
        dated = events.assign(date=pd.to_datetime(events["date"]), firm_id=events["firm_id"].astype(str),
                                  doc=events["title"].fillna("").astype(str) + ". "
                                  + events["text"].fillna("").astype(str))
        docs = dated[dated["date"] <= end].groupby("firm_id")["doc"].agg(" ".join)
        before_docs = dated[dated["date"] <= as_of].groupby("firm_id")["doc"].agg(" ".join)
        self.before_ids = scanned["firm_id"].to_numpy()
        vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=2, max_df=0.5)
        fitted = vectorizer.fit_transform(before_docs.reindex(self.before_ids).fillna(""))
        later_ids = later["firm_id"].astype(str).to_numpy()
        queries = vectorizer.transform(docs.reindex(later_ids).fillna(""))
        neighbours = NearestNeighbors(n_neighbors=NEIGHBOURS, metric="cosine").fit(fitted)
        self.later_neighbours = self.before_ids[neighbours.kneighbors(queries, return_distance=False)]
        self.later_ids = later_ids
        self.later_group = self._plurality()

    def before_member(self, before: pd.DataFrame, activity_id: str) -> np.ndarray:
        return before["firm_id"].astype(str).isin(self.members[activity_id]).to_numpy()

    def later_member(self, activity_id: str) -> np.ndarray:
        return self.later_group == activity_id

    def _plurality(self) -> np.ndarray:
        """Each later firm's group: the most common among its nearest as-of firms (ties: the nearer one's)."""
        group_of = {f: g for g, members in self.members.items() for f in members}
        labels = np.vectorize(lambda f: group_of.get(f, ""), otypes=[object])(self.later_neighbours)
        out = np.empty(len(labels), dtype=object)
        for i, row in enumerate(labels):
            named = [g for g in row if g]
            if not named:
                out[i] = ""
                continue
            counts = {g: named.count(g) for g in named}
            top = max(counts.values())
            out[i] = next(g for g in named if counts[g] == top)  # neighbours are sorted nearest first
        return out


class Membership:
    """``member(which, activity_id)``: the firms of ``before`` or ``later`` in an activity (cached)."""

    def __init__(self, before: pd.DataFrame, later: pd.DataFrame, groups: TextGroups | None, *,
                 young_from: pd.Timestamp) -> None:
        self.frames = {"before": before, "later": later}
        self.groups = groups
        self.young_from = young_from
        self.cache: dict[tuple[str, str], np.ndarray] = {}

    def __call__(self, which: str, activity_id: str) -> np.ndarray:
        if (which, activity_id) not in self.cache:
            if activity_id == "entries:young":  # the young firms: as of the date, those of the last years; later,
                frame = self.frames[which]     # every entrant (the null: entries land where recent ones did)
                self.cache[(which, activity_id)] = (
                    (pd.to_datetime(frame["founded"]) >= self.young_from).to_numpy(dtype=bool) if which == "before"
                    else np.ones(len(frame), dtype=bool))
            elif activity_id.startswith("text:"):
                if self.groups is None:
                    raise SystemExit(f"{activity_id}: a text piece in a run without text")
                self.cache[(which, activity_id)] = (
                    self.groups.before_member(self.frames["before"], activity_id) if which == "before"
                    else self.groups.later_member(activity_id))
            else:
                self.cache[(which, activity_id)] = code_member(self.frames[which], activity_id)
        return self.cache[(which, activity_id)]

    def keys(self, which: str, zip_digits: int) -> tuple[pd.Series, pd.Series]:
        """The baseline's activities, long (firm row -> NAICS 4-digit code or text group), and the firms' ZIPs."""
        frame = self.frames[which]
        zips = frame["postcode"].astype("string").str[:zip_digits].fillna("?").reset_index(drop=True)
        if self.groups is None:
            keys = truncate(frame["code"].astype("string"), "naics", 4).reset_index(drop=True).dropna()
        else:
            parts = [pd.Series(i, index=np.flatnonzero(self(which, i))) for i in self.groups.members]
            keys = pd.concat(parts) if parts else pd.Series(dtype=object)
        return keys, zips


# ----------------------------------------------------------------------------------------------------------------
# observed / expected
# ----------------------------------------------------------------------------------------------------------------


def observed_expected(before: pd.DataFrame, later: pd.DataFrame, candidates: pd.DataFrame,
                      member: Callable[[str, str], np.ndarray], *,
                      recent_from: pd.Timestamp | None = None) -> pd.DataFrame:
    """Per candidate: later entries observed in it and expected from its activities' stock (module docstring).

    With ``recent_from``, also the circle's share of its activities' *recent* firms (founded since then),
    ``recent_share``, and ``expected_recent`` = later firms of its activities anywhere x that share: the
    expectation of a place whose recent pace simply goes on (the diagnosis of regression to the mean).
    """
    recent = (pd.to_datetime(before["founded"]) >= recent_from).to_numpy(dtype=bool) if recent_from is not None \
        else None
    rows = []
    for cand, ids in zip(candidates.itertuples(index=False), pieces_of(candidates), strict=True):
        in_before = np.zeros(len(before), dtype=bool)
        in_later = np.zeros(len(later), dtype=bool)
        for activity_id in ids:
            in_before |= member("before", activity_id)
            in_later |= member("later", activity_id)
        near_before = _inside(before, cand)
        near_later = _inside(later, cand)
        stock = int(in_before.sum())
        share = (in_before & near_before).sum() / stock if stock else float("nan")
        observed = int((in_later & near_later).sum())
        expected = float(in_later.sum() * share)
        row = {"candidate_id": cand.candidate_id, "status": cand.status, "pieces": ";".join(ids),
               "n_firms": int(cand.n_firms), "stock_in_circle": int((in_before & near_before).sum()),
               "later_anywhere": int(in_later.sum()), "observed": observed, "expected": expected,
               "ratio": observed / expected if expected > 0 else float("nan"),
               "stock_share": share, "later_share": observed / in_later.sum() if in_later.sum() else float("nan")}
        if recent is not None:
            pool = in_before & recent
            r_share = (pool & near_before).sum() / pool.sum() if pool.sum() else float("nan")
            row.update({"recent_in_circle": int((pool & near_before).sum()), "circle_recent_share": r_share,
                        "expected_recent": float(in_later.sum() * r_share) if np.isfinite(r_share) else float("nan")})
        rows.append(row)
    return pd.DataFrame(rows)


def _inside(firms: pd.DataFrame, cand: Any) -> np.ndarray:
    distance = haversine_km(np.array([cand.lat]), np.array([cand.lon]), firms["lat"].to_numpy(dtype=float),
                            firms["lon"].to_numpy(dtype=float))
    return np.asarray(distance, dtype=float).reshape(-1) <= float(cand.radius_km) + 1e-6


def baseline_cells(before: pd.DataFrame, later: pd.DataFrame, as_of: pd.Timestamp,
                   activity_of: Callable[[str], tuple[pd.Series, pd.Series]]) -> pd.DataFrame:
    """ZIP x activity cells ranked by entry growth before the date, with their later O / E (module docstring).

    ``activity_of(which)`` gives, for ``"before"`` / ``"later"``, a long Series firm row -> activity key (a firm
    may be in several activities) and the firms' ZIPs.
    """
    b_key, b_zip = activity_of("before")
    l_key, l_zip = activity_of("later")
    founded = pd.to_datetime(before["founded"]).to_numpy()[b_key.index.to_numpy()]
    recent_from, prior_from = as_of - pd.DateOffset(years=3), as_of - pd.DateOffset(years=6)
    stock = pd.DataFrame({"activity": b_key.to_numpy(), "zip": b_zip.to_numpy()[b_key.index.to_numpy()],
                          "recent": founded > np.datetime64(recent_from),
                          "prior": (founded > np.datetime64(prior_from)) & (founded <= np.datetime64(recent_from))})
    cells = stock.groupby(["activity", "zip"]).agg(stock=("recent", "size"), recent=("recent", "sum"),
                                                   prior=("prior", "sum")).reset_index()
    cells["share"] = cells["stock"] / cells.groupby("activity")["stock"].transform("sum")
    later_frame = pd.DataFrame({"activity": l_key.to_numpy(), "zip": l_zip.to_numpy()[l_key.index.to_numpy()]})
    anywhere = later_frame.groupby("activity").size()
    observed = later_frame.groupby(["activity", "zip"]).size()
    cells["later_anywhere"] = cells["activity"].map(anywhere).fillna(0).astype(int)
    cells["observed"] = [int(observed.get((a, z), 0)) for a, z in zip(cells["activity"], cells["zip"], strict=True)]
    cells["expected"] = cells["later_anywhere"] * cells["share"]
    cells["ratio"] = np.where(cells["expected"] > 0, cells["observed"] / cells["expected"].where(
        cells["expected"] > 0, 1.0), np.nan)
    recent_total = cells.groupby("activity")["recent"].transform("sum")
    cells["expected_recent"] = cells["later_anywhere"] * (cells["recent"] / recent_total.where(recent_total > 0))
    cells["growth"] = (cells["recent"] + 1) / (cells["prior"] + 1)
    cells["eligible"] = cells["recent"] >= 3
    return cells.sort_values(["eligible", "growth", "recent", "activity", "zip"],
                             ascending=[False, False, False, True, True]).reset_index(drop=True)


def _mean(v: np.ndarray) -> float:
    return float(np.nanmean(v[:, 2])) if len(v) else float("nan")


def _pooled(v: np.ndarray) -> float:
    return float(v[:, 0].sum() / v[:, 1].sum()) if len(v) and v[:, 1].sum() > 0 else float("nan")


def summarise(frame: pd.DataFrame, name: str, seed: int) -> dict[str, object]:
    values = frame[["observed", "expected", "ratio"]].to_numpy(dtype=float)
    values = values[values[:, 1] > 0] if len(values) else values
    mean = bootstrap(values, _mean, seed=seed)
    pooled = bootstrap(values, _pooled, seed=seed)
    above = int((values[:, 0] > values[:, 1]).sum()) if len(values) else 0
    return {"group": name, "n": len(values), "observed": int(values[:, 0].sum()) if len(values) else 0,
            "expected": round(float(values[:, 1].sum()), 1) if len(values) else 0.0,
            "mean O/E [95% CI]": fmt_interval(*mean), "pooled O/E [95% CI]": fmt_interval(*pooled),
            "O > E": f"{above}/{len(values)}"}


def difference(a: pd.DataFrame, b: pd.DataFrame, seed: int, replicates: int = 2000) -> str:
    """Pooled O/E of a minus that of b, bootstrap 95 % interval (each group resampled on its own)."""
    va = a[["observed", "expected"]].to_numpy(float)
    vb = b[["observed", "expected"]].to_numpy(float)
    va, vb = va[va[:, 1] > 0], vb[vb[:, 1] > 0]
    if not len(va) or not len(vb):
        return "- (a group is empty)"
    rng = np.random.default_rng(seed)
    def pooled(v: np.ndarray) -> float:
        return float(v[:, 0].sum() / v[:, 1].sum())
    draws = [pooled(va[rng.integers(0, len(va), len(va))]) - pooled(vb[rng.integers(0, len(vb), len(vb))])
             for _ in range(replicates)]
    low, high = np.quantile(draws, [0.025, 0.975])
    return fmt_interval(pooled(va) - pooled(vb), float(low), float(high))


# ----------------------------------------------------------------------------------------------------------------
# the diagnosis: why the "new" labels do (not) predict later entries
# ----------------------------------------------------------------------------------------------------------------


def _pooled_pair(frame: pd.DataFrame, expected: str, seed: int) -> str:
    """Pooled O / ``expected`` with its bootstrap interval (rows with a positive expectation)."""
    v = frame[["observed", expected]].to_numpy(dtype=float) if len(frame) else np.zeros((0, 2))
    v = v[np.isfinite(v[:, 1]) & (v[:, 1] > 0)]
    stat = functools.partial(lambda x: float(x[:, 0].sum() / x[:, 1].sum()) if len(x) and x[:, 1].sum() else
                             float("nan"))
    return fmt_interval(*bootstrap(v, stat, seed=seed))


def rule_groups(candidates: pd.DataFrame, oe: pd.DataFrame, top_n: int, alpha: float) -> dict[str, pd.DataFrame]:
    """Candidates picked by the default rule and by variants of it (each a subset of ``oe``'s rows).

    Variants: young and rising both (spawning only); young alone; rising alone; the top ``top_n`` by the entries
    trend's z (the candidate's share of the register's entries rising most), by the young excess (young share
    minus the register's), by the score.
    """
    c = candidates.set_index("candidate_id").loc[oe["candidate_id"]].reset_index()
    known = c["status"] != "concentrated"
    excess = (c["recent_share"] - c["base_recent_share"]).where(known)
    picks = {
        "default: spawning/emerging": c["status"].isin(NEW_STATUSES),
        "spawning only (young and rising)": c["status"] == "spawning",
        "young (young_q <= alpha)": c["young_q"] <= alpha,
        "rising (rising_q <= alpha)": c["rising_q"] <= alpha,
        f"top {top_n} by trend z": c.index.isin(c["trend_z"].where(known).nlargest(top_n).index),
        f"top {top_n} by young excess": c.index.isin(excess.nlargest(top_n).index),
        f"top {top_n} by score": c.index.isin(c["score"].where(known).nlargest(top_n).index),
        "established/declining": c["status"].isin(OLD_STATUSES),
        "all candidates": pd.Series(True, index=c.index),
    }
    return {name: oe[np.asarray(mask, dtype=bool)] for name, mask in picks.items()}


def diagnose(name: str, result: Any, before: pd.DataFrame, later: pd.DataFrame, oe: pd.DataFrame,
             cells: pd.DataFrame, top: pd.DataFrame, top_n: int, seed: int) -> list[dict[str, object]]:
    """Print the figures that say why the labels do or do not predict; returns the variant rules' rows."""
    base = result.base_rates
    cand = result.candidates
    alpha = result.config.status_alpha
    print(f"  -- diagnosis ({name}, seed {seed}) --")
    # 1. the register's dates: what 'founded' is, and how the cohorts look
    founded = pd.to_datetime(before["founded"])
    years = founded.dt.year.value_counts().sort_index()
    last = years.loc[years.index >= years.index.max() - 11]
    later_years = pd.to_datetime(later["founded"]).dt.year.value_counts().sort_index()
    day = founded.dt.strftime("%m-%d").value_counts()
    print(f"  dates: {base.n_dated:,} of {base.n_firms:,} scanned firms dated ({base.date_coverage:.0%}), "
          f"{base.dated_years} distinct years; young share {base.young_share:.3f}; most common day of year "
          f"{day.index[0]} holds {day.iloc[0] / len(founded):.1%} of dates; {founded.nunique():,} distinct dates")
    print("  as-of firms per founding year (last 12): " + ", ".join(f"{y}: {n:,}" for y, n in last.items()))
    print("  later entries per year: " + ", ".join(f"{y}: {n:,}" for y, n in later_years.items()))
    print("  register entries in the trend years: " + ", ".join(f"{y}: {e:,}" for y, e in
                                                                zip(base.years, base.entries, strict=True)))
    # 2. the status tests behind the labels
    if len(cand):
        known = cand[cand["status"] != "concentrated"]
        print(f"  candidates {len(cand)}, ages known {len(known)}; young q <= {alpha} (BH): "
              f"{int((cand['young_q'] <= alpha).sum())} (smallest q {cand['young_q'].min():.3f}); rising: "
              f"{int((cand['rising_q'] <= alpha).sum())} (smallest q {cand['rising_q'].min():.3f}); falling "
              f"{int((cand['falling_q'] <= alpha).sum())}; "
              f"candidate young share median {known['recent_share'].median():.3f} (register {base.young_share:.3f}), "
              f"above the register's: {int((known['recent_share'] > base.young_share).sum())}/{len(known)}; "
              f"trend z median {known['trend_z'].median():.2f}")
    # 3. regression to the mean: later entries against the stock's share and against the recent entrants' share
    groups = rule_groups(cand, oe, top_n, alpha)
    groups[f"baseline top {top_n} cells"] = top
    rows = []
    for group, frame in groups.items():
        v = frame[frame["expected"] > 0]
        stock = float((v["stock_share"] * v["later_anywhere"]).sum() / v["later_anywhere"].sum()) \
            if "stock_share" in v and len(v) else float("nan")
        rows.append({"rule": group, "n": len(v), "O": int(v["observed"].sum()),
                     "E (stock)": round(float(v["expected"].sum()), 1),
                     "E (recent pace)": round(float(v["expected_recent"].sum()), 1),
                     "O/E stock [95% CI]": _pooled_pair(v, "expected", seed),
                     "O/E recent pace [95% CI]": _pooled_pair(v, "expected_recent", seed),
                     "median stock in circle": float(v["stock_in_circle"].median()) if "stock_in_circle" in v
                     else float(v["stock"].median()) if len(v) else float("nan"),
                     "weighted stock share": round(stock, 4)})
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 220, "display.max_columns", 20):
        print(table.to_string(index=False))
    # 4. size of the areas: does O/E fall with the stock the circle already holds?
    v = oe[oe["expected"] > 0]
    if len(v) > 3:
        rho = v["ratio"].rank().corr(v["stock_in_circle"].rank())
        new = v[v["status"].isin(NEW_STATUSES)]
        old = v[v["status"].isin(OLD_STATUSES)]
        radius = cand.set_index("candidate_id")["radius_km"]
        print(f"  size: Spearman(O/E, stock in circle) {rho:.2f} over {len(v)} candidates; median stock in circle "
              f"new {new['stock_in_circle'].median():.0f} vs others {old['stock_in_circle'].median():.0f}; "
              f"median radius new {radius.loc[new['candidate_id']].median():.2f} km vs others "
              f"{radius.loc[old['candidate_id']].median():.2f} km; young-firms pieces among the new: "
              f"{int(new['pieces'].str.contains('entries:young').sum())}/{len(new)}")
    # 5. the baseline picks cells by the growth that its outcome measures again
    eligible = cells[cells["eligible"]]
    print(f"  baseline: eligible cells pooled O/E {eligible['observed'].sum() / eligible['expected'].sum():.3f}, "
          f"vs recent pace {eligible['observed'].sum() / eligible['expected_recent'].sum():.3f}; top {top_n}: "
          f"median recent entries {top['recent'].median():.0f}, prior {top['prior'].median():.0f}, stock "
          f"{top['stock'].median():.0f}")
    return [dict(r, source=name, seed=seed) for r in rows]


# ----------------------------------------------------------------------------------------------------------------
# one source
# ----------------------------------------------------------------------------------------------------------------


def run_source(name: str, args: argparse.Namespace,
               diagnosis: list[dict[str, object]]) -> list[dict[str, object]]:
    as_of_text, end_text, text, zip_digits = SETTINGS[name]
    as_of, end = pd.Timestamp(as_of_text), pd.Timestamp(end_text)
    firms, events = load(name)
    firms = firms[firms["lat"].notna() & firms["lon"].notna()].copy()
    firms["firm_id"] = firms["firm_id"].astype(str)
    founded = pd.to_datetime(firms["founded"])
    before = firms[founded <= as_of].reset_index(drop=True)
    later = firms[(founded > as_of) & (founded <= end)].reset_index(drop=True)
    use_text = text and not args.no_text
    print(f"\n== {name}: as of {as_of.date()}: {len(before):,} firms; later entries "
          f"{as_of.date() + pd.Timedelta(days=1)} .. {pd.to_datetime(later['founded']).max().date()}: "
          f"{len(later):,}; text {'on' if use_text else 'off'}", flush=True)
    out = []
    for seed in range(args.seed, args.seed + args.seeds):
        result, seconds, _ = run_candidates(before, events if use_text else None, as_of=as_of,
                                            permutations=args.permutations, use_text=use_text,
                                            kd_max_candidates=0, rng=seed)
        candidates = result.candidates
        print(f"seed {seed}: {len(candidates)} candidates in {seconds:.0f} s; statuses "
              f"{candidates['status'].value_counts().to_dict()}", flush=True)
        groups = TextGroups(before, later, events, result, seed, as_of, end) if use_text else None
        if groups is not None:
            grouped = set().union(*groups.members.values()) if groups.members else set()
            assigned = np.zeros(len(later), dtype=bool)
            for activity_id in groups.members:
                assigned |= groups.later_member(activity_id)
            print(f"  text groups: {len(groups.members)} (reproduced: same ids and sizes as the result); as-of firms "
                  f"in one: {len(grouped & set(before['firm_id'])) / len(before):.0%}, later firms re-assigned to "
                  f"one: {assigned.mean():.0%}")
        member = Membership(before, later, groups,
                            young_from=as_of - pd.DateOffset(years=result.config.recent_years))
        oe = observed_expected(before, later, candidates, member,
                               recent_from=as_of - pd.DateOffset(years=result.config.recent_years))
        cells = baseline_cells(before, later, as_of, functools.partial(member.keys, zip_digits=zip_digits))
        new = oe[oe["status"].isin(NEW_STATUSES)]
        old = oe[oe["status"].isin(OLD_STATUSES)]
        top_n = max(len(new), args.min_baseline)
        top = cells[cells["eligible"]].head(top_n)
        total = cells["observed"].sum() / cells["expected"].sum() if cells["expected"].sum() else float("nan")
        rows = [summarise(new, "spawning/emerging", seed), summarise(old, "established/declining", seed),
                summarise(oe, "all candidates", seed), summarise(top, f"baseline top {top_n} cells", seed)]
        for row in rows:
            row.update({"source": name, "seed": seed})
        out += rows
        eligible = int(cells["eligible"].sum())
        print(f"  cells (activity x {zip_digits}-digit ZIP): {len(cells):,} ({eligible:,} with >= 3 recent entries); "
              f"all cells pooled O/E {total:.3f} (the reference level: later entries landing in ZIPs without "
              "their activity count in E, not in O)")
        print(f"  pooled O/E difference, spawning/emerging - established/declining: {difference(new, old, seed)}; "
              f"spawning/emerging - baseline: {difference(new, top, seed)}")
        diagnosis += diagnose(name, result, before, later, oe, cells, top, top_n, seed)
        if args.verbose:
            with pd.option_context("display.width", 220, "display.max_colwidth", 60):
                print(oe.round(2).to_string(index=False))
                print(top.head(top_n).round(2).to_string(index=False))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", nargs="+", choices=sorted(SETTINGS), default=sorted(SETTINGS, reverse=True))
    parser.add_argument("--seeds", type=int, default=1, help="scans with seeds --seed, --seed + 1, ...")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--min-baseline", type=int, default=5, help="fewest baseline cells compared")
    parser.add_argument("--no-text", action="store_true", help="SBIR without text groups (it then has none)")
    parser.add_argument("--verbose", action="store_true", help="print every candidate and baseline cell")
    args = parser.parse_args()
    started = time.perf_counter()
    rows: list[dict[str, object]] = []
    diagnosis: list[dict[str, object]] = []
    for name in args.sources:
        rows += run_source(name, args, diagnosis)
    table = pd.DataFrame(rows)[["source", "seed", "group", "n", "observed", "expected", "mean O/E [95% CI]",
                                "pooled O/E [95% CI]", "O > E"]]
    print(f"\nfind_candidates ({core_api()} core), {args.permutations} replicates, Kd off; later entries observed "
          "(O) and expected from the activity's stock (E); bootstrap 95 % intervals over candidates / cells")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False))
    if diagnosis:
        print("\nrules compared (O/E stock: later entries against the circle's share of its activities' stock; O/E "
              "recent pace: against its share of their recent firms, i.e. the recent pace going on)")
        with pd.option_context("display.width", 220, "display.max_columns", 20):
            print(pd.DataFrame(diagnosis)[["source", "seed", "rule", "n", "O", "E (stock)", "E (recent pace)",
                                           "O/E stock [95% CI]", "O/E recent pace [95% CI]"]].to_string(index=False))
    print(f"wall time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
