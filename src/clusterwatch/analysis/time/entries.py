"""Entries into an activity: which firms entered it, when and where.

An *entry* is what the time analysis counts. For an activity defined by official codes (a code at any level of
its hierarchy, or a US benchmark cluster) it is the firm's founding; for a text-discovered activity it is the firm's
first dated text in that activity, so that a firm turning to new work counts as entering it (spawning often comes
from firms that change what they do).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clusterwatch import codes as cw_codes
from clusterwatch.codes.formats import explode_codes
from clusterwatch.errors import InputError, OptionError

#: Columns of an entries frame, the input of :func:`~clusterwatch.analysis.time.entries_cube`.
ENTRY_COLUMNS: tuple[str, ...] = ("firm_id", "date", "lat", "lon", "activity")


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise OptionError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{what} lack the column(s) {', '.join(missing)}; they have {', '.join(map(str, frame))}")


def _code_level(code: str, system: str) -> str | int:
    """The level of ``code`` in ``system``: a NAICS sector range or NACE section letter, else its digit count."""
    if system == "naics" and "-" in code:
        return "sector"
    if code.isalpha():
        return "section"
    if not code.isdigit():
        raise OptionError(f"{code!r} is not a {system} code (digits, a NAICS sector like 31-33, a NACE section letter)")
    return len(code)


def _resolve_system(firms: pd.DataFrame, code_system: str | None) -> str:
    systems = sorted({str(s) for s in firms.loc[firms["code"].notna(), "code_system"].dropna().unique()})
    if code_system is not None:
        if code_system not in systems:
            raise OptionError(
                f"no firm has codes of system {code_system!r}; the firms' code systems are: "
                f"{', '.join(systems) or 'none'}"
            )
        return code_system
    if len(systems) != 1:
        raise OptionError(
            "give code_system: the firms carry codes of "
            + (f"several systems ({', '.join(systems)})" if systems else "no system at all")
        )
    return systems[0]


def _resolve_cluster(cluster: int | str, vintage: str) -> tuple[int, str]:
    table = cw_codes.benchmark_clusters(vintage)[["cluster_code", "cluster_name"]].drop_duplicates()
    names = dict(zip(table["cluster_code"].astype(int), table["cluster_name"].astype(str), strict=True))
    if isinstance(cluster, int | np.integer) and not isinstance(cluster, bool):
        if int(cluster) not in names:
            raise OptionError(f"unknown benchmark cluster {cluster!r}; allowed codes: {min(names)}..{max(names)}")
        return int(cluster), names[int(cluster)]
    text = str(cluster).strip()
    if text.isdigit():
        return _resolve_cluster(int(text), vintage)
    matches = [code for code, name in names.items() if name.lower() == text.lower()]
    if not matches:
        matches = [code for code, name in names.items() if text.lower() in name.lower()]
    if len(matches) != 1:
        shown = ", ".join(f"{c} {names[c]}" for c in matches[:8]) if matches else "none"
        raise OptionError(f"cluster {cluster!r} must name exactly one benchmark cluster; matches: {shown}")
    return matches[0], names[matches[0]]


def _explode(codes: pd.Series) -> pd.Series:
    """One row per code of each firm (``;``-separated), indexed by the firm's position."""
    return explode_codes(pd.Series(codes.to_numpy(), dtype="string"))


def _any_per_firm(matches: pd.Series, n: int) -> np.ndarray:
    """Whether any of a firm's exploded codes matched, as a boolean array over firm positions."""
    hit = matches.fillna(False).to_numpy(dtype=bool)
    out = np.zeros(n, dtype=bool)
    out[matches.index.to_numpy()[hit]] = True
    return out


