"""Text activities on real data: Norwegian register texts against their NACE codes; SBIR abstracts with embeddings.

Sized for CI (two cores): 2,000 Norwegian firms with TF-IDF, and 300 SBIR abstracts embedded once (the code-title
fit is left out: it would embed thousands of titles).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clusterwatch
from clusterwatch.analysis.text import NORWEGIAN_STOP_WORDS, SBIR_STOP_WORDS, code_fit, discover_activities
from clusterwatch.analysis.text.agreement import code_agreement, code_prefix
from clusterwatch.io.embed_cache import TextEncoder, embedding_available

#: Norwegian function words and a little register boilerplate (``max_df`` drops the rest).
NORWEGIAN = (*NORWEGIAN_STOP_WORDS, "samt", "selskapet", "selskaper", "virksomhet", "herunder", "står", "alt",
             "forbindelse", "hermed", "dermed")
SHUFFLES = 20


@pytest.fixture(scope="module")
def norway(shared_data: Path) -> tuple[pd.DataFrame, object]:
    firms = clusterwatch.read_firms(shared_data / "norway_brreg" / "brreg_enheter_sample_with_text.csv.gz",
                                    format="norway-brreg").firms
    firms = firms[firms["description"].notna() & firms["code"].notna()].sample(2_000, random_state=4)
    texts = pd.DataFrame({"firm_id": firms["firm_id"].astype("string"), "text": firms["description"],
                          "code": firms["code"].astype("string")})
    result = discover_activities(texts, rng=4, method="tfidf-svd-kmeans", extra_stop_words=NORWEGIAN,
                                 code_systems=())
    return texts, result


def test_norwegian_activities_agree_with_nace_far_above_chance(norway) -> None:  # type: ignore[no-untyped-def]
    texts, result = norway
    codes = texts.set_index("firm_id")["code"]
    found = code_agreement(result.assignments, codes, level=2)
    assert found.n_compared == len(result.assignments)  # every firm here has a code
    rng = np.random.default_rng(0)
    chance = [
        code_agreement(result.assignments.assign(activity_id=rng.permutation(result.assignments["activity_id"])),
                       codes, level=2)
        for _ in range(SHUFFLES)
    ]
    assert max(abs(c.adjusted_rand) for c in chance) < 0.01
    assert found.adjusted_rand > 0.05
    assert found.adjusted_rand > 5 * max(c.adjusted_rand for c in chance)
    assert found.normalized_mutual_info > max(c.normalized_mutual_info for c in chance) + 0.1
    # subclasses refine divisions: an activity's firms can only spread over more of them (completeness grows)
    subclass = code_agreement(result.assignments, codes)
    assert subclass.completeness >= found.completeness - 1e-9


def test_some_norwegian_activity_is_one_nace_division(norway) -> None:  # type: ignore[no-untyped-def]
    texts, result = norway
    divisions = code_prefix(texts.set_index("firm_id")["code"], 2)
    fit = code_fit(result.assignments, divisions)
    dominated = fit[(fit["n_coded"] >= 10) & (fit["code_coverage"] >= 0.8)]
    assert len(dominated) >= 1
    # and not all of them: the texts find groups the divisions split (e.g. property development, holdings)
    assert (fit["code_coverage"] < 0.5).any()
    assert result.activities["n_firms"].sum() == len(result.assignments)


@pytest.fixture(scope="module")
def sbir(shared_data: Path) -> pd.DataFrame:
    texts = clusterwatch.read_firms(shared_data / "sbir" / "awards.csv.gz", format="sbir-abstracts").events
    texts = texts[texts["text"].notna() & texts["date"].between("2002-01-01", "2009-12-31")]
    firms = texts["firm_id"].drop_duplicates().sample(200, random_state=8)
    return texts[texts["firm_id"].isin(set(firms))].head(300).reset_index(drop=True)


@pytest.mark.skipif(not embedding_available(), reason="needs the text extra (sentence-transformers + packaged model)")
def test_sbir_embeddings_as_of_cache_and_keywords(sbir: pd.DataFrame, tmp_path: Path) -> None:
    as_of = pd.Timestamp("2006-12-31")
    cache = tmp_path / "embeddings.duckdb"
    options = {"n_activities": 6, "min_firms": 3, "rng": 1, "as_of": as_of, "method": "embedding-kmeans",
               "code_systems": (), "extra_stop_words": SBIR_STOP_WORDS}
    first = discover_activities(sbir, encode=TextEncoder(cache=cache), **options)
    kept = int((sbir["date"] <= as_of).sum())
    assert first.method == "embedding-kmeans" and first.embedding is not None
    assert first.n_texts_used == kept and first.n_texts_dropped == len(sbir) - kept
    assert first.embedding.n_embedded == first.embedding.n_unique > 0

    # as-of safety: nothing after as_of anywhere
    assert first.text_assignments["date"].max() <= as_of
    assert first.periods["period"].max() <= as_of.year
    assert first.activities["first_period"].max() <= as_of.year
    placed = first.text_assignments["activity_id"] != "-1"
    assert first.activities["n_texts"].sum() == int(placed.sum())

    # the cache: a second run embeds nothing and gives the same activities
    second = discover_activities(sbir, encode=TextEncoder(cache=cache), **options)
    assert second.embedding is not None
    assert second.embedding.n_embedded == 0 and second.embedding.n_cached == first.embedding.n_unique
    pd.testing.assert_frame_equal(first.assignments, second.assignments)
    pd.testing.assert_frame_equal(first.text_assignments, second.text_assignments)

    # keywords say what the activity's texts say: each activity's top 3 keywords appear in a larger share of its
    # own texts than of the other texts (for all but at most one activity)
    used = first.text_assignments.merge(sbir[["text"]], left_on="row", right_index=True)
    lowered = used["text"].str.lower()
    lifts = []
    for row in first.activities.itertuples(index=False):
        words = row.keywords.split("; ")[:3]
        mentions = np.column_stack([lowered.str.contains(w, regex=False).to_numpy() for w in words]).any(axis=1)
        inside = used["activity_id"].to_numpy() == row.activity_id
        lifts.append(mentions[inside].mean() / max(mentions[~inside].mean(), 1e-9))
    assert sum(lift <= 1.0 for lift in lifts) <= 1
    assert np.median(lifts) > 1.5
