"""Every docstring example in the package runs and gives what it shows; public analysis names are documented."""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
import re

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
    "clusterwatch.codes.formats",
    "clusterwatch.stats",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0


#: Packages whose public functions name every parameter in their docstrings (numpydoc ``Parameters``): all of them.
STRICT = PACKAGES


def undocumented_parameters(obj: object) -> list[str]:
    """The parameters of a function that its docstring never names (classes document their attributes)."""
    if inspect.isclass(obj) or not callable(obj):
        return []
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return []
    doc = inspect.getdoc(obj) or ""
    names = [p.name for p in signature.parameters.values()
             if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name not in ("self", "cls")]
    return [n for n in names if not re.search(rf"(^|[\s,`*]){re.escape(n)}([\s,:`]|$)", doc, re.MULTILINE)]


def test_the_parameter_check_catches_a_missing_one() -> None:
    def documented(values: list[int], alpha: float = 0.05) -> None:
        """Something.

        Parameters
        ----------
        values, alpha
            What they are.
        """

    def half(values: list[int], alpha: float = 0.05) -> None:
        """Something about values, at length, without the other parameter."""

    assert undocumented_parameters(documented) == []
    assert undocumented_parameters(half) == ["alpha"]


@pytest.mark.parametrize("package", PACKAGES)
def test_public_names_are_documented(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        obj = getattr(module, name)
        if callable(obj):
            assert obj.__doc__ and len(obj.__doc__.strip()) > 40, f"{package}.{name}"
            if package in STRICT:
                assert undocumented_parameters(obj) == [], f"{package}.{name} leaves parameters undocumented"
