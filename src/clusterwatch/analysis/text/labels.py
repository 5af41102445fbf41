"""Class-based TF-IDF (c-TF-IDF) keywords for groups of documents, as in BERTopic."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def group_indicator(labels: np.ndarray, n_groups: int, *, dtype: type = np.float64) -> sp.csr_matrix:
    """Groups × items 0/1 matrix: row ``g`` marks the items labelled ``g``; labels outside ``0 .. n_groups - 1``
    (``-1`` for outliers) mark nothing. ``indicator @ per_item`` sums per-item rows by group.

    Examples
    --------
    >>> group_indicator(np.array([1, -1, 0, 1]), 2).toarray().tolist()
    [[0.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 1.0]]
    """
    labels = np.asarray(labels)
    member = np.flatnonzero((labels >= 0) & (labels < n_groups))
    return sp.csr_matrix(
        (np.ones(len(member), dtype=dtype), (labels[member], member)), shape=(n_groups, len(labels))
    )


def class_tfidf(counts: sp.csr_matrix, classes: np.ndarray, n_classes: int) -> np.ndarray:
    """c-TF-IDF weights of every term in every class.

    The documents of a class are treated as one document. As in BERTopic's ``ClassTfidfTransformer`` (Grootendorst
    2022), the weight of term :math:`t` in class :math:`c` is

    .. math:: W_{t,c} = \\mathrm{tf}_{t,c} \\cdot \\log\\left(1 + \\frac{A}{f_t}\\right)

    where :math:`\\mathrm{tf}_{t,c}` is the frequency of :math:`t` in :math:`c` divided by the number of words in
    :math:`c` (L1-normalised counts), :math:`f_t` the frequency of :math:`t` across all classes and :math:`A` the
    average number of words per class.

    Parameters
    ----------
    counts
        Documents × terms raw counts.
    classes
        The class of each document, ``0 .. n_classes - 1``; other values (``-1`` for outliers) take part in
        :math:`f_t` and :math:`A` through a class of their own, as BERTopic's outlier topic does, and get no row.
    n_classes
        Number of classes.

    Returns
    -------
    numpy.ndarray
        ``n_classes`` × terms weights.

    References
    ----------
    Grootendorst, M. (2022). BERTopic: Neural topic modeling with a class-based TF-IDF procedure. arXiv:2203.05794.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> counts = sp.csr_matrix(np.array([[2, 0, 1], [0, 3, 1]]))
    >>> w = class_tfidf(counts, np.array([0, 1]), 2)
    >>> [int(np.argmax(row)) for row in w]
    [0, 1]
    """
    labels = np.where((classes >= 0) & (classes < n_classes), classes, n_classes)
    per_class = np.asarray((group_indicator(labels, n_classes + 1) @ counts).todense(), dtype=float)
    words = per_class.sum(axis=1)
    present = words > 0
    average_words = words[present].mean() if present.any() else 0.0
    term_total = per_class.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        idf = np.where(term_total > 0, np.log(1.0 + average_words / term_total), 0.0)
        tf = np.where(words[:, None] > 0, per_class / words[:, None], 0.0)
    return (tf * idf)[:n_classes]


def top_terms(weights: np.ndarray, terms: np.ndarray, n: int) -> list[list[str]]:
    """The ``n`` heaviest terms of each class, skipping a term whose words the terms already taken all hold.

    The skip keeps labels from repeating themselves (``unmanned aerial`` then ``aerial``) when bigrams are used.

    Examples
    --------
    >>> import numpy as np
    >>> top_terms(np.array([[3.0, 2.0, 1.0]]), np.array(["unmanned aerial", "aerial", "drone"]), 2)
    [['unmanned aerial', 'drone']]
    """
    out: list[list[str]] = []
    for row in weights:
        order = np.argsort(-row, kind="stable")
        chosen: list[str] = []
        seen: set[str] = set()
        for index in order:
            if row[index] <= 0 or len(chosen) == n:
                break
            term = str(terms[index])
            words = set(term.split())
            if words <= seen:
                continue
            chosen.append(term)
            seen |= words
        out.append(chosen)
    return out


#: A term names a group in its label only when at least this many of the group's firms use it.
LABEL_MIN_FIRMS: int = 3


def label_weights(counts: sp.csr_matrix, groups: np.ndarray, n: int) -> np.ndarray:
    """c-TF-IDF weights, with a term kept for a group's label only when :data:`LABEL_MIN_FIRMS` of its firms (or all
    of a smaller group's) use it: one prolific firm's name ("poc", "luna") is not what a group does."""
    weights = class_tfidf(counts, groups, n)
    firms_using = np.asarray((group_indicator(groups, n) @ (counts > 0).astype(np.float64)).todense())
    size = np.bincount(groups[groups >= 0], minlength=n).astype(float)
    weights[firms_using < np.minimum(LABEL_MIN_FIRMS, size)[:, None]] = 0.0
    return weights
