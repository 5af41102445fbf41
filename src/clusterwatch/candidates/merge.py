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

__all__ = ["context_pieces", "merge_pieces"]


def merge_pieces(members: list[np.ndarray], areas: list[np.ndarray], n_firms: int, *,
                 overlap: float = 0.5) -> list[list[int]]:
    """Groups of pieces that are one candidate.

    Two pieces (or groups already merged) are joined when they share at least ``overlap`` of the smaller one's
    firms, or when their areas hold mostly the same firms (Jaccard index of the areas ≥ ``overlap``). Joining
    repeats on the merged groups (their unions of firms and areas) until no two groups qualify, so that in the
    end no two candidates share ``overlap`` or more of the smaller one's firms.

    Parameters
    ----------
    members, areas
        Per piece: the row numbers of its firms and of the firms in its circle.
    n_firms
        Rows of the firm table.
    overlap
        The share in (0, 1].

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
    member_matrix = _incidence(members, n_firms)
    area_matrix = _incidence(areas, n_firms)
    while True:
        k = len(groups)
        shared = (member_matrix @ member_matrix.T).tocoo()
        shared_area = (area_matrix @ area_matrix.T).tocsr()
        size = np.asarray(member_matrix.sum(axis=1)).ravel()
        area_size = np.asarray(area_matrix.sum(axis=1)).ravel()
        i, j, count = shared.row, shared.col, shared.data
        by_firms = (i < j) & (count >= overlap * np.minimum(size[i], size[j]))
        area = shared_area.tocoo()
        ai, aj, ac = area.row, area.col, area.data
        union = area_size[ai] + area_size[aj] - ac
        by_area = (ai < aj) & (ac >= overlap * union)
        rows = np.concatenate([i[by_firms], ai[by_area]])
        cols = np.concatenate([j[by_firms], aj[by_area]])
        if rows.size == 0:
            return groups
        graph = sparse.coo_matrix((np.ones(rows.size), (rows, cols)), shape=(k, k))
        n_components, label = connected_components(graph, directed=False)
        merged: list[list[int]] = [[] for _ in range(n_components)]
        for g, component in enumerate(label):
            merged[component] += groups[g]
        order = sorted(range(n_components), key=lambda c: min(merged[c]))
        groups = [sorted(merged[c]) for c in order]
        join = sparse.csr_matrix((np.ones(k), (np.argsort(order)[label], np.arange(k))), shape=(n_components, k))
        member_matrix = _binary(join @ member_matrix)
        area_matrix = _binary(join @ area_matrix)


def context_pieces(members: list[np.ndarray], n_firms: int, *, overlap: float = 0.5,
                   breadth: float = 2.0) -> dict[int, int]:
    """Broad pieces that hold a narrower piece: they are its context, not more of the same cluster.

    A piece B is context of piece A when B holds at least ``overlap`` of A's firms and B has at least ``breadth``
    times A's firms (NAICS 54 over a site of 5417 firms; a 2-digit sector over Dalton's carpet mills). Merging B
    whole would add B's other firms (its sector across a wider circle) to A's cluster, and chain unrelated
    clusters through their common sector; so B is listed with A's candidate but its firms are not added.

    Returns
    -------
    dict of int to int
        Context piece → the narrower piece it is attached to (the one it shares most firms with, among pieces
        that are not context themselves; ties to the smaller piece number).

    Examples
    --------
    >>> import numpy as np
    >>> broad = np.arange(0, 40)                       # a sector's 40 firms in a wide circle
    >>> site = np.arange(0, 10)                        # 10 of them: one code at one site
    >>> context_pieces([site, broad, np.arange(50, 60)], 100)
    {1: 0}
    """
    k = len(members)
    if k < 2:
        return {}
    matrix = _incidence(members, n_firms)
    shared = (matrix @ matrix.T).toarray()
    size = np.array([len(m) for m in members], dtype=float)
    nests = (shared >= overlap * size[None, :]) & (size[:, None] >= breadth * size[None, :])
    np.fill_diagonal(nests, False)
    broad = set(np.flatnonzero(nests.any(axis=1)).tolist())
    out = {}
    for b in sorted(broad):
        hosts = [a for a in np.flatnonzero(shared[b] > 0).tolist() if a not in broad and a != b]
        if hosts:
            out[b] = max(hosts, key=lambda a: (shared[b, a], -a))
    return out


def _incidence(rows: list[np.ndarray], n: int) -> sparse.csr_matrix:
    indptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])])
    indices = np.concatenate([np.asarray(r, dtype=np.int64) for r in rows]) if rows else np.array([], np.int64)
    return sparse.csr_matrix((np.ones(indices.size), indices, indptr), shape=(len(rows), n))


def _binary(matrix: sparse.spmatrix) -> sparse.csr_matrix:
    out = sparse.csr_matrix(matrix)
    out.data = np.ones_like(out.data)
    return out
