"""Cluster candidates: activities (codes, texts) significantly concentrated in a place, merged into one candidate
per place's cluster, with a status measured against the register's own base rates.

:func:`find_candidates` runs the stages (:func:`select_firms`, :func:`build_activities`,
:func:`test_concentration`, :func:`merge_pieces`, evidence, :func:`assign_status`, ranking); one
:class:`CandidateConfig` holds every setting; :func:`status_of` and :func:`score_of` hold the documented rules.
"""

from clusterwatch.candidates.activities import Activity, code_activities, firm_texts, text_activities
from clusterwatch.candidates.config import TEXT_METHODS, CandidateConfig, setting_help
from clusterwatch.candidates.core import (
    CANDIDATE_COLUMNS,
    PIECE_COLUMNS,
    TESTED_COLUMNS,
    CandidateResult,
    Concentration,
    build_activities,
    find_candidates,
    select_firms,
    test_concentration,
)
from clusterwatch.candidates.evidence import BaseRates
from clusterwatch.candidates.merge import merge_pieces
from clusterwatch.candidates.status import STATUSES, assign_status, score_of, status_of

__all__ = [
    "CANDIDATE_COLUMNS",
    "PIECE_COLUMNS",
    "STATUSES",
    "TESTED_COLUMNS",
    "TEXT_METHODS",
    "Activity",
    "BaseRates",
    "CandidateConfig",
    "CandidateResult",
    "Concentration",
    "assign_status",
    "build_activities",
    "code_activities",
    "find_candidates",
    "firm_texts",
    "merge_pieces",
    "score_of",
    "select_firms",
    "setting_help",
    "status_of",
    "test_concentration",
    "text_activities",
]
