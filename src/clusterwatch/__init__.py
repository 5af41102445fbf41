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


__all__ = [
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
    "demo_path",
    "read_firms",
]
