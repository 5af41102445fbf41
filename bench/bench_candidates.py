"""Planted-cluster benchmark of `clusterwatch scan`'s candidate finder: recall, precision and lead time.

Background: real firms from ../shared/data, a fixed random subsample per seed:

* ``langley``: Township of Langley business licences (points + NAICS, format ``langley-licences``);
* ``ppp-georgia``: Georgia PPP establishments 2020 (ZIP/ZCTA centroids + six-digit NAICS, format
  ``ppp-georgia``).

Neither source has founding dates, so every background firm gets a founding year drawn uniformly from 1980-2019
(June 1st; no trend, independent of place and code), documented here because it matters for the age evidence.

Planted: clusters around a randomly chosen background firm, varying

* size: 8 / 15 / 30 firms;
* spread: Gaussian standard deviation 0.3 / 1.5 km around the centre;
* codes: spread over 1 six-digit NAICS code (541715) or over 3 (541715, 541512, 334511), codes background firms
  also use;
* age: ``young`` = founded 2012-2019 with entries rising (probability of year k proportional to k), ``old`` =
  founded uniformly 1985-2000.

Measures per planted cluster (as of 2019-12-31, the last entry year of young clusters):

* recall: the cluster is *detected* when one candidate holds at least half of its firms;
* precision: the share of that candidate's firms that are planted;
* covered: the share of the planted firms that are in any candidate (a cluster found in pieces, e.g. one
  candidate per code, counts here but not in recall);
* lead time (young clusters only): the first ``--as-of`` year (2014, 2015, ...) at which it is detected, reported
  as 2019 minus that year (0: only detected at the end; blank: never detected).

Each (background, size, spread, codes, age, seed) cell is one planted cluster on its own background subsample.
The table prints detection rate, mean precision, mean lead time and mean runtime per cell.

Run:  .venv/bin/python bench/bench_candidates.py [--format ppp-georgia] [--background 15000] [--seeds 3]
      [--permutations 999] [--no-lead]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

import clusterwatch
from clusterwatch.candidates import find_candidates

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SOURCES = {
    "langley": (SHARED / "langley_bc" / "Business_Licenses.csv", "langley-licences"),
    "ppp-georgia": (SHARED / "ppp_georgia" / "ppp_georgia_dedup.csv.gz", "ppp-georgia"),
}
PLANT_CODES = {1: ["541715"], 3: ["541715", "541512", "334511"]}
LAST_YEAR = 2019
_CACHE: dict[str, pd.DataFrame] = {}


def load(fmt: str) -> pd.DataFrame:
    if fmt not in _CACHE:
        path, adapter = SOURCES[fmt]
        firms = clusterwatch.read_firms(path, format=adapter).firms
        _CACHE[fmt] = firms[firms["lat"].notna() & firms["code"].notna()].reset_index(drop=True)
    return _CACHE[fmt]


def background(fmt: str, n: int, seed: int) -> pd.DataFrame:
    firms = load(fmt)
    firms = firms.sample(n=min(n, len(firms)), random_state=seed).reset_index(drop=True)
    rng = np.random.default_rng(seed)
    # neither source carries founding dates: uniform 1980-2019, no trend (see the module docstring)
    firms["founded"] = pd.to_datetime(rng.integers(1980, LAST_YEAR + 1, len(firms)).astype(str) + "-06-01")
    return firms[["firm_id", "name", "lat", "lon", "code", "code_system", "founded", "employees"]]


def plant(base: pd.DataFrame, size: int, spread_km: float, n_codes: int, age: str, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    centre = base.iloc[int(rng.integers(len(base)))]
    lat = centre["lat"] + rng.normal(0, spread_km / 111.32, size)
    lon = centre["lon"] + rng.normal(0, spread_km / (111.32 * np.cos(np.radians(centre["lat"]))), size)
    if age == "young":
        span = np.arange(2012, LAST_YEAR + 1)
        weights = np.arange(1, len(span) + 1, dtype=float)
        years = np.sort(rng.choice(span, size, p=weights / weights.sum()))
    else:
        years = np.sort(rng.integers(1985, 2001, size))
    planted = pd.DataFrame({
        "firm_id": [f"planted{i}" for i in range(size)], "name": [f"Planted {i}" for i in range(size)],
        "lat": lat, "lon": lon, "code": rng.choice(PLANT_CODES[n_codes], size), "code_system": "naics",
        "founded": pd.to_datetime(years.astype(str) + "-03-01"), "employees": rng.integers(2, 25, size) * 1.0,
    })
    return pd.concat([base, planted], ignore_index=True)


def evaluate(firms: pd.DataFrame, as_of: str, permutations: int, seed: int) -> dict[str, object]:
    known = firms[firms["founded"] <= pd.Timestamp(as_of)]
    start = time.perf_counter()
    found = find_candidates(known, as_of=as_of, permutations=permutations, use_text=False, kd_max_activities=0,
                            rng=seed)
    seconds = time.perf_counter() - start
    planted = set(known.loc[known["firm_id"].str.startswith("planted"), "firm_id"])
    total = int(firms["firm_id"].str.startswith("planted").sum())
    best = {"hit": 0.0, "precision": float("nan"), "status": "", "activity": ""}
    covered = len(set(found.candidate_firms["firm_id"]) & planted) / max(total, 1)
    for cid, part in found.candidate_firms.groupby("candidate_id"):
        members = set(part["firm_id"])
        hit = len(members & planted) / max(total, 1)
        if hit > best["hit"]:  # type: ignore[operator]
            row = found.candidates.set_index("candidate_id").loc[cid]
            best = {"hit": hit, "precision": len(members & planted) / len(members), "status": row["status"],
                    "activity": row["activity"]}
    detected = best["hit"] >= 0.5  # type: ignore[operator]
    return {**best, "detected": detected, "covered": covered, "candidates": len(found.candidates),
            "seconds": seconds}


def lead_time(firms: pd.DataFrame, permutations: int, seed: int) -> tuple[float, float]:
    """Years between the first --as-of year at which the cluster is detected and its last entry year."""
    seconds = 0.0
    for year in range(2014, LAST_YEAR):
        result = evaluate(firms, f"{year}-12-31", permutations, seed)
        seconds += float(result["seconds"])  # type: ignore[arg-type]
        if result["detected"]:
            return float(LAST_YEAR - year), seconds
    return 0.0, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--format", choices=sorted(SOURCES), default="ppp-georgia", help="background firms")
    parser.add_argument("--background", type=int, default=15000, help="background subsample size")
    parser.add_argument("--seeds", type=int, default=3, help="planted clusters (and subsamples) per cell")
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--seed", type=int, default=1, help="first seed")
    parser.add_argument("--no-lead", action="store_true", help="skip the lead-time runs")
    args = parser.parse_args()
    started = time.perf_counter()
    rows = []
    for s in range(args.seed, args.seed + args.seeds):
        base = background(args.format, args.background, s)
        for size in (8, 15, 30):
            for spread in (0.3, 1.5):
                for n_codes in (1, 3):
                    for age in ("young", "old"):
                        firms = plant(base, size, spread, n_codes, age, 1000 * s + 10 * size + n_codes
                                      + int(spread * 10) + (age == "old"))
                        result = evaluate(firms, f"{LAST_YEAR}-12-31", args.permutations, s)
                        lead = float("nan")
                        if age == "young" and result["detected"] and not args.no_lead:
                            lead, extra = lead_time(firms, args.permutations, s)
                            result["seconds"] = float(result["seconds"]) + extra  # type: ignore[arg-type]
                        rows.append({"seed": s, "size": size, "spread_km": spread, "codes": n_codes, "age": age,
                                     **result, "lead_years": lead})
                        print({k: (round(v, 2) if isinstance(v, float) else v) for k, v in rows[-1].items()},
                              flush=True)
    runs = pd.DataFrame(rows)
    table = (runs.groupby(["size", "spread_km", "codes", "age"], sort=False)
             .agg(n=("seed", "size"), recall=("detected", "mean"),
                  precision=("precision", lambda p: p[runs.loc[p.index, "detected"]].mean()),
                  covered=("covered", "mean"),
                  lead_years=("lead_years", "mean"), candidates=("candidates", "mean"), seconds=("seconds", "mean"))
             .reset_index())
    print(f"\nbackground {args.format}, {args.background} firms, {args.seeds} seed(s) per cell, "
          f"{args.permutations} replicates")
    print(table.round(2).to_string(index=False))
    detected = runs["detected"]
    print(f"overall recall {detected.mean():.2f}; "
          f"mean precision of detected {runs.loc[detected, 'precision'].mean():.2f}; "
          f"mean lead time of detected young clusters {runs['lead_years'].mean():.2f} years")
    for key in ("size", "spread_km", "codes", "age"):
        print(f"recall by {key}: {runs.groupby(key)['detected'].mean().round(2).to_dict()}")
    print(f"wall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
