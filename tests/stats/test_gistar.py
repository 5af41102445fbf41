"""One Gi*: neighbour graphs, the z-score by hand, three inferences under two nulls, and esda as the oracle.

esda's permutation p (``p_sim``) is not compared here: its conditional randomisation compiles its numba kernels
anew in every process (about a minute on two cores). The difference is documented in
:func:`clusterwatch.stats.gi_star` (folded one-sided p, ties on the upper side, numpy's legacy generator); the
conditional null itself is checked against exact probabilities above.
"""

from __future__ import annotations

import math
from itertools import combinations
from pathlib import Path

import h3
import numpy as np
import pandas as pd
import pytest

from clusterwatch import OptionError
from clusterwatch.stats import NeighbourGraph, from_lists, gi_star, h3_graph, space_time_graph

Z_TOLERANCE = 1e-6  # esda agreement on z and the analytical p (both are closed forms: agreement is to rounding)
EXACT_TOLERANCE = 1e-9


def path(n: int) -> NeighbourGraph:
    return from_lists([[j for j in (i - 1, i + 1) if 0 <= j < n] for i in range(n)])


PATH_VALUES = np.array([0, 0, 1, 9, 8, 9, 1, 0, 0], dtype=float)


# ---------------------------------------------------------------------------------------------------------------
# neighbour graphs
# ---------------------------------------------------------------------------------------------------------------


def test_h3_graph_only_among_the_given_cells_and_self_weight_explicit() -> None:
    centre = h3.latlng_to_cell(47.6, -122.3, 8)
    ring = sorted(h3.grid_ring(centre, 1))
    opposite = next(c for c in ring if h3.grid_distance(ring[0], c) == 2)
    graph = h3_graph([centre, ring[0], opposite], 1)
    assert graph.lists() == [[1, 2], [0], [0]]  # opposite neighbours of the centre are two steps apart
    assert graph.self_weight == 1.0 and graph.weight.tolist() == [3.0, 2.0, 2.0]
    w = graph.to_sparse().toarray()
    assert (np.diag(w) == 1).all() and (w == w.T).all()
    assert h3_graph([centre, ring[0]], 1, self_weight=0).to_sparse().diagonal().tolist() == [0.0, 0.0]
    with pytest.raises(OptionError, match="k must"):
        h3_graph([centre], -1)
    with pytest.raises(OptionError, match="not an H3 cell"):
        h3_graph(["not-a-cell"], 1)


def test_a_graph_refuses_itself_as_neighbour_and_bad_csr() -> None:
    with pytest.raises(OptionError, match="itself"):
        from_lists([[0, 1], [0]])
    with pytest.raises(OptionError, match="indices must lie"):
        from_lists([[5], [0]])
    with pytest.raises(OptionError, match="CSR"):
        NeighbourGraph(np.array([0, 2]), np.array([1]))
    with pytest.raises(OptionError, match="self_weight"):
        from_lists([[1], [0]], self_weight=0.5)


def test_space_time_sums_with_time_lags_by_hand() -> None:
    values = np.array([[1, 2, 3], [10, 20, 30]], dtype=float)  # two neighbouring cells, three periods
    graph = space_time_graph(from_lists([[1], [0]]), n_periods=3, time_lags=1)
    result = gi_star(values.ravel(), graph)
    # period 0: both cells now; period t: both cells at t and t - 1
    assert result.local_sum.reshape(2, 3).tolist() == [[11, 33, 55], [11, 33, 55]]
    assert result.weight.reshape(2, 3).tolist() == [[2, 4, 4], [2, 4, 4]]
    alone = gi_star(values.ravel(), space_time_graph(from_lists([[], []]), n_periods=3, time_lags=0))
    assert (alone.local_sum == values.ravel()).all() and (alone.weight == 1).all()


# ---------------------------------------------------------------------------------------------------------------
# the statistic by hand
# ---------------------------------------------------------------------------------------------------------------


def test_z_score_by_hand() -> None:
    result = gi_star(PATH_VALUES, path(9))
    n, mean = 9, PATH_VALUES.mean()
    s = math.sqrt((PATH_VALUES**2).mean() - mean**2)  # population sd, as Ord & Getis
    for unit, local, w in ((0, 0 + 0, 2), (1, 0 + 0 + 1, 3), (4, 9 + 8 + 9, 3)):
        z = (local - mean * w) / (s * math.sqrt((n * w - w * w) / (n - 1)))
        assert result.local_sum[unit] == local and result.weight[unit] == w
        assert result.z[unit] == pytest.approx(z, abs=1e-12)
    np.testing.assert_allclose(result.statistic, result.local_sum / PATH_VALUES.sum())
    assert np.isnan(gi_star(np.ones(5), path(5)).z).all()  # no spread: z undefined
    assert np.isnan(gi_star(np.ones(5), path(5)).p_value).all()


