"""Text-derived activities: what firms do, in their own words, and how well official codes capture it.

* :func:`discover_activities` — sentence embeddings (or the TF-IDF + SVD fallback) of firms' texts, k-means groups
  at a fine and a broad level, c-TF-IDF labels, outliers, per-text placement, novelty over time and the code fit of
  each activity (:class:`ActivityResult`).
* embeddings come from an ``encode(texts)`` the caller passes: :class:`clusterwatch.io.embed_cache.TextEncoder`
  embeds with the packaged all-MiniLM-L6-v2, cached by model and text hash (IO lives in ``io/``, not here).
* :func:`class_tfidf` — BERTopic's class-based TF-IDF.
* :func:`code_fit` — code fit (a): how the official codes of an activity's firms spread over it.
* :func:`semantic_fit` — code fit (b): how close an activity comes to the nearest official code title.
* :func:`~clusterwatch.analysis.text.agreement.code_agreement` — agreement of activities and codes over firms.
"""

from clusterwatch.analysis.text.activities import (
    DSBS_STOP_WORDS,
    EMBEDDING_OUTLIER_BELOW,
    METHODS,
    NORWEGIAN_STOP_WORDS,
    OUTLIER_BELOW,
    RECENT_YEARS,
    SBIR_STOP_WORDS,
    TREND_MIN_TEXTS,
    ActivityResult,
    default_n_activities,
    discover_activities,
)
from clusterwatch.analysis.text.codefit import UNCLASSIFIED_BELOW, code_fit
from clusterwatch.analysis.text.labels import class_tfidf
from clusterwatch.analysis.text.semantic import (
    SEMANTIC_UNCLASSIFIED_BELOW,
    lsa_encoder,
    memoised,
    semantic_fit,
    title_table,
)

__all__ = [
    "DSBS_STOP_WORDS",
    "EMBEDDING_OUTLIER_BELOW",
    "METHODS",
    "NORWEGIAN_STOP_WORDS",
    "OUTLIER_BELOW",
    "RECENT_YEARS",
    "SBIR_STOP_WORDS",
    "TREND_MIN_TEXTS",
    "SEMANTIC_UNCLASSIFIED_BELOW",
    "UNCLASSIFIED_BELOW",
    "ActivityResult",
    "class_tfidf",
    "code_fit",
    "default_n_activities",
    "discover_activities",
    "lsa_encoder",
    "memoised",
    "semantic_fit",
    "title_table",
]
