"""Planted-cluster benchmark of `clusterwatch scan`'s candidate finder (small version).

Background: real firms of the Township of Langley business licences (points + NAICS, ../shared/data/langley_bc),
a fixed random subsample. Planted: clusters of young firms (founded 2012-2019, entries rising) that vary in size,
spatial spread (Gaussian sd in km) and the number of six-digit NAICS codes they are spread over (1: one new code;
3: three codes that background firms also use). For each scenario: recall (a candidate holds ≥ 50 % of the planted
firms), precision (share of that candidate's firms that are planted), its status, and the runtime. Lead time:
the first --as-of year at which the planted cluster is detected, for clusters growing 2012-2019.

Run:  .venv/bin/python bench/bench_candidates.py [--background 1500] [--permutations 999]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

import clusterwatch
from clusterwatch.candidates import find_candidates

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "langley_bc" / "Business_Licenses.csv"
PLANT_CODES = {1: ["541715"], 3: ["541715", "541512", "334511"]}


def background(n: int, seed: int) -> pd.DataFrame:
    firms = clusterwatch.read_firms(DATA, format="langley-licences").firms
    firms = firms[firms["lat"].notna() & firms["code"].notna()]
    firms = firms.sample(n=min(n, len(firms)), random_state=seed).reset_index(drop=True)
    rng = np.random.default_rng(seed)
    # licences carry no founding date: give the background ages spread 1980-2019 (no trend)
    firms["founded"] = pd.to_datetime(rng.integers(1980, 2020, len(firms)).astype(str) + "-06-01")
    return firms[["firm_id", "name", "lat", "lon", "code", "code_system", "founded", "employees"]]


def plant(base: pd.DataFrame, size: int, spread_km: float, n_codes: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    centre = base.sample(n=1, random_state=seed).iloc[0]
    lat = centre["lat"] + rng.normal(0, spread_km / 111.32, size)
    lon = centre["lon"] + rng.normal(0, spread_km / (111.32 * np.cos(np.radians(centre["lat"]))), size)
    years = np.sort(rng.choice(np.arange(2012, 2020), size, p=np.arange(1, 9) / 36))
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
    best = {"recall": 0.0, "precision": float("nan"), "status": "", "activity": ""}
    for cid, part in found.candidate_firms.groupby("candidate_id"):
        members = set(part["firm_id"])
        hit = len(members & planted) / max(len(planted), 1)
        if hit > best["recall"]:  # type: ignore[operator]
            row = found.candidates.set_index("candidate_id").loc[cid]
            best = {"recall": hit, "precision": len(members & planted) / len(members), "status": row["status"],
                    "activity": row["activity"]}
    detected = best["recall"] >= 0.5  # type: ignore[operator]
    return {**best, "detected": detected, "candidates": len(found.candidates), "seconds": round(seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--background", type=int, default=1500)
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    base = background(args.background, args.seed)
    rows = []
    for size in (8, 15, 30):
        for spread in (0.3, 1.5):
            for n_codes in (1, 3):
                firms = plant(base, size, spread, n_codes, args.seed + size)
                result = evaluate(firms, "2019-12-31", args.permutations, args.seed)
                rows.append({"size": size, "spread_km": spread, "codes": n_codes, **result})
                print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    print(f"recall {table['detected'].mean():.2f}; mean precision of detected "
          f"{table.loc[table['detected'], 'precision'].mean():.2f}")
    # lead time: a 30-firm cluster growing 2012-2019 (spread 0.3 km, one code): first as-of year detected
    firms = plant(base, 30, 0.3, 1, args.seed + 99)
    for year in range(2013, 2020):
        result = evaluate(firms, f"{year}-12-31", args.permutations, args.seed)
        print({"as_of": year, **result}, flush=True)
        if result["detected"]:
            print(f"lead time: detected as of {year}, {2019 - year} years before the cluster's last entry year")
            break


if __name__ == "__main__":
    main()
