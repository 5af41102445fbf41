"""Load on loopback: 200 members answer one wave at once against `clusterwatch serve` pinned to 2 cores.

Prints page-time percentiles (p50, p95, max over every request: link, consent, list, each member's page and its
save, the cluster questions), throughput, and the integrity checks: no answer lost, none duplicated. Then the same
wave again on a fresh database with the server killed (SIGKILL) once half the saves are acknowledged, restarted,
and the members resuming: every acknowledged answer must still be there, and the final set must be exactly the
planned one. Bounded: --members (default 200), --alters per member (default 5), a 600 s ceiling per phase.

    python bench/bench_serve_load.py [--members 200] [--alters 5] [--cores 0,1]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from clusterwatch.serve import loadcheck  # noqa: E402


def _expected(plans: loadcheck.Plan) -> dict[tuple[str, str, str], str]:
    return {(r, alter, item): value for r, pages in plans.items() for alter, values in pages
            for item, value in loadcheck.expected_rows(values, alter).items()}


def _report(name: str, run: loadcheck.Run) -> None:
    n = len(run.page_times)
    print(f"{name}: {n:,} requests in {run.wall:.1f} s ({n / run.wall:.0f} req/s); page time "
          f"p50 {1000 * run.percentile(50):.0f} ms, p95 {1000 * run.percentile(95):.0f} ms, "
          f"max {1000 * max(run.page_times, default=0):.0f} ms; saves acknowledged {len(run.acknowledged):,}; "
          f"member errors {len(run.failures)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--alters", type=int, default=5)
    parser.add_argument("--cores", default="0,1", help="CPU cores for the server (empty: no pinning)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    cores = [int(c) for c in args.cores.split(",") if c] if hasattr(os, "sched_setaffinity") else []
    cores = [c for c in cores if c < (os.cpu_count() or 1)]
    ok = True
    with tempfile.TemporaryDirectory(prefix="cw-load-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'load.sqlite'}"
        info: dict[str, object] = {}
        links, keys = loadcheck.prepare(url, args.members, info)
        plans = loadcheck.plan(sorted(links), args.alters, seed=args.seed)
        expected = _expected(plans)
        print(f"{args.members} members, {args.alters} rated each + the cluster questions: {len(expected):,} "
              f"answers planned; server on cores {cores or 'any'} (the member threads share the machine)")
        server = loadcheck.ServerProcess(url, cores=cores, log=Path(tmp) / "server.log").start()
        try:
            run = loadcheck.answer_wave(server.port, links, keys, plans)
            board = loadcheck.dashboard_times(server.port, str(info["username"]), int(str(info["cluster"])),
                                              int(str(info["wave"])))
        finally:
            server.stop()
        _report("concurrent wave", run)
        print(f"  facilitator's dashboard of the answered wave (aggregates, pulse measures, alerts): "
              f"{', '.join(f'{t:.2f}' for t in board)} s per load")
        stored = loadcheck.stored(url)  # raises on a duplicate
        lost = [k for k in expected if k not in stored]
        wrong = [k for k in expected if k in stored and stored[k] != expected[k]]
        extra = [k for k in stored if k not in expected]
        print(f"  stored {len(stored):,} answers: lost {len(lost)}, wrong value {len(wrong)}, unplanned "
              f"{len(extra)}, duplicated 0 (unique index checked row by row)")
        ok &= not (lost or wrong or extra or run.failures)

        url2 = f"sqlite:///{Path(tmp) / 'crash.sqlite'}"
        links, keys = loadcheck.prepare(url2, args.members)
        server = loadcheck.ServerProcess(url2, cores=cores, log=Path(tmp) / "server.log").start()
        half = len(expected) // 2 // (args.alters * 11 + 3) * (args.alters + 1)  # about half the saved pages
        crashed = loadcheck.answer_wave(server.port, links, keys, plans, stop_after=max(half, 1),
                                        on_stop=server.kill)
        server.kill()
        after = loadcheck.stored(url2)
        missing = loadcheck.missing_answers(crashed.acknowledged, after)
        print(f"killed (SIGKILL) after {len(crashed.acknowledged):,} acknowledged saves: {len(after):,} answers "
              f"on disk, acknowledged but missing {len(missing)}")
        started = time.perf_counter()
        server = loadcheck.ServerProcess(url2, cores=cores, log=Path(tmp) / "server.log").start()
        print(f"  restarted in {time.perf_counter() - started:.1f} s")
        try:
            resumed = loadcheck.answer_wave(server.port, links, keys, plans)
        finally:
            server.stop()
        _report("  members resuming", resumed)
        final = loadcheck.stored(url2)
        print(f"  final: {len(final):,} answers, equal to the planned set: {final == expected}")
        ok &= not missing and final == expected and not resumed.failures
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
