"""Every docstring example of the network package runs and gives what it shows."""

from __future__ import annotations

import doctest
import importlib

import pytest

import clusterwatch.analysis.network as network

MODULES = [
    "clusterwatch.analysis.network.graph",
    "clusterwatch.analysis.network.build",
    "clusterwatch.analysis.network.centrality",
    "clusterwatch.analysis.network.brokerage",
    "clusterwatch.analysis.network.synergy",
    "clusterwatch.analysis.network.communities",
    "clusterwatch.analysis.network.roles",
    "clusterwatch.analysis.network.health",
    "clusterwatch.analysis.network.space",
    "clusterwatch.analysis.network.analysis",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


@pytest.mark.parametrize("name", network.__all__)
def test_public_names_are_documented(name: str) -> None:
    obj = getattr(network, name)
    if callable(obj):
        assert obj.__doc__ and len(obj.__doc__.strip()) > 40, name
