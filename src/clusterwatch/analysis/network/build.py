"""Graphs from the workspace's relations: direct ties, or shared participation projected onto organisations.

Two kinds of relations reach the analysis (``clusterwatch.schema.RELATION_COLUMNS``):

* direct ties, with ``source`` and ``target`` (an acquisition, a supply or collaboration tie): one edge per pair,
  directed by default;
* participations, with ``source`` and ``project`` (CORDIS: an organisation in a project): the bipartite
  organisations × projects graph is projected onto organisations, two organisations tied by the projects they
  share (undirected).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from clusterwatch.analysis.network.graph import NetworkGraph
from clusterwatch.errors import InputError, OptionError

MODES: tuple[str, ...] = ("auto", "direct", "projection")
WEIGHTINGS: tuple[str, ...] = ("count", "newman")
UNDATED: tuple[str, ...] = ("keep", "drop")

#: Firm columns carried onto the nodes when a firms frame is given.
NODE_ATTRIBUTES: tuple[str, ...] = ("name", "kind", "sme", "lat", "lon", "city", "region", "country")

#: What the projection does to the network, stated in every projected graph's notes.
PROJECTION_BIAS = (
    "projection bias: each project with k participants becomes a clique of k(k-1)/2 ties, so large consortia "
    "dominate degree, density and clustering, and a tie means co-participation, not a chosen partner; "
    "weighting='newman' gives each participant a total weight of 1 per project (1/(k-1) per partner) and "
    "max_project_size drops the largest consortia"
)


def _timestamp(value: dt.date | str | pd.Timestamp | None, name: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise OptionError(f"{name} must be a date such as 2015-12-31, got {value!r}") from exc
    if pd.isna(stamp):
        raise OptionError(f"{name} must be a date such as 2015-12-31, got {value!r}")
    return stamp


def _text(values: pd.Series) -> pd.Series:
    s = values.astype("string").str.strip()
    return s.where(s != "")


def build_graph(
    relations: pd.DataFrame,
    firms: pd.DataFrame | None = None,
    *,
    mode: str = "auto",
    directed: bool | None = None,
    weighting: str = "count",
    as_of: dt.date | str | None = None,
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
    undated: str = "keep",
    max_project_size: int | None = None,
    kinds: list[str] | tuple[str, ...] | None = None,
    include_isolates: bool = False,
) -> NetworkGraph:
    """Build the graph of organisations from a relations frame, as of a date or over a window.

    Parameters
    ----------
    relations
        Canonical relations (``source``, ``target``, ``project``, ``date``, ``kind``, ``weight``, ``role``): direct
        ties carry ``target``, participations carry ``project``.
    firms
        Canonical firms (``firm_id``, ``kind``, ``sme``, ``lat``, ``lon`` ...), for node attributes; a firm id that
        appears twice (two datasets) keeps its first row. Organisations in the relations but not in ``firms`` are
        nodes without attributes (Crunchbase acquirers are mostly not in the companies file).
    mode
        ``direct`` (ties ``source`` → ``target``), ``projection`` (organisations × projects projected onto
        organisations) or ``auto``: whichever the rows carry; rows carrying both kinds need an explicit mode.
    directed
        Direct ties are directed unless ``directed=False``; a projection is always undirected.
    weighting
        ``count``: an edge's weight is its number of relations (direct) or of shared projects (projection).
        ``newman`` (projection only): each shared project of ``k`` participants adds ``1/(k-1)``, so that every
        participant spreads a weight of 1 per project over its partners (Newman 2001).
    as_of
        Keep relations dated on or before this date (the graph as known then).
    start, end
        Keep relations dated within ``[start, end]`` (a window); ``end`` and ``as_of`` together take the earlier.
    undated
        With a time selection, ``keep`` (as the workspace does) or ``drop`` relations without a date.
    max_project_size
        Leave out projects with more participants than this (projection only), the cliques that dominate a
        projection.
    kinds
        Keep only relations of these ``kind`` values (e.g. ``["acquisition"]``).
    include_isolates
        Add every organisation of ``firms`` as a node, tied or not.

    Returns
    -------
    NetworkGraph
        Nodes in ``firm_id`` order, edges sorted, with the notes on what was left out and, for projections, the
        projection's bias (:data:`PROJECTION_BIAS`).

    Raises
    ------
    OptionError
        For an unknown ``mode``/``weighting``/``undated``, an unusable date, ``newman`` or ``directed=True`` with
        a projection, or a non-positive ``max_project_size``.
    InputError
        When ``relations`` lacks ``source``, or ``mode='auto'`` meets rows of both kinds.

    References
    ----------
    Newman, M. E. J. (2001). Scientific collaboration networks. II. Shortest paths, weighted networks, and
    centrality. *Physical Review E* 64, 016132.

    Breiger, R. L. (1974). The duality of persons and groups. *Social Forces* 53, 181–190 (the projection).

    Examples
    --------
    >>> rel = pd.DataFrame({"source": ["a", "b", "c", "a"], "project": ["p1", "p1", "p1", "p2"]})
    >>> g = build_graph(rel)
    >>> g.mode, g.n_nodes, g.edges[["source", "target", "ties"]].values.tolist()
    ('projection', 3, [['a', 'b', 1], ['a', 'c', 1], ['b', 'c', 1]])
    """
    if mode not in MODES:
        raise OptionError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if weighting not in WEIGHTINGS:
        raise OptionError(f"weighting must be one of {', '.join(WEIGHTINGS)}, got {weighting!r}")
    if undated not in UNDATED:
        raise OptionError(f"undated must be one of {', '.join(UNDATED)}, got {undated!r}")
    if max_project_size is not None and (isinstance(max_project_size, bool) or int(max_project_size) < 2):
        raise OptionError(f"max_project_size must be an int >= 2 or None, got {max_project_size!r}")
    as_of_ts, start_ts, end_ts = _timestamp(as_of, "as_of"), _timestamp(start, "start"), _timestamp(end, "end")
    if start_ts is not None and end_ts is not None and start_ts > end_ts:
        raise OptionError(f"start {start_ts.date()} is after end {end_ts.date()}")
    if "source" not in relations.columns:
        raise InputError("relations need a 'source' column", column="source")

    notes: list[str] = []
    rel = pd.DataFrame({"source": _text(relations["source"])})
    for col in ("target", "project", "kind"):
        rel[col] = _text(relations[col]) if col in relations.columns else pd.Series(pd.NA, index=rel.index,
                                                                                    dtype="string")
    rel["date"] = pd.to_datetime(relations["date"]) if "date" in relations.columns else pd.NaT
    rel["amount"] = (pd.to_numeric(relations["weight"], errors="coerce") if "weight" in relations.columns
                     else np.nan)
    n_read = len(rel)
    if kinds is not None:
        rel = rel[rel["kind"].isin(list(kinds)).fillna(False).to_numpy()]
        notes.append(f"{len(rel):,} of {n_read:,} relations are of kind {', '.join(map(str, kinds))}")
    missing_source = rel["source"].isna()
    if missing_source.any():
        notes.append(f"{int(missing_source.sum()):,} relations without a source left out")
        rel = rel[~missing_source.to_numpy()]

    cut = end_ts if as_of_ts is None else (as_of_ts if end_ts is None else min(as_of_ts, end_ts))
    if cut is not None or start_ts is not None:
        dated = rel["date"].notna()
        inside = dated.copy()
        if cut is not None:
            inside &= rel["date"] <= cut
        if start_ts is not None:
            inside &= rel["date"] >= start_ts
        n_undated = int((~dated).sum())
        keep = inside | (~dated if undated == "keep" else False)
        notes.append(f"time selection kept {int(inside.sum()):,} dated relations; {n_undated:,} undated ones "
                     f"{'kept' if undated == 'keep' else 'left out'}")
        rel = rel[keep.to_numpy()]

    has_target, has_project = rel["target"].notna(), rel["project"].notna()
    if mode == "auto":
        n_t, n_p = int(has_target.sum()), int((has_project & ~has_target).sum())
        if n_t and n_p:
            raise InputError(f"relations mix {n_t:,} direct ties (with target) and {n_p:,} participations (with "
                             "project only): choose mode='direct' or mode='projection', or select by kind")
        mode = "projection" if n_p else "direct"
    if mode == "projection":
        if directed:
            raise OptionError("a projection is undirected: directed=True needs mode='direct'")
        if (~has_project).any():
            notes.append(f"{int((~has_project).sum()):,} relations without a project left out of the projection")
        part = rel[has_project.to_numpy()]
        src, dst, weight, ties, amount, first, last, participations, pnotes = _project(
            part, weighting, max_project_size)
        notes += pnotes
        is_directed = False
    else:
        if weighting == "newman":
            raise OptionError("weighting='newman' applies to projections; direct ties use weighting='count'")
        if (~has_target).any():
            notes.append(f"{int((~has_target).sum()):,} relations without a target left out of the direct ties")
        ties_rel = rel[has_target.to_numpy()]
        is_directed = True if directed is None else bool(directed)
        src, dst, weight, ties, amount, first, last = _direct(ties_rel, is_directed, notes)
        participations = pd.DataFrame({"project": pd.Series(dtype="string"), "firm_id": pd.Series(dtype="string")})

    ids = pd.unique(np.concatenate([src, dst, participations["firm_id"].to_numpy(dtype=object)]).astype(object))
    if include_isolates and firms is not None and "firm_id" in firms.columns:
        ids = pd.unique(np.concatenate([ids, _text(firms["firm_id"]).dropna().to_numpy(dtype=object)]))
    node_ids = np.sort(ids.astype(str))
    nodes = _node_table(node_ids, firms, notes)
    source_index = np.searchsorted(node_ids, src.astype(str)).astype(np.int64)
    target_index = np.searchsorted(node_ids, dst.astype(str)).astype(np.int64)
    edges = pd.DataFrame({
        "source": pd.array(src.astype(str), dtype="string"),
        "target": pd.array(dst.astype(str), dtype="string"),
        "weight": weight.astype(float),
        "ties": ties.astype(np.int64),
        "amount": amount.astype(float),
        "first_date": first,
        "last_date": last,
    })
    return NetworkGraph(
        nodes=nodes, edges=edges, source_index=source_index, target_index=target_index, directed=is_directed,
        mode=mode, weighting=weighting, as_of=as_of_ts, start=start_ts, end=end_ts,
        max_project_size=None if max_project_size is None else int(max_project_size),
        participations=participations.reset_index(drop=True), notes=tuple(notes),
    )


def _aggregate(a: np.ndarray, b: np.ndarray, weight: np.ndarray, amount: np.ndarray, date: np.ndarray
               ) -> tuple[np.ndarray, ...]:
    """Group rows by (a, b) pair: summed weight, row count, summed amount, first and last date."""
    frame = pd.DataFrame({"a": a, "b": b, "weight": weight, "amount": amount, "date": date})
    grouped = frame.groupby(["a", "b"], sort=True)
    out = grouped.agg(weight=("weight", "sum"), ties=("weight", "size"), amount=("amount", "sum"),
                      n_amount=("amount", "count"), first=("date", "min"), last=("date", "max"))
    idx = out.index.to_frame(index=False)
    amount_sum = out["amount"].where(out["n_amount"] > 0).to_numpy(float)
    return (idx["a"].to_numpy(object), idx["b"].to_numpy(object), out["weight"].to_numpy(float),
            out["ties"].to_numpy(np.int64), amount_sum, out["first"].to_numpy(), out["last"].to_numpy())


def _direct(rel: pd.DataFrame, directed: bool, notes: list[str]) -> tuple[np.ndarray, ...]:
    s = rel["source"].to_numpy(dtype=object)
    t = rel["target"].to_numpy(dtype=object)
    loops = s == t
    if loops.any():
        notes.append(f"{int(loops.sum()):,} ties of an organisation to itself left out")
        s, t, rel = s[~loops], t[~loops], rel[~loops]
    if not directed:
        s, t = np.where(s < t, s, t), np.where(s < t, t, s)
    w = np.ones(len(s))
    a, b, weight, ties, amount, first, last = _aggregate(s, t, w, rel["amount"].to_numpy(float),
                                                         rel["date"].to_numpy())
    if int(ties.sum()) > len(a):
        notes.append(f"{int(ties.sum()):,} direct ties between {len(a):,} pairs: repeated ties add to the weight")
    return a, b, weight, ties, amount, first, last


def _project(part: pd.DataFrame, weighting: str, max_project_size: int | None
             ) -> tuple[Any, ...]:
    """Organisations × projects → organisation pairs, one clique per project."""
    notes = [PROJECTION_BIAS]
    pairs = part[["project", "source", "date", "amount"]].rename(columns={"source": "firm_id"})
    pairs = pairs.sort_values(["project", "firm_id"], kind="stable")
    repeated = pairs.duplicated(["project", "firm_id"])
    if repeated.any():
        notes.append(f"{int(repeated.sum()):,} repeated participations of an organisation in a project counted once")
    # one participation per (project, organisation): its date is the project's first, its amount the sum
    pairs = pairs.groupby(["project", "firm_id"], sort=True, as_index=False).agg(
        date=("date", "min"), amount=("amount", "sum"))
    size = pairs.groupby("project")["firm_id"].transform("size").to_numpy()
    if max_project_size is not None:
        big = size > max_project_size
        if big.any():
            n_big = pairs.loc[big, "project"].nunique()
            notes.append(f"{n_big:,} projects with more than {max_project_size} participants left out "
                         f"({int(big.sum()):,} participations)")
            pairs, size = pairs[~big], size[~big]
    solo = size < 2
    if solo.any():
        notes.append(f"{int(solo.sum()):,} projects with a single participant give no tie (their organisations "
                     "stay as nodes, isolated unless another project ties them)")
    participations = pairs[["project", "firm_id"]].astype("string")
    org = pairs["firm_id"].to_numpy(dtype=object)
    date = pairs["date"].to_numpy()
    # block structure: rows of a project are contiguous; row r pairs with the rows after it in its block
    block_start = np.r_[0, np.flatnonzero(pairs["project"].to_numpy()[1:] != pairs["project"].to_numpy()[:-1]) + 1]
    block_size = np.diff(np.r_[block_start, len(pairs)])
    row_block_end = np.repeat(block_start + block_size, block_size)
    rows = np.arange(len(pairs))
    partners = row_block_end - rows - 1
    first_row = np.repeat(rows, partners)
    offsets = np.arange(first_row.size) - np.repeat(np.cumsum(partners) - partners, partners)
    second_row = first_row + 1 + offsets
    k = np.repeat(size, partners).astype(float)
    weight = np.ones(first_row.size) if weighting == "count" else 1.0 / (k - 1.0)
    pair_date = np.maximum(date[first_row], date[second_row]) if date.size else date
    # amounts belong to participations, not to pairs: a projected tie carries no money
    amount = np.full(first_row.size, np.nan)
    a, b, w, ties, amt, first, last = _aggregate(org[first_row], org[second_row], weight, amount, pair_date)
    return a, b, w, ties, amt, first, last, participations, notes


def _node_table(node_ids: np.ndarray, firms: pd.DataFrame | None, notes: list[str]) -> pd.DataFrame:
    nodes = pd.DataFrame({"firm_id": pd.array(node_ids, dtype="string")})
    if firms is None or "firm_id" not in firms.columns or len(firms) == 0:
        for col in NODE_ATTRIBUTES:
            nodes[col] = np.nan if col in ("lat", "lon") else pd.Series(pd.NA, index=nodes.index, dtype="object")
        nodes["in_firms"] = False
        return nodes
    attrs = firms.assign(firm_id=_text(firms["firm_id"])).dropna(subset=["firm_id"])
    duplicated = attrs["firm_id"].duplicated()
    if duplicated.any():
        notes.append(f"{int(duplicated.sum()):,} firm ids appear more than once in the firms (several datasets): "
                     "the first row gives the node's attributes")
        attrs = attrs[~duplicated.to_numpy()]
    keep = [c for c in NODE_ATTRIBUTES if c in attrs.columns]
    attrs = attrs[["firm_id", *keep]].set_index("firm_id")
    joined = nodes.join(attrs, on="firm_id")
    for col in NODE_ATTRIBUTES:
        if col not in joined.columns:
            joined[col] = np.nan if col in ("lat", "lon") else pd.NA
    joined["in_firms"] = nodes["firm_id"].isin(attrs.index).to_numpy()
    missing = int((~joined["in_firms"]).sum())
    if missing:
        notes.append(f"{missing:,} of {len(joined):,} nodes are not in the firms table (no kind, size or location)")
    return joined[["firm_id", *NODE_ATTRIBUTES, "in_firms"]]
