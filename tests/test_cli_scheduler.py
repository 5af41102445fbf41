"""``--scheduler``: on every command with replicates, one default, checked before anything is read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer

from clusterwatch.cli import app, run

COMMANDS: dict[str, Any] = dict(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def _flags(command: Any) -> set[str]:
    return {flag for p in command.params if p.param_type_name == "option" for flag in p.opts}


def test_every_command_with_replicates_takes_scheduler() -> None:
    with_replicates = sorted(name for name, cmd in COMMANDS.items()
                             if any("permutations" in flag for flag in _flags(cmd)))
    assert {"scan", "scan-space", "hotspots", "emerging", "network"} <= set(with_replicates)
    assert [name for name in with_replicates if "--scheduler" not in _flags(COMMANDS[name])] == []
    defaults = {next(p.default for p in COMMANDS[name].params if "--scheduler" in p.opts)
                for name in with_replicates}
    assert defaults == {"threads"}


@pytest.mark.parametrize("command", ["scan", "scan-space", "network"])
@pytest.mark.parametrize("bad", ["dask", "local:0", "tcp://nohost"])
def test_bad_scheduler_is_a_usage_error_before_reading(command: str, bad: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    workspace = tmp_path / "none.duckdb"
    code = run([command, "--scheduler", bad, "-w", str(workspace), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "--scheduler" in err and ("tcp://host:port" in err or "local:N" in err)
    assert not workspace.exists() and not (tmp_path / "out").exists()


def test_dask_scheduler_without_the_extra_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    code = run(["scan", "--scheduler", "local:2", "-w", str(tmp_path / "none.duckdb"), "-o", str(tmp_path / "o")])
    assert code == 2
    assert "clusterwatch[dask]" in capsys.readouterr().err
