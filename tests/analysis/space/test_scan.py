"""Bernoulli spatial scan: SaTScan's Langley run reproduced, hand-computed cases, properties, the CLI."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from clusterwatch import InputError, OptionError
from clusterwatch.analysis.space import BernoulliScanResult, bernoulli_scan, bernoulli_scan_each
from clusterwatch.analysis.space import bernoulli_llr as zone_llr
from clusterwatch.analysis.space.bernoulli import scan_windows as build_windows
from clusterwatch.analysis.space.bernoulli import site_points
from clusterwatch.cli import run
from clusterwatch.stats import monte_carlo_p

REFERENCE = Path(__file__).resolve().parents[3].parent / "shared" / "reference" / "satscan_bernoulli_langley"
STEM = "langley_manuf_bernoulli_standardMC"
LLR_TOLERANCE = 1e-3  # relative: "LLR to within 0.1 %"
SATSCAN_SECONDARY_LLR = [38.310345, 22.146634, 21.486921, 15.626815, 14.567150]


def bernoulli_llr(c: int, n: int, total_cases: int, total: int) -> float:
    """The Bernoulli log-likelihood ratio written out from Kulldorff (1997), for hand checks."""

    def xlogy(a: float, b: float) -> float:
        return 0.0 if a == 0 else a * math.log(b)

    inside = xlogy(c, c / n) + xlogy(n - c, 1 - c / n)
    rest_c, rest_n = total_cases - c, total - n
    outside = xlogy(rest_c, rest_c / rest_n) + xlogy(rest_n - rest_c, 1 - rest_c / rest_n)
    null = xlogy(total_cases, total_cases / total) + xlogy(total - total_cases, 1 - total_cases / total)
    return inside + outside - null


# ---------------------------------------------------------------------------------------------------------------
# SaTScan 10.3.2 on Langley manufacturing (reference files in ../shared/reference)
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def satscan() -> dict[str, pd.DataFrame]:
    if not REFERENCE.is_dir():
        pytest.skip(f"SaTScan reference folder {REFERENCE} not present")
    return {
        "locations": pd.read_csv(REFERENCE / "langley_manuf_locations.csv"),
        "clusters": pd.read_csv(REFERENCE / f"{STEM}.col.txt", sep=r"\s+", usecols=range(17)),
        "gis": pd.read_csv(REFERENCE / f"{STEM}.gis.txt", sep=r"\s+", usecols=["LOC_ID", "CLUSTER"]),
        "llr": pd.read_csv(REFERENCE / f"{STEM}.llr.txt", sep=r"\s+"),
    }


@pytest.fixture(scope="module")
def langley_run(satscan: dict[str, pd.DataFrame]) -> tuple[BernoulliScanResult, pd.DataFrame]:
    """SaTScan's input as individuals (one row per licence), scanned with SaTScan's settings."""
    loc = satscan["locations"]
    population = (loc["cases"] + loc["controls"]).to_numpy()
    firms = pd.DataFrame({"x": np.repeat(loc["x"].to_numpy(), population),
                          "y": np.repeat(loc["y"].to_numpy(), population)})
    case = np.concatenate([np.r_[np.ones(c, bool), np.zeros(k, bool)]
                           for c, k in zip(loc["cases"], loc["controls"], strict=True)])
    result = bernoulli_scan(firms, case, coordinates="xy", max_population=0.5, min_cases=2, permutations=999,
                            rng=20240601, n_jobs=2)
    ids = result.locations.reset_index().merge(loc[["loc", "x", "y"]], on=["x", "y"], how="left")
    return result, ids


def test_same_locations_as_satscan(satscan: dict[str, pd.DataFrame], langley_run) -> None:
    result, ids = langley_run
    assert len(result.locations) == 3608 and result.total_firms == 5635 and result.total_cases == 351
    assert ids["loc"].notna().all()


def test_most_likely_cluster_matches_satscan(satscan: dict[str, pd.DataFrame], langley_run) -> None:
    result, ids = langley_run
    gis = satscan["gis"]
    top = result.most_likely
    assert set(ids.loc[ids["cluster"] == 1, "loc"]) == set(gis.loc[gis["CLUSTER"] == 1, "LOC_ID"])
    assert ids.loc[top["center_location"], "loc"] == "L3397"
    assert top["llr"] == pytest.approx(98.280425, rel=LLR_TOLERANCE)
    assert (top["cases"], top["firms"], top["locations"]) == (85, 240, 173)
    assert top["expected"] == pytest.approx(14.95, abs=0.005)
    assert top["relative_risk"] == pytest.approx(7.18, abs=0.005)
    assert top["radius"] == pytest.approx(1287.19, abs=0.01)
    assert top["p_value"] == pytest.approx(0.001)


def test_secondary_clusters_match_satscan(satscan: dict[str, pd.DataFrame], langley_run) -> None:
    result, ids = langley_run
    gis = satscan["gis"]
    assert result.clusters["llr"].iloc[1:6].tolist() == pytest.approx(SATSCAN_SECONDARY_LLR, rel=LLR_TOLERANCE)
    for number in range(2, 7):
        assert set(ids.loc[ids["cluster"] == number, "loc"]) == set(gis.loc[gis["CLUSTER"] == number, "LOC_ID"])
    expected = satscan["clusters"].set_index("CLUSTER")
    ours = result.clusters.set_index("cluster").loc[1:6]
    assert ours["cases"].tolist() == expected["OBSERVED"].tolist()
    assert ours["firms"].tolist() == expected["POPULATION"].astype(int).tolist()
    assert ours["relative_risk"].round(2).tolist() == pytest.approx(expected["REL_RISK"].tolist(), abs=0.006)


def test_reports_the_clusters_satscan_reports_and_stops_at_p_one(satscan: dict[str, pd.DataFrame],
                                                                  langley_run) -> None:
    """SaTScan reports secondary clusters with p < 1 only: six here, though ten were allowed."""
    result, _ = langley_run
    assert len(result.clusters) == len(satscan["clusters"]) == 6
    assert (result.clusters["p_value"] < 1).all()
    # the next candidate (LLR 5.56, a pair of case firms) is no stronger than the weakest replicate's maximum
    assert result.simulated_llr.min() <= 5.6


def test_p_values_consistent_with_satscan_simulations(satscan: dict[str, pd.DataFrame], langley_run) -> None:
    result, _ = langley_run
    theirs = satscan["llr"]["LLR"].to_numpy()
    ours = np.round(result.simulated_llr, 6)  # SaTScan prints six decimals
    # the null distributions of the maximum LLR agree (different generators, same law)
    assert stats.ks_2samp(ours, theirs).pvalue > 0.01
    assert np.median(ours) == pytest.approx(np.median(theirs), rel=0.05)
    # each reported cluster's p against SaTScan's own replicates is SaTScan's p, and ours is within MC error
    reported = satscan["clusters"]["P_VALUE"].to_numpy()
    for llr, p_satscan, p_ours in zip(result.clusters["llr"].iloc[:6], reported, result.clusters["p_value"].iloc[:6],
                                      strict=True):
        assert monte_carlo_p(llr, theirs) == pytest.approx(p_satscan, abs=1e-9)
        spread = 3 * math.sqrt(max(p_satscan, 1 / 1000) * (1 - p_satscan) / 999) + 1 / 1000
        assert abs(p_ours - p_satscan) <= spread


# ---------------------------------------------------------------------------------------------------------------
# hand-computed cases
# ---------------------------------------------------------------------------------------------------------------


def line(n: int, cases: list[int]) -> tuple[pd.DataFrame, np.ndarray]:
    firms = pd.DataFrame({"x": np.arange(n, dtype=float), "y": np.zeros(n)})
    case = np.zeros(n, dtype=bool)
    case[cases] = True
    return firms, case


def test_zone_llr_is_the_scans_llr(satscan: dict[str, pd.DataFrame], langley_run) -> None:
    # the package's ratio for zones that are not one circle scores a circle exactly as the scan's kernel does
    # (Langley, SaTScan's clusters), and as the hand formula; a low-rate zone scores 0; bad counts are refused
    result, _ = langley_run
    ours = result.clusters
    llr = zone_llr(ours["cases"].to_numpy(), ours["firms"].to_numpy(), result.total_cases, result.total_firms)
    assert llr == pytest.approx(ours["llr"].to_numpy(), rel=1e-12)
    assert llr[0] == pytest.approx(98.280425, rel=LLR_TOLERANCE)
    assert float(zone_llr(3, 4, 4, 20)) == pytest.approx(bernoulli_llr(3, 4, 4, 20), rel=1e-12)
    assert float(zone_llr(1, 10, 4, 20)) == 0.0
    with pytest.raises(InputError, match="zones must hold"):
        zone_llr(5, 4, 4, 20)


def test_llr_of_a_pure_window_by_hand() -> None:
    firms, case = line(10, [0, 1, 2])
    result = bernoulli_scan(firms, case, coordinates="xy", permutations=19, rng=0, scheduler="serial")
    top = result.most_likely
    assert (top["cases"], top["firms"]) == (3, 3)
    assert top["llr"] == pytest.approx(bernoulli_llr(3, 3, 3, 10), rel=1e-12)
    assert top["llr"] == pytest.approx(-(3 * math.log(0.3) + 7 * math.log(0.7)), rel=1e-12)
    assert top["expected"] == pytest.approx(0.9)
    assert math.isinf(top["relative_risk"])  # no case left outside
    assert set(result.firms_in(1)) == {0, 1, 2}


def test_llr_of_a_mixed_window_by_hand() -> None:
    # 20 firms on a line, cases at 0, 1, 3 and 12. On a line every interval of up to 10 sites is a circular
    # window of some centre (even lengths take the left neighbour first), so the best is the best interval.
    firms, case = line(20, [0, 1, 3, 12])
    result = bernoulli_scan(firms, case, coordinates="xy", permutations=19, rng=0, scheduler="serial")
    top = result.most_likely
    scores = {}
    for lo in range(20):
        for hi in range(lo, min(20, lo + 10)):
            c, n = int(case[lo:hi + 1].sum()), hi - lo + 1
            if c >= 2 and c / n > (4 - c) / (20 - n):
                scores[(lo, hi)] = bernoulli_llr(c, n, 4, 20)
    best = max(scores, key=scores.__getitem__)
    assert best == (0, 3)  # 3 cases among 4 firms: LLR 4.018 beats {0, 1} (2 of 2: 3.73)
    assert top["llr"] == pytest.approx(scores[best], rel=1e-12)
    assert (top["cases"], top["firms"]) == (3, 4)
    assert top["relative_risk"] == pytest.approx((3 / 4) / (1 / 16))


def test_low_rate_and_single_case_windows_score_zero() -> None:
    firms, case = line(14, [0, 6])  # the two cases are 7 sites apart: a window holding both has 7 firms
    result = bernoulli_scan(firms, case, coordinates="xy", min_cases=2, permutations=19, rng=0, scheduler="serial")
    top = result.most_likely
    assert top["cases"] == 2 and top["firms"] == 7
    assert top["llr"] == pytest.approx(bernoulli_llr(2, 7, 2, 14))
    lonely = bernoulli_scan(firms, case, coordinates="xy", min_cases=3, permutations=19, rng=0, scheduler="serial")
    assert lonely.most_likely is None and lonely.clusters.empty


def test_ties_in_distance_take_the_smaller_coordinate_first() -> None:
    # a cross around (0, 0): four sites at distance 1, ordered (-1,0) < (0,-1) < (0,1) < (1,0)
    pts = pd.DataFrame({"x": [0.0, -1.0, 0.0, 0.0, 1.0], "y": [0.0, 0.0, -1.0, 1.0, 0.0]})
    points, coords, _ = site_points(pts, "xy")
    windows = build_windows(points, np.ones(5, dtype=np.int64), 5.0, np.inf)
    centre = int(np.flatnonzero((coords[:, 0] == 0) & (coords[:, 1] == 0))[0])
    order = windows.neighbours[windows.offsets[centre]:windows.offsets[centre + 1]]
    assert [tuple(coords[i]) for i in order] == [(0, 0), (-1, 0), (0, -1), (0, 1), (1, 0)]


def test_population_limit_stops_at_the_first_site_that_would_exceed_it() -> None:
    firms, _ = line(10, [0])
    points, _, site = site_points(firms, "xy")
    windows = build_windows(points, np.bincount(site), 5.0, np.inf)
    assert (np.diff(windows.offsets) == 5).all()  # 0.5 x 10 firms: windows of at most 5 sites
    radius = build_windows(points, np.bincount(site), 5.0, 1.0)
    assert np.diff(radius.offsets).tolist() == [2] + [3] * 8 + [2]


def test_identical_coordinates_are_one_site() -> None:
    firms = pd.DataFrame({"x": [0.0, 0.0, 0.0, 5.0, 6.0, 7.0, 8.0, 9.0], "y": 0.0})
    case = np.array([True, True, False, False, False, False, False, True])
    result = bernoulli_scan(firms, case, coordinates="xy", permutations=19, rng=0, scheduler="serial")
    assert len(result.locations) == 6
    assert result.locations.loc[0, "firms"] == 3 and result.locations.loc[0, "cases"] == 2
    assert result.firm_location.tolist()[:3] == [0, 0, 0]
    assert (result.most_likely["cases"], result.most_likely["firms"]) == (2, 3)


def test_latlon_radius_is_in_km() -> None:
    lat = np.array([50.0, 50.01, 50.02, 51.0, 51.5, 52.0, 52.5, 53.0])
    firms = pd.DataFrame({"lat": lat, "lon": np.zeros(lat.size)})
    case = np.array([True, True, True, False, False, False, False, False])
    result = bernoulli_scan(firms, case, permutations=19, rng=0, scheduler="serial")
    top = result.most_likely
    assert top["firms"] == 3
    assert top["radius"] == pytest.approx(0.02 * math.pi / 180 * 6371.0088, rel=1e-6)


# ---------------------------------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(7)
    firms = pd.DataFrame({"x": rng.random(600) * 10, "y": rng.random(600) * 10})
    near = np.hypot(firms["x"] - 3, firms["y"] - 7) < 1.5
    case = rng.random(600) < np.where(near, 0.5, 0.08)
    return firms, case


def test_same_seed_same_result_on_any_scheduler(synthetic) -> None:
    firms, case = synthetic
    serial = bernoulli_scan(firms, case, coordinates="xy", permutations=250, rng=11, scheduler="serial")
    threads = bernoulli_scan(firms, case, coordinates="xy", permutations=250, rng=11, scheduler="threads", n_jobs=2)
    assert serial.seed == threads.seed == 11
    np.testing.assert_array_equal(serial.simulated_llr, threads.simulated_llr)
    pd.testing.assert_frame_equal(serial.clusters, threads.clusters)
    other = bernoulli_scan(firms, case, coordinates="xy", permutations=250, rng=12, scheduler="serial")
    assert not np.array_equal(serial.simulated_llr, other.simulated_llr)


@pytest.fixture(scope="module")
def two_activities(synthetic) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The synthetic firms with a second, unclustered activity beside the clustered one."""
    firms, case = synthetic
    scattered = np.random.default_rng(8).random(len(firms)) < 0.1
    return firms, {"near": case, "scattered": scattered}


