"""Candidates: status and score rules by hand, planted clusters found, merged and classified against the
register's base rates, backgrounds without signal, as-of safety, seeds and row order, recorded failures."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import clusterwatch.candidates.core as core
from clusterwatch.candidates import (
    CANDIDATE_COLUMNS,
    STATUSES,
    CandidateConfig,
    code_activities,
    find_candidates,
    merge_pieces,
    score_of,
    status_of,
)
from clusterwatch.errors import InputError, OptionError


def planted_firms(seed: int = 0, n_background: int = 900, n_planted: int = 30) -> pd.DataFrame:
    """Background firms spread over ~60 × 60 km with random NAICS codes and founding years 1980–2019, plus a
    planted cluster: ``n_planted`` young firms of NAICS 541715 within ~1.5 km, entries rising to 2019."""
    rng = np.random.default_rng(seed)
    lat0, lon0 = 47.0, -122.0
    lat = lat0 + rng.uniform(-0.27, 0.27, n_background)
    lon = lon0 + rng.uniform(-0.4, 0.4, n_background)
    codes = rng.choice(["238220", "722511", "445110", "541110", "811111", "236118"], n_background)
    founded = pd.to_datetime(rng.integers(1980, 2020, n_background).astype(str) + "-06-01")
    p_lat = lat0 + 0.1 + rng.normal(0, 0.006, n_planted)
    p_lon = lon0 + 0.1 + rng.normal(0, 0.009, n_planted)
    years = np.sort(rng.choice(np.arange(2012, 2020), n_planted, p=np.arange(1, 9) / 36))
    firms = pd.DataFrame({
        "firm_id": [f"b{i}" for i in range(n_background)] + [f"p{i}" for i in range(n_planted)],
        "name": [f"Background {i}" for i in range(n_background)] + [f"Planted {i}" for i in range(n_planted)],
        "lat": np.r_[lat, p_lat],
        "lon": np.r_[lon, p_lon],
        "code": np.r_[codes, ["541715"] * n_planted],
        "code_system": "naics",
        "founded": np.r_[founded.to_numpy(), pd.to_datetime(years.astype(str) + "-03-01").to_numpy()],
        "employees": np.r_[rng.integers(1, 60, n_background), rng.integers(2, 20, n_planted)].astype(float),
    })
    return firms


@pytest.fixture(scope="module")
def planted() -> pd.DataFrame:
    return planted_firms()


FAST = dict(permutations=999, kd_permutations=19, use_text=False)
PLANTED = {f"p{i}" for i in range(30)}
NAN = float("nan")


@pytest.fixture(scope="module")
def found(planted: pd.DataFrame):  # type: ignore[no-untyped-def]
    return find_candidates(planted, as_of="2019-12-31", rng=7, **FAST)  # type: ignore[arg-type]


def background_firms(seed: int, n: int = 1200, *, young_years: tuple[int, int] = (1980, 2020),
                     rising: bool = False) -> pd.DataFrame:
    """Firms with codes clustered in space (real-looking: each code around its own towns) but founding years drawn
    independently of place and code: concentrations exist, nothing in them is new."""
    rng = np.random.default_rng(seed)
    codes = np.array(["238220", "722511", "445110", "541110", "811111", "236118", "311811", "332710"])
    towns = rng.uniform([46.8, -122.4], [47.2, -121.6], size=(12, 2))
    town = rng.integers(0, len(towns), n)
    code = np.where(rng.random(n) < 0.5, codes[town % len(codes)], rng.choice(codes, n))
    lo, hi = young_years
    weights = np.arange(1, hi - lo + 1, dtype=float) if rising else np.ones(hi - lo)
    years = rng.choice(np.arange(lo, hi), n, p=weights / weights.sum())
    return pd.DataFrame({
        "firm_id": [f"f{i:05d}" for i in range(n)], "name": [f"Firm {i}" for i in range(n)],
        "lat": towns[town, 0] + rng.normal(0, 0.02, n), "lon": towns[town, 1] + rng.normal(0, 0.03, n),
        "code": code, "code_system": "naics",
        "founded": pd.to_datetime(years.astype(str) + "-06-01"),
        "employees": rng.integers(1, 60, n).astype(float)})


def test_status_rules_by_hand() -> None:
    known = dict(falling_q=1.0, sme_low_q=NAN, ages_known=True)
    assert status_of(young_q=0.001, rising_q=0.01, **known) == "spawning"  # type: ignore[arg-type]
    # young and rising but significantly fewer SMEs than the register: emerging, not spawning
    assert status_of(young_q=0.001, rising_q=0.01, falling_q=1.0, sme_low_q=0.001, ages_known=True) == "emerging"
    assert status_of(young_q=0.001, rising_q=0.5, **known) == "emerging"  # type: ignore[arg-type]
    assert status_of(young_q=0.5, rising_q=0.01, **known) == "emerging"  # type: ignore[arg-type]
    assert status_of(young_q=0.5, rising_q=0.9, falling_q=0.01, sme_low_q=NAN, ages_known=True) == "declining"
    assert status_of(young_q=0.06, rising_q=0.06, **known) == "established"  # type: ignore[arg-type]
    # whatever the tests say, unknown ages give no age word
    assert status_of(young_q=0.0, rising_q=0.0, falling_q=1.0, sme_low_q=NAN, ages_known=False) == "concentrated"


def test_score_formula_by_hand() -> None:
    # q = 0.001 of 999: S = 1; LLR 10: G = ln 11 / ln 1001; RR 10: R = 0.9; young 0.55 vs 0.1: Y = 0.5; z = 0: T = 0.5
    expected = 100 * (0.25 * 1 + 0.35 * math.log(11) / math.log(1001) + 0.10 * 0.9 + 0.15 * 0.5 + 0.15 * 0.5)
    assert score_of(q=0.001, llr=10.0, relative_risk=10.0, young_share=0.55, base_young_share=0.1, trend_z=0.0,
                    permutations=999) == pytest.approx(expected, abs=1e-6)
    # young share below the register's counts 0, never negative; unknown trend counts 0.5
    low = score_of(q=1.0, llr=0.0, relative_risk=1.0, young_share=0.05, base_young_share=0.3, trend_z=NAN,
                   permutations=999)
    assert low == pytest.approx(100 * 0.15 * 0.5, abs=1e-6)
    # continuous in the LLR where q sits at its floor: no ties between clusters of different strength
    a, b = (score_of(q=1e-5, llr=llr, relative_risk=12.0, young_share=NAN, base_young_share=NAN, trend_z=NAN,
                     permutations=999) for llr in (40.0, 41.0))
    assert b > a


def test_code_activities_levels_and_min_firms(planted: pd.DataFrame) -> None:
    acts = {a.activity_id: a for a in code_activities(planted, min_firms=8)}
    assert {"naics:54", "naics:541", "naics:5417"} <= set(acts)
    assert acts["naics:5417"].n_firms == 30
    assert acts["naics:54"].n_firms == 30 + int((planted["code"] == "541110").sum())
    assert all(a.source == "code" and a.n_firms >= 8 for a in acts.values())
    assert any(i.startswith("cluster:") for i in acts)  # benchmark clusters from six-digit NAICS


def test_planted_cluster_is_one_spawning_candidate(found) -> None:  # type: ignore[no-untyped-def]
    cand = found.candidates
    assert list(cand.columns) == CANDIDATE_COLUMNS
    members = found.candidate_firms.groupby("candidate_id")["firm_id"].agg(set)
    holding = [cid for cid, firms in members.items() if len(firms & PLANTED) >= 15]
    assert len(holding) == 1  # NAICS 54, 541, 5417 and benchmark cluster 13 are pieces of one candidate
    top = cand.set_index("candidate_id").loc[holding[0]]
    assert {"naics:5417", "naics:541", "naics:54"} <= set(top["pieces"].split(";"))
    assert top["label"].startswith("Scientific Research and Development")  # the most specific piece names it
    assert abs(top["lat"] - 47.1) < 0.03 and abs(top["lon"] - (-121.9)) < 0.04
    assert top["status"] == "spawning"  # young (vs the register's 14 %), its share of entries rising, small firms
    assert top["young_q"] <= 0.05 and top["rising_q"] <= 0.05 and top["trend"] == "rising"
    assert top["base_recent_share"] == pytest.approx(found.base_rates.young_share)
    assert len(members[holding[0]] & PLANTED) >= 0.8 * len(members[holding[0]])
    assert 0 < top["anchor_share"] < 0.5
    assert top["location_quotient"] > 5
    pieces = found.pieces[found.pieces["candidate_id"] == holding[0]]
    assert set(pieces.loc[pieces["role"] == "core", "activity_id"]) == set(top["pieces"].split(";"))
    assert set(pieces.loc[pieces["role"] == "context", "activity_id"]) == set(top["context_pieces"].split(";"))
    # the young firms concentrate here because the code does: their piece is context, its other firms not added
    assert "entries:young" in top["context_pieces"].split(";")


def test_properties(found) -> None:  # type: ignore[no-untyped-def]
    cand = found.candidates
    assert (cand["q_value"] <= 0.05).all()                      # no candidate without statistical evidence
    assert ((cand["p_value"] > 0) & (cand["p_value"] <= 1)).all()
    assert cand["score"].is_monotonic_decreasing
    assert cand["candidate_id"].is_unique
    counts = found.candidate_firms.groupby("candidate_id").size()
    assert (counts.reindex(cand["candidate_id"]).to_numpy() == cand["n_firms"].to_numpy()).all()
    assert (cand["n_firms"] >= CandidateConfig().min_firms).all()
    assert (cand["n_recent"] <= cand["n_dated"]).all() and (cand["n_dated"] <= cand["n_firms"]).all()
    assert set(cand["status"]) <= set(STATUSES)
    assert len(found.activities) == found.parameters["n_activities"]
    assert set(found.tested["outcome"]) <= {"piece", "not significant", "one address", "too few firms"}
    assert (found.tested["outcome"] == "piece").sum() == len(found.pieces)
    assert found.parameters["seed"] == 7 and found.parameters["seed_spawn_key"] == []


def assert_no_two_share_half(found) -> None:  # type: ignore[no-untyped-def]
    members = found.candidate_firms.groupby("candidate_id")["firm_id"].agg(set).tolist()
    for i, a in enumerate(members):
        for b in members[i + 1:]:
            assert len(a & b) < 0.5 * min(len(a), len(b))


def test_no_two_candidates_share_half_their_firms(found) -> None:  # type: ignore[no-untyped-def]
    assert_no_two_share_half(found)


@pytest.mark.parametrize("young", [False, True], ids=["old", "young"])
def test_five_unrelated_codes_at_one_site(young: bool) -> None:
    # co-location alone does not make unrelated codes one cluster: old firms without texts are one candidate per
    # code, listed side by side as one site (same_site); the same firms founded in the last five years are one
    # candidate, the site's young firms holding all five codes' firms
    base = background_firms(3)
    rng = np.random.default_rng(3)
    codes = ["541715", "334511", "541512", "332710", "811111"]  # unrelated in the hierarchy, all used around
    n = 25
    years = np.arange(2015, 2020) if young else np.arange(1990, 2005)
    plant = pd.DataFrame({
        "firm_id": [f"p{i}" for i in range(n)], "name": [f"Planted {i}" for i in range(n)],
        "lat": 47.05 + rng.normal(0, 0.002, n), "lon": -121.95 + rng.normal(0, 0.003, n),
        "code": [codes[i % 5] for i in range(n)], "code_system": "naics",
        "founded": pd.to_datetime(rng.choice(years, n).astype(str) + "-03-01"),
        "employees": rng.integers(2, 20, n).astype(float)})
    found = find_candidates(pd.concat([base, plant], ignore_index=True), as_of="2019-12-31", rng=1,
                            **FAST)  # type: ignore[arg-type]
    firms = found.candidate_firms.assign(planted=found.candidate_firms["firm_id"].str.startswith("p"))
    per = firms.groupby("candidate_id")["planted"].agg(["sum", "size"])
    holding = per[per["sum"] > 0]
    cand = found.candidates.set_index("candidate_id")
    if young:
        assert len(holding) == 1
        assert holding["sum"].iloc[0] == n and holding["size"].iloc[0] == n
        assert cand.loc[holding.index[0], "n_pieces"] >= 5  # the young firms and the codes' pieces
    else:
        assert len(holding) >= 3 and (holding["sum"] == holding["size"]).all()  # each its code's planted firms
        assert (holding["sum"] == n // len(codes)).all()
        sites = {cid: set(filter(None, str(cand.loc[cid, "same_site"]).split(";"))) for cid in holding.index}
        told = [cid for cid, others in sites.items() if others & set(holding.index)]
        assert len(told) >= 3  # shown as one site
        assert all(cid in sites[other] for cid in told for other in sites[cid] if other in sites)  # symmetric
    assert_no_two_share_half(found)


def test_young_firms_of_many_codes_at_one_site_are_found_as_young_firms() -> None:
    # 4 codes × 4 young firms at one site: no code has min_firms (5) firms there, so only the young firms show
    base = background_firms(4)
    rng = np.random.default_rng(4)
    codes = ["541715", "334511", "541512", "488190"]
    n = 16
    plant = pd.DataFrame({
        "firm_id": [f"p{i}" for i in range(n)], "name": [f"Planted {i}" for i in range(n)],
        "lat": 47.05 + rng.normal(0, 0.002, n), "lon": -121.95 + rng.normal(0, 0.003, n),
        "code": [codes[i % 4] for i in range(n)], "code_system": "naics",
        "founded": pd.to_datetime(rng.choice(np.arange(2016, 2020), n).astype(str) + "-03-01"),
        "employees": rng.integers(2, 20, n).astype(float)})
    firms = pd.concat([base, plant], ignore_index=True)
    planted = set(plant["firm_id"])
    found = find_candidates(firms, as_of="2019-12-31", rng=1, **FAST)  # type: ignore[arg-type]
    members = found.candidate_firms.groupby("candidate_id")["firm_id"].agg(set)
    best, held = max(members.items(), key=lambda kv: len(kv[1] & planted))
    assert len(held & planted) >= 0.8 * n and len(held & planted) >= 0.5 * len(held)
    row = found.candidates.set_index("candidate_id").loc[best]
    assert "entries:young" in row["pieces"].split(";")
    assert row["label"].startswith("Young firms: ") and row["activity_source"] == "entries"
    assert row["status"] in ("spawning", "emerging")
    assert row["code_coverage"] <= 0.5  # no code holds most of it
    # without the young-firms activity the site is not found: no code has enough firms there
    without = find_candidates(firms, as_of="2019-12-31", rng=1, entries=False, **FAST)  # type: ignore[arg-type]
    held_without = without.candidate_firms.groupby("candidate_id")["firm_id"].agg(set)
    assert all(len(m & planted) < 0.5 * n for m in held_without)
    # where ages are unknown there is no young-firms activity
    undated = find_candidates(firms.drop(columns="founded"), as_of="2019-12-31", rng=1, **FAST)  # type: ignore[arg-type]
    assert "entries:young" not in set(undated.activities["activity_id"])


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_background_without_signal_is_rarely_called_new(seed: int) -> None:
    # the register itself is young-heavy with rising entries (as Langley and Seattle are): that must not make
    # its concentrations "emerging"; only an excess over the register would
    firms = background_firms(seed, young_years=(2000, 2020), rising=True)
    found = find_candidates(firms, as_of="2019-12-31", rng=seed, **FAST)  # type: ignore[arg-type]
    cand = found.candidates
    assert len(cand) >= 3  # the codes do concentrate around their towns
    assert found.base_rates.young_share > 0.3
    labelled = cand["status"].isin(["spawning", "emerging"]).sum()
    assert labelled <= max(1, 0.05 * len(cand))


def test_narrowly_dated_register_gives_unknown_ages(planted: pd.DataFrame) -> None:
    # as Langley: only a few firms dated, all within four months
    firms = planted.copy()
    firms["founded"] = pd.NaT
    firms.loc[firms.index[::30], "founded"] = pd.Timestamp("2021-12-15")
    found = find_candidates(firms, as_of="2022-03-31", rng=7, **FAST)  # type: ignore[arg-type]
    assert not found.base_rates.ages_known
    assert "have a founding date" in found.base_rates.age_reason
    # the planted cluster is still found, and called concentrated, not young, since ages are unknown
    top = set(found.candidate_firms.loc[found.candidate_firms["candidate_id"] == "C001", "firm_id"])
    assert len(top & PLANTED) >= 0.8 * len(PLANTED) and len(top & PLANTED) >= 0.8 * len(top)
    assert (found.candidates["status"] == "concentrated").all()
    assert found.candidates["age_evidence"].str.startswith("unknown").all()
    assert any("ages unknown" in n for n in found.notes)
    firms.loc[:, "founded"] = pd.Timestamp("2021-12-15") + pd.to_timedelta(np.arange(len(firms)) % 100, unit="D")
    narrow = find_candidates(firms, as_of="2022-03-31", rng=7, **FAST)  # type: ignore[arg-type]
    assert "distinct year" in narrow.base_rates.age_reason
    assert (narrow.candidates["status"] == "concentrated").all()


def test_nothing_in_any_output_postdates_as_of(planted: pd.DataFrame) -> None:
    firms = planted.copy()
    later = planted_firms(5, n_background=0, n_planted=30).assign(
        firm_id=lambda f: "late" + f["firm_id"], founded=pd.Timestamp("2021-05-01"))
    firms = pd.concat([firms, later], ignore_index=True)
    firms["description"] = "scientific research services in optics and sensors for defence"
    acts = pd.DataFrame({"firm_id": ["p1", "p2", "latep1"], "date": pd.to_datetime(["2018-01-01", "2020-06-01",
                                                                                    "2021-06-01"]),
                         "title": ["Optics", "Future award", "Later"], "text": ["lidar optics"] * 3})
    as_of = pd.Timestamp("2019-12-31")
    found = find_candidates(firms, acts, as_of=as_of, rng=7, permutations=199, kd_permutations=19)
    known = set(firms.loc[firms["founded"] <= as_of, "firm_id"])
    assert set(found.candidate_firms["firm_id"]) <= known       # the library path filters, not only the CLI
    assert set(found.examples["firm_id"]) <= known
    assert found.parameters["n_firms"] == len(known)
    assert (found.entries["period"] <= as_of.year).all()
    assert not found.examples["text"].str.contains("Future award").any()


def test_row_order_and_unrelated_activities_change_no_p_value(planted: pd.DataFrame) -> None:
    kwargs = dict(as_of="2019-12-31", kd_max_candidates=0, use_text=False, permutations=199)
    a = find_candidates(planted, rng=3, **kwargs)  # type: ignore[arg-type]
    shuffled = find_candidates(planted.sample(frac=1.0, random_state=1), rng=3, **kwargs)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(a.tested, shuffled.tested)
    pd.testing.assert_frame_equal(a.candidates, shuffled.candidates)
    extra = planted.copy()  # a new sector's code on a few firms: more activities, nothing else changes
    extra["codes"] = extra["code"]
    extra.loc[extra.index[:12], "codes"] = extra.loc[extra.index[:12], "code"] + ";111110"
    b = find_candidates(extra, rng=3, **kwargs)  # type: ignore[arg-type]
    added = set(b.activities["activity_id"]) - set(a.activities["activity_id"])
    assert added == {"naics:11", "naics:111", "naics:1111"}
    common = a.tested.merge(b.tested, on=["activity_id", "cluster"], suffixes=("", "_b"))
    assert len(common) == len(a.tested)
    assert (common["p_value"] == common["p_value_b"]).all()


def test_seeds_repeat_and_differ(planted: pd.DataFrame) -> None:
    kwargs = dict(as_of="2019-12-31", kd_max_candidates=0, use_text=False, permutations=99,
                  screen_permutations=None)
    one, two = np.random.SeedSequence(5).spawn(2)
    a = find_candidates(planted, rng=one, **kwargs)  # type: ignore[arg-type]
    b = find_candidates(planted, rng=two, **kwargs)  # type: ignore[arg-type]
    assert a.seed == b.seed and a.seed_spawn_key != b.seed_spawn_key
    assert not np.array_equal(a.tested["p_value"].to_numpy(), b.tested["p_value"].to_numpy())
    again = find_candidates(planted, rng=np.random.SeedSequence(a.seed, spawn_key=a.seed_spawn_key),
                            **kwargs)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(a.tested, again.tested)


def test_failed_evidence_is_recorded_not_dropped(planted: pd.DataFrame, found,  # type: ignore[no-untyped-def]
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("degenerate distances")

    monkeypatch.setattr(core, "kd", broken)
    failed = find_candidates(planted, as_of="2019-12-31", rng=7, **FAST)  # type: ignore[arg-type]
    # the candidates stand as the same run without the failure gives them; only their Kd is missing
    kept = [c for c in found.candidates.columns if not c.startswith("kd_")]
    pd.testing.assert_frame_equal(failed.candidates[kept], found.candidates[kept])
    assert failed.candidates["kd_localised"].isna().all() and failed.kd_curves == {}
    # one failure per candidate Kd was tried for (those the working run has curves for), each with its reason
    kd_failures = failed.failures[failed.failures["stage"] == "kd"]
    assert len(found.kd_curves) >= 1
    assert sorted(kd_failures["subject"].str.split().str[0]) == sorted(found.kd_curves)
    assert kd_failures["error"].str.contains("degenerate distances").all()


def test_codes_without_a_system_are_named_in_the_notes(planted: pd.DataFrame) -> None:
    firms = planted.drop(columns=["code_system"])
    found = find_candidates(firms, as_of="2019-12-31", rng=7, **FAST)  # type: ignore[arg-type]
    assert any("no code system" in n and "--code-system" in n for n in found.notes)


def test_selection_by_dataset_city_and_box(planted: pd.DataFrame) -> None:
    firms = planted.assign(dataset=np.where(planted.index % 2 == 0, "a", "b"), city="Lakeside")
    firms.loc[firms.index[:100], "city"] = "Hilltop"
    kwargs = dict(as_of="2019-12-31", rng=7, kd_max_candidates=0, use_text=False, permutations=99)
    assert find_candidates(firms, datasets=["a"], **kwargs).parameters["n_firms"] == (firms["dataset"] == "a").sum()  # type: ignore[arg-type]
    assert find_candidates(firms, cities=["lakeside"], **kwargs).parameters["n_firms"] == len(firms) - 100  # type: ignore[arg-type]
    box = (-122.1, 46.9, -121.8, 47.2)
    inside = firms["lon"].between(box[0], box[2]) & firms["lat"].between(box[1], box[3])
    assert find_candidates(firms, bbox=box, **kwargs).parameters["n_firms"] == int(inside.sum())  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="not among"):
        find_candidates(firms, datasets=["c"], **kwargs)  # type: ignore[arg-type]


def test_merge_pieces_by_hand() -> None:
    members = [np.array([0, 1, 2]), np.array([1, 2, 3]), np.array([7, 8, 9]), np.array([20, 21, 22]),
               np.array([30, 31, 32])]
    areas = [np.arange(0, 6), np.arange(0, 6), np.arange(7, 12), np.arange(20, 40), np.arange(20, 40)]
    # 0 and 1 share two of three firms; 2 stands alone; 3 and 4 share no firm: without circles they stay apart
    assert merge_pieces(members, areas, 50) == [[0, 1], [2], [3], [4]]
    # one site (radius 0.3 km), two unrelated codes holding the same circle's firms: not one cluster by area alone
    # (Langley: furniture makers and the hair salons around them); two related codes are
    centres = np.array([[45.0, -122.0], [45.0, -122.0], [45.2, -122.0], [46.0, -122.0], [46.0, -122.0]])
    radii = np.array([0.3, 0.3, 0.3, 0.3, 0.3])
    assert merge_pieces(members, areas, 50, centres=centres, radii=radii) == [[0, 1], [2], [3], [4]]
    kin = np.eye(5, dtype=bool)
    kin[3, 4] = kin[4, 3] = True
    assert merge_pieces(members, areas, 50, centres=centres, radii=radii, related=kin) == [[0, 1], [2], [3, 4]]
    # the young firms there (an attribute piece) holding both codes' firms join them by shared firms: one cluster
    young = np.r_[members[3], members[4]]
    assert merge_pieces([*members, young], [*areas, np.arange(20, 40)], 50, centres=np.vstack([centres, centres[3]]),
                        radii=np.r_[radii, 1.2], attributes=[False] * 5 + [True]) == [[0, 1], [2], [3, 4, 5]]
    # a small piece inside two others does not bridge them (Langley: a benchmark cluster's 8 firms all inside a
    # 5616 site of 18 and 5 of them inside a wider NAICS 56 circle of 38 that holds only 7 of the site's firms)
    site, wide = np.arange(0, 18), np.r_[np.arange(0, 7), np.arange(100, 131)]
    bridge = np.r_[np.arange(0, 5), np.arange(10, 13)]
    areas3 = [np.arange(0, 40), np.arange(60, 200), np.arange(0, 20)]
    assert merge_pieces([site, wide, bridge], areas3, 300) == [[0, 2], [1]]
    # a small circle inside a larger one is not one site (Jaccard 5 / 40): a tiny circle lies inside everything
    # around it and would chain its neighbours together
    small, large = [np.array([0, 1]), np.array([10, 11])], [np.arange(0, 5), np.arange(0, 40)]
    here = np.array([[45.0, -122.0], [45.0, -122.0]])
    assert merge_pieces(small, large, 50, centres=here, radii=np.array([0.1, 1.5])) == [[0], [1]]
    # an attribute piece (young firms) joins by shared firms like any piece: no candidate holds another's firms
    young, code = np.arange(0, 300), np.array([0, 1, 2, 400, 401])
    assert merge_pieces([young, code], [np.arange(0, 600), np.arange(0, 402)], 700, attributes=[True, False]) == \
        [[0, 1]]
    assert merge_pieces([young, code[2:]], [np.arange(0, 600), np.arange(0, 402)], 700,
                        attributes=[True, False]) == [[0], [1]]  # one of three firms: not half
    # touching circles of one activity (a site the scan cut in two) join; of two activities they do not
    apart = [np.arange(0, 5), np.arange(5, 10)]
    two = np.array([[45.0, -122.0], [45.0, -122.0 + 0.9 / (111.32 * np.cos(np.radians(45.0)))]])  # 0.9 km apart
    r = np.array([0.4, 0.4])
    assert merge_pieces(apart, apart, 20, centres=two, radii=r, activity_ids=["naics:5417", "naics:5417"]) == \
        [[0, 1]]
    assert merge_pieces(apart, apart, 20, centres=two, radii=r, activity_ids=["naics:5417", "naics:3327"]) == \
        [[0], [1]]
    # nearly touching (Georgia PPP: radii 0.27 and 0.24 km, centres 0.53 km apart) joins; 2.5 km apart does not
    near = np.array([[34.763224, -84.990709], [34.762446, -84.985011]])
    assert merge_pieces(apart, apart, 20, centres=near, radii=np.array([0.27, 0.24]),
                        activity_ids=["entries:young"] * 2, attributes=[True, True]) == [[0, 1]]
    far = np.array([[45.0, -122.0], [45.0, -122.0 + 2.5 / (111.32 * np.cos(np.radians(45.0)))]])
    assert merge_pieces(apart, apart, 20, centres=far, radii=r, activity_ids=["naics:5417", "naics:5417"]) == \
        [[0], [1]]
    # touching, but a site beside a district of another rate (Langley: 12 of 20 firms of NAICS 561 in 0.49 km,
    # 24 of 99 in 0.91 km, 1.48 km apart); of one rate (Georgia PPP: one code's 7 of 7 and 7 of 7, 1.53 km) one
    beside = np.array([[49.140127, -122.651010], [49.153089, -122.655573]])
    assert merge_pieces([np.arange(0, 12), np.arange(20, 44)], [np.arange(0, 20), np.arange(20, 119)], 200,
                        centres=beside, radii=np.array([0.487, 0.910]), activity_ids=["naics:561"] * 2) == [[0], [1]]
    halves = np.array([[33.019242, -85.069443], [33.028265, -85.081837]])
    assert merge_pieces(apart, apart, 20, centres=halves, radii=np.array([0.69, 0.78]),
                        activity_ids=["naics:5414"] * 2) == [[0, 1]]


def test_broad_pieces_are_context_not_more_firms() -> None:
    from clusterwatch.candidates.merge import context_pieces

    site, sector = np.arange(0, 20), np.arange(0, 120)  # 20 firms of one code at a site; their sector, widely
    other = np.arange(200, 260)
    assert context_pieces([site, sector, other], 300) == {1: 0}
    # comparable sizes are not context: they merge as the same cluster
    assert context_pieces([np.arange(0, 20), np.arange(0, 30)], 300) == {}
    # context needs a broader activity: a narrower code's wider circle around a small circle of its sector is the
    # same cluster at two sizes, not context
    from clusterwatch.candidates.merge import broader_activities

    sector_mask, code_mask = np.zeros(300, bool), np.zeros(300, bool)
    sector_mask[:200], code_mask[:100] = True, True
    wider = broader_activities([sector_mask, code_mask])
    assert wider.tolist() == [[False, True], [False, False]]
    small_sector, wide_code = np.arange(0, 8), np.arange(0, 16)
    assert context_pieces([small_sector, wide_code], 300, broader=wider) == {}
    assert context_pieces([small_sector, wide_code], 300) == {1: 0}  # by sizes alone it would be


def test_text_activities_from_undated_descriptions() -> None:
    firms = planted_firms(1, n_background=300, n_planted=20)
    firms["description"] = np.where(firms["firm_id"].str.startswith("p"),
                                    "quantum photonics sensors for lidar imaging",
                                    "general contractor for residential renovation and repairs")
    firms.loc[firms.index[:150], "description"] = "family restaurant with takeout catering service"
    result = find_candidates(firms.drop(columns=["code", "code_system"]), as_of="2019-12-31", permutations=199,
                             kd_max_candidates=0, rng=2)
    # undated descriptions count as known at as_of: the text package runs, it is not the keyword fallback
    assert result.text_method == "tfidf-svd-kmeans"
    assert (result.candidates["activity_source"] == "text").all()
    top = result.candidates.iloc[0]
    assert "photonics" in top["keywords"] or "lidar" in top["keywords"]
    members = set(result.candidate_firms.loc[result.candidate_firms["candidate_id"] == top["candidate_id"],
                                             "firm_id"])
    assert len(members & {f"p{i}" for i in range(20)}) >= 0.8 * len(members)


def test_config_names_the_text_package_methods() -> None:
    from clusterwatch.analysis.text.activities import METHODS
    from clusterwatch.candidates import TEXT_METHODS

    assert set(TEXT_METHODS) == set(METHODS)


def test_bad_parameters(planted: pd.DataFrame) -> None:
    with pytest.raises(OptionError, match="recent_years"):
        find_candidates(planted, recent_years=0)
    with pytest.raises(OptionError, match="alpha"):
        find_candidates(planted, alpha=1.5)
    with pytest.raises(OptionError, match="unknown setting"):
        find_candidates(planted, kd_max_activities=3)
    with pytest.raises(OptionError, match="min_firms"):
        CandidateConfig(min_firms=2)
    with pytest.raises(OptionError, match="bbox"):
        CandidateConfig(bbox=(1.0, 2.0, 0.0, 3.0))
    with pytest.raises(InputError, match="lat"):
        find_candidates(planted.drop(columns=["lat"]))
    with pytest.raises(InputError, match="too few"):
        find_candidates(planted.head(8))
