"""What would we have seen each year? The same time analysis run as of a series of past dates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clusterwatch.analysis.time.cube import entries_cube
from clusterwatch.analysis.time.ehsa import EmergingHotSpots, emerging_hot_spots
from clusterwatch.analysis.time.stscan import SpaceTimeScan, space_time_permutation_scan
from clusterwatch.errors import ClusterwatchError, OptionError
from clusterwatch.stats import resolve_seed


@dataclass(frozen=True, eq=False)
class EmergenceHistory:
    """Emerging hot spots and space-time scans as they would have looked on each date.

    Attributes
    ----------
    dates
        The as-of dates, ascending.
    hot_spots, scans
        One result per date (None where the analysis could not run then: see ``skipped``; ``scans`` is all None
        when the scan was not asked for).
    skipped
        Date (ISO text) → why nothing could be computed then (e.g. no entries yet).
    seed
        The integer seed every date ran with (the same for each, so dates differ only by their data).
    """

    dates: tuple[pd.Timestamp, ...]
    hot_spots: tuple[EmergingHotSpots | None, ...]
    scans: tuple[SpaceTimeScan | None, ...]
    skipped: dict[str, str]
    seed: int

    def to_frame(self) -> pd.DataFrame:
        """One row per date: as_of, periods, last_period, cells, entries, the number of cells in each hot-spot
        category (new ... historical), then the most likely space-time cluster (cluster_locations, cluster_start,
        cluster_observed, cluster_expected, cluster_llr, cluster_p) and skipped (the reason, if any)."""
        rows = []
        hot_names = ["new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "oscillating",
                     "historical"]
        for date, ehsa, scan in zip(self.dates, self.hot_spots, self.scans, strict=True):
            row: dict[str, object] = {"as_of": date.date().isoformat()}
            if ehsa is not None:
                counts = ehsa.summary()
                row.update(periods=len(ehsa.periods), last_period=str(ehsa.periods[-1]),
                           cells=len(ehsa.locations), entries=int(ehsa.entries.sum()))
                row.update({name: int(counts[f"{name} hot spot"]) for name in hot_names})
            best = scan.most_likely if scan is not None else None
            if best is not None:
                row.update(cluster_locations=";".join(best.locations), cluster_start=str(best.start),
                           cluster_observed=best.observed, cluster_expected=best.expected, cluster_llr=best.llr,
                           cluster_p=best.p)
            row["skipped"] = self.skipped.get(date.date().isoformat(), "")
            rows.append(row)
        return pd.DataFrame(rows)

    def categories_frame(self) -> pd.DataFrame:
        """One row per date and cell: as_of, cell, category (the cell's category as seen on that date)."""
        parts = [
            pd.DataFrame({"as_of": date.date().isoformat(), "cell": ehsa.locations, "category": ehsa.category})
            for date, ehsa in zip(self.dates, self.hot_spots, strict=True) if ehsa is not None
        ]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["as_of", "cell", "category"])