def test_normal_p_for_each_alternative() -> None:
    z = gi_star(PATH_VALUES, path(9)).z
    two = gi_star(PATH_VALUES, path(9), alternative="two-sided").p_value
    greater = gi_star(PATH_VALUES, path(9), alternative="greater").p_value
    less = gi_star(PATH_VALUES, path(9), alternative="less").p_value
    np.testing.assert_allclose(greater + less, 1.0)
    np.testing.assert_allclose(two, 2 * np.minimum(greater, less))
    assert greater[4] == pytest.approx(0.5 * math.erfc(z[4] / math.sqrt(2)), abs=1e-12)


def test_exact_p_equals_enumeration_of_subsets() -> None:
    """Total null: a neighbourhood of W units holds a uniformly random W-subset of the values."""
    values = np.array([0, 0, 1, 3, 0, 2, 1, 0, 5, 1], dtype=float)
    from clusterwatch.stats.gistar import exact_p

    for size in (1, 3, 5):
        sums = np.array([sum(c) for c in combinations(values, size)])
        for observed in range(12):
            upper, lower = (sums >= observed).mean(), (sums <= observed).mean()
            got = exact_p(values, np.full(10, observed, float), np.full(10, size), "two-sided")
            assert abs(got[0] - min(1.0, 2 * min(upper, lower))) < EXACT_TOLERANCE
            assert abs(exact_p(values, np.full(10, observed, float), np.full(10, size), "greater")[0]
                       - upper) < EXACT_TOLERANCE
    # unit 4 of the path: {9, 8, 9} is the only 3-subset summing to 26 or more: 1 / C(9, 3)
    assert gi_star(PATH_VALUES, path(9), inference="exact", alternative="greater").p_value[4] == pytest.approx(
        1 / 84, abs=EXACT_TOLERANCE)


def test_permutations_under_both_nulls_hit_the_exact_probabilities() -> None:
    replicates = 9999
    total = gi_star(PATH_VALUES, path(9), inference="permutation", alternative="greater", permutations=replicates,
                    rng=4, scheduler="serial")
    assert abs(total.p_value[4] - 1 / 84) < 4 * math.sqrt(1 / 84 * 83 / 84 / replicates) + 1 / replicates
    # conditional: unit 4 keeps its 8 and draws 2 of the other 8 values; >= 26 only with both 9s: 1 / C(8, 2)
    kept = gi_star(PATH_VALUES, path(9), null="conditional", inference="permutation", alternative="greater",
                   permutations=replicates, rng=4, scheduler="serial")
    assert abs(kept.p_value[4] - 1 / 28) < 4 * math.sqrt(1 / 28 * 27 / 28 / replicates)
    # unit 0 (value 0, one neighbour) draws one of {0, 1, 9, 8, 9, 1, 0, 0}: <= 0 with probability 3 / 8
    low = gi_star(PATH_VALUES, path(9), null="conditional", inference="permutation", alternative="less",
                  permutations=replicates, rng=4, scheduler="serial")
    assert abs(low.p_value[0] - 3 / 8) < 4 * math.sqrt(3 / 8 * 5 / 8 / replicates)
    assert (total.seed, total.permutations, kept.null) == (4, replicates, "conditional")


def test_total_permutation_agrees_with_exact_within_monte_carlo_error() -> None:
    rng = np.random.default_rng(3)
    values = rng.poisson(0.7, size=400).astype(float)
    graph = from_lists([sorted(set(rng.choice(400, size=int(k), replace=False).tolist()) - {i})
                        for i, k in enumerate(rng.integers(1, 9, size=400))])
    exact = gi_star(values, graph, inference="exact").p_value
    replicates = 20_000
    sampled = gi_star(values, graph, inference="permutation", permutations=replicates, rng=5, scheduler="serial")
    # a two-sided p is twice a proportion: its Monte Carlo standard error is at most 2 * sqrt(0.25 / R)
    assert np.nanmax(np.abs(exact - sampled.p_value)) < 5 * 2 * np.sqrt(0.25 / replicates)
    assert ((sampled.p_value > 0) & (sampled.p_value <= 1)).all()


def test_same_seed_same_result_on_any_scheduler() -> None:
    values = np.random.default_rng(3).poisson(2, 300).astype(float)
    for null in ("total", "conditional"):
        options = {"null": null, "inference": "permutation", "permutations": 300, "rng": 5}
        serial = gi_star(values, path(300), scheduler="serial", **options)
        threads = gi_star(values, path(300), scheduler="threads", n_jobs=2, **options)
        np.testing.assert_array_equal(serial.p_value, threads.p_value)
        other = gi_star(values, path(300), scheduler="serial", **{**options, "rng": 6})
        assert not np.array_equal(serial.p_value, other.p_value)


