"""Benchmark: communities, roles and health of a 100,000-node, 1,000,000-tie collaboration network.

The graph is synthetic but shaped like a real one: 1,000 planted groups of organisations, heavy-tailed activity
(Pareto propensities, so a few hubs have hundreds of partners), 80 % of ties inside a group; organisations carry a
triple-helix kind, an SME flag, a country and coordinates near their group's centre. It is given to the analysis
as a canonical relations frame (``source``, ``target``, ``date``, ``kind``) and a firms frame, as the workspace
would.

Stages, each timed with the peak resident memory reached during it:

1. ``build``: :func:`build_graph` from the relations (undirected collaboration ties);
2. ``communities``: Leiden, resolution 1, until stable, with each community described;
3. ``roles``: Giuliani–Bell roles, Gould–Fernandez brokerage over kinds, Burt's constraint, betweenness
   estimated from 200 pivots (exact betweenness is out of reach at this size);
4. ``health``: density, centralisation, fragmentation, core–periphery and fragility (top-broker removal against
   999 random removals).

Usage::

    python bench/bench_network.py [--nodes N] [--ties M] [--pivots K] [--permutations R] [--strict] [--check]

``--check`` also times exact betweenness on a 10,000-node graph of the same shape and compares the pivot
estimate's top brokers with the exact ones. Target: stages 2–4 under 60 s on a 2-core machine (``--strict``
exits with status 1 when missed).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd

from _memory import StagePeak  # bench/_memory.py (scripts run from bench/)

TARGET_SECONDS = 60.0
KINDS = np.array(["firm", "university", "research", "public", "other"])
KIND_SHARES = np.array([0.48, 0.17, 0.17, 0.08, 0.10])


@contextmanager
def stage(name: str, sampler: StagePeak, timings: dict[str, tuple[float, float, int]]) -> Iterator[None]:
    """Wall time, CPU time of the process (all threads) and peak memory of a stage."""
    sampler.reset()
    start, cpu = time.perf_counter(), time.process_time()
    yield
    timings[name] = (time.perf_counter() - start, time.process_time() - cpu, sampler.peak)


def synthetic_network(n: int, m: int, groups: int, mixing: float = 0.2, seed: int = 0
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Relations and firms of a planted-group network with heavy-tailed activity (see the module docstring)."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, groups, n)
    propensity = rng.pareto(2.5, n) + 1.0
    p = propensity / propensity.sum()
    draws = int(m * 1.2)
    u = rng.choice(n, draws, p=p)
    v = rng.choice(n, draws, p=p)
    # partners inside the group: draw by propensity within the group's block of a group-sorted order
    order = np.argsort(group, kind="stable")
    cum = np.cumsum(propensity[order])
    starts = np.searchsorted(group[order], np.arange(groups))
    ends = np.searchsorted(group[order], np.arange(groups), side="right")
    inside = rng.random(draws) >= mixing
    g = group[u[inside]]
    lo = np.where(starts[g] > 0, cum[np.maximum(starts[g] - 1, 0)], 0.0)
    hi = cum[ends[g] - 1]
    v[inside] = order[np.minimum(np.searchsorted(cum, lo + rng.random(g.size) * (hi - lo)), n - 1)]
    a, b = np.minimum(u, v), np.maximum(u, v)
    keep = a != b
    key = np.unique(a[keep].astype(np.int64) * n + b[keep])
    key = rng.permutation(key)[:m]
    ids = np.char.add("org", np.char.zfill(np.arange(n).astype(str), 6))
    relations = pd.DataFrame({
        "source": pd.array(ids[key // n], dtype="string"),
        "target": pd.array(ids[key % n], dtype="string"),
        "project": pd.array([pd.NA] * len(key), dtype="string"),
        "date": pd.Timestamp("2010-01-01") + pd.to_timedelta(rng.integers(0, 3650, len(key)), unit="D"),
        "kind": "collaboration",
        "weight": np.nan,
        "role": pd.array([pd.NA] * len(key), dtype="string"),
    })
    centre_lat = rng.uniform(38, 60, groups)
    centre_lon = rng.uniform(-8, 25, groups)
    kind = KINDS[rng.choice(len(KINDS), n, p=KIND_SHARES)]
    firms = pd.DataFrame({
        "firm_id": pd.array(ids, dtype="string"),
        "name": pd.array(ids, dtype="string"),
        "kind": pd.array(kind, dtype="string"),
        "sme": pd.array(np.where(kind == "firm", rng.random(n) < 0.6, False), dtype="boolean"),
        "lat": centre_lat[group] + rng.normal(0, 0.5, n),
        "lon": centre_lon[group] + rng.normal(0, 0.7, n),
        "country": pd.array(np.array(["DE", "FR", "IT", "ES", "NL", "BE", "AT", "FI"])[group % 8], dtype="string"),
    })
    return relations, firms


def check_pivots(pivots: int) -> None:
    """Exact betweenness vs the pivot estimate on a 10,000-node graph of the same shape."""
    from clusterwatch.analysis.network import betweenness, build_graph

    relations, firms = synthetic_network(10_000, 100_000, 100, seed=1)
    graph = build_graph(relations, firms, directed=False)
    start = time.perf_counter()
    exact, _, _, _ = betweenness(graph, exact_max_work=float("inf"))
    t_exact = time.perf_counter() - start
    start = time.perf_counter()
    estimate, method, k, _ = betweenness(graph, exact_max_work=0, pivots=pivots, rng=0)
    t_est = time.perf_counter() - start
    top_exact = set(np.argsort(-exact)[:10])
    top_est = np.argsort(-estimate)
    overlap10 = len(top_exact & set(top_est[:10]))
    top100 = len(set(np.argsort(-exact)[:100]) & set(top_est[:100]))
    big = exact >= np.quantile(exact, 0.99)
    rel_err = np.abs(estimate[big] - exact[big]) / exact[big]
    rank = pd.Series(exact).rank().corr(pd.Series(estimate).rank())
    print(f"pivot check (10,000 nodes, 100,000 ties): exact {t_exact:.1f} s, {k} pivots {t_est:.2f} s; "
          f"top-10 overlap {overlap10}/10, top-100 overlap {top100}/100; median relative error of the top 1 % "
          f"{np.median(rel_err):.1%}; Spearman rank correlation {rank:.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--ties", type=int, default=1_000_000)
    parser.add_argument("--pivots", type=int, default=200)
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()

    from clusterwatch.analysis.network import build_graph, detect_communities, network_health, node_roles

    relations, firms = synthetic_network(args.nodes, args.ties, max(1, args.nodes // 100))
    print(f"synthetic network: {args.nodes:,} organisations, {len(relations):,} ties; {os.cpu_count()} CPUs")
    sampler = StagePeak()
    timings: dict[str, tuple[float, float, int]] = {}
    with stage("build", sampler, timings):
        graph = build_graph(relations, firms, directed=False)
    with stage("communities", sampler, timings):
        communities = detect_communities(graph, rng=1)
    with stage("roles", sampler, timings):
        roles = node_roles(graph, communities, group="kind", pivots=args.pivots, rng=2)
    with stage("health", sampler, timings):
        health = network_health(graph, betweenness_values=roles.nodes["betweenness"].to_numpy(),
                                permutations=args.permutations, rng=3)
    sampler.close()
    print(f"{'stage':<12} {'wall s':>8} {'CPU s':>8} {'peak GiB':>9}")
    for name, (seconds, cpu, peak) in timings.items():
        print(f"{name:<12} {seconds:8.1f} {cpu:8.1f} {peak / 2**30:9.2f}")
    analysed = sum(timings[s][0] for s in ("communities", "roles", "health"))
    cpu_total = sum(timings[s][1] for s in ("communities", "roles", "health"))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"communities + roles + health: {analysed:.1f} s wall, {cpu_total:.1f} s CPU (target < "
          f"{TARGET_SECONDS:.0f} s); with build: {analysed + timings['build'][0]:.1f} s; load average {load:.1f}")
    print(f"graph {graph.n_nodes:,} nodes, {graph.n_edges:,} ties; {communities.n_communities:,} communities, "
          f"modularity {communities.modularity:.3f}; betweenness {roles.betweenness_method} ({roles.pivots} "
          f"pivots); core {health.metrics['core_size']:.0f} nodes (fit {health.metrics['core_fit']:.3f})")
    frag = health.fragility.set_index("k")
    shown = [k for k in (10, 100, 1000) if k in frag.index]
    print("largest component after removing the top k brokers (random removal): " + "; ".join(
        f"k={k}: {frag.loc[k, 'largest_share']:.3f} ({frag.loc[k, 'random_largest_share']:.3f})" for k in shown))
    if args.check:
        check_pivots(args.pivots)
    return 1 if args.strict and analysed > TARGET_SECONDS else 0


if __name__ == "__main__":
    sys.exit(main())
