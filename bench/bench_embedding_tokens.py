"""Benchmark: how many word pieces to embed — speed and k-means agreement at 128, 96 and 64 tokens.

Embeds 3,000 random SBIR abstracts (../shared/data/sbir/awards.csv.gz, seed 3) with the packaged all-MiniLM-L6-v2
at each truncation, runs k-means (k = 30, two seeds) on each and prints the embedding speed and the adjusted Rand
index between truncations next to the ARI between two k-means seeds at 128 tokens (the noise floor). This is the
evidence for ``clusterwatch.io.embed_cache.DEFAULT_MAX_TOKENS``.

    .venv/bin/python bench/bench_embedding_tokens.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from clusterwatch.io.embed_cache import embed_texts

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sbir" / "awards.csv.gz"


def main() -> None:
    abstracts = pd.read_csv(DATA, usecols=["abstract"])["abstract"].dropna().astype(str)
    texts = abstracts.sample(3000, random_state=3).tolist()
    vectors = {}
    with tempfile.TemporaryDirectory() as folder:
        for tokens in (128, 96, 64):
            started = time.perf_counter()
            vectors[tokens] = embed_texts(texts, max_tokens=tokens, cache=Path(folder) / "cache.duckdb").vectors
            seconds = time.perf_counter() - started
            print(f"{tokens:>3} tokens: {seconds:5.1f} s, {len(texts) / seconds:5.1f} texts/s")
    labels = {t: [KMeans(30, n_init=4, random_state=r).fit_predict(v) for r in (0, 1)] for t, v in vectors.items()}
    print(f"ARI 128 vs 128 (another k-means seed): {adjusted_rand_score(labels[128][0], labels[128][1]):.3f}")
    for tokens in (96, 64):
        ari = np.mean([adjusted_rand_score(labels[128][i], labels[tokens][j]) for i in (0, 1) for j in (0, 1)])
        print(f"ARI 128 vs {tokens}: {ari:.3f}")


if __name__ == "__main__":
    main()
