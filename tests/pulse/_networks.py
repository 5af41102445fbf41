"""Real multi-wave networks (../shared/data/networks) as pulse data, for the tests and the benchmark."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from clusterwatch.pulse import PulseData
from clusterwatch.pulse.edgelist import from_wave_edges

#: van de Bunt ratings → trust level (1 best friend … 4 neutral; 5 troubled is the lowest trust).
VDBUNT_TRUST = {1: 4.0, 2: 4.0, 3: 3.0, 4: 2.0, 5: 1.0}
#: Newcomb ranks 1–16 → trust quartiles (rank 1–4 → 4 … 13–16 → 1).
NEWCOMB_TRUST = {r: float(4 - (r - 1) // 4) for r in range(1, 17)}
#: EIES acquaintance 1 heard of … 4 close friend is already a 1–4 scale.
EIES_TRUST = {1: 1.0, 2: 2.0, 3: 3.0, 4: 4.0}


def load_network(root: Path, name: str) -> PulseData:
    """One of the six multi-wave datasets as pulse data (tie and trust codings in the docstrings of the maps)."""
    d = root / "networks" / name
    missing = pd.read_csv(d / "missing.csv") if (d / "missing.csv").exists() else None
    if name == "vdbunt_freshmen":
        return from_wave_edges(pd.read_csv(d / "edges.csv"), pd.read_csv(d / "actors.csv"),
                               tie=lambda v: (v >= 1) & (v <= 3), trust=VDBUNT_TRUST, missing=missing)
    if name == "newcomb_fraternity":
        return from_wave_edges(pd.read_csv(d / "edges.csv"), pd.read_csv(d / "actors.csv"),
                               tie=lambda v: (v >= 1) & (v <= 4), trust=NEWCOMB_TRUST)
    if name in ("glasgow_s50", "knecht_classroom"):
        return from_wave_edges(pd.read_csv(d / "edges.csv"), pd.read_csv(d / "actors.csv"), missing=missing)
    if name == "eies_freeman":
        return from_wave_edges(pd.read_csv(d / "edges_acquaintance.csv"), pd.read_csv(d / "actors.csv"),
                               tie=lambda v: v >= 3, trust=EIES_TRUST)
    if name == "kapferer_tailor":
        return from_wave_edges(pd.read_csv(d / "edges_sociational.csv"), pd.read_csv(d / "actors.csv"),
                               undirected=True)
    raise ValueError(name)


MULTI_WAVE = ("vdbunt_freshmen", "newcomb_fraternity", "glasgow_s50", "knecht_classroom", "eies_freeman",
              "kapferer_tailor")
