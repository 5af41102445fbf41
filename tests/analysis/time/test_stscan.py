"""The prospective space-time permutation scan: SaTScan's reference result, brute force, reproducibility."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from clusterwatch.analysis.time import cube_from_counts, space_time_permutation_scan
from clusterwatch.analysis.time.stscan import circle_blocks as blocks
from clusterwatch.analysis.time.stscan import scan_circles as circles
from clusterwatch.analysis.time.stscan import scan_replicates
from clusterwatch.errors import InputError, OptionError
from clusterwatch.stats import monte_carlo_p

REFERENCE = Path(__file__).resolve().parents[3].parent / "shared" / "reference" / "satscan_stp_seattle"
LLR_TOLERANCE = 5e-7  # SaTScan prints six decimals


@pytest.fixture(scope="module")
def seattle_cube():  # type: ignore[no-untyped-def]
    if not REFERENCE.is_dir():
        pytest.skip(f"reference folder {REFERENCE} not present")
    cases = pd.read_csv(REFERENCE / "seattle_naics72_births.cas", sep=r"\s+", header=None,
                        names=["location", "count", "month"], dtype={"location": str})
    cases["period"] = pd.to_datetime(cases["month"], format="%Y/%m")
    geo = pd.read_csv(REFERENCE / "seattle_zip_centroids_utm10n.geo", sep=r"\s+", header=None,
                      names=["location", "x", "y"], dtype={"location": str})
    geo[["x", "y"]] /= 1000.0  # metres to km
    return cube_from_counts(cases, geo, period="month", start="2016-01", end="2025-12", activity="naics 72")


@pytest.fixture(scope="module")
def seattle_scan(seattle_cube):  # type: ignore[no-untyped-def]
    return space_time_permutation_scan(seattle_cube, max_temporal_length=12, permutations=999, rng=20240601)


def test_reference_most_likely_cluster(seattle_cube, seattle_scan) -> None:  # type: ignore[no-untyped-def]
    assert seattle_cube.n_entries == 741
    best = seattle_scan.most_likely
    assert set(best.locations) == {"98125", "98115"} and best.centre == "98125"
    assert (str(best.start), str(best.end)) == ("2025-07", "2025-12")
    assert best.observed == 10 and round(best.expected, 2) == 3.44 and round(best.ratio, 2) == 2.91
    assert abs(best.llr - 4.143086) < LLR_TOLERANCE
    assert abs(best.radius_km - 3.58510) < 1e-5


def test_reference_secondary_cluster(seattle_scan) -> None:  # type: ignore[no-untyped-def]
    second = seattle_scan.clusters[1]
    assert second.locations == ("98102",)
    assert (str(second.start), second.observed, round(second.expected, 2)) == ("2025-10", 3, 0.90)
    assert abs(second.llr - 1.514585) < LLR_TOLERANCE
    used = [loc for c in seattle_scan.clusters for loc in c.locations]
    assert len(used) == len(set(used))  # no geographical overlap


def test_reference_p_value_within_monte_carlo_error(seattle_scan) -> None:  # type: ignore[no-untyped-def]
    saved = pd.read_csv(REFERENCE / "seattle_naics72_stp_prospective.llr.txt", sep=r"\s+").iloc[:, 0].to_numpy()
    assert len(saved) == 999
    assert monte_carlo_p(4.143086, saved) == pytest.approx(0.185)  # SaTScan's p from its own replicates
    # ours: another 999 draws of the same null; the two p-values differ by Monte Carlo error only
    p = seattle_scan.most_likely.p
    se = math.sqrt(2 * 0.185 * 0.815 / 999)
    assert abs(p - 0.185) < 4 * se
    assert stats.ks_2samp(seattle_scan.simulated, saved).pvalue > 0.001


def test_reference_recurrence_interval_formula(seattle_scan) -> None:  # type: ignore[no-untyped-def]
    best = seattle_scan.most_likely
    assert best.recurrence_days == pytest.approx((365.25 / 12) / best.p)
    assert round((365.25 / 12) / 0.185) == 165  # SaTScan's 165 days at its p = 0.185


def _brute_force(counts: np.ndarray, x: np.ndarray, y: np.ndarray, share: float, length: int,
                 min_cases: int, radius: float = np.inf) -> float:
    total = counts.sum()
    site_total = counts.sum(axis=1)
    period_total = counts.sum(axis=0)
    best = 0.0
    for centre in range(len(x)):
        distance = np.hypot(x - x[centre], y - y[centre])
        order = np.lexsort((y, x, distance))
        inside: list[int] = []
        for site in order:
            if site_total[inside + [site]].sum() > share * total or distance[site] > radius:
                break
            inside.append(site)
            for n in range(1, length + 1):
                c = counts[inside, -n:].sum()
                mu = site_total[inside].sum() * period_total[-n:].sum() / total
                if c >= min_cases and c > mu:
                    llr = c * math.log(c / mu) + ((total - c) * math.log((total - c) / (total - mu))
                                                  if c < total else 0.0)
                    best = max(best, llr)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_pruned_scan_equals_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_sites, n_periods = 30, 12
    x, y = rng.uniform(0, 10, n_sites), rng.uniform(0, 10, n_sites)
    counts = rng.poisson(0.6, size=(n_sites, n_periods))
    counts[:, 0] += counts.sum(axis=1) == 0
    counts[rng.integers(n_sites), -3:] += rng.integers(0, 4)  # sometimes a burst
    share, length = [0.5, 0.2, 0.1][seed % 3], [6, 3, 12][seed % 3]
    radius = 3.0 if seed >= 3 else None
    where = pd.DataFrame({"location": [f"s{i:02d}" for i in range(n_sites)], "x": x, "y": y})
    rows = [(f"s{i:02d}", str(p), int(counts[i, t])) for i in range(n_sites)
            for t, p in enumerate(pd.period_range("2020-01", periods=n_periods, freq="M")) if counts[i, t]]
    cube = cube_from_counts(pd.DataFrame(rows, columns=["location", "period", "count"]), where, period="month",
                            start="2020-01", end="2020-12")
    scan = space_time_permutation_scan(cube, max_spatial_share=share, max_temporal_length=length,
                                       max_radius_km=radius, permutations=19, rng=seed, scheduler="serial")
    order = np.lexsort((cube.y_km, cube.x_km))  # the scan's sites, sorted as it sorts them
    reach = np.inf if radius is None else radius
    expected = _brute_force(cube.counts[order], cube.x_km[order], cube.y_km[order], share, length, 2, reach)
    assert (scan.most_likely.llr if scan.clusters else 0.0) == pytest.approx(expected, rel=1e-12, abs=1e-12)
    # the replicate kernel against brute force on permuted case times
    xs, ys, c = cube.x_km[order], cube.y_km[order], cube.counts[order]
    total = c.sum()
    offsets, members, inside = circles(xs, ys, c.sum(axis=1).astype(float), share * total, reach)
    block_offsets, block_start = blocks(offsets, inside, 0.05, 20.0, 64)
    sites, times = np.nonzero(c)
    case_site = np.repeat(sites, c[sites, times]).astype(np.int64)
    case_time = np.repeat(times, c[sites, times])
    period_cases = np.cumsum(c.sum(axis=0)[::-1])[:length].astype(float)
    for _ in range(3):
        shuffled = rng.permutation(case_time)
        got = scan_replicates((n_periods - 1 - shuffled)[None, :].astype(np.int64), case_site, n_sites, offsets,
                              members, inside, block_offsets, block_start, period_cases, float(total), 2)[0]
        permuted = np.zeros_like(c)
        np.add.at(permuted, (case_site, shuffled), 1)
        assert got == pytest.approx(_brute_force(permuted, xs, ys, share, length, 2, reach), rel=1e-12, abs=1e-12)


def _small_cube():  # type: ignore[no-untyped-def]
    grid = [(f"s{i}", float(i % 5), float(i // 5)) for i in range(25)]
    where = pd.DataFrame(grid, columns=["location", "x", "y"])
    rows = [(s, f"2020-{m:02d}", 1) for s, _, _ in grid for m in range(1, 13)]
    rows += [("s12", "2020-12", 6), ("s13", "2020-12", 4)]
    return cube_from_counts(pd.DataFrame(rows, columns=["location", "period", "count"]), where, period="month")


def test_same_seed_same_result_on_any_scheduler() -> None:
    cube = _small_cube()
    serial = space_time_permutation_scan(cube, permutations=250, rng=4, scheduler="serial")
    threads = space_time_permutation_scan(cube, permutations=250, rng=4, scheduler="threads", n_jobs=2)
    assert np.array_equal(serial.simulated, threads.simulated)
    assert serial.to_frame().equals(threads.to_frame())
    assert serial.seed == 4 and len(serial.simulated) == 250
    assert all(0 < c.p <= 1 for c in serial.clusters)


def test_identical_coordinates_are_one_site() -> None:
    where = pd.DataFrame({"location": ["a", "b", "c", "d"], "x": [0.0, 0.0, 5.0, 9.0], "y": [0.0, 0.0, 0.0, 0.0]})
    rows = [("a", "2020-01", 3), ("b", "2020-02", 4), ("c", "2020-01", 5), ("c", "2020-02", 1),
            ("d", "2020-01", 8), ("d", "2020-02", 1)]
    cube = cube_from_counts(pd.DataFrame(rows, columns=["location", "period", "count"]), where, period="month")
    scan = space_time_permutation_scan(cube, max_temporal_length=1, permutations=9, rng=1)
    assert set(scan.most_likely.locations) == {"a", "b"}


def test_options_are_checked() -> None:
    cube = _small_cube()
    with pytest.raises(OptionError, match="max_spatial_share"):
        space_time_permutation_scan(cube, max_spatial_share=0.8)
    with pytest.raises(OptionError, match="max_temporal_length"):
        space_time_permutation_scan(cube, max_temporal_length=13)
    with pytest.raises(OptionError, match="permutations"):
        space_time_permutation_scan(cube, permutations=0)
    with pytest.raises(OptionError, match="max_radius_km"):
        space_time_permutation_scan(cube, max_radius_km=-1.0)
    with pytest.raises(OptionError, match="min_cases"):
        space_time_permutation_scan(cube, min_cases=0)
    lonely = cube_from_counts(pd.DataFrame({"location": ["a"], "period": ["2020-01"], "count": [1]}),
                              pd.DataFrame({"location": ["a"], "x": [0.0], "y": [0.0]}), period="month")
    with pytest.raises(InputError, match="at least 2 entries"):
        space_time_permutation_scan(lonely)
