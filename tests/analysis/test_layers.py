"""The layer rule of DESIGN.md, read from the source: analyses open no database, set no environment, import no IO."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "clusterwatch"
ANALYSIS = sorted((SRC / "analysis").rglob("*.py"))
#: Modules an analysis must not import (the edge: databases and clusterwatch's own IO layer).
FORBIDDEN = ("duckdb", "clusterwatch.io", "clusterwatch.cli", "clusterwatch.commands", "clusterwatch.report")


def violations(source: str) -> list[str]:
    """What in ``source`` crosses the layer: forbidden imports and any use of ``os.environ`` / ``os.putenv``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            if node.module == "os" and any(alias.name in ("environ", "putenv", "unsetenv") for alias in node.names):
                found.append(f"line {node.lineno}: from os import environ")
            if node.module == "clusterwatch" and any(alias.name in ("io", "cli", "report") for alias in node.names):
                found.append(f"line {node.lineno}: from clusterwatch import an edge module")
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os"
              and node.attr in ("environ", "putenv", "unsetenv", "getenv")):
            found.append(f"line {node.lineno}: os.{node.attr}")
        for name in names:
            if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN):
                found.append(f"line {node.lineno}: imports {name}")
    return sorted(set(found))


def test_the_checker_catches_each_kind_of_crossing() -> None:
    bad = "\n".join([
        "import duckdb",
        "from clusterwatch.io.workspace import Workspace",
        "import clusterwatch.io.embed_cache as cache",
        "from clusterwatch import io",
        "import os",
        "os.environ.setdefault('HF_HUB_OFFLINE', '1')",
        "from os import environ",
        "def f():\n    import duckdb as db\n    return db",
    ])
    lines = {int(v.split(":")[0].removeprefix("line ")) for v in violations(bad)}
    assert lines == {1, 2, 3, 4, 6, 7, 9}  # every line but the plain "import os" and the "def"
    assert violations("import os\nfrom pathlib import Path\nimport numpy as np\nos.cpu_count()\n") == []


@pytest.mark.parametrize("path", ANALYSIS, ids=[str(p.relative_to(SRC)) for p in ANALYSIS])
def test_no_analysis_module_crosses_into_io(path: Path) -> None:
    assert violations(path.read_text(encoding="utf-8")) == []


def test_the_workspace_imports_no_analysis() -> None:
    tree = ast.parse((SRC / "io" / "workspace.py").read_text(encoding="utf-8"))
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [name for name in imported if name.startswith("clusterwatch.analysis")]
