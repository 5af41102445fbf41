"""Duranton–Overman Kd: R dbmss reproduced exactly, the fast estimate within tolerance, hand cases, the CLI."""

from __future__ import annotations

import doctest
import importlib
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clusterwatch import InputError, OptionError
from clusterwatch.analysis.space.kd import KdResult, global_envelope, kd
from clusterwatch.cli import run

REFERENCE = Path(__file__).resolve().parents[3].parent / "shared" / "reference" / "dbmss_kd"
INDUSTRIES = ("manuf_31_33", "restaurants_7225")
#: dbmss's own arithmetic (method="dbmss"): agreement to rounding, relative to the curve's maximum.
EXACT_TOLERANCE = 1e-9
#: The issue's criterion for the default (binned) estimate: within 1 % of the curve's maximum at every distance.
ISSUE_TOLERANCE = 0.01
#: What the binned estimate achieves against dbmss on Langley (R 4.2's density() sits ~0.1 % high).
BINNED_TOLERANCE = 0.002


# ---------------------------------------------------------------------------------------------------------------
# R dbmss 2.11 on Township of Langley licences (../shared/reference/dbmss_kd)
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dbmss() -> dict[str, object]:
    if not REFERENCE.is_dir():
        pytest.skip(f"dbmss reference folder {REFERENCE} not present")
    points = pd.read_csv(REFERENCE / "langley_points_epsg32610.csv", dtype={"naics6": str})
    perms = pd.read_csv(REFERENCE / "permutations_seed20240601_100x5635_1based.csv").to_numpy() - 1
    out: dict[str, object] = {"points": points}
    for industry in INDUSTRIES:
        cases = points[industry].to_numpy() == 1
        rows = np.flatnonzero(cases)
        # dbmss simulation k (1..99) relabels the points with permutation k + 1: site i takes the mark of point
        # perm[i], so case c lands on the site i with perm[i] == c
        draws = []
        for k in range(1, 100):
            inverse = np.empty_like(perms[:, k])
            inverse[perms[:, k]] = np.arange(len(perms))
            draws.append(inverse[rows])
        out[industry] = {
            "cases": cases,
            "draws": np.array(draws),
            "kdhat": pd.read_csv(REFERENCE / f"Kdhat_{industry}.csv"),
            "global": pd.read_csv(REFERENCE / f"KdEnvelope_global99_{industry}.csv"),
            "local": pd.read_csv(REFERENCE / f"KdEnvelope_local99_{industry}.csv"),
            "simfuns": pd.read_csv(REFERENCE / f"KdEnvelope_global99_simfuns_{industry}.csv"),
        }
    return out


def _run(dbmss: dict[str, object], industry: str, method: str) -> KdResult:
    ref = dbmss[industry]
    return kd(dbmss["points"], ref["cases"], xy=("x", "y"), xy_unit="m",  # type: ignore[index,arg-type]
              max_distance_km="third-window", method=method, draws=ref["draws"], alpha=0.05,  # type: ignore[index]
              scheduler="threads", n_jobs=2)


def _per_metre(values: np.ndarray) -> np.ndarray:
    return values / 1000.0  # clusterwatch: per km; dbmss on metre coordinates: per metre


@pytest.mark.parametrize("industry", INDUSTRIES)
def test_dbmss_method_reproduces_kdhat_simulations_and_envelopes(dbmss: dict[str, object], industry: str) -> None:
    ref = dbmss[industry]
    result = _run(dbmss, industry, "dbmss")
    scale = ref["kdhat"]["Kd"].max()  # type: ignore[index]
    np.testing.assert_allclose(result.distance_km * 1000, ref["kdhat"]["r"], rtol=1e-12)  # type: ignore[index]
    np.testing.assert_allclose(_per_metre(result.kd), ref["kdhat"]["Kd"], atol=EXACT_TOLERANCE * scale, rtol=0)
    simulated = ref["simfuns"].drop(columns="r").to_numpy().T  # type: ignore[index]
    np.testing.assert_allclose(_per_metre(result.simulations), simulated, atol=EXACT_TOLERANCE * scale, rtol=0)
    for ours, theirs in ((result.global_lo, "lo"), (result.global_hi, "hi"), (result.simulated_mean, "mmean")):
        np.testing.assert_allclose(_per_metre(ours), ref["global"][theirs],  # type: ignore[index]
                                   atol=EXACT_TOLERANCE * scale, rtol=0)
    np.testing.assert_allclose(_per_metre(result.local_lo), ref["local"]["lo"],  # type: ignore[index]
                               atol=EXACT_TOLERANCE * scale, rtol=0)
    np.testing.assert_allclose(_per_metre(result.local_hi), ref["local"]["hi"],  # type: ignore[index]
                               atol=EXACT_TOLERANCE * scale, rtol=0)
    assert result.bandwidth_km * 1000 == pytest.approx({"manuf_31_33": 556.383526771284,
                                                        "restaurants_7225": 577.149720118854}[industry], rel=1e-12)
    assert result.seed is None and result.permutations == 99


