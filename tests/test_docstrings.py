"""Every docstring example in the shared modules runs and gives what it shows."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "clusterwatch.stats.inference",
    "clusterwatch.analysis.geometry",
    "clusterwatch.analysis.space.scan",
    "clusterwatch.analysis.space.hotspots",
    "clusterwatch.analysis.text.activities",
    "clusterwatch.analysis.text.labels",
    "clusterwatch.analysis.text.codefit",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
