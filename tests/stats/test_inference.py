"""The shared inference engine: p-values, BH, seeds, the compute map."""

from __future__ import annotations

import numpy as np
import pytest

from clusterwatch import OptionError
from clusterwatch.compute import batches, compute_map
from clusterwatch.stats import benjamini_hochberg, monte_carlo_p, resolve_seed


def test_p_value_counts_ties_and_adds_one() -> None:
    sims = np.array([1.0, 2.0, 5.0, 7.0])
    assert monte_carlo_p(5.0, sims) == pytest.approx(3 / 5)
    assert monte_carlo_p(5.0, sims, "less") == pytest.approx(4 / 5)
    assert monte_carlo_p(100.0, sims) == pytest.approx(1 / 5)  # never zero
    assert monte_carlo_p(5.0, sims, "two-sided") == pytest.approx(1.0)


def test_p_value_vectorised_over_statistics() -> None:
    sims = np.arange(12, dtype=float).reshape(4, 3)  # 4 replicates of 3 statistics
    got = monte_carlo_p(np.array([0.0, 100.0, 7.0]), sims)
    assert got.tolist() == pytest.approx([5 / 5, 1 / 5, 3 / 5])


def test_bh_matches_hand_computation() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.20, np.nan])
    q = benjamini_hochberg(p)
    # sorted 0.01, 0.03, 0.04, 0.20 -> 0.04, 0.06, 0.0533, 0.2 -> monotone from the top: 0.04, 0.0533, 0.0533, 0.2
    assert q[:4] == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.20])
    assert np.isnan(q[4])


def test_seeds() -> None:
    assert resolve_seed(42).entropy == 42
    assert resolve_seed(None).entropy != resolve_seed(None).entropy
    gen = np.random.default_rng(1)
    assert resolve_seed(gen).entropy == resolve_seed(np.random.default_rng(1)).entropy
    with pytest.raises(OptionError):
        resolve_seed(-1)
    with pytest.raises(OptionError):
        resolve_seed("7")  # type: ignore[arg-type]


def _draw(batch: object) -> np.ndarray:
    return batch.generator().random(batch.size)  # type: ignore[attr-defined]


@pytest.mark.parametrize("scheduler", ["serial", "threads", "processes"])
def test_same_results_on_any_scheduler(scheduler: str) -> None:
    seed = resolve_seed(7)
    reference = np.concatenate(compute_map(_draw, batches(250, seed)))
    got = np.concatenate(compute_map(_draw, batches(250, seed), scheduler=scheduler, n_jobs=2))
    assert got.shape == (250,)
    np.testing.assert_array_equal(got, reference)
    with pytest.raises(OptionError):
        compute_map(_draw, batches(250, seed), scheduler="cloud")


def test_spawned_children_stay_distinct() -> None:
    a, b = np.random.SeedSequence(5).spawn(2)
    seed_a, seed_b = resolve_seed(a), resolve_seed(b)
    assert seed_a.entropy == seed_b.entropy == 5
    assert seed_a.generator().random() != seed_b.generator().random()
    assert seed_a.generator().random() == np.random.default_rng(a).random()
