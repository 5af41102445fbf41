"""As of any past date: only what was known then; the same analysis over a series of dates."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd

from clusterwatch.analysis.time import emergence_history, emerging_hot_spots, entries_cube


def _entries() -> tuple[str, pd.DataFrame]:
    centre = h3.latlng_to_cell(47.6, -122.3, 8)
    cells = sorted(h3.grid_disk(centre, 3))
    rows = [(c, f"{2010 + t}-06-01") for t in range(10) for c in cells]
    rows += [(c, "2019-06-01") for c in h3.grid_disk(centre, 1)] * 5
    return centre, pd.DataFrame([(pd.Timestamp(d), *h3.cell_to_latlng(c)) for c, d in rows],
                                columns=["date", "lat", "lon"])


def test_history_sees_the_burst_only_once_it_happened() -> None:
    centre, entries = _entries()
    history = emergence_history(entries, ["2019-12-31", "2018-12-31", "2010-06-30", "2019-06-30"], permutations=99,
                                rng=3)
    frame = history.to_frame()
    assert frame["as_of"].tolist() == ["2010-06-30", "2018-12-31", "2019-06-30", "2019-12-31"]  # sorted
    assert frame["skipped"].iloc[0]  # nothing complete yet in mid-2010
    assert history.hot_spots[0] is None and history.scans[0] is None
    assert frame["last_period"].tolist()[1:] == ["2018", "2018", "2019"]  # 2019 still running in June 2019
    assert frame["new"].tolist()[1:] == [0, 0, 7]
    categories = history.categories_frame()
    seen = categories[(categories["cell"] == centre)].set_index("as_of")["category"]
    assert seen["2018-12-31"] == "no pattern detected" and seen["2019-12-31"] == "new hot spot"
    assert frame["cluster_start"].iloc[-1] == "2019" and frame["cluster_p"].iloc[-1] < 0.05
    assert history.seed == 3 and all(s.seed == 3 for s in history.scans if s is not None)


def test_history_equals_single_runs() -> None:
    _, entries = _entries()
    history = emergence_history(entries, ["2017-12-31"], scan=False)
    single = emerging_hot_spots(entries_cube(entries, as_of="2017-12-31"))
    assert history.scans == (None,)
    assert np.array_equal(history.hot_spots[0].z, single.z, equal_nan=True)  # type: ignore[union-attr]
    assert (history.hot_spots[0].category == single.category).all()  # type: ignore[union-attr]


def test_history_skips_dates_before_the_start() -> None:
    _, entries = _entries()
    history = emergence_history(entries, ["2012-12-31", "2016-12-31"], start="2014-01-01", scan=False)
    assert "before the start" in history.skipped["2012-12-31"]
    assert history.to_frame()["periods"].iloc[1] == 3
