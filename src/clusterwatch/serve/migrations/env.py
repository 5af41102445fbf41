"""Alembic environment of the serve app: runs on the connection that ``clusterwatch.serve.db.upgrade`` passes."""

from __future__ import annotations

from alembic import context

from clusterwatch.serve.db import make_engine, metadata

config = context.config
connection = config.attributes.get("connection")
if connection is not None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:  # the alembic command line: `alembic -x db=URL upgrade head`
    url = context.get_x_argument(as_dictionary=True).get("db", config.get_main_option("sqlalchemy.url"))
    engine = make_engine(url or "sqlite:///clusterwatch-serve.sqlite")
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
