"""Hand-built registers for the candidate tests: firms around twelve towns whose founding years are drawn
independently of place and code, so that concentrations exist and nothing in them is new."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Common codes of the towns' firms.
COMMON = np.array(["238220", "722511", "445110", "541110", "811111", "236118", "311811", "332710"])


def town_register(seed: int, n: int = 1200, *, clustered: bool = False) -> pd.DataFrame:
    """``n`` firms around 12 towns, founded 1980-2019 uniformly; with ``clustered``, half of each town's firms
    carry the town's own code (codes concentrated in space), else codes are drawn at random."""
    rng = np.random.default_rng(seed)
    towns = rng.uniform([46.8, -122.4], [47.2, -121.6], size=(12, 2))
    town = rng.integers(0, len(towns), n)
    codes = (np.where(rng.random(n) < 0.5, COMMON[town % len(COMMON)], rng.choice(COMMON, n)) if clustered
             else rng.choice(COMMON, n))
    return pd.DataFrame({
        "firm_id": [f"f{i:05d}" for i in range(n)], "name": [f"Firm {i}" for i in range(n)],
        "lat": towns[town, 0] + rng.normal(0, 0.02, n), "lon": towns[town, 1] + rng.normal(0, 0.03, n),
        "code": codes, "code_system": "naics",
        "founded": pd.to_datetime(rng.integers(1980, 2020, n).astype(str) + "-06-01"),
        "employees": rng.integers(1, 60, n).astype(float)})
