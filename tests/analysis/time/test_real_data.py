"""Real data: Seattle licences (births by NAICS and ZIP), Little Rock licences, SBIR firms' first awards.

The figures asserted here are the findings quoted in the README.
"""

from __future__ import annotations

from pathlib import Path

import h3
import numpy as np
import pandas as pd
import pytest

import clusterwatch
from clusterwatch.analysis.time import (
    code_entries,
    emergence_history,
    emerging_hot_spots,
    entries_cube,
    space_time_permutation_scan,
)


def _postcodes(firms: pd.DataFrame, resolution: int) -> pd.Series:
    """The five-digit ZIPs of the firms in each cell."""
    cells = [h3.latlng_to_cell(a, b, resolution) for a, b in zip(firms["lat"], firms["lon"], strict=True)]
    zips = firms["postcode"].astype(str).str[:5]
    return zips.groupby(pd.Series(cells, index=firms.index)).agg(lambda s: ";".join(sorted(set(s))))


@pytest.fixture(scope="module")
def seattle(shared_data: Path) -> pd.DataFrame:
    firms = clusterwatch.read_firms(shared_data / "seattle" / "business_licenses_analysis.csv",
                                    format="seattle-licences").firms
    return firms[firms["city"].astype(str).str.upper().eq("SEATTLE").to_numpy()]


def test_seattle_arts_and_recreation_cluster_in_west_and_south_seattle(seattle: pd.DataFrame) -> None:
    entries = code_entries(seattle, code="71", code_system="naics")
    cube = entries_cube(entries, resolution=7, period="year", start="2006-01-01", as_of="2025-12-31")
    assert cube.n_entries == 322 and cube.shape == (24, 20)
    scan = space_time_permutation_scan(cube, permutations=999, rng=1)
    best = scan.most_likely
    zips = _postcodes(seattle, 7)
    assert {z for cell in best.locations for z in zips[cell].split(";")} >= {"98116", "98126", "98136", "98106"}
    assert (str(best.start), best.observed, round(best.expected, 1)) == ("2024", 24, 12.7)
    assert best.llr == pytest.approx(4.211, abs=1e-3) and best.p < 0.05
    # what would we have seen? not yet at the end of 2024, flagged at the end of 2025
    history = emergence_history(entries, ["2024-12-31", "2025-12-31"], resolution=7, start="2006-01-01",
                                permutations=999, rng=1).to_frame()
    assert history["cluster_p"].tolist()[0] > 0.05 > history["cluster_p"].tolist()[1]


def _esri_hot_category(hot: np.ndarray, cold: np.ndarray, trend: str) -> str:
    """Esri's hot-spot categories from a location's hot/cold series (the wording of *How Emerging Hot Spot Analysis
    works*), written here independently of :mod:`clusterwatch.analysis.time.categories`; hot side only."""
    n, n_hot = hot.size, int(hot.sum())
    most = 10 * n_hot >= 9 * n  # at least 90 % of the time-step intervals
    if not hot[-1]:
        return "historical hot spot" if most else "no pattern detected"
    if most:
        return {"increasing": "intensifying", "decreasing": "diminishing"}.get(trend, "persistent") + " hot spot"
    if n_hot == 1:
        return "new hot spot"
    run = n - np.flatnonzero(~hot)[-1] - 1  # the final uninterrupted run of hot intervals
    if run == n_hot:
        return "consecutive hot spot"
    return "oscillating hot spot" if cold.any() else "sporadic hot spot"


