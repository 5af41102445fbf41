"""The Examples sections of the regional modules run and give what they show; every public name is documented."""

from __future__ import annotations

import doctest
import importlib

import pytest

import clusterwatch.analysis.regional as regional

MODULES = ["table", "firms", "quotients", "cluster_mapping", "stars", "specialisation", "relatedness", "profile"]


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name: str) -> None:
    module = importlib.import_module(f"clusterwatch.analysis.regional.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("name", [n for n in regional.__all__ if callable(getattr(regional, n))])
def test_public_functions_have_numpydoc_sections(name: str) -> None:
    doc = getattr(regional, name).__doc__ or ""
    assert doc.strip(), name
    if name[0].islower():  # functions: what they take, give and come from
        for section in ("Parameters", "Returns", "References", "Examples"):
            assert section in doc, f"{name}: no {section}"
