"""Every docstring example of the time analysis runs and gives what it shows."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "clusterwatch.analysis.time.categories",
    "clusterwatch.analysis.time.cube",
    "clusterwatch.analysis.time.ehsa",
    "clusterwatch.analysis.time.entries",
    "clusterwatch.analysis.time.gistar",
    "clusterwatch.analysis.time.history",
    "clusterwatch.analysis.time.stscan",
    "clusterwatch.analysis.time.trend",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
