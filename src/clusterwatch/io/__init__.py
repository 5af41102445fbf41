"""Input and storage at the edge: reading sources, adapters, validation, geocoding and the DuckDB workspace."""

from clusterwatch.io.ingest import IngestReport, IngestResult, SourceReport, read_firms
from clusterwatch.io.workspace import DEFAULT_WORKSPACE, Workspace

__all__ = ["DEFAULT_WORKSPACE", "IngestReport", "IngestResult", "SourceReport", "Workspace", "read_firms"]
