"""Accounts, sessions, the command line, migrations, translations, and a member list of 130."""

from __future__ import annotations

import json
import re
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from clusterwatch.cli import run
from clusterwatch.serve import db, make_engine, upgrade
from clusterwatch.serve.i18n import LANGUAGES, texts


def test_administrator_manages_accounts_and_a_deactivated_account_is_logged_out(app: Any, staff: Any) -> None:
    admin, fac = staff("admin"), staff("fac_a")
    assert admin.post("/admin", {"action": "create", "username": "new_fac", "password": "short",
                                 "role": "facilitator"}).status_code == 400  # under 10 characters
    assert admin.post("/admin", {"action": "create", "username": "new_fac", "password": "long enough pw",
                                 "role": "facilitator"}).status_code == 303
    assert admin.post("/admin", {"action": "create", "username": "new_fac", "password": "long enough pw",
                                 "role": "facilitator"}).status_code == 400  # taken
    assert admin.post("/admin", {"action": "create", "username": "x", "password": "long enough pw",
                                 "role": "root"}).status_code == 400
    staff("new_fac", "long enough pw")  # can log in
    with app.state.settings.engine.connect() as conn:
        fac_id = conn.execute(sa.select(db.users.c.id).where(db.users.c.username == "fac_a")).scalar_one()
    assert fac.client.get("/clusters").status_code == 200
    assert admin.post("/admin", {"action": "deactivate", "user_id": str(fac_id)}).status_code == 303
    assert fac.client.get("/clusters", follow_redirects=False).headers["location"] == "/login"
    with pytest.raises(AssertionError):
        staff("fac_a")  # cannot log in any more
    assert fac.post("/admin", {"action": "create", "username": "y", "password": "long enough pw",
                               "role": "admin"}).status_code in (303, 403)
    log = admin.client.get("/admin").text
    assert "create_account" in log and "deactivate" in log


def test_an_administrator_sets_a_new_password_and_old_sessions_end(app: Any, staff: Any) -> None:
    admin, fac = staff("admin"), staff("fac_b")
    with app.state.settings.engine.connect() as conn:
        uid = conn.execute(sa.select(db.users.c.id).where(db.users.c.username == "fac_b")).scalar_one()
    assert admin.post("/admin", {"action": "password", "user_id": str(uid), "password": "short"}).status_code == 400
    assert admin.post("/admin", {"action": "password", "user_id": str(uid),
                                 "password": "a brand new password"}).status_code == 303
    assert fac.client.get("/clusters", follow_redirects=False).status_code == 303  # logged out
    with pytest.raises(AssertionError):
        staff("fac_b")  # the old password no longer works
    staff("fac_b", "a brand new password")
    assert "set_password" in admin.client.get("/admin").text


def test_logout_ends_the_session_on_the_server(app: Any, staff: Any) -> None:
    fac = staff("fac_a")
    cookie = fac.client.cookies.get("cw_session")
    assert fac.post("/logout").status_code == 303
    thief = TestClient(app, cookies={"cw_session": cookie})
    assert thief.get("/clusters", follow_redirects=False).status_code == 303


def test_a_facilitator_cannot_reach_the_administration(staff: Any) -> None:
    fac = staff("fac_a")
    assert fac.client.get("/admin").status_code == 403
    assert fac.post("/admin", {"action": "create", "username": "evil", "password": "long enough pw",
                               "role": "admin"}).status_code == 403


def test_a_long_member_list_is_searchable_and_paged(staff: Any, member: Any) -> None:
    fac = staff("fac_a")
    cid = fac.cluster("Big", [])
    rows = "member_id,name,kind\n" + "".join(f"M{i:03d},Firm {i:03d},firm\n" for i in range(130))
    done = fac.post(f"/clusters/{cid}/import", files={"members": ("members.csv", rows.encode(), "text/csv")})
    assert done.status_code == 200 and "Imported: 130 members" in done.text
    links = fac.links(cid, fac.wave(cid, "w"))
    m = member(links["M000"])
    m.consent()
    first = m.client.get(links["M000"]).text
    assert first.count('<li data-member="') == 60 and 'data-member="M000"' not in first  # oneself not listed
    last = m.client.get(links["M000"], params={"page": "3"}).text
    assert last.count('<li data-member="') == 129 - 120
    found = m.client.get(links["M000"], params={"q": "firm 12"}).text
    assert re.findall(r'<li data-member="([^"]+)"', found) == [f"M{i:03d}" for i in range(120, 130)]


