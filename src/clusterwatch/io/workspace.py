"""The DuckDB workspace: firms, their codes, dated events, relations, sources and rejected rows in one file.

Writes are transactional: a source is replaced (deleted and inserted) inside one transaction, so re-ingesting a
source never duplicates it and a failure leaves the workspace as it was. Every SQL statement is parameterised.

A workspace written by an older clusterwatch is migrated when it is opened for writing (:data:`SCHEMA_VERSION`);
opened read-only, it is read through views of the new names and left as it is.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from clusterwatch.codes.formats import firm_code_table
from clusterwatch.errors import WorkspaceError
from clusterwatch.io.ingest import IngestResult
from clusterwatch.schema import EVENT_COLUMNS, FIRM_CODE_COLUMNS, FIRM_COLUMNS, RELATION_COLUMNS, Column

if TYPE_CHECKING:
    from clusterwatch.io.embed_cache import EmbeddingCache

DEFAULT_WORKSPACE = "clusterwatch.duckdb"
#: 1: the first layout; 2: the dated-evidence table ``activities`` renamed ``events`` (and the ``sources`` count
#: column with it), and the normalised ``firm_codes`` table added.
SCHEMA_VERSION = 2

_SQL_TYPES = {"str": "VARCHAR", "float": "DOUBLE", "date": "DATE", "bool": "BOOLEAN", "int": "BIGINT"}


def _table_sql(name: str, columns: tuple[Column, ...], extra: str = "") -> str:
    cols = ", ".join(f'"{c.name}" {_SQL_TYPES[c.dtype]}' for c in columns)
    return f"CREATE TABLE IF NOT EXISTS {name} (dataset VARCHAR NOT NULL, {cols}{extra})"


_DDL = [
    _table_sql("firms", FIRM_COLUMNS, ", PRIMARY KEY (dataset, firm_id)"),
    _table_sql("firm_codes", FIRM_CODE_COLUMNS),
    _table_sql("events", EVENT_COLUMNS),
    _table_sql("relations", RELATION_COLUMNS),
    """CREATE TABLE IF NOT EXISTS sources (
        dataset VARCHAR PRIMARY KEY, path VARCHAR, format VARCHAR, rows_are VARCHAR, ingested_at TIMESTAMP,
        rows_read BIGINT, accepted BIGINT, rejected BIGINT, firms BIGINT, events BIGINT, relations BIGINT,
        rejected_by_reason VARCHAR, located_by VARCHAR, notes VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS rejected (
        dataset VARCHAR, source VARCHAR, line BIGINT, record BIGINT, "column" VARCHAR, reason VARCHAR, raw VARCHAR)""",
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
]


#: What :meth:`Workspace.store` says (as the ``KeyboardInterrupt``'s message) when Ctrl-C stopped it before the
#: commit (nothing stored) or arrived during the commit (everything stored, then stopped).
INTERRUPTED_BEFORE = "while storing: nothing was stored"
INTERRUPTED_AFTER = "while committing: the store completed"


class _Interruption:
    """Ctrl-C during a store, caught as a flag: the running DuckDB query is interrupted and the store rolled back.

    A SIGINT arriving inside DuckDB surfaces as one of several errors (``InterruptException``, a ``RuntimeError``
    "Query interrupted", an error wrapping the ``KeyboardInterrupt`` of a pandas scan); with the flag the store
    knows it was interrupted whichever comes, and says so. Only the main thread may handle signals; elsewhere the
    default behaviour stays.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self.seen = False
        self.committing = False
        self._previous: Any = None

    def watch(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def on_sigint(signum: int, frame: Any) -> None:
            self.seen = True
            if self.committing:
                return
            with contextlib.suppress(Exception):
                self._con.interrupt()
            raise KeyboardInterrupt

        self._previous = signal.signal(signal.SIGINT, on_sigint)

    def check(self) -> None:
        if self.seen:
            raise KeyboardInterrupt

    def release(self) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None


class Workspace:
    """A clusterwatch workspace file (DuckDB).

    Parameters
    ----------
    path
        The workspace file; created when absent unless ``read_only``.
    read_only
        Open without the right to write (``clusterwatch info``).

    Raises
    ------
    WorkspaceError
        When the file cannot be opened, or is not a clusterwatch workspace.
    """

    def __init__(self, path: str | os.PathLike[str] = DEFAULT_WORKSPACE, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._old_sources = False
        if read_only and not self.path.exists():
            raise WorkspaceError(f"workspace {self.path} does not exist; create it with `clusterwatch ingest`")
        try:
            self._con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            raise WorkspaceError(f"cannot open workspace {self.path}: {str(exc).splitlines()[0]}") from exc
        tables = self._tables()
        if not read_only:
            if "firms" in tables and "events" not in tables:
                self._migrate(tables)
            for ddl in _DDL:
                self._con.execute(ddl)
            self._con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
            )
        else:
            if "firms" not in tables:
                raise WorkspaceError(f"{self.path} is not a clusterwatch workspace (no firms table)")
            if "events" not in tables:
                self._read_old_layout(tables)

    def _tables(self) -> set[str]:
        return {r[0] for r in self._con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}

    def _stored_firm_codes(self) -> pd.DataFrame:
        """The ``firm_codes`` rows of the stored firms (for a workspace of the old layout, which has none)."""
        return firm_code_table(self._con.execute(
            "SELECT dataset, firm_id, code, codes, code_system FROM firms ORDER BY dataset, firm_id").df())

    def _migrate(self, tables: set[str]) -> None:
        """Bring a schema-1 workspace to :data:`SCHEMA_VERSION`, in one transaction: the ``activities`` table and
        the ``sources`` count column become ``events``, and ``firm_codes`` is built from the stored firms."""
        con = self._con
        con.execute("BEGIN TRANSACTION")
        try:
            if "activities" in tables:
                con.execute("ALTER TABLE activities RENAME TO events")
            if "sources" in tables:
                columns = {r[0] for r in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = 'sources'").fetchall()}
                if "activities" in columns:
                    con.execute("ALTER TABLE sources RENAME COLUMN activities TO events")
                con.execute("UPDATE sources SET rows_are = 'events' WHERE rows_are = 'activities'")
            con.execute(_table_sql("firm_codes", FIRM_CODE_COLUMNS))
            self._insert("firm_codes", self._stored_firm_codes(),
                FIRM_CODE_COLUMNS)
            con.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    def _read_old_layout(self, tables: set[str]) -> None:
        """Read a schema-1 workspace opened read-only through temporary views of the new names (the file is not
        changed; opening it for writing migrates it)."""
        con = self._con
        if "activities" in tables:
            con.execute("CREATE TEMP VIEW events AS SELECT * FROM main.activities")
        else:  # no table of dated evidence at all: an empty one
            con.execute(_table_sql("events", EVENT_COLUMNS).replace("CREATE TABLE", "CREATE TEMP TABLE", 1))
        con.register("firm_codes", self._stored_firm_codes())
        self._old_sources = True

    # -- context manager
    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self._con.close()

    def embedding_cache(self) -> EmbeddingCache:
        """The workspace's cache of text embeddings (table ``embeddings``), for
        :func:`clusterwatch.io.embed_cache.embed_texts`."""
        from clusterwatch.io.embed_cache import EmbeddingCache

        return EmbeddingCache(self._con, read_only=self.read_only)

    @property
    def rejected_path(self) -> Path:
        """``WORKSPACE.rejected.csv`` beside the workspace file (its own: two workspaces in a folder keep theirs)."""
        return self.path.with_name(f"{self.path.stem}.rejected.csv")

    # -- writing
    def store(self, result: IngestResult) -> None:
        """Store an ingest result, replacing every dataset it contains, in one transaction.

        A failure or an interruption (Ctrl-C) before the commit rolls the transaction back: the workspace keeps what
        it held, and the error is raised again (an interruption as ``KeyboardInterrupt(INTERRUPTED_BEFORE)``).
        Ctrl-C during the commit lets it finish, then raises ``KeyboardInterrupt(INTERRUPTED_AFTER)``.

        ``WORKSPACE.rejected.csv`` beside the workspace is rewritten afterwards with every rejected row of every
        dataset.
        """
        con = self._con
        datasets = [s.dataset for s in result.report.sources]
        # millions of rows: bound DuckDB's buffers and let it insert out of order (the same rows, a lower peak and
        # a faster store for the 2.8 million PPP loans; bench/bench_ingest_ppp.py)
        con.execute("SET memory_limit = '1GB'")
        con.execute("SET preserve_insertion_order = false")
        interrupted = _Interruption(con)
        con.execute("BEGIN TRANSACTION")
        try:
            interrupted.watch()
            for table in ("firms", "firm_codes", "events", "relations", "sources", "rejected"):
                con.execute(f"DELETE FROM {table} WHERE dataset IN (SELECT unnest(?::VARCHAR[]))", [datasets])
            self._insert("firms", result.firms, FIRM_COLUMNS)
            self._insert("firm_codes", firm_code_table(result.firms), FIRM_CODE_COLUMNS)
            self._insert("events", result.events, EVENT_COLUMNS)
            self._insert("relations", result.relations, RELATION_COLUMNS)
            rej = result.rejected.astype({"line": "Int64", "record": "Int64"})
            self._insert("rejected", rej, (), ("source", "line", "record", "column", "reason", "raw"))
            now = dt.datetime.now().replace(microsecond=0)
            for s in result.report.sources:
                con.execute(
                    "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [s.dataset, s.path, s.format, s.rows_are, now, s.rows_read, s.accepted, s.rejected, s.firms,
                     s.events, s.relations, json.dumps(s.rejected_by_reason), json.dumps(s.located_by),
                     json.dumps(list(s.notes))],
                )
            interrupted.check()
            interrupted.committing = True  # a Ctrl-C now waits for the commit, which is all or nothing
            con.execute("COMMIT")
        except BaseException as exc:  # a failure or Ctrl-C before the commit: nothing of this store stays
            self._rollback()
            if interrupted.seen or isinstance(exc, duckdb.InterruptException):
                raise KeyboardInterrupt(INTERRUPTED_BEFORE) from None
            raise
        finally:
            interrupted.release()
            with contextlib.suppress(duckdb.Error):
                con.execute("RESET memory_limit")
                con.execute("RESET preserve_insertion_order")
        self.write_rejected_csv()
        if interrupted.seen:  # Ctrl-C during the commit: the store is complete, then the program stops
            raise KeyboardInterrupt(INTERRUPTED_AFTER)

    def _rollback(self) -> None:
        """Undo the open transaction, and mark the blocks its inserts took in the file free for the next store.

        DuckDB writes large uncommitted appends to the file ahead of the commit ("optimistic writes"); a rollback
        frees those blocks but does not shrink the file, so an interrupted large store leaves the file bigger (by
        up to the rows it was storing) with its content as before. Keeping the appends in memory instead
        (``enable_optimistic_write = false``) avoids that, but raised the peak memory of storing 2.8 million PPP
        loans from 1.7-1.9 to 2.2 GiB (bench/bench_ingest_ppp.py, over its 2 GiB target), so it is not done.
        """
        with contextlib.suppress(duckdb.Error):  # already rolled back by DuckDB (an interrupted query aborts it)
            self._con.execute("ROLLBACK")
        with contextlib.suppress(duckdb.Error):
            self._con.execute("CHECKPOINT")

    def _insert(self, table: str, frame: pd.DataFrame, columns: tuple[Column, ...], names: Sequence[str] = ()
                ) -> None:
        if frame.empty:
            return
        cols = ", ".join(f'"{name}"' for name in (names or [c.name for c in columns]))
        self._con.register("_frame", frame)
        try:
            self._con.execute(f"INSERT INTO {table} (dataset, {cols}) SELECT dataset, {cols} FROM _frame")
        finally:  # after an interrupted or failed insert the transaction is aborted: unregistering may fail too
            with contextlib.suppress(duckdb.Error):
                self._con.unregister("_frame")

    def write_rejected_csv(self) -> Path:
        """Write every rejected row (all datasets) to ``WORKSPACE.rejected.csv`` beside the workspace."""
        frame = self._con.execute(
            'SELECT dataset, source, line, record, "column", reason, raw FROM rejected ORDER BY dataset, record'
        ).df()
        from clusterwatch.report.csvsafe import write_csv

        write_csv(frame, self.rejected_path)  # raw rows come from the user's files: spreadsheet-safe
        return self.rejected_path

    # -- reading
    @staticmethod
    def _known_firms(as_of: dt.date | str | None, datasets: Sequence[str] | None, firms: str = "firms"
                     ) -> tuple[str, list[Any]]:
        """The WHERE conditions (and their parameters) of the firms known on ``as_of`` in ``datasets``, on the
        firms table (or alias) ``firms``: the one as-of rule of the workspace's SQL."""
        sql, params = "", []
        if as_of is not None:
            day = pd.Timestamp(as_of).date()
            sql += (f" AND ({firms}.founded IS NULL OR {firms}.founded <= ?)"
                    f" AND ({firms}.dissolved IS NULL OR {firms}.dissolved > ?)")
            params += [day, day]
        if datasets:
            sql += f" AND {firms}.dataset IN (SELECT unnest(?::VARCHAR[]))"
            params.append(list(datasets))
        return sql, params

    def firms(self, *, as_of: dt.date | str | None = None, datasets: Sequence[str] | None = None) -> pd.DataFrame:
        """Firms, optionally as known on a date: founded on or before it and not dissolved by it.

        Firms with no founding date are kept (their age is unknown, not in the future).
        """
        where, params = self._known_firms(as_of, datasets)
        return self._con.execute(f"SELECT * FROM firms WHERE 1=1{where} ORDER BY dataset, firm_id", params).df()

    def events(self, *, as_of: dt.date | str | None = None) -> pd.DataFrame:
        """Dated evidence events (awards, patents, projects, funding rounds ...); with ``as_of`` only those dated on
        or before it."""
        if as_of is None:
            return self._con.execute("SELECT * FROM events").df()
        return self._con.execute("SELECT * FROM events WHERE date <= ?", [pd.Timestamp(as_of).date()]).df()

    def activities(self, *, as_of: dt.date | str | None = None) -> pd.DataFrame:
        """Deprecated name of :meth:`events`."""
        warnings.warn("Workspace.activities() is now Workspace.events()", DeprecationWarning, stacklevel=2)
        return self.events(as_of=as_of)

    def firm_codes(self, *, as_of: dt.date | str | None = None, datasets: Sequence[str] | None = None
                   ) -> pd.DataFrame:
        """Every official code of the firms :meth:`firms` returns for the same ``as_of`` and ``datasets``, one row
        per firm and code (``dataset, firm_id, code, code_system, rank``; rank 0 is the primary code, then the
        order of ``codes``), ordered as :meth:`firms` orders the firms, then by rank."""
        where, params = self._known_firms(as_of, datasets, "f")
        return self._con.execute(
            'SELECT c.dataset, c.firm_id, c.code, c.code_system, c."rank" FROM firm_codes c '
            f"JOIN firms f ON f.dataset = c.dataset AND f.firm_id = c.firm_id WHERE 1=1{where} "
            'ORDER BY c.dataset, c.firm_id, c."rank"', params).df()

    def relations(self, *, as_of: dt.date | str | None = None) -> pd.DataFrame:
        """Relations; with ``as_of`` only those dated on or before it (undated ones are kept)."""
        if as_of is None:
            return self._con.execute("SELECT * FROM relations").df()
        return self._con.execute(
            "SELECT * FROM relations WHERE date IS NULL OR date <= ?", [pd.Timestamp(as_of).date()]
        ).df()

    def sources(self) -> pd.DataFrame:
        """One row per stored dataset with its ingest counts."""
        frame = self._con.execute("SELECT * FROM sources ORDER BY dataset").df()
        return frame.rename(columns={"activities": "events"}) if self._old_sources else frame

    def rejected(self) -> pd.DataFrame:
        """Every rejected row of every stored dataset."""
        return self._con.execute("SELECT * FROM rejected ORDER BY dataset, record").df()

    def sql(self, query: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run a read query (parameterised) and return a frame."""
        return self._con.execute(query, list(params or [])).df()

    def summary(self) -> dict[str, Any]:
        """What the workspace holds: counts per dataset, column coverage, date range, bounding box."""
        con = self._con
        out: dict[str, Any] = {"path": str(self.path)}
        out["sources"] = self.sources()
        counts = con.execute(
            """SELECT s.dataset,
                      (SELECT count(*) FROM firms f WHERE f.dataset = s.dataset) AS firms,
                      (SELECT count(*) FROM events e WHERE e.dataset = s.dataset) AS events,
                      (SELECT count(*) FROM relations r WHERE r.dataset = s.dataset) AS relations,
                      (SELECT count(*) FROM rejected x WHERE x.dataset = s.dataset) AS rejected
               FROM sources s ORDER BY s.dataset"""
        ).df()
        out["counts"] = counts
        total = con.execute("SELECT count(*) FROM firms").fetchone()
        n = int(total[0]) if total else 0
        out["n_firms"] = n
        exprs = ", ".join(f'count("{c.name}") AS "{c.name}"' for c in FIRM_COLUMNS)
        per_dataset = con.execute(
            f"SELECT dataset, count(*) AS n, {exprs} FROM firms GROUP BY dataset ORDER BY dataset"
        ).df()
        coverage = {c.name: (float(per_dataset[c.name].sum()) / n if n else 0.0) for c in FIRM_COLUMNS}
        out["coverage"] = coverage
        share = per_dataset.set_index("dataset")
        out["coverage_by_dataset"] = (
            share[[c.name for c in FIRM_COLUMNS]].div(share["n"], axis=0).T if len(share) else pd.DataFrame()
        )
        out["founded_range"] = con.execute("SELECT min(founded), max(founded) FROM firms").fetchone()
        out["event_range"] = con.execute("SELECT min(date), max(date) FROM events").fetchone()
        out["bbox"] = con.execute("SELECT min(lat), min(lon), max(lat), max(lon) FROM firms").fetchone()
        return out

