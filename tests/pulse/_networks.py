"""Real multi-wave networks (../shared/data/networks) as pulse data, for the tests."""

from __future__ import annotations

from pathlib import Path

from clusterwatch.pulse import PulseData
from clusterwatch.pulse.edgelist import read_panel


def load_network(root: Path, name: str) -> PulseData:
    """One of the six multi-wave panels as pulse data (codings in :func:`read_panel`)."""
    return read_panel(root / "networks", name)
