"""Checks of the arguments every layer takes: points, case masks, shares, alpha, ints and choices, done once.

In the style of pointpats' ``_prepare`` helpers: each function takes what a caller may reasonably pass (a list, a
numpy array, a pandas Series or DataFrame), returns it in the one form the computation needs (float or bool
numpy arrays, a Python ``int`` or ``float``), and otherwise raises :class:`~clusterwatch.errors.OptionError`
with a message that names the argument, shows the bad value (and where it is, for arrays) and says what is
allowed. Nothing here reads files or prints.

Examples
--------
>>> check_alpha(0.05)
0.05
>>> check_alpha(5)
Traceback (most recent call last):
...
clusterwatch.errors.OptionError: alpha must be a number in (0, 1), e.g. 0.05; got 5
>>> check_int(2, "min_firms", minimum=3)
Traceback (most recent call last):
...
clusterwatch.errors.OptionError: min_firms must be an int of at least 3; got 2
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from clusterwatch.errors import OptionError

__all__ = [
    "check_alpha", "check_case_mask", "check_choice", "check_int", "check_latlon", "check_number", "check_points",
    "check_share",
]


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool | np.bool_)


# ---------------------------------------------------------------------------------------------------------- scalars
def check_int(value: Any, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as an ``int`` within ``[minimum, maximum]`` (either may be open).

    Floats with an integral value (``5.0``) are accepted; ``True``/``False`` are not ints here.

    >>> check_int(5.0, "k")
    5
    >>> check_int(1.5, "k")
    Traceback (most recent call last):
    ...
    clusterwatch.errors.OptionError: k must be an int; got 1.5
    """
    allowed = ("an int" + (f" of at least {minimum}" if minimum is not None and maximum is None else "")
               + (f" of at most {maximum}" if maximum is not None and minimum is None else "")
               + (f" in [{minimum}, {maximum}]" if minimum is not None and maximum is not None else ""))
    if not _is_number(value) or (isinstance(value, float | np.floating) and not float(value).is_integer()):
        raise OptionError(f"{name} must be an int; got {_shown(value)}")
    number = int(value)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise OptionError(f"{name} must be {allowed}; got {_shown(value)}")
    return number


def check_number(value: Any, name: str, *, low: float | None = None, high: float | None = None,
                 closed: str = "both", example: str | None = None) -> float:
    """``value`` as a finite ``float`` in the interval from ``low`` to ``high``.

    ``closed`` says which ends belong to it: ``both``, ``left``, ``right`` or ``neither``.

    >>> check_number(0.5, "share", low=0, high=0.5, closed="right")
    0.5
    >>> check_number(0, "share", low=0, high=0.5, closed="right")
    Traceback (most recent call last):
    ...
    clusterwatch.errors.OptionError: share must be a number in (0, 0.5]; got 0
    """
    check_choice(closed, "closed", ("both", "left", "right", "neither"))
    left = "[" if closed in ("both", "left") else "("
    right = "]" if closed in ("both", "right") else ")"
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    allowed = f"a number in {left}{lo}, {hi}{right}" + (f", e.g. {example}" if example else "")
    if not _is_number(value) or not math.isfinite(float(value)):
        raise OptionError(f"{name} must be {allowed}; got {_shown(value)}")
    x = float(value)
    if low is not None and (x < low or (x == low and left == "(")):
        raise OptionError(f"{name} must be {allowed}; got {_shown(value)}")
    if high is not None and (x > high or (x == high and right == ")")):
        raise OptionError(f"{name} must be {allowed}; got {_shown(value)}")
    return x


def check_share(value: Any, name: str, *, high: float = 1.0, closed: str = "right") -> float:
    """A share: a number in ``(0, high]`` by default (``closed`` as in :func:`check_number`).

    >>> check_share(0.1, "max_population", high=0.5)
    0.1
    >>> check_share(0.7, "max_population", high=0.5)
    Traceback (most recent call last):
    ...
    clusterwatch.errors.OptionError: max_population must be a number in (0, 0.5]; got 0.7
    """
    return check_number(value, name, low=0.0, high=high, closed=closed)


def check_alpha(value: Any, name: str = "alpha") -> float:
    """A significance level or false-discovery rate: a number strictly between 0 and 1."""
    return check_number(value, name, low=0.0, high=1.0, closed="neither", example="0.05")


def check_choice(value: Any, name: str, allowed: Iterable[str]) -> str:
    """``value`` if it is one of ``allowed``, else an error listing them.

    >>> check_choice("less", "alternative", ("two-sided", "greater", "less"))
    'less'
    >>> check_choice("more", "alternative", ("two-sided", "greater", "less"))
    Traceback (most recent call last):
    ...
    clusterwatch.errors.OptionError: alternative must be one of two-sided, greater, less; got 'more'
    """
    options = tuple(allowed)
    if not isinstance(value, str) or value not in options:
        raise OptionError(f"{name} must be one of {', '.join(options)}; got {_shown(value)}")
    return value


# ----------------------------------------------------------------------------------------------------------- arrays
def _first_bad(mask: np.ndarray, index: Sequence[Any] | None) -> Any:
    at = int(np.flatnonzero(mask)[0])
    return index[at] if index is not None else at


