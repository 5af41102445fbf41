"""Every public function of the regional package has numpydoc sections (examples run in tests/test_docstrings.py)."""

from __future__ import annotations

import pytest

import clusterwatch.analysis.regional as regional


@pytest.mark.parametrize("name", [n for n in regional.__all__ if callable(getattr(regional, n))])
def test_public_functions_have_numpydoc_sections(name: str) -> None:
    doc = getattr(regional, name).__doc__ or ""
    assert doc.strip(), name
    if name[0].islower():  # functions: what they take, give and come from
        for section in ("Parameters", "Returns", "References", "Examples"):
            assert section in doc, f"{name}: no {section}"
