"""The command-line program: help everywhere, exit codes, ingest and info end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from clusterwatch.cli import app, run

#: The commands the program itself registers (not a hand-written list that a new command can be missing from).
COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_command_list_comes_from_the_program() -> None:
    # the discovered modules register their commands: the main job and the text activities among them
    assert {"ingest", "info", "scan", "activities", "hotspots", "scan-space", "localise", "network"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_on_every_command(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run([command, "--help"]) == 0
    assert "Usage" in capsys.readouterr().out


def test_usage_error_is_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["ingest", "--no-such-option"]) == 2
    assert run(["ingest", "x.csv", "--column", "nonsense=abc"]) == 2
    assert run(["no-such-command"]) == 2


def test_bad_input_is_1_with_one_line_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["ingest", str(tmp_path / "missing.csv"), "--workspace", str(tmp_path / "ws.duckdb")])
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing.csv: no such file" in err[0]
    assert run(["ingest", str(tmp_path / "missing.csv"), "--format", "nope"]) == 2
    assert run(["info", "--workspace", str(tmp_path / "absent.duckdb")]) == 1


def test_ingest_then_info(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "firms.tsv"
    src.write_text("ID\tlatitude\tlongitude\tnaics\na\t60.1\t24.9\t541715\nb\t0\t0\t541715\n")
    ws = tmp_path / "ws.duckdb"
    code = run(["ingest", str(src), "-w", str(ws), "-m", "firm_id=ID", "-m", "lat=latitude", "-m", "lon=longitude",
                "-m", "code=naics", "--code-system", "naics"])
    assert code == 0
    out = capsys.readouterr().out
    assert "impossible coordinates: 1" in out
    assert (tmp_path / "ws.rejected.csv").exists()
    assert run(["info", "-w", str(ws)]) == 0
    out = capsys.readouterr().out
    assert "firms.tsv" in out and "Column coverage (1 firms)" in out


def test_formats_lists_generic(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["formats"]) == 0
    assert "generic" in capsys.readouterr().out
