"""Fixtures of the serve app's tests: an app on a fresh SQLite file, accounts, and a client that logs in."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

pytest.importorskip("starlette", reason="the serve extra is not installed (pip install 'clusterwatch[serve]')")
pytest.importorskip("sqlalchemy", reason="the serve extra is not installed")
pytest.importorskip("httpx", reason="httpx (dev extra) is needed by Starlette's test client")

from starlette.testclient import TestClient  # noqa: E402

from clusterwatch.serve import create_app, create_user  # noqa: E402

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
LINK = re.compile(r'<tr data-member="([^"]+)">.*?<code class="link">([^<]+)</code>', re.S)


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = CSRF.search(html)
    assert found is not None, "no CSRF field on the page"
    return found.group(1)


class Staff:
    """A logged-in browser-like client of one account, with the steps a facilitator takes."""

    def __init__(self, client: TestClient, username: str, password: str = PASSWORD) -> None:
        self.client = client
        page = client.get("/login")
        done = client.post("/login", data={"username": username, "password": password, "csrf": csrf_of(page.text)},
                           follow_redirects=False)
        assert done.status_code == 303, done.text
        self.csrf = csrf_of(client.get("/clusters").text)

    def post(self, url: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        return self.client.post(url, data={**(data or {}), "csrf": self.csrf}, follow_redirects=False, **kw)

    def cluster(self, name: str, members: list[tuple[str, str, str]]) -> int:
        done = self.post("/clusters", {"name": name})
        assert done.status_code == 303, done.text
        cid = int(done.headers["location"].rsplit("/", 1)[1])
        for member_id, member_name, kind in members:
            added = self.post(f"/clusters/{cid}/members", {"member_id": member_id, "name": member_name, "kind": kind})
            assert added.status_code == 303, added.text
        return cid

    def wave(self, cid: int, name: str, opens: date | None = None, closes: date | None = None) -> int:
        opens = opens or date.today() - timedelta(days=1)
        closes = closes or date.today() + timedelta(days=14)
        done = self.post(f"/clusters/{cid}/waves", {"wave": name, "opens": opens.isoformat(),
                                                    "closes": closes.isoformat()})
        assert done.status_code == 303, done.text
        return int(done.headers["location"].rsplit("/", 1)[1])

    def links(self, cid: int, wid: int) -> dict[str, str]:
        page = self.post(f"/clusters/{cid}/waves/{wid}/links")
        assert page.status_code == 200, page.text
        return {mid: urlsplit(url).path for mid, url in LINK.findall(page.text)}


class Member:
    """A member answering on their personal link."""

    def __init__(self, client: TestClient, path: str) -> None:
        self.client = client
        self.path = path
        self.token = path.rsplit("/", 1)[1]

    def csrf(self) -> str:
        import hashlib

        return hashlib.sha256(b"survey-csrf:" + self.token.encode()).hexdigest()

    def consent(self) -> Any:
        return self.client.post(f"{self.path}/consent", data={"agree": "yes", "csrf": self.csrf()},
                                follow_redirects=False)

    def key(self, member_id: str) -> int:
        """The row id by which the survey's pages address another member (from the list page)."""
        page = self.client.get(self.path).text
        for mid, key in re.findall(r'<li data-member="([^"]*)"[^>]*><a href="[^"]*/m/(\d+)"', page):
            if html.unescape(mid) == member_id:
                return int(key)
        raise KeyError(member_id)

    def rate(self, member_id: str | int, **items: Any) -> Any:
        key = member_id if isinstance(member_id, int) else self.key(member_id)
        return self.client.post(f"{self.path}/m/{key}", data={**items, "csrf": self.csrf()},
                                follow_redirects=False)

    def cluster(self, **items: Any) -> Any:
        return self.client.post(f"{self.path}/cluster", data={**items, "csrf": self.csrf()}, follow_redirects=False)


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch: Any) -> None:
    """argon2id with its smallest cost in tests (the app's default cost is for real accounts)."""
    from argon2 import PasswordHasher

    from clusterwatch.serve import security

    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'serve.sqlite'}"


@pytest.fixture
def app(db_url: str) -> Any:
    web = create_app(db_url, k=3)
    with web.state.settings.engine.begin() as conn:
        create_user(conn, "admin", PASSWORD, "admin")
        create_user(conn, "fac_a", PASSWORD, "facilitator")
        create_user(conn, "fac_b", PASSWORD, "facilitator")
    return web