def test_row_order_changes_no_p_value(two_activities) -> None:
    firms, activities = two_activities
    order = np.random.default_rng(1).permutation(len(firms))
    shuffled = firms.iloc[order]
    options = dict(coordinates="xy", permutations=99, rng=11, scheduler="serial")
    alone = bernoulli_scan(firms, activities["near"], **options)
    alone_shuffled = bernoulli_scan(shuffled, activities["near"][order], **options)
    each = bernoulli_scan_each(firms, activities, **options)
    each_shuffled = bernoulli_scan_each(shuffled, {k: v[order] for k, v in activities.items()}, **options)
    for result, again in [(alone, alone_shuffled), *((each[k], each_shuffled[k]) for k in activities)]:
        np.testing.assert_array_equal(np.sort(result.simulated_llr), np.sort(again.simulated_llr))
        assert result.clusters["p_value"].tolist() == again.clusters["p_value"].tolist()
        pd.testing.assert_frame_equal(result.clusters, again.clusters)


def test_an_added_activity_changes_no_other_activity(two_activities) -> None:
    firms, activities = two_activities
    options = dict(coordinates="xy", permutations=49, rng=11, scheduler="serial")
    before = bernoulli_scan_each(firms, activities, **options)
    unrelated = np.random.default_rng(9).random(len(firms)) < 0.2
    after = bernoulli_scan_each(firms, {"unrelated": unrelated, **activities}, **options)
    for label in activities:
        np.testing.assert_array_equal(before[label].simulated_llr, after[label].simulated_llr)
        assert before[label].clusters["p_value"].tolist() == after[label].clusters["p_value"].tolist()
        assert (before[label].seed, before[label].seed_spawn_key) == (after[label].seed, after[label].seed_spawn_key)


