"""Neighbourhood graphs for local statistics: one CSR form, the self-weight explicit, H3 k-rings, space-time lags.

Every local statistic in clusterwatch (Gi* on H3 cells, the space-time Gi* of emerging hot spots) reads its
neighbours from a :class:`NeighbourGraph`: binary weights in compressed-sparse-row form, each unit's *other*
neighbours in ``indices``, and the unit's weight on itself stated once in ``self_weight`` (1 for Gi*, 0 for Gi),
so no builder adds or drops the diagonal silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from clusterwatch.errors import OptionError


@dataclass(frozen=True, eq=False)
class NeighbourGraph:
    """Binary neighbours of ``n`` units in CSR form; the unit itself never in ``indices``.

    Attributes
    ----------
    indptr
        Shape ``(n + 1,)``: unit i's neighbours are ``indices[indptr[i]:indptr[i + 1]]``.
    indices
        Neighbour unit numbers, the unit itself left out, ascending within each unit.
    self_weight
        The weight of each unit on itself: 1.0 (Gi*: the unit is in its own sum) or 0.0 (Gi).
    """

    indptr: np.ndarray
    indices: np.ndarray
    self_weight: float = 1.0

    def __post_init__(self) -> None:
        indptr = np.asarray(self.indptr, dtype=np.int64)
        indices = np.asarray(self.indices, dtype=np.int64)
        n = indptr.size - 1
        if indptr.ndim != 1 or n < 0 or indptr[0] != 0 or (np.diff(indptr) < 0).any() or indptr[-1] != indices.size:
            raise OptionError("a neighbour graph in CSR form needs indptr of length n + 1 from 0 to len(indices)")
        if indices.size and (indices.min() < 0 or indices.max() >= n):
            raise OptionError(f"neighbour indices must lie in 0..{n - 1}")
        if (indices == np.repeat(np.arange(n), np.diff(indptr))).any():
            raise OptionError("a unit lists itself as a neighbour; state the self-weight in self_weight instead")
        if self.self_weight not in (0.0, 1.0):
            raise OptionError(f"self_weight must be 0 or 1 (binary weights), got {self.self_weight!r}")
        object.__setattr__(self, "indptr", indptr)
        object.__setattr__(self, "indices", indices)
        object.__setattr__(self, "self_weight", float(self.self_weight))

    @property
    def n(self) -> int:
        """Number of units."""
        return int(self.indptr.size - 1)

    @property
    def cardinality(self) -> np.ndarray:
        """Each unit's number of other neighbours."""
        return np.diff(self.indptr)

    @property
    def weight(self) -> np.ndarray:
        """Each unit's sum of weights, the self-weight included (|N(i)| + 1 for Gi*)."""
        return self.cardinality + self.self_weight

    def lists(self) -> list[list[int]]:
        """Each unit's other neighbours as a list."""
        return [self.indices[a:b].tolist() for a, b in zip(self.indptr[:-1], self.indptr[1:], strict=True)]

    def to_sparse(self) -> sparse.csr_matrix:
        """The weights as a SciPy CSR matrix, the self-weight on the diagonal."""
        n = self.n
        data = np.ones(self.indices.size)
        matrix = sparse.csr_matrix((data, self.indices, self.indptr), shape=(n, n))
        return (matrix + self.self_weight * sparse.identity(n, format="csr")).tocsr()


def from_lists(neighbours: Sequence[Sequence[int]], *, self_weight: float = 1.0) -> NeighbourGraph:
    """A :class:`NeighbourGraph` from each unit's list of other neighbours.

    Parameters
    ----------
    neighbours
        For each unit, the numbers of its other neighbours (the unit itself left out).
    self_weight
        1 (Gi*: each unit in its own sum) or 0.

    Examples
    --------
    >>> graph = from_lists([[1], [0, 2], [1]])
    >>> graph.weight.tolist(), graph.to_sparse().toarray().astype(int).tolist()
    ([2.0, 3.0, 2.0], [[1, 1, 0], [1, 1, 1], [0, 1, 1]])
    """
    lengths = np.array([len(row) for row in neighbours], dtype=np.int64)
    indptr = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    rows = [np.sort(np.asarray(row, dtype=np.int64)) for row in neighbours]
    indices = np.concatenate(rows) if indptr[-1] else np.empty(0, dtype=np.int64)
    return NeighbourGraph(indptr, indices, self_weight)


