"""Text-derived activities: what firms do, in their own words, and how well official codes capture it.

* :func:`discover_activities` — TF-IDF + SVD (LSA) vectors of firms' texts, k-means groups, c-TF-IDF labels,
  outliers, per-text placement, and the code fit of each activity (:class:`ActivityResult`).
* :func:`class_tfidf` — BERTopic's class-based TF-IDF.
* :func:`code_fit` — how official codes spread over activities.
"""

from clusterwatch.analysis.text.activities import (
    METHODS,
    OUTLIER_BELOW,
    SBIR_STOP_WORDS,
    ActivityResult,
    default_n_activities,
    discover_activities,
)
from clusterwatch.analysis.text.codefit import UNCLASSIFIED_BELOW, code_fit
from clusterwatch.analysis.text.labels import class_tfidf

__all__ = [
    "METHODS",
    "OUTLIER_BELOW",
    "SBIR_STOP_WORDS",
    "UNCLASSIFIED_BELOW",
    "ActivityResult",
    "class_tfidf",
    "code_fit",
    "default_n_activities",
    "discover_activities",
]
