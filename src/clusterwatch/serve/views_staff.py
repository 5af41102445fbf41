"""Pages of the staff: login, accounts (administrators), clusters, members, waves, links, dashboard, exports.

A facilitator reaches only the clusters they facilitate (anything else is 403, whatever the id asked for) and sees
only aggregates (:mod:`clusterwatch.serve.measures`). Exports are written to the audit log.
"""

from __future__ import annotations

import io

import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import Response

from clusterwatch.errors import OptionError
from clusterwatch.report.csvsafe import neutralise
from clusterwatch.serve import db, exchange, security, store
from clusterwatch.serve.instrument import KINDS
from clusterwatch.serve.measures import dashboard
from clusterwatch.serve.web import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Ctx,
    Refused,
    client_of,
    redirect,
    render,
    row_id,
    staff_user,
)


def home(request: Request, ctx: Ctx) -> Response:
    """``/``: the clusters page when logged in, else the login page."""
    with ctx.settings.engine.connect() as conn:
        user = security.session_user(conn, request.cookies.get(SESSION_COOKIE))
    return redirect("/clusters" if user is not None else "/login")


def login(request: Request, ctx: Ctx) -> Response:
    """``/login``: the form (GET) and the check of name and password (POST), rate-limited."""
    error = None
    if request.method == "POST":
        username = ctx.form.get("username", "")[:80]
        password = ctx.form.get("password", "")
        client = client_of(request)
        with ctx.settings.engine.begin() as conn:
            if security.login_blocked(conn, username, client):
                error = "login_blocked"
                user_id = None
            else:
                user_id = security.authenticate(conn, username, password, client)
                if user_id is None:
                    error = "login_failed"
            if user_id is not None:
                cookie = security.open_session(conn, user_id)
                done = redirect("/clusters")
                done.set_cookie(SESSION_COOKIE, cookie, httponly=True, samesite="lax",
                                    secure=ctx.settings.secure_cookies, max_age=security.SESSION_HOURS * 3600)
                done.delete_cookie(LOGIN_CSRF_COOKIE)
                return done
    login_csrf = security.new_token()
    response = render(request, ctx, "login.html", status=429 if error == "login_blocked" else
                      (401 if error else 200), error=error, login_csrf=login_csrf)
    response.set_cookie(LOGIN_CSRF_COOKIE, login_csrf, httponly=True, samesite="strict",
                        secure=ctx.settings.secure_cookies, max_age=3600)
    return response


def logout(request: Request, ctx: Ctx) -> Response:
    """``POST /logout``: end the session."""
    with ctx.settings.engine.begin() as conn:
        security.close_session(conn, request.cookies.get(SESSION_COOKIE, ""))
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


def _staff(request: Request, ctx: Ctx, conn: sa.Connection) -> sa.Row:
    ctx.user = staff_user(request, conn)
    return ctx.user


def _admin(request: Request, ctx: Ctx, conn: sa.Connection) -> sa.Row:
    user = _staff(request, ctx, conn)
    if user.role != "admin":
        raise Refused(403, "forbidden")
    return user


def _cluster_of(request: Request, ctx: Ctx, conn: sa.Connection) -> sa.Row:
    """The cluster of the path, when the user facilitates it; 403 otherwise (404 would tell which ids exist)."""
    user = _staff(request, ctx, conn)
    try:
        cluster_id = row_id(request.path_params["cluster_id"])
    except (KeyError, ValueError):
        raise Refused(404, "not_found") from None
    if not store.facilitates(conn, user.id, cluster_id):
        raise Refused(403, "forbidden")
    row = store.cluster(conn, cluster_id)
    if row is None:  # pragma: no cover - a facilitator row cannot outlive its cluster (cascade)
        raise Refused(404, "not_found")
    return row


def clusters(request: Request, ctx: Ctx) -> Response:
    """``/clusters``: the user's clusters; POST creates one (its creator facilitates it)."""
    error = None
    with ctx.settings.engine.begin() as conn:
        user = _staff(request, ctx, conn)
        if request.method == "POST":
            try:
                cid = store.create_cluster(conn, ctx.form.get("name", ""), user.id)
                store.audit(conn, user, "create_cluster", cid, store.detail(name=ctx.form.get("name", "")))
                return redirect(f"/clusters/{cid}")
            except OptionError as exc:
                error = str(exc)
        rows = store.clusters_of(conn, user.id)
    return render(request, ctx, "clusters.html", clusters=rows, error=error, status=400 if error else 200)


def cluster_page(request: Request, ctx: Ctx) -> Response:
    """``/clusters/{id}``: members, waves, the forms to add them, import and export."""
    with ctx.settings.engine.connect() as conn:
        row = _cluster_of(request, ctx, conn)
        return _cluster_render(request, ctx, conn, row)