def test_spawned_seeds_give_different_replicates(two_activities) -> None:
    firms, activities = two_activities
    first, second = np.random.SeedSequence(5).spawn(2)
    options = dict(coordinates="xy", permutations=49, scheduler="serial")
    one = bernoulli_scan_each(firms, activities, rng=first, **options)
    two = bernoulli_scan_each(firms, activities, rng=second, **options)
    for label in activities:
        assert not np.array_equal(one[label].simulated_llr, two[label].simulated_llr)
    alone = [bernoulli_scan(firms, activities["near"], rng=rng, **options) for rng in (first, second)]
    assert [r.seed_spawn_key for r in alone] == [(0,), (1,)]
    assert not np.array_equal(alone[0].simulated_llr, alone[1].simulated_llr)


def test_stored_seed_repeats_the_run(two_activities) -> None:
    firms, activities = two_activities
    options = dict(coordinates="xy", permutations=49, scheduler="serial")
    for rng in (None, np.random.SeedSequence(5).spawn(2)[1]):
        result = bernoulli_scan(firms, activities["near"], rng=rng, **options)
        again = bernoulli_scan(firms, activities["near"],
                               rng=np.random.SeedSequence(result.seed, spawn_key=result.seed_spawn_key), **options)
        np.testing.assert_array_equal(result.simulated_llr, again.simulated_llr)
        pd.testing.assert_frame_equal(result.clusters, again.clusters)
    # an activity of a joint scan is repeated by scanning it alone with its stored seed
    each = bernoulli_scan_each(firms, activities, rng=np.random.SeedSequence(5).spawn(2)[1], **options)
    for label, result in each.items():
        assert result.seed == 5 and len(result.seed_spawn_key) == 2 and result.seed_spawn_key[0] == 1
        alone = bernoulli_scan(firms, activities[label],
                               rng=np.random.SeedSequence(result.seed, spawn_key=result.seed_spawn_key), **options)
        np.testing.assert_array_equal(result.simulated_llr, alone.simulated_llr)


