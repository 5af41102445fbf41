"""Benchmark: text activities from Norwegian register descriptions against the firms' own NACE (SN2007) codes.

Reads ../shared/data/norway_brreg/brreg_enheter_sample_with_text.csv.gz (format ``norway-brreg``): every firm has
its activity text (``aktivitet``, Norwegian) as ``description`` and its SN2007 subclass (NACE Rev. 2 to four digits,
a fifth national digit) as ``code``. Each firm's description is one text, dated by its founding.

1. Activities with ``method="tfidf-svd-kmeans"`` (it works in any language; the stop words are scikit-learn's
   English ones, the package's Norwegian ones and :data:`REGISTER_BOILERPLATE`); no semantic fit: the code titles
   it allows are English, and an LSA space of Norwegian words cannot place them.
2. Agreement with the codes (:func:`~clusterwatch.analysis.text.agreement.code_agreement`) at NACE division (2
   digits), group (3), class (4) and the SN2007 subclass (5), with a shuffled assignment as the chance control.
3. Per activity: its dominant division's share (code fit at division level) and subclass; keyword coherence (NPMI,
   see ``bench_activities.npmi_coherence``); the activities no code captures (dominant division below half of the
   firms) whose keywords are coherent.
4. The same with the packaged English all-MiniLM-L6-v2 (``method="embedding-kmeans"``) on the Norwegian texts, to
   show what an English model makes of them (there is no multilingual model in a Python package).

    .venv/bin/python bench/bench_activities_norway.py [--limit FIRMS] [--seed 0] [--skip-embedding]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import clusterwatch
from _memory import StagePeak, peak_bytes  # bench/_memory.py (scripts run from bench/)
from bench_activities import npmi_coherence
from clusterwatch.analysis.text import NORWEGIAN_STOP_WORDS, UNCLASSIFIED_BELOW, code_fit, discover_activities
from clusterwatch.analysis.text.agreement import code_agreement, code_prefix
from clusterwatch.codes import code_titles
from clusterwatch.io.embed_cache import TextEncoder

DATA = (Path(__file__).resolve().parents[1].parent / "shared" / "data" / "norway_brreg"
        / "brreg_enheter_sample_with_text.csv.gz")
GIB = 2**30
#: Keywords count as coherent when their mean NPMI is at least this: on one-sentence texts most keyword pairs of a
#: mixed group never meet in a text (NPMI -1), so a mean above 0 says the words do go together.
COHERENT_NPMI = 0.0

#: The register's boilerplate ("selskapet skal drive …, og alt som står i forbindelse med dette, herunder delta i
#: andre selskaper med lignende virksomhet"): words that say a text is a statute, not what the firm does. Used with
#: the package's Norwegian function words (:data:`~clusterwatch.analysis.text.NORWEGIAN_STOP_WORDS`, Snowball);
#: ``max_df=0.5`` in the vectorizer drops whatever else is in half the texts.
REGISTER_BOILERPLATE: tuple[str, ...] = (
    "selskap", "selskapet", "selskapets", "selskaper", "selskapene", "virksomhet", "virksomheten", "herunder",
    "lignende", "liknande", "tilknyttet", "naturlig", "naturleg", "hører", "forbindelse", "formål", "formålet",
    "interessert", "måte", "deltakelse", "deltagelse", "delta", "står", "alt", "sammen", "faller", "sammenfaller",
    "gjennom", "hermed", "dermed", "herved", "dertil", "deri", "gjøre", "foretak", "foretaket", "foretagende",
    "foretagender", "egen", "egne", "tilhørende", "knyttet", "tilknytning", "tillegg", "ellers", "tilsvarende",
    "beslektet", "enhver", "videre", "mer", "form", "art", "relatert", "nærliggende", "innenfor", "diverse", "ulike",
    "dog", "direkte", "indirekte", "forbundet", "øvrig", "øvrige", "gi", "nye", "drive", "driver", "samt", "mv", "etc",
    "blant", "annet", "annen", "andre", "innen", "hos", "under", "mye",
)
STOP_WORDS: tuple[str, ...] = tuple(NORWEGIAN_STOP_WORDS) + REGISTER_BOILERPLATE


def norway_texts() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(firms, texts): one text per firm with a description, dated by founding, with the firm's code."""
    firms = clusterwatch.read_firms(DATA, format="norway-brreg").firms
    description = firms["description"].astype("string").str.strip()
    has = description.notna() & (description != "")
    texts = pd.DataFrame({"firm_id": firms.loc[has, "firm_id"].astype("string"), "text": description[has],
                          "date": pd.to_datetime(firms.loc[has, "founded"]),
                          "code": firms.loc[has, "code"].astype("string")}).reset_index(drop=True)
    return firms, texts


