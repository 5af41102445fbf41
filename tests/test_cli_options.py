"""The shared options, taken from the program itself: one meaning per flag, one default each, checked up front."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import typer

from clusterwatch.cli import app, run
from clusterwatch.cli.console import fmt, fmt_range
from clusterwatch.cli.options import MAX_POPULATION, PERMUTATIONS, WORKSPACE

GROUP = typer.main.get_command(app)
COMMANDS: dict[str, Any] = dict(GROUP.commands)  # type: ignore[attr-defined]
DATE_OPTIONS = ("--as-of", "--since", "--start", "--entry-from")


def _options(command: Any) -> list[Any]:
    # typer ships its own copy of click: options are told apart by their kind, not by click's class
    return [p for p in command.params if p.param_type_name == "option"]


def _with(flag: str) -> list[str]:
    return sorted(name for name, cmd in COMMANDS.items() if any(flag in o.opts for o in _options(cmd)))


def test_every_short_flag_means_one_thing() -> None:
    meanings: dict[str, set[str]] = defaultdict(set)
    for command in COMMANDS.values():
        for option in _options(command):
            longs = [o for o in option.opts if o.startswith("--")]
            for short in (o for o in option.opts if not o.startswith("--")):
                meanings[short].update(longs)
    assert meanings["-c"] == {"--code"} and meanings["-m"] == {"--column"}
    assert {short: longs for short, longs in meanings.items() if len(longs) != 1} == {}


@pytest.mark.parametrize(("flag", "default"), [("--workspace", WORKSPACE), ("--as-of", None),
                                               ("--permutations", PERMUTATIONS), ("--code-system", None)])
def test_shared_options_have_one_default(flag: str, default: object) -> None:
    defaults = {name: next(o.default for o in _options(COMMANDS[name]) if flag in o.opts) for name in _with(flag)}
    assert len(defaults) >= 3
    if flag == "--workspace":  # `activities` reads source files unless a workspace is given
        defaults.pop("activities")
    assert set(defaults.values()) == {default}, defaults


def test_scan_windows_default_to_satscans_half() -> None:
    space = next(o for o in _options(COMMANDS["scan-space"]) if "--max-population" in o.opts)
    share = next(o for o in _options(COMMANDS["emerging"]) if "--max-spatial-share" in o.opts)
    assert space.default == share.default == MAX_POPULATION == 0.5
    # the main job's own setting (places, not regions) is documented as a different method's default
    main = next(o for o in _options(COMMANDS["scan"]) if "--max-population" in o.opts)
    assert main.default < MAX_POPULATION


def _date_cases() -> list[tuple[str, str]]:
    return [(name, flag) for flag in DATE_OPTIONS for name in _with(flag)]


@pytest.mark.parametrize(("command", "flag"), _date_cases())
@pytest.mark.parametrize("bad", ["2020-13-01", "2020-02-30", "31/12/2020"])
def test_impossible_dates_are_usage_errors_naming_the_option(command: str, flag: str, bad: str, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    code = run([command, flag, bad, "-w", str(tmp_path / "none.duckdb"), "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert flag in err and bad in err and "internal error" not in err
    assert not (tmp_path / "o").exists()


def test_date_cases_cover_every_command_with_a_date() -> None:
    assert {c for c, _ in _date_cases()} >= {"scan", "activities", "hotspots", "scan-space", "localise", "network",
                                             "regions", "emerging"}


@pytest.mark.parametrize("command", _with("--out"))
def test_out_is_checked_before_anything_is_computed(command: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    # the workspace does not exist either: exit 2 (not 1) shows --out was refused first
    code = run([command, "-o", str(blocker / "out"), "-w", str(tmp_path / "none.duckdb")] if command != "demo"
               else [command, "-o", str(blocker / "out")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "--out" in err and "is a file" in err
    code = run([command, "-o", str(blocker)] if command == "demo" else
               [command, "-o", str(blocker), "-w", str(tmp_path / "none.duckdb")])
    assert code == 2 and "is a file, not a folder" in capsys.readouterr().err


def test_out_not_writable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import os

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who may write anywhere (root)")
        assert run(["hotspots", "-o", str(locked / "out"), "-w", str(tmp_path / "none.duckdb")]) == 2
        assert "is not writable" in capsys.readouterr().err
    finally:
        locked.chmod(0o700)


def test_tables_off_a_terminal_are_tab_separated_in_full(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["formats"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "# Source formats" and lines[1] == "format\twhat it reads"
    rows = dict(line.split("\t") for line in lines[2:])
    from clusterwatch.io.adapters import list_adapters

    assert rows == {a.name: " ".join(a.description.split()) for a in list_adapters()}  # nothing cut to "…"


def test_one_number_format() -> None:
    assert fmt(0.021199999999999997) == "0.0212"
    assert fmt(None) == fmt(float("nan")) == "–"
    assert fmt(2765676) == "2,765,676" and fmt(2765676, grouping=False) == "2765676"
    assert fmt(0.254, percent=True) == "25%" and fmt(0.004, percent=True) == "0.4%"
    assert fmt_range(None, None) == "no dates" and "None" not in fmt_range("2001-01-01", None)


def test_commands_import_only_the_options_and_console() -> None:
    import ast

    import clusterwatch.commands

    folder = Path(clusterwatch.commands.__path__[0])
    for path in sorted(folder.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("clusterwatch.cli"):
                assert node.module in ("clusterwatch.cli.options", "clusterwatch.cli.console"), (path.name,
                                                                                                node.module)


def test_a_command_module_loads_without_the_program() -> None:
    import subprocess
    import sys

    code = ("import sys, clusterwatch.commands.scan, clusterwatch.commands.hotspots; "
            "print('clusterwatch.cli.program' in sys.modules)")
    env_path = str(Path(__file__).resolve().parents[1] / "src")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"})
    assert done.stdout.strip() == "False"
