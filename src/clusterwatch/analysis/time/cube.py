"""The entries cube: counts of entries per location (an H3 cell) and period (year, quarter or month).

Following Esri's *Create Space Time Cube By Aggregating Points*, the cube holds every location with at least one
entry in the study period, across every period: a location with no entry in a period has a count of zero there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from clusterwatch.analysis.geometry import local_xy_km
from clusterwatch.errors import InputError, OptionError

#: Period names and their pandas frequencies.
PERIODS: dict[str, str] = {"year": "Y", "quarter": "Q", "month": "M"}
#: Mean length of one period in days (for recurrence intervals).
PERIOD_DAYS: dict[str, float] = {"year": 365.25, "quarter": 365.25 / 4, "month": 365.25 / 12}


def check_period(period: str) -> str:
    """Validate a period name: year, quarter or month."""
    if period not in PERIODS:
        raise OptionError(f"period must be one of {', '.join(PERIODS)}, got {period!r}")
    return period


def check_resolution(resolution: int) -> int:
    """Validate an H3 resolution (0-15)."""
    if isinstance(resolution, bool) or not isinstance(resolution, int | np.integer) or not 0 <= resolution <= 15:
        raise OptionError(f"resolution must be an H3 resolution, an int from 0 to 15, got {resolution!r}")
    return int(resolution)


def _timestamp(value: object, name: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise OptionError(f"{name} must be a date such as 2020-12-31, got {value!r}") from exc
    if pd.isna(stamp):
        raise OptionError(f"{name} must be a date such as 2020-12-31, got {value!r}")
    return stamp.normalize()


def last_complete_period(as_of: pd.Timestamp, period: str) -> pd.Period:
    """The last period that has ended on or before ``as_of`` (a period still running then is not complete).

    Examples
    --------
    >>> last_complete_period(pd.Timestamp("2020-06-30"), "year")
    Period('2019', 'Y-DEC')
    >>> last_complete_period(pd.Timestamp("2020-06-30"), "quarter")
    Period('2020Q2', 'Q-DEC')
    """
    current = pd.Period(as_of, freq=PERIODS[check_period(period)])
    return current if current.end_time.normalize() <= as_of.normalize() else current - 1


@dataclass(frozen=True, eq=False)
class EntriesCube:
    """Counts of entries per location and period.

    Attributes
    ----------
    locations
        Location ids (H3 cell ids when ``resolution`` is set), one per row of ``counts``, sorted.
    periods
        The consecutive periods, one per column of ``counts``.
    counts
        Entries per location and period, shape ``(len(locations), len(periods))``.
    lat, lon
        Location centres (WGS84), NaN where only planar coordinates were given.
    x_km, y_km
        Planar coordinates of the location centres in km (azimuthal equidistant around the study area).
    resolution
        The H3 resolution, or None when the locations are not H3 cells.
    period
        ``year``, ``quarter`` or ``month``.
    activity
        What the entries are entries into (``"naics 72"``).
    as_of
        The date the cube was cut at (only entries known by then), or None.
    dropped
        Entries not in the cube, by reason: ``undated``, ``unlocated``, ``before_start``, ``after_as_of``,
        ``running_period`` (in a period not yet complete at ``as_of``).
    """

    locations: np.ndarray
    periods: pd.PeriodIndex
    counts: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    x_km: np.ndarray
    y_km: np.ndarray
    resolution: int | None
    period: str
    activity: str = ""
    as_of: pd.Timestamp | None = None
    dropped: dict[str, int] = field(default_factory=dict)

    @property
    def n_entries(self) -> int:
        """Entries in the cube."""
        return int(self.counts.sum())

    @property
    def shape(self) -> tuple[int, int]:
        """(locations, periods)."""
        return (len(self.locations), len(self.periods))

    def to_frame(self) -> pd.DataFrame:
        """One row per location and period: location, lat, lon, period (text), period_start, entries."""
        n_loc, n_per = self.shape
        return pd.DataFrame(
            {
                "location": np.repeat(self.locations, n_per),
                "lat": np.repeat(self.lat, n_per),
                "lon": np.repeat(self.lon, n_per),
                "period": np.tile(self.periods.astype(str).to_numpy(), n_loc),
                "period_start": np.tile(self.periods.start_time.to_numpy(), n_loc),
                "entries": self.counts.ravel(),
            }
        )

    def totals(self) -> pd.DataFrame:
        """One row per location: location, lat, lon, entries (over all periods)."""
        return pd.DataFrame(
            {"location": self.locations, "lat": self.lat, "lon": self.lon, "entries": self.counts.sum(axis=1)}
        )


def entries_cube(
    entries: pd.DataFrame,
    *,
    resolution: int = 8,
    period: str = "year",
    as_of: str | pd.Timestamp | None = None,
    start: str | pd.Timestamp | None = None,
    activity: str | None = None,
) -> EntriesCube:
    """Count entries per H3 cell and period.

    Parameters
    ----------
    entries
        One row per entry with ``date``, ``lat`` and ``lon`` (as made by :func:`code_entries` or
        :func:`text_entries`). Not changed.
    resolution
        H3 resolution of the cells (8: about 0.74 km², a neighbourhood; 7: about 5.2 km²; 6: about 36 km²).
    period
        ``year``, ``quarter`` or ``month``.
    as_of
        Use only what was known on this date: entries dated after it are dropped, and so is a period still
        running on it (its counts would be partial), so the cube ends with the last period complete on ``as_of``.
        Without it, the cube ends with the period of the latest entry.
    start
        Drop entries before this date; the cube starts with its period. Without it, the cube starts with the
        period of the earliest entry.
    activity
        Label of the activity; default: the ``activity`` column of ``entries`` when it holds one value.

    Returns
    -------
    EntriesCube
        Every cell with at least one entry in the study period, across all its periods; entries left out are
        counted by reason in ``dropped``.

    Raises
    ------
    OptionError
        For a bad resolution, period or date, or ``start`` after the end.
    InputError
        When ``entries`` lacks ``date``, ``lat`` or ``lon``, or no entry is left.

    References
    ----------
    Esri. *Create Space Time Cube By Aggregating Points* (ArcGIS Pro, Space Time Pattern Mining toolbox): only
    locations with data in at least one time step are analysed, with zero counts in their empty bins.
    Uber Technologies. *H3: a hexagonal hierarchical geospatial indexing system*, https://h3geo.org.

    Examples
    --------
    >>> import pandas as pd
    >>> entries = pd.DataFrame({"date": pd.to_datetime(["2019-03-01", "2021-07-09", "2021-08-01", "2022-01-02"]),
    ...                         "lat": 47.61, "lon": -122.33})
    >>> cube = entries_cube(entries, resolution=8, period="year", as_of="2021-12-31")
    >>> cube.shape, cube.counts.tolist(), cube.dropped["after_as_of"]
    ((1, 3), [[1, 0, 2]], 1)
    """
    check_resolution(resolution)
    check_period(period)
    cut = _timestamp(as_of, "as_of")
    first = _timestamp(start, "start")
    if not isinstance(entries, pd.DataFrame):
        raise OptionError(f"entries must be a pandas DataFrame, got {type(entries).__name__}")
    missing = [c for c in ("date", "lat", "lon") if c not in entries.columns]
    if missing:
        raise InputError(f"entries lack the column(s) {', '.join(missing)}")
    if activity is None:
        labels = entries["activity"].dropna().unique() if "activity" in entries else []
        activity = str(labels[0]) if len(labels) == 1 else ""
    freq = PERIODS[period]
    dates = pd.to_datetime(entries["date"]).to_numpy(dtype="datetime64[ns]")
    lat = pd.to_numeric(entries["lat"]).to_numpy(dtype=float)
    lon = pd.to_numeric(entries["lon"]).to_numpy(dtype=float)
    dropped = {"undated": 0, "unlocated": 0, "before_start": 0, "after_as_of": 0, "running_period": 0}
    keep = ~np.isnat(dates)
    dropped["undated"] = int((~keep).sum())
    located = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    dropped["unlocated"] = int((keep & ~located).sum())
    keep &= located
    if first is not None:
        early = keep & (dates < first.to_datetime64())
        dropped["before_start"] = int(early.sum())
        keep &= ~early
    last_period: pd.Period | None = None
    if cut is not None:
        late = keep & (dates >= (cut + pd.Timedelta(days=1)).to_datetime64())
        dropped["after_as_of"] = int(late.sum())
        keep &= ~late
        last_period = last_complete_period(cut, period)
        running = keep & (dates > last_period.end_time.to_datetime64())
        dropped["running_period"] = int(running.sum())
        keep &= ~running
    if not keep.any():
        raise InputError(
            "no entries left to count"
            + (f" (dropped: {', '.join(f'{k} {v}' for k, v in dropped.items() if v)})" if any(dropped.values()) else "")
        )
    entry_periods = pd.PeriodIndex(pd.DatetimeIndex(dates[keep]).to_period(freq))
    first_period = pd.Period(first, freq=freq) if first is not None else entry_periods.min()
    if last_period is None:
        last_period = entry_periods.max()
    if first_period > last_period:
        raise OptionError(f"start {first.date() if first is not None else ''} is after the cube's last period "
                          f"{last_period}")
    periods = pd.period_range(first_period, last_period, freq=freq)
    column = (entry_periods - first_period).map(lambda offset: offset.n).to_numpy(dtype=np.int64)
    cells = _cells(lat[keep], lon[keep], resolution)
    locations, row = np.unique(cells, return_inverse=True)
    counts = np.zeros((len(locations), len(periods)), dtype=np.int64)
    np.add.at(counts, (row, column), 1)
    import h3

    centres = np.array([h3.cell_to_latlng(str(c)) for c in locations], dtype=float).reshape(-1, 2)
    x, y = local_xy_km(centres[:, 0], centres[:, 1])
    return EntriesCube(
        locations=locations.astype(object), periods=periods, counts=counts, lat=centres[:, 0], lon=centres[:, 1],
        x_km=x, y_km=y, resolution=resolution, period=period, activity=activity, as_of=cut, dropped=dropped,
    )


def _cells(lat: np.ndarray, lon: np.ndarray, resolution: int) -> np.ndarray:
    """H3 cell ids of points, computed once per distinct coordinate pair (entries often share a ZIP centroid)."""
    import h3

    pairs = np.stack([lat, lon], axis=1)
    distinct, inverse = np.unique(pairs, axis=0, return_inverse=True)
    ids = np.array([h3.latlng_to_cell(float(a), float(b), resolution) for a, b in distinct], dtype=object)
    return ids[inverse.ravel()]


def cube_from_counts(
    counts: pd.DataFrame,
    coordinates: pd.DataFrame,
    *,
    period: str,
    start: object | None = None,
    end: object | None = None,
    activity: str = "",
) -> EntriesCube:
    """A cube from counts per location and period at locations of one's own (ZIP centroids, districts ...).

    Parameters
    ----------
    counts
        ``location``, ``period`` (a date or period label inside the period) and ``count``; repeated
        (location, period) rows are added up.
    coordinates
        ``location`` with ``lat`` and ``lon`` (WGS84), or ``x`` and ``y`` (planar, in km). Locations with
        identical coordinates are kept apart; locations without counts are left out.
    period
        ``year``, ``quarter`` or ``month``.
    start, end
        The study period (dates or period labels); default: the first and last period with counts.
    activity
        Label of the activity.

    Returns
    -------
    EntriesCube
        With ``resolution = None``: usable by :func:`space_time_permutation_scan`; emerging hot spots need H3
        cells for their ring neighbourhoods.

    Raises
    ------
    InputError
        When a column is missing, a location has no coordinates, or a count is negative or not whole.
    OptionError
        For a bad period.

    Examples
    --------
    >>> import pandas as pd
    >>> counts = pd.DataFrame({"location": ["a", "b", "a"], "period": ["2020-01", "2020-03", "2020-03"],
    ...                        "count": [2, 1, 1]})
    >>> where = pd.DataFrame({"location": ["a", "b"], "x": [0.0, 1.5], "y": [0.0, 0.0]})
    >>> cube_from_counts(counts, where, period="month").counts.tolist()
    [[2, 0, 1], [0, 0, 1]]
    """
    freq = PERIODS[check_period(period)]
    for name, frame, cols in (("counts", counts, ("location", "period", "count")), ("coordinates", coordinates,
                                                                                    ("location",))):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise InputError(f"{name} lack the column(s) {', '.join(missing)}")
    planar = {"x", "y"} <= set(coordinates.columns)
    if not planar and not {"lat", "lon"} <= set(coordinates.columns):
        raise InputError("coordinates need lat and lon, or x and y (km)")
    values = pd.to_numeric(counts["count"]).to_numpy(dtype=float)
    if (values < 0).any() or (values != np.round(values)).any():
        raise InputError("counts must be whole numbers >= 0")
    labels = pd.PeriodIndex([pd.Period(p, freq=freq) for p in counts["period"]])
    lo = pd.Period(start, freq=freq) if start is not None else labels.min()
    hi = pd.Period(end, freq=freq) if end is not None else labels.max()
    periods = pd.period_range(lo, hi, freq=freq)
    inside = np.asarray((labels >= lo) & (labels <= hi))
    where = coordinates.assign(location=coordinates["location"].astype(str)).drop_duplicates("location")
    where = where.set_index("location")
    ids = counts["location"].astype(str).to_numpy()[inside]
    unknown = sorted(set(ids) - set(where.index))
    if unknown:
        raise InputError(f"locations without coordinates: {', '.join(unknown[:5])}")
    locations, row = np.unique(ids, return_inverse=True)
    column = (labels[inside] - lo).map(lambda offset: offset.n).to_numpy(dtype=np.int64)
    grid = np.zeros((len(locations), len(periods)), dtype=np.int64)
    np.add.at(grid, (row, column), values[inside].astype(np.int64))
    placed = where.loc[locations]
    if planar:
        x = placed["x"].to_numpy(dtype=float)
        y = placed["y"].to_numpy(dtype=float)
        lat = lon = np.full(len(locations), np.nan)
    else:
        lat = placed["lat"].to_numpy(dtype=float)
        lon = placed["lon"].to_numpy(dtype=float)
        x, y = local_xy_km(lat, lon)
    return EntriesCube(
        locations=locations.astype(object), periods=periods, counts=grid, lat=lat, lon=lon, x_km=x, y_km=y,
        resolution=None, period=period, activity=activity, as_of=None, dropped={},
    )