def test_bad_input_is_refused() -> None:
    good = path(5)
    for args, kwargs in (
        ((np.ones(2), from_lists([[1], [0]])), {}),
        ((np.array([1, 2, np.nan, 4, 5]), good), {}),
        ((np.arange(4.0), good), {}),
        ((np.arange(5.0), good.lists()), {}),
        ((np.arange(5.0), from_lists(good.lists(), self_weight=0)), {}),
        ((np.arange(5.0), good), {"alternative": "both"}),
        ((np.arange(5.0), good), {"null": "spatial"}),
        ((np.arange(5.0), good), {"inference": "bootstrap"}),
        ((np.arange(5.0), good), {"inference": "exact", "null": "conditional"}),
        ((np.arange(5.0) + 0.5, good), {"inference": "exact"}),
        ((np.arange(5.0), good), {"inference": "permutation", "permutations": 0}),
    ):
        with pytest.raises(OptionError):
            gi_star(*args, **kwargs)


# ---------------------------------------------------------------------------------------------------------------
# esda as the oracle, on Langley's manufacturing firms counted on H3 cells
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def langley_firms(shared_data: Path) -> pd.DataFrame:
    import clusterwatch

    return clusterwatch.read_firms(shared_data / "langley_bc" / "Business_Licenses.csv",
                                   format="langley-licences").firms


@pytest.fixture(scope="module")
def langley_cells(langley_firms: pd.DataFrame) -> tuple[np.ndarray, NeighbourGraph]:
    firms = langley_firms
    cells = pd.Series([h3.latlng_to_cell(a, b, 8) for a, b in zip(firms["lat"], firms["lon"], strict=True)])
    manufacturing = firms["code"].astype(str).str[:2].isin(["31", "32", "33"]).to_numpy()
    ids = sorted(cells.unique())
    counts = cells[manufacturing].value_counts().reindex(ids, fill_value=0).to_numpy(dtype=float)
    return counts, h3_graph(ids, 2)


def _esda_w(graph: NeighbourGraph):  # noqa: ANN202 - libpysal type
    weights = pytest.importorskip("libpysal.weights")
    return weights.W({i: row for i, row in enumerate(graph.lists())}, silence_warnings=True)


def test_z_and_normal_p_match_esda_on_langley(langley_cells) -> None:
    esda = pytest.importorskip("esda")
    counts, graph = langley_cells
    assert counts.size == 417 and counts.sum() > 300
    theirs = esda.G_Local(counts, _esda_w(graph), transform="B", star=True, permutations=0)
    ours = gi_star(counts, graph)
    np.testing.assert_allclose(ours.z, theirs.Zs, atol=Z_TOLERANCE)
    np.testing.assert_allclose(ours.statistic, theirs.Gs, atol=Z_TOLERANCE)
    # esda's p_norm is one-sided (norm.sf(|z|)): the two-sided p is twice it
    np.testing.assert_allclose(ours.p_value, 2 * theirs.p_norm, atol=Z_TOLERANCE)
    greater = gi_star(counts, graph, alternative="greater").p_value
    np.testing.assert_allclose(np.where(ours.z > 0, greater, 1 - greater), theirs.p_norm, atol=Z_TOLERANCE)


def test_emerging_hot_spots_space_time_gi_star_matches_esda(shared_data: Path) -> None:
    """EHSA's oracle: its space-time Gi* z of every bin is esda's G_Local(star=True) on the space-time graph."""
    esda = pytest.importorskip("esda")
    import clusterwatch
    from clusterwatch.analysis.time import code_entries, emerging_hot_spots, entries_cube

    seattle = clusterwatch.read_firms(shared_data / "seattle" / "business_licenses_analysis.csv",
                                      format="seattle-licences").firms
    entries = code_entries(seattle, code="72", code_system="naics")  # food and accommodation openings
    cube = entries_cube(entries, resolution=7, period="year", start="2012-01-01", as_of="2025-12-31")
    assert cube.shape[1] == 14 and cube.n_entries > 300
    result = emerging_hot_spots(cube, ring=1, time_lags=1, inference="normal")
    graph = space_time_graph(h3_graph(cube.locations, 1), cube.shape[1], 1)
    theirs = esda.G_Local(cube.counts.ravel().astype(float), _esda_w(graph), transform="B", star=True,
                          permutations=0)
    np.testing.assert_allclose(result.z.ravel(), theirs.Zs, atol=Z_TOLERANCE)
    np.testing.assert_allclose(result.p.ravel(), 2 * theirs.p_norm, atol=Z_TOLERANCE)
