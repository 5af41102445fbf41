"""clusterwatch: find business clusters before they have a name.

The public API is re-exported here; see DESIGN.md for the data flow.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from clusterwatch.errors import (
    ClusterwatchError,
    InputError,
    MissingDependencyError,
    OptionError,
    WorkspaceError,
)
from clusterwatch.io.ingest import IngestReport, IngestResult, SourceReport, read_firms
from clusterwatch.io.workspace import DEFAULT_WORKSPACE, Workspace

__version__ = "0.1.0"


def demo_path() -> Path:
    """Path of the bundled demo dataset (a real regional slice of SBIR awards; see its PROVENANCE.md)."""
    return Path(str(resources.files("clusterwatch") / "data" / "demo" / "sbir_demo_awards.csv.gz"))


#: Analyses re-exported at the top level, imported on first use (they load numba, scikit-learn or igraph).
_LAZY = {
    "find_candidates": "clusterwatch.candidates",
    "CandidateResult": "clusterwatch.candidates",
    "analyse_regions": "clusterwatch.analysis.regional",
    "firms_to_regions": "clusterwatch.analysis.regional",
    "regional_table": "clusterwatch.analysis.regional",
    "kd": "clusterwatch.analysis.space",
    "bernoulli_scan": "clusterwatch.analysis.space",
    "hotspots": "clusterwatch.analysis.space",
    "discover_activities": "clusterwatch.analysis.text",
    "build_graph": "clusterwatch.analysis.network",
    "analyse_network": "clusterwatch.analysis.network",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'clusterwatch' has no attribute {name!r}")


__all__ = [
    "CandidateResult",
    "DEFAULT_WORKSPACE",
    "ClusterwatchError",
    "IngestReport",
    "IngestResult",
    "InputError",
    "MissingDependencyError",
    "OptionError",
    "SourceReport",
    "Workspace",
    "WorkspaceError",
    "__version__",
    "analyse_network",
    "analyse_regions",
    "bernoulli_scan",
    "build_graph",
    "demo_path",
    "discover_activities",
    "find_candidates",
    "firms_to_regions",
    "hotspots",
    "kd",
    "read_firms",
    "regional_table",
]
