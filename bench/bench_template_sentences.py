"""Benchmark: does moving template sentences to the end of a text stop embeddings grouping texts by funder template?

3,000 SBIR abstracts of 2008–2017 (../shared/data/sbir/awards.csv.gz, seed 1) are embedded as published and after
:func:`clusterwatch.analysis.text.activities.demote_boilerplate`; k-means (k = 30) groups each. Printed: the
normalised mutual information between the groups and the funding agency (some is expected: HHS funds health work)
and the groups that are more than 80 % NSF — NSF abstracts open with a "broader impact/commercial potential"
paragraph, and a group of them is a template, not an activity.

    .venv/bin/python bench/bench_template_sentences.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import normalized_mutual_info_score

from clusterwatch.analysis.text.activities import demote_boilerplate
from clusterwatch.io.embed_cache import embed_texts

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sbir" / "awards.csv.gz"
NSF = "National Science Foundation"


def main() -> None:
    awards = pd.read_csv(DATA, usecols=["abstract", "year", "agency"]).dropna()
    awards = awards[awards["year"].between(2008, 2017)].sample(3000, random_state=1)
    texts = awards["abstract"].astype(str).tolist()
    agency = awards["agency"].astype(str).to_numpy()
    demoted, moved = demote_boilerplate(texts)
    print(f"{len(texts):,} abstracts, {int((agency == NSF).sum())} NSF; template sentences moved: {moved:,}")
    with tempfile.TemporaryDirectory() as folder:
        for name, variant in (("as published", texts), ("template sentences last", demoted)):
            vectors = embed_texts(variant, cache=Path(folder) / "cache.duckdb").vectors
            labels = [KMeans(30, n_init=4, random_state=seed).fit_predict(vectors) for seed in (0, 1)]
            scores = [normalized_mutual_info_score(agency, lab) for lab in labels]
            table = pd.crosstab(labels[0], agency == NSF)
            share = table.get(True, 0) / table.sum(axis=1)
            nsf_groups = table.loc[share > 0.8]
            print(f"{name:>24}: NMI(agency, groups) {np.round(scores, 3).tolist()}; groups > 80 % NSF: "
                  f"{len(nsf_groups)} holding {int(nsf_groups.to_numpy().sum())} texts")


if __name__ == "__main__":
    main()
