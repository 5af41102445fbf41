"""Gi* hot spots: Ord & Getis z-scores by hand and as esda gives them, both nulls, H3 cells, CLI."""

from __future__ import annotations

import doctest
import importlib
import math
from pathlib import Path

import h3
import numpy as np
import pandas as pd
import pytest

from clusterwatch import InputError, OptionError
from clusterwatch.analysis.space import hotspots, hotspots_on_graph
from clusterwatch.cli import run
from clusterwatch.stats import benjamini_hochberg

Z_TOLERANCE = 1e-8
#: esda 2.x docstring: G_Local(y, DistanceBand(points, threshold=15), transform="B", star=True).Zs
ESDA_POINTS = [(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)]
ESDA_Y = [2, 3, 3.2, 5, 8, 7]
ESDA_ZS = [-1.39727626, -0.28917762, 0.65064964, -0.28917762, 1.23452088, 2.02424331]


def path_neighbours(n: int) -> list[list[int]]:
    return [[j for j in (i - 1, i + 1) if 0 <= j < n] for i in range(n)]


def test_z_scores_match_esda_g_local_star() -> None:
    pts = np.array(ESDA_POINTS, dtype=float)
    distance = np.hypot(pts[:, None, 0] - pts[None, :, 0], pts[:, None, 1] - pts[None, :, 1])
    neighbours = [[j for j in range(6) if j != i and distance[i, j] <= 15] for i in range(6)]
    result = hotspots_on_graph(ESDA_Y, neighbours, permutations=99, rng=0, scheduler="serial")
    np.testing.assert_allclose(result.cells["z"], ESDA_ZS, atol=Z_TOLERANCE)
    np.testing.assert_allclose(result.cells["gi_star"], result.cells["local_sum"] / sum(ESDA_Y))


def test_z_score_by_hand() -> None:
    values = np.array([0, 0, 1, 9, 8, 9, 1, 0, 0], dtype=float)
    result = hotspots_on_graph(values, path_neighbours(9), permutations=19, rng=0, scheduler="serial")
    n, mean = 9, values.mean()
    s = math.sqrt((values**2).mean() - mean**2)
    for i, (local, w) in enumerate(((0 + 0, 2), (0 + 0 + 1, 3), (9 + 8 + 9, 3))):
        unit = (0, 1, 4)[i]
        z = (local - mean * w) / (s * math.sqrt((n * w - w * w) / (n - 1)))
        assert result.cells.loc[unit, "local_sum"] == local
        assert result.cells.loc[unit, "neighbours"] == w
        assert result.cells.loc[unit, "z"] == pytest.approx(z, abs=Z_TOLERANCE)


def test_conditional_permutation_p_is_the_exact_probability() -> None:
    # unit 4 keeps its 8 and draws 2 of the other 8 values {0,0,1,9,9,1,0,0}: local sum >= 26 only when both
    # 9s are drawn, probability 1 / C(8, 2) = 1/28
    values = [0, 0, 1, 9, 8, 9, 1, 0, 0]
    result = hotspots_on_graph(values, path_neighbours(9), null="conditional", permutations=9999,
                               alternative="greater", rng=4, n_jobs=2)
    exact = 1 / 28
    p = result.cells.loc[4, "p_sim"]
    assert abs(p - exact) < 4 * math.sqrt(exact * (1 - exact) / 9999)
    # unit 0 (value 0, one neighbour) draws one of {0,1,9,8,9,1,0,0}: local sum <= 0 with probability 3/8
    low = hotspots_on_graph(values, path_neighbours(9), null="conditional", permutations=9999, alternative="less",
                            rng=4, n_jobs=2)
    assert abs(low.cells.loc[0, "p_sim"] - 3 / 8) < 4 * math.sqrt(3 / 8 * 5 / 8 / 9999)