@pytest.mark.parametrize("industry", INDUSTRIES)
def test_default_binned_estimate_matches_dbmss_within_tolerance(dbmss: dict[str, object], industry: str) -> None:
    ref = dbmss[industry]
    result = _run(dbmss, industry, "binned")
    scale = ref["kdhat"]["Kd"].max()  # type: ignore[index]
    worst = {
        "Kd": np.abs(_per_metre(result.kd) - ref["kdhat"]["Kd"]).max(),  # type: ignore[index]
        "simulations": np.abs(_per_metre(result.simulations)
                              - ref["simfuns"].drop(columns="r").to_numpy().T).max(),  # type: ignore[index]
        "global lo": np.abs(_per_metre(result.global_lo) - ref["global"]["lo"]).max(),  # type: ignore[index]
        "global hi": np.abs(_per_metre(result.global_hi) - ref["global"]["hi"]).max(),  # type: ignore[index]
    }
    for name, value in worst.items():
        assert value < BINNED_TOLERANCE * scale < ISSUE_TOLERANCE * scale, name


def test_kdhat_alone_with_dbmss_defaults(dbmss: dict[str, object]) -> None:
    """permutations=0 is dbmss's Kdhat: the curve of the cases, or of every point (15.9 M pairs)."""
    points = dbmss["points"]
    for industry, cases in (("manuf_31_33", dbmss["manuf_31_33"]["cases"]),  # type: ignore[index]
                            ("allpoints", np.ones(len(points), bool))):  # type: ignore[arg-type]
        reference = pd.read_csv(REFERENCE / f"Kdhat_{industry}.csv")
        scale = reference["Kd"].max()
        for method, tolerance in (("dbmss", EXACT_TOLERANCE), ("binned", BINNED_TOLERANCE)):
            result = kd(points, cases, xy=("x", "y"), max_distance_km="third-window", method=method,  # type: ignore
                        permutations=0)
            assert np.abs(_per_metre(result.kd) - reference["Kd"]).max() < tolerance * scale, (industry, method)
            assert np.isnan(result.global_hi).all() and result.simulations.shape == (0, 512)
            assert result.localised == () and np.isnan(result.localisation_index)


def test_localised_distances_as_dbmss_reports(dbmss: dict[str, object]) -> None:
    manufacturing = _run(dbmss, "manuf_31_33", "binned")
    assert len(manufacturing.localised) == 1
    start, stop = manufacturing.localised[0]
    assert start == 0.0 and stop * 1000 == pytest.approx(1580.3, abs=1.0)  # README: [0, 1,580 m]
    restaurants = _run(dbmss, "restaurants_7225", "binned")
    assert restaurants.localised[0][0] == 0.0
    assert restaurants.localised[-1][1] * 1000 == pytest.approx(6026.1, abs=1.0)  # README: up to 6,026 m
    assert manufacturing.localisation_index > 0 and manufacturing.dispersion_index == 0


def test_global_envelope_of_dbmss_simulations(dbmss: dict[str, object]) -> None:
    """dbmss's GlobalEnvelope on dbmss's own simulated curves."""
    for industry in INDUSTRIES:
        ref = dbmss[industry]
        lo, hi = global_envelope(ref["simfuns"].drop(columns="r").to_numpy().T, alpha=0.05)  # type: ignore[index]
        np.testing.assert_allclose(lo, ref["global"]["lo"], rtol=1e-12)  # type: ignore[index]
        np.testing.assert_allclose(hi, ref["global"]["hi"], rtol=1e-12)  # type: ignore[index]