def _cluster_render(request: Request, ctx: Ctx, conn: sa.Connection, row: sa.Row, status: int = 200,
                    **extra: object) -> Response:
    return render(request, ctx, "cluster.html", status=status, cluster=row,
                  members=store.members_of(conn, row.id), waves=store.waves_of(conn, row.id), kinds=KINDS,
                  raw_export=ctx.settings.allow_raw_export and ctx.user is not None and ctx.user.role == "admin",
                  **extra)


def add_member(request: Request, ctx: Ctx) -> Response:
    """``POST /clusters/{id}/members``: add one member."""
    f = ctx.form
    with ctx.settings.engine.begin() as conn:
        row = _cluster_of(request, ctx, conn)
        try:
            store.add_member(conn, row.id, f.get("member_id", ""), f.get("name", ""), f.get("kind", ""),
                             f.get("size"), f.get("sector"), f.get("joined"), f.get("left"))
        except OptionError as exc:
            return _cluster_render(request, ctx, conn, row, status=400, error=str(exc))
    return redirect(f"/clusters/{row.id}")


def add_wave(request: Request, ctx: Ctx) -> Response:
    """``POST /clusters/{id}/waves``: add a wave with its opening and closing dates."""
    f = ctx.form
    with ctx.settings.engine.begin() as conn:
        row = _cluster_of(request, ctx, conn)
        try:
            wid = store.add_wave(conn, row.id, f.get("wave", ""), f.get("opens"), f.get("closes"))
        except OptionError as exc:
            return _cluster_render(request, ctx, conn, row, status=400, error=str(exc))
    return redirect(f"/clusters/{row.id}/waves/{wid}")


def _wave_of(request: Request, conn: sa.Connection, cluster_id: int) -> sa.Row:
    try:
        wave_id = row_id(request.path_params["wave_id"])
    except (KeyError, ValueError):
        raise Refused(404, "not_found") from None
    w = store.wave(conn, cluster_id, wave_id)
    if w is None:
        raise Refused(404, "not_found")
    return w


def wave_page(request: Request, ctx: Ctx) -> Response:
    """``/clusters/{id}/waves/{wave}``: the dashboard — aggregates only, k-suppressed."""
    with ctx.settings.engine.connect() as conn:
        row = _cluster_of(request, ctx, conn)
        w = _wave_of(request, conn, row.id)
        members, waves, answers = store.wave_frames(conn, row.id)
        counts = store.invitation_counts(conn, w.id)
    board = dashboard(members, answers, w.wave, k=ctx.settings.k, invited=counts["invited"] or None, waves=waves)
    return render(request, ctx, "wave.html", cluster=row, wave=w, board=board, counts=counts)


def issue_links(request: Request, ctx: Ctx) -> Response:
    """``POST /clusters/{id}/waves/{wave}/links``: new personal links for every member, shown once."""
    with ctx.settings.engine.begin() as conn:
        row = _cluster_of(request, ctx, conn)
        w = _wave_of(request, conn, row.id)
        links = store.issue_links(conn, w.id, row.id)
        store.audit(conn, ctx.user, "issue_links", row.id, store.detail(wave=w.wave, members=len(links)))
    base = ctx.settings.base_url or str(request.base_url).rstrip("/")
    return render(request, ctx, "links.html", cluster=row, wave=w,
                  links=[(mid, name, f"{base}/s/{token}") for mid, name, token in links])


def export(request: Request, ctx: Ctx) -> Response:
    """``/clusters/{id}/export/{table}.csv``: members, waves, measures (aggregates); answers only when allowed.

    The raw answers (dyad level) leave the server only when the app was started with raw export allowed, and only
    to an administrator who facilitates the cluster; every export is in the audit log.
    """
    table = request.path_params["table"]
    with ctx.settings.engine.begin() as conn:
        row = _cluster_of(request, ctx, conn)
        assert ctx.user is not None
        refused = table == "answers" and not (ctx.settings.allow_raw_export and ctx.user.role == "admin")
        if refused:  # recorded in its own transaction: the refusal itself is audited
            store.audit(conn, ctx.user, "export_refused", row.id, store.detail(table=table))
    if refused:
        raise Refused(403, "forbidden")
    with ctx.settings.engine.begin() as conn:
        members, waves, answers = store.wave_frames(conn, row.id)
        if table == "members":
            frame = members
        elif table == "waves":
            frame = waves
        elif table == "measures":
            counts = {w.wave: store.invitation_counts(conn, w.id)["invited"] for w in store.waves_of(conn, row.id)}
            frame = exchange.measures_table(members, waves, answers, k=ctx.settings.k, invited=counts)
        elif table == "answers":
            frame = answers
        else:
            raise Refused(404, "not_found")
        store.audit(conn, ctx.user, "export", row.id, store.detail(table=table, rows=len(frame)))
    buffer = io.StringIO()
    neutralise(frame).to_csv(buffer, index=False)  # spreadsheet-safe cells (OWASP CSV injection)
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{table}.csv"'})


