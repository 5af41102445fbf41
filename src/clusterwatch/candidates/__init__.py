"""Cluster candidates: activities (codes, texts) significantly concentrated in a place, merged into one candidate
per place's cluster, with a status measured against the register's own base rates.

:func:`find_candidates` runs the stages (:func:`select_firms`, :func:`build_activities`,
:func:`test_concentration`, :func:`merge_pieces`, evidence, :func:`assign_status`, ranking); one
:class:`CandidateConfig` holds every setting; :func:`status_of` and :func:`score_of` hold the documented rules.
"""

from typing import TYPE_CHECKING, Any

from clusterwatch.candidates.config import TEXT_METHODS, CandidateConfig, setting_help

if TYPE_CHECKING:
    from clusterwatch.candidates.activities import Activity, code_activities, firm_texts, text_activities
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

# the stages load numba, scipy and scikit-learn: imported on first use, so that the CLI (which reads only the
# config's defaults at start) starts fast
_LAZY = {
    "Activity": "activities", "code_activities": "activities", "firm_texts": "activities",
    "text_activities": "activities", "CANDIDATE_COLUMNS": "core", "PIECE_COLUMNS": "core", "TESTED_COLUMNS": "core",
    "CandidateResult": "core", "Concentration": "core", "build_activities": "core", "find_candidates": "core",
    "select_firms": "core", "test_concentration": "core", "BaseRates": "evidence", "merge_pieces": "merge",
    "STATUSES": "status", "assign_status": "status", "score_of": "status", "status_of": "status",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"clusterwatch.candidates.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'clusterwatch.candidates' has no attribute {name!r}")


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