def test_default_null_is_total_randomisation() -> None:
    """The package's one Gi* null: unit 4's neighbourhood of 3 is a random 3-subset of all nine values."""
    result = hotspots_on_graph([0, 0, 1, 9, 8, 9, 1, 0, 0], path_neighbours(9), permutations=9999,
                               alternative="greater", rng=4, scheduler="serial")
    assert result.null == "total"
    assert abs(result.cells.loc[4, "p_sim"] - 1 / 84) < 4 * math.sqrt(1 / 84 * 83 / 84 / 9999) + 1e-4
    exact = hotspots_on_graph([0, 0, 1, 9, 8, 9, 1, 0, 0], path_neighbours(9), permutations=0, inference="exact",
                              alternative="greater")
    assert exact.cells.loc[4, "p_value"] == pytest.approx(1 / 84, abs=1e-12)


def test_old_name_warns() -> None:
    from clusterwatch.analysis.space import gi_star

    with pytest.warns(DeprecationWarning, match="hotspots_on_graph"):
        old = gi_star([0, 0, 1, 9, 8, 9, 1, 0, 0], path_neighbours(9), permutations=0, inference="normal")
    assert old.cells.loc[4, "local_sum"] == 26


def test_two_sided_is_twice_the_smaller_tail_and_fdr_is_bh() -> None:
    values = [0, 0, 1, 9, 8, 9, 1, 0, 0]
    kwargs = {"permutations": 999, "rng": 8, "scheduler": "serial"}
    both = hotspots_on_graph(values, path_neighbours(9), alternative="two-sided", **kwargs).cells
    greater = hotspots_on_graph(values, path_neighbours(9), alternative="greater", **kwargs).cells
    less = hotspots_on_graph(values, path_neighbours(9), alternative="less", **kwargs).cells
    expected = np.minimum(1, 2 * np.minimum(greater["p_sim"], less["p_sim"]))
    np.testing.assert_allclose(both["p_sim"], expected)
    np.testing.assert_allclose(both["q_value"], benjamini_hochberg(both["p_value"].to_numpy()))
    assert ((both["p_sim"] > 0) & (both["p_sim"] <= 1)).all()


def test_labels_follow_significance_and_sign() -> None:
    rng = np.random.default_rng(1)
    # a 20 x 20 lattice, rook neighbours, a block of high values
    grid = rng.poisson(1.0, (20, 20)).astype(float)
    grid[2:7, 2:7] += 6
    neighbours = [[(r + dr) * 20 + c + dc for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1))
                   if 0 <= r + dr < 20 and 0 <= c + dc < 20] for r in range(20) for c in range(20)]
    # 400 units: Benjamini–Hochberg needs p < 0.002, below the floor of 999 permutations
    result = hotspots_on_graph(grid.ravel(), neighbours, permutations=9999, rng=2, n_jobs=2)
    cells = result.cells
    assert ((cells["hot_spot"] == "hot") == (cells["significant"] & (cells["z"] > 0))).all()
    assert ((cells["hot_spot"] == "cold") == (cells["significant"] & (cells["z"] < 0))).all()
    assert (cells["significant"] == (cells["q_value"] <= 0.05)).all()
    hot = set(result.hot.index)
    block = {r * 20 + c for r in range(3, 6) for c in range(3, 6)}
    assert block <= hot  # the core of the block is found
    assert len(hot - {r * 20 + c for r in range(1, 8) for c in range(1, 8)}) <= 2  # few false hot cells


def test_same_seed_same_result_on_any_scheduler() -> None:
    values = np.random.default_rng(3).poisson(2, 300).astype(float)
    neighbours = path_neighbours(300)
    serial = hotspots_on_graph(values, neighbours, permutations=300, rng=5, scheduler="serial")
    threads = hotspots_on_graph(values, neighbours, permutations=300, rng=5, scheduler="threads", n_jobs=2)
    pd.testing.assert_frame_equal(serial.cells, threads.cells)
    assert serial.seed == 5


def test_normal_inference_and_no_permutations() -> None:
    values = [0, 0, 1, 9, 8, 9, 1, 0, 0]
    result = hotspots_on_graph(values, path_neighbours(9), permutations=0, inference="normal")
    cells = result.cells
    assert cells["p_sim"].isna().all()
    np.testing.assert_allclose(cells["p_value"], cells["p_norm"])
    assert cells.loc[4, "p_norm"] == pytest.approx(2 * 0.5 * math.erfc(cells.loc[4, "z"] / math.sqrt(2)))


