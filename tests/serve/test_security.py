"""Trying to break in: foreign and expired links, forged CSRF, injection in every field, other clusters, dyads."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from clusterwatch.serve import create_app, create_user, db

NASTY = ["'; DROP TABLE answers; --", '<script>alert("x")</script>', "\" onmouseover=\"alert(1)", "M1' OR '1'='1"]


def _table_counts(engine: Any) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in db.metadata.sorted_tables}


def test_another_members_token_and_unknown_tokens_are_refused(open_wave: dict[str, Any], member: Any,
                                                              engine_of: Any, app: Any) -> None:
    links = open_wave["links"]
    m1, m2 = member(links["M1"]), member(links["M2"])
    m1.consent()
    m2.consent()
    assert m2.rate("M3", works_with="1", trust_reliable="2").status_code == 303
    # M1 posting on M2's link with M1's own form token: refused, and M2's answer unchanged
    forged = m1.client.post(links["M2"] + f"/m/{m2.key('M3')}",
                            data={"works_with": "1", "trust_reliable": "4", "csrf": m1.csrf()})
    assert forged.status_code == 403
    with engine_of(app).connect() as conn:
        values = conn.execute(sa.select(db.answers.c.item, db.answers.c.value)).all()
    assert ("trust_reliable", "2") in values and ("trust_reliable", "4") not in values
    # a guessed token, a truncated one, and a member of the cluster rating themselves
    for path in ("/s/" + "A" * 43, links["M1"][:-1], "/s/x"):
        assert m1.client.get(path).status_code == 404
    own_key = m2.key("M1")
    assert m1.client.get(links["M1"] + f"/m/{own_key}").status_code == 404
    assert m1.client.get(links["M1"] + "/m/NOPE").status_code == 404
    assert m1.client.get(links["M1"] + "/m/999999").status_code == 404
    # a member's own page never shows another member's answers
    assert "trust_reliable" not in m1.client.get(links["M1"] + "/mine").text


def test_links_of_another_cluster_cannot_reach_its_members(open_wave: dict[str, Any], staff: Any,
                                                           member: Any) -> None:
    fac_b = staff("fac_b")
    cid_b = fac_b.cluster("Cluster B", [("B1", "Beta", "firm"), ("B2", "Gamma", "firm")])
    links_b = fac_b.links(cid_b, fac_b.wave(cid_b, "b-1"))
    b1 = member(links_b["B1"])
    b1.consent()
    b2_key = b1.key("B2")
    a1 = member(open_wave["links"]["M1"])
    a1.consent()
    assert a1.client.get(open_wave["links"]["M1"] + f"/m/{b2_key}").status_code == 404
    assert a1.rate(b2_key, works_with="1").status_code == 404
    assert "Aalto" not in b1.client.get(links_b["B1"]).text


@pytest.mark.parametrize("days", [(-10, -1), (3, 10)], ids=["closed", "not-yet-open"])
def test_links_outside_the_wave_dates_are_refused(staff: Any, member: Any, days: tuple[int, int],
                                                  engine_of: Any, app: Any) -> None:
    fac = staff("fac_a")
    cid = fac.cluster("Dated", [("M1", "One", "firm"), ("M2", "Two", "firm")])
    today = date.today()
    wid = fac.wave(cid, "w", today + timedelta(days=days[0]), today + timedelta(days=days[1]))
    links = fac.links(cid, wid)
    m1 = member(links["M1"])
    page = m1.client.get(links["M1"])
    assert page.status_code == 410 and "is not open" in page.text
    assert m1.consent().status_code == 410
    with engine_of(app).connect() as conn:
        m2_key = conn.execute(sa.select(db.members.c.id).where(db.members.c.member_id == "M2")).scalar_one()
    assert m1.rate(m2_key, works_with="1").status_code == 410
    assert m1.cluster(satisfaction="5").status_code == 410
    assert _table_counts(engine_of(app))["answers"] == 0


def test_forged_and_missing_csrf_tokens_are_refused(app: Any, staff: Any, csrf: Any, engine_of: Any) -> None:
    fac = staff("fac_a")
    cid = fac.cluster("Real", [])
    other = staff("fac_b")  # a real token, but of another session
    before = _table_counts(engine_of(app))
    attempts = [("/clusters", {"name": "forged"}), (f"/clusters/{cid}/members", {"member_id": "X", "name": "X",
                                                                                  "kind": "firm"}),
                (f"/clusters/{cid}/waves", {"wave": "x", "opens": "2026-01-01", "closes": "2026-12-31"}),
                ("/logout", {})]
    for url, data in attempts:
        for token in (None, "forged", fac.csrf[:-1] + "x", other.csrf):
            sent = dict(data) if token is None else {**data, "csrf": token}
            assert fac.client.post(url, data=sent, follow_redirects=False).status_code == 403, (url, token)
    assert _table_counts(engine_of(app)) == before
    # the login form needs its double-submit token too
    anonymous = TestClient(app)
    page = anonymous.get("/login")
    assert anonymous.post("/login", data={"username": "fac_a", "password": "correct horse battery",
                                          "csrf": "forged"}).status_code == 403
    assert anonymous.post("/login", data={"username": "fac_a", "password": "correct horse battery",
                                          "csrf": csrf(page.text)}, follow_redirects=False).status_code == 303


def test_sql_metacharacters_and_html_in_every_field_are_stored_verbatim_and_escaped(
        app: Any, staff: Any, member: Any, engine_of: Any) -> None:
    fac = staff("fac_a")
    for i, nasty in enumerate(NASTY):
        cid = fac.cluster(nasty, [(f"{nasty[:30]}{i}a", nasty, "firm"), (f"P{i}", "Plain", "firm")])
        added = fac.post(f"/clusters/{cid}/members", {"member_id": f"Q{i}", "name": nasty, "kind": "firm",
                                                      "sector": nasty})
        assert added.status_code == 303
        # an unknown kind with metacharacters is a clean 400, not an error
        assert fac.post(f"/clusters/{cid}/members", {"member_id": "Z", "name": "Z", "kind": nasty}).status_code == 400
        wid = fac.wave(cid, nasty[:40])
        links = fac.links(cid, wid)
        m = member(links[f"P{i}"])
        m.consent()
        target = f"{nasty[:30]}{i}a"
        assert m.rate(target, works_with="1", trust_reliable="3").status_code == 303
        assert m.rate(target, works_with=nasty).status_code == 400
        assert m.cluster(comment=nasty, satisfaction="4").status_code == 303
        assert m.cluster(satisfaction=nasty).status_code == 400
        search = m.client.get(links[f"P{i}"], params={"q": nasty})
        assert search.status_code == 200
        pages = [fac.client.get(f"/clusters/{cid}").text, fac.client.get(f"/clusters/{cid}/waves/{wid}").text,
                 m.client.get(links[f"P{i}"] + "/mine").text, search.text,
                 m.client.get(links[f"P{i}"] + "/cluster").text]
        for html in pages:
            assert '<script>alert("x")</script>' not in html
            assert '" onmouseover="alert(1)' not in html
        login = TestClient(app)
        assert login.post("/login", data={"username": nasty, "password": nasty, "csrf": nasty}).status_code == 403
    with engine_of(app).connect() as conn:
        names = set(conn.execute(sa.select(db.clusters.c.name)).scalars())
        comments = set(conn.execute(sa.select(db.answers.c.value).where(db.answers.c.item == "comment")).scalars())
    assert names == set(NASTY) and comments == set(NASTY)
    assert _table_counts(engine_of(app))["answers"] == 2 * 2 * len(NASTY) + 3 * len(NASTY)


def test_a_facilitator_of_cluster_a_cannot_reach_cluster_b(open_wave: dict[str, Any], staff: Any,
                                                          engine_of: Any, app: Any) -> None:
    cid, wid = open_wave["cluster"], open_wave["wave"]
    b = staff("fac_b")
    own = b.cluster("B's own", [("X1", "X", "firm")])
    own_wave = b.wave(own, "b")
    before = _table_counts(engine_of(app))
    for url in (f"/clusters/{cid}", f"/clusters/{cid}/waves/{wid}", f"/clusters/{cid}/report",
                f"/clusters/{cid}/audit", *(f"/clusters/{cid}/export/{t}.csv"
                                            for t in ("members", "waves", "measures", "answers"))):
        assert b.client.get(url, follow_redirects=False).status_code == 403, url
    for url, data in ((f"/clusters/{cid}/members", {"member_id": "X", "name": "X", "kind": "firm"}),
                      (f"/clusters/{cid}/waves", {"wave": "x", "opens": "2026-01-01", "closes": "2026-12-31"}),
                      (f"/clusters/{cid}/waves/{wid}/links", {}), (f"/clusters/{cid}/import", {})):
        assert b.post(url, data).status_code == 403, url
    # ids that are not ids, or too large for the database's integers: not found, never a server error
    for bad in ("abc", "-1", "0", str(2**63), "1e3"):
        assert b.client.get(f"/clusters/{bad}").status_code == 404, bad
        assert b.client.get(f"/clusters/{own}/waves/{bad}").status_code == 404, bad
    # A's wave under B's own cluster id: not found, and never A's data
    assert b.client.get(f"/clusters/{own}/waves/{wid}").status_code == 404
    assert b.post(f"/clusters/{own}/waves/{wid}/links").status_code == 404
    assert b.client.get(f"/clusters/{own}/waves/{own_wave}").status_code == 200
    assert "Cluster A" not in b.client.get("/clusters").text
    assert _table_counts(engine_of(app)) == before
    # the old links of A still work: B's attempts changed nothing
    anonymous = TestClient(app)
    assert anonymous.get(open_wave["links"]["M1"]).status_code == 200
    # not logged in at all: to the login page
    assert anonymous.get(f"/clusters/{cid}", follow_redirects=False).headers["location"] == "/login"
    assert b.client.get("/admin").status_code == 403


def test_nothing_dyad_level_leaves_the_server(open_wave: dict[str, Any], member: Any, staff: Any) -> None:
    links, fac, cid, wid = open_wave["links"], open_wave["fac"], open_wave["cluster"], open_wave["wave"]
    # M1 alone rates M2 with a distinctive pattern; M1, M2, M3 rate M4
    m1 = member(links["M1"])
    m1.consent()
    m1.rate("M2", works_with="1", trust_reliable="1", trust_mission="1", trust_open="2", value_power="1")
    for r, v in (("M1", "4"), ("M2", "3"), ("M3", "1")):
        m = member(links[r])
        m.consent()
        m.rate("M4", works_with="1", trust_reliable=v, trust_mission=v, trust_open=v, value_power=v,
               value_involvement=v, value_resources=v)
    m1.cluster(comment="M2 cannot be trusted", satisfaction="1")
    admin = staff("admin")
    pages = {url: fac.client.get(url).text for url in (
        f"/clusters/{cid}", f"/clusters/{cid}/waves/{wid}", f"/clusters/{cid}/audit",
        *(f"/clusters/{cid}/export/{t}.csv" for t in ("members", "waves", "measures")))}
    pages["/admin"] = admin.client.get("/admin").text
    for url, body in pages.items():
        assert "cannot be trusted" not in body, url  # comments are never shown attributed (here: not at all)
        if url.endswith(".csv"):
            header = body.splitlines()[0].split(",")
            assert "respondent" not in header and "alter" not in header, url
    dash = re.search(r'<tr data-member="M2">(.*?)</tr>', pages[f"/clusters/{cid}/waves/{wid}"], re.S).group(1)
    assert "1.33" not in dash and "1.00" not in dash and "fewer than 3 raters (1)" in dash
    measures = pages[f"/clusters/{cid}/export/measures.csv"].splitlines()
    m2 = next(line for line in measures if ",M2," in line)
    assert m2.endswith("fewer than 3 raters (1)") and ",1.0," not in m2 and ",1.33" not in m2
    m4 = next(line for line in measures if ",M4," in line)
    assert ",3,2.6666666666666665,2.6666666666666665," in m4  # mean of 4, 3, 1: aggregate only
    # satisfaction from one respondent: suppressed on the dashboard
    wave_page = pages[f"/clusters/{cid}/waves/{wid}"]
    row = re.search(r"Satisfaction with the cluster \(1-5\)</th>(.*?)</tr>", wave_page).group(1)
    assert "suppressed" in row
    # the raw answers leave only when the server allows it, to an administrator of the cluster, audited
    assert admin.client.get(f"/clusters/{cid}/export/answers.csv").status_code == 403


def test_raw_export_when_allowed_is_for_administrators_and_audited(db_url: str) -> None:
    from tests.serve.conftest import PASSWORD, Staff

    web = create_app(db_url, allow_raw_export=True)
    with web.state.settings.engine.begin() as conn:
        create_user(conn, "admin", PASSWORD, "admin")
        create_user(conn, "fac", PASSWORD, "facilitator")
    admin, fac = Staff(TestClient(web), "admin"), Staff(TestClient(web), "fac")
    cid = admin.cluster("C", [("M1", "One", "firm")])
    admin.post("/admin", {"action": "assign", "user_id": "2", "cluster_id": str(cid)})
    assert fac.client.get(f"/clusters/{cid}/export/answers.csv").status_code == 403
    raw = admin.client.get(f"/clusters/{cid}/export/answers.csv")
    assert raw.status_code == 200 and raw.text.startswith("wave,respondent,alter,item,value")
    log = admin.client.get("/admin").text
    assert "export_refused" in log and "&#34;table&#34;: &#34;answers&#34;" in log


def test_login_is_rate_limited_and_secrets_are_stored_hashed(app: Any, csrf: Any, open_wave: dict[str, Any],
                                                             engine_of: Any) -> None:
    c = TestClient(app)
    for _ in range(5):
        page = c.get("/login")
        assert c.post("/login", data={"username": "fac_b", "password": "wrong password!",
                                      "csrf": csrf(page.text)}).status_code == 401
    page = c.get("/login")
    blocked = c.post("/login", data={"username": "fac_b", "password": "correct horse battery",
                                     "csrf": csrf(page.text)}, follow_redirects=False)
    assert blocked.status_code == 429 and "Too many failed attempts" in blocked.text
    with engine_of(app).connect() as conn:
        hashes = list(conn.execute(sa.select(db.users.c.password_hash)).scalars())
        tokens = set(conn.execute(sa.select(db.invitations.c.token_hash)).scalars())
    assert all(h.startswith("$argon2id$") and "correct horse" not in h for h in hashes)
    link_tokens = {p.rsplit("/", 1)[1] for p in open_wave["links"].values()}
    assert len(link_tokens) == 4 and not (link_tokens & tokens)
    assert all(len(t) >= 43 for t in link_tokens)  # 32 random bytes


def test_security_headers(client: TestClient, open_wave: dict[str, Any]) -> None:
    page = client.get(open_wave["links"]["M1"])
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"
