"""A wave answered by many members at once against a real server process, and a crash in the middle of it.

Used by ``bench/bench_serve_load.py`` (200 members, figures printed) and by the restart test (a few members).
The server is ``clusterwatch serve`` in its own process (so it can be killed with SIGKILL); members are threads,
each with its own keep-alive HTTP connection (standard library only), walking the real pages: the link, consent,
the member list, one page per rated member, the cluster questions. A save counts as acknowledged when the server
answered it with 303; :func:`missing_answers` then says which acknowledged answers the database lacks.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa

from clusterwatch.serve import db, security, store

#: What one rated member's page saves: item -> value (the flows unticked are stored as 0 by the server).
Plan = dict[str, list[tuple[str, dict[str, str]]]]


PASSWORD = "load test password"


def prepare(db_url: str, n_members: int, info: dict[str, object] | None = None
            ) -> tuple[dict[str, str], dict[str, int]]:
    """A cluster of ``n_members`` members with an open wave: (member_id -> link path, member_id -> row id).

    ``info``, when given, receives the facilitator's ``username`` and the ``cluster`` and ``wave`` ids.
    """
    engine = db.make_engine(db_url)
    db.upgrade(engine)
    username = f"load-{time.time_ns()}"
    with engine.begin() as conn:
        user = security.create_user(conn, username, PASSWORD, "facilitator")
        cid = store.create_cluster(conn, "Load test", user)
        keys = {}
        for i in range(1, n_members + 1):
            mid = f"M{i:03d}"
            keys[mid] = store.add_member(conn, cid, mid, f"Member {i:03d}", "firm")
        wid = store.add_wave(conn, cid, "load", date.today() - timedelta(days=1), date.today() + timedelta(days=7))
        links = {mid: f"/s/{token}" for mid, _name, token in store.issue_links(conn, wid, cid)}
    engine.dispose()
    if info is not None:
        info.update(username=username, cluster=cid, wave=wid)
    return links, keys


def plan(member_ids: Sequence[str], alters: int, seed: int = 1) -> Plan:
    """Which members each member rates, with which answers (reproducible for a seed)."""
    rng = random.Random(seed)
    out: Plan = {}
    for mid in member_ids:
        others = [m for m in member_ids if m != mid]
        pages = []
        for alter in rng.sample(others, min(alters, len(others))):
            t, v = rng.randint(1, 4), rng.randint(1, 4)
            pages.append((alter, {"works_with": "1", "frequency": str(rng.randint(0, 4)), "flow_information": "1",
                                  "trust_reliable": str(t), "trust_mission": str(t),
                                  "trust_open": str(rng.randint(1, 4)),
                                  "value_power": str(v), "value_involvement": str(v), "value_resources": str(v)}))
        pages.append(("", {"satisfaction": str(rng.randint(1, 5)), "outcome_progress": str(rng.randint(1, 5)),
                           "comment": f"comment of {mid}"}))
        out[mid] = pages
    return out


def expected_rows(values: dict[str, str], alter: str) -> dict[str, str]:
    """The rows the server stores for one saved page (unticked flows become 0 when works_with is 1)."""
    rows = dict(values)
    if alter and rows.get("works_with") == "1":
        for flow in ("flow_information", "flow_resources", "flow_projects"):
            rows.setdefault(flow, "0")
    return rows


class ServerProcess:
    """``clusterwatch serve`` on a loopback port in a child process, optionally pinned to some CPU cores."""

    def __init__(self, db_url: str, port: int | None = None, cores: Sequence[int] | None = None,
                 log: Path | None = None) -> None:
        self.db_url = db_url
        self.port = port or _free_port()
        self.cores = cores
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> ServerProcess:
        """Start the server and wait until it accepts connections."""
        env = dict(os.environ)
        src = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
        cores = self.cores

        def pin() -> None:  # pragma: no cover - runs in the child
            if cores and hasattr(os, "sched_setaffinity"):
                os.sched_setaffinity(0, set(cores))

        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            # not `-m clusterwatch.cli`: run as __main__, the CLI module would not see the commands it loads
            [sys.executable, "-c", "from clusterwatch.cli import main; main()", "serve", "--db", self.db_url,
             "--port", str(self.port)],
            env=env, stdout=out, stderr=out, preexec_fn=pin if cores else None)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode} before it listened")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the server did not listen in time")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flushing; what is committed must survive."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        """A clean stop (SIGTERM)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Run:
    """What the members did: page times (seconds), acknowledged saves, failures."""

    page_times: list[float] = field(default_factory=list)
    acknowledged: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)  # respondent, alter, rows
    failures: list[str] = field(default_factory=list)
    wall: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def percentile(self, q: float) -> float:
        """The q-th percentile (0-100) of the page times."""
        times = sorted(self.page_times)
        if not times:
            return float("nan")
        return times[min(len(times) - 1, int(round(q / 100 * (len(times) - 1))))]


