"""Space-time Gi*: neighbourhoods, the z-score by hand, and its three kinds of inference."""

from __future__ import annotations

from itertools import combinations

import h3
import numpy as np
import pandas as pd
import pytest

from clusterwatch.analysis.time import emerging_hot_spots, entries_cube
from clusterwatch.analysis.time.gistar import (
    exact_p,
    gistar_z,
    h3_neighbours,
    neighbourhood_sums,
    normal_p,
    permutation_p,
)
from clusterwatch.errors import OptionError
from clusterwatch.stats import resolve_seed

TOLERANCE = 1e-12


def test_h3_neighbours_only_among_cube_cells() -> None:
    centre = h3.latlng_to_cell(47.6, -122.3, 8)
    ring = sorted(h3.grid_ring(centre, 1))
    opposite = next(c for c in ring if h3.grid_distance(ring[0], c) == 2)
    cells = np.array([centre, ring[0], opposite], dtype=object)  # two opposite neighbours of the centre
    w = h3_neighbours(cells, 1).toarray()
    assert w[0].tolist() == [1, 1, 1]  # the centre, itself included
    assert w[1, 2] == 0  # opposite neighbours are two steps apart
    assert (w == w.T).all()
    with pytest.raises(OptionError, match="ring"):
        h3_neighbours(cells, -1)


def test_neighbourhood_sums_with_time_lags_by_hand() -> None:
    values = np.array([[1, 2, 3], [10, 20, 30]])
    weights = np.array([[1.0, 1.0], [1.0, 1.0]])
    from scipy import sparse

    sums, sizes = neighbourhood_sums(values, sparse.csr_matrix(weights), time_lags=1)
    # period 0: both cells now; period t: both cells at t and t-1
    assert sums.tolist() == [[11, 33, 55], [11, 33, 55]]
    assert sizes.tolist() == [[2, 4, 4], [2, 4, 4]]
    sums0, sizes0 = neighbourhood_sums(values, sparse.csr_matrix(np.eye(2)), time_lags=0)
    assert (sums0 == values).all() and (sizes0 == 1).all()


def test_gistar_z_matches_ord_getis_by_hand() -> None:
    values = np.array([[0.0, 3.0], [1.0, 4.0]])
    x = values.ravel()
    n, mean, sd = x.size, x.mean(), x.std()  # population sd, as Ord & Getis
    sums = np.array([[3.0, 7.0], [1.0, 8.0]])
    sizes = np.array([[2, 2], [1, 3]])
    z = gistar_z(values, sums, sizes)
    w = 3.0
    by_hand = (8.0 - mean * w) / (sd * np.sqrt((n * w - w**2) / (n - 1)))
    assert abs(z[1, 1] - by_hand) < TOLERANCE
    assert np.isnan(gistar_z(np.ones((2, 2)), np.ones((2, 2)), np.ones((2, 2), dtype=int))).all()  # constant cube


def test_exact_p_equals_enumeration() -> None:
    pool = np.array([0, 0, 1, 3, 0, 2, 1, 0, 5, 1], dtype=float)
    for size in (1, 3, 5):
        sums = np.array([sum(c) for c in combinations(pool, size)])
        for observed in range(0, 12):
            upper, lower = (sums >= observed).mean(), (sums <= observed).mean()
            expected = min(1.0, 2 * min(upper, lower))
            got = exact_p(pool.reshape(2, 5), np.full((2, 5), observed, float), np.full((2, 5), size))
            assert abs(got[0, 0] - expected) < 1e-9


def test_exact_refuses_non_counts() -> None:
    with pytest.raises(OptionError, match="whole counts"):
        exact_p(np.array([[0.5, 1.0]]), np.array([[1.0, 1.0]]), np.array([[1, 1]]))


def test_permutation_agrees_with_exact_within_monte_carlo_error() -> None:
    rng = np.random.default_rng(3)
    values = rng.poisson(0.7, size=(40, 10)).astype(float)
    sizes = rng.integers(2, 9, size=(40, 10))
    sums = np.array([[rng.choice(values.ravel(), size=w, replace=False).sum() + 2 for w in row] for row in sizes])
    exact = exact_p(values, sums, sizes)
    replicates = 20_000
    sampled = permutation_p(values, sums, sizes, permutations=replicates, seed=resolve_seed(5), scheduler="serial")
    # two-sided p is twice a proportion: its Monte Carlo standard error is at most 2 * sqrt(0.25 / R)
    assert np.abs(exact - sampled).max() < 5 * 2 * np.sqrt(0.25 / replicates)
    assert ((sampled > 0) & (sampled <= 1)).all()


def test_normal_p_is_two_sided() -> None:
    assert abs(normal_p(np.array([1.959963984540054]))[0] - 0.05) < 1e-12


def _burst_cube() -> tuple[str, pd.DataFrame]:
    centre = h3.latlng_to_cell(47.6, -122.3, 8)
    cells = sorted(h3.grid_disk(centre, 3))
    rows = [(c, f"{2010 + t}-06-01") for t in range(10) for c in cells]
    rows += [(c, "2019-06-01") for c in h3.grid_disk(centre, 1)] * 5
    frame = pd.DataFrame([(pd.Timestamp(d), *h3.cell_to_latlng(c)) for c, d in rows], columns=["date", "lat", "lon"])
    return centre, frame


def test_same_seed_same_result_serial_or_threads() -> None:
    _, entries = _burst_cube()
    cube = entries_cube(entries, resolution=8)
    one = emerging_hot_spots(cube, inference="permutation", permutations=499, rng=11, scheduler="serial")
    two = emerging_hot_spots(cube, inference="permutation", permutations=499, rng=11, scheduler="threads", n_jobs=2)
    assert np.array_equal(one.p, two.p) and (one.category == two.category).all()
    assert one.seed == 11 and one.permutations == 499
    other = emerging_hot_spots(cube, inference="permutation", permutations=499, rng=12, scheduler="serial")
    assert not np.array_equal(one.p, other.p)


def test_a_burst_around_a_cell_is_a_new_hot_spot_under_every_inference() -> None:
    centre, entries = _burst_cube()
    cube = entries_cube(entries, resolution=8)
    for inference in ("exact", "normal"):
        result = emerging_hot_spots(cube, inference=inference)
        frame = result.to_frame().set_index("cell")
        assert frame.loc[centre, "category"] == "new hot spot"
        assert ((result.p > 0) & (result.p <= 1)).all()
        assert (result.q >= result.p - 1e-15).all()  # BH never lowers a p-value


def test_options_are_checked() -> None:
    _, entries = _burst_cube()
    cube = entries_cube(entries, resolution=8)
    with pytest.raises(OptionError, match="inference"):
        emerging_hot_spots(cube, inference="bootstrap")
    with pytest.raises(OptionError, match="time_lags"):
        emerging_hot_spots(cube, time_lags=-1)
    with pytest.raises(OptionError, match="alpha"):
        emerging_hot_spots(cube, alpha=1.5)
    with pytest.raises(OptionError, match="permutations"):
        emerging_hot_spots(cube, inference="permutation", permutations=0)
