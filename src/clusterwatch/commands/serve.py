"""``clusterwatch serve``: the self-hosted survey app (needs the ``serve`` extra)."""

from __future__ import annotations

import contextlib
import getpass
import importlib
import os
import threading
from typing import Annotated

import typer

from clusterwatch._optional import import_optional
from clusterwatch.cli.console import console
from clusterwatch.cli.options import app
from clusterwatch.errors import OptionError

DEFAULT_DB = "sqlite:///clusterwatch-serve.sqlite"


def _preload_pulse() -> None:
    """Import pulse (igraph, numba) and run it once on a toy wave, so the first dashboard view is not slow."""
    import pandas as pd

    with contextlib.suppress(ImportError):
        importlib.import_module("clusterwatch.pulse")
        from clusterwatch.serve.measures import dashboard

        ids = ["A", "B", "C"]
        members = pd.DataFrame({"member_id": ids, "name": ids, "kind": ["firm"] * 3})
        waves = pd.DataFrame({"wave": ["w"], "opens": ["2026-01-01"], "closes": ["2026-01-31"], "order": [1]})
        answers = pd.DataFrame({"wave": "w", "respondent": ids, "alter": ["B", "C", "A"], "item": "works_with",
                                "value": "1"})
        dashboard(members, answers, "w", waves=waves)


@app.command()
def serve(
    db: Annotated[str, typer.Option("--db", help="Database URL: sqlite:///FILE or postgresql://user@host/dbname.")
                  ] = DEFAULT_DB,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    k: Annotated[int, typer.Option("--k", "-k",
                                   help="Show a member's trust/value only when at least k others rated them.")] = 3,
    base_url: Annotated[str | None, typer.Option("--base-url", help="Public address used in member links.")
                        ] = None,
    secure_cookies: Annotated[bool, typer.Option("--secure-cookies", help="Cookies only over HTTPS (behind TLS).")
                              ] = False,
    allow_raw_export: Annotated[bool, typer.Option(
        "--allow-raw-export", help="Let administrators download raw answers (dyad level); audited.")] = False,
    add_admin: Annotated[str | None, typer.Option(
        "--add-admin", help="Create an administrator with this user name (password from "
                            "CLUSTERWATCH_ADMIN_PASSWORD or a prompt) and exit.")] = None,
    migrate_only: Annotated[bool, typer.Option("--migrate-only", help="Bring the schema up to date and exit.")
                            ] = False,
) -> None:
    """Run the survey app: facilitators' accounts, clusters, waves, members' personal links, the dashboard.

    The database's schema is migrated (Alembic) at start. Create the first administrator with --add-admin NAME.
    """
    for module in ("starlette", "sqlalchemy", "alembic", "argon2", "uvicorn", "python_multipart"):
        import_optional(module, extra="serve")
    if k < 1:
        raise OptionError(f"-k must be at least 1, got {k}")
    from clusterwatch.serve import create_app, create_user, make_engine, upgrade

    engine = make_engine(db)
    upgrade(engine)
    if migrate_only:
        console.print(f"schema of {engine.url.render_as_string(hide_password=True)} is up to date")
        return
    if add_admin is not None:
        password = os.environ.get("CLUSTERWATCH_ADMIN_PASSWORD") or getpass.getpass(f"password for {add_admin}: ")
        with engine.begin() as conn:
            create_user(conn, add_admin, password, "admin")
        console.print(f"administrator {add_admin!r} created")
        return
    import uvicorn

    # warm the pulse library (igraph, numba) in the background a little after the start, so that neither the
    # start (a restart mid-wave) nor the first dashboard view waits for it
    warm = threading.Timer(10.0, _preload_pulse)
    warm.daemon = True
    warm.start()

    web = create_app(engine, k=k, allow_raw_export=allow_raw_export, secure_cookies=secure_cookies,
                     base_url=base_url, migrate=False)
    console.print(f"clusterwatch serve on http://{host}:{port}  (database "
                  f"{engine.url.render_as_string(hide_password=True)}, k = {k})")
    uvicorn.run(web, host=host, port=port, log_level="warning")
