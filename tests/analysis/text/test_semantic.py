"""Code fit (b): activities against official code titles; hand-built vector spaces, then the real embedding model."""

from __future__ import annotations

import re
import zlib

import numpy as np
import pandas as pd
import pytest

from clusterwatch.analysis.text import SEMANTIC_UNCLASSIFIED_BELOW, lsa_encoder, memoised, semantic_fit, title_table
from clusterwatch.errors import InputError, OptionError

EXACT = 1e-9

PROGRAMMING = "Computer programming activities"  # NACE 62.01 and UK SIC 62.01 (its subclasses have other titles)
BREAD = "Manufacture of bread; manufacture of fresh pastry goods and cakes"  # 10.71
BREAD_SHOP = "Retail sale of bread, cakes, flour confectionery and sugar confectionery in specialised stores"  # 47.24
CONSULTANCY = "Computer consultancy activities"  # 62.02


def axis_encoder(vectors: dict[str, list[float]]):
    """An encode that gives the listed titles the listed (normalised) vectors and every other title a zero row."""
    width = len(next(iter(vectors.values())))
    table = {title: np.asarray(v, dtype=float) / np.linalg.norm(v) for title, v in vectors.items()}
    calls: list[int] = []

    def encode(texts: list[str]) -> np.ndarray:
        calls.append(len(texts))
        return np.stack([table.get(t, np.zeros(width)) for t in texts])

    encode.calls = calls  # type: ignore[attr-defined]
    return encode


def unit(*values: float) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    return v / np.linalg.norm(v)


# --- title_table -------------------------------------------------------------------------------------------------


def test_title_table_leaves_out_generic_unofficial_retired_and_repeated_titles():
    titles = title_table()
    assert titles.columns.tolist() == ["system", "code", "level", "title"]
    assert list(dict.fromkeys(titles["system"])) == ["naics", "nace2", "uksic2007"]
    assert not titles["level"].isin(["sector", "section"]).any()
    uk = set(titles.loc[titles["system"] == "uksic2007", "code"])
    assert {"74990", "98000", "99999"}.isdisjoint(uk)  # Companies House admin codes: dormant, non-trading, ...
    assert "62012" in uk
    naics = set(titles.loc[titles["system"] == "naics", "code"])
    assert "541711" not in naics and "541713" in naics  # retired in 2017 / current
    for _, group in titles.groupby("system"):
        keys = group["title"].str.casefold().str.split().str.join(" ")
        assert keys.is_unique
    nace = titles[titles["system"] == "nace2"].set_index("code")
    assert "0130" in nace.index and "013" not in nace.index  # 'Plant propagation': the class, not its group
    assert "01" in nace.index and nace.loc["01", "level"] == "division"


def test_title_table_follows_the_order_given_and_returns_a_copy():
    titles = title_table(["uksic2007", "nace2"])
    assert list(dict.fromkeys(titles["system"])) == ["uksic2007", "nace2"]
    titles.loc[0, "title"] = "changed"
    assert title_table(["uksic2007", "nace2"]).loc[0, "title"] != "changed"
    assert title_table("nace2").equals(title_table(["nace2"]))


@pytest.mark.parametrize("systems, message", [
    ([], "at least one"),
    (["sn2007"], "Norwegian"),
    (["isic4"], "unknown code system"),
    (["nace2", "NACE2"], "twice"),
])
def test_title_table_rejects_bad_systems(systems, message):
    with pytest.raises(OptionError, match=message):
        title_table(systems)


# --- semantic_fit on hand-built spaces ---------------------------------------------------------------------------


