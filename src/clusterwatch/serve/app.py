"""The Starlette application of ``clusterwatch serve``: routes, static files, start-up migration.

>>> from clusterwatch.serve import create_app
>>> app = create_app("sqlite:///:memory:")  # doctest: +SKIP
"""

from __future__ import annotations

from importlib import resources

from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from clusterwatch.serve import db, views_staff, views_survey
from clusterwatch.serve.web import SECURITY_HEADERS, Settings, view

_STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


async def _static(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in ("app.css", "app.js"):
        return Response("not found", status_code=404)
    body = (resources.files("clusterwatch.serve") / "static" / name).read_bytes()
    headers = dict(SECURITY_HEADERS)
    headers["Cache-Control"] = "public, max-age=3600"
    return Response(body, media_type=_STATIC_TYPES[name[name.rfind("."):]], headers=headers)


def create_app(database: str | Engine = db.DEFAULT_DB, *, k: int = 3, allow_raw_export: bool = False,
               secure_cookies: bool = False, base_url: str | None = None, migrate: bool = True) -> Starlette:
    """The web app on ``database`` (a URL or an engine), its schema brought up to date first.

    Parameters
    ----------
    database
        ``sqlite:///FILE`` (default ``clusterwatch-serve.sqlite``) or ``postgresql://user@host/db``, or an engine.
    k
        A member's trust and value are shown only when at least ``k`` others rated them (default 3).
    allow_raw_export
        Let administrators download the raw answers (answers.csv, dyad level); off by default.
    secure_cookies
        Send cookies only over HTTPS (set it behind a TLS proxy).
    base_url
        The public address used in member links (default: the address of the request).
    migrate
        Run the Alembic migrations at start-up.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    engine = db.make_engine(database) if isinstance(database, str) else database
    if migrate:
        db.upgrade(engine)
    get, post, both = ["GET"], ["POST"], ["GET", "POST"]
    s, m = views_staff, views_survey
    routes = [
        Route("/", view(s.home), methods=get),
        Route("/login", view(s.login, csrf="login"), methods=both),
        Route("/logout", view(s.logout), methods=post),
        Route("/admin", view(s.admin), methods=both),
        Route("/clusters", view(s.clusters), methods=both),
        Route("/clusters/{cluster_id}", view(s.cluster_page), methods=get),
        Route("/clusters/{cluster_id}/members", view(s.add_member), methods=post),
        Route("/clusters/{cluster_id}/waves", view(s.add_wave), methods=post),
        Route("/clusters/{cluster_id}/import", view(s.import_csv), methods=post),
        Route("/clusters/{cluster_id}/export/{table}.csv", view(s.export), methods=get),
        Route("/clusters/{cluster_id}/report", view(s.report), methods=get),
        Route("/clusters/{cluster_id}/audit", view(s.cluster_audit), methods=get),
        Route("/clusters/{cluster_id}/waves/{wave_id}", view(s.wave_page), methods=get),
        Route("/clusters/{cluster_id}/waves/{wave_id}/links", view(s.issue_links), methods=post),
        Route("/s/{token}", view(m.start), methods=get),
        Route("/s/{token}/consent", view(m.agree, csrf="survey"), methods=post),
        Route("/s/{token}/m/{member_key:int}", view(m.about_member, csrf="survey"), methods=both),
        Route("/s/{token}/cluster", view(m.about_cluster, csrf="survey"), methods=both),
        Route("/s/{token}/mine", view(m.mine, csrf="survey"), methods=get),
        Route("/s/{token}/withdraw", view(m.withdraw, csrf="survey"), methods=both),
        Route("/static/{name}", _static, methods=get),
    ]
    app = Starlette(routes=routes)
    app.state.settings = Settings(engine=engine, k=k, allow_raw_export=allow_raw_export,
                                  secure_cookies=secure_cookies, base_url=base_url)
    return app
