"""The README documents what the code defines: canonical columns, formats, commands; it opens with two commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterwatch.io.adapters import list_adapters
from clusterwatch.schema import EVENT_COLUMNS, FIRM_COLUMNS, RELATION_COLUMNS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_exactly_two_commands() -> None:
    first_block = README.split("```")[1]
    commands = [line for line in first_block.strip().splitlines() if line.strip()]
    assert [c.split("#")[0].strip() for c in commands] == ["make demo", "make test"]


@pytest.mark.parametrize("column", [c.name for c in FIRM_COLUMNS + EVENT_COLUMNS + RELATION_COLUMNS])
def test_every_canonical_column_is_documented(column: str) -> None:
    assert f"`{column}`" in README or f"`{column}," in README or f", {column}" in README


@pytest.mark.parametrize("adapter", [a.name for a in list_adapters()])
def test_every_format_is_documented(adapter: str) -> None:
    assert f"`{adapter}`" in README


def test_every_command_of_the_program_is_documented() -> None:
    # the list comes from the typer app, so a new command without a README line fails here
    import typer

    from clusterwatch.cli import app

    commands = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    assert "scan" in commands and "activities" in commands
    assert [c for c in commands if f"clusterwatch {c}" not in README] == []
