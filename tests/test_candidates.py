"""Candidates: status and score rules by hand, a planted cluster found and classified, determinism, properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from clusterwatch.candidates import (
    CANDIDATE_COLUMNS,
    code_activities,
    find_candidates,
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


@pytest.fixture(scope="module")
def found(planted: pd.DataFrame):  # type: ignore[no-untyped-def]
    return find_candidates(planted, as_of="2019-12-31", permutations=999, min_firms=8, kd_permutations=19,
                           use_text=False, rng=7)


def test_status_rules_by_hand() -> None:
    assert status_of(recent_share=0.8, trend="increasing", ehsa_category="", sme_share=0.9) == "spawning"
    assert status_of(recent_share=0.8, trend="none", ehsa_category="new hot spot", sme_share=float("nan")) == \
        "spawning"
    # young and rising but carried by large firms: emerging, not spawning
    assert status_of(recent_share=0.8, trend="increasing", ehsa_category="", sme_share=0.2) == "emerging"
    assert status_of(recent_share=0.35, trend="none", ehsa_category="", sme_share=1.0) == "emerging"
    assert status_of(recent_share=0.2, trend="decreasing", ehsa_category="", sme_share=1.0) == "declining"
    assert status_of(recent_share=0.05, trend="none", ehsa_category="", sme_share=1.0) == "declining"
    assert status_of(recent_share=0.2, trend="none", ehsa_category="persistent hot spot", sme_share=1.0) == \
        "established"


def test_score_formula_by_hand() -> None:
    # q = 0.001 with 999 permutations: S = 1; RR 10: R = 1; Y = 0.5; rising: T = 1 -> 100 (0.4 + 0.2 + 0.125 + 0.15)
    assert score_of(0.001, 10.0, 0.5, "increasing", "", 999) == pytest.approx(87.5)
    # q = 1 (S = 0), RR = 1 (R = 0), no young, falling -> 0
    assert score_of(1.0, 1.0, 0.0, "decreasing", "", 999) == 0.0
    s = score_of(0.0316, math.sqrt(10), float("nan"), "none", "", 999)
    assert s == pytest.approx(100 * (0.4 * 0.5 + 0.2 * 0.5 + 0.15 * 0.5), abs=0.05)


def test_code_activities_levels_and_min_firms(planted: pd.DataFrame) -> None:
    acts = {a.activity_id: a for a in code_activities(planted, min_firms=8)}
    assert {"naics:54", "naics:541", "naics:5417"} <= set(acts)
    assert acts["naics:5417"].n_firms == 30
    assert acts["naics:54"].n_firms == 30 + int((planted["code"] == "541110").sum())
    assert all(a.source == "code" and a.n_firms >= 8 for a in acts.values())
    assert any(i.startswith("cluster:") for i in acts)  # benchmark clusters from six-digit NAICS


def test_planted_cluster_found_as_spawning(found, planted: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    cand = found.candidates
    assert list(cand.columns) == CANDIDATE_COLUMNS
    hit = cand[cand["activity"] == "naics:5417"]
    assert len(hit) >= 1
    top = hit.iloc[0]
    assert top["q_value"] <= 0.05 and top["n_firms"] >= 25
    assert abs(top["lat"] - 47.1) < 0.03 and abs(top["lon"] - (-121.9)) < 0.04
    assert top["status"] == "spawning"  # all young (2012-2019 vs as of 2019), entries rising, small firms
    assert top["recent_share"] >= 0.5 and top["trend"] == "increasing"
    firms = found.candidate_firms[found.candidate_firms["candidate_id"] == top["candidate_id"]]["firm_id"]
    assert set(firms) <= {f"p{i}" for i in range(30)}
    assert 0 < top["anchor_share"] < 0.5


def test_properties(found) -> None:  # type: ignore[no-untyped-def]
    cand = found.candidates
    assert (cand["q_value"] <= 0.05).all()                      # no candidate without statistical evidence
    assert ((cand["p_value"] > 0) & (cand["p_value"] <= 1)).all()
    assert cand["score"].is_monotonic_decreasing
    assert cand["candidate_id"].is_unique
    counts = found.candidate_firms.groupby("candidate_id").size()
    assert (counts.reindex(cand["candidate_id"]).to_numpy() == cand["n_firms"].to_numpy()).all()
    assert (cand["n_recent"] <= cand["n_firms"]).all()
    assert set(cand["status"]) <= {"spawning", "emerging", "established", "declining"}
    assert len(found.activities) == found.parameters["n_activities"]


def test_background_activities_are_not_candidates(found) -> None:  # type: ignore[no-untyped-def]
    # background codes are spread uniformly: at most a rare false discovery among them
    background = found.candidates[~found.candidates["activity"].isin(["naics:54", "naics:541", "naics:5417"])]
    background = background[~background["activity"].str.startswith("cluster:")]
    assert len(background) <= 1


def test_same_seed_same_result(planted: pd.DataFrame) -> None:
    kwargs = dict(as_of="2019-12-31", permutations=999, kd_max_activities=0, use_text=False)
    a = find_candidates(planted, rng=3, **kwargs)  # type: ignore[arg-type]
    b = find_candidates(planted.sample(frac=1.0, random_state=1).sort_values("firm_id"), rng=3, **kwargs)  # type: ignore[arg-type]
    c = find_candidates(planted, rng=3, **kwargs)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(a.candidates, c.candidates)
    assert a.seed == 3
    assert len(b.candidates) >= 1


def test_text_activities_from_undated_descriptions() -> None:
    firms = planted_firms(1, n_background=300, n_planted=20)
    firms["description"] = np.where(firms["firm_id"].str.startswith("p"),
                                    "quantum photonics sensors for lidar imaging",
                                    "general contractor for residential renovation and repairs")
    firms.loc[firms.index[:150], "description"] = "family restaurant with takeout catering service"
    result = find_candidates(firms.drop(columns=["code", "code_system"]), as_of="2019-12-31", permutations=199,
                             kd_max_activities=0, rng=2)
    # undated descriptions count as known at as_of: the text package runs, it is not the keyword fallback
    assert result.text_method == "tfidf-svd-kmeans"
    assert (result.candidates["activity_source"] == "text").all()
    assert len(result.candidates) >= 1
    top = result.candidates.iloc[0]
    members = set(result.candidate_firms.loc[result.candidate_firms["candidate_id"] == top["candidate_id"],
                                             "firm_id"])
    assert len(members & {f"p{i}" for i in range(20)}) >= 0.8 * len(members)


def test_bad_parameters(planted: pd.DataFrame) -> None:
    with pytest.raises(OptionError, match="recent_years"):
        find_candidates(planted, recent_years=0)
    with pytest.raises(OptionError, match="alpha"):
        find_candidates(planted, alpha=1.5)
    with pytest.raises(InputError, match="lat"):
        find_candidates(planted.drop(columns=["lat"]))
    with pytest.raises(InputError, match="too few"):
        find_candidates(planted.head(10))