def check_points(points: Any, name: str = "points") -> np.ndarray:
    """Planar points as an ``(n, 2)`` float array (a list of pairs, an array, or a two-column frame).

    Every coordinate must be finite; the message names the first bad row.

    >>> check_points([(0, 0), (1, 2.5)]).tolist()
    [[0.0, 0.0], [1.0, 2.5]]
    >>> check_points([(0, 0), (1, float("nan"))])
    Traceback (most recent call last):
    ...
    clusterwatch.errors.OptionError: points must be finite numbers; row 1 is [1.0, nan]
    """
    index = list(points.index) if isinstance(points, pd.DataFrame) else None
    try:
        arr = np.asarray(points.to_numpy() if isinstance(points, pd.DataFrame) else points, dtype=float)
    except (TypeError, ValueError):
        raise OptionError(f"{name} must be an (n, 2) array of numbers; got {_shown(points)}") from None
    if arr.ndim == 1 and arr.size == 0:
        arr = arr.reshape(0, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise OptionError(f"{name} must be an (n, 2) array of x, y pairs; got shape {arr.shape}")
    bad = ~np.isfinite(arr).all(axis=1)
    if bad.any():
        row = _first_bad(bad, index)
        at = int(np.flatnonzero(bad)[0])
        raise OptionError(f"{name} must be finite numbers; row {row!r} is {arr[at].tolist()}")
    return arr


def check_latlon(lat: Any, lon: Any, name: str = "coordinates") -> tuple[np.ndarray, np.ndarray]:
    """WGS84 latitudes and longitudes as two float arrays of one shape: finite, ``|lat| <= 90``, ``|lon| <= 180``.

    >>> check_latlon([42.36], [-71.06])[0].tolist()
    [42.36]
    >>> check_latlon([42.36, 95.0], [-71.06, 0.0], "sites")
    Traceback (most recent call last):
    ...
    clusterwatch.errors.OptionError: sites must be WGS84 degrees, |lat| <= 90, |lon| <= 180; row 1: lat 95.0, lon 0.0
    """
    index = list(lat.index) if isinstance(lat, pd.Series) else None
    try:
        la = np.asarray(lat, dtype=float)
        lo = np.asarray(lon, dtype=float)
    except (TypeError, ValueError):
        raise OptionError(f"{name} must be numbers (WGS84 degrees); got {_shown(lat)}, {_shown(lon)}") from None
    if la.shape != lo.shape:
        raise OptionError(f"{name}: lat and lon differ in shape: {la.shape} vs {lo.shape}")
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(la) & np.isfinite(lo) & (np.abs(la) <= 90) & (np.abs(lo) <= 180))
    if bad.any():
        at = int(np.flatnonzero(bad.ravel())[0])
        row = index[at] if index is not None else at
        raise OptionError(f"{name} must be WGS84 degrees, |lat| <= 90, |lon| <= 180; row {row!r}: "
                          f"lat {float(la.ravel()[at])!r}, lon {float(lo.ravel()[at])!r}")
    return la, lo


def check_case_mask(cases: Any, n: int, *, name: str = "cases", index: pd.Index | None = None,
                    frame: pd.DataFrame | None = None, some: bool = False) -> np.ndarray:
    """A case indicator as a bool array of length ``n``.

    ``cases`` may be a column name of ``frame``, a Series (aligned on ``index`` when that is given), a list or an
    array of booleans or 0/1. With ``some`` the mask must hold at least one case and one non-case.

    >>> check_case_mask([1, 0, 1], 3).tolist()
    [True, False, True]
    >>> check_case_mask([1, 2], 2)
    Traceback (most recent call last):
    ...
    clusterwatch.errors.OptionError: cases must be True/False (or 1/0) per row; got values such as 2
    """
    if isinstance(cases, str):
        if frame is None or cases not in frame.columns:
            known = ", ".join(map(str, frame.columns)) if frame is not None else "none given"
            raise OptionError(f"{name} names the column {cases!r}, which is not there; columns: {known}")
        cases = frame[cases]
    if isinstance(cases, pd.Series):
        if index is not None and not cases.index.equals(index):
            raise OptionError(f"{name} must be aligned on the rows' index (same labels, same order)")
        if cases.isna().any():
            raise OptionError(f"{name} has {int(cases.isna().sum())} missing values; give True or False for every "
                              "row")
        values = cases.to_numpy()
    else:
        values = np.asarray(cases)
    if values.shape != (n,):
        raise OptionError(f"{name} must have one value per row ({n}); got shape {values.shape}")
    if values.dtype != bool:
        try:
            unique = pd.unique(values.astype(object))
        except TypeError:
            unique = np.array([], dtype=object)
        odd = [u for u in unique.tolist() if isinstance(u, str) or u not in (0, 1)]  # True == 1, False == 0
        if odd:
            raise OptionError(f"{name} must be True/False (or 1/0) per row; got values such as "
                              f"{', '.join(map(str, odd[:5]))}")
    mask = values.astype(bool)
    if some and (not mask.any() or mask.all()):
        raise OptionError(f"{name} must mark some but not all rows; got {int(mask.sum())} of {n}")
    return mask
