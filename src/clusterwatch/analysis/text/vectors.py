"""Vector spaces of firms' texts: TF-IDF + SVD (latent semantic analysis) and the mean of text embeddings."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from clusterwatch.analysis.text.labels import group_indicator

#: Up to this many firms the SVD is exact (eigen-decomposition of the firms' Gram matrix); above it, randomized.
EXACT_SVD_UP_TO: int = 2_000


def normalise_rows(matrix: np.ndarray) -> np.ndarray:
    """Each row divided by its L2 norm (zero rows stay zero)."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


def exact_components(matrix: sp.csr_matrix, dims: int) -> np.ndarray:
    """The top ``dims`` right singular vectors of a sparse matrix with few rows, from its Gram matrix (exact)."""
    gram = np.asarray((matrix @ matrix.T).toarray(), dtype=float)
    n = gram.shape[0]
    values, vectors = scipy.linalg.eigh(gram, subset_by_index=(n - dims, n - 1), driver="evr")
    order = np.argsort(-values, kind="stable")
    values, vectors = np.clip(values[order], 0.0, None), vectors[:, order]
    singular = np.sqrt(values)
    keep = singular > 1e-12 * max(singular[0], 1e-300)
    # V = X^T U / s; fixing each vector's sign (largest entry positive) makes the result independent of the solver
    components = np.asarray(matrix.T @ vectors[:, keep]).T / singular[keep, None]
    signs = np.sign(components[np.arange(components.shape[0]), np.abs(components).argmax(axis=1)])
    return components * np.where(signs == 0, 1.0, signs)[:, None]


def tfidf_space(
    counts: sp.csr_matrix, n_firms: int, n_dimensions: int, random_state: int, sk_decomp: Any, sk_text: Any
) -> tuple[Any, np.ndarray | None, np.ndarray, int]:
    """TF-IDF + SVD of the firm documents: (tfidf transformer, SVD components or None, firm vectors, dims)."""
    tfidf = sk_text.TfidfTransformer(sublinear_tf=True)
    firm_tfidf = tfidf.fit_transform(counts)
    dims = int(min(n_dimensions, counts.shape[1] - 1, n_firms - 1))
    components = None
    if dims >= 2:
        if n_firms <= EXACT_SVD_UP_TO:
            components = exact_components(firm_tfidf, dims)
        else:
            svd = sk_decomp.TruncatedSVD(n_components=dims, random_state=random_state)
            svd.fit(firm_tfidf)
            components = svd.components_
        vectors = normalise_rows(np.asarray(firm_tfidf @ components.T))
    else:
        dims = counts.shape[1]
        vectors = normalise_rows(firm_tfidf.toarray())
    return tfidf, components, vectors, dims


def firm_means(text_vectors: np.ndarray, firm_index: np.ndarray, n_firms: int) -> np.ndarray:
    """The normalised mean of each firm's text vectors (``firm_index`` gives each text's firm position)."""
    indicator = group_indicator(firm_index, n_firms, dtype=np.float32)
    return normalise_rows(np.asarray(indicator @ text_vectors, dtype=np.float64))