def test_bad_gi_star_input_is_refused() -> None:
    good = path_neighbours(5)
    for args, kwargs in (
        (([1, 2], [[1], [0]]), {}),
        (([1, 2, np.nan, 4, 5], good), {}),
        (([1, 2, 3, 4, 5], good[:4]), {}),
        (([1, 2, 3, 4, 5], [[0], *good[1:]]), {}),
        (([1, 2, 3, 4, 5], [[7], *good[1:]]), {}),
        (([1, 2, 3, 4, 5], good), {"alternative": "both"}),
        (([1, 2, 3, 4, 5], good), {"alpha": 1.5}),
        (([1, 2, 3, 4, 5], good), {"inference": "bootstrap"}),
        (([1, 2, 3, 4, 5], good), {"null": "spatial"}),
        (([1, 2, 3, 4, 5], good), {"permutations": 0}),
    ):
        with pytest.raises(OptionError):
            hotspots_on_graph(*args, **kwargs)


# ---------------------------------------------------------------------------------------------------------------
# H3 cells
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hexagon_firms() -> tuple[pd.DataFrame, np.ndarray, str]:
    """Three firms at the centre of every cell within 6 steps of a centre cell; the activity piles up in the middle."""
    centre = h3.latlng_to_cell(49.1, -122.6, 9)
    cells = sorted(h3.grid_disk(centre, 6))
    ll = np.array([h3.cell_to_latlng(c) for c in cells])
    firms = pd.DataFrame({"lat": np.repeat(ll[:, 0], 3), "lon": np.repeat(ll[:, 1], 3)})
    middle = set(h3.grid_disk(centre, 1))
    in_middle = np.repeat([c in middle for c in cells], 3)
    case = np.zeros(len(firms), dtype=bool)
    case[in_middle] = True  # all three firms of the 7 middle cells
    case[np.flatnonzero(~in_middle)[::9]] = True  # a thin scatter elsewhere
    return firms, case, centre


def test_hotspots_on_h3_cells(hexagon_firms) -> None:
    firms, case, centre = hexagon_firms
    result = hotspots(firms, case, resolution=9, k=1, permutations=999, alternative="greater", rng=1, n_jobs=2)
    cells = result.cells.set_index("cell")
    assert len(cells) == 127 and cells["firms"].sum() == len(firms) and cells["count"].sum() == case.sum()
    assert cells.loc[centre, "neighbours"] == 7 and cells.loc[centre, "count"] == 3
    assert cells.loc[centre, "local_sum"] == 21
    assert cells["neighbours"].min() == 4  # corner cells of the hexagonal patch
    assert cells.loc[centre, "hot_spot"] == "hot"
    assert set(result.hot["cell"]) <= set(h3.grid_disk(centre, 2))
    assert (result.resolution, result.k, result.area, result.seed) == (9, 1, "firms", 1)
    lat, lon = h3.cell_to_latlng(centre)
    assert cells.loc[centre, "lat"] == pytest.approx(lat) and cells.loc[centre, "lon"] == pytest.approx(lon)


def test_ring_area_adds_empty_cells(hexagon_firms) -> None:
    firms, case, centre = hexagon_firms
    ring = hotspots(firms, case, k=2, area="ring", permutations=19, rng=1, scheduler="serial").cells
    assert len(ring) == len(h3.grid_disk(centre, 8))  # the patch of radius 6 grown by k = 2
    assert (ring.loc[ring["firms"] == 0, "count"] == 0).all() and (ring["firms"] == 0).sum() == 217 - 127


def test_all_firms_counted_without_cases(hexagon_firms) -> None:
    firms, _, _ = hexagon_firms
    cells = hotspots(firms, None, permutations=19, rng=1, scheduler="serial").cells
    assert (cells["count"] == 3).all() and cells["z"].isna().all()  # no spread: z undefined, nothing significant
    assert (cells["hot_spot"] == "not significant").all()