def test_exact_method_is_within_binning_error_of_binned(dbmss: dict[str, object]) -> None:
    points = dbmss["points"]
    cases = dbmss["manuf_31_33"]["cases"]  # type: ignore[index]
    exact = kd(points, cases, xy=("x", "y"), max_distance_km="third-window", method="exact",  # type: ignore[arg-type]
               permutations=99, rng=3, n_jobs=2)
    binned = kd(points, cases, xy=("x", "y"), max_distance_km="third-window",  # type: ignore[arg-type]
                permutations=99, rng=3, n_jobs=2)
    scale = exact.kd.max()
    assert np.abs(binned.kd - exact.kd).max() < 5e-4 * scale
    assert np.abs(binned.simulations - exact.simulations).max() < 5e-4 * scale
    np.testing.assert_allclose(binned.simulated_bandwidth_km, exact.simulated_bandwidth_km, rtol=1e-6)


def test_great_circle_and_local_distances_agree_with_projected(dbmss: dict[str, object]) -> None:
    points = dbmss["points"]
    cases = dbmss["manuf_31_33"]["cases"]  # type: ignore[index]
    common = {"max_distance_km": 8.874, "permutations": 99, "rng": 11}
    projected = kd(points, cases, xy=("x", "y"), **common)  # type: ignore[arg-type]
    for distance in ("great-circle", "local"):
        spherical = kd(points, cases, distance=distance, **common)  # type: ignore[arg-type]
        # UTM scales distances by ~0.9996 here: 0.1-0.3 % of the curve
        assert np.abs(spherical.kd - projected.kd).max() < 0.005 * projected.kd.max()
        assert np.abs(spherical.global_hi - projected.global_hi).max() < 0.005 * projected.kd.max()


# ---------------------------------------------------------------------------------------------------------------
# Hand-built cases
# ---------------------------------------------------------------------------------------------------------------


def _reflected_density(r: np.ndarray, distances: np.ndarray, bandwidth: float) -> np.ndarray:
    """Silverman's reflected Gaussian density, written out."""
    z = lambda v: np.exp(-0.5 * (v / bandwidth) ** 2) / (bandwidth * math.sqrt(2 * math.pi))  # noqa: E731
    return sum(z(r - d) + z(r + d) for d in distances) / distances.size


def _triangle() -> tuple[pd.DataFrame, np.ndarray]:
    """Three cases at the corners of a 3-4-5 triangle (km) among 60 other sites on a line far away."""
    x = np.concatenate([[0.0, 3.0, 0.0], np.linspace(20, 80, 60)])
    y = np.concatenate([[0.0, 0.0, 4.0], np.full(60, 30.0)])
    cases = np.arange(63) < 3
    return pd.DataFrame({"x": x, "y": y}), cases


@pytest.mark.parametrize("method", ["binned", "exact", "dbmss"])
def test_three_cases_by_hand(method: str) -> None:
    firms, cases = _triangle()
    result = kd(firms, cases, xy=("x", "y"), xy_unit="km", max_distance_km=10.0, n_points=101, permutations=99,
                rng=1, method=method, scheduler="serial")
    # bw.nrd0 of 3, 4, 5: 0.9 * min(sd = 1, IQR / 1.34 = 1 / 1.34) * 3 ** -0.2
    bandwidth = 0.9 * (1 / 1.34) * 3 ** -0.2
    assert result.bandwidth_km == pytest.approx(bandwidth, rel=1e-12 if method != "binned" else 1e-3)
    expected = _reflected_density(result.distance_km, np.array([3.0, 4.0, 5.0]), bandwidth)
    # exact: the kernel is cut at 6 bandwidths; dbmss: R 4.2 density() (binned FFT, a slightly stretched kernel)
    tolerance = {"exact": 1e-7, "binned": 1e-4, "dbmss": 5e-3}[method]
    assert np.abs(result.kd - expected).max() < tolerance * expected.max()
    assert result.distance_km[1] == pytest.approx(0.1) and result.n_pairs == 3