def test_best_title_similarity_order_and_flag_by_hand():
    encode = axis_encoder({PROGRAMMING: [1, 0, 0], BREAD: [0, 1, 0], BREAD_SHOP: [0, 1, 1], CONSULTANCY: [1, 1, 0]})
    centroids = np.stack([unit(0.6, 0.8, 0), unit(0, 0, 1), unit(1, 0, 0)])
    fit = semantic_fit(centroids, encode, systems=["nace2"], threshold=0.6, top=3)
    assert fit.index.equals(pd.RangeIndex(3))
    # row 0 = (0.6, 0.8, 0): CONSULTANCY (0.6 + 0.8) / sqrt(2) = 0.990, BREAD 0.8, PROGRAMMING 0.6, BREAD_SHOP 0.566
    assert fit.loc[0, ["best_system", "best_code", "best_title"]].tolist() == ["nace2", "6202", CONSULTANCY]
    assert fit.loc[0, "title_similarity"] == pytest.approx(1.4 / np.sqrt(2), abs=EXACT)
    assert fit.loc[0, "top_titles"] == (f"nace2 6202 {CONSULTANCY} (0.99); nace2 1071 {BREAD} (0.80); "
                                        f"nace2 6201 {PROGRAMMING} (0.60)")
    # row 1 = (0, 0, 1): only BREAD_SHOP, at 1 / sqrt(2) = 0.707
    assert fit.loc[1, "best_code"] == "4724"
    assert fit.loc[1, "top_titles"] == f"nace2 4724 {BREAD_SHOP} (0.71)"
    # row 2 = (1, 0, 0): PROGRAMMING exactly
    assert fit.loc[2, "best_code"] == "6201"
    assert fit.loc[2, "title_similarity"] == pytest.approx(1.0, abs=EXACT)
    assert fit["unclassified_by_titles"].tolist() == [False, False, False]
    assert semantic_fit(centroids, encode, systems=["nace2"], threshold=0.75)["unclassified_by_titles"].tolist() == [
        False, True, False]
    assert fit["unclassified_by_titles"].dtype == bool
    assert fit["title_similarity"].dtype == float


def test_threshold_is_strict_and_top_is_a_cap():
    encode = axis_encoder({BREAD: [1, 0], CONSULTANCY: [0, 1]})
    centroid = unit(0.6, 0.8)[None, :]
    at = semantic_fit(centroid, encode, systems=["nace2"], threshold=0.8)
    assert at.loc[0, "title_similarity"] == pytest.approx(0.8, abs=EXACT)
    assert not at.loc[0, "unclassified_by_titles"]  # equal is not below
    assert semantic_fit(centroid, encode, systems=["nace2"], threshold=0.81).loc[0, "unclassified_by_titles"]
    one = semantic_fit(centroid, encode, systems=["nace2"], threshold=0.5, top=1)
    assert one.loc[0, "top_titles"] == f"nace2 6202 {CONSULTANCY} (0.80)"
    many = semantic_fit(centroid, encode, systems=["nace2"], threshold=0.5, top=10)
    assert many.loc[0, "top_titles"].count("(0.") == 2  # only the titles with a positive similarity are listed


def test_zero_title_vectors_match_nothing():
    encode = axis_encoder({BREAD: [1, 0, 0]})
    fit = semantic_fit(np.stack([unit(0, 1, 1), unit(1, 1, 0)]), encode, systems=["nace2"], threshold=0.3)
    assert fit.loc[0, "title_similarity"] == 0.0
    assert pd.isna(fit.loc[0, "best_code"]) and pd.isna(fit.loc[0, "best_title"]) and pd.isna(fit.loc[0, "best_system"])
    assert fit.loc[0, "top_titles"] == ""
    assert fit.loc[0, "unclassified_by_titles"]
    assert fit.loc[1, "best_code"] == "1071" and not fit.loc[1, "unclassified_by_titles"]


def test_identical_titles_in_two_systems_tie_first_system_wins_and_are_listed_once():
    encode = axis_encoder({PROGRAMMING: [1, 0], CONSULTANCY: [1, 1]})
    centroid = unit(1, 0)[None, :]
    nace_first = semantic_fit(centroid, encode, systems=["nace2", "uksic2007"], threshold=0.5)
    uk_first = semantic_fit(centroid, encode, systems=["uksic2007", "nace2"], threshold=0.5)
    assert nace_first.loc[0, ["best_system", "best_code"]].tolist() == ["nace2", "6201"]
    assert uk_first.loc[0, ["best_system", "best_code"]].tolist() == ["uksic2007", "6201"]
    assert nace_first.loc[0, "top_titles"] == f"nace2 6201 {PROGRAMMING} (1.00); nace2 6202 {CONSULTANCY} (0.71)"
    assert encode.calls[0] == len(set(title_table(["nace2", "uksic2007"])["title"]))  # each distinct title once


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_a_plain_loop_in_a_random_space(seed):
    """Every title gets a random vector (a tenth of them zero); the best title and top list match a brute force."""
    dims = 6

    def encode(texts):
        rows = []
        for text in texts:
            rng = np.random.default_rng([seed, zlib.crc32(text.encode())])
            v = rng.normal(size=dims)
            rows.append(np.zeros(dims) if rng.random() < 0.1 else v / np.linalg.norm(v))
        return np.stack(rows)

    rng = np.random.default_rng(seed)
    centroids = rng.normal(size=(7, dims))
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    systems = ["naics", "nace2", "uksic2007"]
    fit = semantic_fit(centroids, encode, systems=systems, threshold=0.9, top=4)
    titles = title_table(systems)
    vectors = encode(titles["title"].tolist())
    for row, centroid in enumerate(centroids):
        scores = [float(centroid @ v) for v in vectors]
        best = max(range(len(scores)), key=lambda i: (scores[i], -i))
        assert fit.loc[row, "title_similarity"] == pytest.approx(scores[best], abs=1e-12)
        assert fit.loc[row, "best_title"] == titles.loc[best, "title"]
        assert fit.loc[row, "unclassified_by_titles"] == (scores[best] < 0.9)
        listed = re.findall(r"\((-?\d\.\d\d)\)(?:; |$)", fit.loc[row, "top_titles"])
        assert len(listed) == 4
        assert [float(x) for x in listed] == sorted((float(x) for x in listed), reverse=True)


