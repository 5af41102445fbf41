"""Helpers shared by the analysis commands: loading located firms, picking the code system."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
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


def firm_codes_of(workspace: Path, firms: pd.DataFrame, as_of: str | None, datasets: Sequence[str] | None,
                  system: str) -> pd.Series:
    """Every code of ``system`` of ``firms`` (as :func:`located_firms` returned them), one row each, from the
    workspace's ``firm_codes`` table; indexed by the firm's row position in ``firms``, in row order then rank."""
    from clusterwatch.io.workspace import Workspace

    with Workspace(workspace, read_only=True) as ws:
        table = ws.firm_codes(as_of=as_of, datasets=datasets)
    table = table[(table["code_system"] == system).fillna(False).to_numpy(dtype=bool)]
    position = pd.Series(np.arange(len(firms)), index=pd.MultiIndex.from_arrays(
        [firms["dataset"].astype(str), firms["firm_id"].astype(str)]))
    rows = position.reindex(pd.MultiIndex.from_arrays([table["dataset"].astype(str),
                                                       table["firm_id"].astype(str)])).to_numpy()
    kept = ~np.isnan(rows)  # codes of firms left out (no coordinates)
    return pd.Series(table["code"].to_numpy()[kept], index=rows[kept].astype(np.int64), dtype="string")


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
