"""Merging pieces into cluster candidates: one place's cluster is one candidate, however many codes it spans.

A *piece* is one significant cluster of one activity (a code at some level, a benchmark cluster, a text group):
its firms (the activity's firms inside the circle) and its area (every firm inside the circle). Dalton's carpet
cluster shows as pieces of NAICS 3141, 3133, 3149, 313, 314 and benchmark cluster 42 on one centre; a technology
whose firms carry five unrelated codes at one site shows as five pieces with one area.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from clusterwatch.analysis.geometry import haversine_km

__all__ = ["SAME_RATE_ALPHA", "broader_activities", "context_pieces", "merge_pieces", "one_site",
           "site_extensions"]


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
    at any radius. Where ``centres`` and ``radii`` are given, site circles (radius ≤ ``site_km``) of the same
    activity that touch or nearly touch (centres at most the sum of the radii plus the smaller radius, at least
    0.1 km, apart) and hold the activity at the same rate are joined (:func:`one_site`): one site that the scan's
    non-overlapping circles cut in two (on Georgia PPP, the young firms of one 0.3 km site came as two circles
    0.53 km apart, radii 0.27 and 0.24 km). Touching circles of different rates are two places (on Langley, a
    0.49 km site of security firms, 12 of 20 firms, and a 0.91 km district of office services beside it, 24 of 99).

    Circles of *unrelated* activities are never joined by area alone, however much ground they share: the
    furniture makers and the hair salons of one Langley strip are two clusters, not one. Unrelated codes are
    one cluster only when a piece of another activity holds their firms — a text group, or the young firms of a
    place (an attribute piece), which join by shared firms like any piece. (An earlier rule kept attribute pieces
    out of this: when a young-firms piece held every young firm in its circle, a wide one shared half of any small
    piece's firms that were young by chance. Its firms are now those doing shared work there,
    :func:`~clusterwatch.candidates.activities.shared_code_members`, and keeping it apart let a candidate of
    young firms hold whole candidates of codes.) Attribute pieces are never *related* to another activity.

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
    site_rows, site_cols = _site_links(centres, radii, activity_ids, site_km,
                                       (np.array([len(m) for m in members]), np.array([len(a) for a in areas])))
    apart = None if nested is None else np.asarray(nested, dtype=bool) | np.asarray(nested, dtype=bool).T
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
    pieces_matrix = _incidence(members, n_firms)
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


def _site_links(centres: np.ndarray | None, radii: np.ndarray | None, activity_ids: list[str] | None,
                site_km: float, counts: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``i < j`` of circles of one activity that are one cluster (:func:`one_site`; see
    :func:`merge_pieces`); ``counts`` are the pieces' firms and the firms in their circles."""
    empty = np.array([], dtype=np.int64)
    if centres is None or radii is None or activity_ids is None:
        return empty, empty
    centres = np.asarray(centres, dtype=float).reshape(-1, 2)
    radii = np.asarray(radii, dtype=float)
    by_activity: dict[str, list[int]] = {}
    for k, activity in enumerate(activity_ids):
        if radii[k] <= site_km:
            by_activity.setdefault(activity, []).append(k)
    pairs = [(a, b) for rows in by_activity.values() for x, a in enumerate(rows) for b in rows[x + 1:]]
    if not pairs:
        return empty, empty
    i, j = (np.array(side, dtype=np.int64) for side in zip(*pairs, strict=True))
    distance = haversine_km(centres[i, 0], centres[i, 1], centres[j, 0], centres[j, 1])
    cases, firms = counts
    link = one_site(distance, radii[i], radii[j], cases[i], firms[i], cases[j], firms[j], site_km=site_km)
    return i[link], j[link]


#: Two touching circles of one activity are one cluster unless their rates differ at this level (two-sided
#: Fisher exact test): a site cut in two has one rate; a district beside a site has its own.
SAME_RATE_ALPHA = 0.05


