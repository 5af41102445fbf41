"""One as-of snapshot for every path: what was known on a date (DESIGN.md, "a firm frame, as of a date").

:func:`known_on` is the rule the workspace's SQL applies (``Workspace.firms(as_of=)``) written once for data
frames, so that the library called on frames and the CLI called on a workspace see the same firms.
"""

from __future__ import annotations

import warnings

import pandas as pd

from clusterwatch.errors import OptionError

__all__ = ["known_on"]


def known_on(frame: pd.DataFrame, as_of: str | pd.Timestamp | None, *, kind: str = "firms") -> pd.DataFrame:
    """The rows of a canonical table known on ``as_of`` (a copy; ``None`` keeps every row).

    * ``firms``: founded on or before the date (an unknown founding date is kept: the age is unknown, not in the
      future) and not dissolved by it (``dissolved`` after the date, or unknown);
    * ``events``: dated on or before the date (an undated event is dropped: it cannot be placed in time);
    * ``relations``: dated on or before the date, or undated.

    Parameters
    ----------
    frame
        A canonical table (``founded``/``dissolved`` for firms, ``date`` for events and relations).
    as_of
        The date (anything :class:`pandas.Timestamp` reads), or None.
    kind
        ``firms``, ``events`` or ``relations`` (``activities``, the old name of ``events``, is still accepted
        with a ``DeprecationWarning``).

    Returns
    -------
    pandas.DataFrame
        The rows known then, index and order kept.

    Raises
    ------
    OptionError
        For an unknown ``kind`` or an unreadable date.

    Examples
    --------
    >>> firms = pd.DataFrame({"firm_id": ["a", "b", "c"], "founded": ["2010-01-01", "2016-05-01", None],
    ...                       "dissolved": [None, None, "2014-01-01"]})
    >>> known_on(firms, "2015-12-31")["firm_id"].tolist()
    ['a']
    """
    if kind == "activities":
        warnings.warn('known_on(kind="activities") is now kind="events"', DeprecationWarning, stacklevel=2)
        kind = "events"
    if kind not in ("firms", "events", "relations"):
        raise OptionError(f"kind must be firms, events or relations, got {kind!r}")
    if as_of is None or frame is None:
        return frame.copy() if frame is not None else frame
    try:
        day = pd.Timestamp(as_of)
    except (TypeError, ValueError) as exc:
        raise OptionError(f"as_of must be a date such as 2015-12-31, got {as_of!r}") from exc
    if kind == "firms":
        keep = pd.Series(True, index=frame.index)
        if "founded" in frame:
            founded = pd.to_datetime(frame["founded"], errors="coerce")
            keep &= founded.isna() | (founded <= day)
        if "dissolved" in frame:
            dissolved = pd.to_datetime(frame["dissolved"], errors="coerce")
            keep &= dissolved.isna() | (dissolved > day)
        return frame[keep.to_numpy()].copy()
    if "date" not in frame:
        return frame.copy() if kind == "relations" else frame.iloc[0:0].copy()
    date = pd.to_datetime(frame["date"], errors="coerce")
    keep = (date <= day) | (date.isna() if kind == "relations" else False)
    return frame[keep.to_numpy()].copy()
