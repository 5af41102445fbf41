"""Cluster candidates: activities (codes, texts) significantly concentrated in a place, with emergence evidence.

:func:`find_candidates` combines the space and time analyses into ranked candidates with a status
(spawning / emerging / established / declining) and a score; :func:`status_of` and :func:`score_of` hold the
documented rules.
"""

from clusterwatch.candidates.activities import Activity, code_activities, firm_texts, text_activities
from clusterwatch.candidates.core import (
    CANDIDATE_COLUMNS,
    EMERGING_CATEGORIES,
    CandidateResult,
    find_candidates,
    score_of,
    status_of,
)

__all__ = [
    "CANDIDATE_COLUMNS",
    "EMERGING_CATEGORIES",
    "Activity",
    "CandidateResult",
    "code_activities",
    "find_candidates",
    "firm_texts",
    "score_of",
    "status_of",
    "text_activities",
]
