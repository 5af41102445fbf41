"""Agreement between activities and codes: hand-built partitions whose answers are known."""

from __future__ import annotations

from math import comb

import numpy as np
import pandas as pd
import pytest

from clusterwatch.analysis.text.agreement import CodeAgreement, code_agreement, code_prefix
from clusterwatch.errors import InputError, OptionError

EXACT = 1e-12


def frame(activity_ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"firm_id": [f"f{i}" for i in range(len(activity_ids))], "activity_id": activity_ids})


def codes(values: list[str | None]) -> pd.Series:
    return pd.Series(values, index=[f"f{i}" for i in range(len(values))], dtype="string")


def pair_counting_ari(a: np.ndarray, b: np.ndarray) -> float:
    """Hubert & Arabie's adjusted Rand index from the contingency table, written out."""
    table = pd.crosstab(a, b).to_numpy()
    n = int(table.sum())
    index = sum(comb(int(x), 2) for x in table.ravel())
    rows = sum(comb(int(x), 2) for x in table.sum(axis=1))
    cols = sum(comb(int(x), 2) for x in table.sum(axis=0))
    expected = rows * cols / comb(n, 2)
    return (index - expected) / ((rows + cols) / 2 - expected)


def test_identical_partitions_agree_fully_whatever_the_names() -> None:
    result = code_agreement(frame(["T1", "T1", "T2", "T2", "T3"]), codes(["62", "62", "47", "47", "01"]))
    assert isinstance(result, CodeAgreement)
    for value in (result.adjusted_rand, result.adjusted_mutual_info, result.normalized_mutual_info,
                  result.homogeneity, result.completeness):
        assert value == pytest.approx(1.0, abs=EXACT)
    assert (result.n_compared, result.n_activities, result.n_codes, result.level) == (5, 3, 3, None)


def test_finer_activities_are_homogeneous_not_complete_and_coarser_the_reverse() -> None:
    finer = code_agreement(frame(["T1", "T2", "T3", "T4"]), codes(["x", "x", "y", "y"]))
    assert finer.homogeneity == pytest.approx(1.0, abs=EXACT)
    assert finer.completeness < 1.0
    coarser = code_agreement(frame(["T1", "T1", "T1", "T1", "T2", "T2"]), codes(["x", "x", "y", "y", "z", "z"]))
    assert coarser.completeness == pytest.approx(1.0, abs=EXACT)
    assert coarser.homogeneity < 1.0


def test_crossed_partitions_share_no_information() -> None:
    result = code_agreement(frame(["T1", "T1", "T2", "T2"] * 3), codes(["x", "y", "x", "y"] * 3))
    assert result.normalized_mutual_info == pytest.approx(0.0, abs=EXACT)
    assert result.homogeneity == pytest.approx(0.0, abs=EXACT)
    assert result.completeness == pytest.approx(0.0, abs=EXACT)
    assert result.adjusted_rand < 0


def test_ari_matches_the_pair_counting_formula() -> None:
    rng = np.random.default_rng(3)
    found = rng.integers(0, 5, 200).astype(str)
    truth = np.where(rng.random(200) < 0.6, found, rng.integers(0, 7, 200).astype(str))
    result = code_agreement(frame([f"T{x}" for x in found]), codes([f"c{x}" for x in truth]))
    assert result.adjusted_rand == pytest.approx(pair_counting_ari(found, truth), abs=EXACT)
    assert 0 < result.adjusted_rand < 1


def test_outliers_and_uncoded_firms_are_left_out() -> None:
    assignments = frame(["T1", "T1", "-1", None, "T2", "T2", "T2"])
    result = code_agreement(assignments, codes(["a", "a", "b", "b", "c", None, "c"]))
    assert result.n_compared == 4
    assert result.adjusted_rand == pytest.approx(1.0, abs=EXACT)


def test_level_compares_code_prefixes() -> None:
    assignments = frame(["T1", "T1", "T1", "T2", "T2"])
    subclasses = codes(["62010", "62020", "62090", "47110", "47190"])
    assert code_agreement(assignments, subclasses).homogeneity < 1.0
    division = code_agreement(assignments, subclasses, level=2)
    assert division.adjusted_rand == pytest.approx(1.0, abs=EXACT)
    assert (division.n_codes, division.level) == (2, 2)
    assert code_prefix(pd.Series(["62.010", "A", "4"]), 2).tolist() == ["62", pd.NA, pd.NA]
    assert code_prefix(pd.Series(["62.010"]), 4).tolist() == ["62.01"]


def test_to_frame_and_dict() -> None:
    result = code_agreement(frame(["T1", "T1", "T2"]), codes(["a", "a", "b"]))
    assert result.to_frame().shape == (1, 9)
    assert result.to_dict()["n_compared"] == 3


def test_bad_input_gets_a_clear_error() -> None:
    with pytest.raises(InputError, match="activity_id"):
        code_agreement(pd.DataFrame({"firm_id": ["a"]}), codes(["x"]))
    with pytest.raises(InputError, match="more than once"):
        code_agreement(pd.DataFrame({"firm_id": ["f0", "f0"], "activity_id": ["T1", "T2"]}), codes(["x"]))
    with pytest.raises(InputError, match="at least 2 firms"):
        code_agreement(frame(["T1", "T2"]), codes(["x", None]))
    with pytest.raises(OptionError, match="level"):
        code_agreement(frame(["T1", "T2"]), codes(["x", "y"]), level=0)
    with pytest.raises(OptionError, match="Series"):
        code_agreement(frame(["T1", "T2"]), ["x", "y"])  # type: ignore[arg-type]
