"""The serve app's database: tables (SQLAlchemy Core), the engine, and migrations (Alembic).

One schema for SQLite (the embedded default, a file) and PostgreSQL (by URL). The tables are created and upgraded
only by the Alembic migrations shipped as package data in ``serve/migrations`` (``upgrade``); :data:`metadata` here
is what the code queries and what a test compares the migrated schema with.

Member answers use ``alter_key`` = the rated member's row id, or 0 for the questions about the cluster itself, so
that one unique index (wave, respondent, alter_key, item) holds for both (a NULL would not be unique in SQL).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from clusterwatch.errors import OptionError

#: The default database: a SQLite file in the working directory.
DEFAULT_DB = "sqlite:///clusterwatch-serve.sqlite"

metadata = sa.MetaData()

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(80), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),  # admin | facilitator
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

sessions = sa.Table(
    "sessions", metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),  # sha256 of the cookie value
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
)

login_attempts = sa.Table(
    "login_attempts", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(80), nullable=False),
    sa.Column("client", sa.String(64), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False, index=True),
    sa.Column("succeeded", sa.Boolean, nullable=False),
)

clusters = sa.Table(
    "clusters", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

cluster_facilitators = sa.Table(
    "cluster_facilitators", metadata,
    sa.Column("cluster_id", sa.Integer, sa.ForeignKey("clusters.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

members = sa.Table(
    "members", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("cluster_id", sa.Integer, sa.ForeignKey("clusters.id", ondelete="CASCADE"), nullable=False),
    sa.Column("member_id", sa.String(40), nullable=False),  # the pseudonym of the contract layout, e.g. M001
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("size", sa.Float, nullable=True),
    sa.Column("sector", sa.String(200), nullable=True),
    sa.Column("joined", sa.Date, nullable=True),
    sa.Column("left", sa.Date, nullable=True),
    sa.UniqueConstraint("cluster_id", "member_id", name="uq_members_cluster_member"),
)

waves = sa.Table(
    "waves", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("cluster_id", sa.Integer, sa.ForeignKey("clusters.id", ondelete="CASCADE"), nullable=False),
    sa.Column("wave", sa.String(40), nullable=False),
    sa.Column("opens", sa.Date, nullable=False),
    sa.Column("closes", sa.Date, nullable=False),
    sa.Column("order", sa.Integer, nullable=False),
    sa.UniqueConstraint("cluster_id", "wave", name="uq_waves_cluster_wave"),
)

invitations = sa.Table(
    "invitations", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("wave_id", sa.Integer, sa.ForeignKey("waves.id", ondelete="CASCADE"), nullable=False),
    sa.Column("member_key", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # sha256 of the link's token
    sa.Column("consented_at", sa.DateTime, nullable=True),
    sa.Column("withdrawn_at", sa.DateTime, nullable=True),
    sa.UniqueConstraint("wave_id", "member_key", name="uq_invitations_wave_member"),
)

answers = sa.Table(
    "answers", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("wave_id", sa.Integer, sa.ForeignKey("waves.id", ondelete="CASCADE"), nullable=False),
    sa.Column("respondent_key", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    sa.Column("alter_key", sa.Integer, nullable=False),  # members.id of the rated member, 0: the cluster itself
    sa.Column("item", sa.String(40), nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("saved_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("wave_id", "respondent_key", "alter_key", "item", name="uq_answers_one_per_item"),
)

audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("user_id", sa.Integer, nullable=True),
    sa.Column("username", sa.String(80), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("cluster_id", sa.Integer, nullable=True),
    sa.Column("detail", sa.Text, nullable=False),
)


def new_id(result: sa.CursorResult[Any]) -> int:
    """The primary key of the row an INSERT made."""
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - every table here has an integer key
        raise RuntimeError("the insert made no row")
    return int(key[0])


def _migrations_dir() -> Path:
    return Path(str(resources.files("clusterwatch.serve") / "migrations"))


def make_engine(url: str = DEFAULT_DB) -> Engine:
    """An engine for ``url``: ``sqlite:///FILE`` (WAL journal, foreign keys on) or ``postgresql+psycopg://...``.

    Raises
    ------
    OptionError
        When the URL is neither SQLite nor PostgreSQL.
    """
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise OptionError(f"--db {url!r} is not a database URL ({exc}); e.g. sqlite:///serve.sqlite or "
                          "postgresql+psycopg://user@host/dbname") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                                  pool_size=8, max_overflow=16)

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            # WAL: readers do not block the writer; NORMAL sync is durable against a killed process (only a power
            # cut can lose the last commits)
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return sa.create_engine(parsed, pool_size=8, max_overflow=16, pool_pre_ping=True)
    raise OptionError(f"--db {url!r}: only sqlite:/// and postgresql:// URLs are supported")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database's schema to ``revision`` with the shipped Alembic migrations."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_migrations_dir()))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at (None before the first migration)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
