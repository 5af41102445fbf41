"""Evidence about a candidate's firms, and the register's base rates it is measured against.

Pure functions on row numbers of the scanned firm table: ages, entries, SME and anchor shares, location quotient,
emerging hot spot category, network ties. Each returns plain values; failures are the caller's to record.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from clusterwatch.analysis.geometry import haversine_km
from clusterwatch.analysis.time import emerging_hot_spots, entries_cube
from clusterwatch.stats import binomial_excess, cochran_armitage

__all__ = ["AREA_PRECISIONS", "BaseRates", "age_evidence", "base_rates", "ehsa_category", "ehsa_cells", "network_ties",
           "sme_evidence", "sme_flags"]

#: Firms placed at a ZIP, postcode or city centre share a site without sharing an address.
AREA_PRECISIONS = frozenset({"zip", "postcode", "city", "municipality", "district", "county", "region", "country",
                             "zcta"})


@dataclass(frozen=True)
class BaseRates:
    """What the scanned register itself shows: the yardstick of every status word.

    Attributes
    ----------
    n_firms, n_dated
        Firms scanned, and those with a founding date.
    date_coverage
        ``n_dated / n_firms``.
    dated_years
        Distinct founding years among the dated firms.
    ages_known
        Whether ages can be judged at all (coverage and span of the dates, see ``age_reason``).
    age_reason
        Why ages are unknown ('' when known).
    young_share
        Share of the dated firms founded within ``recent_years`` before the date.
    sme_share
        Share of SMEs among firms whose size is known (NaN when none).
    years, entries
        The trend years and the register's entries (foundings) in each.
    """

    n_firms: int
    n_dated: int
    date_coverage: float
    dated_years: int
    ages_known: bool
    age_reason: str
    young_share: float
    sme_share: float
    years: np.ndarray
    entries: np.ndarray

    def to_dict(self) -> dict[str, object]:
        """Plain values for the result's parameters and the report."""
        return {"n_firms": self.n_firms, "n_dated": self.n_dated, "date_coverage": round(self.date_coverage, 4),
                "dated_years": self.dated_years, "ages_known": self.ages_known, "age_reason": self.age_reason,
                "young_share": round(self.young_share, 4) if np.isfinite(self.young_share) else None,
                "sme_share": round(self.sme_share, 4) if np.isfinite(self.sme_share) else None,
                "years": [int(y) for y in self.years], "entries": [int(e) for e in self.entries]}


def base_rates(founded: pd.Series, sme: np.ndarray, *, recent_from: pd.Timestamp, years: np.ndarray,
               min_date_coverage: float, min_dated_years: int) -> BaseRates:
    """The register's base rates (see :class:`BaseRates`).

    Ages are unknown when fewer than ``min_date_coverage`` of the firms are dated, when the founding dates span
    fewer than ``min_dated_years`` distinct years, or when no dated firm is older than the young window (all
    firms young: nothing to compare with).
    """
    n = len(founded)
    dated = founded.notna().to_numpy()
    n_dated = int(dated.sum())
    coverage = n_dated / n if n else 0.0
    distinct = int(founded[dated].dt.year.nunique()) if n_dated else 0
    young = int((founded[dated] >= recent_from).sum())
    young_share = young / n_dated if n_dated else float("nan")
    reason = ""
    if coverage < min_date_coverage:
        reason = (f"only {n_dated:,} of {n:,} firms ({coverage:.0%}) have a founding date "
                  f"(at least {min_date_coverage:.0%} needed)")
    elif distinct < min_dated_years:
        span = (f"{founded[dated].min():%Y-%m}–{founded[dated].max():%Y-%m}" if n_dated else "none")
        reason = (f"founding dates span only {distinct} distinct year(s) ({span}; at least {min_dated_years} "
                  "needed)")
    elif young == n_dated:
        reason = "every dated firm is young: the register has no older firms to compare with"
    known_sme = np.isfinite(sme)
    sme_share = float(sme[known_sme].mean()) if known_sme.any() else float("nan")
    entries = np.array([int((founded.dt.year == y).sum()) for y in years], dtype=np.int64)
    return BaseRates(n, n_dated, coverage, distinct, reason == "", reason, young_share, sme_share,
                     np.asarray(years), entries)


