"""Reads and writes of the serve app's data, all through parameterised SQLAlchemy statements.

Functions take an open connection (the caller owns the transaction) and check nothing about who asks: the views
do that (:mod:`clusterwatch.serve.app`). ``wave_frames`` turns a cluster's data into the pulse contract layout.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clusterwatch.errors import OptionError
from clusterwatch.serve import db
from clusterwatch.serve.instrument import ITEMS, KINDS
from clusterwatch.serve.security import new_token, token_hash, utcnow


@dataclass(frozen=True)
class Invitation:
    """A member's personal link for one wave, resolved from its token."""

    id: int
    wave_id: int
    member_key: int
    cluster_id: int
    member_id: str
    member_name: str
    cluster_name: str
    wave: str
    opens: date
    closes: date
    consented: bool
    withdrawn: bool

    def is_open(self, today: date) -> bool:
        """Whether the link can be used on ``today``: the wave is open and the member has not withdrawn."""
        return self.opens <= today <= self.closes and not self.withdrawn


def audit(conn: Connection, user: sa.Row | None, action: str, cluster_id: int | None, detail: str) -> None:
    """Record who did what (exports, imports, account changes) in the audit log."""
    conn.execute(db.audit_log.insert().values(
        at=utcnow(), user_id=user.id if user is not None else None,
        username=user.username if user is not None else "-", action=action, cluster_id=cluster_id, detail=detail))


def create_cluster(conn: Connection, name: str, user_id: int) -> int:
    """Add a cluster facilitated by ``user_id`` and return its id."""
    name = name.strip()
    if not name or len(name) > 200:
        raise OptionError("a cluster name needs 1 to 200 characters")
    cid = db.new_id(conn.execute(db.clusters.insert().values(name=name, created_at=utcnow())))
    conn.execute(db.cluster_facilitators.insert().values(cluster_id=cid, user_id=user_id))
    return cid


def assign_facilitator(conn: Connection, cluster_id: int, user_id: int) -> None:
    """Let ``user_id`` facilitate ``cluster_id`` (no-op when already so)."""
    cf = db.cluster_facilitators.c
    exists = conn.execute(sa.select(cf.user_id).where(cf.cluster_id == cluster_id, cf.user_id == user_id)).first()
    if exists is None:
        conn.execute(db.cluster_facilitators.insert().values(cluster_id=cluster_id, user_id=user_id))


def clusters_of(conn: Connection, user_id: int) -> list[sa.Row]:
    """The clusters that ``user_id`` facilitates."""
    c, cf = db.clusters.c, db.cluster_facilitators.c
    return list(conn.execute(sa.select(c.id, c.name).join_from(db.clusters, db.cluster_facilitators,
                                                                c.id == cf.cluster_id)
                             .where(cf.user_id == user_id).order_by(c.name)))


def facilitates(conn: Connection, user_id: int, cluster_id: int) -> bool:
    """Whether ``user_id`` is a facilitator of ``cluster_id``."""
    cf = db.cluster_facilitators.c
    return conn.execute(sa.select(cf.user_id).where(cf.cluster_id == cluster_id,
                                                    cf.user_id == user_id)).first() is not None


def cluster(conn: Connection, cluster_id: int) -> sa.Row | None:
    """The cluster row (id, name), or None."""
    return conn.execute(sa.select(db.clusters.c.id, db.clusters.c.name)
                        .where(db.clusters.c.id == cluster_id)).first()


def _date(value: object, field: str) -> date | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == "":
        return None
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise OptionError(f"{field}: {str(value)[:40]!r} is not a date (YYYY-MM-DD)") from None