def test_density_integrates_to_one() -> None:
    rng = np.random.default_rng(2)
    firms = pd.DataFrame({"x": rng.uniform(0, 10, 300), "y": rng.uniform(0, 10, 300)})
    result = kd(firms, np.arange(300) < 50, xy=("x", "y"), xy_unit="km", max_distance_km=25.0, permutations=99,
                rng=2)
    assert np.trapezoid(result.kd, result.distance_km) == pytest.approx(1.0, abs=1e-4)
    assert np.trapezoid(result.simulations, result.distance_km, axis=1) == pytest.approx(1.0, abs=1e-4)


def _clustered(n_sites: int = 600, n_cases: int = 40, seed: int = 4) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 40, (n_sites, 2))
    xy[:n_cases] = rng.normal(20, 1.0, (n_cases, 2))
    return pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "employees": rng.integers(1, 50, n_sites)}), (
        np.arange(n_sites) < n_cases)


def test_a_tight_group_is_localised_and_a_spread_one_dispersed() -> None:
    firms, cases = _clustered()
    tight = kd(firms, cases, xy=("x", "y"), xy_unit="km", permutations=199, rng=5)
    assert tight.is_localised and not tight.is_dispersed
    assert tight.localised[0][0] == 0.0 and tight.localisation_index > 0.1 and tight.dispersion_index == 0.0
    # cases on a regular lattice over the whole area: farther apart than random draws at short distances
    gx, gy = np.meshgrid(np.linspace(2, 38, 6), np.linspace(2, 38, 6))
    lattice = firms.copy()
    lattice.loc[:35, ["x", "y"]] = np.column_stack([gx.ravel(), gy.ravel()])
    spread = kd(lattice, np.arange(len(lattice)) < 36, xy=("x", "y"), xy_unit="km", permutations=199, rng=5)
    assert not spread.is_localised and spread.is_dispersed
    assert spread.localisation_index == 0.0 and spread.dispersion_index > 0.0
    assert spread.dispersed[0][0] < 2.0


def test_envelopes_are_ordered_and_frame_is_tidy() -> None:
    firms, cases = _clustered()
    result = kd(firms, cases, xy=("x", "y"), xy_unit="km", permutations=199, rng=6)
    frame = result.to_frame()
    assert list(frame.columns) == ["distance_km", "kd", "mean", "local_lo", "local_hi", "global_lo", "global_hi",
                                   "localised", "dispersed"]
    assert len(frame) == 512 == result.simulations.shape[1] and result.simulations.shape[0] == 199
    assert (frame["local_lo"] <= frame["mean"]).all() and (frame["mean"] <= frame["local_hi"]).all()
    # the global band is wider than the pointwise one nearly everywhere (not a theorem: dbmss's algorithm drops
    # whole curves, so at a few distances it can end up inside the pointwise quantiles)
    contains = (frame["global_lo"] <= frame["local_lo"]) & (frame["local_hi"] <= frame["global_hi"])
    assert contains.mean() > 0.9
    assert (frame["global_hi"] - frame["global_lo"]).mean() > (frame["local_hi"] - frame["local_lo"]).mean()
    assert frame["localised"].sum() > 0 and not (frame["localised"] & frame["dispersed"]).any()
    assert result.max_distance_rule == "median" and result.seed == 6