def h3_graph(cells: Sequence[str] | np.ndarray, k: int, *, self_weight: float = 1.0) -> NeighbourGraph:
    """Neighbours among the given H3 cells: the cells within ``k`` grid steps (H3 ``grid_disk``), the cell excluded.

    Only the given cells take part: a cell within ``k`` steps that is not listed is no neighbour.

    Parameters
    ----------
    cells
        H3 cell indexes, one per unit.
    k
        Grid steps (0: no neighbours; 1: the six adjacent cells).
    self_weight
        1 (Gi*) or 0.

    Raises
    ------
    OptionError
        When ``k`` is not a whole number ≥ 0 or a cell is not an H3 index.

    Examples
    --------
    >>> import h3
    >>> centre = h3.latlng_to_cell(47.6, -122.3, 8)
    >>> cells = sorted(h3.grid_disk(centre, 1))
    >>> graph = h3_graph(cells, 1)
    >>> int(graph.weight[cells.index(centre)]), int(h3_graph(cells, 0).weight.sum())
    (7, 7)
    """
    import h3

    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
        raise OptionError(f"k must be a whole number of H3 grid steps >= 0, got {k!r}")
    names = [str(cell) for cell in cells]
    position = {cell: i for i, cell in enumerate(names)}
    rows: list[list[int]] = []
    for cell in names:
        try:
            disk = h3.grid_disk(cell, int(k))
        except (ValueError, TypeError) as error:  # h3 raises its own subclasses of ValueError
            raise OptionError(f"{cell!r} is not an H3 cell index") from error
        rows.append([position[c] for c in disk if c != cell and c in position])
    return from_lists(rows, self_weight=self_weight)


def space_time_graph(spatial: NeighbourGraph, n_periods: int, time_lags: int) -> NeighbourGraph:
    """The space-time neighbourhoods of a cube: a bin's spatial neighbours and itself, now and ``time_lags`` back.

    Units are the cube's bins numbered location-major (bin ``(i, t)`` is unit ``i * n_periods + t``, the order of
    ``counts.ravel()`` for counts of shape (locations, periods)). Bin ``(i, t)`` neighbours every bin ``(j, s)``
    with j = i or j a spatial neighbour of i, and ``t - time_lags <= s <= t``, except itself (whose weight is the
    spatial graph's ``self_weight``); the first periods have fewer lags, as there is nothing before the first.

    Examples
    --------
    >>> g = space_time_graph(from_lists([[1], [0]]), n_periods=3, time_lags=1)
    >>> g.weight.tolist()                                # (2 cells) x (1 or 2 periods)
    [2.0, 4.0, 4.0, 2.0, 4.0, 4.0]
    >>> g.lists()[1]                                     # bin (0, 1): (0, 0), (1, 0), (1, 1)
    [0, 3, 4]
    """
    if isinstance(n_periods, bool) or not isinstance(n_periods, int | np.integer) or n_periods < 1:
        raise OptionError(f"n_periods must be a whole number >= 1, got {n_periods!r}")
    if isinstance(time_lags, bool) or not isinstance(time_lags, int | np.integer) or time_lags < 0:
        raise OptionError(f"time_lags must be a whole number of periods >= 0, got {time_lags!r}")
    n_loc, n_per, lags = spatial.n, int(n_periods), int(time_lags)
    t = np.arange(n_per)
    back = np.arange(lags + 1)
    counts: list[np.ndarray] = []
    chunks: list[np.ndarray] = []
    for i in range(n_loc):
        near = np.sort(np.append(spatial.indices[spatial.indptr[i]:spatial.indptr[i + 1]], i))
        period = t[:, None, None] - back[None, None, :]  # (periods, 1, lags): the periods each bin reaches
        units = near[None, :, None] * n_per + period  # (periods, locations, lags)
        keep = (period >= 0) & (units != (i * n_per + t)[:, None, None])
        keep = np.broadcast_to(keep, units.shape)
        flat = np.where(keep, units, -1).reshape(n_per, -1)
        flat = np.sort(flat, axis=1)
        chunks.append(flat[flat >= 0])  # rows stay in period order, each sorted
        counts.append(keep.reshape(n_per, -1).sum(axis=1))
    sizes = np.concatenate(counts) if counts else np.empty(0, dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(sizes)])
    indices = np.concatenate(chunks) if chunks else np.empty(0, dtype=np.int64)
    return NeighbourGraph(np.asarray(indptr, dtype=np.int64), indices, spatial.self_weight)
