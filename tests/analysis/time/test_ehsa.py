"""Emerging hot spots: the space-time Gi* of :func:`clusterwatch.stats.gi_star` on a cube, its inferences and options.

The statistic, its nulls and its esda oracle are tested in ``tests/stats/test_gistar.py``.
"""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest

from clusterwatch.analysis.time import emerging_hot_spots, entries_cube
from clusterwatch.errors import OptionError
from clusterwatch.stats import gi_star, h3_graph, space_time_graph


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


def test_the_cube_gi_star_is_the_shared_gi_star_on_the_space_time_graph() -> None:
    _, entries = _burst_cube()
    cube = entries_cube(entries, resolution=8)
    result = emerging_hot_spots(cube, ring=1, time_lags=2, inference="exact")
    graph = space_time_graph(h3_graph(cube.locations, 1), cube.shape[1], 2)
    shared = gi_star(cube.counts.ravel().astype(float), graph, inference="exact")
    np.testing.assert_array_equal(result.z.ravel(), shared.z)
    np.testing.assert_array_equal(result.p.ravel(), shared.p_value)


def test_a_burst_around_a_cell_is_a_new_hot_spot_under_every_inference() -> None:
    centre, entries = _burst_cube()
    cube = entries_cube(entries, resolution=8)
    centre_row = list(cube.locations).index(centre)
    conditional = emerging_hot_spots(cube, inference="permutation", null="conditional", permutations=9999, rng=1)
    assert conditional.p[centre_row, -1] == pytest.approx(2 / 10_000)  # beyond every replicate (two-sided floor)
    for inference in ("exact", "normal", "permutation"):
        result = emerging_hot_spots(cube, inference=inference, permutations=9999, rng=1)
        frame = result.to_frame().set_index("cell")
        assert frame.loc[centre, "category"] == "new hot spot"
        assert ((result.p > 0) & (result.p <= 1)).all()
        assert (result.q >= result.p - 1e-15).all()  # BH never lowers a p-value


def test_options_are_checked() -> None:
    _, entries = _burst_cube()
    cube = entries_cube(entries, resolution=8)
    with pytest.raises(OptionError, match="inference"):
        emerging_hot_spots(cube, inference="bootstrap")
    with pytest.raises(OptionError, match="null"):
        emerging_hot_spots(cube, null="spatial")
    with pytest.raises(OptionError, match="time_lags"):
        emerging_hot_spots(cube, time_lags=-1)
    with pytest.raises(OptionError, match="alpha"):
        emerging_hot_spots(cube, alpha=1.5)
    with pytest.raises(OptionError, match="permutations"):
        emerging_hot_spots(cube, inference="permutation", permutations=0)