def test_global_envelope_by_hand() -> None:
    sims = np.array([[0.0, 5.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [9.0, 4.0]])
    # round 1 drops sims 0 (min at 0, max at 1), 1 (min at 1) and 4 (max at 0): 2 left of target 4
    lo, hi = global_envelope(sims, alpha=0.2)
    # band of sims 2, 3 moved towards the previous band by (target - kept) / total = 2 / 5
    assert lo.tolist() == pytest.approx([2 + (0 - 2) * 0.4, 2 + (1 - 2) * 0.4])
    assert hi.tolist() == pytest.approx([3 + (9 - 3) * 0.4, 3 + (5 - 3) * 0.4])
    with pytest.raises(OptionError):
        global_envelope(sims[:3], alpha=0.05)


def test_employment_weights() -> None:
    firms, cases = _clustered()
    unweighted = kd(firms, cases, xy=("x", "y"), xy_unit="km", permutations=99, rng=7)
    equal = kd(firms.assign(employees=4.0), cases, weights="employees", xy=("x", "y"), xy_unit="km",
               permutations=99, rng=7)
    np.testing.assert_allclose(equal.kd, unweighted.kd, rtol=1e-12)
    np.testing.assert_allclose(equal.simulations, unweighted.simulations, rtol=1e-12)
    # one big firm far from the others: the weighted curve moves mass to its (long) distances
    heavy = firms.copy()
    heavy.loc[0, ["x", "y", "employees"]] = [35.0, 35.0, 10_000]
    light = kd(heavy, cases, xy=("x", "y"), xy_unit="km", permutations=99, rng=7)
    weighted = kd(heavy, cases, weights="employees", xy=("x", "y"), xy_unit="km", permutations=99, rng=7)
    assert weighted.weighted and not light.weighted
    assert weighted.kd[0] < 0.5 * light.kd[0]
    exact = kd(heavy, cases, weights="employees", xy=("x", "y"), xy_unit="km", permutations=99, rng=7,
               method="exact")
    assert np.abs(weighted.kd - exact.kd).max() < 1e-3 * exact.kd.max()
    missing = heavy.astype({"employees": float})
    missing.loc[3, "employees"] = np.nan
    with pytest.raises(InputError, match="1 of 40 case firms"):
        kd(missing, cases, weights="employees", xy=("x", "y"), xy_unit="km")


@pytest.mark.parametrize("scheduler", ["serial", "threads", "processes"])
def test_same_seed_same_result_on_any_scheduler(scheduler: str) -> None:
    firms, cases = _clustered(seed=8)
    reference = kd(firms, cases, xy=("x", "y"), xy_unit="km", permutations=250, rng=9, scheduler="serial")
    again = kd(firms, cases, xy=("x", "y"), xy_unit="km", permutations=250, rng=9, scheduler=scheduler, n_jobs=2)
    np.testing.assert_array_equal(again.simulations, reference.simulations)
    np.testing.assert_array_equal(again.global_hi, reference.global_hi)
    other = kd(firms, cases, xy=("x", "y"), xy_unit="km", permutations=250, rng=10, scheduler=scheduler, n_jobs=2)
    assert not np.array_equal(other.simulations, reference.simulations)


def test_median_distance_rule_and_given_distance() -> None:
    rng = np.random.default_rng(12)
    firms = pd.DataFrame({"x": rng.uniform(0, 30, 500), "y": rng.uniform(0, 10, 500)})
    result = kd(firms, np.arange(500) < 30, xy=("x", "y"), xy_unit="km", permutations=99, rng=1)
    from scipy.spatial.distance import pdist

    median = float(np.median(pdist(firms.to_numpy())))
    assert result.max_distance_km == pytest.approx(median, rel=1e-4)
    third = kd(firms, np.arange(500) < 30, xy=("x", "y"), xy_unit="km", permutations=99, rng=1,
               max_distance_km="third-window")
    extent = firms.max() - firms.min()
    assert third.max_distance_km == pytest.approx(math.hypot(*extent) / 3, rel=1e-9)
    given = kd(firms, np.arange(500) < 30, xy=("x", "y"), xy_unit="km", permutations=99, rng=1,
               max_distance_km=5, n_points=64)
    assert given.distance_km[-1] == 5.0 and given.distance_km.size == 64 and given.max_distance_rule == "given"


def test_great_circle_kernel_on_a_continent() -> None:
    """Distances beyond 1/2 of the chord (>3,800 km) use the range-reduced asin: binned agrees with exact."""
    rng = np.random.default_rng(13)
    firms = pd.DataFrame({"lat": rng.uniform(25, 60, 400), "lon": rng.uniform(-160, -60, 400)})
    cases = np.arange(400) < 60
    binned = kd(firms, cases, max_distance_km=6000.0, permutations=99, rng=2)
    exact = kd(firms, cases, max_distance_km=6000.0, permutations=99, rng=2, method="exact")
    assert np.abs(binned.kd - exact.kd).max() < 2e-3 * exact.kd.max()
    assert binned.bandwidth_km == pytest.approx(exact.bandwidth_km, rel=1e-3)


# ---------------------------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------------------------


def test_bad_options_and_input_are_refused() -> None:
    firms, cases = _clustered(n_sites=100, n_cases=10)
    xy = {"xy": ("x", "y"), "xy_unit": "km"}
    for options in ({"method": "fft"}, {"alpha": 1.5}, {"permutations": -1}, {"permutations": 9},
                    {"max_distance_km": "mean"}, {"max_distance_km": -3.0}, {"n_points": 3},
                    {"xy_unit": "miles"}, {"draws": np.zeros((5, 3), int)}):
        with pytest.raises(OptionError):
            kd(firms, cases, **{**xy, **options})  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="distance must be one of"):
        kd(firms.rename(columns={"x": "lon", "y": "lat"}), cases, distance="manhattan")
    with pytest.raises(InputError, match="at least 3"):
        kd(firms, np.arange(100) < 2, **xy)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="every firm"):
        kd(firms, np.ones(100, bool), **xy)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="one flag per firm"):
        kd(firms, cases[:50], **xy)  # type: ignore[arg-type]
    holes = firms.astype({"x": float})
    holes.loc[5, "x"] = np.nan
    with pytest.raises(InputError, match="1 of 100 firms"):
        kd(holes, cases, **xy)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="no column"):
        kd(firms, cases)