def add_member(conn: Connection, cluster_id: int, member_id: str, name: str, kind: str, size: object = None,
               sector: str | None = None, joined: object = None, left: object = None) -> int:
    """Add a member (pseudonym ``member_id``) to a cluster and return its row id.

    Raises
    ------
    OptionError
        When the pseudonym is empty or taken in the cluster, the kind unknown, or a date or size unreadable.
    """
    member_id, name = str(member_id).strip(), str(name).strip()
    if not member_id or len(member_id) > 40:
        raise OptionError("member_id needs 1 to 40 characters")
    if kind not in KINDS:
        raise OptionError(f"kind {str(kind)[:40]!r} is not one of {', '.join(KINDS)}")
    m = db.members.c
    if conn.execute(sa.select(m.id).where(m.cluster_id == cluster_id, m.member_id == member_id)).first():
        raise OptionError(f"member_id {member_id!r} is already a member of this cluster")
    size_value: float | None = None
    if size is not None and str(size).strip() not in ("", "nan"):
        try:
            size_value = float(str(size))
        except ValueError:
            raise OptionError(f"size: {str(size)[:40]!r} is not a number") from None
    row = db.members.insert().values(cluster_id=cluster_id, member_id=member_id, name=name[:200] or member_id,
                                     kind=kind, size=size_value, sector=(sector or None),
                                     joined=_date(joined, "joined"), left=_date(left, "left"))
    return db.new_id(conn.execute(row))


def members_of(conn: Connection, cluster_id: int) -> list[sa.Row]:
    """The cluster's members ordered by pseudonym."""
    m = db.members.c
    return list(conn.execute(sa.select(db.members).where(m.cluster_id == cluster_id).order_by(m.member_id)))


def add_wave(conn: Connection, cluster_id: int, wave: str, opens: object, closes: object) -> int:
    """Add a wave (next in order) to a cluster and return its row id.

    Raises
    ------
    OptionError
        When the name is empty or taken, a date unreadable, or the wave closes before it opens.
    """
    wave = str(wave).strip()
    opens_d, closes_d = _date(opens, "opens"), _date(closes, "closes")
    if not wave or len(wave) > 40:
        raise OptionError("a wave name needs 1 to 40 characters")
    if opens_d is None or closes_d is None:
        raise OptionError("a wave needs both an opening and a closing date")
    if closes_d < opens_d:
        raise OptionError(f"the wave closes ({closes_d}) before it opens ({opens_d})")
    w = db.waves.c
    if conn.execute(sa.select(w.id).where(w.cluster_id == cluster_id, w.wave == wave)).first():
        raise OptionError(f"wave {wave!r} exists in this cluster")
    order = conn.execute(sa.select(sa.func.coalesce(sa.func.max(w.order), 0)).where(w.cluster_id == cluster_id)
                         ).scalar_one() + 1
    return db.new_id(conn.execute(db.waves.insert().values(cluster_id=cluster_id, wave=wave, opens=opens_d,
                                                     closes=closes_d, order=order)))


def waves_of(conn: Connection, cluster_id: int) -> list[sa.Row]:
    """The cluster's waves in order."""
    w = db.waves.c
    return list(conn.execute(sa.select(db.waves).where(w.cluster_id == cluster_id).order_by(w.order)))


def members_during(conn: Connection, cluster_id: int, opens: date, closes: date) -> list[sa.Row]:
    """The cluster's members during a wave: joined on or before it closes, not left before it opens."""
    return [m for m in members_of(conn, cluster_id)
            if not (m.joined is not None and m.joined > closes) and not (m.left is not None and m.left < opens)]


def wave(conn: Connection, cluster_id: int, wave_id: int) -> sa.Row | None:
    """The wave ``wave_id`` if it belongs to ``cluster_id``, else None."""
    w = db.waves.c
    return conn.execute(sa.select(db.waves).where(w.id == wave_id, w.cluster_id == cluster_id)).first()