@pytest.mark.filterwarnings("ignore:The weights matrix is not fully connected")
def test_seattle_emerging_hot_spots_match_esda_and_kendall(seattle: pd.DataFrame) -> None:
    """The oracle: Gi* of every bin from esda on a space-time neighbourhood built here from h3 alone, BH from scipy,
    every cell's trend from a Mann-Kendall S and variance checked against scipy's Kendall tau, and Esri's rules."""
    esda = pytest.importorskip("esda")
    weights = pytest.importorskip("libpysal.weights")
    from scipy import stats

    entries = code_entries(seattle, code="71", code_system="naics")
    cube = entries_cube(entries, resolution=7, period="year", start="2006-01-01", as_of="2025-12-31")
    ours = emerging_hot_spots(cube, inference="normal")  # esda's analytical p is the normal one
    cells, n_per = list(cube.locations), cube.shape[1]
    index = {cell: i for i, cell in enumerate(cells)}
    # the bin (cell, t) and its neighbours: cells within one H3 step, in periods t and t - 1 (self left to star=True)
    neighbours = {}
    for cell, i in index.items():
        ring = [index[c] for c in h3.grid_disk(cell, 1) if c in index]
        for t in range(n_per):
            neighbours[i * n_per + t] = [j * n_per + u for j in ring for u in (t - 1, t)
                                         if u >= 0 and (j, u) != (i, t)]
    w = weights.W(neighbours, silence_warnings=True)
    theirs = esda.G_Local(cube.counts.ravel().astype(float), w, transform="B", star=True, permutations=0)
    z = np.asarray(theirs.Zs).reshape(cube.shape)
    p = 2 * np.asarray(theirs.p_norm).reshape(cube.shape)
    np.testing.assert_allclose(ours.z, z, atol=1e-6)
    q = stats.false_discovery_control(p.ravel()).reshape(p.shape)
    hot, cold = (q <= 0.05) & (z > 0), (q <= 0.05) & (z < 0)
    assert not cold.any()
    np.testing.assert_array_equal(ours.hot, hot)
    years = np.arange(n_per)
    expected = []
    for i in range(len(cells)):
        series = z[i]
        s = float(np.sign(series[None, :] - series[:, None])[np.triu_indices(n_per, 1)].sum())
        _, ties = np.unique(np.round(series, 9), return_counts=True)
        var = (n_per * (n_per - 1) * (2 * n_per + 5) - (ties * (ties - 1) * (2 * ties + 5)).sum()) / 18
        tau = stats.kendalltau(years, series)  # the same S and variance, without the continuity correction
        assert tau.pvalue == pytest.approx(2 * stats.norm.sf(abs(s) / np.sqrt(var)), rel=1e-6)
        mk_p = 2 * stats.norm.sf((abs(s) - 1) / np.sqrt(var)) if s else 1.0
        assert ours.trend_p[i] == pytest.approx(mk_p, rel=1e-6, abs=1e-12)
        trend = ("increasing" if s > 0 else "decreasing") if mk_p <= 0.05 else "none"
        expected.append(_esri_hot_category(hot[i], cold[i], trend))
    assert list(ours.category) == expected
    # the finding quoted in the README, as the oracle gives it: 4 new and 8 consecutive hot spots, all rising
    found = pd.Series(expected).value_counts().to_dict()
    assert found == {"no pattern detected": 12, "consecutive hot spot": 8, "new hot spot": 4}
    assert set(ours.trend[np.asarray(expected) != "no pattern detected"]) == {"increasing"}


def test_little_rock_internet_sales_emerge_in_the_south_west(shared_data: Path) -> None:
    firms = clusterwatch.read_firms(shared_data / "little_rock" / "Business_Licenses.csv",
                                    format="little-rock-licences").firms
    entries = code_entries(firms, code="INTERNETea72", code_system="littlerock")
    cube = entries_cube(entries, resolution=7, period="year", start="1990-01-01", as_of="2020-12-31")
    assert cube.counts.sum(axis=0)[-3:].tolist() == [82, 142, 315]
    result = emerging_hot_spots(cube).to_frame()
    zips = _postcodes(firms, 7)
    new = result[result["category"] == "new hot spot"]
    assert sorted(zips[c].split(";")[0] for c in new["cell"]) == ["72204", "72205", "72209"]
    # without a radius cap the same area is caught by a circle centred 170 km away (El Dorado) that reaches it
    wide = space_time_permutation_scan(cube, permutations=999, rng=1).most_likely
    assert wide.radius_km > 150 and {"72209", "72103"} <= {zips[c] for c in wide.locations}
    best = space_time_permutation_scan(cube, permutations=999, rng=1, max_radius_km=15.0).most_likely
    assert {zips[c] for c in best.locations} == {"72002", "72103", "72209", "72210"}
    assert (str(best.start), best.observed, round(best.expected, 1)) == ("2019", 165, 140.5)
    assert best.llr == pytest.approx(2.595, abs=1e-3) and best.p < 0.05


def test_sbir_entries_move_from_boston_to_the_washington_baltimore_corridor(shared_data: Path) -> None:
    firms = clusterwatch.read_firms(shared_data / "sbir" / "awards_with_address.csv.gz", format="sbir-awards").firms
    entries = code_entries(firms)  # founded = first SBIR award year
    dates = ["1997-12-31", "2002-12-31"]
    history = emergence_history(entries, dates, resolution=4, start="1992-01-01", scan=False)
    states = firms.assign(cell=[h3.latlng_to_cell(a, b, 4) for a, b in zip(firms["lat"], firms["lon"], strict=True)])
    state_of = states.groupby("cell")["region"].agg(lambda s: s.astype(str).mode().iloc[0])
    frame = history.categories_frame()
    hot = frame[frame["category"].str.endswith("hot spot")].assign(state=lambda d: d["cell"].map(state_of))
    in_1997 = hot[hot["as_of"] == "1997-12-31"]
    in_2002 = hot[hot["as_of"] == "2002-12-31"]
    assert set(in_1997["state"]) <= {"MA", "NH", "CA"} and (in_1997["state"] == "MA").sum() >= 4
    assert set(in_2002["state"]) <= {"MD", "VA", "DC"} and len(in_2002) == 7
    assert (in_2002["category"] == "new hot spot").sum() == 3


def test_demo_runs_end_to_end() -> None:
    firms = clusterwatch.read_firms(clusterwatch.demo_path(), format="sbir-awards").firms
    cube = entries_cube(code_entries(firms), resolution=7, period="year", start="1983-01-01", as_of="2002-12-31")
    assert cube.n_entries == 753
    result = emerging_hot_spots(cube)
    assert result.summary().sum() == cube.shape[0]
    scan = space_time_permutation_scan(cube, permutations=99, rng=1)
    assert scan.most_likely is not None and 0 < scan.most_likely.p <= 1
