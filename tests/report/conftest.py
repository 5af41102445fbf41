"""One small real scan shared by the report tests: 2,500 Langley (BC) business licences, codes only."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

HOSTILE = '=HYPERLINK("http://evil.example","x") </script><!--<script>alert(1)</script>'


@pytest.fixture(scope="session")
def langley_scan(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[object, pd.DataFrame]:
    """(CandidateResult, firms) of a seeded scan of the first 2,500 Langley licences; the first member firm of the
    first candidate renamed to :data:`HOSTILE` (formula + script-breaking text)."""
    from clusterwatch import read_firms
    from clusterwatch.candidates import CandidateConfig, find_candidates

    source = shared_data / "langley_bc" / "Business_Licenses.csv"
    if not source.exists():
        pytest.skip(f"{source} not present")
    lines = source.read_text(encoding="utf-8", errors="replace").splitlines()
    small = tmp_path_factory.mktemp("langley") / "langley_small.csv"
    small.write_text("\n".join(lines[:2501]) + "\n", encoding="utf-8")
    read = read_firms(str(small), format="langley-licences")
    config = CandidateConfig(min_firms=10, permutations=99, use_text=False)
    found = find_candidates(read.firms, read.events, config=config, rng=5)
    assert len(found.candidates) >= 1, "the fixture needs at least one candidate"
    firms = read.firms.copy()
    first = found.candidate_firms["firm_id"].iloc[0]
    firms.loc[firms["firm_id"].astype(str) == str(first), "name"] = HOSTILE
    return found, firms
