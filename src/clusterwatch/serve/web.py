"""The plumbing every view shares: settings, rendering, refusals, forms read once, CSRF, security headers.

Views are plain functions ``(request, ctx) -> Response`` run in a worker thread (the database calls block);
:func:`view` wraps them into Starlette endpoints that read the form first, check the CSRF token of every POST, and
turn :class:`Refused` into an error page with its status code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import sqlalchemy as sa
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.engine import Connection, Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from clusterwatch.serve import security
from clusterwatch.serve.i18n import LANGUAGES, pick_language, translate

SESSION_COOKIE = "cw_session"
LOGIN_CSRF_COOKIE = "cw_login_csrf"
#: Largest upload accepted by the import form (bytes per file).
MAX_UPLOAD = 20 * 1024 * 1024

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # member links carry their token in the path: never send it on as a referrer
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class Settings:
    """How the app runs: the engine, k of the k-suppression, raw export allowed, cookies only over HTTPS."""

    engine: Engine
    k: int = 3
    allow_raw_export: bool = False
    secure_cookies: bool = False
    base_url: str | None = None
    env: Environment = field(default_factory=lambda: Environment(
        loader=PackageLoader("clusterwatch.serve", "templates"), autoescape=select_autoescape(default=True),
        trim_blocks=True, lstrip_blocks=True))


class Refused(Exception):
    """A request the app refuses: ``status`` and the text key of the message shown."""

    def __init__(self, status: int, key: str, **fields: object) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.fields = fields


@dataclass
class Ctx:
    """What a view gets besides the request: settings, language, form fields and files, the staff user."""

    settings: Settings
    lang: str
    form: dict[str, str]
    files: dict[str, bytes]
    user: sa.Row | None = None

    def t(self, key: str, **fields: object) -> str:
        """A text in the request's language."""
        return translate(self.lang, key, **fields)


def render(request: Request, ctx: Ctx, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    """Render a template with the shared values (texts, language, user, CSRF token)."""
    html = ctx.settings.env.get_template(template).render(
        t=partial(translate, ctx.lang), lang=ctx.lang, languages=LANGUAGES, user=ctx.user,
        csrf=ctx.user.csrf if ctx.user is not None else "", path=request.url.path, **values)
    return HTMLResponse(html, status_code=status)


def redirect(url: str) -> RedirectResponse:
    """A 303 See Other (after a POST, the browser GETs the target)."""
    return RedirectResponse(url, status_code=303)


def survey_csrf(token: str) -> str:
    """The CSRF field of a member's forms: derived from their link token, which a forging site cannot know."""
    return hashlib.sha256(b"survey-csrf:" + token.encode()).hexdigest()


def client_of(request: Request) -> str:
    """The client address (for login rate limits)."""
    return request.client.host if request.client is not None else "-"


def staff_user(request: Request, conn: Connection) -> sa.Row:
    """The logged-in account of the request.

    Raises
    ------
    Refused
        401 when there is no live session (the page asks to log in).
    """
    user = security.session_user(conn, request.cookies.get(SESSION_COOKIE))
    if user is None:
        raise Refused(401, "login")
    return user


View = Callable[[Request, Ctx], Response]


def view(fn: View, *, csrf: str = "session") -> Callable[[Request], Any]:
    """A Starlette endpoint running ``fn`` in a worker thread.

    ``csrf`` says how a POST is checked: ``"session"`` (the staff session's token), ``"login"`` (the double-submit
    cookie of the login form), ``"survey"`` (the token derived from the member's link) or ``"none"``.
    """

    async def endpoint(request: Request) -> Response:
        settings: Settings = request.app.state.settings
        lang = pick_language(request.query_params.get("lang") or request.cookies.get("lang"),
                             request.headers.get("accept-language"))
        form: dict[str, str] = {}
        files: dict[str, bytes] = {}
        if request.method == "POST":
            async with request.form(max_part_size=MAX_UPLOAD) as data:
                for key, value in data.multi_items():
                    if isinstance(value, UploadFile):
                        content = await value.read()
                        if content:
                            files[key] = content
                    else:
                        form[key] = str(value)
        ctx = Ctx(settings=settings, lang=lang, form=form, files=files)
        try:
            response = await run_in_threadpool(_checked, fn, request, ctx, csrf)
        except Refused as refused:
            response = _refusal(request, ctx, refused)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if "lang" in request.query_params and request.query_params["lang"] in LANGUAGES:
            response.set_cookie("lang", request.query_params["lang"], max_age=365 * 86400, samesite="lax",
                                httponly=True, secure=settings.secure_cookies)
        return response

    endpoint.__name__ = fn.__name__
    return endpoint


def _checked(fn: View, request: Request, ctx: Ctx, csrf: str) -> Response:
    if request.method == "POST":
        given = ctx.form.get("csrf")
        if csrf == "login":
            expected = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
            if not (expected and security.csrf_ok(expected, given)):
                raise Refused(403, "csrf_failed")
        elif csrf == "survey":
            expected = survey_csrf(str(request.path_params.get("token", "")))
            if not security.csrf_ok(expected, given):
                raise Refused(403, "csrf_failed")
        elif csrf == "session":
            with ctx.settings.engine.connect() as conn:
                user = staff_user(request, conn)
            if not security.csrf_ok(user.csrf, given):
                raise Refused(403, "csrf_failed")
    return fn(request, ctx)


def _refusal(request: Request, ctx: Ctx, refused: Refused) -> Response:
    if refused.status == 401:
        return redirect("/login")
    return render(request, ctx, "error.html", status=refused.status,
                  message=ctx.t(refused.key, **refused.fields))


def row_id(value: object) -> int:
    """A row id from a path or form value; ValueError unless it is an integer the databases can hold (1..2^31-1)."""
    number = int(str(value))
    if not 0 < number < 2**31:
        raise ValueError(f"{number} is not a row id")
    return number
