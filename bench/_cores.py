"""Pinning a benchmark to a number of CPUs, shared by the benchmarks that time the main job on "2 cores".

Imports nothing numerical, so that the pin (and the thread counts it sets) come before numba or numpy start.
"""

from __future__ import annotations

import os


def pin(cores: int) -> str:
    """Run on the first ``cores`` CPUs of this process (Linux), before numba or numpy start their threads; say
    what was done."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    available = sorted(os.sched_getaffinity(0))
    chosen = available[:cores]
    os.sched_setaffinity(0, chosen)
    for name in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, str(len(chosen)))
    return f"pinned to CPUs {chosen} of {len(available)}"