def one_site(distance: Any, r1: Any, r2: Any, c1: Any, n1: Any, c2: Any, n2: Any, *, site_km: float = 1.0,
             alpha: float = SAME_RATE_ALPHA) -> np.ndarray:
    """Two circles of one activity are one cluster: both are sites (radius ≤ ``site_km``), they touch or nearly
    touch — the gap between them is at most the smaller radius (at least 0.1 km), since the scan's secondary
    circle may not hold the first one's locations — and the activity's rate is the same in both: ``c1`` of the
    ``n1`` firms in the first, ``c2`` of ``n2`` in the second, not different at level ``alpha`` (two-sided
    Fisher exact test).

    Geometry alone cannot tell a site cut in two from a district beside a site: on Georgia PPP one code's 16
    young firms spread over 1 km came as two circles of 7 of 7 firms, 1.53 km apart (radii 0.69, 0.78 km); on
    Langley a site of security firms (12 of 20 firms of NAICS 561 in 0.49 km) had a district of office services
    beside it (24 of 99 in 0.91 km, 1.48 km away). The rates tell them apart (p 1.0 and 0.003).

    Parameters
    ----------
    distance
        Km between the centres.
    r1, r2
        The radii in km.
    c1, n1, c2, n2
        The activity's firms and all firms in each circle.
    site_km
        Largest radius of a site.
    alpha
        Level of the test of equal rates.

    Returns
    -------
    numpy.ndarray of bool
        Per pair (the arguments broadcast together).

    Examples
    --------
    >>> bool(one_site(1.53, 0.69, 0.78, 7, 7, 7, 7))          # Georgia PPP: one code's site in two circles
    True
    >>> bool(one_site(1.48, 0.49, 0.91, 12, 20, 24, 99))      # Langley: a site and a district beside it
    False
    """
    from scipy.stats import fisher_exact

    arrays = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (distance, r1, r2, c1, n1, c2, n2)))
    d, a, b, k1, m1, k2, m2 = (v.ravel() for v in arrays)
    gap = np.maximum(np.minimum(a, b), 0.1)
    out = (a <= site_km) & (b <= site_km) & (d <= a + b + gap)
    for k in np.flatnonzero(out):
        table = [[int(k1[k]), int(m1[k] - k1[k])], [int(k2[k]), int(m2[k] - k2[k])]]
        out[k] = fisher_exact(table)[1] >= alpha
    return out.reshape(arrays[0].shape)