def import_csv(request: Request, ctx: Ctx) -> Response:
    """``POST /clusters/{id}/import``: members.csv (+ waves.csv, answers.csv) in the pulse layout."""
    with ctx.settings.engine.begin() as conn:
        row = _cluster_of(request, ctx, conn)
        result = exchange.import_files(conn, row.id, ctx.files.get("members"), ctx.files.get("waves"),
                                       ctx.files.get("answers"))
        store.audit(conn, ctx.user, "import", row.id, store.detail(**result.counts(), rejected=len(result.rejected)))
        return _cluster_render(request, ctx, conn, row, status=200 if not result.rejected else 422,
                               imported=result)


def report(request: Request, ctx: Ctx) -> Response:
    """``/clusters/{id}/report``: the pulse library's offline report of the cluster (k-suppressed)."""
    with ctx.settings.engine.begin() as conn:
        row = _cluster_of(request, ctx, conn)
        members, waves, answers = store.wave_frames(conn, row.id)
        store.audit(conn, ctx.user, "report", row.id, store.detail(waves=len(waves)))
    html = exchange.pulse_report(members, waves, answers, k=ctx.settings.k, title=row.name)
    if html is None:
        raise Refused(404, "report_none")
    # the report is self-contained: inline styles and SVG, no script at all
    return Response(html, media_type="text/html; charset=utf-8", headers={
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                   "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"})


def cluster_audit(request: Request, ctx: Ctx) -> Response:
    """``/clusters/{id}/audit``: who exported, imported or issued links in this cluster."""
    with ctx.settings.engine.connect() as conn:
        row = _cluster_of(request, ctx, conn)
        entries = store.audit_entries(conn, row.id)
    return render(request, ctx, "audit.html", cluster=row, entries=entries)


def admin(request: Request, ctx: Ctx) -> Response:
    """``/admin``: accounts (create, deactivate, set a new password), facilitator assignments, the audit log."""
    error = None
    f = ctx.form
    with ctx.settings.engine.begin() as conn:
        user = _admin(request, ctx, conn)
        if request.method == "POST":
            action = f.get("action", "")
            try:
                if action == "create":
                    uid = security.create_user(conn, f.get("username", ""), f.get("password", ""),
                                               f.get("role", "facilitator"))
                    store.audit(conn, user, "create_account", None, store.detail(user_id=uid, role=f.get("role")))
                elif action in ("activate", "deactivate"):
                    uid = row_id(f.get("user_id", "0"))
                    if uid == user.id:
                        raise OptionError("you cannot deactivate your own account")
                    conn.execute(db.users.update().where(db.users.c.id == uid).values(active=action == "activate"))
                    if action == "deactivate":
                        conn.execute(db.sessions.delete().where(db.sessions.c.user_id == uid))
                    store.audit(conn, user, action, None, store.detail(user_id=uid))
                elif action == "password":
                    uid = row_id(f.get("user_id", "0"))
                    changed = conn.execute(db.users.update().where(db.users.c.id == uid).values(
                        password_hash=security.hash_password(f.get("password", ""))))
                    if changed.rowcount == 0:
                        raise OptionError("no such user")
                    conn.execute(db.sessions.delete().where(db.sessions.c.user_id == uid))
                    store.audit(conn, user, "set_password", None, store.detail(user_id=uid))
                elif action == "assign":
                    uid, cid = row_id(f.get("user_id", "0")), row_id(f.get("cluster_id", "0"))
                    if store.cluster(conn, cid) is None or conn.execute(
                            sa.select(db.users.c.id).where(db.users.c.id == uid)).first() is None:
                        raise OptionError("no such user or cluster")
                    store.assign_facilitator(conn, cid, uid)
                    store.audit(conn, user, "assign", cid, store.detail(user_id=uid))
                else:
                    raise OptionError("unknown action")
                return redirect("/admin")
            except (OptionError, ValueError) as exc:
                error = str(exc)
        accounts = list(conn.execute(sa.select(db.users.c.id, db.users.c.username, db.users.c.role,
                                               db.users.c.active).order_by(db.users.c.username)))
        all_clusters = list(conn.execute(sa.select(db.clusters.c.id, db.clusters.c.name).order_by(db.clusters.c.id)))
        entries = store.audit_entries(conn)
    return render(request, ctx, "admin.html", accounts=accounts, clusters=all_clusters, entries=entries,
                  error=error, status=400 if error else 200)
