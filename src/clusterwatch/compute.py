"""The one map every Monte Carlo replicate goes through (DESIGN.md).

Replicates are cut into batches of a fixed size, each with its own child seed from ``SeedSequence.spawn``; the
batches run serially, on local processes, or (later) on a Dask cluster, and come back in order. Because the cut
and the seeds do not depend on the number of workers, the same input and seed give the same output on one core or
on many.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from clusterwatch.errors import OptionError
from clusterwatch.stats.inference import Seed

T = TypeVar("T")

#: Replicates per batch: fixed, so results never depend on how many workers run them.
BATCH_SIZE = 100


@dataclass(frozen=True)
class Batch:
    """A slice of replicates ``[start, start + size)`` and the child seed that draws them."""

    index: int
    start: int
    size: int
    seed: np.random.SeedSequence

    def generator(self) -> np.random.Generator:
        """The batch's own generator."""
        return np.random.default_rng(self.seed)


def batches(replicates: int, seed: Seed, batch_size: int = BATCH_SIZE) -> list[Batch]:
    """Cut ``replicates`` into batches of ``batch_size`` with one child seed each."""
    n = max(1, -(-replicates // batch_size))
    children = seed.children(n)
    return [
        Batch(index=i, start=i * batch_size, size=min(batch_size, replicates - i * batch_size), seed=children[i])
        for i in range(n)
    ]


def compute_map(
    fn: Callable[..., T],
    tasks: Sequence[Any],
    *,
    scheduler: str | None = None,
    n_jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[T]:
    """Apply ``fn`` to every task and return the results in task order.

    Parameters
    ----------
    fn
        A picklable module-level function of one task (for process and cluster schedulers).
    tasks
        The tasks, e.g. :class:`Batch` objects bundled with the data they need.
    scheduler
        ``None`` or ``"serial"`` (in this process), ``"threads"`` (numba/numpy code that releases the GIL),
        ``"processes"`` (local processes), or a Dask scheduler address ``tcp://host:port`` (extra ``dask``).
    n_jobs
        Workers for ``threads``/``processes``; default: the number of CPUs.
    progress
        Called with (done, total) after each task.

    Raises
    ------
    OptionError
        For an unknown scheduler.
    """
    total = len(tasks)
    results: list[T] = []
    if scheduler in (None, "serial") or total <= 1:
        for i, task in enumerate(tasks):
            results.append(fn(task))
            if progress:
                progress(i + 1, total)
        return results
    workers = n_jobs or os.cpu_count() or 1
    if scheduler in ("threads", "processes"):
        pool_cls = ThreadPoolExecutor if scheduler == "threads" else ProcessPoolExecutor
        with pool_cls(max_workers=workers) as pool:
            for i, result in enumerate(pool.map(fn, tasks)):
                results.append(result)
                if progress:
                    progress(i + 1, total)
        return results
    if scheduler.startswith("tcp://"):
        from clusterwatch._optional import import_optional

        distributed = import_optional("dask.distributed", extra="dask")
        with distributed.Client(scheduler) as client:
            futures = client.map(fn, tasks, pure=False)
            for i, result in enumerate(client.gather(futures)):
                results.append(result)
                if progress:
                    progress(i + 1, total)
        return results
    raise OptionError(f"scheduler must be serial, threads, processes or tcp://host:port, got {scheduler!r}")