def titles() -> dict[str, str]:
    table = code_titles("sn2007")
    return dict(zip(table["code"].astype(str), table["title"].astype(str), strict=False))


def agreement_table(assignments: pd.DataFrame, codes: pd.Series, seed: int) -> pd.DataFrame:
    """Agreement at each code level, and the same for the activities shuffled over the firms (chance)."""
    shuffled = assignments.assign(
        activity_id=np.random.default_rng(seed).permutation(assignments["activity_id"].to_numpy()))
    rows = []
    for level, name in ((2, "division"), (3, "group"), (4, "class"), (None, "subclass")):
        found = code_agreement(assignments, codes, level=level)
        chance = code_agreement(shuffled, codes, level=level)
        rows.append({"level": name, "codes": found.n_codes, "firms": found.n_compared,
                     "ARI": found.adjusted_rand, "AMI": found.adjusted_mutual_info,
                     "NMI": found.normalized_mutual_info, "homogeneity": found.homogeneity,
                     "completeness": found.completeness, "ARI shuffled": chance.adjusted_rand,
                     "NMI shuffled": chance.normalized_mutual_info})
    return pd.DataFrame(rows)


def report(result: object, texts: pd.DataFrame, seconds: float, seed: int, name: str) -> pd.DataFrame:
    activities = result.activities  # type: ignore[attr-defined]
    assignments = result.assignments  # type: ignore[attr-defined]
    codes = texts.drop_duplicates("firm_id").set_index("firm_id")["code"].dropna()
    print(f"\n== {name}: {len(activities)} activities of k={result.n_activities} "  # type: ignore[attr-defined]
          f"(broad {result.n_broad}); {len(assignments):,} firms in them, "  # type: ignore[attr-defined]
          f"{result.n_texts_used - len(assignments):,} outliers; {seconds:.1f} s; model {result.model}")  # type: ignore[attr-defined]
    table = agreement_table(assignments, codes, seed)
    with pd.option_context("display.width", 200, "display.precision", 3):
        print(table.to_string(index=False))

    title = titles()
    divisions = code_fit(assignments, code_prefix(codes, 2).dropna()).reindex(activities["activity_id"])
    scores = npmi_coherence([k.split("; ") for k in activities["keywords"]], texts["text"].tolist(),
                            _stop_words())
    out = pd.DataFrame({
        "activity_id": activities["activity_id"].to_numpy(),
        "label": activities["label"].to_numpy(),
        "firms": activities["n_firms"].to_numpy(),
        "division": divisions["dominant_code"].to_numpy(),
        "div_share": divisions["code_coverage"].to_numpy(),
        "div_capture": divisions["code_capture"].to_numpy(),
        "subclass": activities["dominant_code"].to_numpy(),
        "sub_share": activities["code_coverage"].to_numpy(),
        "npmi": scores,
    })
    if "best_code" in activities:
        out["best_title"] = activities["best_title"].astype("string").str.slice(0, 40).to_numpy()
        out["title_sim"] = activities["title_similarity"].to_numpy()
    out["division_title"] = [title.get(str(c), "")[:38] for c in out["division"]]
    with pd.option_context("display.width", 250, "display.max_colwidth", 40, "display.max_rows", 200,
                           "display.precision", 2):
        print(out.to_string(index=False))
    share = out["div_share"].to_numpy(dtype=float)
    print(f"dominant division share: median {np.nanmedian(share):.2f}; activities with one division holding ≥ 80% "
          f"of their firms: {(share >= 0.8).sum()}, ≥ 50%: {(share >= 0.5).sum()} of {len(out)}; "
          f"NPMI mean {np.nanmean(scores):.3f}")
    missed = out[(out["div_share"] < UNCLASSIFIED_BELOW) & (out["npmi"] >= COHERENT_NPMI)]
    print(f"no division captures it (dominant division < {UNCLASSIFIED_BELOW:.0%} of the firms) and keywords "
          f"coherent (NPMI ≥ {COHERENT_NPMI}: they share texts more often than chance): {len(missed)}")
    for row in missed.itertuples(index=False):
        keywords = activities.loc[activities["activity_id"] == row.activity_id, "keywords"].iloc[0]
        top = activities.loc[activities["activity_id"] == row.activity_id, "top_codes"].iloc[0]
        print(f"  {row.activity_id} ({row.firms} firms): {keywords} | divisions: top {row.division} "
              f"{row.div_share:.0%} ({row.division_title}); subclasses {top}")
    return out


