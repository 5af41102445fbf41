"""The one map every Monte Carlo replicate goes through (DESIGN.md).

Replicates are cut into batches of a fixed size, each with its own child seed from ``SeedSequence.spawn``; the
batches run serially, on local threads or processes, or on a Dask cluster (extra ``dask``), and come back in
order. Because the cut and the seeds do not depend on the number of workers, the same input and seed give the same
output on one core or on many.

On Dask, a task's large parts (arrays of at least :data:`SCATTER_BYTES`, or tuples/dataclasses holding them)
are sent to every worker once per :func:`compute_map` call (``Client.scatter(broadcast=True)``), keyed by the
object's identity: the tasks of one map that share the same window lists or firm arrays carry a reference to
them, not a copy. The client does the IO (the workspace is a DuckDB file on the client's machine); workers
receive arrays only.
"""

from __future__ import annotations

import contextlib
import copy as _copy
import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from clusterwatch._optional import import_optional
from clusterwatch.errors import OptionError
from clusterwatch.stats.inference import Seed

T = TypeVar("T")

#: Replicates per batch: fixed, so results never depend on how many workers run them.
BATCH_SIZE = 100

#: Task parts at least this large (bytes of arrays) are scattered to Dask workers once, not sent with each task.
#: Low on purpose: on 100,000 firms the scan's per-firm arrays are 800 KB each, and with a 1 MiB threshold they
#: travelled with each of ~5,000 tasks (4 GiB more on the client, 3.5 GiB on a worker, bench_national.py).
SCATTER_BYTES = 1 << 16

#: Schedulers named by a word; a Dask cluster is ``tcp://host:port`` or ``local:N``.
SCHEDULERS: tuple[str, ...] = ("serial", "threads", "processes")


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


def check_scheduler(scheduler: str | None) -> str | None:
    """Validate a scheduler name (see :func:`compute_map`) and return it.

    Raises
    ------
    OptionError
        For anything other than ``serial``, ``threads``, ``processes``, ``tcp://host:port`` or ``local:N``
        (N ≥ 1 workers).
    """
    if scheduler is None or scheduler in SCHEDULERS:
        return scheduler
    if not isinstance(scheduler, str):
        raise OptionError(f"scheduler must be a string, got {scheduler!r}")
    if scheduler.startswith("tcp://"):
        host, _, port = scheduler[len("tcp://"):].rpartition(":")
        if host and port.isdigit():
            return scheduler
        raise OptionError(f"a Dask scheduler address is tcp://host:port, got {scheduler!r}")
    if scheduler.startswith("local:"):
        workers = scheduler[len("local:"):]
        if workers.isdigit() and int(workers) >= 1:
            return scheduler
        raise OptionError(f"local:N starts a Dask LocalCluster of N >= 1 workers, got {scheduler!r}")
    raise OptionError(f"scheduler must be serial, threads, processes, tcp://host:port (a Dask cluster) or local:N "
                      f"(a Dask LocalCluster of N workers), got {scheduler!r}")


def _nbytes(obj: Any) -> int:
    """Bytes of the arrays an object holds (arrays, tuples/lists of them, dataclasses of them)."""
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes)
    if isinstance(obj, tuple | list):
        return sum(_nbytes(item) for item in obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return sum(_nbytes(getattr(obj, f.name)) for f in dataclasses.fields(obj))
    return 0


def _slots(task: Any) -> list[tuple[int | str, Any]]:
    """The top-level parts of a task: positions of a tuple, fields of a dataclass; none for anything else."""
    if isinstance(task, tuple) and not hasattr(task, "_fields"):
        return list(enumerate(task))
    if dataclasses.is_dataclass(task) and not isinstance(task, type):
        return [(f.name, getattr(task, f.name)) for f in dataclasses.fields(task)]
    return []


def _with(task: Any, parts: Mapping[int | str, Any]) -> Any:
    """A copy of ``task`` with the given top-level parts replaced."""
    if isinstance(task, tuple):
        items = list(task)
        for slot, value in parts.items():
            items[int(slot)] = value
        return tuple(items)
    copy = _copy.copy(task)
    for slot, value in parts.items():
        object.__setattr__(copy, str(slot), value)  # frozen dataclasses too
    return copy


def _run_scattered(fn: Callable[[Any], T], skeleton: Any, slots: tuple[int | str, ...], *values: Any) -> T:
    """On a worker: put the scattered parts (resolved by Dask) back into the task and run it."""
    return fn(_with(skeleton, dict(zip(slots, values, strict=True))))


def _dask_map(fn: Callable[[Any], T], tasks: Sequence[Any], address: str | None, workers: int | None,
              progress: Callable[[int, int], None] | None) -> list[T]:
    """Run the tasks on a Dask cluster, sending each large part (shared by identity across tasks) once."""
    distributed = import_optional("dask.distributed", extra="dask")
    total = len(tasks)
    with contextlib.ExitStack() as stack:
        if address is None:
            cluster = stack.enter_context(distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"))
            client = stack.enter_context(distributed.Client(cluster))
        else:
            client = stack.enter_context(distributed.Client(address))
        scattered: dict[int, Any] = {}  # id of a large part -> its future on the cluster
        keep_alive: list[Any] = []  # the parts themselves, so that no id is reused while the map runs
        futures = []
        for task in tasks:
            large = {slot: value for slot, value in _slots(task) if _nbytes(value) >= SCATTER_BYTES}
            for value in large.values():
                if id(value) not in scattered:
                    scattered[id(value)] = client.scatter([value], broadcast=True, hash=False)[0]
                    keep_alive.append(value)
            skeleton = _with(task, dict.fromkeys(large)) if large else task
            futures.append(client.submit(_run_scattered, fn, skeleton, tuple(large),
                                         *(scattered[id(v)] for v in large.values()), pure=False))
        for done, _ in enumerate(distributed.as_completed(futures), start=1):
            if progress:
                progress(done, total)
        return list(client.gather(futures))


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
        ``"processes"`` (local processes), a Dask scheduler address ``tcp://host:port`` (an existing cluster),
        or ``"local:N"`` (a Dask LocalCluster of N single-threaded worker processes, started for this call and
        closed after it). Both Dask forms need the extra ``dask``.
    n_jobs
        Workers for ``threads``/``processes``; default: the number of CPUs. A Dask cluster has its own workers.
    progress
        Called with (done, total) after each task.

    Raises
    ------
    OptionError
        For an unknown scheduler.
    MissingDependencyError
        For a Dask scheduler without the extra ``dask`` installed.
    """
    scheduler = check_scheduler(scheduler)
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
    assert scheduler is not None  # check_scheduler let only the Dask forms through
    if scheduler.startswith("local:"):
        return _dask_map(fn, tasks, None, int(scheduler[len("local:"):]), progress)
    return _dask_map(fn, tasks, scheduler, None, progress)
