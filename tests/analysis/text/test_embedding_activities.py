"""Activities from sentence embeddings: themes recovered, cache, broad → fine nesting, novelty, as-of safety."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusterwatch import Workspace
from clusterwatch.analysis.text import discover_activities
from clusterwatch.analysis.text.activities import default_n_broad, resolve_method
from clusterwatch.errors import OptionError
from clusterwatch.io.embed_cache import (
    EmbeddingCache,
    TextEncoder,
    auto_encoder,
    embed_texts,
    embedding_available,
    model_id,
    text_hashes,
)

pytest.importorskip("sentence_transformers")
pytestmark = pytest.mark.skipif(not embedding_available(), reason="the text extra's packaged model is missing")

DRONES = [
    "Drone inspection of wind turbines with autonomous unmanned aerial vehicles",
    "Unmanned aerial vehicle flight control software for drone delivery",
    "Autonomous drone swarms for aerial mapping and inspection",
    "Drone battery and flight endurance for unmanned aerial inspection",
    "Aerial photography with drones and flight planning for surveys",
    "Unmanned aerial systems with obstacle avoidance for drone flight",
    "Drone payloads for aerial inspection of power lines",
    "Flight controller for autonomous unmanned aerial drones",
]
BIOTECH = [
    "Gene therapy vectors and protein engineering for rare diseases",
    "Antibody discovery using protein display and gene sequencing",
    "Cell therapy manufacturing with engineered proteins and gene editing",
    "CRISPR gene editing of cells for therapeutic protein expression",
    "Protein biomarkers and gene expression assays for cancer",
    "Monoclonal antibody protein therapeutics and cell lines",
    "Synthetic biology: engineered cells producing therapeutic protein",
    "Vaccine antigen protein expression in engineered cells and gene constructs",
]
BAKERIES = [
    "Artisan sourdough bread bakery with fresh pastries every morning",
    "Family bakery baking bread, cakes and pastries for cafes",
    "Wholesale bread bakery supplying sourdough loaves to shops",
    "Wedding cakes and pastries baked fresh in our bakery",
    "Gluten free bread and cakes from a local bakery",
    "Bakery cafe with croissants, pastries and bread to take away",
    "Organic flour sourdough bread baked daily at the bakery",
    "Traditional rye bread and pastries from the village bakery",
]
# bakeries are old (1990s), biotech steady, drones all recent (2019-2024): a new, rising activity
YEARS = {"bake": range(1990, 1998), "bio": range(2000, 2024, 3), "drone": range(2017, 2025)}


def corpus() -> pd.DataFrame:
    rows = []
    for theme, texts in (("drone", DRONES), ("bio", BIOTECH), ("bake", BAKERIES)):
        for i, (text, year) in enumerate(zip(texts, YEARS[theme], strict=True)):
            rows.append((f"{theme}{i:02d}", text, pd.Timestamp(year, 6, 1), theme))
    return pd.DataFrame(rows, columns=["firm_id", "text", "date", "theme"])


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    return discover_activities(corpus(), n_activities=3, n_broad=2, min_firms=3, rng=4, method="embedding-kmeans",
                               encode=TextEncoder())


def test_embeddings_recover_the_three_themes(result) -> None:  # type: ignore[no-untyped-def]
    theme = corpus().set_index("firm_id")["theme"]
    assigned = result.assignments.assign(theme=result.assignments["firm_id"].map(theme))
    assert result.method == "embedding-kmeans" and result.model == "all-MiniLM-L6-v2@96"
    assert len(result.activities) == 3 and len(result.assignments) == 24
    assert assigned.groupby("activity_id")["theme"].nunique().eq(1).all()
    assert result.embedding is not None and result.embedding.n_embedded == 24
    assert (result.activities["method"] == "embedding-kmeans").all()
    labels = " ".join(result.activities["keywords"])
    for word in ("drone", "bread", "protein"):
        assert word in labels


def test_broad_level_nests_the_fine_one(result) -> None:  # type: ignore[no-untyped-def]
    table, broad = result.activities, result.broad
    assert result.n_broad == 2 and list(broad["broad_id"]) == ["B01", "B02"]
    assert broad["n_activities"].sum() == 3 and broad["n_firms"].sum() == table["n_firms"].sum()
    assert broad["n_firms"].is_monotonic_decreasing
    for row in broad.itertuples():
        members = table.loc[table["broad_id"] == row.broad_id, "activity_id"]
        assert "; ".join(members) == row.activity_ids
    # each firm's broad id is its fine activity's
    joined = result.assignments.merge(table[["activity_id", "broad_id"]], on="activity_id", suffixes=("", "_fine"))
    assert (joined["broad_id"] == joined["broad_id_fine"]).all()
    assert default_n_broad(60) == 11 and default_n_broad(1) == 1


def test_novelty_finds_the_new_rising_activity(result) -> None:  # type: ignore[no-untyped-def]
    table = result.activities.set_index("label")
    drone = table[table.index.str.contains("drone")].iloc[0]
    bakery = table[table["keywords"].str.contains("bread")].iloc[0]
    assert result.recent_from == 2024 - 5 + 1
    assert drone["first_period"] == 2017 and not drone["new"]  # 2017 is before the 2020-2024 window
    assert drone["trend"] == "increasing" and drone["trend_p"] < 0.05
    assert bakery["trend"] == "decreasing" and bakery["recent_share"] == 0.0
    # periods: one row per activity and year 1990..2024; shares add up to 1 in years where every text is placed
    periods = result.periods
    assert set(periods["period"]) == set(range(1990, 2025))
    per_year = periods.groupby("period")["share"].sum()
    placed = result.text_assignments[result.text_assignments["activity_id"] != "-1"]
    assert per_year.loc[sorted(placed["date"].dt.year.unique())].round(12).eq(1.0).all()
    assert set(result.new_activities()["activity_id"]) >= {drone.name and table.loc[drone.name, "activity_id"]}


def test_recent_window_makes_drones_new() -> None:
    result = discover_activities(corpus(), n_activities=3, min_firms=3, rng=4, method="embedding-kmeans",
                                 encode=TextEncoder(), recent_years=8, code_systems=())
    new = result.activities.loc[result.activities["new"], "keywords"]
    assert len(new) == 1 and "drone" in new.iloc[0]


def test_as_of_uses_nothing_later() -> None:
    result = discover_activities(corpus(), n_activities=2, min_firms=3, rng=4, method="embedding-kmeans",
                                 encode=TextEncoder(), as_of="2012-12-31", code_systems=())
    assert result.text_assignments["date"].max() <= pd.Timestamp("2012-12-31")
    assert result.periods["period"].max() == 2012
    assert not result.assignments["firm_id"].str.startswith("drone").any()
    assert result.n_texts_dropped == sum(1 for d in corpus()["date"] if d > pd.Timestamp("2012-12-31"))


def test_second_run_reads_the_cache(tmp_path) -> None:  # type: ignore[no-untyped-def]
    texts = corpus()
    with Workspace(tmp_path / "ws.duckdb") as ws:
        first = discover_activities(texts, n_activities=3, min_firms=3, rng=4, method="embedding-kmeans",
                                    encode=TextEncoder(cache=ws), code_systems=())
        second = discover_activities(texts, n_activities=3, min_firms=3, rng=4, method="embedding-kmeans",
                                     encode=TextEncoder(cache=ws), code_systems=())
        stored = ws.sql("SELECT model, count(*) AS n FROM embeddings GROUP BY model")
    assert first.embedding.n_embedded == 24 and first.embedding.n_cached == 0
    assert second.embedding.n_embedded == 0 and second.embedding.n_cached == 24
    pd.testing.assert_frame_equal(first.assignments, second.assignments)
    assert stored.to_dict("records") == [{"model": "all-MiniLM-L6-v2@96", "n": 24}]


def test_embed_texts_cache_file_progress_and_duplicates(tmp_path) -> None:  # type: ignore[no-untyped-def]
    calls: list[tuple[int, int]] = []
    texts = ["drone survey", "bread bakery", "drone survey ", None]
    out = embed_texts(texts, cache=tmp_path / "cache.duckdb", progress=lambda d, t: calls.append((d, t)))
    assert out.vectors.shape == (4, 384) and out.n_unique == 3 and out.n_embedded == 3
    np.testing.assert_allclose(np.linalg.norm(out.vectors[:3], axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(out.vectors[0], out.vectors[2])
    assert calls == [(3, 3)]
    again = embed_texts(texts, cache=tmp_path / "cache.duckdb")
    assert again.n_embedded == 0 and again.n_cached == 3 and again.device == ""
    np.testing.assert_array_equal(out.vectors, again.vectors)
    cache = EmbeddingCache(tmp_path / "cache.duckdb")
    assert len(cache) == 3 and cache.models()["model"].tolist() == [model_id()]
    found, vectors = cache.get(model_id(), text_hashes(["bread bakery", "unseen"]))
    cache.close()
    assert found.tolist() == [True, False]
    np.testing.assert_array_equal(vectors[0], out.vectors[1])
    # a different truncation is a different model id: nothing is reused
    other = embed_texts(texts, cache=tmp_path / "cache.duckdb", max_tokens=16)
    assert other.model == "all-MiniLM-L6-v2@16" and other.n_embedded == 3
    # the shared model object is not left truncated: the default length gives the first vectors again
    np.testing.assert_allclose(embed_texts(texts).vectors, out.vectors, atol=1e-6)


def test_bad_embedding_options() -> None:
    with pytest.raises(OptionError, match="unknown model"):
        embed_texts(["a"], model="/no/such/model")
    with pytest.raises(OptionError, match="max_tokens"):
        embed_texts(["a"], max_tokens=2)
    with pytest.raises(OptionError, match="batch_size"):
        embed_texts(["a"], batch_size=0)
    with pytest.raises(OptionError, match="precision"):
        embed_texts(["a"], precision="int4")
    with pytest.raises(OptionError, match="cache"):
        embed_texts(["a"], cache=3.5)
    with pytest.raises(OptionError, match="method"):
        resolve_method("bertopic")
    assert resolve_method("auto") == "tfidf-svd-kmeans"  # no encode given
    assert resolve_method("auto", TextEncoder()) == "embedding-kmeans"


def test_auto_falls_back_to_tfidf_without_the_text_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import clusterwatch.io.embed_cache as module
    from clusterwatch.errors import MissingDependencyError

    monkeypatch.setattr(module, "embedding_available", lambda model=None: False)
    assert auto_encoder("auto") is None and auto_encoder("tfidf-svd-kmeans") is None
    result = discover_activities(corpus(), n_activities=3, min_firms=3, rng=4, code_systems=(),
                                 encode=auto_encoder("auto"))
    assert result.method == "tfidf-svd-kmeans" and result.model == "tfidf-svd" and result.embedding is None
    assert (result.activities["method"] == "tfidf-svd-kmeans").all()
    with pytest.raises(OptionError, match="needs encode"):
        discover_activities(corpus(), n_activities=3, method="embedding-kmeans")
    with pytest.raises(OptionError, match="unknown model"):
        auto_encoder("embedding-kmeans", model="/no/such/folder")

    def missing(name: str, *, extra: str) -> None:
        raise MissingDependencyError(f"{name} is needed; install clusterwatch[{extra}]")

    monkeypatch.setattr(module, "import_optional", missing)
    with pytest.raises(MissingDependencyError, match="text"):
        auto_encoder("embedding-kmeans")


def test_any_encode_callable_works_and_bad_shapes_are_refused() -> None:
    """The analysis takes any encode(texts): here a word-count space, no model."""
    words = ["drone", "protein", "bread"]

    def encode(texts: list[str]) -> np.ndarray:
        rows = np.array([[t.lower().count(w) + 1e-3 for w in words] for t in texts], dtype=float)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    result = discover_activities(corpus(), n_activities=3, min_firms=3, rng=4, encode=encode, code_systems=())
    assert result.method == "embedding-kmeans" and result.model == "encode" and result.embedding is None
    table = result.assignments.merge(corpus()[["firm_id", "theme"]].drop_duplicates(), on="firm_id")
    assert (table.groupby("activity_id")["theme"].nunique() == 1).all()  # each group is one theme
    with pytest.raises(OptionError, match="one row per text"):
        discover_activities(corpus(), n_activities=3, min_firms=3, rng=4, encode=lambda texts: np.eye(2),
                            code_systems=())