def _stop_words() -> list[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return sorted(set(ENGLISH_STOP_WORDS) | set(STOP_WORDS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="a random subset of this many firms")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-embedding", action="store_true", help="only the TF-IDF method")
    args = parser.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    started = time.perf_counter()
    firms, texts = norway_texts()
    if args.limit is not None:
        texts = texts.sample(n=min(args.limit, len(texts)), random_state=args.seed).reset_index(drop=True)
    lengths = texts["text"].str.len()
    print(f"firms: {len(firms):,}; with a description: {len(texts):,} (median {lengths.median():.0f} characters); "
          f"with a code too: {texts['code'].notna().sum():,}; read in {time.perf_counter() - started:.1f} s")

    sampler = StagePeak()
    started = time.perf_counter()
    tfidf = discover_activities(texts, rng=args.seed, method="tfidf-svd-kmeans", extra_stop_words=STOP_WORDS,
                                code_systems=())  # titles in English: no shared words with Norwegian texts
    seconds = time.perf_counter() - started
    print(f"TF-IDF peak RSS in the run {sampler.peak / GIB:.2f} GiB")
    report(tfidf, texts, seconds, args.seed, "TF-IDF + SVD + k-means (Norwegian stop words)")

    if not args.skip_embedding:
        sampler.reset()
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            embedded = discover_activities(texts, rng=args.seed, method="embedding-kmeans",
                                           encode=TextEncoder(cache=Path(folder) / "embeddings.duckdb"),
                                           extra_stop_words=STOP_WORDS, code_systems=("nace2",))
            seconds = time.perf_counter() - started
        info = embedded.embedding
        print(f"\nembedding peak RSS in the run {sampler.peak / GIB:.2f} GiB; embedded {info.n_embedded:,} texts in "
              f"{info.seconds:.1f} s ({info.n_embedded / info.seconds:.0f}/s)")
        report(embedded, texts, seconds, args.seed, "all-MiniLM-L6-v2 (English) + k-means on Norwegian texts")
        both = code_agreement(tfidf.assignments, embedded.assignments.set_index("firm_id")["activity_id"])
        print(f"\nTF-IDF activities against MiniLM activities: ARI {both.adjusted_rand:.3f}, NMI "
              f"{both.normalized_mutual_info:.3f} over {both.n_compared:,} firms")
    sampler.close()
    print(f"peak RSS of the process: {peak_bytes() / GIB:.2f} GiB")


if __name__ == "__main__":
    main()
