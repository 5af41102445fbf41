"""What every adapter returns, and the registry of adapters (``--format NAME``)."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Mapping
from dataclasses import InitVar, dataclass, field

import pandas as pd

from clusterwatch.errors import OptionError
from clusterwatch.io.geocode import GeocodeOptions
from clusterwatch.io.sources import empty_rejected


@dataclass(frozen=True)
class ReadOptions:
    """Options every adapter may use; all have defaults so adapters can be called with ``ReadOptions()``.

    Attributes
    ----------
    columns
        Canonical name → source column, from ``--column canonical=SOURCE`` (generic files; adapters apply it on
        top of their own mapping).
    geocode
        Lookup files for geocoding.
    crs
        CRS of projected ``x``/``y`` columns (e.g. ``EPSG:3857``).
    country
        Country (ISO alpha-2) of every row, where the file has no country column.
    encoding, delimiter
        Text options for CSV files; ``None`` means the adapter's or the reader's default.
    code_system
        Code system of the ``code`` column when the file does not say.
    date_format
        ``strptime`` format of the date columns, when they are not ISO (generic files).
    sheet, skip_rows
        Excel sheet (name or 0-based index) and lines above the header to skip (generic files).
    today
        Dates after this are "in the future" (default: the day the run starts).
    """

    columns: Mapping[str, str] = field(default_factory=dict)
    geocode: GeocodeOptions = field(default_factory=GeocodeOptions)
    crs: str | None = None
    country: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    code_system: str | None = None
    date_format: str | None = None
    sheet: str | int | None = None
    skip_rows: int = 0
    today: dt.date = field(default_factory=dt.date.today)


@dataclass
class Extract:
    """What an adapter read from one file, mapped to canonical names but not yet validated.

    Attributes
    ----------
    path
        The file.
    rows
        One row per usable record, with canonical firm columns (raw values: strings are fine, the pipeline parses
        them) plus ``_record`` and ``_line``. Optional helper columns: ``x``, ``y`` (projected, with ``crs``).
    rows_read
        Records in the file (usable + rejected by the parser).
    rejected
        Records the parser could not use.
    rows_are
        ``"firms"`` (each row is a firm), ``"observations"`` (rows are observations of firms, e.g. awards or
        participations, merged per ``firm_id`` after validation), ``"relations"`` or ``"events"`` (the rows are
        ties or dated evidence events only, and create no firms; ``"activities"``, the old name of ``"events"``,
        is still read, with a ``DeprecationWarning``).
    events, relations
        Canonical event / relation columns plus ``_record`` (the row they came from): they are kept when that
        row is accepted.
    date_formats
        ``strptime`` format per date column where the file's dates are not ISO.
    crs
        CRS of ``x``/``y`` when present.
    notes
        Interpretations the user must know (e.g. "founded is the first award year"), shown in the ingest report.
    """

    path: str
    rows: pd.DataFrame
    rows_read: int
    rejected: pd.DataFrame = field(default_factory=empty_rejected)
    rows_are: str = "firms"
    events: pd.DataFrame | None = None
    relations: pd.DataFrame | None = None
    date_formats: dict[str, str] = field(default_factory=dict)
    crs: str | None = None
    notes: list[str] = field(default_factory=list)
    activities: InitVar[pd.DataFrame | None] = None  # the old name of ``events``

    def __post_init__(self, activities: pd.DataFrame | None) -> None:
        if activities is not None:
            warnings.warn("Extract(activities=) is now Extract(events=)", DeprecationWarning, stacklevel=3)
            if self.events is None:
                self.events = activities


AdapterFn = Callable[[str, ReadOptions], Extract]


@dataclass(frozen=True)
class Adapter:
    """A registered source format."""

    name: str
    description: str
    read: AdapterFn


_REGISTRY: dict[str, Adapter] = {}


def register(name: str, description: str) -> Callable[[AdapterFn], AdapterFn]:
    """Decorator registering ``fn(path, options) -> Extract`` as the adapter ``name``."""

    def deco(fn: AdapterFn) -> AdapterFn:
        _REGISTRY[name] = Adapter(name=name, description=description, read=fn)
        return fn

    return deco


def get_adapter(name: str) -> Adapter:
    """The adapter registered as ``name``.

    Raises
    ------
    OptionError
        Naming the unknown format and listing the known ones.
    """
    from clusterwatch.io import adapters  # noqa: F401  (registers all adapters)

    if name not in _REGISTRY:
        raise OptionError(f"unknown format {name!r}; known formats: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def list_adapters() -> list[Adapter]:
    """All registered adapters, by name."""
    from clusterwatch.io import adapters  # noqa: F401

    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def apply_column_map(frame: pd.DataFrame, mapping: Mapping[str, str], path: str) -> pd.DataFrame:
    """Add canonical columns copied from source columns (``--column canonical=SOURCE``).

    Raises
    ------
    InputError
        When a mapped source column is absent from the file.
    """
    from clusterwatch.errors import InputError

    out = frame
    for canonical, source in mapping.items():
        if source not in frame.columns:
            shown = ", ".join(c for c in frame.columns if not c.startswith("_"))[:300]
            raise InputError(f"--column {canonical}={source}: no such column (columns found: {shown})",
                             path=path, column=source)
        if out is frame:
            out = frame.copy()
        out[canonical] = frame[source]
    return out
