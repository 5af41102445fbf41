"""Text-derived activities: a hand-built corpus with known themes, as-of safety, seeds, code fit, real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clusterwatch
from clusterwatch.analysis.text import (
    UNCLASSIFIED_BELOW,
    ActivityResult,
    class_tfidf,
    code_fit,
    default_n_activities,
)
from clusterwatch.analysis.text import discover_activities as _discover
from clusterwatch.errors import InputError, OptionError


def discover_activities(*args, **kwargs) -> ActivityResult:  # type: ignore[no-untyped-def]
    """These tests check the TF-IDF + SVD fallback: the method is pinned (tests of embeddings are elsewhere)."""
    kwargs.setdefault("method", "tfidf-svd-kmeans")
    return _discover(*args, **kwargs)


DRONES = [
    "Drone inspection of wind turbines with autonomous unmanned aerial vehicles",
    "Unmanned aerial vehicle flight control software for drone delivery",
    "Autonomous drone swarms for aerial mapping and inspection",
    "Drone battery and flight endurance for unmanned aerial inspection",
    "Aerial photography with drones and flight planning for surveys",
    "Unmanned aerial systems with obstacle avoidance for drone flight",
    "Drone payloads for aerial inspection of power lines",
    "Flight controller for autonomous unmanned aerial drones",
    "Drone pilots training and aerial flight operations",
    "Mapping farms by drone with aerial multispectral cameras and flight logs",
    "Beyond line of sight drone flight for unmanned aerial delivery",
    "Inspection drones for bridges with autonomous aerial flight",
    "Drone fleet management software for aerial flight missions",
]
BIOTECH = [
    "Gene therapy vectors and protein engineering for rare diseases",
    "Antibody discovery using protein display and gene sequencing",
    "Cell therapy manufacturing with engineered proteins and gene editing",
    "CRISPR gene editing of cells for therapeutic protein expression",
    "Protein biomarkers and gene expression assays for cancer",
    "Engineered enzymes and protein design for gene synthesis",
    "Monoclonal antibody protein therapeutics and cell lines",
    "Gene sequencing assays of tumour cells and protein markers",
    "Synthetic biology: engineered cells producing therapeutic protein",
    "Vaccine antigen protein expression in engineered cells and gene constructs",
    "RNA and gene therapy delivery to cells with protein carriers",
    "Protein folding assays and gene variants in patient cells",
    "Cell line development for antibody protein production and gene stability",
]
BAKERIES = [
    "Artisan sourdough bread bakery with fresh pastries every morning",
    "Family bakery baking bread, cakes and pastries for cafes",
    "Wholesale bread bakery supplying sourdough loaves to shops",
    "Wedding cakes and pastries baked fresh in our bakery",
    "Gluten free bread and cakes from a local bakery",
    "Bakery cafe with croissants, pastries and bread to take away",
    "Organic flour sourdough bread baked daily at the bakery",
    "Bakery making birthday cakes, cupcakes and sweet pastries",
    "Traditional rye bread and pastries from the village bakery",
    "Bread rolls and cakes delivered fresh from our bakery ovens",
    "Pastries, tarts and bread from a French style bakery",
    "Bakery school teaching bread baking and cake decorating",
    "Doughnuts, pastries and cakes from a 24 hour bakery",
]
THEMES = {"drone": DRONES, "bio": BIOTECH, "bake": BAKERIES}
CODES = {"drone": "336411", "bio": "541714", "bake": "311811"}


def corpus() -> pd.DataFrame:
    """39 texts from 30 firms in three themes; firms 0-2 of each theme wrote two texts, dated 2010-2022."""
    rows = []
    for theme, texts in THEMES.items():
        for i, text in enumerate(texts):
            firm = f"{theme}{i % 10:02d}"
            rows.append((firm, text, pd.Timestamp(2010 + i, 6, 1), CODES[theme], theme))
    return pd.DataFrame(rows, columns=["firm_id", "text", "date", "code", "theme"])


@pytest.fixture(scope="module")
def three() -> tuple[pd.DataFrame, ActivityResult]:
    texts = corpus()
    return texts, discover_activities(texts, n_activities=3, min_firms=3, rng=7)


def test_three_themes_recovered_with_their_keywords(three: tuple[pd.DataFrame, ActivityResult]) -> None:
    texts, result = three
    assert result.method == "tfidf-svd-kmeans"
    assert len(result.activities) == 3
    theme_of = texts.drop_duplicates("firm_id").set_index("firm_id")["theme"]
    groups = result.assignments.assign(theme=result.assignments["firm_id"].map(theme_of))
    # a partition that matches the themes exactly: each activity holds one theme, each theme one activity
    assert groups.groupby("activity_id")["theme"].nunique().eq(1).all()
    assert groups.groupby("theme")["activity_id"].nunique().eq(1).all()
    assert len(groups) == texts["firm_id"].nunique()
    expected = {"drone": {"drone", "aerial", "flight"}, "bio": {"protein", "gene", "cells"},
                "bake": {"bakery", "bread", "pastries", "cakes"}}
    for _, row in result.activities.iterrows():
        theme = groups.loc[groups["activity_id"] == row["activity_id"], "theme"].iloc[0]
        label_words = set(row["label"].replace(" / ", " ").split())
        assert label_words & expected[theme], (theme, row["label"])
        assert len(row["keywords"].split("; ")) <= 10
        assert row["representative"] in set(THEMES[theme])
        assert row["code_coverage"] == pytest.approx(1.0)
        assert row["code_capture"] == pytest.approx(1.0)
        assert row["code_entropy"] == pytest.approx(0.0)
        assert not row["unclassified_by_codes"]
    assert result.activities["activity_id"].tolist() == ["T01", "T02", "T03"]
    assert result.activities["n_texts"].sum() + (result.text_assignments["activity_id"] == "-1").sum() == len(texts)
    assert set(result.activities["first_period"]) == {2010}


def test_text_assignments_and_scores(three: tuple[pd.DataFrame, ActivityResult]) -> None:
    texts, result = three
    placed = result.text_assignments
    assert placed["row"].tolist() == texts.index.tolist()
    assert (placed["firm_id"].to_numpy() == texts["firm_id"].to_numpy()).all()
    by_firm = result.assignments.set_index("firm_id")["activity_id"]
    # every text of this clean corpus lands in its firm's activity
    assert (placed["activity_id"].to_numpy() == placed["firm_id"].map(by_firm).to_numpy()).all()
    assert result.assignments["score"].between(-1, 1 + 1e-9).all()
    assert (result.assignments["score"] >= result.min_score).all()


def test_same_seed_same_result_and_seed_stored() -> None:
    texts = corpus()
    first = discover_activities(texts, n_activities=4, min_firms=1, rng=3)
    second = discover_activities(texts, n_activities=4, min_firms=1, rng=3)
    pd.testing.assert_frame_equal(first.activities, second.activities)
    pd.testing.assert_frame_equal(first.assignments, second.assignments)
    pd.testing.assert_frame_equal(first.text_assignments, second.text_assignments)
    assert first.seed == 3
    # without a seed one is drawn and stored: giving it back repeats the run exactly
    drawn = discover_activities(texts, n_activities=3, min_firms=3)
    again = discover_activities(texts, n_activities=3, min_firms=3, rng=drawn.seed)
    pd.testing.assert_frame_equal(drawn.assignments, again.assignments)
    assert discover_activities(texts, n_activities=3, min_firms=3).seed != drawn.seed  # a fresh one each time


@pytest.mark.parametrize("seed", [0, 1, 2, 42, 99])
def test_themes_recovered_for_any_seed(seed: int) -> None:
    texts = corpus()
    result = discover_activities(texts, n_activities=3, min_firms=3, rng=seed)
    theme_of = texts.drop_duplicates("firm_id").set_index("firm_id")["theme"]
    themes = result.assignments["firm_id"].map(theme_of)
    assert themes.groupby(result.assignments["activity_id"]).nunique().eq(1).all()
    assert len(result.activities) == 3


def test_as_of_leaves_out_later_texts_from_fit_and_counts() -> None:
    texts = corpus()
    later = pd.DataFrame({"firm_id": [f"late{i}" for i in range(6)],
                          "text": ["quantum sensing magnetometer for quantum navigation"] * 6,
                          "date": pd.Timestamp(2030, 1, 1), "code": "334511", "theme": "quantum"})
    both = pd.concat([texts, later], ignore_index=True)
    cutoff = pd.Timestamp(2015, 12, 31)
    result = discover_activities(both, n_activities=3, min_firms=2, rng=1, as_of=cutoff)
    assert result.as_of == cutoff
    assert (result.text_assignments["date"] <= cutoff).all()
    assert result.n_texts_used == int((both["date"] <= cutoff).sum())
    assert result.n_texts_dropped == len(both) - result.n_texts_used
    assert not result.assignments["firm_id"].str.startswith("late").any()
    assert "quantum" not in " ".join(result.activities["keywords"])
    # the texts after the cutoff are ignored entirely: the same result as when they are absent
    alone = discover_activities(texts, n_activities=3, min_firms=2, rng=1, as_of=cutoff)
    pd.testing.assert_frame_equal(result.activities, alone.activities)
    with pytest.raises(InputError, match="date"):
        discover_activities(texts.drop(columns="date"), n_activities=3, as_of="2015-01-01")


def test_small_activities_become_outliers() -> None:
    texts = corpus()
    odd = pd.DataFrame({"firm_id": ["odd1", "odd2"],
                        "text": ["quantum sensing magnetometer navigation", "quantum magnetometer sensing chips"]})
    result = discover_activities(pd.concat([texts, odd], ignore_index=True), n_activities=4, min_firms=3, rng=0)
    assert len(result.activities) == 3
    assert not result.assignments["firm_id"].isin(["odd1", "odd2"]).any()
    assert "-1" not in set(result.assignments["activity_id"])
    assert (result.activities["n_firms"] >= 3).all()


def test_mixed_codes_make_an_activity_unclassified() -> None:
    assignments = pd.DataFrame({"firm_id": list("abcdefg"), "activity_id": ["T01"] * 4 + ["T02"] * 3})
    codes = pd.Series(["x", "y", "z", "x", "x", "x", "y"], index=list("abcdefg"))
    fit = code_fit(assignments, codes)
    assert fit.loc["T01", "code_coverage"] == pytest.approx(0.5)
    assert fit.loc["T01", "dominant_code"] == "x"
    # entropy of (1/2, 1/4, 1/4) over log(3) distinct codes
    assert fit.loc["T01", "code_entropy"] == pytest.approx(1.5 * np.log(2) / np.log(3))
    assert fit.loc["T01", "code_capture"] == pytest.approx(2 / 4)
    assert fit.loc["T02", "code_coverage"] == pytest.approx(2 / 3)
    assert fit.loc["T02", "code_capture"] == pytest.approx(2 / 4)
    assert not fit["unclassified"].any()  # 0.5 is not below UNCLASSIFIED_BELOW
    fit = code_fit(assignments.assign(activity_id="T01"), pd.Series(list("xyzwvut"), index=list("abcdefg")))
    assert fit.loc["T01", "code_coverage"] < UNCLASSIFIED_BELOW
    assert fit.loc["T01", "unclassified"]


def test_without_codes_the_code_fit_is_empty(three: tuple[pd.DataFrame, ActivityResult]) -> None:
    texts, _ = three
    result = discover_activities(texts.drop(columns="code"), n_activities=3, min_firms=3, rng=7)
    assert result.activities["code_coverage"].isna().all()
    assert (result.activities["n_coded"] == 0).all()
    assert result.activities["unclassified"].dtype == bool
    assert not result.activities["unclassified_by_codes"].any()


def test_class_tfidf_matches_a_hand_computation() -> None:
    counts = np.array([[2, 0, 1], [0, 3, 1], [1, 1, 0]], dtype=float)
    weights = class_tfidf(__import__("scipy.sparse").sparse.csr_matrix(counts), np.array([0, 1, 0]), 2)
    per_class = np.array([[3, 1, 1], [0, 3, 1]], dtype=float)
    average = per_class.sum() / 2
    expected = per_class / per_class.sum(axis=1, keepdims=True) * np.log(1 + average / per_class.sum(axis=0))
    np.testing.assert_allclose(weights, expected, rtol=1e-12)


def test_bad_parameters_are_refused() -> None:
    texts = corpus()
    with pytest.raises(OptionError, match="n_broad"):
        discover_activities(texts, n_broad=0)
    with pytest.raises(OptionError, match="recent_years"):
        discover_activities(texts, recent_years=0)
    with pytest.raises(OptionError, match="tfidf-svd-kmeans"):
        discover_activities(texts, method="bertopic")
    with pytest.raises(OptionError, match="n_activities"):
        discover_activities(texts, n_activities=1)
    with pytest.raises(OptionError, match="min_firms"):
        discover_activities(texts, min_firms=0)
    with pytest.raises(OptionError, match="more than"):
        discover_activities(texts, n_activities=500)
    with pytest.raises(InputError, match="text"):
        discover_activities(texts.drop(columns="text"))
    with pytest.raises(InputError, match="at least 3 firms"):
        discover_activities(texts.head(2))
    assert default_n_activities(753) == 19 and default_n_activities(10**6) == 60 and default_n_activities(3) == 3


def test_demo_sbir_slice_gives_sensible_activities() -> None:
    texts = clusterwatch.read_firms(clusterwatch.demo_path(), format="sbir-awards").events
    result = discover_activities(texts, rng=0)
    table = result.activities
    assert 5 <= len(table) <= default_n_activities(texts["firm_id"].nunique())
    assert (table["n_firms"] >= 5).all()
    assert table["activity_id"].is_unique and table["n_firms"].is_monotonic_decreasing
    assert result.assignments["firm_id"].is_unique
    empty = texts["text"].isna() | (texts["text"].astype("string").str.strip() == "")
    assert result.n_texts_used == int((~empty).sum())
    keywords = " ".join(table["keywords"])
    for word in ("laser", "software", "cells"):
        assert word in keywords
    assert table["first_period"].min() >= 1983


def test_sample_of_all_sbir_abstracts(shared_data) -> None:  # type: ignore[no-untyped-def]
    path = shared_data / "sbir" / "awards.csv.gz"
    texts = clusterwatch.read_firms(path, format="sbir-abstracts").events
    sample = texts[texts["firm_id"].isin(texts["firm_id"].drop_duplicates().sample(800, random_state=5))]
    result = discover_activities(sample, n_activities=10, rng=2, as_of="2010-12-31")
    assert len(result.activities) >= 6
    assert result.text_assignments["date"].max() <= pd.Timestamp("2010-12-31")
    assert result.activities["n_firms"].sum() == len(result.assignments)


def test_duplicated_index_and_undated_texts_are_handled() -> None:
    texts = corpus().drop(columns="date")
    texts.index = [0] * len(texts)
    result = discover_activities(texts, n_activities=3, min_firms=3, rng=7)
    assert result.text_assignments["date"].isna().all()
    assert result.activities["first_period"].isna().all()
    for representative in result.activities["representative"]:
        assert representative in set(texts["text"])
    assert texts.index.tolist() == [0] * len(texts)  # the input is not changed


def test_extra_stop_words_leave_labels() -> None:
    texts = corpus()
    plain = discover_activities(texts, n_activities=3, min_firms=3, rng=7)
    assert "bakery" in " ".join(plain.activities["keywords"]).replace(";", " ").split()
    cleaned = discover_activities(texts, n_activities=3, min_firms=3, rng=7, extra_stop_words=["Bakery", "drone"])
    words = " ".join(cleaned.activities["keywords"]).replace(";", " ").split()
    assert "bakery" not in words and "drone" not in words
    with pytest.raises(OptionError, match="list of words"):
        discover_activities(texts, n_activities=3, extra_stop_words="bakery")


def test_large_input_paths_give_the_same_themes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The randomized SVD and mini-batch k-means used for large inputs, forced on the small corpus."""
    import clusterwatch.analysis.text.activities as module
    import clusterwatch.analysis.text.vectors as vectors

    monkeypatch.setattr(vectors, "EXACT_SVD_UP_TO", 0)
    monkeypatch.setattr(module, "MINIBATCH_ABOVE", 0)
    texts = corpus()
    theme_of = texts.drop_duplicates("firm_id").set_index("firm_id")["theme"]
    first = discover_activities(texts, n_activities=3, min_firms=3, rng=11)
    again = discover_activities(texts, n_activities=3, min_firms=3, rng=11)
    pd.testing.assert_frame_equal(first.assignments, again.assignments)
    themes = first.assignments["firm_id"].map(theme_of)
    assert themes.groupby(first.assignments["activity_id"]).nunique().eq(1).all()
    assert len(first.activities) == 3
