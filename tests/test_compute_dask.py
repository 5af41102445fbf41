"""compute_map on Dask: the scheduler forms, large parts scattered once, and results identical to serial.

The cluster tests run a LocalCluster inside this process (``processes=False``, 2 workers) and connect to it by its
``tcp://`` address, as a user connects to an existing cluster; one test starts ``local:1`` (a worker process).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clusterwatch import compute
from clusterwatch.compute import check_scheduler, compute_map
from clusterwatch.errors import MissingDependencyError, OptionError


@dataclass(frozen=True)
class _Task:
    index: int
    shared: np.ndarray
    small: np.ndarray


def _weighted(task: _Task) -> float:
    return float(task.index * task.shared.sum() + task.small.sum())


def _square(x: int) -> int:
    return x * x


@pytest.mark.parametrize("good", ["serial", "threads", "processes", "tcp://10.0.0.5:8786", "local:2", None])
def test_scheduler_forms_accepted(good: str | None) -> None:
    assert check_scheduler(good) == good


@pytest.mark.parametrize("bad", ["dask", "local:0", "local:", "local:two", "tcp://nohost", "tcp://:8786", "Threads"])
def test_bad_scheduler_names_the_forms(bad: str) -> None:
    with pytest.raises(OptionError, match="scheduler|tcp://host:port|local:N"):
        check_scheduler(bad)
    with pytest.raises(OptionError):
        compute_map(_square, [1, 2, 3], scheduler=bad)


def test_missing_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import fails as if not installed
    with pytest.raises(MissingDependencyError, match=r"clusterwatch\[dask\]"):
        compute_map(_square, [1, 2, 3], scheduler="tcp://127.0.0.1:1")


try:
    import distributed
except ImportError:  # pragma: no cover - the extra is in dev
    distributed = None
needs_dask = pytest.mark.skipif(distributed is None, reason="dask.distributed (extra 'dask') is not installed")


@pytest.fixture(scope="module")
def address() -> Iterator[str]:
    """An in-process LocalCluster of 2 single-threaded workers, reached by its tcp address."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0",
                                  protocol="tcp") as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def scatter_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts Client.scatter calls (the number of objects each sent)."""
    calls: list[int] = []
    original = distributed.Client.scatter

    def counting(self, data, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(len(data))
        return original(self, data, *args, **kwargs)

    monkeypatch.setattr(distributed.Client, "scatter", counting)
    return calls


@needs_dask
def test_large_parts_are_scattered_once_and_results_keep_task_order(address: str, scatter_calls: list[int]) -> None:
    shared = np.arange(300_000, dtype=np.float64)  # 2.4 MB: above SCATTER_BYTES
    assert shared.nbytes >= compute.SCATTER_BYTES > 3 * 8
    tasks = [_Task(i, shared, np.full(3, i, dtype=np.float64)) for i in range(12)]
    done: list[tuple[int, int]] = []
    result = compute_map(_weighted, tasks, scheduler=address, progress=lambda d, t: done.append((d, t)))
    assert result == [_weighted(t) for t in tasks]
    assert scatter_calls == [1]  # one array, sent once for 12 tasks; the small ones travel with their task
    assert done[-1] == (12, 12) and len(done) == 12


@needs_dask
def test_tuple_tasks_and_plain_tasks(address: str, scatter_calls: list[int]) -> None:
    big = (np.ones(200_000), np.arange(200_000))  # a tuple of arrays, as the network kernels pass them
    tasks = [(big, np.array([i])) for i in range(5)]
    out = compute_map(lambda t: float(t[0][0].sum() + t[0][1][-1] + t[1][0]), tasks, scheduler=address)
    assert out == [200_000.0 + 199_999 + i for i in range(5)]
    assert scatter_calls == [1]
    assert compute_map(_square, list(range(7)), scheduler=address) == [i * i for i in range(7)]
    assert len(scatter_calls) == 1  # nothing large there


@needs_dask
def test_local_cluster_is_started_and_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[tuple[dict[str, object], object]] = []
    dask_distributed = pytest.importorskip("dask.distributed")
    real = dask_distributed.LocalCluster

    def in_process(**kwargs: object) -> object:  # worker processes take ~20 s to start on a busy CI machine
        cluster = real(**{**kwargs, "processes": False})
        started.append((kwargs, cluster))
        return cluster

    monkeypatch.setattr(dask_distributed, "LocalCluster", in_process)
    assert compute_map(_square, list(range(6)), scheduler="local:3") == [i * i for i in range(6)]
    (kwargs, cluster), = started
    assert kwargs["n_workers"] == 3 and kwargs["threads_per_worker"] == 1 and kwargs["processes"] is True
    assert cluster.status.name == "closed"  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def montana(shared_data: Path) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The Montana PPP firms (23,102 at ZIP centroids) and three NAICS sectors as activities."""
    import clusterwatch

    firms = clusterwatch.read_firms(shared_data / "ppp_montana" / "mt-combined.csv", format="ppp-montana").firms
    firms = firms.dropna(subset=["lat", "lon"]).reset_index(drop=True)
    sector = firms["code"].astype(str).str[:2]
    return firms, {name: (sector == name).to_numpy() for name in ("23", "54", "72")}


@needs_dask
def test_scan_each_on_dask_equals_serial(montana, address: str, scatter_calls: list[int],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from clusterwatch.analysis.space import bernoulli_scan_each

    firms, activities = montana
    options = dict(max_population=0.1, permutations=299, rng=2026, max_clusters=5)
    serial = bernoulli_scan_each(firms, activities, scheduler="serial", **options)  # type: ignore[arg-type]
    monkeypatch.setattr(compute, "SCATTER_BYTES", 1024)  # the Montana arrays are small: scatter them anyway
    dask = bernoulli_scan_each(firms, activities, scheduler=address, **options)  # type: ignore[arg-type]
    assert list(dask) == list(serial)
    for label in serial:
        np.testing.assert_array_equal(dask[label].simulated_llr, serial[label].simulated_llr)
        pd.testing.assert_frame_equal(dask[label].clusters, serial[label].clusters)
        assert len(serial[label].clusters) and serial[label].clusters["p_value"].iloc[0] <= 0.01
    # 3 activities x 3 batches = 9 tasks share the study's arrays: each sent once (site order, populations,
    # window lists, their inverse index, log table), not once per task
    assert len(scatter_calls) == 5
    threads = bernoulli_scan_each(firms, activities, scheduler="threads", n_jobs=2, **options)  # type: ignore[arg-type]
    for label in serial:
        np.testing.assert_array_equal(threads[label].simulated_llr, serial[label].simulated_llr)