def test_clusters_are_disjoint_and_counts_add_up(synthetic) -> None:
    firms, case = synthetic
    result = bernoulli_scan(firms, case, coordinates="xy", permutations=99, rng=3, max_clusters=8,
                            scheduler="serial")
    clusters = result.clusters
    assert ((clusters["p_value"] > 0) & (clusters["p_value"] <= 1)).all()
    assert (clusters["p_value"].iloc[1:] < 1).all()  # secondary clusters stop at p = 1, as in SaTScan
    assert clusters["llr"].is_monotonic_decreasing
    membership = result.membership
    for row in clusters.itertuples(index=False):
        inside = result.firms_in(row.cluster)
        assert len(inside) == row.firms
        assert int(case[inside].sum()) == row.cases
        assert (membership.loc[inside] == row.cluster).all()
    assert membership.notna().sum() == clusters["firms"].sum()  # no firm in two clusters
    assert result.locations["firms"].sum() == len(firms) and result.locations["cases"].sum() == case.sum()
    top = result.most_likely
    assert np.hypot(top["x"] - 3, top["y"] - 7) < 1.5 and top["p_value"] <= 0.05
    assert len(result.simulated_llr) == 99 and (result.simulated_llr >= 0).all()


def test_max_radius_bounds_every_cluster(synthetic) -> None:
    firms, case = synthetic
    result = bernoulli_scan(firms, case, coordinates="xy", max_radius=0.8, permutations=19, rng=3,
                            scheduler="serial")
    assert (result.clusters["radius"] <= 0.8).all()


