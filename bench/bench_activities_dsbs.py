"""Benchmark: text activities of US small firms nationwide, from their DSBS capability statements, and where they are.

Reads ../shared/data/us_dsbs/dsbs_profiles_capabilities.parquet (format ``dsbs``: 69,159 profiles of the SBA Dynamic
Small Business Search, located by ZIP): each firm's capabilities text is one undated text. Runs
``discover_activities`` (``method="auto"``: all-MiniLM-L6-v2 embeddings + k-means) with a fresh embedding cache in a
temporary folder, and prints time, memory, the activities and, for each, the states holding most of its firms and
its location quotient there (the state's share of the activity's firms over its share of all firms with a text).

    .venv/bin/python bench/bench_activities_dsbs.py [--limit FIRMS] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import clusterwatch
from _memory import StagePeak, peak_bytes  # bench/_memory.py (scripts run from bench/)
from clusterwatch.analysis.text import discover_activities
from clusterwatch.io.embed_cache import auto_encoder

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "us_dsbs" / "dsbs_profiles_capabilities.parquet"
GIB = 2**30
#: States shown per activity; a state needs this many of the activity's firms for its location quotient to be shown.
TOP_STATES, MIN_FIRMS_LQ = 3, 10


def dsbs_texts() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(firms, texts): one undated text per firm with a capabilities statement."""
    firms = clusterwatch.read_firms(DATA, format="dsbs").firms
    text = firms["description"].astype("string").str.strip()
    has = text.notna() & (text != "")
    texts = pd.DataFrame({"firm_id": firms.loc[has, "firm_id"].astype("string"), "text": text[has]})
    return firms, texts.reset_index(drop=True)


def where(assignments: pd.DataFrame, firms: pd.DataFrame, texts: pd.DataFrame) -> pd.DataFrame:
    """Per activity: its top states (share of its firms) and the largest location quotient among states with
    at least :data:`MIN_FIRMS_LQ` of its firms."""
    state = firms.set_index(firms["firm_id"].astype("string"))["region"]
    base = state.reindex(texts["firm_id"]).value_counts(normalize=True)
    located = assignments.assign(state=state.reindex(assignments["firm_id"]).to_numpy()).dropna(subset=["state"])
    rows = []
    for activity, group in located.groupby("activity_id", sort=True):
        counts = group["state"].value_counts()
        shares = counts / counts.sum()
        lq = (shares / base.reindex(shares.index))[counts >= MIN_FIRMS_LQ]
        top_lq = f"{lq.idxmax()} {lq.max():.1f}" if len(lq) else ""
        rows.append({"activity_id": activity,
                     "top_states": ", ".join(f"{s} {v:.0%}" for s, v in shares.head(TOP_STATES).items()),
                     "highest_lq": top_lq})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="a random subset of this many firms")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    started = time.perf_counter()
    firms, texts = dsbs_texts()
    read_s = time.perf_counter() - started
    if args.limit is not None:
        texts = texts.sample(n=min(args.limit, len(texts)), random_state=args.seed).reset_index(drop=True)
    print(f"firms: {len(firms):,}; with a capabilities text: {len(texts):,} (median "
          f"{texts['text'].str.len().median():.0f} characters); read in {read_s:.1f} s")

    def progress(done: int, total: int) -> None:
        elapsed = time.perf_counter() - started
        print(f"  embedded {done:,}/{total:,} in {elapsed:.0f} s", file=sys.stderr, flush=True)

    sampler = StagePeak()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        result = discover_activities(texts, rng=args.seed, encode=auto_encoder(
            cache=Path(folder) / "embeddings.duckdb", progress=progress))
        wall = time.perf_counter() - started
    sampler.close()
    info = result.embedding
    embed_s = info.seconds if info is not None else 0.0
    print(f"discover_activities: {wall:.1f} s = embed {embed_s:.1f} s + the rest {wall - embed_s:.1f} s; "
          f"{result.method}, {result.model}")
    if info is not None:
        print(f"  embedded {info.n_embedded:,} distinct texts of {info.n_texts:,} "
              f"({info.n_embedded / max(embed_s, 1e-9):.0f} texts/s; {info.device} {info.precision})")
    print(f"  peak RSS in the run {sampler.peak / GIB:.2f} GiB; of the process {peak_bytes() / GIB:.2f} GiB")
    activities = result.activities
    print(f"activities: {len(activities)} of k={result.n_activities} (broad {result.n_broad}); "
          f"{len(result.assignments):,} firms in them, {len(texts) - len(result.assignments):,} outliers")

    table = activities.merge(where(result.assignments, firms, texts), on="activity_id", how="left")
    columns = ["activity_id", "broad_id", "label", "n_firms", "top_states", "highest_lq", "best_code", "best_title",
               "title_similarity", "unclassified_by_titles"]
    columns = [c for c in columns if c in table]
    with pd.option_context("display.width", 250, "display.max_colwidth", 42, "display.max_rows", 200,
                           "display.precision", 2):
        print(table[columns].to_string(index=False))
        print("\nbroad activities:")
        print(result.broad[["broad_id", "label", "n_firms", "n_activities"]].to_string(index=False))
    if "unclassified_by_titles" in table:
        far = table[table["unclassified_by_titles"].fillna(False).astype(bool)]
        print(f"\nno code title near (unclassified_by_titles): {len(far)}: " + "; ".join(far["label"]))
    concentrated = table[table["highest_lq"].astype(str).str.len() > 0].copy()
    concentrated["lq"] = concentrated["highest_lq"].str.split().str[-1].astype(float)
    print("\nREADME excerpt (most concentrated activities):")
    print("| activity | firms | top states | highest LQ |\n|---|---|---|---|")
    for row in concentrated.sort_values("lq", ascending=False).head(8).itertuples(index=False):
        print(f"| {row.label} | {row.n_firms:,} | {row.top_states} | {row.highest_lq} |")
    print(f"\nmedian firms per activity {np.median(activities['n_firms']):.0f}")


if __name__ == "__main__":
    main()