def emergence_history(
    entries: pd.DataFrame,
    dates: Sequence[object],
    *,
    resolution: int = 8,
    period: str = "year",
    start: object | None = None,
    ring: int = 1,
    time_lags: int = 1,
    alpha: float = 0.05,
    inference: str = "exact",
    scan: bool = True,
    max_spatial_share: float = 0.5,
    max_temporal_length: int | None = None,
    max_radius_km: float | None = None,
    permutations: int = 999,
    rng: int | np.random.Generator | None = None,
    scheduler: str | None = "threads",
    n_jobs: int | None = None,
) -> EmergenceHistory:
    """Run the time analysis as of each of a series of past dates, using only what was known then.

    For each date the entries cube is cut at that date (:func:`entries_cube` with ``as_of``: later entries and the
    period still running are left out), then emerging hot spots and, with ``scan``, the prospective space-time
    permutation scan are computed on it. Comparing the dates shows when a cluster would first have been flagged —
    the evaluation a facilitator needs before trusting a flag today.

    Parameters
    ----------
    entries
        Entries (``date``, ``lat``, ``lon``), e.g. from :func:`code_entries`.
    dates
        The as-of dates (anything :class:`pandas.Timestamp` reads), e.g. each 31 December.
    resolution, period, start
        The cube (see :func:`entries_cube`).
    ring, time_lags, alpha, inference
        Emerging hot spots (see :func:`emerging_hot_spots`).
    scan
        Also run the space-time permutation scan.
    max_spatial_share, max_temporal_length, max_radius_km, permutations
        The scan (see :func:`space_time_permutation_scan`); ``permutations`` also serves ``inference="permutation"``.
    rng
        Seed or generator; one integer seed is drawn once and used on every date.
    scheduler, n_jobs
        Where replicates run.

    Returns
    -------
    EmergenceHistory
        One result per date; dates where nothing could run are listed in ``skipped`` with the reason.

    Raises
    ------
    OptionError
        For bad parameters or no dates.

    Examples
    --------
    >>> import pandas as pd, h3
    >>> centre = h3.latlng_to_cell(47.6, -122.3, 8)
    >>> cells = sorted(h3.grid_disk(centre, 3))
    >>> rows = [(c, f"{2010 + t}-06-01") for t in range(10) for c in cells]
    >>> rows += [(c, "2019-06-01") for c in h3.grid_disk(centre, 1)] * 5
    >>> entries = pd.DataFrame([(pd.Timestamp(d), *h3.cell_to_latlng(c)) for c, d in rows],
    ...                        columns=["date", "lat", "lon"])
    >>> history = emergence_history(entries, ["2018-12-31", "2019-12-31"], scan=False)
    >>> history.to_frame()[["as_of", "last_period", "new"]].to_dict("list")
    {'as_of': ['2018-12-31', '2019-12-31'], 'last_period': ['2018', '2019'], 'new': [0, 7]}
    """
    stamps = sorted(pd.Timestamp(d).normalize() for d in dates)  # type: ignore[arg-type]
    if not stamps:
        raise OptionError("give at least one as-of date")
    seed = resolve_seed(rng)
    hot_spots: list[EmergingHotSpots | None] = []
    scans: list[SpaceTimeScan | None] = []
    skipped: dict[str, str] = {}
    first = pd.Timestamp(start).normalize() if start is not None else None  # type: ignore[arg-type]
    for date in stamps:
        if first is not None and date < first:
            hot_spots.append(None)
            scans.append(None)
            skipped[date.date().isoformat()] = f"before the start {first.date()}"
            continue
        try:
            cube = entries_cube(entries, resolution=resolution, period=period, as_of=date, start=start)
            hot_spots.append(emerging_hot_spots(cube, ring=ring, time_lags=time_lags, alpha=alpha,
                                                inference=inference, permutations=permutations, rng=seed.entropy,
                                                scheduler=scheduler, n_jobs=n_jobs))
            scans.append(space_time_permutation_scan(cube, max_spatial_share=max_spatial_share,
                                                     max_temporal_length=_length(max_temporal_length, cube.shape[1]),
                                                     max_radius_km=max_radius_km,
                                                     permutations=permutations, rng=seed.entropy,
                                                     scheduler=scheduler, n_jobs=n_jobs) if scan else None)
        except OptionError:
            raise
        except ClusterwatchError as exc:
            hot_spots.append(None)
            scans.append(None)
            skipped[date.date().isoformat()] = str(exc)
    return EmergenceHistory(dates=tuple(stamps), hot_spots=tuple(hot_spots), scans=tuple(scans), skipped=skipped,
                            seed=seed.entropy)


def _length(requested: int | None, n_periods: int) -> int | None:
    """A requested maximum length, cut to a shorter cube of an early date."""
    return None if requested is None else min(requested, n_periods)