def _member(port: int, mid: str, path: str, pages: list[tuple[str, dict[str, str]]], keys: dict[str, int],
            run: Run, stop: threading.Event) -> None:
    token = path.rsplit("/", 1)[1]
    csrf = hashlib.sha256(b"survey-csrf:" + token.encode()).hexdigest()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(method: str, url: str, form: dict[str, str] | None = None) -> int:
        body = urlencode({**form, "csrf": csrf}) if form is not None else None
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
        started = time.perf_counter()
        conn.request(method, url, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        with run.lock:
            run.page_times.append(time.perf_counter() - started)
        return response.status

    try:
        call("GET", path)
        if call("POST", f"{path}/consent", {"agree": "yes"}) != 303:
            raise RuntimeError("consent refused")
        call("GET", path)
        for alter, values in pages:
            if stop.is_set():
                return
            url = f"{path}/m/{keys[alter]}" if alter else f"{path}/cluster"
            call("GET", url)
            status = call("POST", url, values)
            if status != 303:
                raise RuntimeError(f"save answered {status}")
            with run.lock:
                run.acknowledged.append((mid, alter, expected_rows(values, alter)))
    except (OSError, http.client.HTTPException, RuntimeError) as exc:
        with run.lock:
            run.failures.append(f"{mid}: {type(exc).__name__}: {exc}")
    finally:
        conn.close()


def answer_wave(port: int, links: dict[str, str], keys: dict[str, int], plans: Plan, *,
                stop_after: int | None = None, on_stop: object = None) -> Run:
    """Every member of ``plans`` answers at once (one thread each); return the run.

    With ``stop_after``, once that many saves are acknowledged ``on_stop()`` is called (e.g. to kill the server)
    and the members stop after their current request.
    """
    run = Run()
    stop = threading.Event()
    threads = [threading.Thread(target=_member, args=(port, mid, links[mid], pages, keys, run, stop), daemon=True)
               for mid, pages in plans.items()]
    started = time.perf_counter()
    for t in threads:
        t.start()
    if stop_after is not None:
        while any(t.is_alive() for t in threads):
            with run.lock:
                enough = len(run.acknowledged) >= stop_after
            if enough:
                stop.set()
                if callable(on_stop):
                    on_stop()
                break
            time.sleep(0.01)
    for t in threads:
        t.join(timeout=600)
    run.wall = time.perf_counter() - started
    return run


def stored(db_url: str) -> dict[tuple[str, str, str], str]:
    """Every stored answer: (respondent, alter, item) -> value (alter '' for the cluster questions)."""
    engine = db.make_engine(db_url)
    m, a = db.members.c, db.answers.c
    with engine.connect() as conn:
        ids = dict(conn.execute(sa.select(m.id, m.member_id)).all())
        rows = conn.execute(sa.select(a.respondent_key, a.alter_key, a.item, a.value)).all()
    engine.dispose()
    out: dict[tuple[str, str, str], str] = {}
    for r in rows:
        key = (ids[r.respondent_key], ids.get(r.alter_key, "") if r.alter_key else "", r.item)
        if key in out:
            raise AssertionError(f"duplicate answer {key}")
        out[key] = r.value
    return out


def missing_answers(acknowledged: Sequence[tuple[str, str, dict[str, str]]],
                    answers: dict[tuple[str, str, str], str]) -> list[tuple[str, str, str]]:
    """The acknowledged answers that the database does not hold with the acknowledged value."""
    return [(r, alter, item) for r, alter, rows in acknowledged for item, value in rows.items()
            if answers.get((r, alter, item)) != value]


def dashboard_times(port: int, username: str, cluster: int, wave: int, repeat: int = 3) -> list[float]:
    """Log in as the facilitator and time ``repeat`` loads of the wave's dashboard (seconds each)."""
    import re

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.request("GET", "/login")
    page = conn.getresponse()
    body = page.read().decode()
    cookie = page.getheader("set-cookie", "").split(";")[0]
    found = re.search(r'name="csrf" value="([^"]+)"', body)
    if found is None:
        raise RuntimeError("no login form")
    form = urlencode({"username": username, "password": PASSWORD, "csrf": found.group(1)})
    conn.request("POST", "/login", body=form, headers={"Content-Type": "application/x-www-form-urlencoded",
                                                       "Cookie": cookie})
    done = conn.getresponse()
    done.read()
    session = done.getheader("set-cookie", "").split(";")[0]
    if done.status != 303 or not session:
        raise RuntimeError(f"login answered {done.status}")
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        conn.request("GET", f"/clusters/{cluster}/waves/{wave}", headers={"Cookie": session})
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"dashboard answered {response.status}")
        times.append(time.perf_counter() - started)
    conn.close()
    return times