def test_docstring_examples() -> None:
    for name in ("clusterwatch.analysis.space.kd", "clusterwatch.report.kd"):
        module = importlib.import_module(name)
        assert doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0


# ---------------------------------------------------------------------------------------------------------------
# The command, on the real Langley register
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def langley_workspace(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    workspace = tmp_path_factory.mktemp("langley_kd") / "langley.duckdb"
    assert run(["ingest", str(shared_data / "langley_bc" / "Business_Licenses.csv"), "--format",
                "langley-licences", "--workspace", str(workspace)]) == 0
    return workspace


def test_localise_command_writes_curve_and_page(langley_workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "kd"
    assert run(["localise", "-w", str(langley_workspace), "--code", "31-33", "--code-system", "naics",
                "--permutations", "199", "--seed", "3", "--out", str(out)]) == 0
    curve = pd.read_csv(out / "kd.csv")
    assert {"distance_km", "kd", "local_lo", "local_hi", "global_lo", "global_hi"} <= set(curve.columns)
    assert len(curve) == 512 and curve["activity"].nunique() == 1
    localised = curve.loc[curve["localised"], "distance_km"]
    assert localised.min() == 0.0 and 1.2 < localised.max() < 1.8  # manufacturing: the first 1.5 km, as above
    summary = pd.read_csv(out / "kd_summary.csv")
    assert summary.loc[0, "firms"] == 347 and summary.loc[0, "seed"] == 3
    page = (out / "kd.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "<polyline" in page
    assert "http" not in page.replace("http://www.w3.org/2000/svg", "")


def test_localise_by_sector_and_cluster(langley_workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "by"
    assert run(["localise", "-w", str(langley_workspace), "--by", "sector", "--min-firms", "300",
                "--permutations", "99", "--seed", "3", "--distance", "local", "--out", str(out)]) == 0
    summary = pd.read_csv(out / "kd_summary.csv")
    assert set(summary["activity"].str.split(" ").str[0]) == {"23", "62", "54", "81", "44-45", "72", "31-33", "56",
                                                             "41"}
    assert len(pd.read_csv(out / "kd.csv")) == 512 * len(summary)
    cluster = tmp_path / "cluster"
    assert run(["localise", "-w", str(langley_workspace), "--cluster", "construction products and services",
                "--permutations", "99", "--seed", "3", "--weighted", "--out", str(cluster)]) == 0
    row = pd.read_csv(cluster / "kd_summary.csv").iloc[0]
    assert row["activity"].startswith("cluster") and bool(row["weighted"])


def test_localise_usage_errors(langley_workspace: Path, tmp_path: Path) -> None:
    base = ["localise", "-w", str(langley_workspace), "--out", str(tmp_path / "x")]
    assert run(base) == 2  # no activity
    assert run([*base, "--code", "31-33", "--by", "sector"]) == 2
    assert run([*base, "--code", "9999"]) == 2  # no such firms
    assert run([*base, "--code", "31-33", "--max-distance-km", "far"]) == 2
    assert run([*base, "--cluster", "no such cluster"]) == 2
    assert run(["localise", "-w", str(tmp_path / "absent.duckdb"), "--code", "31"]) == 1
