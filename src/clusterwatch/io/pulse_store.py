"""Pulse surveys in the DuckDB workspace: members, waves, answers, rejected rows and withdrawals, per cluster.

Tables ``pulse_members``, ``pulse_waves``, ``pulse_answers``, ``pulse_rejected``, ``pulse_withdrawn``, each keyed by
``cluster`` (a name the facilitator picks). A cluster is saved whole, inside one transaction, so an import that
fails leaves the workspace as it was; every statement is parameterised. A withdrawal deletes the member's answers,
the answers about them and the rejected rows quoting them, and records only the pseudonym and the date.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pandas as pd

from clusterwatch.errors import WorkspaceError
from clusterwatch.pulse.model import PulseData
from clusterwatch.pulse.privacy import purge, withdraw

_DDL = (
    """CREATE TABLE IF NOT EXISTS pulse_members (cluster VARCHAR NOT NULL, member_id VARCHAR NOT NULL, name VARCHAR,
        kind VARCHAR, size DOUBLE, sector VARCHAR, joined DATE, "left" DATE, PRIMARY KEY (cluster, member_id))""",
    """CREATE TABLE IF NOT EXISTS pulse_waves (cluster VARCHAR NOT NULL, wave VARCHAR NOT NULL, opens DATE,
        closes DATE, "order" BIGINT, PRIMARY KEY (cluster, wave))""",
    """CREATE TABLE IF NOT EXISTS pulse_answers (cluster VARCHAR NOT NULL, wave VARCHAR, respondent VARCHAR,
        alter VARCHAR, item VARCHAR, value DOUBLE, text VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS pulse_rejected (cluster VARCHAR NOT NULL, file VARCHAR, line BIGINT,
        "column" VARCHAR, reason VARCHAR, raw VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS pulse_withdrawn (cluster VARCHAR NOT NULL, member_id VARCHAR,
        withdrawn_at TIMESTAMP)""",
)
_TABLES = ("pulse_members", "pulse_waves", "pulse_answers", "pulse_rejected")


def _connect(path: str | os.PathLike[str], *, read_only: bool) -> duckdb.DuckDBPyConnection:
    from clusterwatch.io.workspace import Workspace

    path = Path(path)
    if read_only and not path.exists():
        raise WorkspaceError(f"workspace {path} does not exist; import a pulse survey first")
    if not read_only:
        Workspace(path).close()  # a pulse workspace is a workspace: create its core tables too
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise WorkspaceError(f"cannot open workspace {path}: {str(exc).splitlines()[0]}") from exc
    if not read_only:
        for ddl in _DDL:
            con.execute(ddl)
    return con


def clusters(path: str | os.PathLike[str]) -> list[str]:
    """Names of the clusters stored in the workspace."""
    con = _connect(path, read_only=True)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "pulse_members" not in tables:
            return []
        return [r[0] for r in con.execute("SELECT DISTINCT cluster FROM pulse_members ORDER BY cluster").fetchall()]
    finally:
        con.close()


def save_pulse(path: str | os.PathLike[str], cluster: str, data: PulseData) -> PulseData:
    """Store a cluster's pulse data, replacing what the workspace held for it, in one transaction.

    A member who withdrew earlier stays withdrawn: if the data name them again (a re-imported member list, answers
    about them), every trace of them is left out before storing.

    Returns
    -------
    PulseData
        What was stored.

    Raises
    ------
    WorkspaceError
        When the workspace cannot be opened.
    """
    con = _connect(path, read_only=False)
    try:
        earlier = [r[0] for r in con.execute("SELECT member_id FROM pulse_withdrawn WHERE cluster = ?",
                                             [cluster]).fetchall()]
    except Exception:
        con.close()
        raise
    for member in dict.fromkeys([*earlier, *data.withdrawn]):
        data = purge(data, member)
    frames = {
        "pulse_members": data.members[["member_id", "name", "kind", "size", "sector", "joined", "left"]],
        "pulse_waves": data.waves[["wave", "opens", "closes", "order"]],
        "pulse_answers": data.answers[["wave", "respondent", "alter", "item", "value", "text"]],
        "pulse_rejected": data.rejected[["file", "line", "column", "reason", "raw"]].astype({"line": "Int64"}),
    }
    try:
        con.execute("BEGIN TRANSACTION")
        for table in _TABLES:
            con.execute(f"DELETE FROM {table} WHERE cluster = ?", [cluster])
        for table, frame in frames.items():
            if frame.empty:
                continue
            con.register("_frame", frame.assign(cluster=cluster))
            cols = ", ".join(f'"{c}"' for c in ["cluster", *frame.columns])
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _frame")
            con.unregister("_frame")
        known = {r[0] for r in con.execute("SELECT member_id FROM pulse_withdrawn WHERE cluster = ?",
                                           [cluster]).fetchall()}
        now = dt.datetime.now().replace(microsecond=0)
        for member in data.withdrawn:
            if member not in known:
                con.execute("INSERT INTO pulse_withdrawn VALUES (?, ?, ?)", [cluster, member, now])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.close()
    return data


def load_pulse(path: str | os.PathLike[str], cluster: str) -> PulseData:
    """Read a cluster's pulse data back.

    Raises
    ------
    WorkspaceError
        When the workspace holds no such cluster.
    """
    con = _connect(path, read_only=True)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "pulse_members" not in tables:
            raise WorkspaceError(f"workspace {path} holds no pulse survey; import one with `clusterwatch pulse "
                                 "import`")

        def read(sql: str) -> pd.DataFrame:
            return con.execute(sql, [cluster]).df()

        members = read('SELECT member_id, name, kind, size, sector, joined, "left" FROM pulse_members '
                       "WHERE cluster = ? ORDER BY member_id")
        if members.empty:
            stored = [r[0] for r in con.execute("SELECT DISTINCT cluster FROM pulse_members").fetchall()]
            raise WorkspaceError(f"no pulse cluster {cluster!r} in {path} (clusters: {', '.join(stored) or 'none'})")
        waves = read('SELECT wave, opens, closes, "order" FROM pulse_waves WHERE cluster = ? ORDER BY "order"')
        answers = read("SELECT wave, respondent, alter, item, value, text FROM pulse_answers WHERE cluster = ?")
        rejected = read('SELECT file, line, "column", reason, raw FROM pulse_rejected WHERE cluster = ?')
        withdrawn = tuple(read("SELECT member_id FROM pulse_withdrawn WHERE cluster = ? ORDER BY withdrawn_at")[
            "member_id"].astype(str))
    finally:
        con.close()
    for col in ("joined", "left"):
        members[col] = pd.to_datetime(members[col])
    for col in ("opens", "closes"):
        waves[col] = pd.to_datetime(waves[col])
    answers["alter"] = answers["alter"].astype(object).where(answers["alter"].notna(), None)
    return PulseData(members=members, waves=waves.astype({"order": "int64"}), answers=answers, rejected=rejected,
                     withdrawn=withdrawn)


def withdraw_member(path: str | os.PathLike[str], cluster: str, member_id: str) -> PulseData:
    """Withdraw a member from a stored cluster: their answers, the answers about them and the rejected rows quoting
    them are deleted; only the pseudonym and the date are kept. Returns the cluster's data afterwards."""
    return save_pulse(path, cluster, withdraw(load_pulse(path, cluster), member_id))
