"""Benchmark: the whole main job (``find_candidates``) on the national PPP file, serially and on Dask, by size.

The national release of PPP loans under $150,000 (``ppp_us_2020``, 2,765,676 loans, 2,765,318 of them located at
their ZIP centroid) is read once with the ``ppp-us`` adapter; each size is a random sample of the located firms
(fixed seed; ``full`` is all of them). For every size the main job runs with its default settings (NAICS
activities at 2/3/4 digits and benchmark clusters, 999 replicates unless ``--permutations``, seed 1, no text
activities unless ``--text``):

* ``serial``: ``scheduler="threads"`` on the cores this process is pinned to (``--cores``, default 2);
* ``dask``: ``scheduler="local:W"`` (a Dask LocalCluster of ``--workers`` single-threaded worker processes,
  default 2, started and closed inside the run), where ``--dask`` is given.

Printed per run: wall time, CPU time (this process and its finished children, i.e. the Dask workers), peak resident
memory of this process during the job and of the largest worker, and how much resident memory grew within each stage
of the job (activities, scanning, merging, evidence, status, Kd: its peak minus the resident memory at its start) —
the figures that say which stage's memory grows with the register — and the wall time of each stage. Then whether
serial and Dask found identical candidates; with ``--outputs``, the time and memory growth of what ``scan`` does
after the job (every output file: CSVs, GeoJSON, GeoPackage, GeoParquet; then report.html), and a scaling table with
the growth exponent ``b`` of ``wall ≈ a · n^b`` fitted by least squares on log-log over the sizes run. Targets
(issue 17): national in under 15 minutes on 2 cores, peak memory under 8 GB, identical candidates from serial and
Dask.

Usage::

    python bench/bench_national.py [--sizes 100k,500k,1m,full] [--dask] [--outputs] [--cores 2] [--workers 2]
                                   [--permutations 999] [--text]

Times taken on a shared machine are contended: say so where they are reported.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cores import pin  # noqa: E402  (bench/_cores.py)
from _memory import StagePeak, rss_bytes  # noqa: E402  (bench/_memory.py)

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CLUSTERWATCH_SHARED_DATA", REPO.parent / "shared" / "data"))
PPP_US = SHARED / "ppp_us_2020" / "ppp_under150k_2020-07_49states.parquet"
LOCATED = 2_765_318
TARGET_SECONDS = 15 * 60
TARGET_BYTES = 8 * 10**9


def parse_size(text: str) -> int | None:
    """``100k`` → 100000, ``1m`` → 1000000, ``full`` → None (every located firm)."""
    text = text.strip().lower()
    if text in ("full", "all"):
        return None
    scale = {"k": 10**3, "m": 10**6}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


class _Overall(StagePeak):
    """A stage sampler that also keeps the peak over every stage."""

    def __init__(self) -> None:
        self.overall = 0
        super().__init__()

    def reset(self) -> None:
        self.overall = max(self.overall, self.peak)
        super().reset()


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (Dask workers once their cluster closed)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_job(firms: Any, scheduler: str, settings: dict[str, Any]) -> dict[str, Any]:
    """One run of the main job; wall, CPU, peaks (overall and per stage) and the candidates."""
    from clusterwatch.candidates import find_candidates

    gc.collect()
    base = rss_bytes()
    sampler = _Overall()
    stages: dict[str, int] = {}
    times: dict[str, float] = {}
    current = ["start"]

    start = [base]
    began = [time.perf_counter()]

    def on_step(message: str, done: int, total: int) -> None:  # growth and wall time of the stage that just ended
        name = current[0].split(" ")[0]
        stages[name] = max(stages.get(name, 0), sampler.peak - start[0])
        now = time.perf_counter()
        times[name] = times.get(name, 0.0) + now - began[0]
        began[0] = now
        sampler.reset()
        start[0] = sampler.peak
        current[0] = message

    wall, cpu = time.perf_counter(), cpu_seconds()
    result = find_candidates(firms, rng=1, progress=on_step, scheduler=scheduler, **settings)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    sampler.close()
    stages.pop("start", None)
    times.pop("start", None)
    worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return {"wall": wall, "cpu": cpu, "peak": max(sampler.overall, sampler.peak),
            "base": base, "stages": stages, "times": times, "worker_peak": worker_peak, "candidates": result.candidates,
            "result": result}


def write_outputs(result: Any, firms: Any) -> dict[str, tuple[float, int]]:
    """What ``scan`` does after the job, as it does it: every output file, then report.html (to a temporary folder).

    Returns
    -------
    dict of str to (seconds, bytes)
        Per step (``files``, ``report``): wall seconds and the growth of resident memory within it.
    """
    import tempfile

    from clusterwatch.candidates.core import select_firms
    from clusterwatch.report.gis import write_candidate_outputs
    from clusterwatch.report.scan import write_scan_html

    out: dict[str, tuple[float, int]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for step in ("files", "report"):
            gc.collect()
            sampler = StagePeak()
            began = time.perf_counter()
            if step == "files":
                written = write_candidate_outputs(result, firms, folder)
            else:
                scanned, _ = select_firms(firms, result.config, None)
                write_scan_html(Path(folder) / "report.html", result, scanned)
            out[step] = (time.perf_counter() - began, sampler.peak - sampler.start)
            sampler.close()
        size = sum(f.stat().st_size for f in Path(folder).iterdir())
        print(f"{'':>9} outputs: {len(written) + 1} files, {size / 2**20:.0f} MiB", flush=True)
    return out


def same_candidates(a: Any, b: Any) -> bool:
    """Identical candidate tables (every column, every value)."""
    import pandas as pd

    try:
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    except AssertionError:
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,500k,1m,full", help="comma-separated: 100k, 500k, 1m, full ...")
    parser.add_argument("--dask", action="store_true", help="also run each size on a Dask LocalCluster")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="Dask workers (with --dask)")
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--text", action="store_true", help="text activities too (TF-IDF of the business types)")
    parser.add_argument("--path", type=Path, default=PPP_US)
    parser.add_argument("--outputs", action="store_true",
                        help="also write every output file and report.html after the serial run, timed")
    args = parser.parse_args()
    if not args.path.exists():
        print(f"data not found: {args.path} (set CLUSTERWATCH_SHARED_DATA)", file=sys.stderr)
        return 2
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    pinned = pin(args.cores)

    import numpy as np

    import clusterwatch

    t0 = time.perf_counter()
    everything = clusterwatch.read_firms(str(args.path), format="ppp-us").firms
    everything = everything.dropna(subset=["lat", "lon"]).reset_index(drop=True)
    print(f"{pinned}; read {len(everything):,} located firms in {time.perf_counter() - t0:.1f} s "
          f"(resident {rss_bytes() / 2**30:.2f} GiB); {args.permutations} replicates, seed 1, "
          f"{'with' if args.text else 'no'} text")
    settings: dict[str, Any] = {"permutations": args.permutations, "use_text": args.text}
    rows = []
    for size in sizes:
        n = len(everything) if size is None or size >= len(everything) else size
        firms = everything if n == len(everything) else everything.sample(n=n, random_state=0).reset_index(drop=True)
        runs = {"serial": run_job(firms, "threads", settings)}
        steps = write_outputs(runs["serial"]["result"], firms) if args.outputs else {}
        runs["serial"].pop("result")  # the Dask run's memory is measured without the serial result held
        if args.dask:
            runs["dask"] = run_job(firms, f"local:{args.workers}", settings)
            runs["dask"].pop("result")
        for name, r in runs.items():
            stages = ", ".join(f"{k} {v / 2**30:.2f}" for k, v in r["stages"].items())
            print(f"{n:>9,} {name:<6} wall {r['wall']:7.1f} s  CPU {r['cpu']:7.1f} s  "
                  f"peak {r['peak'] / 2**30:5.2f} GiB "
                  f"(before the job {r['base'] / 2**30:.2f}; largest worker {r['worker_peak'] / 2**30:.2f})  "
                  f"{len(r['candidates'])} candidates")
            print(f"{'':>9} {'':<6} growth within each stage (peak minus resident at its start), GiB: {stages}")
            print(f"{'':>9} {'':<6} wall per stage, s: "
                  + ", ".join(f"{k} {v:.1f}" for k, v in r["times"].items()), flush=True)
        if steps:
            print(f"{'':>9} after the serial job: " + ", ".join(f"{k} {t:.1f} s (+{m / 2**30:.2f} GiB)"
                                                             for k, (t, m) in steps.items()), flush=True)
        if args.dask:
            same = same_candidates(runs["serial"]["candidates"], runs["dask"]["candidates"])
            print(f"{'':>9} serial and Dask candidates identical: {'yes' if same else 'NO'}")
        rows.append((n, runs["serial"]["wall"], runs["serial"]["peak"]))
        del firms
        gc.collect()

    print("\nscaling (serial on the pinned cores)")
    print(f"{'firms':>10} {'wall s':>8} {'peak GiB':>9}")
    for n, wall, peak in rows:
        print(f"{n:>10,} {wall:8.1f} {peak / 2**30:9.2f}")
    if len(rows) >= 2:
        x = np.log([r[0] for r in rows])
        slope, intercept = np.polyfit(x, np.log([r[1] for r in rows]), 1)
        mem_slope = np.polyfit(x, np.log([r[2] for r in rows]), 1)[0]
        national = float(np.exp(intercept) * LOCATED ** slope)
        print(f"growth exponent: wall ~ n^{slope:.2f}, peak ~ n^{mem_slope:.2f}; extrapolated national wall "
              f"{national / 60:.1f} min (target < {TARGET_SECONDS // 60} min)")
    full = [r for r in rows if r[0] >= LOCATED]
    if full:
        n, wall, peak = full[0]
        print(f"national: {wall / 60:.1f} min ({'met' if wall < TARGET_SECONDS else 'NOT met'}), peak "
              f"{peak / 1e9:.2f} GB ({'met' if peak < TARGET_BYTES else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
