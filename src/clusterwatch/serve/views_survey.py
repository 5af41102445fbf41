"""The member's pages, reached by their personal link ``/s/{token}``: consent, answers, own answers, withdrawal.

The token is the member's only credential: unknown tokens get 404, tokens of a wave that is not open (before it
opens, after it closes) or of a withdrawn member get 410. A member reaches only the other members of their own
cluster and only their own answers.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from clusterwatch.serve import store
from clusterwatch.serve.instrument import (
    CLUSTER_ITEMS,
    RELATION_ITEMS,
    TRUST_ITEMS,
    VALUE_ITEMS,
    AnswerError,
    parse_cluster_form,
    parse_member_form,
)
from clusterwatch.serve.web import Ctx, Refused, redirect, render, survey_csrf

#: Members shown per page of the list (the search narrows it; every member is reachable).
PAGE = 60


def _open_invitation(request: Request, ctx: Ctx, conn: object) -> store.Invitation:
    token = str(request.path_params["token"])
    inv = store.invitation(conn, token)  # type: ignore[arg-type]
    if inv is None:
        raise Refused(404, "link_invalid")
    if inv.withdrawn:
        raise Refused(410, "link_withdrawn")
    if not inv.is_open(date.today()):
        raise Refused(410, "link_closed", opens=inv.opens.isoformat(), closes=inv.closes.isoformat())
    return inv


def _values(request: Request, ctx: Ctx, inv: store.Invitation, **extra: Any) -> dict[str, Any]:
    token = str(request.path_params["token"])
    return {"inv": inv, "token": token, "survey_csrf": survey_csrf(token), "k": ctx.settings.k, **extra}


def start(request: Request, ctx: Ctx) -> Response:
    """``/s/{token}``: the consent text until the member agrees, then the list of the other members."""
    with ctx.settings.engine.connect() as conn:
        inv = _open_invitation(request, ctx, conn)
        if not inv.consented:
            return render(request, ctx, "consent.html", **_values(request, ctx, inv))
        others = [m for m in store.members_during(conn, inv.cluster_id, inv.opens, inv.closes)
                  if m.id != inv.member_key]
        mine = store.own_answers(conn, inv.wave_id, inv.member_key)
    query = request.query_params.get("q", "").strip().lower()
    shown = [m for m in others if query in m.name.lower() or query in m.member_id.lower()] if query else others
    try:
        page = max(int(request.query_params.get("page", "1")), 1)
    except ValueError:
        page = 1
    pages = max((len(shown) + PAGE - 1) // PAGE, 1)
    page = min(page, pages)
    return render(request, ctx, "survey.html", **_values(
        request, ctx, inv, others=shown[(page - 1) * PAGE:page * PAGE], total=len(others), matched=len(shown),
        page=page, pages=pages, query=query, answered={k for k in mine if k}, cluster_done=0 in mine,
        saved=request.query_params.get("saved") == "1"))


def agree(request: Request, ctx: Ctx) -> Response:
    """``POST /s/{token}/consent``: record consent (the box must be ticked)."""
    with ctx.settings.engine.begin() as conn:
        inv = _open_invitation(request, ctx, conn)
        if ctx.form.get("agree") != "yes":
            return render(request, ctx, "consent.html", status=400, **_values(request, ctx, inv, missing=True))
        store.consent(conn, inv.id)
    return redirect(f"/s/{request.path_params['token']}")


def _consented(request: Request, ctx: Ctx, conn: object) -> store.Invitation:
    inv = _open_invitation(request, ctx, conn)
    if not inv.consented:
        raise Refused(403, "consent_title")
    return inv


def about_member(request: Request, ctx: Ctx) -> Response:
    """``/s/{token}/m/{member_key}``: the questions about one other member of the cluster; POST saves them."""
    token = request.path_params["token"]
    with ctx.settings.engine.begin() as conn:
        inv = _consented(request, ctx, conn)
        target = next((m for m in store.members_during(conn, inv.cluster_id, inv.opens, inv.closes)
                       if m.id == request.path_params["member_key"]), None)
        if target is None or target.id == inv.member_key:
            raise Refused(404, "not_found")
        error = None
        if request.method == "POST":
            try:
                values = parse_member_form(ctx.form)
            except AnswerError as exc:
                error = str(exc)
            else:
                store.save_answers(conn, inv.wave_id, inv.member_key, target.id, values)
                return redirect(f"/s/{token}?saved=1")
        current = ctx.form if error else store.own_answers(conn, inv.wave_id, inv.member_key).get(target.id, {})
    return render(request, ctx, "member.html", status=400 if error else 200, **_values(
        request, ctx, inv, target=target, current=current, error=error, relation=RELATION_ITEMS,
        trust=TRUST_ITEMS, value=VALUE_ITEMS))


def about_cluster(request: Request, ctx: Ctx) -> Response:
    """``/s/{token}/cluster``: satisfaction, outcome progress and a comment; POST saves them."""
    token = request.path_params["token"]
    with ctx.settings.engine.begin() as conn:
        inv = _consented(request, ctx, conn)
        error = None
        if request.method == "POST":
            try:
                values = parse_cluster_form(ctx.form)
            except AnswerError as exc:
                error = str(exc)
            else:
                store.save_answers(conn, inv.wave_id, inv.member_key, 0, values)
                return redirect(f"/s/{token}?saved=1")
        current = ctx.form if error else store.own_answers(conn, inv.wave_id, inv.member_key).get(0, {})
    return render(request, ctx, "cluster_questions.html", status=400 if error else 200,
                  **_values(request, ctx, inv, current=current, error=error, items=CLUSTER_ITEMS))


def mine(request: Request, ctx: Ctx) -> Response:
    """``/s/{token}/mine``: every answer the member gave in this wave (theirs only)."""
    with ctx.settings.engine.connect() as conn:
        inv = _consented(request, ctx, conn)
        names = {m.id: m.name for m in store.members_of(conn, inv.cluster_id)}
        answers = store.own_answers(conn, inv.wave_id, inv.member_key)
    rows = [(names.get(alter, "?") if alter else None, item, value)
            for alter, items in sorted(answers.items()) for item, value in sorted(items.items())]
    return render(request, ctx, "mine.html", **_values(request, ctx, inv, rows=rows))


def withdraw(request: Request, ctx: Ctx) -> Response:
    """``/s/{token}/withdraw``: the confirmation page; POST with the confirmation deletes the member's answers."""
    with ctx.settings.engine.begin() as conn:
        inv = _open_invitation(request, ctx, conn)
        if request.method == "POST" and ctx.form.get("confirm") == "yes":
            store.withdraw(conn, inv.id, inv.wave_id, inv.member_key)
            return render(request, ctx, "error.html", message=ctx.t("link_withdrawn"))
    return render(request, ctx, "withdraw.html", **_values(request, ctx, inv))
