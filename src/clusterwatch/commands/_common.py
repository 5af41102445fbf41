"""Helpers shared by the analysis commands: loading located firms, picking the code system."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from clusterwatch.cli.console import console
from clusterwatch.errors import InputError, OptionError


def located_firms(workspace: Path, as_of: str | None, datasets: list[str] | None, *, minimum: int = 1
                  ) -> pd.DataFrame:
    """Firms of the workspace known on ``as_of`` (optionally only some datasets) that have coordinates.

    Raises
    ------
    InputError
        When the workspace is missing or holds fewer than ``minimum`` located firms for the selection.
    """
    from clusterwatch.io.workspace import Workspace

    if not workspace.exists():
        raise InputError("no such workspace; run `clusterwatch ingest` first", path=str(workspace))
    with Workspace(workspace, read_only=True) as ws:
        firms = ws.firms(as_of=as_of, datasets=datasets)
    located = firms["lat"].notna() & firms["lon"].notna()
    if not located.all():
        console.print(f"note — {int((~located).sum()):,} firms without coordinates left out")
    firms = firms[located].reset_index(drop=True)
    if len(firms) < minimum:
        raise InputError(f"the workspace holds {len(firms)} located firms for this selection", path=str(workspace))
    return firms


def code_system_of(firms: pd.DataFrame, code_system: str | None) -> str:
    """The code system a ``--code`` refers to: the one given (checked), or the firms' only system.

    Raises
    ------
    OptionError
        When the given system is not among the firms', or the firms carry several (or none).
    """
    systems = sorted({str(s) for s in firms.loc[firms["code"].notna(), "code_system"].dropna().unique()})
    if code_system is not None:
        if code_system not in systems:
            raise OptionError(f"--code-system {code_system!r}: the firms' code systems are "
                              f"{', '.join(systems) or 'none'}")
        return code_system
    if len(systems) != 1:
        raise OptionError("give --code-system: the firms carry codes of "
                          + (f"several systems ({', '.join(systems)})" if systems else "no system"))
    return systems[0]
