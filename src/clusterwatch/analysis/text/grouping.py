"""How many groups, and the broad level: k chosen from the data, Ward's clustering of the fine centroids."""

from __future__ import annotations

import math

import numpy as np


def default_n_activities(n_firms: int) -> int:
    """The number of activities chosen from the data: :math:`\\sqrt{n/2}` rounded, clipped to 5..60 and to ``n``.

    Parameters
    ----------
    n_firms
        Firms with texts.

    Examples
    --------
    >>> default_n_activities(753), default_n_activities(16914), default_n_activities(20)
    (19, 60, 5)
    """
    return int(min(max(round(math.sqrt(n_firms / 2)), 5), 60, max(n_firms, 1)))


def default_n_broad(n_fine: int) -> int:
    """The number of broad activities: :math:`\\sqrt{2k}` of the ``k`` fine ones, rounded, at least 1.

    Examples
    --------
    >>> default_n_broad(60), default_n_broad(19), default_n_broad(2)
    (11, 6, 2)
    """
    return int(max(1, min(n_fine, round(math.sqrt(2 * n_fine)))))


def broad_groups(centroids: np.ndarray, sizes: np.ndarray, n_broad: int) -> np.ndarray:
    """Broad group (0-based) of each fine activity: Ward clustering of the fine centroids, cut at ``n_broad``."""
    k = len(centroids)
    if n_broad >= k:
        return np.arange(k)
    if n_broad == 1:
        return np.zeros(k, dtype=int)
    import scipy.cluster.hierarchy as hierarchy

    tree = hierarchy.linkage(centroids, method="ward")
    return hierarchy.fcluster(tree, t=n_broad, criterion="maxclust").astype(int) - 1
