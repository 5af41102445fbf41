"""Shared by the candidate benchmarks (bench_candidates, bench_predictive, bench_scan_job): the real datasets, one
call of :func:`clusterwatch.candidates.find_candidates` that works on both its signatures, and the intervals.

``find_candidates`` takes its settings either as :class:`clusterwatch.candidates.CandidateConfig` field names
(``**settings``, the staged core) or as keyword arguments of its own (the earlier core); :func:`run_candidates`
passes only the settings the installed one knows, so the benchmarks run on either and say which they ran on.
"""

from __future__ import annotations

import inspect
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import clusterwatch
from clusterwatch.candidates import find_candidates

SHARED = Path(os.environ.get("CLUSTERWATCH_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))

#: Short name → (file, adapter format).
SOURCES: dict[str, tuple[Path, str]] = {
    "langley": (SHARED / "langley_bc" / "Business_Licenses.csv", "langley-licences"),
    "ppp-georgia": (SHARED / "ppp_georgia" / "ppp_georgia_dedup.csv.gz", "ppp-georgia"),
    "ppp-montana": (SHARED / "ppp_montana" / "mt-combined.csv", "ppp-montana"),
    "seattle": (SHARED / "seattle" / "business_licenses_analysis.csv", "seattle-licences"),
    "sbir": (SHARED / "sbir" / "awards_with_address.csv.gz", "sbir-awards"),
}
#: Statuses that say "new": the ones the predictive benchmark tests and the planted benchmark wants.
NEW_STATUSES = frozenset({"spawning", "emerging"})
_CACHE: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}


def load(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Firms and dated events of one source (read once per process; copies are returned)."""
    if name not in _CACHE:
        path, fmt = SOURCES[name]
        if not path.exists():
            raise SystemExit(f"data not found: {path} (set CLUSTERWATCH_SHARED_DATA)")
        result = clusterwatch.read_firms(path, format=fmt)
        # ``events`` was ``activities`` in earlier cores
        _CACHE[name] = (result.firms, result.events if hasattr(result, "events") else result.activities)
    firms, events = _CACHE[name]
    return firms.copy(), events.copy()


def core_api() -> str:
    """``staged`` when find_candidates takes a CandidateConfig (``config=``), else ``keywords``."""
    return "staged" if "config" in inspect.signature(find_candidates).parameters else "keywords"


def run_candidates(firms: pd.DataFrame, events: pd.DataFrame | None = None, **settings: Any
                   ) -> tuple[Any, float, float]:
    """``find_candidates(firms, events, **settings)`` with the settings the installed core knows.

    ``kd_max_candidates`` is passed as ``kd_max_activities`` to the earlier core. Returns the result, its wall
    time and its CPU time (this process, all threads) in seconds.
    """
    parameters = inspect.signature(find_candidates).parameters
    if "config" in parameters:
        from clusterwatch.candidates.config import CandidateConfig

        known = set(CandidateConfig.names()) | set(parameters)
    else:
        if "kd_max_candidates" in settings:
            settings["kd_max_activities"] = settings.pop("kd_max_candidates")
        known = set(parameters)
    settings = {k: v for k, v in settings.items() if k in known}
    wall, cpu = time.perf_counter(), time.process_time()
    result = find_candidates(firms, events, **settings)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def pieces_of(candidates: pd.DataFrame) -> pd.Series:
    """Per candidate, the list of activity ids merged into it (``pieces``; the one ``activity`` before merging)."""
    column = "pieces" if "pieces" in candidates else "activity"
    return candidates[column].fillna("").astype(str).str.split(";").map(lambda ids: [i for i in ids if i])


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score 95 % interval of a proportion k / n (NaN, NaN when n is 0)."""
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def bootstrap(values: np.ndarray, statistic: Any, *, replicates: int = 2000, seed: int = 0
              ) -> tuple[float, float, float]:
    """The statistic of the rows of ``values`` and its percentile bootstrap 95 % interval (rows resampled).

    ``values`` is 1-d or 2-d (rows are the units resampled, e.g. candidates with observed and expected columns).
    """
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(values), size=(replicates, len(values)))
    replicated = np.array([statistic(values[d]) for d in draws])
    replicated = replicated[np.isfinite(replicated)]
    low, high = (np.quantile(replicated, [0.025, 0.975]) if len(replicated) else (float("nan"), float("nan")))
    return float(statistic(values)), float(low), float(high)


def fmt_interval(value: float, low: float, high: float, digits: int = 2) -> str:
    """``value [low, high]``, blank parts as ``-``."""
    def one(x: float) -> str:
        return "-" if not np.isfinite(x) else f"{x:.{digits}f}"
    return f"{one(value)} [{one(low)}, {one(high)}]"