@pytest.mark.parametrize("centroids, message", [
    (np.zeros((0, 3)), "non-empty"),
    (np.array([1.0, 0.0, 0.0]), "k × d"),
    (np.array([[1.0, 1.0, 0.0]]), "L2-normalised"),
    (np.array([[0.0, 0.0, 0.0]]), "L2-normalised"),
    (np.array([[np.nan, 0.0, 0.0]]), "NaN"),
])
def test_bad_centroids(centroids, message):
    encode = axis_encoder({BREAD: [1, 0, 0]})
    with pytest.raises(InputError, match=message):
        semantic_fit(centroids, encode, systems=["nace2"], threshold=0.5)


@pytest.mark.parametrize("encode, message", [
    (lambda texts: np.ones((len(texts), 4)) / 2.0, "expected"),  # 4 dimensions, centroids have 3
    (lambda texts: np.eye(3)[np.zeros(len(texts) - 1, dtype=int)], "expected"),  # a row short
    (lambda texts: np.ones((len(texts), 3)), "encoded titles must be L2-normalised"),
    (lambda texts: np.full((len(texts), 3), np.inf), "NaN or infinite"),
])
def test_bad_encode_output(encode, message):
    with pytest.raises(InputError, match=message):
        semantic_fit(unit(1, 0, 0)[None, :], encode, systems=["nace2"], threshold=0.5)


@pytest.mark.parametrize("options, message", [
    ({"threshold": 1.5}, "threshold"),
    ({"threshold": "high"}, "threshold"),
    ({"threshold": 0.5, "top": 0}, "top"),
    ({"threshold": 0.5, "top": True}, "top"),
    ({"threshold": 0.5, "systems": ["sn2007"]}, "Norwegian"),
])
def test_bad_options(options, message):
    with pytest.raises(OptionError, match=message):
        semantic_fit(unit(1, 0, 0)[None, :], axis_encoder({BREAD: [1, 0, 0]}), **options)


def test_thresholds_cover_the_embedding_and_tfidf_methods():
    assert set(SEMANTIC_UNCLASSIFIED_BELOW) == {"embedding-kmeans", "tfidf-svd-kmeans"}
    assert all(0.0 < value < 1.0 for value in SEMANTIC_UNCLASSIFIED_BELOW.values())


# --- encoders ----------------------------------------------------------------------------------------------------


def test_memoised_encoder_embeds_each_text_once():
    embedded: list[list[str]] = []

    def fake_encode(texts):
        embedded.append(list(texts))
        return np.stack([unit(len(t), 1.0) for t in texts]).astype(np.float32)

    encode = memoised(fake_encode)
    first = encode(["bb", "a", "bb"])
    second = encode(["a", "ccc"])
    assert embedded == [["a", "bb"], ["ccc"]]
    np.testing.assert_array_equal(first[0], first[2])
    np.testing.assert_array_equal(first[1], second[0])
    assert first.shape == (3, 2) and first.dtype == np.float32
    assert encode([]).shape == (0, 2)


def test_lsa_encoder_gives_unknown_titles_zero_rows():
    sklearn_text = pytest.importorskip("sklearn.feature_extraction.text")
    docs = ["drone flight software", "drone camera flight", "bread bakery ovens", "bakery bread cakes"]
    counter = sklearn_text.CountVectorizer().fit(docs)
    tfidf = sklearn_text.TfidfTransformer().fit(counter.transform(docs))
    components = np.linalg.svd(tfidf.transform(counter.transform(docs)).toarray(), full_matrices=False)[2][:2]
    encode = lsa_encoder(counter, tfidf, components)
    rows = encode(["Drone services", "Manufacture of steel", "Bakery"])
    assert rows.shape == (3, 2)
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), [1.0, 0.0, 1.0], atol=1e-12)
    centroid = encode(["drone flight"])
    fit = semantic_fit(centroid, encode, systems=["nace2"], threshold=0.5)
    assert not fit.loc[0, "unclassified_by_titles"]