def test_bad_hotspot_options_are_refused(hexagon_firms) -> None:
    firms, case, _ = hexagon_firms
    for kwargs in ({"resolution": 16}, {"k": 0}, {"area": "hull"}, {"alpha": 0}):
        with pytest.raises(OptionError):
            hotspots(firms, case, permutations=9, **kwargs)
    with pytest.raises(InputError):
        hotspots(firms.drop(columns="lat"), case)
    with pytest.raises(InputError):
        hotspots(firms.assign(lat=firms["lat"].where(firms.index != 0)), case)
    with pytest.raises(OptionError, match="at least 3 cells"):
        hotspots(firms.iloc[:6], case[:6], permutations=9)


@pytest.mark.parametrize("name", ["clusterwatch.analysis.space.bernoulli", "clusterwatch.analysis.space.hotspots"])
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


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


def test_hotspots_command_on_langley_manufacturing(langley_workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "hot"
    # 417 cells: with 999 permutations no p can pass BH at 5 %, so 9,999 (the command says so when it happens)
    code = run(["hotspots", "-w", str(langley_workspace), "--code", "31-33", "--resolution", "8",
                "--permutations", "9999", "--alternative", "greater", "--seed", "3", "-j", "2", "--out", str(out)])
    assert code == 0
    cells = pd.read_csv(out / "hotspots.csv")
    assert cells["count"].sum() == 348 and cells["firms"].sum() == 5604
    hot = cells[cells["hot_spot"] == "hot"]
    assert len(hot) >= 3 and (hot["z"] > 0).all()
    # the strongest hot cell lies at the Gloucester industrial estate (the scan's most likely cluster)
    top = hot.sort_values("z").iloc[-1]
    assert math.hypot(top["lat"] - 49.099, (top["lon"] + 122.47) * 0.65) < 0.03
    page = (out / "hotspots.html").read_text(encoding="utf-8")
    assert "<polygon" in page and "Gi*" in page


def test_hotspots_command_errors(langley_workspace: Path, tmp_path: Path) -> None:
    base = ["hotspots", "-w", str(langley_workspace), "--out", str(tmp_path / "x"), "--permutations", "9"]
    assert run([*base, "--area", "hull"]) == 2
    assert run([*base, "--code", "31-33", "--code-system", "nace2"]) == 2
    assert run([*base, "--code", "999999"]) == 2
    assert run([*base, "--null", "spatial"]) == 2


@pytest.mark.parametrize("null", ["total", "conditional"])
def test_hotspots_command_null_is_the_library_null(langley_workspace: Path, tmp_path: Path, null: str) -> None:
    """``--null`` reaches Gi*: the command's p-values are the library's under the same null and seed."""
    from clusterwatch import Workspace, codes

    out = tmp_path / null
    code = run(["hotspots", "-w", str(langley_workspace), "--code", "31-33", "--resolution", "8", "--permutations",
                "199", "--seed", "3", "--null", null, "--scheduler", "serial", "--show", "0", "--out", str(out)])
    assert code == 0
    cells = pd.read_csv(out / "hotspots.csv").set_index("cell")
    with Workspace(langley_workspace, read_only=True) as ws:
        firms, firm_codes = ws.firms(), ws.firm_codes()
    # a firm is a case when any of its codes (the normalised firm_codes table) is in the sector
    hit = firm_codes[codes.truncate(firm_codes["code"], "naics", "sector").eq("31-33").fillna(False).to_numpy()]
    manufacturing = firms.set_index(["dataset", "firm_id"]).index.isin(hit.set_index(["dataset", "firm_id"]).index)
    assert manufacturing.sum() == cells["count"].sum() == 348  # one more than the primary codes alone (347)
    expected = hotspots(firms, manufacturing, resolution=8, permutations=199, null=null, rng=3,
                        scheduler="serial").cells.set_index("cell")
    assert expected.index.tolist() == cells.index.tolist()
    np.testing.assert_allclose(cells["p_sim"], expected["p_sim"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(cells["z"], expected["z"], rtol=0, atol=1e-9)
    other = hotspots(firms, manufacturing, resolution=8, permutations=199, rng=3, scheduler="serial",
                     null="conditional" if null == "total" else "total").cells
    assert not np.allclose(other["p_sim"], expected["p_sim"])  # the two nulls give different p-values