def test_bad_options_are_refused(synthetic) -> None:
    firms, case = synthetic
    for kwargs in ({"max_population": 0.6}, {"max_population": 0}, {"max_radius": -1.0}, {"min_cases": 0},
                   {"max_clusters": 0}, {"permutations": 0}, {"coordinates": "utm"}):
        with pytest.raises(OptionError):
            bernoulli_scan(firms, case, **{"coordinates": "xy", **kwargs})
    with pytest.raises(OptionError, match="some but not all"):
        bernoulli_scan(firms, np.ones(len(firms), dtype=bool), coordinates="xy")
    with pytest.raises(OptionError, match="one value per firm"):
        bernoulli_scan(firms, case[:10], coordinates="xy")
    with pytest.raises(OptionError, match="aligned"):
        bernoulli_scan(firms, pd.Series(case, index=firms.index + 1), coordinates="xy")
    with pytest.raises(InputError, match="lat"):
        bernoulli_scan(firms, case)  # no lat/lon columns
    broken = firms.assign(x=firms["x"].where(firms.index != 5))
    with pytest.raises(InputError, match="missing"):
        bernoulli_scan(broken, case, coordinates="xy")


# ---------------------------------------------------------------------------------------------------------------
# real data and the command
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def langley_workspace(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    workspace = tmp_path_factory.mktemp("langley") / "langley.duckdb"
    code = run(["ingest", str(shared_data / "langley_bc" / "Business_Licenses.csv"), "--format", "langley-licences",
                "--workspace", str(workspace)])
    assert code == 0
    return workspace


def test_scan_space_command_writes_outputs(langley_workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "scan"
    code = run(["scan-space", "-w", str(langley_workspace), "--code", "31-33", "--permutations", "99",
                "--seed", "5", "-j", "2", "--out", str(out)])
    assert code == 0
    clusters = pd.read_csv(out / "scan_clusters.csv")
    top = clusters.iloc[0]
    # the Gloucester industrial estate, as in SaTScan's run on the licences (84 of 238 firms here)
    assert top["cases"] >= 80 and top["relative_risk"] > 6 and top["p_value"] == pytest.approx(0.01)
    assert top["lat"] == pytest.approx(49.099, abs=0.01) and top["lon"] == pytest.approx(-122.47, abs=0.01)
    members = pd.read_csv(out / "scan_firms.csv")
    assert len(members) == clusters["firms"].sum()
    assert members.loc[members["cluster"] == 1, "case"].sum() == top["cases"]
    page = (out / "scan.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "http" not in page.replace(
        "http://www.w3.org/2000/svg", "")


def test_scan_space_by_sector(langley_workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "by"
    code = run(["scan-space", "-w", str(langley_workspace), "--by", "sector", "--min-firms", "340",
                "--max-population", "0.1", "--permutations", "19", "--seed", "5", "--out", str(out)])
    assert code == 0
    summary = pd.read_csv(out / "scan_summary.csv")
    assert set(summary["activity"].str.split(" ").str[0]) == {"23", "62", "54", "81", "44-45", "72", "31-33"}
    assert summary["llr"].is_monotonic_decreasing


def test_scan_space_usage_errors(langley_workspace: Path, tmp_path: Path) -> None:
    base = ["scan-space", "-w", str(langley_workspace), "--out", str(tmp_path / "x")]
    assert run(base) == 2  # neither --code nor --by
    assert run([*base, "--code", "31-33", "--by", "sector"]) == 2
    assert run([*base, "--code", "31-33", "--max-population", "0.7"]) == 2
    assert run(["scan-space", "-w", str(tmp_path / "absent.duckdb"), "--code", "31-33"]) == 1


# ---------------------------------------------------------------------------------------------------------------
# the replicate kernels: numpy's draws, the sparse and the full walk agree
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("total", "cases"), [(60_000, 5_000), (12_345, 6_000), (60_000, 1_200), (60_000, 1_201),
                                              (9_999, 3_000), (2_000, 1_999), (500, 1)])
def test_replicate_draws_are_numpys_choice(total: int, cases: int) -> None:
    """The kernels count per site exactly the sample ``Generator.choice(total, cases, replace=False)`` draws (the
    tail shuffle above 1/50 of more than 10,000, else Floyd's algorithm) and leave the generator where numpy
    leaves it, so replicates and p-values are the same as with numpy's draws."""
    from clusterwatch.analysis.space._bernoulli_kernels import floyd_counts, floyd_set_size, tail_shuffle_counts

    site_firms = np.sort(np.random.default_rng(total).integers(0, 300, total)).astype(np.uint16)
    ours, theirs = np.random.default_rng(cases), np.random.default_rng(cases)
    counts = np.empty(300, dtype=np.int64)
    work, touched = site_firms.copy(), np.empty(cases, dtype=np.int64)
    hash_set = np.empty(floyd_set_size(cases), dtype=np.uint64)
    state = ours.bit_generator.ctypes.state_address
    for _ in range(3):
        expected = np.bincount(site_firms[theirs.choice(total, size=cases, replace=False)], minlength=300)
        if total > 10_000 and cases > total // 50:
            tail_shuffle_counts(state, total, cases, site_firms, work, touched, counts)
            np.testing.assert_array_equal(work, site_firms)  # restored for the next replicate
        else:
            floyd_counts(state, total, cases, site_firms, hash_set, counts)
        np.testing.assert_array_equal(counts, expected)
    assert ours.integers(1 << 62) == theirs.integers(1 << 62)


def test_sparse_replicates_score_as_the_full_walk(satscan: dict[str, pd.DataFrame]) -> None:
    """Replicates with few case sites are scored from their window entries alone: the same maxima as walking every
    window list, on SaTScan's Langley sites, from a handful of cases (sparse) to many (the full walk)."""
    from clusterwatch.analysis.space._bernoulli_kernels import dense_maxima, inverse, replicate_maxima, xlogx_table

    loc = satscan["locations"]
    population = (loc["cases"] + loc["controls"]).to_numpy().astype(np.int64)
    firms = pd.DataFrame({"x": np.repeat(loc["x"].to_numpy(float), population),
                          "y": np.repeat(loc["y"].to_numpy(float), population)})
    points, _, firm_site = site_points(firms, "xy")
    population = np.bincount(firm_site)
    lists = build_windows(points, population, 0.5 * len(firms), np.inf)
    index = inverse(lists, population)
    total, table, rng = len(firms), xlogx_table(len(firms)), np.random.default_rng(4)
    sparse_seen = dense_seen = False
    for cases in (2, 5, 20, 200, 2000):
        site_cases = np.stack([np.bincount(firm_site[rng.choice(total, cases, replace=False)],
                                           minlength=population.size) for _ in range(9)]).astype(np.int32)
        null = float(table[cases] + table[total - cases] - table[total])
        args = (population, lists.offsets, lists.neighbours, table, cases, total, 2, null)
        full = dense_maxima(site_cases, *args)
        mixed = replicate_maxima(site_cases, *args, index.offsets, index.entries, index.centre, index.firms)
        np.testing.assert_array_equal(mixed, full)
        reach = np.array([np.diff(index.offsets)[row > 0].sum() for row in site_cases])
        sparse_seen |= bool((reach * 64 <= lists.neighbours.size).any())
        dense_seen |= bool((reach * 64 > lists.neighbours.size).any())
    assert sparse_seen and dense_seen  # both paths were compared