# --- real data: the UK Industrial Strategy's frontier sectors against UK SIC 2007 -------------------------------


def _letters(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def _auc(higher, lower) -> float:
    higher, lower = np.asarray(higher)[:, None], np.asarray(lower)[None, :]
    return float(((higher > lower).sum() + 0.5 * (higher == lower).sum()) / (higher.size * lower.size))


@pytest.fixture(scope="module")
def uk_sector_names(shared_data):
    path = shared_data / "uk_sector_defs" / "industrialstrategy2025sectordefs.csv"
    if not path.exists():
        pytest.skip(f"{path} not present")
    defs = pd.read_csv(path, dtype=str, keep_default_na=False)

    def missing(column):
        return defs[column].str.strip().isin(["", "NA"])

    coded = ~missing("sic_code")
    return {
        "established": sorted(set(defs.loc[coded & ~missing("SIC_name"), "SIC_name"])),
        "coded_subsectors": sorted(set(defs.loc[coded & ~missing("frontier_subsector_ifnotSIC"),
                                                "frontier_subsector_ifnotSIC"])),
        "frontier": sorted(set(defs.loc[~coded, "frontier_subsector_ifnotSIC"])),
    }


def test_frontier_sectors_fit_uk_sic_titles_worse_than_established_ones(uk_sector_names):
    """Frontier subsectors (no SIC code) sit far from every UK SIC title; established SIC activities close to one.

    94 of the established names are literally a SIC title, so the separation is also measured with the titles
    identical to a name left out: the nearest *other* title must still beat the frontier names.
    """
    pytest.importorskip("sentence_transformers")
    from clusterwatch.io.embed_cache import embedding_available

    if not embedding_available():
        pytest.skip("the packaged embedding model is not installed")
    names = uk_sector_names
    assert len(names["frontier"]) == 23 and len(names["established"]) > 90
    from clusterwatch.io.embed_cache import TextEncoder

    encode = memoised(TextEncoder(batch_size=256))
    systems = ["uksic2007"]
    titles = title_table(systems)
    title_vectors = encode(titles["title"].tolist()).astype(float)
    title_keys = np.array([_letters(t) for t in titles["title"]])
    fits, without_identity, is_title = {}, {}, {}
    for group, group_names in names.items():
        vectors = encode(group_names).astype(float)
        fits[group] = semantic_fit(vectors, encode, systems=systems, threshold=SEMANTIC_UNCLASSIFIED_BELOW[
            "embedding-kmeans"])
        similarity = vectors @ title_vectors.T
        np.testing.assert_allclose(fits[group]["title_similarity"], similarity.max(axis=1), atol=1e-6)
        identical = title_keys[None, :] == np.array([_letters(n) for n in group_names])[:, None]
        without_identity[group] = np.where(identical, -np.inf, similarity).max(axis=1)
        is_title[group] = identical.any(axis=1)

    frontier = fits["frontier"]["title_similarity"].to_numpy()
    established = fits["established"]["title_similarity"].to_numpy()
    established_other = without_identity["established"]
    assert is_title["established"].sum() >= 90 and not is_title["frontier"].any()
    assert (established[is_title["established"]] > 0.85).all()  # a title matches itself, commas or not
    assert _auc(established, frontier) >= 0.95  # measured 0.993
    assert _auc(established_other, frontier) >= 0.90  # measured 0.959
    assert np.median(frontier) < 0.55 < np.quantile(established_other, 0.1)  # measured 0.49 and 0.61
    assert np.mean(frontier < 0.55) >= 2 / 3  # measured 0.74
    assert np.mean(established_other < 0.55) <= 0.1  # measured 0.05
    # short names of SIC-coded subsectors ("Steel", "Ports") carry no title wording, yet still beat the frontier
    assert _auc(fits["coded_subsectors"]["title_similarity"], frontier) >= 0.65  # measured 0.75
    best = dict(zip(names["frontier"], fits["frontier"]["best_title"], strict=True))
    assert best["Complex weapons"] == "Manufacture of weapons and ammunition"  # a fair nearest title