def age_evidence(founded: pd.Series, rows: np.ndarray, base: BaseRates, *, recent_from: pd.Timestamp,
                 min_firms: int) -> dict[str, object]:
    """Ages and entries of a candidate's firms against the register: counts and one-sided p-values.

    Returns ``n_dated, n_recent, recent_share, first_period, counts (per base year), young_p, rising_p,
    falling_p, trend_z, ages_known, age_evidence`` (the reason when unknown).
    """
    mine = founded.iloc[rows]
    known = mine.notna()
    n_dated = int(known.sum())
    n_recent = int((mine[known] >= recent_from).sum())
    counts = np.array([int((mine.dt.year == y).sum()) for y in base.years], dtype=np.int64)
    out: dict[str, object] = {
        "n_dated": n_dated, "n_recent": n_recent,
        "recent_share": n_recent / n_dated if n_dated else float("nan"),
        "first_period": str(int(mine.dt.year.min())) if n_dated else "", "counts": counts,
        "young_p": float("nan"), "rising_p": float("nan"), "falling_p": float("nan"), "trend_z": float("nan"),
        "ages_known": False, "age_evidence": "",
    }
    if not base.ages_known:
        out["age_evidence"] = f"unknown: {base.age_reason}"
        return out
    if n_dated < max(min_firms, 0.5 * len(rows)):
        out["age_evidence"] = f"unknown: only {n_dated} of the candidate's {len(rows)} firms have a founding date"
        return out
    out["ages_known"] = True
    out["age_evidence"] = (f"{n_recent} of {n_dated} dated firms young ({n_recent / n_dated:.0%}) vs "
                           f"{base.young_share:.0%} in the register")
    out["young_p"] = binomial_excess(n_recent, n_dated, float(base.young_share), "greater")
    trend = cochran_armitage(counts, base.entries)
    out["rising_p"], out["falling_p"], out["trend_z"] = trend.p_increasing, trend.p_decreasing, trend.z
    return out


def sme_flags(firms: pd.DataFrame) -> np.ndarray:
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


def sme_evidence(sme: np.ndarray, rows: np.ndarray, base_share: float) -> dict[str, float]:
    """SME share of the candidate and binomial p-values of more / fewer SMEs than the register."""
    values = sme[rows]
    known = np.isfinite(values)
    n_known, n_sme = int(known.sum()), int(values[known].sum())
    if n_known == 0 or not np.isfinite(base_share):
        return {"sme_share": float("nan"), "sme_p": float("nan"), "sme_low_p": float("nan")}
    return {"sme_share": n_sme / n_known, "sme_p": binomial_excess(n_sme, n_known, base_share, "greater"),
            "sme_low_p": binomial_excess(n_sme, n_known, base_share, "less")}


#: Which category speaks for a candidate circle holding several cells: the most telling first.
EHSA_ORDER = ("new hot spot", "consecutive hot spot", "intensifying hot spot", "persistent hot spot",
              "diminishing hot spot", "historical hot spot", "sporadic hot spot", "oscillating hot spot")


def ehsa_cells(firms: pd.DataFrame, founded: pd.Series, members: np.ndarray, *, start_year: int,
               as_of: pd.Timestamp) -> pd.DataFrame:
    """Esri emerging hot spot categories of an activity's entries (H3 resolution 6, yearly, exact Gi*)."""
    entries = pd.DataFrame({"date": founded[members], "lat": firms["lat"][members],
                            "lon": firms["lon"][members]}).dropna()
    cube = entries_cube(entries, resolution=6, period="year", as_of=as_of,
                        start=pd.Timestamp(year=int(start_year), month=1, day=1))
    return emerging_hot_spots(cube).to_frame()


def ehsa_category(cells: pd.DataFrame, lat: float, lon: float, radius_km: float) -> str:
    """The most telling category among cells whose centre lies within the circle (plus 5 km); '' when none."""
    if cells.empty:
        return ""
    distance = haversine_km(np.array([lat]), np.array([lon]), cells["lat"].to_numpy(), cells["lon"].to_numpy())
    found = set(cells.loc[np.asarray(distance) <= radius_km + 5.0, "category"].astype(str))
    return next((c for c in EHSA_ORDER if c in found), "")


def network_ties(relations: pd.DataFrame, firm_ids: set[str]) -> tuple[int, float]:
    """Ties among a candidate's firms: direct ties (``target``) plus pairs sharing a project; and the density
    (ties over possible pairs)."""
    n = len(firm_ids)
    if n < 2 or relations.empty:
        return 0, 0.0
    source = relations["source"].astype("string")
    ties = 0
    if "target" in relations:
        target = relations["target"].astype("string")
        direct = source.isin(firm_ids) & target.isin(firm_ids) & (source != target)
        pairs = {tuple(sorted(p)) for p in zip(source[direct], target[direct], strict=True)}
        ties += len(pairs)
    if "project" in relations:
        mine = relations[source.isin(firm_ids) & relations["project"].notna()]
        per_project = mine.assign(source=mine["source"].astype(str)).groupby("project")["source"].nunique()
        ties += int((per_project * (per_project - 1) // 2).sum())
    return ties, min(1.0, ties / (n * (n - 1) / 2))
