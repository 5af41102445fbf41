"""Text-derived activities: groups of firms doing related work, found in their own words.

This module runs the pipeline; its steps live by idea beside it: :mod:`~.stop_words`, :mod:`~.boilerplate`
(template sentences), :mod:`~.vectors` (TF-IDF + SVD, embedding means), :mod:`~.grouping` (k and the Ward broad
level), :mod:`~.labels` (c-TF-IDF), :mod:`~.novelty` (shares over time, trends, onset).

Two ways to turn texts into vectors, named in every output (``method``):

* ``"embedding-kmeans"`` (the ``text`` extra): every text is embedded with a sentence-embedding model that ships in
  a Python package (all-MiniLM-L6-v2, see :mod:`clusterwatch.io.embed_cache`), cached by model and text hash;
  a firm's vector is the normalised mean of its texts' vectors.
* ``"tfidf-svd-kmeans"`` (the fallback, always available): each firm's texts are concatenated into one document,
  turned into TF-IDF vectors and reduced by a truncated SVD (latent semantic analysis).

Firm vectors are L2-normalised and grouped by k-means (the fine level); the fine activities are grouped again by
Ward's hierarchical clustering of their centroids (the broad level), so every fine activity sits in one broad one.
Groups are labelled by class-based TF-IDF keywords (as in BERTopic) and their most central text. Each text is then
placed at its nearest fine activity, so that dated texts say when a firm turned to a kind of work: the activity's
share of texts per year, a Mann–Kendall trend and whether it appeared only recently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clusterwatch._optional import import_optional
from clusterwatch.analysis.text.boilerplate import demote_boilerplate
from clusterwatch.analysis.text.codefit import code_fit, firm_codes
from clusterwatch.analysis.text.grouping import broad_groups, default_n_activities, default_n_broad
from clusterwatch.analysis.text.labels import label_weights, top_terms
from clusterwatch.analysis.text.novelty import RECENT_YEARS, TREND_MIN_TEXTS, novelty_tables
from clusterwatch.analysis.text.stop_words import DSBS_STOP_WORDS, NORWEGIAN_STOP_WORDS, SBIR_STOP_WORDS
from clusterwatch.analysis.text.vectors import firm_means, normalise_rows, tfidf_space
from clusterwatch.errors import InputError, OptionError
from clusterwatch.stats import resolve_seed

__all__ = [
    "DSBS_STOP_WORDS",
    "EMBEDDING_OUTLIER_BELOW",
    "METHODS",
    "NORWEGIAN_STOP_WORDS",
    "OUTLIER_BELOW",
    "RECENT_YEARS",
    "SBIR_STOP_WORDS",
    "TREND_MIN_TEXTS",
    "ActivityResult",
    "default_n_activities",
    "default_n_broad",
    "demote_boilerplate",
    "discover_activities",
    "resolve_method",
]

#: Methods of :func:`discover_activities`: ``"auto"`` is ``"embedding-kmeans"`` when an ``encode`` is given, else
#: ``"tfidf-svd-kmeans"``.
METHODS: tuple[str, ...] = ("auto", "embedding-kmeans", "tfidf-svd-kmeans")

#: Firms (and texts) whose cosine similarity to their activity's centroid is below this are outliers (``-1``): in
#: the 100-dimensional LSA space of a broad corpus, members of a coherent group sit at 0.3 to 0.9 from its centroid,
#: and texts below 0.2 share little more than boilerplate with it. (TF-IDF + SVD method.)
OUTLIER_BELOW: float = 0.2

#: The same for sentence embeddings (all-MiniLM-L6-v2): unrelated texts sit at cosine 0 to 0.2 from each other and
#: from a group's centroid, members of a coherent group at 0.4 to 0.8; below 0.25 a text shares no more than its
#: genre with the group.
EMBEDDING_OUTLIER_BELOW: float = 0.25


#: Above this many firms k-means runs in mini-batches (scikit-learn ``MiniBatchKMeans``).
MINIBATCH_ABOVE: int = 50_000

OUTLIER = "-1"


@dataclass(frozen=True)
class ActivityResult:
    """Activities discovered in texts, with the parameters that made them.

    Attributes
    ----------
    activities
        One row per fine activity: ``activity_id`` (``"T01"``, ``"T02"`` …, numbered by number of firms, largest
        first; the same for the same input and seed), ``label`` (top 3 c-TF-IDF keywords, ``" / "``-joined),
        ``keywords`` (top 10, ``"; "``-joined), ``n_firms``, ``n_texts`` (texts placed in it), ``first_period``
        (year of its first dated text; NA when undated), ``representative`` (its text most similar to the centroid,
        first 200 characters), ``broad_id`` and ``broad_label`` (the broad activity holding it);
        novelty: ``trend`` (``"increasing"``, ``"decreasing"``, ``"none"``; NA without dated texts), ``trend_tau``,
        ``trend_p`` (Mann–Kendall test on its share of the dated texts per year, over the years with at least
        :data:`TREND_MIN_TEXTS` dated texts — every year with texts when fewer than 3 years have that many),
        ``recent_share`` (share of its dated texts in the recent window), ``onset_period`` (the year by which
        :data:`ONSET_SHARE` of its dated texts had been written), ``new`` (onset inside the recent window);
        code fit (a) ``code_coverage``, ``code_entropy``, ``code_capture``, ``dominant_code``,
        ``top_codes``, ``n_coded``, ``unclassified_by_codes`` (see
        :func:`~clusterwatch.analysis.text.codefit.code_fit`); code fit (b) ``best_code``, ``best_system``,
        ``best_title``, ``title_similarity``, ``top_titles``, ``unclassified_by_titles`` (see
        :func:`~clusterwatch.analysis.text.semantic.semantic_fit`); ``unclassified`` (either flag); ``method``.
    assignments
        ``firm_id``, ``activity_id``, ``score`` (cosine similarity to the centroid), ``broad_id`` of every firm in
        an activity; outlier firms are left out.
    text_assignments
        One row per text used: ``row`` (the text's index label in the input), ``firm_id``, ``activity_id`` (``"-1"``
        for an outlier text), ``score``, ``date``; ``dataset`` when the input has it.
    broad
        One row per broad activity: ``broad_id`` (``"B01"`` …, largest first), ``label``, ``keywords``, ``n_firms``,
        ``n_texts``, ``first_period``, ``n_activities`` (fine activities in it), ``activity_ids``.
    periods
        Long table of the dated texts: ``activity_id``, ``period`` (year), ``n_texts``, ``share`` (of all dated
        texts used that year, outlier texts included in the denominator); every year from the first to the last
        dated text, zeros included.
    method
        ``"embedding-kmeans"`` or ``"tfidf-svd-kmeans"``.
    model
        The embedding model id (e.g. ``"all-MiniLM-L6-v2@96"``), or ``"tfidf-svd"``.
    embedding
        What the embedding step did, when ``encode`` records it (the ``last`` run of a
        :class:`clusterwatch.io.embed_cache.TextEncoder`: cache hits, texts embedded, seconds, device), else
        ``None`` (always for TF-IDF).
    n_activities
        The number of k-means groups fitted (before small ones were merged into the outliers).
    n_broad
        The number of broad activities.
    min_firms, min_score, as_of
        The parameters used.
    recent_from
        First year of the recent window (``None`` without dated texts).
    code_systems
        Code systems whose titles the semantic fit compared with.
    n_dimensions
        Vector dimensions (SVD dimensions, or the embedding size).
    n_texts_used, n_texts_dropped
        Texts used; texts left out (empty, or undated or dated after ``as_of`` when it is given).
    seed
        The seed (entropy of :func:`clusterwatch.stats.resolve_seed`).
    """

    activities: pd.DataFrame
    assignments: pd.DataFrame
    text_assignments: pd.DataFrame
    broad: pd.DataFrame
    periods: pd.DataFrame
    method: str
    model: str
    embedding: Any
    n_activities: int
    n_broad: int
    min_firms: int
    min_score: float
    as_of: pd.Timestamp | None
    recent_from: int | None
    code_systems: tuple[str, ...]
    n_dimensions: int
    n_texts_used: int
    n_texts_dropped: int
    seed: int

    def to_frame(self) -> pd.DataFrame:
        """The activities table (a copy)."""
        return self.activities.copy()

    def new_activities(self) -> pd.DataFrame:
        """Activities that first appear in the recent window, or whose share of texts is increasing."""
        table = self.activities
        return table[table["new"].fillna(False) | (table["trend"] == "increasing")].copy()


def resolve_method(method: str, encode: Callable[[list[str]], np.ndarray] | None = None) -> str:
    """The method ``"auto"`` stands for: embeddings when an ``encode`` is given, else TF-IDF.

    Examples
    --------
    >>> resolve_method("tfidf-svd-kmeans")
    'tfidf-svd-kmeans'
    >>> resolve_method("auto"), resolve_method("auto", lambda texts: np.eye(len(texts)))
    ('tfidf-svd-kmeans', 'embedding-kmeans')
    """
    if method not in METHODS:
        raise OptionError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if method == "auto":
        return "tfidf-svd-kmeans" if encode is None else "embedding-kmeans"
    return method


def _is_int(value: object, low: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | np.integer) and int(value) >= low


def _validate(
    texts: pd.DataFrame, n_activities: int | None, min_firms: int, min_score: float | None, method: str,
    n_broad: int | None, recent_years: int,
) -> None:
    if not isinstance(texts, pd.DataFrame):
        raise OptionError(f"texts must be a pandas DataFrame, got {type(texts).__name__}")
    missing = [c for c in ("firm_id", "text") if c not in texts.columns]
    if missing:
        raise InputError(f"texts lack the column(s) {', '.join(missing)}; they have {', '.join(map(str, texts))}")
    if method not in METHODS:
        raise OptionError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if n_activities is not None and not _is_int(n_activities, 2):
        raise OptionError(f"n_activities must be None or an int >= 2, got {n_activities!r}")
    if n_broad is not None and not _is_int(n_broad, 1):
        raise OptionError(f"n_broad must be None or an int >= 1, got {n_broad!r}")
    if not _is_int(min_firms, 1):
        raise OptionError(f"min_firms must be an int >= 1, got {min_firms!r}")
    if not _is_int(recent_years, 1):
        raise OptionError(f"recent_years must be an int >= 1, got {recent_years!r}")
    if min_score is not None and (
        isinstance(min_score, bool) or not isinstance(min_score, int | float) or not -1.0 <= float(min_score) < 1.0
    ):
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


def discover_activities(
    texts: pd.DataFrame,
    n_activities: int | None = None,
    min_firms: int = 5,
    as_of: str | pd.Timestamp | None = None,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
    *,
    method: str = "auto",
    encode: Callable[[list[str]], np.ndarray] | None = None,
    n_broad: int | None = None,
    recent_years: int = RECENT_YEARS,
    code_systems: Sequence[str] = ("naics", "nace2", "uksic2007"),
    min_score: float | None = None,
    n_dimensions: int = 100,
    max_features: int = 50_000,
    extra_stop_words: Sequence[str] = (),
    demote_template: bool = True,
) -> ActivityResult:
    """Group firms into activities by what their texts say, label them, date them, and tell how codes fit them.

    Parameters
    ----------
    texts
        One row per text: ``firm_id``, ``text``; optionally ``date`` (datetime64), ``code`` (the firm's official
        code, for code fit (a)) and ``dataset`` (passed through to ``text_assignments``). Empty texts are ignored.
        Not changed.
    n_activities
        Number of k-means groups at the fine level; ``None`` chooses :func:`default_n_activities` of the number of
        firms.
    min_firms
        Activities with fewer firms are merged into the outliers.
    as_of
        Only texts dated on or before it are used, for the fit as well as the counts (undated texts are then left
        out too).
    rng
        Seed (see :func:`clusterwatch.stats.resolve_seed`); stored in the result.
    method
        ``"auto"`` (default): ``"embedding-kmeans"`` when ``encode`` is given, else ``"tfidf-svd-kmeans"``.
        ``"embedding-kmeans"``: ``encode`` of every text, firm vector = normalised mean. ``"tfidf-svd-kmeans"``:
        TF-IDF (English stop words, sublinear tf, unigrams and bigrams, terms in at least 2 and at most half of the
        firms) of each firm's concatenated texts, truncated SVD. Both then L2-normalise and run k-means.
    encode
        ``encode(texts) -> array`` of L2-normalised rows, one per text: the sentence embeddings, also used for the
        code titles of the semantic fit. :class:`clusterwatch.io.embed_cache.TextEncoder` (or
        :func:`~clusterwatch.io.embed_cache.auto_encoder`) embeds with a packaged or local model and a cache;
        its ``model_id`` names the model in the result. The analysis itself opens no cache and loads no model.
    n_broad
        Number of broad activities (Ward clustering of the fine centroids); ``None`` chooses
        :func:`default_n_broad`.
    recent_years
        Length of the recent window, ending at ``as_of`` (or the last dated text): an activity whose first dated
        text falls in it is ``new``.
    code_systems
        Code systems whose titles the semantic code fit compares each activity with (``"naics"``, ``"nace2"``,
        ``"uksic2007"``; English titles: for texts in another language the fit says nothing); empty to skip it.
    min_score
        Firms and texts whose cosine similarity to the nearest centroid is below it are outliers (default
        :data:`EMBEDDING_OUTLIER_BELOW` for embeddings, :data:`OUTLIER_BELOW` for TF-IDF).
    n_dimensions
        SVD dimensions (TF-IDF; fewer when the vocabulary or the number of firms is smaller).
    max_features
        Largest vocabulary kept (the most frequent terms), for TF-IDF and for the c-TF-IDF labels.
    extra_stop_words
        Words to ignore besides scikit-learn's English stop words: a source's boilerplate (for SBIR abstracts
        :data:`SBIR_STOP_WORDS`), which otherwise turns up in labels (and, for TF-IDF, in the vectors).
    demote_template
        Embeddings: move template sentences to the end of each text before embedding (see
        :func:`demote_boilerplate`).

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
        When scikit-learn is not installed, or ``method="embedding-kmeans"`` without the ``text`` extra.

    Notes
    -----
    In the spirit of Nesta's bottom-up industrial taxonomy (Gerard et al. 2021) and Hoberg & Phillips' text-based
    industries. Labels are c-TF-IDF keywords (Grootendorst 2022). Differences from BERTopic: k-means in the full
    embedding space instead of UMAP + HDBSCAN (reproducible for a seed, every firm gets a group unless it is far
    from all of them; ``bench/bench_activities.py`` compares both on SBIR), and firms, not texts, are clustered.

    References
    ----------
    Hoberg, G., & Phillips, G. (2016). Text-based network industries and endogenous product differentiation.
    Journal of Political Economy, 124(5), 1423–1465.
    Gerard, J., et al. (2021). A bottom-up industrial taxonomy for the UK. Nesta / ESCoE.
    Grootendorst, M. (2022). BERTopic: Neural topic modeling with a class-based TF-IDF procedure. arXiv:2203.05794.
    Deerwester, S., et al. (1990). Indexing by latent semantic analysis. JASIS, 41(6), 391–407.

    Examples
    --------
    >>> import pandas as pd
    >>> themes = {"drone": "drone flight autonomy aerial inspection",
    ...           "yeast": "yeast protein gene assay enzyme"}
    >>> rows = [(f"{k}{i}", f"{v} {w}") for k, v in themes.items() for i, w in enumerate(v.split() * 2)]
    >>> texts = pd.DataFrame(rows, columns=["firm_id", "text"])
    >>> result = discover_activities(texts, n_activities=2, min_firms=2, rng=1, method="tfidf-svd-kmeans",
    ...                              code_systems=())
    >>> sorted(result.activities["n_firms"].tolist()), result.method
    ([10, 10], 'tfidf-svd-kmeans')
    """
    _validate(texts, n_activities, min_firms, min_score, method, n_broad, recent_years)
    if isinstance(extra_stop_words, str):
        raise OptionError(f"extra_stop_words must be a list of words, not the string {extra_stop_words!r}")
    if isinstance(code_systems, str):
        code_systems = (code_systems,)
    code_systems = tuple(code_systems)
    method = resolve_method(method, encode)
    if method == "embedding-kmeans" and encode is None:
        raise OptionError("method 'embedding-kmeans' needs encode=...: clusterwatch.io.embed_cache.TextEncoder() "
                          "embeds with the packaged model")
    if min_score is None:
        min_score = EMBEDDING_OUTLIER_BELOW if method == "embedding-kmeans" else OUTLIER_BELOW
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

    stop_words = sorted(sk_text.ENGLISH_STOP_WORDS | {str(word).lower() for word in extra_stop_words})
    counter = sk_text.CountVectorizer(
        stop_words=stop_words, ngram_range=(1, 2), min_df=2, max_df=0.5, max_features=max_features,
        lowercase=True, dtype=np.float64,
    )
    try:
        counts = counter.fit_transform(firm_docs.to_numpy())
    except ValueError as exc:  # no term is left after the document-frequency cuts
        raise InputError(f"the texts share too few words to group ({exc})") from exc
    random_state = int(seed.generator().integers(0, 2**31 - 1))

    embedding: Any = None
    if method == "embedding-kmeans" and encode is not None:
        to_embed = demote_boilerplate(used["text"].tolist())[0] if demote_template else used["text"].tolist()
        embedded = np.asarray(encode(to_embed), dtype=np.float32)
        if embedded.ndim != 2 or embedded.shape[0] != len(to_embed):
            raise OptionError(f"encode must return one row per text ({len(to_embed)}), got shape {embedded.shape}")
        embedding = getattr(encode, "last", None)
        text_vectors = embedded.astype(np.float64)
        firm_position = pd.Index(firms).get_indexer(used["firm_id"].to_numpy(dtype=object))
        vectors = firm_means(embedded, firm_position, len(firms))
        dims = int(vectors.shape[1])
        model_name = str(getattr(encode, "model_id", "encode"))
        tfidf, components = None, None
    else:
        tfidf, components, vectors, dims = tfidf_space(counts, len(firms), n_dimensions, random_state, sk_decomp,
                                                        sk_text)
        model_name = "tfidf-svd"

    if len(firms) > MINIBATCH_ABOVE:
        kmeans = sk_cluster.MiniBatchKMeans(n_clusters=k, n_init=4, random_state=random_state, batch_size=4096)
    else:
        kmeans = sk_cluster.KMeans(n_clusters=k, n_init=4, random_state=random_state)
    groups = kmeans.fit_predict(vectors)
    centroids = normalise_rows(kmeans.cluster_centers_)
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
    if tfidf is not None:
        text_tfidf = tfidf.transform(counter.transform(used["text"].to_numpy()))
        text_vectors = normalise_rows(
            np.asarray(text_tfidf @ components.T) if components is not None else text_tfidf.toarray()
        )
    similarity = text_vectors @ kept_centroids.T
    text_group = similarity.argmax(axis=1)
    text_score = similarity[np.arange(len(text_group)), text_group]
    text_group = np.where(text_score >= min_score, text_group, -1)

    # broad level: Ward clustering of the fine centroids, numbered by firms (largest first)
    b = default_n_broad(len(kept)) if n_broad is None else min(int(n_broad), len(kept))
    raw_broad = broad_groups(kept_centroids, sizes[kept], b)
    broad_firms = np.bincount(raw_broad, weights=sizes[kept].astype(float))
    broad_order = sorted(range(raw_broad.max() + 1), key=lambda g: (-broad_firms[g], int(np.argmax(raw_broad == g))))
    broad_rank = np.empty(len(broad_order), dtype=int)
    broad_rank[broad_order] = np.arange(len(broad_order))
    fine_to_broad = broad_rank[raw_broad]
    bwidth = max(2, len(str(len(broad_order))))
    broad_ids = np.array([f"B{i + 1:0{bwidth}d}" for i in range(len(broad_order))], dtype=object)

    in_activity = firm_group >= 0
    assignments = pd.DataFrame(
        {
            "firm_id": firms[in_activity],
            "activity_id": ids[firm_group[in_activity]],
            "score": firm_score[in_activity],
            "broad_id": broad_ids[fine_to_broad[firm_group[in_activity]]],
        }
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

    terms = counter.get_feature_names_out()
    keywords = top_terms(label_weights(counts.tocsr(), firm_group, len(kept)), terms, 10)
    activities = _activity_table(ids, keywords, assignments, text_assignments, used)
    activities["broad_id"] = broad_ids[fine_to_broad]

    firm_broad = np.where(firm_group >= 0, fine_to_broad[np.maximum(firm_group, 0)], -1)
    broad_keywords = top_terms(label_weights(counts.tocsr(), firm_broad, len(broad_ids)), terms, 10)
    broad_table = _broad_table(broad_ids, broad_keywords, activities)
    activities["broad_label"] = activities["broad_id"].map(broad_table.set_index("broad_id")["label"])

    novelty, periods, recent_from = novelty_tables(text_assignments, ids, cutoff, int(recent_years))
    activities = activities.join(novelty, on="activity_id")

    codes = firm_codes(used) if "code" in used else pd.Series(dtype="string")
    fit = code_fit(assignments, codes).reindex(ids)
    fit = fit.rename(columns={"unclassified": "unclassified_by_codes"})
    activities = activities.join(fit, on="activity_id")
    activities["n_coded"] = activities["n_coded"].fillna(0).astype(int)
    activities["unclassified_by_codes"] = activities["unclassified_by_codes"].fillna(False).astype(bool)

    semantic = _semantic_fit(method, code_systems, kept_centroids, encode, counter, tfidf, components)
    semantic.index = activities.index
    activities = pd.concat([activities, semantic], axis=1)
    activities["unclassified"] = activities["unclassified_by_codes"] | activities["unclassified_by_titles"]
    activities["method"] = method
    return ActivityResult(
        activities=activities,
        assignments=assignments,
        text_assignments=text_assignments,
        broad=broad_table,
        periods=periods,
        method=method,
        model=model_name,
        embedding=embedding,
        n_activities=k,
        n_broad=len(broad_ids),
        min_firms=int(min_firms),
        min_score=float(min_score),
        as_of=cutoff,
        recent_from=recent_from,
        code_systems=code_systems,
        n_dimensions=dims,
        n_texts_used=len(used),
        n_texts_dropped=len(texts) - len(used),
        seed=seed.entropy,
    )


def _semantic_fit(
    method: str, code_systems: tuple[str, ...], centroids: np.ndarray,
    encode: Callable[[list[str]], np.ndarray] | None, counter: Any, tfidf: Any, components: np.ndarray | None,
) -> pd.DataFrame:
    """Code fit (b) of every fine activity: its centroid against the code titles, in the same vector space."""
    columns = ["best_code", "best_system", "best_title", "title_similarity", "top_titles", "unclassified_by_titles"]
    if not code_systems:
        out = pd.DataFrame({c: pd.Series(pd.NA, index=range(len(centroids)), dtype="string") for c in columns[:3]})
        out["title_similarity"] = np.nan
        out["top_titles"] = ""
        out["unclassified_by_titles"] = False
        return out
    from clusterwatch.analysis.text.semantic import SEMANTIC_UNCLASSIFIED_BELOW, lsa_encoder, memoised, semantic_fit

    if method == "embedding-kmeans" and encode is not None:
        titles = memoised(encode)  # the same vector space as the texts
    else:
        titles = lsa_encoder(counter, tfidf, components)
    fit = semantic_fit(centroids, titles, systems=code_systems, threshold=SEMANTIC_UNCLASSIFIED_BELOW[method])
    return fit[columns].reset_index(drop=True)


def _broad_table(broad_ids: np.ndarray, keywords: list[list[str]], activities: pd.DataFrame) -> pd.DataFrame:
    grouped = activities.groupby("broad_id", sort=True)
    return pd.DataFrame(
        {
            "broad_id": broad_ids,
            "label": [" / ".join(words[:3]) for words in keywords],
            "keywords": ["; ".join(words) for words in keywords],
            "n_firms": grouped["n_firms"].sum().reindex(broad_ids).to_numpy(dtype=int),
            "n_texts": grouped["n_texts"].sum().reindex(broad_ids).to_numpy(dtype=int),
            "first_period": pd.array(grouped["first_period"].min().reindex(broad_ids).to_numpy(), dtype="Int64"),
            "n_activities": grouped.size().reindex(broad_ids).to_numpy(dtype=int),
            "activity_ids": grouped["activity_id"].agg("; ".join).reindex(broad_ids).to_numpy(),
        }
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
