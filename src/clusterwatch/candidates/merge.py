"""Merging pieces into cluster candidates: one place's cluster is one candidate, however many codes it spans.

A *piece* is one significant cluster of one activity (a code at some level, a benchmark cluster, a text group):
its firms (the activity's firms inside the circle) and its area (every firm inside the circle). Dalton's carpet
cluster shows as pieces of NAICS 3141, 3133, 3149, 313, 314 and benchmark cluster 42 on one centre; a technology
whose firms carry five unrelated codes at one site shows as five pieces with one area.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from clusterwatch.analysis.geometry import haversine_km

__all__ = ["broader_activities", "context_pieces", "merge_pieces"]


def merge_pieces(members: list[np.ndarray], areas: list[np.ndarray], n_firms: int, *,
                 overlap: float = 0.5, centres: np.ndarray | None = None, radii: np.ndarray | None = None,
                 activity_ids: list[str] | None = None, site_km: float = 1.0,
                 attributes: list[bool] | None = None, related: np.ndarray | None = None,
                 nested: np.ndarray | None = None) -> list[list[int]]:
    """Groups of pieces that are one candidate.

    Two pieces (or groups already merged) are joined when they share at least ``overlap`` of the smaller one's
    firms; joining repeats on the merged groups (their unions of firms) until no two groups qualify, so that in
    the end no two candidates share ``overlap`` or more of the smaller one's firms. Two pieces of *related*
    activities (``related[i, j]``, e.g. :func:`~clusterwatch.candidates.activities.related_activities`: Dalton's
    carpet, yarn and finishing mills) whose circles hold mostly the same firms (Jaccard ≥ ``overlap``) are joined
    at any radius. Where ``centres`` and ``radii`` are given, two pieces whose circles are both *sites*
    (radius ≤ ``site_km``) are also joined

    * when their circles hold mostly the same firms (Jaccard index of the circles' firms ≥ ``overlap``): one
      site, several activities (a technology whose firms carry five codes);
    * when they are circles of the same activity that touch or nearly touch (centres at most the sum of the
      radii plus the smaller radius, at least 0.1 km, apart): one site that the scan's non-overlapping circles cut
      in two (on Georgia PPP, the young firms of one 0.3 km site came as two circles 0.53 km apart, radii 0.27
      and 0.24 km).

    These site links join pieces, never the growing groups, and never wide circles: circles of tens of km over
    a sector overlap everywhere, and joining them by area chained unrelated clusters into candidates of hundreds
    of firms (the earlier rule, Jaccard of the areas at any radius). Attribute pieces (the young firms, whatever
    their activity) join only by site links: a wide circle of young firms shares half of any small piece's firms
    when that piece's firms are young by chance, and would chain whole districts.

    Parameters
    ----------
    members, areas
        Per piece: the row numbers of its firms and of the firms in its circle.
    n_firms
        Rows of the firm table.
    overlap
        The share in (0, 1].
    centres, radii
        Per piece: ``(lat, lon)`` of the circle's centre and its radius in km (both or neither).
    activity_ids
        Per piece: its activity (for the touching-circles link; default: none share an activity).
    site_km
        Largest radius of a site circle.
    attributes
        Per piece: whether it is an attribute piece (default: none is).
    related
        ``related[i, j]``: pieces i and j are of related activities (default: none are).
    nested
        ``nested[i, j]``: one piece's activity is broader than the other's (a sector and its code). Such pairs
        join only by shared firms, never by area: a sector's circle beside a code's site is not that site.

    Returns
    -------
    list of list of int
        Piece numbers per group, each sorted; groups ordered by their smallest piece number.

    Examples
    --------
    >>> import numpy as np
    >>> members = [np.array([0, 1, 2]), np.array([1, 2, 3]), np.array([7, 8, 9])]
    >>> areas = [np.arange(0, 6), np.arange(0, 6), np.arange(7, 12)]
    >>> merge_pieces(members, areas, 12)
    [[0, 1], [2]]
    """
    groups = [[i] for i in range(len(members))]
    if len(members) < 2:
        return groups
    site_rows, site_cols = _site_links(areas, n_firms, overlap, centres, radii, activity_ids, site_km)
    apart = None if nested is None else np.asarray(nested, dtype=bool) | np.asarray(nested, dtype=bool).T
    if apart is not None and site_rows.size:
        keep = ~apart[site_rows, site_cols]  # pieces of one activity are never nested: touching circles stay
        site_rows, site_cols = site_rows[keep], site_cols[keep]
    if related is not None:
        kin = np.asarray(related, dtype=bool).copy()
        if apart is not None:
            kin &= ~apart
        if attributes is not None:
            kin[np.asarray(attributes, dtype=bool), :] = False
            kin[:, np.asarray(attributes, dtype=bool)] = False
        ki, kj = np.nonzero(np.triu(kin, k=1))
        if ki.size:
            area_matrix = _incidence(areas, n_firms)
            # pairs in blocks: one block of both pieces' area rows at a time (all pairs at once held every pair's
            # areas, the national register's pieces stage grew by 16.9 GiB); the counts are the same
            block = 256
            shared = np.concatenate([
                np.asarray(area_matrix[ki[s:s + block]].multiply(area_matrix[kj[s:s + block]]).sum(axis=1)).ravel()
                for s in range(0, ki.size, block)])
            size = np.array([len(a) for a in areas], dtype=float)
            same = shared >= overlap * (size[ki] + size[kj] - shared)
            site_rows = np.concatenate([site_rows, ki[same].astype(np.int64)])
            site_cols = np.concatenate([site_cols, kj[same].astype(np.int64)])
    # area links join pieces in one step (they are pairwise and never grow with the groups)
    if site_rows.size:
        k = len(members)
        graph = sparse.coo_matrix((np.ones(site_rows.size), (site_rows, site_cols)), shape=(k, k))
        _, label = connected_components(graph, directed=False)
        joined: dict[int, list[int]] = {}
        for piece, component in enumerate(label):
            joined.setdefault(int(component), []).append(piece)
        groups = sorted(joined.values(), key=min)
    attribute = np.zeros(len(members), dtype=bool) if attributes is None else np.asarray(attributes, dtype=bool)
    empty = np.array([], dtype=np.int64)
    pieces_matrix = _incidence([empty if a else m for m, a in zip(members, attribute, strict=True)], n_firms)
    # shared firms: rounds of pairwise joins, each group joining at most one other per round (the pairs sharing
    # the largest share first), the overlaps measured again on the unions after every round; joining every
    # qualifying pair at once let a small piece bridge two that share little (a benchmark cluster's 8 firms
    # inside both a 5616 site and a wider NAICS 56 circle)
    while len(groups) > 1:
        k = len(groups)
        join = sparse.csr_matrix((np.ones(sum(map(len, groups))),
                                  (np.repeat(np.arange(k), [len(g) for g in groups]), np.concatenate(groups))),
                                 shape=(k, len(members)))
        member_matrix = _binary(join @ pieces_matrix)
        shared = (member_matrix @ member_matrix.T).tocoo()
        size = np.asarray(member_matrix.sum(axis=1)).ravel()
        i, j, count = shared.row, shared.col, shared.data
        smaller = np.minimum(size[i], size[j])
        by_firms = (i < j) & (smaller > 0) & (count >= overlap * smaller)
        if not by_firms.any():
            break
        i, j, count, smaller = i[by_firms], j[by_firms], count[by_firms], smaller[by_firms]
        first_piece = np.array([g[0] for g in groups])
        order = np.lexsort((first_piece[j], first_piece[i], -count, -(count / smaller)))
        used = np.zeros(k, dtype=bool)
        partner = np.full(k, -1)
        for m in order:
            a_, b_ = int(i[m]), int(j[m])
            if not used[a_] and not used[b_]:
                used[a_] = used[b_] = True
                partner[b_] = a_
        merged_groups = [list(g) for g in groups]
        for g in range(k):
            if partner[g] >= 0:
                merged_groups[partner[g]] += merged_groups[g]
                merged_groups[g] = []
        groups = sorted((sorted(g) for g in merged_groups if g), key=min)
    return [sorted(g) for g in sorted(groups, key=min)]


def _site_links(areas: list[np.ndarray], n_firms: int, overlap: float, centres: np.ndarray | None,
                radii: np.ndarray | None, activity_ids: list[str] | None,
                site_km: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``i < j`` of site circles that are one site (see :func:`merge_pieces`)."""
    empty = np.array([], dtype=np.int64)
    if centres is None or radii is None:
        return empty, empty
    centres = np.asarray(centres, dtype=float).reshape(-1, 2)
    radii = np.asarray(radii, dtype=float)
    site = np.flatnonzero(radii <= site_km)
    if site.size < 2:
        return empty, empty
    area_matrix = _incidence([areas[s] for s in site], n_firms)
    shared = (area_matrix @ area_matrix.T).toarray()
    size = np.array([len(areas[s]) for s in site], dtype=float)
    inside = shared >= overlap * (size[:, None] + size[None, :] - shared)  # Jaccard
    lat, lon = centres[site, 0], centres[site, 1]
    distance = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    same = np.zeros_like(inside)
    if activity_ids is not None:
        ids = np.asarray([activity_ids[s] for s in site], dtype=object)
        r = radii[site]
        # touching, or nearly: the scan's secondary circle may not hold the first one's locations, so the two
        # circles of one site stop short of each other by up to a gap between neighbours
        gap = np.maximum(np.minimum(r[:, None], r[None, :]), 0.1)
        same = (ids[:, None] == ids[None, :]) & (distance <= r[:, None] + r[None, :] + gap)
    link = np.triu(inside | same, k=1)
    i, j = np.nonzero(link)
    return site[i].astype(np.int64), site[j].astype(np.int64)


def context_pieces(members: list[np.ndarray], n_firms: int, *, overlap: float = 0.5,
                   breadth: float = 2.0, attributes: list[bool] | None = None,
                   broader: np.ndarray | None = None) -> dict[int, int]:
    """Pieces that are context of another piece: listed with its candidate, their other firms not added.

    * Broad pieces: B is context of A when B's activity is broader than A's (``broader[b, a]``: a sector over
      one of its codes), B holds at least ``overlap`` of A's firms and B has at least ``breadth`` times A's firms
      (NAICS 54 over a site of 5417 firms; a 2-digit sector over Dalton's carpet mills). Merging B whole would add
      B's other firms (its sector across a wider circle) to A's cluster, and chain unrelated clusters through
      their common sector. A narrower activity's wider circle is not context: NAICS 3327 over 0.6 km holding a
      small 332 circle at its centre is the same cluster, found at two sizes.
    * Attribute pieces (``attributes[i]`` true: the young firms, whatever their activity): E is context of A when
      at least ``overlap`` of E's firms are A's firms, i.e. A's activity explains the young firms' concentration
      (a young cluster of one code). Where no activity explains them (young firms of many codes, none with
      enough firms at the site), E stays a piece of its own. Attribute pieces are never broad context.

    Parameters
    ----------
    members
        Per piece: the row numbers of its firms.
    n_firms
        Rows of the firm table.
    overlap, breadth
        The shares of the rules above.
    attributes
        Per piece: whether it is an attribute piece (default: none is).
    broader
        ``broader[b, a]``: piece b's activity is broader than piece a's (see :func:`broader_activities`);
        default: every activity counts as broader than every other (the rule by piece sizes alone).

    Returns
    -------
    dict of int to int
        Context piece → the piece it is attached to (the one it shares most firms with, among pieces that are
        neither context nor attributes; ties to the smaller piece number).

    Examples
    --------
    >>> import numpy as np
    >>> broad = np.arange(0, 40)                       # a sector's 40 firms in a wide circle
    >>> site = np.arange(0, 10)                        # 10 of them: one code at one site
    >>> context_pieces([site, broad, np.arange(50, 60)], 100)
    {1: 0}
    >>> young = np.array([0, 1, 2, 3, 4, 5, 6, 7, 90, 91])  # young firms: 8 of them the site's
    >>> context_pieces([site, young], 100, attributes=[False, True])
    {1: 0}
    """
    k = len(members)
    if k < 2:
        return {}
    attribute = np.zeros(k, dtype=bool) if attributes is None else np.asarray(attributes, dtype=bool)
    matrix = _incidence(members, n_firms)
    shared = (matrix @ matrix.T).toarray()
    size = np.array([len(m) for m in members], dtype=float)
    nests = (shared >= overlap * size[None, :]) & (size[:, None] >= breadth * size[None, :])
    if broader is not None:
        nests &= np.asarray(broader, dtype=bool)
    np.fill_diagonal(nests, False)
    nests[attribute, :] = False
    broad = set(np.flatnonzero(nests.any(axis=1)).tolist())
    hosts_ok = [a for a in range(k) if a not in broad and not attribute[a]]
    out = {}
    for b in sorted(broad):
        hosts = [a for a in hosts_ok if shared[b, a] > 0 and a != b]
        if hosts:
            out[b] = max(hosts, key=lambda a: (shared[b, a], -a))
    for e in np.flatnonzero(attribute).tolist():
        hosts = [a for a in hosts_ok if shared[e, a] >= overlap * size[e]]
        if hosts:
            out[e] = max(hosts, key=lambda a: (shared[e, a], -a))
    return dict(sorted(out.items()))


def broader_activities(masks: list[np.ndarray], *, share: float = 0.9) -> np.ndarray:
    """``out[b, a]``: activity b is broader than activity a — it holds at least ``share`` of a's firms and has more
    firms (NAICS 33 over 3327; a benchmark cluster over most of its codes' firms).

    Examples
    --------
    >>> import numpy as np
    >>> sector, code, other = (np.arange(10) < 8), (np.arange(10) < 3), (np.arange(10) >= 7)
    >>> broader_activities([sector, code, other]).astype(int).tolist()
    [[0, 1, 0], [0, 0, 0], [0, 0, 0]]
    """
    if not masks:
        return np.zeros((0, 0), dtype=bool)
    # the incidence built from the members' positions: a dense float64 stack of the masks was 8 bytes per
    # (activity, firm), 11 GB for 500 activities of the national register
    matrix = _incidence([np.flatnonzero(m) for m in masks], len(masks[0]))
    shared = (matrix @ matrix.T).toarray()
    size = np.asarray(matrix.sum(axis=1)).ravel()
    out = (shared >= share * size[None, :]) & (size[:, None] > size[None, :])
    np.fill_diagonal(out, False)
    return out


def _incidence(rows: list[np.ndarray], n: int) -> sparse.csr_matrix:
    indptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])])
    indices = np.concatenate([np.asarray(r, dtype=np.int64) for r in rows]) if rows else np.array([], np.int64)
    return sparse.csr_matrix((np.ones(indices.size), indices, indptr), shape=(len(rows), n))


def _binary(matrix: sparse.spmatrix) -> sparse.csr_matrix:
    out = sparse.csr_matrix(matrix)
    out.data = np.ones_like(out.data)
    return out