@pytest.fixture
def client(app: Any) -> TestClient:
    return TestClient(app)


@pytest.fixture
def staff(app: Any) -> Any:
    """``staff(username)``: a new browser logged in as that account."""
    return lambda username, password=PASSWORD: Staff(TestClient(app), username, password)


@pytest.fixture
def member(app: Any) -> Any:
    """``member(path)``: a new browser of the member whose link path is given."""
    return lambda path: Member(TestClient(app), path)


@pytest.fixture
def csrf() -> Any:
    """``csrf(html)``: the CSRF token of the first form on a page."""
    return csrf_of


@pytest.fixture
def engine_of() -> Any:
    """``engine_of(app)``: the app's database engine."""
    return lambda web: web.state.settings.engine


@pytest.fixture
def open_wave(app: Any, staff: Any) -> dict[str, Any]:
    """Cluster A (facilitated by fac_a) with members M1..M4, an open wave and its links."""
    fac = staff("fac_a")
    cid = fac.cluster("Cluster A", [("M1", "Aalto Labs", "firm"), ("M2", "Borealis Oy", "firm"),
                                    ("M3", "City of Espoo", "public"), ("M4", "Univ. of Turku", "university")])
    wid = fac.wave(cid, "2026-1")
    return {"fac": fac, "cluster": cid, "wave": wid, "links": fac.links(cid, wid)}


class LiveServer:
    """The app served by uvicorn on a loopback port, in a thread (for the browser and restart tests)."""

    def __init__(self, web: Any) -> None:
        import socket
        import threading

        import uvicorn

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(web, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> LiveServer:
        import time

        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.server.started, "uvicorn did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture
def live(app: Any) -> Any:
    """The app on a loopback port: ``live.url``."""
    with LiveServer(app) as server:
        yield server


def _pg_bindir() -> Path | None:
    import glob
    import shutil

    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@pytest.fixture(scope="session")
def postgres_server() -> Any:
    """A throw-away PostgreSQL server (initdb into a temp folder, unix socket only); skips, saying why, without one.

    As root the server runs as the ``postgres`` user (``runuser``), as PostgreSQL refuses to run as root.
    """
    import os
    import shutil
    import subprocess
    import tempfile

    pytest.importorskip("psycopg", reason="psycopg (serve extra) is not installed")
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL's initdb/pg_ctl are not installed (.ci/run installs Debian's postgresql)")
    prefix: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="cw-pg-"))
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            pytest.skip("running as root without runuser: cannot start PostgreSQL as another user")
        try:
            shutil.chown(folder, "postgres", "postgres")
        except (LookupError, PermissionError) as exc:
            pytest.skip(f"no postgres user to run the server as ({exc})")
        prefix = [runuser, "-u", "postgres", "--"]
    data = folder / "data"
    port = 54329 + os.getpid() % 500
    run = lambda *args: subprocess.run([*prefix, *map(str, args)], capture_output=True, text=True,  # noqa: E731
                                       timeout=120, check=False)
    done = run(bindir / "initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync")
    if done.returncode != 0:
        pytest.skip(f"initdb failed: {done.stderr.strip()[:300]}")
    done = run(bindir / "pg_ctl", "-D", data, "-l", folder / "log", "-w", "-t", "60", "-o",
               f"-k {folder} -p {port} -c listen_addresses='' -c fsync=off", "start")
    if done.returncode != 0:
        log = (folder / "log").read_text() if (folder / "log").exists() else ""
        pytest.skip(f"PostgreSQL did not start: {done.stderr.strip()[:200]} {log[-300:]}")
    try:
        yield {"host": str(folder), "port": port}
    finally:
        run(bindir / "pg_ctl", "-D", data, "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: dict[str, Any], request: Any) -> str:
    """A fresh database on the throw-away server, as a SQLAlchemy URL."""
    import psycopg

    name = "cw_" + re.sub(r"\W", "_", request.node.name.lower())[:50]
    with psycopg.connect(host=postgres_server["host"], port=postgres_server["port"], user="postgres",
                         dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return (f"postgresql+psycopg://postgres@/{name}?host={postgres_server['host']}"
            f"&port={postgres_server['port']}")