def code_entries(
    firms: pd.DataFrame,
    *,
    code: str | None = None,
    code_system: str | None = None,
    cluster: int | str | None = None,
    vintage: str = "2012",
    all_codes: bool = False,
) -> pd.DataFrame:
    """Entries (foundings) of the firms in an activity defined by official codes.

    Parameters
    ----------
    firms
        A canonical firm table (``firm_id``, ``lat``, ``lon``, ``code``, ``code_system``, ``founded``; ``codes``
        when ``all_codes``). It is not changed.
    code
        An official code at any level: NAICS ``"72"``, ``"5417"``, ``"541715"`` or a sector range ``"31-33"``;
        NACE-family ``"J"``, ``"62"``, ``"62.01"``. Firms match when their code cut to that level equals it. For
        systems without a shipped hierarchy (a local licence classification) the code must match exactly.
    code_system
        The code system of ``code``; may be left out when the firms carry codes of one system only.
    cluster
        Instead of ``code``: a US Cluster Mapping benchmark cluster, by code (``13``) or name (``"Distribution and
        Electronic Commerce"``, or an unambiguous part of it). Matches NAICS firms through
        :func:`clusterwatch.codes.naics_to_cluster`.
    vintage
        Benchmark cluster definitions, ``"2012"`` or ``"2007"``.
    all_codes
        Match any of a firm's codes (the ``codes`` column), not only its primary code.

    Returns
    -------
    pandas.DataFrame
        One row per matching firm: ``firm_id``, ``date`` (its founding, NaT where unknown), ``lat``, ``lon``,
        ``activity`` (a label such as ``"naics 72"``), and ``dataset`` when the firms have it. Index: the firms'.
        With neither ``code`` nor ``cluster``, every firm is an entry (``activity = "all firms"``).

    Raises
    ------
    OptionError
        When both ``code`` and ``cluster`` are given, the code system is unknown or ambiguous, or the cluster is.
    InputError
        When ``firms`` lacks a required column.

    Examples
    --------
    >>> import pandas as pd
    >>> firms = pd.DataFrame({"firm_id": ["a", "b", "c"], "lat": [47.6] * 3, "lon": [-122.3] * 3,
    ...                       "code": ["722511", "722513", "541715"], "code_system": "naics",
    ...                       "founded": pd.to_datetime(["2019-03-01", "2021-07-09", "2020-01-01"])})
    >>> code_entries(firms, code="7225")[["firm_id", "activity"]].to_dict("list")
    {'firm_id': ['a', 'b'], 'activity': ['naics 7225', 'naics 7225']}
    """
    _require(firms, ("firm_id", "lat", "lon", "founded"), "firms")
    if code is not None and cluster is not None:
        raise OptionError("give code or cluster, not both")
    if code is None and cluster is None:
        keep = np.ones(len(firms), dtype=bool)
        label = "all firms"
    elif cluster is not None:
        _require(firms, ("code", "code_system"), "firms")
        cluster_code, cluster_name = _resolve_cluster(cluster, vintage)
        naics = firms["code_system"].astype("string").eq("naics").fillna(False)
        column = firms["codes"] if all_codes and "codes" in firms else firms["code"]
        exploded = _explode(column.where(naics))
        matched = cw_codes.naics_to_cluster(exploded, vintage=vintage).cluster_code
        keep = _any_per_firm(matched.eq(cluster_code), len(firms))
        label = f"cluster {cluster_code} {cluster_name}"
    else:
        _require(firms, ("code", "code_system"), "firms")
        if all_codes and "codes" not in firms:
            raise InputError("firms lack the column codes, which all_codes=True reads")
        system = _resolve_system(firms, code_system)
        wanted = str(code).strip().replace(".", "").upper()
        in_system = firms["code_system"].astype("string").eq(system).fillna(False)
        column = firms["codes"] if all_codes else firms["code"]
        exploded = _explode(column.where(in_system)).str.replace(".", "", regex=False).str.upper()
        if system in cw_codes.CODE_SYSTEMS:
            level = _code_level(wanted, system)
            cut = cw_codes.truncate(exploded, system, level)
        else:
            cut = exploded
        keep = _any_per_firm(cut.eq(wanted), len(firms))
        label = f"{system} {code}"
    chosen = firms.loc[keep]
    out = pd.DataFrame(
        {
            "firm_id": chosen["firm_id"].astype("string"),
            "date": pd.to_datetime(chosen["founded"]),
            "lat": pd.to_numeric(chosen["lat"]).astype(float),
            "lon": pd.to_numeric(chosen["lon"]).astype(float),
            "activity": label,
        },
        index=chosen.index,
    )
    if "dataset" in chosen:
        out.insert(0, "dataset", chosen["dataset"].astype("string"))
    return out


def text_entries(firms: pd.DataFrame, texts: pd.DataFrame, *, activity: str = "text activity") -> pd.DataFrame:
    """Entries into a text-discovered activity: each firm's first dated text in it.

    Parameters
    ----------
    firms
        A canonical firm table (``firm_id``, ``lat``, ``lon``). It gives the location of each firm. Texts join
        firms on ``dataset`` and ``firm_id`` when both tables hold a common dataset, else on ``firm_id`` alone (texts
        from a file of their own, such as ``sbir-abstracts`` joined to ``sbir-awards`` firms).
    texts
        The dated texts (descriptions, and the texts of events: awards, projects ...) that belong to the activity, with
        ``firm_id`` and ``date``: for example the texts a text analysis assigned to one activity group.
        Undated texts are ignored.
    activity
        The activity's label.

    Returns
    -------
    pandas.DataFrame
        One row per firm with a dated text: ``firm_id``, ``date`` (its first dated text), ``lat``, ``lon``
        (NaN when the firm is not in ``firms``: counted as unlocated by the cube), ``activity``; ``dataset`` when
        the firms have it.

    Raises
    ------
    InputError
        When a table lacks a required column.

    Examples
    --------
    >>> import pandas as pd
    >>> firms = pd.DataFrame({"firm_id": ["a", "b"], "lat": [42.3, 42.4], "lon": [-71.1, -71.2]})
    >>> texts = pd.DataFrame({"firm_id": ["a", "a", "b"],
    ...                       "date": pd.to_datetime(["2001-05-01", "1998-02-01", None])})
    >>> text_entries(firms, texts, activity="fuel cells")[["firm_id", "date"]].astype(str).to_dict("list")
    {'firm_id': ['a'], 'date': ['1998-02-01']}
    """
    _require(firms, ("firm_id", "lat", "lon"), "firms")
    _require(texts, ("firm_id", "date"), "texts")
    shared = (
        "dataset" in firms and "dataset" in texts
        and bool(set(firms["dataset"].dropna().astype(str)) & set(texts["dataset"].dropna().astype(str)))
    )
    keys = ["dataset", "firm_id"] if shared else ["firm_id"]
    dated = texts.loc[texts["date"].notna(), keys + ["date"]].copy()
    dated["date"] = pd.to_datetime(dated["date"])
    for key in keys:
        dated[key] = dated[key].astype("string")
    first = dated.groupby(keys, sort=True, as_index=False)["date"].min()
    located = firms[keys + ["lat", "lon"]].copy()
    for key in keys:
        located[key] = located[key].astype("string")
    located = located.drop_duplicates(keys)
    out = first.merge(located, on=keys, how="left")
    out["lat"] = pd.to_numeric(out["lat"]).astype(float)
    out["lon"] = pd.to_numeric(out["lon"]).astype(float)
    out["activity"] = activity
    return out[[*keys, "date", "lat", "lon", "activity"]]
