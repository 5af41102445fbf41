"""Compiled kernels of the network analysis: adjacency, brokerage counts, removal curves, nested cores.

Every kernel is ``nogil`` so that :func:`clusterwatch.compute.compute_map` can run chunks on threads; each returns
integers or exact sums, so results do not depend on how the work was cut.
"""

from __future__ import annotations

import numba
import numpy as np

#: Gould–Fernandez roles, in the order of the kernels' output columns.
BROKERAGE_ROLES: tuple[str, ...] = ("coordinator", "itinerant", "representative", "gatekeeper", "liaison")


def csr(n: int, tail: np.ndarray, head: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Compressed sparse rows of arcs ``tail → head``, neighbours sorted within each row."""
    order = np.lexsort((head, tail))
    indices = head[order].astype(np.int64)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail, minlength=n), out=indptr[1:])
    return indptr, indices


def symmetric_csr(n: int, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Adjacency of an undirected simple graph given once per pair."""
    return csr(n, np.concatenate([u, v]), np.concatenate([v, u]))


@numba.njit(nogil=True, cache=True)
def bfs_order(indptr: np.ndarray, indices: np.ndarray, start: int) -> np.ndarray:  # pragma: no cover - compiled
    """Nodes in breadth-first order from ``start``, then from each unvisited node in turn (every component)."""
    n = indptr.shape[0] - 1
    seen = np.zeros(n, dtype=np.bool_)
    order = np.empty(n, dtype=np.int64)
    tail = 0
    for root in range(-1, n):
        r = start if root < 0 else root
        if n == 0 or seen[r]:
            continue
        seen[r] = True
        head = tail
        order[tail] = r
        tail += 1
        while head < tail:
            x = order[head]
            head += 1
            for p in range(indptr[x], indptr[x + 1]):
                y = indices[p]
                if not seen[y]:
                    seen[y] = True
                    order[tail] = y
                    tail += 1
    return order


@numba.njit(nogil=True, cache=True)
def brokerage_counts(brokers: np.ndarray, group: np.ndarray, n_groups: int,
                     out_ptr: np.ndarray, out_idx: np.ndarray, in_ptr: np.ndarray, in_idx: np.ndarray
                     ) -> np.ndarray:  # pragma: no cover - compiled
    """Gould–Fernandez counts of open two-paths a → b → c (a ≠ c, no tie a → c) for each broker b.

    Groups are codes ``0..n_groups-1``; ``-1`` is an unknown group: such nodes broker nothing and two-paths
    through them are not counted. Columns follow :data:`BROKERAGE_ROLES`.

    All two-paths of a broker are counted from its in- and out-neighbours' group counts; the closed ones (a → c
    present) are then found by marking the broker's out-neighbours and scanning each in-neighbour's
    out-neighbours, O(sum of degree²) in all.
    """
    n = group.shape[0]
    out = np.zeros((brokers.shape[0], 5), dtype=np.int64)
    n_in = np.zeros(n_groups, dtype=np.int64)
    n_out = np.zeros(n_groups, dtype=np.int64)
    n_mutual = np.zeros(n_groups, dtype=np.int64)
    mark = np.zeros(n, dtype=np.bool_)
    for row in range(brokers.shape[0]):
        b = brokers[row]
        gb = group[b]
        if gb < 0:
            continue
        tot_in = 0
        tot_out = 0
        for p in range(out_ptr[b], out_ptr[b + 1]):
            c = out_idx[p]
            if group[c] >= 0:
                n_out[group[c]] += 1
                tot_out += 1
                mark[c] = True  # only known groups: marks select the c of counted two-paths
        for p in range(in_ptr[b], in_ptr[b + 1]):
            a = in_idx[p]
            if group[a] >= 0:
                n_in[group[a]] += 1
                tot_in += 1
                if mark[a]:
                    n_mutual[group[a]] += 1
        same_other = 0  # sum over groups x != gb of n_in[x] * n_out[x]
        mutual_other = 0
        for p in range(in_ptr[b], in_ptr[b + 1]):  # visit each group once through its first in-neighbour
            x = group[in_idx[p]]
            if x >= 0 and x != gb and n_in[x] > 0:
                same_other += n_in[x] * n_out[x]
                mutual_other += n_mutual[x]
                n_in[x] = -n_in[x]  # visited
        for p in range(in_ptr[b], in_ptr[b + 1]):
            x = group[in_idx[p]]
            if x >= 0 and n_in[x] < 0:
                n_in[x] = -n_in[x]
        coordinator = n_in[gb] * n_out[gb] - n_mutual[gb]
        representative = n_in[gb] * (tot_out - n_out[gb])
        gatekeeper = (tot_in - n_in[gb]) * n_out[gb]
        itinerant = same_other - mutual_other
        liaison = (tot_in - n_in[gb]) * (tot_out - n_out[gb]) - same_other
        # closed two-paths a -> b -> c with a -> c are not brokerage
        for p in range(in_ptr[b], in_ptr[b + 1]):
            a = in_idx[p]
            ga = group[a]
            if ga < 0:
                continue
            for q in range(out_ptr[a], out_ptr[a + 1]):
                c = out_idx[q]
                if c == a or c == b or not mark[c]:  # noqa: SIM109 - plain compares compile in numba
                    continue
                gc = group[c]
                if ga == gb and gc == gb:
                    coordinator -= 1
                elif ga == gc:
                    itinerant -= 1
                elif ga == gb:
                    representative -= 1
                elif gc == gb:
                    gatekeeper -= 1
                else:
                    liaison -= 1
        out[row, 0] = coordinator
        out[row, 1] = itinerant
        out[row, 2] = representative
        out[row, 3] = gatekeeper
        out[row, 4] = liaison
        for p in range(out_ptr[b], out_ptr[b + 1]):
            c = out_idx[p]
            mark[c] = False
            if group[c] >= 0:
                n_out[group[c]] = 0
        for p in range(in_ptr[b], in_ptr[b + 1]):
            a = in_idx[p]
            if group[a] >= 0:
                n_in[group[a]] = 0
                n_mutual[group[a]] = 0
    return out


@numba.njit(nogil=True, cache=True)
def brandes_dependencies(out_ptr: np.ndarray, out_idx: np.ndarray, in_ptr: np.ndarray, in_idx: np.ndarray,
                         sources: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """Brandes' accumulated dependencies Σ_s δ_s(v) over ``sources`` (unweighted shortest paths).

    Breadth-first search from each source along out-arcs, then dependencies accumulated in reverse order over
    in-arcs from predecessors (one hop closer to the source). With all nodes as sources this is betweenness on
    directed graphs and twice betweenness on undirected ones.
    """
    n = out_ptr.shape[0] - 1
    total = np.zeros(n)
    dist = np.full(n, -1, dtype=np.int64)
    sigma = np.zeros(n)
    delta = np.zeros(n)
    order = np.empty(n, dtype=np.int64)
    for s in sources:
        head = 0
        tail = 1
        order[0] = s
        dist[s] = 0
        sigma[s] = 1.0
        while head < tail:
            x = order[head]
            head += 1
            step = dist[x] + 1
            for p in range(out_ptr[x], out_ptr[x + 1]):
                y = out_idx[p]
                if dist[y] < 0:
                    dist[y] = step
                    order[tail] = y
                    tail += 1
                if dist[y] == step:
                    sigma[y] += sigma[x]
        for i in range(tail - 1, 0, -1):
            w = order[i]
            before = dist[w] - 1
            coeff = (1.0 + delta[w]) / sigma[w]
            for p in range(in_ptr[w], in_ptr[w + 1]):
                v = in_idx[p]
                if dist[v] == before:
                    delta[v] += sigma[v] * coeff
            total[w] += delta[w]
        for i in range(tail):
            w = order[i]
            dist[w] = -1
            sigma[w] = 0.0
            delta[w] = 0.0
    return total


@numba.njit(nogil=True, cache=True)
def _union(parent: np.ndarray, size: np.ndarray, x: int, y: int) -> int:  # pragma: no cover - compiled
    """Join the sets of x and y (by size, with path halving); the new set's size, or 0 if already joined."""
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    while parent[y] != y:
        parent[y] = parent[parent[y]]
        y = parent[y]
    if x == y:
        return 0
    if size[x] < size[y]:
        x, y = y, x
    parent[y] = x
    size[x] += size[y]
    return size[x]


@numba.njit(nogil=True, cache=True)
def removal_curve(u: np.ndarray, v: np.ndarray, indptr: np.ndarray, indices: np.ndarray, order: np.ndarray,
                  ks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Largest component size and number of components after removing ``order[:k]`` for each ``k`` in ``ks``.

    ``u``, ``v``: the undirected ties once each; ``indptr``/``indices``: the same as adjacency. ``ks`` ascending,
    ``ks[-1] <= len(order)``. The graph without the removed nodes is joined tie by tie, then the removed nodes
    are put back in reverse removal order with their ties (a union–find), so one pass gives the whole curve.
    """
    n = indptr.shape[0] - 1
    kmax = ks[ks.shape[0] - 1]
    removed = np.zeros(n, dtype=np.bool_)
    for i in range(kmax):
        removed[order[i]] = True
    parent = np.arange(n)
    size = np.ones(n, dtype=np.int64)
    components = n - kmax
    largest = 1 if components > 0 else 0
    for e in range(u.shape[0]):
        a = u[e]
        b = v[e]
        if removed[a] or removed[b]:
            continue
        joined = _union(parent, size, a, b)
        if joined > 0:
            components -= 1
            if joined > largest:
                largest = joined
    out_largest = np.zeros(ks.shape[0], dtype=np.int64)
    out_components = np.zeros(ks.shape[0], dtype=np.int64)
    j = ks.shape[0] - 1
    while j >= 0 and ks[j] == kmax:
        out_largest[j] = largest
        out_components[j] = components
        j -= 1
    for i in range(kmax - 1, -1, -1):
        x = order[i]
        removed[x] = False
        components += 1
        if largest < 1:
            largest = 1
        for p in range(indptr[x], indptr[x + 1]):
            y = indices[p]
            if not removed[y]:
                joined = _union(parent, size, x, y)
                if joined > 0:
                    components -= 1
                    if joined > largest:
                        largest = joined
        while j >= 0 and ks[j] == i:
            out_largest[j] = largest
            out_components[j] = components
            j -= 1
    return out_largest, out_components


@numba.njit(nogil=True, cache=True)
def random_removal_curves(u: np.ndarray, v: np.ndarray, indptr: np.ndarray, indices: np.ndarray,
                          orders: np.ndarray, ks: np.ndarray, share: int
                          ) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """:func:`removal_curve` for each row of ``orders`` (one random removal order per replicate).

    ``share`` replicates at a time share one pass over the ties: the graph without every node any of them removes
    is joined once; each replicate then copies that state, puts back the nodes only the others removed, and
    finishes as :func:`removal_curve` does. The components, hence the results, are the same as one pass per
    replicate; the work per replicate drops from m ties to about m / share + share · k · mean degree.
    """
    n = indptr.shape[0] - 1
    r = orders.shape[0]
    nk = ks.shape[0]
    kmax = ks[nk - 1]
    out_largest = np.zeros((r, nk), dtype=np.int64)
    out_components = np.zeros((r, nk), dtype=np.int64)
    base_removed = np.zeros(n, dtype=np.bool_)
    state = np.zeros(n, dtype=np.int64)  # == stamp: removed in this replicate; == -stamp: put back in it
    stamp = 0
    for g0 in range(0, r, share):
        g1 = min(g0 + share, r)
        base_removed[:] = False
        for row in range(g0, g1):
            for i in range(kmax):
                base_removed[orders[row, i]] = True
        parent = np.arange(n)
        size = np.ones(n, dtype=np.int64)
        base_components = n - int(base_removed.sum())
        base_largest = 1 if base_components > 0 else 0
        for e in range(u.shape[0]):
            a = u[e]
            b = v[e]
            if base_removed[a] or base_removed[b]:
                continue
            joined = _union(parent, size, a, b)
            if joined > 0:
                base_components -= 1
                if joined > base_largest:
                    base_largest = joined
        for row in range(g0, g1):
            stamp += 1
            p = parent.copy()
            sz = size.copy()
            components = base_components
            largest = base_largest
            for i in range(kmax):
                state[orders[row, i]] = stamp
            for row2 in range(g0, g1):  # nodes only the other replicates removed come back first
                if row2 == row:
                    continue
                for i in range(kmax):
                    x = orders[row2, i]
                    if state[x] == stamp or state[x] == -stamp:
                        continue
                    state[x] = -stamp
                    components += 1
                    if largest < 1:
                        largest = 1
                    for q in range(indptr[x], indptr[x + 1]):
                        y = indices[q]
                        if state[y] == stamp or (base_removed[y] and state[y] != -stamp):
                            continue
                        joined = _union(p, sz, x, y)
                        if joined > 0:
                            components -= 1
                            if joined > largest:
                                largest = joined
            j = nk - 1
            while j >= 0 and ks[j] == kmax:
                out_largest[row, j] = largest
                out_components[row, j] = components
                j -= 1
            for i in range(kmax - 1, -1, -1):
                x = orders[row, i]
                state[x] = -stamp
                components += 1
                if largest < 1:
                    largest = 1
                for q in range(indptr[x], indptr[x + 1]):
                    y = indices[q]
                    if state[y] == stamp or (base_removed[y] and state[y] != -stamp):
                        continue
                    joined = _union(p, sz, x, y)
                    if joined > 0:
                        components -= 1
                        if joined > largest:
                            largest = joined
                while j >= 0 and ks[j] == i:
                    out_largest[row, j] = largest
                    out_components[row, j] = components
                    j -= 1
    return out_largest, out_components


@numba.njit(nogil=True, cache=True)
def nested_core_fit(indptr: np.ndarray, indices: np.ndarray, order: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Ties inside the core and between core and periphery as nodes join the core one by one in ``order``.

    Returns ``core_ties[c]`` and ``cross_ties[c]`` for a core of the first ``c`` nodes, ``c = 0..n``.
    """
    n = indptr.shape[0] - 1
    in_core = np.zeros(n, dtype=np.bool_)
    core_ties = np.zeros(n + 1, dtype=np.int64)
    cross_ties = np.zeros(n + 1, dtype=np.int64)
    cc = 0
    cp = 0
    for i in range(n):
        x = order[i]
        inside = 0
        deg = indptr[x + 1] - indptr[x]
        for p in range(indptr[x], indptr[x + 1]):
            if in_core[indices[p]]:
                inside += 1
        cc += inside
        cp += deg - 2 * inside
        in_core[x] = True
        core_ties[i + 1] = cc
        cross_ties[i + 1] = cp
    return core_ties, cross_ties