def site_extensions(circle: tuple[float, float, float], area: np.ndarray, others: list[tuple[float, float, float]],
                    other_areas: list[np.ndarray], case: np.ndarray, *, site_km: float = 1.0) -> list[int]:
    """The circles that extend a significant site circle of an activity to the whole site.

    The scan reports circles that share no location, so a site whose centre is taken by many other firms (a
    mall or an office block of old firms at the middle of a new cluster) comes as two or more circles around it,
    only the strongest of them significant (Langley: a young cluster of 19 firms around 28 firms at one address
    came as 9 young firms in a 0.21 km circle, q < 0.001, and 7 of 11 in a 0.17 km circle beside it, q 0.61).
    A circle of ``others`` (the activity's other reported circles, not significant) extends the zone when it is
    one cluster with one of the zone's circles (:func:`one_site`: a touching site circle whose rate does not
    differ from the zone's so far) and the zone with it has a higher Bernoulli log-likelihood ratio than without
    it (:func:`~clusterwatch.analysis.space.bernoulli_llr` of the union of the circles' firms). Circles are
    tried in the order given (the scan's, by decreasing ratio), again until none joins.

    This is a rule of this package, not of the scan: the zone's significance stays that of the first circle
    (whose p-value the replicates gave); the extension only says how far its cluster reaches, as a union of
    touching circles — the idea of the flexible and multi-circle scans (Tango & Takahashi 2005), without their
    inference.

    Parameters
    ----------
    circle
        ``(lat, lon, radius_km)`` of the significant circle.
    area
        Row numbers of the firms in it.
    others, other_areas
        The other circles of the same activity and their firms' row numbers.
    case
        Per firm: whether it is one of the activity's firms.
    site_km
        Largest radius of a site.

    Returns
    -------
    list of int
        Positions in ``others`` of the circles that join, in the order they joined.

    Examples
    --------
    >>> import numpy as np
    >>> case = np.zeros(5623, dtype=bool); case[:618] = True
    >>> area, beside = np.arange(0, 9), np.r_[np.arange(9, 16), np.arange(700, 704)]   # 9 of 9; 7 of 11
    >>> site_extensions((49.1467, -122.6517, 0.21), area, [(49.1472, -122.6464, 0.17)], [beside], case)
    [0]
    """
    from clusterwatch.analysis.space.bernoulli import bernoulli_llr

    lat0, lon0, r0 = circle
    if r0 > site_km or not others:
        return []
    total_cases, total = int(case.sum()), len(case)
    zone = [(float(lat0), float(lon0), float(r0))]
    inside = np.zeros(total, dtype=bool)
    inside[area] = True
    cases, firms = int(case[inside].sum()), int(inside.sum())
    current = float(bernoulli_llr(cases, firms, total_cases, total))
    joined: list[int] = []
    grew = True
    while grew:
        grew = False
        for k, (lat, lon, r) in enumerate(others):
            if k in joined:
                continue
            its_cases, its_firms = int(case[other_areas[k]].sum()), len(other_areas[k])
            d = haversine_km(np.array([z[0] for z in zone]), np.array([z[1] for z in zone]),
                             np.array([lat]), np.array([lon]))
            if not one_site(d, np.array([z[2] for z in zone]), r, cases, firms, its_cases, its_firms,
                            site_km=site_km).any():
                continue
            union = inside.copy()
            union[other_areas[k]] = True
            c, n = int(case[union].sum()), int(union.sum())
            llr = float(bernoulli_llr(c, n, total_cases, total))
            if llr > current:
                joined.append(k)
                zone.append((float(lat), float(lon), float(r)))
                inside, current, cases, firms, grew = union, llr, c, n, True
    return joined


def context_pieces(members: list[np.ndarray], n_firms: int, *, overlap: float = 0.5,
                   breadth: float = 2.0, attributes: list[bool] | None = None,
                   broader: np.ndarray | None = None, least: int = 5) -> dict[int, int]:
    """Pieces that are context of another piece: listed with its candidate, their other firms not added.

    * Broad pieces: B is context of A when B's activity is broader than A's (``broader[b, a]``: a sector over
      one of its codes), B holds at least ``overlap`` of A's firms and B has at least ``breadth`` times A's firms
      (NAICS 54 over a site of 5417 firms; a 2-digit sector over Dalton's carpet mills). Merging B whole would add
      B's other firms (its sector across a wider circle) to A's cluster, and chain unrelated clusters through
      their common sector. A narrower activity's wider circle is not context: NAICS 3327 over 0.6 km holding a
      small 332 circle at its centre is the same cluster, found at two sizes.
    * Attribute pieces (``attributes[i]`` true: the young firms, whatever their activity): E is context of A when
      at least ``overlap`` of E's firms are A's firms and E adds fewer than ``least`` firms to A's, i.e. A's
      activity explains the young firms' concentration (a young cluster of one code) and E's other firms could
      not stand as a piece. Where no activity explains them (young firms of many codes, none with enough firms
      at the site, or a benchmark cluster holding half of a site's young firms of six codes), E is a piece like
      any other and merges by shared firms. Attribute pieces are never broad context.

    Parameters
    ----------
    members
        Per piece: the row numbers of its firms.
    n_firms
        Rows of the firm table.
    overlap, breadth
        The shares of the rules above.
    least
        Fewest firms an attribute piece must add to a piece to stand beside it (the scan's ``min_firms``).
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
        hosts = [a for a in hosts_ok if shared[e, a] >= overlap * size[e] and size[e] - shared[e, a] < least]
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
