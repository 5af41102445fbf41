"""Text-derived activities: groups of firms doing related work, found in their own words.

The firm-level fit concatenates each firm's texts into one document, turns the documents into TF-IDF vectors,
reduces them with a truncated SVD (latent semantic analysis), L2-normalises them and groups them by k-means; the
groups are labelled by class-based TF-IDF keywords (as in BERTopic). Each text is then placed in the fitted space
and given the nearest activity, so that dated texts say when a firm turned to a kind of work.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse as sp

from clusterwatch._optional import import_optional
from clusterwatch.analysis.text.codefit import code_fit, firm_codes
from clusterwatch.analysis.text.labels import class_tfidf, top_terms
from clusterwatch.errors import InputError, OptionError
from clusterwatch.stats import resolve_seed

#: Boilerplate of SBIR award abstracts, for ``extra_stop_words`` (words that say an abstract is a proposal, not what
#: it is about).
SBIR_STOP_WORDS: tuple[str, ...] = (
    "phase", "proposed", "propose", "proposal", "program", "project", "develop", "development", "developed",
    "high", "based", "new", "technology", "technologies", "research", "innovation", "commercial", "applications",
    "described", "awardee", "provided", "applicant", "abstract", "sbir", "feasibility", "results", "using", "use",
)

#: Methods of :func:`discover_activities`; only the first is built so far.
METHODS: tuple[str, ...] = ("tfidf-svd-kmeans", "embedding-kmeans")

#: Firms (and texts) whose cosine similarity to their activity's centroid is below this are outliers (``-1``): in
#: the 100-dimensional LSA space of a broad corpus, members of a coherent group sit at 0.3 to 0.9 from its centroid,
#: and texts below 0.2 share little more than boilerplate with it.
OUTLIER_BELOW: float = 0.2

#: Up to this many firms the SVD is exact (eigen-decomposition of the firms' Gram matrix); above it, randomized.
EXACT_SVD_UP_TO: int = 2_000

#: Above this many firms k-means runs in mini-batches (scikit-learn ``MiniBatchKMeans``).
MINIBATCH_ABOVE: int = 50_000

OUTLIER = "-1"


@dataclass(frozen=True)
class ActivityResult:
    """Activities discovered in texts, with the parameters that made them.

    Attributes
    ----------
    activities
        One row per activity: ``activity_id`` (``"T01"``, ``"T02"`` …, numbered by number of firms, largest first;
        the same for the same input and seed), ``label`` (top 3 c-TF-IDF keywords, ``" / "``-joined), ``keywords``
        (top 10, ``"; "``-joined), ``n_firms``, ``n_texts`` (texts placed in it), ``first_period`` (year of its first
        dated text; NA when undated), ``representative`` (its text most similar to the centroid, first 200
        characters), ``code_coverage``, ``code_entropy``, ``code_capture``, ``dominant_code``, ``top_codes``,
        ``n_coded``, ``unclassified`` (see :func:`~clusterwatch.analysis.text.codefit.code_fit`), ``method``.
    assignments
        ``firm_id``, ``activity_id``, ``score`` (cosine similarity to the centroid) of every firm in an activity;
        outlier firms are left out.
    text_assignments
        One row per text used: ``row`` (the text's index label in the input), ``firm_id``, ``activity_id`` (``"-1"``
        for an outlier text), ``score``, ``date``; ``dataset`` when the input has it.
    method
        ``"tfidf-svd-kmeans"``.
    n_activities
        The number of k-means groups fitted (before small ones were merged into the outliers).
    min_firms, min_score, as_of
        The parameters used.
    n_dimensions
        SVD dimensions used.
    n_texts_used, n_texts_dropped
        Texts used; texts left out (empty, or undated or dated after ``as_of`` when it is given).
    seed
        The seed (entropy of :func:`clusterwatch.stats.resolve_seed`).
    """

    activities: pd.DataFrame
    assignments: pd.DataFrame
    text_assignments: pd.DataFrame
    method: str
    n_activities: int
    min_firms: int
    min_score: float
    as_of: pd.Timestamp | None
    n_dimensions: int
    n_texts_used: int
    n_texts_dropped: int
    seed: int

    def to_frame(self) -> pd.DataFrame:
        """The activities table (a copy)."""
        return self.activities.copy()


def _validate(
    texts: pd.DataFrame, n_activities: int | None, min_firms: int, min_score: float, method: str
) -> None:
    if not isinstance(texts, pd.DataFrame):
        raise OptionError(f"texts must be a pandas DataFrame, got {type(texts).__name__}")
    missing = [c for c in ("firm_id", "text") if c not in texts.columns]
    if missing:
        raise InputError(f"texts lack the column(s) {', '.join(missing)}; they have {', '.join(map(str, texts))}")
    if method not in METHODS:
        raise OptionError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if method != "tfidf-svd-kmeans":
        raise OptionError(
            f"method {method!r} (sentence embeddings) is not built yet; use method='tfidf-svd-kmeans'"
        )
    if n_activities is not None and (
        isinstance(n_activities, bool) or not isinstance(n_activities, int | np.integer) or n_activities < 2
    ):
        raise OptionError(f"n_activities must be None or an int >= 2, got {n_activities!r}")
    if isinstance(min_firms, bool) or not isinstance(min_firms, int | np.integer) or min_firms < 1:
        raise OptionError(f"min_firms must be an int >= 1, got {min_firms!r}")
    if not isinstance(min_score, int | float) or not -1.0 <= float(min_score) < 1.0:
        raise OptionError(f"min_score must be a number in [-1, 1), got {min_score!r}")


def _select(texts: pd.DataFrame, as_of: pd.Timestamp | None) -> pd.DataFrame:
    """The usable texts: non-empty, and dated on or before ``as_of`` when it is given."""
    text = texts["text"].astype("string").str.strip()
    keep = text.notna() & (text != "") & texts["firm_id"].notna()
    if as_of is not None:
        if "date" not in texts.columns:
            raise InputError("as_of needs dated texts: the texts lack a 'date' column")
        dates = pd.to_datetime(texts["date"])
        keep &= dates.notna() & (dates <= as_of)
    used = texts.loc[keep].copy()
    used["text"] = text[keep]
    used["firm_id"] = used["firm_id"].astype("string")
    return used


def default_n_activities(n_firms: int) -> int:
    """The number of activities chosen from the data: :math:`\\sqrt{n/2}` rounded, clipped to 5..60 and to ``n``.

    Examples
    --------
    >>> default_n_activities(753), default_n_activities(16914), default_n_activities(20)
    (19, 60, 5)
    """
    return int(min(max(round(math.sqrt(n_firms / 2)), 5), 60, max(n_firms, 1)))


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


def _exact_components(matrix: sp.csr_matrix, dims: int) -> np.ndarray:
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


def discover_activities(
    texts: pd.DataFrame,
    n_activities: int | None = None,
    min_firms: int = 5,
    as_of: str | pd.Timestamp | None = None,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
    *,
    method: str = "tfidf-svd-kmeans",
    min_score: float = OUTLIER_BELOW,
    n_dimensions: int = 100,
    max_features: int = 50_000,
    extra_stop_words: Sequence[str] = (),
) -> ActivityResult:
    """Group firms into activities by what their texts say, label them, and tell how official codes fit them.

    Parameters
    ----------
    texts
        One row per text: ``firm_id``, ``text``; optionally ``date`` (datetime64), ``code`` (the firm's official
        code, for the code fit) and ``dataset`` (passed through to ``text_assignments``). Empty texts are ignored.
        Not changed.
    n_activities
        Number of k-means groups; ``None`` chooses :func:`default_n_activities` of the number of firms.
    min_firms
        Activities with fewer firms are merged into the outliers.
    as_of
        Only texts dated on or before it are used, for the fit as well as the counts (undated texts are then left
        out too).
    rng
        Seed (see :func:`clusterwatch.stats.resolve_seed`); stored in the result.
    method
        ``"tfidf-svd-kmeans"``: TF-IDF (English stop words, sublinear tf, unigrams and bigrams, terms in at least 2
        and at most half of the firms), truncated SVD, L2 normalisation, k-means. ``"embedding-kmeans"`` (sentence
        embeddings) is reserved for the ``text`` extra and not built yet.
    min_score
        Firms and texts whose cosine similarity to the nearest centroid is below it are outliers
        (default :data:`OUTLIER_BELOW`).
    n_dimensions
        SVD dimensions (fewer when the vocabulary or the number of firms is smaller).
    max_features
        Largest vocabulary kept (the most frequent terms).
    extra_stop_words
        Words to ignore besides scikit-learn's English stop words: a source's boilerplate (for SBIR abstracts, for
        example ``"phase"``, ``"proposed"``, ``"program"``), which otherwise turns up in labels.

    Returns
    -------
    ActivityResult

    Raises
    ------
    OptionError
        For a bad parameter value, or a method that is not available.
    InputError
        When a column is missing, or the texts are too few or too alike to group.
    MissingDependencyError
        When scikit-learn is not installed.

    Notes
    -----
    In the spirit of Nesta's bottom-up industrial taxonomy (Gerard et al. 2021) and Hoberg & Phillips' text-based
    industries, with LSA vectors in place of sentence embeddings, and one resolution (k) per call: call it with
    different ``n_activities`` for broad and fine groupings. Labels are c-TF-IDF keywords (Grootendorst 2022).

    References
    ----------
    Hoberg, G., & Phillips, G. (2016). Text-based network industries and endogenous product differentiation.
    Journal of Political Economy, 124(5), 1423–1465.
    Grootendorst, M. (2022). BERTopic: Neural topic modeling with a class-based TF-IDF procedure. arXiv:2203.05794.
    Deerwester, S., et al. (1990). Indexing by latent semantic analysis. JASIS, 41(6), 391–407.

    Examples
    --------
    >>> import pandas as pd
    >>> themes = {"drone": "drone flight autonomy aerial inspection",
    ...           "yeast": "yeast protein gene assay enzyme"}
    >>> rows = [(f"{k}{i}", f"{v} {w}") for k, v in themes.items() for i, w in enumerate(v.split() * 2)]
    >>> texts = pd.DataFrame(rows, columns=["firm_id", "text"])
    >>> result = discover_activities(texts, n_activities=2, min_firms=2, rng=1)
    >>> sorted(result.activities["n_firms"].tolist()), result.method
    ([10, 10], 'tfidf-svd-kmeans')
    """
    _validate(texts, n_activities, min_firms, min_score, method)
    cutoff = None if as_of is None else pd.Timestamp(as_of)
    seed = resolve_seed(rng)
    used = _select(texts, cutoff)
    sk_text = import_optional("sklearn.feature_extraction.text", extra="text")
    sk_cluster = import_optional("sklearn.cluster", extra="text")
    sk_decomp = import_optional("sklearn.decomposition", extra="text")

    firm_docs = used.groupby("firm_id", sort=True)["text"].agg(" ".join)
    firms = firm_docs.index.to_numpy(dtype=object)
    if len(firms) < 3:
        raise InputError(f"need texts from at least 3 firms to find activities; got {len(firms)}")
    k = default_n_activities(len(firms)) if n_activities is None else int(n_activities)
    if k > len(firms):
        raise OptionError(f"n_activities={k} is more than the {len(firms)} firms with texts")

    if isinstance(extra_stop_words, str):
        raise OptionError(f"extra_stop_words must be a list of words, not the string {extra_stop_words!r}")
    stop_words = sorted(sk_text.ENGLISH_STOP_WORDS | {str(word).lower() for word in extra_stop_words})
    counter = sk_text.CountVectorizer(
        stop_words=stop_words, ngram_range=(1, 2), min_df=2, max_df=0.5, max_features=max_features,
        lowercase=True, dtype=np.float64,
    )
    try:
        counts = counter.fit_transform(firm_docs.to_numpy())
    except ValueError as exc:  # no term is left after the document-frequency cuts
        raise InputError(f"the texts share too few words to group ({exc})") from exc
    tfidf = sk_text.TfidfTransformer(sublinear_tf=True)
    firm_tfidf = tfidf.fit_transform(counts)
    random_state = int(seed.generator().integers(0, 2**31 - 1))
    dims = int(min(n_dimensions, counts.shape[1] - 1, len(firms) - 1))
    components = None
    if dims >= 2:
        if len(firms) <= EXACT_SVD_UP_TO:
            components = _exact_components(firm_tfidf, dims)
        else:
            svd = sk_decomp.TruncatedSVD(n_components=dims, random_state=random_state)
            svd.fit(firm_tfidf)
            components = svd.components_
        vectors = _normalise(np.asarray(firm_tfidf @ components.T))
    else:
        dims = counts.shape[1]
        vectors = _normalise(firm_tfidf.toarray())
    if len(firms) > MINIBATCH_ABOVE:
        model = sk_cluster.MiniBatchKMeans(n_clusters=k, n_init=4, random_state=random_state, batch_size=4096)
    else:
        model = sk_cluster.KMeans(n_clusters=k, n_init=4, random_state=random_state)
    groups = model.fit_predict(vectors)
    centroids = _normalise(model.cluster_centers_)
    firm_score = np.einsum("ij,ij->i", vectors, centroids[groups])
    groups = np.where(firm_score >= min_score, groups, -1)

    # small groups go to the outliers; the rest are numbered by size, largest first (ties: smallest first firm)
    sizes = np.bincount(groups[groups >= 0], minlength=k)
    first_firm = {g: firms[np.flatnonzero(groups == g)[0]] for g in range(k) if sizes[g] > 0}
    kept = sorted((g for g in range(k) if sizes[g] >= min_firms), key=lambda g: (-sizes[g], first_firm[g]))
    if not kept:
        raise InputError(f"no activity has {min_firms} firms or more; lower min_firms or n_activities")
    renumber = np.full(k + 1, -1)
    renumber[kept] = np.arange(len(kept))
    firm_group = renumber[groups]  # -1 stays -1 (index -1 is the last slot, which holds -1)
    width = max(2, len(str(len(kept))))
    ids = np.array([f"T{i + 1:0{width}d}" for i in range(len(kept))], dtype=object)
    kept_centroids = centroids[kept]

    # every text placed in the fitted space, at its nearest kept activity
    text_vectors = tfidf.transform(counter.transform(used["text"].to_numpy()))
    text_vectors = _normalise(
        np.asarray(text_vectors @ components.T) if components is not None else text_vectors.toarray()
    )
    similarity = text_vectors @ kept_centroids.T
    text_group = similarity.argmax(axis=1)
    text_score = similarity[np.arange(len(text_group)), text_group]
    text_group = np.where(text_score >= min_score, text_group, -1)

    in_activity = firm_group >= 0
    assignments = pd.DataFrame(
        {"firm_id": firms[in_activity], "activity_id": ids[firm_group[in_activity]], "score": firm_score[in_activity]}
    )
    assignments["firm_id"] = assignments["firm_id"].astype("string")
    text_assignments = pd.DataFrame(
        {
            "row": used.index.to_numpy(),
            "firm_id": used["firm_id"].to_numpy(),
            "activity_id": np.where(text_group >= 0, ids[np.maximum(text_group, 0)], OUTLIER),
            "score": text_score,
            "date": pd.to_datetime(used["date"]).to_numpy() if "date" in used else pd.NaT,
        }
    )
    if "dataset" in used:
        text_assignments["dataset"] = used["dataset"].to_numpy()

    weights = class_tfidf(counts.tocsr(), firm_group, len(kept))
    keywords = top_terms(weights, counter.get_feature_names_out(), 10)
    activities = _activity_table(ids, keywords, assignments, text_assignments, used)
    codes = firm_codes(used) if "code" in used else pd.Series(dtype="string")
    fit = code_fit(assignments, codes).reindex(ids)
    activities = activities.join(fit, on="activity_id")
    activities["n_coded"] = activities["n_coded"].fillna(0).astype(int)
    activities["unclassified"] = activities["unclassified"].fillna(False).astype(bool)
    activities["method"] = method
    return ActivityResult(
        activities=activities,
        assignments=assignments,
        text_assignments=text_assignments,
        method=method,
        n_activities=k,
        min_firms=int(min_firms),
        min_score=float(min_score),
        as_of=cutoff,
        n_dimensions=dims,
        n_texts_used=len(used),
        n_texts_dropped=len(texts) - len(used),
        seed=seed.entropy,
    )


def _activity_table(
    ids: np.ndarray,
    keywords: list[list[str]],
    assignments: pd.DataFrame,
    text_assignments: pd.DataFrame,
    used: pd.DataFrame,
) -> pd.DataFrame:
    placed = text_assignments[text_assignments["activity_id"] != OUTLIER]
    n_firms = assignments.groupby("activity_id").size().reindex(ids, fill_value=0)
    n_texts = placed.groupby("activity_id").size().reindex(ids, fill_value=0)
    dated = placed.dropna(subset=["date"])
    first = dated.groupby("activity_id")["date"].min().reindex(ids)
    # text_assignments rows are in the order of ``used``: their positions find the text even with a duplicated index
    best = placed.sort_values(["activity_id", "score"], ascending=[True, False], kind="stable")
    position = pd.Series(best.index.to_numpy(), index=best["activity_id"].to_numpy())
    position = position[~position.index.duplicated()].reindex(ids)
    representative = [
        str(used["text"].iloc[int(pos)])[:200] if not pd.isna(pos) else "" for pos in position.to_numpy()
    ]
    return pd.DataFrame(
        {
            "activity_id": ids,
            "label": [" / ".join(words[:3]) for words in keywords],
            "keywords": ["; ".join(words) for words in keywords],
            "n_firms": n_firms.to_numpy(dtype=int),
            "n_texts": n_texts.to_numpy(dtype=int),
            "first_period": pd.array(first.dt.year.to_numpy(), dtype="Int64"),
            "representative": representative,
        }
    )
