"""The Examples sections of the codes modules run and give what they show."""

from __future__ import annotations

import doctest

import pytest

import clusterwatch.codes.clusters
import clusterwatch.codes.hierarchy


@pytest.mark.parametrize("module", [clusterwatch.codes.hierarchy, clusterwatch.codes.clusters])
def test_examples_run(module: object) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)  # type: ignore[arg-type]
    assert result.attempted > 0 and result.failed == 0