def issue_links(conn: Connection, wave_id: int, cluster_id: int) -> list[tuple[str, str, str]]:
    """New personal tokens for every member of the cluster during this wave: (member_id, name, token).

    A member who had a link gets a new one and the old one stops working; their saved answers stay. The tokens
    are returned only here (the database keeps their hashes). Members who left before the wave opens, or join
    after it closes, get none.
    """
    inv = db.invitations.c
    w = conn.execute(sa.select(db.waves.c.opens, db.waves.c.closes).where(db.waves.c.id == wave_id)).one()
    out = []
    for member in members_during(conn, cluster_id, w.opens, w.closes):
        token = new_token()
        updated = conn.execute(db.invitations.update().where(inv.wave_id == wave_id, inv.member_key == member.id)
                               .values(token_hash=token_hash(token)))
        if updated.rowcount == 0:
            conn.execute(db.invitations.insert().values(wave_id=wave_id, member_key=member.id,
                                                        token_hash=token_hash(token)))
        out.append((member.member_id, member.name, token))
    return out


def invitation(conn: Connection, token: str) -> Invitation | None:
    """The invitation of a link token, or None for an unknown token."""
    inv, w, m, c = db.invitations.c, db.waves.c, db.members.c, db.clusters.c
    row = conn.execute(
        sa.select(inv.id, inv.wave_id, inv.member_key, inv.consented_at, inv.withdrawn_at, w.cluster_id,
                  w.wave, w.opens, w.closes, m.member_id, m.name, c.name.label("cluster_name"))
        .join_from(db.invitations, db.waves, inv.wave_id == w.id)
        .join(db.members, inv.member_key == m.id)
        .join(db.clusters, w.cluster_id == c.id)
        .where(inv.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    return Invitation(id=row.id, wave_id=row.wave_id, member_key=row.member_key, cluster_id=row.cluster_id,
                      member_id=row.member_id, member_name=row.name, cluster_name=row.cluster_name, wave=row.wave,
                      opens=row.opens,
                      closes=row.closes, consented=row.consented_at is not None,
                      withdrawn=row.withdrawn_at is not None)


def consent(conn: Connection, invitation_id: int) -> None:
    """Record the member's consent (once)."""
    inv = db.invitations.c
    conn.execute(db.invitations.update().where(inv.id == invitation_id, inv.consented_at.is_(None))
                 .values(consented_at=utcnow()))


def save_answers(conn: Connection, wave_id: int, respondent_key: int, alter_key: int, values: dict[str, str]
                 ) -> int:
    """Replace the respondent's answers about one alter (0: the cluster) with ``values``; return how many stored.

    Replacing (delete, then insert, in the caller's transaction) makes a repeated save idempotent: the unique
    index (wave, respondent, alter, item) refuses any duplicate that concurrent saves could make.
    """
    a = db.answers.c
    unknown = sorted(set(values) - set(ITEMS))
    if unknown:
        raise OptionError(f"unknown items: {', '.join(unknown)}")
    # one respondent's saves run one after the other (a row lock on PostgreSQL; SQLite has one writer anyway),
    # so two tabs saving at once cannot both delete and then both insert
    inv = db.invitations.c
    conn.execute(sa.select(inv.id).where(inv.wave_id == wave_id, inv.member_key == respondent_key)
                 .with_for_update())
    conn.execute(db.answers.delete().where(a.wave_id == wave_id, a.respondent_key == respondent_key,
                                           a.alter_key == alter_key))
    now = utcnow()
    rows = [dict(wave_id=wave_id, respondent_key=respondent_key, alter_key=alter_key, item=item, value=value,
                 saved_at=now) for item, value in values.items()]
    if rows:
        conn.execute(db.answers.insert(), rows)
    return len(rows)


def own_answers(conn: Connection, wave_id: int, respondent_key: int) -> dict[int, dict[str, str]]:
    """The respondent's answers in a wave: alter_key -> {item: value}."""
    a = db.answers.c
    out: dict[int, dict[str, str]] = {}
    for row in conn.execute(sa.select(a.alter_key, a.item, a.value)
                            .where(a.wave_id == wave_id, a.respondent_key == respondent_key)):
        out.setdefault(int(row.alter_key), {})[row.item] = row.value
    return out


def withdraw(conn: Connection, invitation_id: int, wave_id: int, member_key: int) -> int:
    """Delete the member's answers in the wave, and the others' answers about them; return how many went.

    The member's link then refuses further answers (the invitation is marked withdrawn).
    """
    a = db.answers.c
    gone = conn.execute(db.answers.delete().where(a.wave_id == wave_id, a.respondent_key == member_key)).rowcount
    gone += conn.execute(db.answers.delete().where(a.wave_id == wave_id, a.alter_key == member_key)).rowcount
    conn.execute(db.invitations.update().where(db.invitations.c.id == invitation_id).values(withdrawn_at=utcnow()))
    return int(gone)


def wave_frames(conn: Connection, cluster_id: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The cluster's members, waves and answers as DataFrames in the pulse contract layout.

    Answers of withdrawn members are already deleted; ``alter`` is empty for the questions about the cluster.
    """
    mem = members_of(conn, cluster_id)
    by_key = {m.id: m.member_id for m in mem}
    members = pd.DataFrame(
        [{"member_id": m.member_id, "name": m.name, "kind": m.kind, "size": m.size, "sector": m.sector or "",
          "joined": m.joined.isoformat() if m.joined else "", "left": m.left.isoformat() if m.left else ""}
         for m in mem], columns=["member_id", "name", "kind", "size", "sector", "joined", "left"])
    wav = waves_of(conn, cluster_id)
    waves = pd.DataFrame([{"wave": w.wave, "opens": w.opens.isoformat(), "closes": w.closes.isoformat(),
                           "order": w.order} for w in wav], columns=["wave", "opens", "closes", "order"])
    wave_name = {w.id: w.wave for w in wav}
    a = db.answers.c
    rows = []
    if wave_name:
        for r in conn.execute(sa.select(a.wave_id, a.respondent_key, a.alter_key, a.item, a.value)
                              .where(a.wave_id.in_(list(wave_name)))
                              .order_by(a.wave_id, a.respondent_key, a.alter_key, a.item)):
            item = ITEMS[r.item]
            rows.append({"wave": wave_name[r.wave_id], "respondent": by_key[r.respondent_key],
                         "alter": by_key.get(r.alter_key, "") if r.alter_key else "", "item": r.item,
                         "value": r.value, "scale_min": "" if item.free_text else item.scale_min,
                         "scale_max": "" if item.free_text else item.scale_max})
    answers = pd.DataFrame(rows, columns=["wave", "respondent", "alter", "item", "value", "scale_min", "scale_max"])
    return members, waves, answers


def invitation_counts(conn: Connection, wave_id: int) -> dict[str, int]:
    """How many members were invited, consented, answered anything, and withdrew in a wave."""
    inv, a = db.invitations.c, db.answers.c
    invited = conn.execute(sa.select(sa.func.count()).where(inv.wave_id == wave_id)).scalar_one()
    consented = conn.execute(sa.select(sa.func.count()).where(inv.wave_id == wave_id,
                                                              inv.consented_at.is_not(None))).scalar_one()
    withdrawn = conn.execute(sa.select(sa.func.count()).where(inv.wave_id == wave_id,
                                                              inv.withdrawn_at.is_not(None))).scalar_one()
    answered = conn.execute(sa.select(sa.func.count(sa.distinct(a.respondent_key)))
                            .where(a.wave_id == wave_id)).scalar_one()
    return {"invited": int(invited), "consented": int(consented), "answered": int(answered),
            "withdrawn": int(withdrawn)}


def audit_entries(conn: Connection, cluster_id: int | None = None, limit: int = 200) -> list[sa.Row]:
    """The latest audit entries (of one cluster, or all)."""
    q = sa.select(db.audit_log).order_by(db.audit_log.c.id.desc()).limit(limit)
    if cluster_id is not None:
        q = q.where(db.audit_log.c.cluster_id == cluster_id)
    return list(conn.execute(q))


def detail(**fields: object) -> str:
    """An audit detail as compact JSON."""
    return json.dumps(fields, sort_keys=True, default=str)
