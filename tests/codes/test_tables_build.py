"""The shipped code tables are exactly what ``bench/make_code_tables.py`` builds from the shared data."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_shipped_tables_are_reproducible(shared_data: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_code_tables", REPO / "bench" / "make_code_tables.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check", "--shared", str(shared_data)]) == 0
