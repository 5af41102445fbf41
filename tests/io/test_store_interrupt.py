"""Ctrl-C while a source is stored: the workspace keeps what it held, the file stops growing, the CLI says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import clusterwatch
from clusterwatch.cli import run
from clusterwatch.io.workspace import Workspace

SAMPLE = "companies_house_sample/BasicCompanyDataAsOneFile-2020-05-01_sample.csv"


def _held(path: Path) -> tuple[list[str], int, int, int]:
    with Workspace(path, read_only=True) as ws:
        return (ws.sources()["dataset"].astype(str).tolist(), len(ws.firms()), len(ws.rejected()),
                len(ws.firm_codes()))


@pytest.fixture(scope="module")
def sources(shared_data: Path) -> tuple[clusterwatch.IngestResult, clusterwatch.IngestResult]:
    """The Companies House sample read once, and the same rows under another dataset name."""
    first = clusterwatch.read_firms(shared_data / SAMPLE, format="companies-house")
    return first, clusterwatch.read_firms(shared_data / SAMPLE, format="companies-house", dataset="again")


@pytest.fixture
def stored(tmp_path: Path, sources: tuple[Any, Any]) -> tuple[Path, clusterwatch.IngestResult]:
    """A workspace holding the Companies House sample, and a second source to store into it."""
    path = tmp_path / "ws.duckdb"
    with Workspace(path) as ws:
        ws.store(sources[0])
    return path, sources[1]


def test_interrupted_after_the_firms_are_inserted_rolls_back(stored: tuple[Path, Any],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    path, second = stored
    before = _held(path)
    assert before[1] > 4000
    inserted: list[str] = []
    original = Workspace._insert

    def interrupted(self: Workspace, table: str, *args: Any, **kwargs: Any) -> Any:
        inserted.append(table)
        if table == "relations":  # the firms of the second source are in the open transaction by now
            raise KeyboardInterrupt
        return original(self, table, *args, **kwargs)

    monkeypatch.setattr(Workspace, "_insert", interrupted)
    sizes = []
    for _ in range(3):  # again and again: the workspace keeps its rows and the file stops growing
        with pytest.raises(KeyboardInterrupt), Workspace(path) as ws:
            ws.store(second)
        assert _held(path) == before
        sizes.append(path.stat().st_size)
    assert inserted[:4] == ["firms", "firm_codes", "events", "relations"]
    assert sizes[1] == sizes[0] and sizes[2] == sizes[0]


class _InterruptOn:
    """A connection that raises KeyboardInterrupt on the first statement containing ``marker``."""

    def __init__(self, con: Any, marker: str) -> None:
        self._con, self._marker, self.hit = con, marker, False

    def execute(self, sql: str, *args: Any) -> Any:
        if self._marker in sql and not self.hit:
            self.hit = True
            raise KeyboardInterrupt
        return self._con.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def test_interrupted_inside_the_transaction_rolls_back(stored: tuple[Path, Any]) -> None:
    path, second = stored
    before = _held(path)
    with Workspace(path) as ws:
        proxy = _InterruptOn(ws._con, "INSERT INTO sources")
        ws._con = proxy  # type: ignore[assignment]
        # the firms and rejected rows are already inserted inside the transaction when it comes
        with pytest.raises(KeyboardInterrupt):
            ws.store(second)
        assert proxy.hit
        ws._con = proxy._con
        assert ws.firms()["dataset"].unique().tolist() == before[0]  # the same connection sees no partial store
    assert _held(path) == before
    # and the workspace still takes the store afterwards
    with Workspace(path) as ws:
        ws.store(second)
    assert sorted(_held(path)[0]) == sorted([*before[0], "again"])


def test_cli_says_the_workspace_is_intact(stored: tuple[Path, Any], shared_data: Path,
                                          monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = stored
    before = _held(path)

    def interrupted(self: Workspace, *args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(Workspace, "_insert", interrupted)
    code = run(["ingest", str(shared_data / SAMPLE), "-f", "companies-house", "-w", str(path), "--dataset", "x"])
    assert code == 130
    err = capsys.readouterr().err
    assert "interrupted while storing" in err and f"{path} holds what it held before" in err
    assert "TransactionException" not in err and "internal error" not in err
    assert _held(path) == before


def _sigint() -> None:
    """A real Ctrl-C: SIGINT to this process, delivered to the handler the store installed."""
    import os
    import signal

    os.kill(os.getpid(), signal.SIGINT)


def test_a_real_sigint_before_the_commit_rolls_back(stored: tuple[Path, Any], shared_data: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = stored
    before, size = _held(path), path.stat().st_size
    original = Workspace._insert

    def signalled(self: Workspace, table: str, *args: Any, **kwargs: Any) -> Any:
        out = original(self, table, *args, **kwargs)
        if table == "firms":  # the firms are in the open transaction
            _sigint()
        return out

    monkeypatch.setattr(Workspace, "_insert", signalled)
    code = run(["ingest", str(shared_data / SAMPLE), "-f", "companies-house", "-w", str(path), "--dataset", "x"])
    err = capsys.readouterr().err
    assert code == 130 and "interrupted while storing: nothing was stored" in err
    assert _held(path) == before and path.stat().st_size == size


def test_a_real_sigint_during_the_commit_lets_it_finish(stored: tuple[Path, Any], shared_data: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = stored
    before = _held(path)
    original = Workspace.__init__

    class SignalOnCommit(_InterruptOn):
        def execute(self, sql: str, *args: Any) -> Any:
            if sql == "COMMIT":
                _sigint()
            return self._con.execute(sql, *args)

    def init(self: Workspace, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if not self.read_only:
            self._con = SignalOnCommit(self._con, "")  # type: ignore[assignment]

    monkeypatch.setattr(Workspace, "__init__", init)
    code = run(["ingest", str(shared_data / SAMPLE), "-f", "companies-house", "-w", str(path), "--dataset", "x"])
    err = capsys.readouterr().err
    assert code == 130 and "interrupted while committing: the sources were stored" in err
    monkeypatch.setattr(Workspace, "__init__", original)
    datasets, firms, _, _ = _held(path)
    assert sorted(datasets) == sorted([*before[0], "x"]) and firms == 2 * before[1]
