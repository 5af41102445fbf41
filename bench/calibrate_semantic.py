"""Calibration of the semantic code fit's thresholds (SEMANTIC_UNCLASSIFIED_BELOW) on real data.

(a) UK Industrial Strategy 2025 sector names against official code titles: established SIC names (with and
without the titles identical to the name), short names of SIC-coded subsectors, frontier subsectors without a code.
(b) SBIR abstracts: best-title similarity of k-means activity centroids, and of 27 keyword-defined pseudo-activities
(12 frontier themes, 15 themes an official code names), with a threshold grid; for sentence embeddings and for the
TF-IDF + SVD fallback.

    .venv/bin/python bench/calibrate_semantic.py [--cache embeddings.duckdb] [--n-abstracts 2000]

Embedding ~3,500 abstracts takes about a minute at ~60 texts/s on the 2-core machine (free the second time with
--cache).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction import text as sk_text

import clusterwatch
from clusterwatch.analysis.text import SBIR_STOP_WORDS
from clusterwatch.analysis.text.semantic import lsa_encoder, memoised, semantic_fit, title_table
from clusterwatch.io.embed_cache import TextEncoder, embed_texts

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ALL = ("naics", "nace2", "uksic2007")
QUANTILES = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1]
GRID = np.round(np.arange(0.40, 0.66, 0.025), 3)

FRONTIER = {
    "quantum computing": r"quantum (?:comput|information|key distribution|cryptograph|sensing|network)|\bqubits?\b",
    "drones": r"unmanned aerial|\buavs?\b|\bdrones?\b|autonomous (?:vehicle|system|navigation|robot)",
    "AI": r"machine learning|artificial intelligence|deep learning|neural networks?\b",
    "cybersecurity": r"cyber ?security|intrusion detection|malware|cyber ?attack",
    "hydrogen and fuel cells": r"hydrogen (?:production|storage|generation)|fuel cells?\b|electroly[sz]er",
    "directed energy": r"directed energy|high energy laser|high power microwave",
    "engineering biology": r"synthetic biology|metabolic engineering|\bcrispr|genetically engineered "
                           r"(?:microb|organism|bacteri|yeast)",
    "carbon capture": r"carbon capture|co2 capture|carbon sequestration|co2 sequestration|carbon dioxide capture",
    "nuclear fusion": r"fusion (?:energy|reactor|plasma|power)|tokamak|inertial confinement",
    "advanced materials": r"metamaterial|carbon nanotube|graphene|nanocomposite",
    "wind energy": r"wind turbines?\b|wind energy|offshore wind|wind power",
    "additive manufacturing": r"additive manufacturing|3d printing|3-d printing",
}
ESTABLISHED = {
    "batteries": r"lithium[- ]ion batter|rechargeable batter",
    "vaccines": r"\bvaccines?\b",
    "dental": r"\bdental\b|\bdentist|\bteeth\b",
    "aircraft engines": r"gas turbine engine|jet engine|turbofan",
    "crops": r"\bcrops?\b|\bfarmers?\b|\bsoybeans?\b|\bwheat\b",
    "aquaculture": r"aquaculture|fish farm|shellfish|\boysters?\b|\bfisheries\b",
    "textiles": r"\btextiles?\b|\bwoven\b|\bknit",
    "water treatment": r"wastewater|drinking water|water treatment",
    "shipbuilding": r"\bship ?building|\bship hulls?\b|naval vessel",
    "oil and gas": r"oil and gas|\bpetroleum\b|oil wells?\b|drilling rig",
    "solar cells": r"solar cells?\b|photovoltaic",
    "coal": r"\bcoal\b",
    "semiconductor devices": r"semiconductor (?:wafer|device|manufactur|fabrication)",
    "teaching": r"\bcurricul|\bteachers?\b|\bclassrooms?\b",
    "pharmaceuticals": r"pharmaceutical|drug delivery",
}


def auc(higher: np.ndarray, lower: np.ndarray) -> float:
    higher, lower = np.asarray(higher)[:, None], np.asarray(lower)[None, :]
    return float(((higher > lower).sum() + 0.5 * (higher == lower).sum()) / (higher.size * lower.size))


def normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


def letters(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def q(values: np.ndarray) -> str:
    return " ".join(f"{v:.2f}" for v in np.quantile(values, QUANTILES))


def uk_names(encode, data: Path) -> None:
    defs = pd.read_csv(data / "uk_sector_defs" / "industrialstrategy2025sectordefs.csv", dtype=str,
                       keep_default_na=False)
    missing = {c: defs[c].str.strip().isin(["", "NA"]) for c in defs}
    coded = ~missing["sic_code"]
    groups = {
        "established": sorted(set(defs.loc[coded & ~missing["SIC_name"], "SIC_name"])),
        "coded subsectors": sorted(set(defs.loc[coded & ~missing["frontier_subsector_ifnotSIC"],
                                                "frontier_subsector_ifnotSIC"])),
        "frontier": sorted(set(defs.loc[~coded, "frontier_subsector_ifnotSIC"])),
    }
    for systems in (("uksic2007",), ALL):
        titles = title_table(systems)
        title_vectors = encode(titles["title"].tolist()).astype(float)
        keys = np.array([letters(t) for t in titles["title"]])
        score, other = {}, {}
        print(f"\n(a) UK sector names against {', '.join(systems)} ({len(titles)} titles); quantiles {QUANTILES}")
        for group, names in groups.items():
            fit = semantic_fit(encode(names), encode, systems=systems, threshold=0.5)
            similarity = encode(names).astype(float) @ title_vectors.T
            identical = keys[None, :] == np.array([letters(n) for n in names])[:, None]
            score[group] = fit["title_similarity"].to_numpy()
            other[group] = np.where(identical, -np.inf, similarity).max(axis=1)
            print(f"  {group} (n={len(names)}, {int(identical.any(1).sum())} are a title): {q(score[group])}; "
                  f"identical titles left out: {q(other[group])}")
            if group == "frontier":
                for name, row in zip(names, fit.itertuples(), strict=True):
                    print(f"    {name}: {row.title_similarity:.2f} {row.best_system} {row.best_code} {row.best_title}")
        print(f"  AUC established > frontier {auc(score['established'], score['frontier']):.3f}, identical left "
              f"out {auc(other['established'], score['frontier']):.3f}; coded subsectors > frontier "
              f"{auc(score['coded subsectors'], score['frontier']):.3f}")


def themes(texts: pd.DataFrame, n: int = 60, seed: int = 0) -> pd.DataFrame:
    low = (texts["title"].fillna("") + " " + texts["text"].fillna("")).str.lower()
    picked = []
    for kind, patterns in (("frontier", FRONTIER), ("established", ESTABLISHED)):
        for theme, pattern in patterns.items():
            hits = texts[low.str.contains(pattern, regex=True)]
            picked.append(hits.sample(min(n, len(hits)), random_state=seed).assign(theme=theme, kind=kind))
    return pd.concat(picked, ignore_index=True)


def activities(label: str, sample_vectors: np.ndarray, theme_vectors: np.ndarray, theme_rows: pd.DataFrame,
               encode) -> None:
    single = semantic_fit(sample_vectors, encode, threshold=0.5)["title_similarity"]
    print(f"\n(b) {label}: single abstracts' best-title similarity {q(single)}")
    for k in (10, 20, 40):
        sims = np.concatenate([
            semantic_fit(normalise(KMeans(n_clusters=k, n_init=4, random_state=seed).fit(sample_vectors)
                                   .cluster_centers_), encode, threshold=0.5)["title_similarity"].to_numpy()
            for seed in range(3)])
        print(f"  k-means k={k} (3 seeds): {q(sims)}; below 0.50: {np.mean(sims < 0.5):.2f}")
    groups = theme_rows.groupby(["kind", "theme"], sort=False).indices
    keys = list(groups)
    kind = np.array([key[0] for key in keys])
    centroids = normalise(np.stack([theme_vectors[groups[key]].mean(axis=0) for key in keys]))
    fit = semantic_fit(centroids, encode, threshold=0.5)
    s = fit["title_similarity"].to_numpy()
    print(f"  themes: established {q(s[kind == 'established'])}; frontier {q(s[kind == 'frontier'])}; "
          f"AUC {auc(s[kind == 'established'], s[kind == 'frontier']):.3f}")
    for (k, theme), row in sorted(zip(keys, fit.itertuples(), strict=True), key=lambda x: x[1].title_similarity):
        print(f"    {k:11s} {theme:24s} {row.title_similarity:.2f} {row.best_system} {row.best_code} {row.best_title}")
    rng = np.random.default_rng(0)
    aucs, flagged = [], []
    for _ in range(200):
        draw = normalise(np.stack([theme_vectors[rng.choice(groups[key], size=len(groups[key]))].mean(axis=0)
                                   for key in keys]))
        s = semantic_fit(draw, encode, threshold=0.5)["title_similarity"].to_numpy()
        aucs.append(auc(s[kind == "established"], s[kind == "frontier"]))
        flagged.append([[np.mean(s[kind == "frontier"] < t), np.mean(s[kind == "established"] < t)] for t in GRID])
    low, high = np.quantile(aucs, [0.05, 0.95])
    print(f"  bootstrap AUC {np.median(aucs):.3f} (90%: {low:.3f} to {high:.3f})")
    for t, (front, est) in zip(GRID, np.mean(flagged, axis=0), strict=True):
        print(f"    threshold {t:.3f}: frontier flagged {front:.2f}, established {est:.2f}, J {front - est:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default=None, help="DuckDB file caching the embeddings")
    parser.add_argument("--n-abstracts", type=int, default=2000)
    parser.add_argument("--data", type=Path, default=DATA, help="the shared data folder")
    args = parser.parse_args()
    encode = memoised(TextEncoder(cache=args.cache, batch_size=256))
    uk_names(encode, args.data)

    texts = clusterwatch.read_firms(args.data / "sbir" / "awards.csv.gz", format="sbir-abstracts").events
    texts = texts[texts["text"].notna() & (texts["text"].str.len() > 200)].reset_index(drop=True)
    sample = texts.sample(args.n_abstracts, random_state=0).reset_index(drop=True)
    theme_rows = themes(texts)
    sample_vectors = embed_texts(sample["text"].tolist(), cache=args.cache).vectors.astype(float)
    theme_vectors = embed_texts(theme_rows["text"].tolist(), cache=args.cache).vectors.astype(float)
    activities("sentence embeddings (all-MiniLM-L6-v2)", sample_vectors, theme_vectors, theme_rows, encode)

    docs = pd.concat([sample["text"], theme_rows["text"]], ignore_index=True).to_numpy()
    counter = sk_text.CountVectorizer(stop_words=sorted(sk_text.ENGLISH_STOP_WORDS | set(SBIR_STOP_WORDS)),
                                      ngram_range=(1, 2), min_df=2, max_df=0.5, max_features=50_000,
                                      dtype=np.float64)
    counts = counter.fit_transform(docs)
    tfidf = sk_text.TfidfTransformer(sublinear_tf=True)
    weights = tfidf.fit_transform(counts)
    for dims in (100, 50):
        svd = TruncatedSVD(n_components=dims, random_state=0).fit(weights)
        vectors = normalise(np.asarray(weights @ svd.components_.T))
        lsa = lsa_encoder(counter, tfidf, svd.components_)
        zero = int((np.linalg.norm(lsa(title_table()["title"].tolist()), axis=1) == 0).sum())
        activities(f"TF-IDF + SVD, {dims} dimensions ({zero} titles with a zero vector)", vectors[: len(sample)],
                   vectors[len(sample):], theme_rows, lsa)


if __name__ == "__main__":
    main()
