"""Every docstring example in the package runs and gives what it shows; public analysis names are documented."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import clusterwatch

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(clusterwatch.__path__, prefix="clusterwatch.")
    if not info.name.rsplit(".", 1)[-1].startswith("_kernels")
)
PACKAGES = [
    "clusterwatch.analysis.network",
    "clusterwatch.analysis.regional",
    "clusterwatch.analysis.space",
    "clusterwatch.analysis.text",
    "clusterwatch.analysis.time",
    "clusterwatch.candidates",
    "clusterwatch.codes",
    "clusterwatch.stats",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0


@pytest.mark.parametrize("package", PACKAGES)
def test_public_names_are_documented(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        obj = getattr(module, name)
        if callable(obj):
            assert obj.__doc__ and len(obj.__doc__.strip()) > 40, f"{package}.{name}"
