"""``clusterwatch serve``: the self-hosted survey app for cluster members and the facilitator's dashboard.

Needs the ``serve`` extra (``pip install 'clusterwatch[serve]'``): Starlette, SQLAlchemy, Alembic, argon2-cffi,
uvicorn, python-multipart (and psycopg for PostgreSQL). SQLite is the embedded default; PostgreSQL by URL, same
schema, migrated by Alembic. Roles: administrators manage accounts; facilitators see only aggregated, k-suppressed
results of the clusters they facilitate; a member, by their personal link, sees and changes only their own answers
and may withdraw them.
"""

from __future__ import annotations

from clusterwatch.serve.app import create_app
from clusterwatch.serve.db import DEFAULT_DB, make_engine, upgrade
from clusterwatch.serve.measures import Dashboard, dashboard
from clusterwatch.serve.security import create_user

__all__ = ["DEFAULT_DB", "Dashboard", "create_app", "create_user", "dashboard", "make_engine", "upgrade"]
