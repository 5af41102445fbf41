"""Candidates: the analyses' evidence combined into ranked cluster candidates (an activity in a place).

Pure: firm and activity frames in, a frozen :class:`CandidateResult` out; no files, no printing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from clusterwatch.analysis.geometry import haversine_km
from clusterwatch.analysis.space import bernoulli_scan_each, kd
from clusterwatch.analysis.time import emerging_hot_spots, entries_cube, mann_kendall
from clusterwatch.candidates.activities import Activity, code_activities, firm_texts, text_activities
from clusterwatch.errors import InputError, OptionError
from clusterwatch.stats import benjamini_hochberg, resolve_seed

__all__ = ["CANDIDATE_COLUMNS", "EMERGING_CATEGORIES", "CandidateResult", "find_candidates", "status_of"]

CANDIDATE_COLUMNS = [
    "candidate_id", "activity", "activity_source", "label", "keywords", "status", "score", "n_firms", "n_recent",
    "recent_share", "sme_share", "lat", "lon", "radius_km", "p_value", "q_value", "relative_risk", "expected",
    "trend", "trend_p", "ehsa_category", "code_coverage", "top_codes", "unclassified", "anchor_share",
    "first_period", "kd_localised",
]
#: Emerging hot spot categories that count as "entries rising".
EMERGING_CATEGORIES = frozenset({"new hot spot", "consecutive hot spot", "intensifying hot spot", "new",
                                 "consecutive", "intensifying"})
_DECLINING_CATEGORIES = frozenset({"diminishing hot spot", "historical hot spot", "diminishing", "historical"})


@dataclass(frozen=True)
class CandidateResult:
    """Ranked cluster candidates with their firms and evidence.

    Attributes
    ----------
    candidates
        One row per candidate, best score first (columns :data:`CANDIDATE_COLUMNS`).
    candidate_firms
        ``candidate_id, firm_id`` (the activity's firms inside the candidate's circle).
    activities
        Every activity tested: ``activity_id, source, label, n_firms, clusters_tested, best_p, best_q``.
    entries
        ``candidate_id, period, entries``: entries (founding, or first dated text) per year.
    kd_curves
        Activity id → Kd curve frame (``KdResult.to_frame()``) for the activities where Kd ran.
    examples
        ``candidate_id, firm_id, name, text``: up to five example firms per candidate.
    text_method
        How text activities were made (``none`` when no texts).
    parameters
        Everything that made the result, the seed included.
    """

    candidates: pd.DataFrame
    candidate_firms: pd.DataFrame
    activities: pd.DataFrame
    entries: pd.DataFrame
    kd_curves: dict[str, pd.DataFrame] = field(repr=False)
    examples: pd.DataFrame = field(repr=False)
    text_method: str
    parameters: dict[str, Any]
    seed: int

    def to_frame(self) -> pd.DataFrame:
        """The candidates (a copy)."""
        return self.candidates.copy()


def status_of(*, recent_share: float, trend: str, ehsa_category: str, sme_share: float,
              young: float = 0.5, sme: float = 0.5) -> str:
    """The status of a significant candidate, by the documented rules (first that applies).

    * ``spawning``: most firms young (``recent_share > young``), entries rising (Mann–Kendall increasing, or an
      emerging hot spot category new / consecutive / intensifying), and SME-driven (``sme_share > sme``, or
      unknown);
    * ``emerging``: young firms ≥ 30 %, or entries rising;
    * ``declining``: entries falling (Mann–Kendall decreasing, or a diminishing / historical hot spot), or fewer
      than 10 % young firms with no entries rising;
    * ``established``: otherwise, and whenever firm ages are unknown (``recent_share`` NaN) with no trend.

    Examples
    --------
    >>> status_of(recent_share=0.7, trend="increasing", ehsa_category="", sme_share=1.0)
    'spawning'
    >>> status_of(recent_share=0.05, trend="none", ehsa_category="", sme_share=1.0)
    'declining'
    """
    rising = trend == "increasing" or ehsa_category in EMERGING_CATEGORIES
    if math.isnan(recent_share) and not rising and trend != "decreasing":
        return "established"  # no ages known: concentrated, nothing says new or fading
    young_share = 0.0 if math.isnan(recent_share) else recent_share
    sme_ok = math.isnan(sme_share) or sme_share > sme
    if young_share > young and rising and sme_ok:
        return "spawning"
    if young_share >= 0.3 or rising:
        return "emerging"
    if trend == "decreasing" or ehsa_category in _DECLINING_CATEGORIES or young_share < 0.1:
        return "declining"
    return "established"


def score_of(q: float, relative_risk: float, recent_share: float, trend: str, ehsa_category: str,
             permutations: int) -> float:
    """Ranking score in [0, 100]: ``100 × (0.4 S + 0.2 R + 0.25 Y + 0.15 T)`` with
    S = −log10(q) / log10(permutations + 1) capped at 1 (strength of evidence), R = ln(RR) / ln(10) capped to
    [0, 1] (relative risk 10 or more scores 1), Y = share of young firms, T = 1 when entries are rising, 0.5 when
    flat, 0 when falling."""
    s = min(1.0, -math.log10(max(q, 1e-12)) / math.log10(permutations + 1))
    r = 1.0 if not math.isfinite(relative_risk) else min(1.0, max(0.0, math.log(relative_risk) / math.log(10)))
    y = 0.0 if math.isnan(recent_share) else recent_share
    rising = trend == "increasing" or ehsa_category in EMERGING_CATEGORIES
    t = 1.0 if rising else (0.0 if trend == "decreasing" else 0.5)
    return round(100 * (0.4 * s + 0.2 * r + 0.25 * y + 0.15 * t), 2)


def find_candidates(
    firms: pd.DataFrame,
    activities: pd.DataFrame | None = None,
    *,
    as_of: str | pd.Timestamp | None = None,
    recent_years: int = 5,
    min_firms: int = 8,
    max_radius_km: float | None = 25.0,
    max_population: float = 0.1,
    max_clusters: int = 3,
    permutations: int = 999,
    screen_permutations: int | None = 99,
    alpha: float = 0.05,
    trend_periods: int = 10,
    kd_max_activities: int = 20,
    kd_max_firms: int = 500,
    kd_permutations: int = 99,
    use_text: bool = True,
    text_method: str = "tfidf-svd-kmeans",
    text_cache: Any = None,
    rng: int | np.random.Generator | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> CandidateResult:
    """Cluster candidates: activities significantly concentrated in a place, with their emergence evidence.

    1. Activities: official codes at useful levels and benchmark clusters (:func:`code_activities`), and text
       activities from descriptions and activity texts (:func:`text_activities`); each needs ``min_firms`` firms.
    2. Concentration: a Bernoulli spatial scan per activity against all firms (Kulldorff 1997), windows capped at
       ``max_population`` of the firms and ``max_radius_km``; the most likely and up to ``max_clusters - 1``
       secondary clusters of every activity are adjusted together by Benjamini–Hochberg; clusters with
       q ≤ ``alpha`` are candidates (nothing else is). With ``screen_permutations`` (default 99) every activity is
       first scanned with that many replicates and only those whose most likely cluster reaches p ≤ 0.05 are
       scanned again with ``permutations``; the others keep their screening p-values (valid Monte Carlo
       p-values, only coarser). ``None`` scans every activity with ``permutations``.
    3. Evidence per candidate: its firms (the activity's firms inside the circle), young firms (founded within
       ``recent_years`` of ``as_of``), entries per year and their Mann–Kendall trend over the last
       ``trend_periods`` complete years, SME share, anchor share, and Duranton–Overman Kd of the activity (for up
       to ``kd_max_activities`` activities with at most ``kd_max_firms`` firms).
    4. Status (:func:`status_of`) and score (:func:`score_of`); candidates with identical firm sets are merged
       into the best-scored one.

    Parameters
    ----------
    firms
        Canonical firm table as of ``as_of`` (``firm_id``, ``lat``, ``lon``; ``founded``, ``code``, ``sme``,
        ``employees``, ``description`` where known).
    activities
        Optional activities table (``firm_id, date, title, text``), e.g. SBIR awards with abstracts.
    as_of
        The date of the analysis; default the latest founding or activity date.
    text_method, text_cache
        How text activities are found (``method`` and ``cache`` of
        :func:`clusterwatch.analysis.text.discover_activities`): TF-IDF + SVD by default (fast, no model);
        ``"auto"`` or ``"embedding-kmeans"`` for sentence embeddings, cached in ``text_cache`` (a workspace or a
        cache file) when given.
    rng
        Seed; every Monte Carlo step draws from children of it, so the same seed gives the same result.
    progress
        Optional callback ``(message, done, total)``.

    Returns
    -------
    CandidateResult

    Raises
    ------
    InputError
        For firms without coordinates or too few firms.
    OptionError
        For parameters outside their ranges.

    References
    ----------
    Kulldorff, M. (1997). A spatial scan statistic. Duranton, G. & Overman, H. G. (2005). Testing for
    localization using micro-geographic data. Benjamini, Y. & Hochberg, Y. (1995). Mann (1945), Kendall (1975).
    """
    if recent_years < 1:
        raise OptionError(f"recent_years must be at least 1, got {recent_years!r}")
    if min_firms < 3:
        raise OptionError(f"min_firms must be at least 3, got {min_firms!r}")
    if not 0 < alpha < 1:
        raise OptionError(f"alpha must be in (0, 1), got {alpha!r}")
    if max_radius_km is not None and max_radius_km <= 0:
        raise OptionError(f"max_radius_km must be positive or None, got {max_radius_km!r}")
    for column in ("firm_id", "lat", "lon"):
        if column not in firms:
            raise InputError(f"firms need a {column!r} column")
    firms = firms[firms["lat"].notna() & firms["lon"].notna()].reset_index(drop=True)
    if len(firms) < 2 * min_firms:
        raise InputError(f"too few located firms to scan: {len(firms)} (need at least {2 * min_firms})")
    seed = resolve_seed(rng)
    scan_seed, kd_seed, text_seed, refine_seed = (
        int(s) for s in np.random.SeedSequence(seed.entropy).generate_state(4, dtype=np.uint32))
    founded = pd.to_datetime(firms["founded"]) if "founded" in firms else pd.Series(pd.NaT, index=firms.index)
    if as_of is None:
        dates = [founded.max()]
        if activities is not None and len(activities):
            dates.append(pd.to_datetime(activities["date"]).max())
        known = [d for d in dates if pd.notna(d)]
        as_of_ts = max(known) if known else pd.Timestamp.today().normalize()
    else:
        as_of_ts = pd.Timestamp(as_of)
    tell = progress or (lambda message, done, total: None)

    # 1. activities
    tell("activities from codes", 0, 4)
    acts = code_activities(firms, min_firms=min_firms)
    texts = firm_texts(firms, activities)
    requested_text_method, text_method = text_method, "none"
    if use_text and not texts.empty:
        tell("activities from texts", 1, 4)
        found, text_method = text_activities(firms, texts, min_firms=min_firms, as_of=as_of_ts, rng=text_seed,
                                             method=requested_text_method, cache=text_cache)
        acts += found
    acts = [a for a in acts if a.members.sum() >= min_firms]

    # 2. concentration
    tell(f"scanning {len(acts)} activities", 2, 4)
    screened = screen_permutations is not None and 0 < screen_permutations < permutations
    masks = {a.activity_id: a.members for a in acts}
    scan_options = dict(max_population=max_population, max_radius=max_radius_km, max_clusters=max_clusters,
                        min_cases=3)
    first = int(screen_permutations) if screened and screen_permutations is not None else permutations
    scans = bernoulli_scan_each(firms, masks, permutations=first,
                                rng=scan_seed, **scan_options) if acts else {}  # type: ignore[arg-type]
    if screened:
        # screening: only activities whose most likely cluster reaches p <= screen_alpha with few replicates get
        # the full number (the others keep their screening p-value, a valid but coarser Monte Carlo p)
        keep = {k: masks[k] for k, r in scans.items() if len(r.clusters) and r.clusters["p_value"].min() <= 0.05}
        tell(f"refining {len(keep)} of {len(acts)} activities", 2, 4)
        if keep:
            scans.update(bernoulli_scan_each(firms, keep, permutations=permutations, rng=refine_seed,
                                             **scan_options))  # type: ignore[arg-type]
    rows = []
    for a in acts:
        result = scans[a.activity_id]
        for c in result.clusters.itertuples(index=False):
            rows.append((a.activity_id, int(c.cluster), float(c.p_value)))
    tested = pd.DataFrame(rows, columns=["activity_id", "cluster", "p_value"])
    tested["q_value"] = benjamini_hochberg(tested["p_value"].to_numpy()) if len(tested) else []
    significant = tested[tested["q_value"] <= alpha]

    # 3. evidence
    tell(f"evidence for {len(significant)} clusters", 3, 4)
    by_id = {a.activity_id: a for a in acts}
    firm_ids = firms["firm_id"].astype(str).to_numpy()
    recent_from = as_of_ts - pd.DateOffset(years=recent_years)
    last_year = as_of_ts.year - 1 if as_of_ts < pd.Timestamp(year=as_of_ts.year, month=12, day=31) else as_of_ts.year
    years = np.arange(last_year - trend_periods + 1, last_year + 1)
    sme = _sme(firms)
    employees = pd.to_numeric(firms["employees"], errors="coerce") if "employees" in firms else None
    kd_curves: dict[str, pd.DataFrame] = {}
    kd_order = sorted({r.activity_id for r in significant.itertuples()},
                      key=lambda i: by_id[i].n_firms)
    kd_ids = [i for i in kd_order if by_id[i].n_firms <= kd_max_firms][:kd_max_activities]
    for k, activity_id in enumerate(sorted(kd_ids)):
        try:
            curve = kd(firms, by_id[activity_id].members, permutations=kd_permutations,
                       rng=int(kd_seed) + k)
            kd_curves[activity_id] = curve.to_frame().assign(localised_any=curve.is_localised)
        except Exception:  # noqa: BLE001 - Kd is supporting evidence; a degenerate activity must not stop the scan
            continue
    precision = (firms["geo_precision"].astype("string").str.lower() if "geo_precision" in firms
                 else pd.Series(pd.NA, index=firms.index, dtype="string"))
    # firms placed at a ZIP or city centre share a site without sharing an address; located points do
    point_level = ~precision.isin(["zip", "postcode", "city", "municipality", "district", "county", "region",
                                   "country", "zcta"]).fillna(False).to_numpy(dtype=bool)
    cand_rows, member_rows, entry_rows, example_rows = [], [], [], []
    ehsa_cache: dict[str, pd.DataFrame | None] = {}
    for r in significant.itertuples(index=False):
        a = by_id[r.activity_id]
        result = scans[r.activity_id]
        c = result.clusters.set_index("cluster").loc[r.cluster]
        if int(c["locations"]) < 2 and point_level[result.firms_in(int(r.cluster)).to_numpy()].all():
            continue  # one address (a building, a mall) is not a place: tested, counted in BH, not a candidate
        inside = np.zeros(len(firms), dtype=bool)
        inside[result.firms_in(int(r.cluster)).to_numpy()] = True
        rows_in = np.flatnonzero(inside & a.members)
        f_founded = founded.iloc[rows_in]
        known = f_founded.notna()
        dated = int(known.sum()) >= max(3, 0.5 * len(rows_in))  # ages judged only where most firms are dated
        n_recent = int((f_founded[known] >= recent_from).sum())
        recent_share = n_recent / int(known.sum()) if dated else float("nan")
        counts = np.array([(f_founded.dt.year == y).sum() for y in years], dtype=float)
        trend, trend_p = "none", float("nan")
        if dated and len(years) >= 4:
            mk = mann_kendall(counts)
            trend, trend_p = str(mk.trend[0]), float(mk.p[0])
        first_period = str(int(f_founded.dt.year.min())) if known.any() else ""
        sme_share = float(np.nanmean(sme[rows_in])) if np.isfinite(sme[rows_in]).any() else float("nan")
        anchor = float("nan")
        if employees is not None:
            emp = employees.iloc[rows_in].dropna()
            if emp.sum() > 0:
                anchor = float(emp.max() / emp.sum())
        ehsa = _ehsa_category(firms, founded, a.members, years, as_of_ts, float(c["lat"]), float(c["lon"]),
                              float(c["radius"]), ehsa_cache, a.activity_id)
        status = status_of(recent_share=recent_share, trend=trend, ehsa_category=ehsa, sme_share=sme_share)
        score = score_of(float(r.q_value), float(c["relative_risk"]), recent_share, trend, ehsa, permutations)
        kd_frame = kd_curves.get(a.activity_id)
        cand_rows.append({
            "activity": a.activity_id, "activity_source": a.source, "label": a.label, "keywords": a.keywords,
            "status": status, "score": score, "n_firms": len(rows_in), "n_recent": n_recent,
            "recent_share": recent_share, "sme_share": sme_share, "lat": float(c["lat"]), "lon": float(c["lon"]),
            "radius_km": float(c["radius"]), "p_value": float(r.p_value), "q_value": float(r.q_value),
            "relative_risk": float(c["relative_risk"]), "expected": float(c["expected"]), "trend": trend,
            "trend_p": trend_p, "ehsa_category": ehsa, "code_coverage": a.code_coverage, "top_codes": a.top_codes,
            "unclassified": a.unclassified, "anchor_share": anchor, "first_period": first_period,
            "kd_localised": (bool(kd_frame["localised_any"].iloc[0]) if kd_frame is not None else pd.NA),
            "_firms": tuple(sorted(firm_ids[rows_in])), "_rows": rows_in, "_counts": counts,
        })
    cand = pd.DataFrame(cand_rows)
    if len(cand):
        # identical firm sets (NAICS 54, 541, 5417 and a benchmark cluster holding the same firms) are one
        # candidate: the best score wins, ties go to the most specific activity (text, then the longest code)
        cand["_specific"] = [_specificity(i) for i in cand["activity"]]
        cand = cand.sort_values(["score", "q_value", "_specific", "activity"], ascending=[False, True, False, True],
                                kind="stable")
        cand = cand.drop_duplicates("_firms", keep="first").reset_index(drop=True)
        cand["candidate_id"] = [f"C{i + 1:03d}" for i in range(len(cand))]
        names = firms["name"].astype("string") if "name" in firms else pd.Series(firm_ids)
        for row in cand.to_dict("records"):
            cid = row["candidate_id"]
            member_rows += [(cid, f) for f in row["_firms"]]
            entry_rows += [(cid, int(y), int(n)) for y, n in zip(years, row["_counts"], strict=True)]
            texts_of = by_id[row["activity"]].texts
            picked = sorted(row["_rows"], key=lambda i: (firm_ids[i] not in texts_of, firm_ids[i]))[:5]
            example_rows += [(cid, firm_ids[i], str(names.iloc[i]), texts_of.get(firm_ids[i], ""))
                             for i in picked]
        cand = cand[CANDIDATE_COLUMNS]
    else:
        cand = pd.DataFrame(columns=CANDIDATE_COLUMNS)
    activity_table = _activity_table(acts, scans, tested)
    tell("done", 4, 4)
    parameters = {
        "as_of": str(as_of_ts.date()), "recent_years": recent_years, "min_firms": min_firms,
        "max_radius_km": max_radius_km, "max_population": max_population, "max_clusters": max_clusters,
        "permutations": permutations, "screen_permutations": screen_permutations if screened else None,
        "alpha": alpha, "trend_periods": trend_periods,
        "kd_max_activities": kd_max_activities, "kd_max_firms": kd_max_firms, "kd_permutations": kd_permutations,
        "n_firms": len(firms), "n_activities": len(acts), "n_clusters_tested": len(tested), "seed": seed.entropy,
        "text_method": text_method,
    }
    return CandidateResult(
        candidates=cand,
        candidate_firms=pd.DataFrame(member_rows, columns=["candidate_id", "firm_id"]),
        activities=activity_table,
        entries=pd.DataFrame(entry_rows, columns=["candidate_id", "period", "entries"]),
        kd_curves=kd_curves,
        examples=pd.DataFrame(example_rows, columns=["candidate_id", "firm_id", "name", "text"]),
        text_method=text_method,
        parameters=parameters,
        seed=seed.entropy,
    )


def _specificity(activity_id: str) -> int:
    kind, _, key = activity_id.partition(":")
    if kind == "text":
        return 100
    if kind == "cluster":
        return 1
    return len(key.replace("-", ""))


#: Which category speaks for a candidate circle holding several cells: the most telling first.
_EHSA_ORDER = ("new hot spot", "consecutive hot spot", "intensifying hot spot", "persistent hot spot",
               "diminishing hot spot", "historical hot spot", "sporadic hot spot", "oscillating hot spot")


def _ehsa_category(firms: pd.DataFrame, founded: pd.Series, members: np.ndarray, years: np.ndarray,
                   as_of: pd.Timestamp, lat: float, lon: float, radius_km: float,
                   cache: dict[str, pd.DataFrame | None], activity_id: str) -> str:
    """Emerging hot spot category of the activity's entries (H3 resolution 6, yearly, exact Gi*) in the circle:
    the most telling category among the cells whose centre lies within the circle (plus 5 km), '' when none."""
    if activity_id not in cache:
        entries = pd.DataFrame({"date": founded[members], "lat": firms["lat"][members], "lon": firms["lon"][members]})
        entries = entries.dropna()
        try:
            cube = entries_cube(entries, resolution=6, period="year", as_of=as_of,
                                start=pd.Timestamp(year=int(years[0]), month=1, day=1))
            cache[activity_id] = emerging_hot_spots(cube).to_frame()
        except Exception:  # noqa: BLE001 - too few entries or periods: no category, not a failed scan
            cache[activity_id] = None
    cells = cache[activity_id]
    if cells is None or cells.empty:
        return ""
    distance = haversine_km(np.array([lat]), np.array([lon]), cells["lat"].to_numpy(), cells["lon"].to_numpy())
    found = set(cells.loc[np.asarray(distance) <= radius_km + 5.0, "category"].astype(str))
    return next((c for c in _EHSA_ORDER if c in found), "")


def _sme(firms: pd.DataFrame) -> np.ndarray:
    """1.0 / 0.0 per firm for SME (the ``sme`` flag, else fewer than 250 employees), NaN where unknown."""
    out = np.full(len(firms), np.nan)
    if "employees" in firms:
        emp = pd.to_numeric(firms["employees"], errors="coerce").to_numpy(dtype=float)
        out = np.where(np.isnan(emp), np.nan, (emp < 250).astype(float))
    if "sme" in firms:
        flag = firms["sme"].astype("boolean")
        known = flag.notna().to_numpy()
        out[known] = flag[known].astype(bool).to_numpy().astype(float)
    return out


def _activity_table(acts: list[Activity], scans: dict[str, Any], tested: pd.DataFrame) -> pd.DataFrame:
    best = tested.groupby("activity_id").agg(clusters_tested=("cluster", "size"), best_p=("p_value", "min"),
                                             best_q=("q_value", "min")) if len(tested) else None
    rows = []
    for a in acts:
        row = {"activity_id": a.activity_id, "source": a.source, "label": a.label, "n_firms": a.n_firms,
               "clusters_tested": 0, "best_p": float("nan"), "best_q": float("nan")}
        if best is not None and a.activity_id in best.index:
            row.update(best.loc[a.activity_id].to_dict())
        rows.append(row)
    return pd.DataFrame(rows, columns=["activity_id", "source", "label", "n_firms", "clusters_tested", "best_p",
                                       "best_q"])
