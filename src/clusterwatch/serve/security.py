"""Accounts and secrets: argon2 password hashes, server-side sessions, CSRF tokens, link tokens, login rate limits.

Every secret that reaches a browser (session cookie, member link token) is stored only as its SHA-256, so a copy of
the database does not let anyone log in or answer as a member. Tokens are 32 random bytes from :mod:`secrets`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from clusterwatch.errors import OptionError
from clusterwatch.serve import db

ROLES = ("admin", "facilitator")
SESSION_HOURS = 8
#: Login rate limit: at most this many failed attempts per user name, and per client address, in the window.
MAX_FAILED_LOGINS = 5
LOGIN_WINDOW = timedelta(minutes=15)

_hasher = PasswordHasher()


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo (what the DateTime columns store)."""
    return datetime.utcnow().replace(microsecond=0)  # noqa: DTZ003 - naive UTC on purpose: portable columns


def new_token() -> str:
    """An unguessable URL-safe token (256 bits)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The SHA-256 (hex) under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``.

    Raises
    ------
    OptionError
        When the password is shorter than 10 characters.
    """
    if len(password) < 10:
        raise OptionError("a password needs at least 10 characters")
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches the stored argon2 hash."""
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


# an argon2 hash to verify against when the user name is unknown, so both cases take the same time
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def create_user(conn: Connection, username: str, password: str, role: str) -> int:
    """Add an account and return its id.

    Raises
    ------
    OptionError
        When the role is unknown, the name is empty or taken, or the password too short.
    """
    username = username.strip()
    if role not in ROLES:
        raise OptionError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if not username or len(username) > 80:
        raise OptionError("a user name needs 1 to 80 characters")
    taken = conn.execute(sa.select(db.users.c.id).where(db.users.c.username == username)).first()
    if taken is not None:
        raise OptionError(f"the user name {username!r} is taken")
    result = conn.execute(db.users.insert().values(username=username, password_hash=hash_password(password),
                                                   role=role, active=True, created_at=utcnow()))
    return db.new_id(result)


def login_blocked(conn: Connection, username: str, client: str) -> bool:
    """Whether too many failed logins for this user name or from this client fell in the last window."""
    since = utcnow() - LOGIN_WINDOW
    a = db.login_attempts.c
    failed = sa.select(sa.func.count()).where(a.at >= since, a.succeeded == sa.false())
    by_name = conn.execute(failed.where(a.username == username)).scalar_one()
    by_client = conn.execute(failed.where(a.client == client)).scalar_one()
    return by_name >= MAX_FAILED_LOGINS or by_client >= MAX_FAILED_LOGINS


def authenticate(conn: Connection, username: str, password: str, client: str) -> int | None:
    """The user id when the name and password match an active account, else None; every attempt is recorded."""
    row = conn.execute(sa.select(db.users.c.id, db.users.c.password_hash, db.users.c.active)
                       .where(db.users.c.username == username)).first()
    ok = verify_password(row.password_hash if row is not None else _DUMMY_HASH, password)
    ok = ok and row is not None and bool(row.active)
    conn.execute(db.login_attempts.insert().values(username=username[:80], client=client[:64], at=utcnow(),
                                                   succeeded=ok))
    return int(row.id) if ok and row is not None else None


def open_session(conn: Connection, user_id: int) -> str:
    """Start a session for ``user_id`` and return the cookie value."""
    cookie = new_token()
    conn.execute(db.sessions.insert().values(id_hash=token_hash(cookie), user_id=user_id, csrf=new_token(),
                                             expires_at=utcnow() + timedelta(hours=SESSION_HOURS)))
    return cookie


def close_session(conn: Connection, cookie: str) -> None:
    """End the session of this cookie value."""
    conn.execute(db.sessions.delete().where(db.sessions.c.id_hash == token_hash(cookie)))


def session_user(conn: Connection, cookie: str | None) -> sa.Row | None:
    """The session's user (id, username, role, csrf), or None when there is no live session for the cookie."""
    if not cookie:
        return None
    s, u = db.sessions.c, db.users.c
    return conn.execute(
        sa.select(u.id, u.username, u.role, s.csrf)
        .join_from(db.sessions, db.users, s.user_id == u.id)
        .where(s.id_hash == token_hash(cookie), s.expires_at > utcnow(), u.active == sa.true())
    ).first()


def csrf_ok(expected: str, given: str | None) -> bool:
    """Constant-time comparison of the session's CSRF token with the one the form sent."""
    return bool(given) and hmac.compare_digest(expected.encode(), str(given).encode())