def test_cli_creates_an_administrator_and_migrates(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    assert run(["serve", "--db", url, "--migrate-only"]) == 0
    monkeypatch.setenv("CLUSTERWATCH_ADMIN_PASSWORD", "a long admin password")
    assert run(["serve", "--db", url, "--add-admin", "root"]) == 0
    assert run(["serve", "--db", url, "--add-admin", "root"]) == 2  # taken: a usage error
    assert "taken" in capsys.readouterr().err
    with make_engine(url).connect() as conn:
        assert conn.execute(sa.select(db.users.c.role).where(db.users.c.username == "root")).scalar_one() == "admin"
    assert run(["serve", "--db", "mysql://x/y", "--migrate-only"]) == 2
    assert run(["serve", "--db", url, "-k", "0"]) == 2


def test_cli_names_the_extra_when_it_is_missing(monkeypatch: Any, capsys: Any) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # an import of it now fails
    assert run(["serve", "--migrate-only"]) == 1
    assert "clusterwatch[serve]" in capsys.readouterr().err


def test_sqlite_migrations_match_the_tables_and_go_down_again(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite'}")
    upgrade(engine)
    inspector = sa.inspect(engine)
    for table in db.metadata.sorted_tables:
        assert {c["name"] for c in inspector.get_columns(table.name)} == {c.name for c in table.columns}
    assert db.current_revision(engine) == "0001"
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("clusterwatch.serve") / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert set(sa.inspect(engine).get_table_names()) == {"alembic_version"}


def test_every_text_is_translated_and_every_key_used_exists() -> None:
    english = texts("en")
    for lang in LANGUAGES:
        assert set(texts(lang)) == set(english), lang
        assert all(value.strip() for value in texts(lang).values())
        for key, value in texts(lang).items():  # the same fields to fill in
            assert set(re.findall(r"{(\w+)}", value)) == set(re.findall(r"{(\w+)}", english[key])), (lang, key)
    folder = resources.files("clusterwatch.serve") / "templates"
    used = set()
    for template in folder.iterdir():
        body = template.read_text(encoding="utf-8")
        used |= set(re.findall(r't\("(\w+)"[,)]', body))
        for prefix in re.findall(r't\("(\w+_)" ~|t\("(\w+_)" \+', body):  # keys built from a prefix
            stem = next(p for p in prefix if p)
            assert any(key.startswith(stem) for key in texts("en")), stem
    source = "".join((resources.files("clusterwatch.serve") / f).read_text(encoding="utf-8")
                     for f in ("views_staff.py", "views_survey.py"))
    used |= set(re.findall(r'Refused\(\d+, "(\w+)"', source))
    assert used - set(english) == set()
    assert json.loads((folder.parent / "i18n" / "fi.json").read_text(encoding="utf-8"))["hello"] == "Hei, {name}."


def test_members_who_left_before_the_wave_get_no_link_and_are_not_rated(staff: Any, member: Any) -> None:
    from datetime import date, timedelta

    fac = staff("fac_a")
    cid = fac.cluster("Changing", [("M1", "Stays", "firm"), ("M2", "Also stays", "firm")])
    long_ago = (date.today() - timedelta(days=400)).isoformat()
    assert fac.post(f"/clusters/{cid}/members", {"member_id": "GONE", "name": "Gone Ltd", "kind": "firm",
                                                 "joined": long_ago, "left": long_ago}).status_code == 303
    later = (date.today() + timedelta(days=100)).isoformat()
    assert fac.post(f"/clusters/{cid}/members", {"member_id": "NEW", "name": "Newcomer", "kind": "firm",
                                                 "joined": later}).status_code == 303
    links = fac.links(cid, fac.wave(cid, "now"))
    assert sorted(links) == ["M1", "M2"]
    m = member(links["M1"])
    m.consent()
    page = m.client.get(links["M1"]).text
    assert "Also stays" in page and "Gone Ltd" not in page and "Newcomer" not in page
