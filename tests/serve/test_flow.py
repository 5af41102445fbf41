"""The app end to end through its HTTP interface: a wave from creation to a k-suppressed dashboard."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import sqlalchemy as sa

from clusterwatch.serve import db


def _answer_all(member: Any, links: dict[str, str], respondent: str, ratings: dict[str, int]) -> None:
    m = member(links[respondent])
    assert m.consent().status_code == 303
    for alter, score in ratings.items():
        done = m.rate(alter, works_with="1", frequency="3", flow_information="1", trust_reliable=str(score),
                      trust_mission=str(score), trust_open=str(score), value_power="2", value_involvement="3",
                      value_resources="4")
        assert done.status_code == 303, done.text
    assert m.cluster(satisfaction="4", outcome_progress="3", comment="good year").status_code == 303


def test_three_members_answer_and_the_dashboard_suppresses_below_k(open_wave: dict[str, Any], member: Any) -> None:
    links, fac = open_wave["links"], open_wave["fac"]
    assert sorted(links) == ["M1", "M2", "M3", "M4"]
    # M1, M2, M3 answer; M4 is rated by all three (shown), M1..M3 by two others each (suppressed at k = 3)
    _answer_all(member, links, "M1", {"M2": 4, "M3": 3, "M4": 4})
    _answer_all(member, links, "M2", {"M1": 3, "M3": 3, "M4": 2})
    _answer_all(member, links, "M3", {"M1": 2, "M2": 2, "M4": 3})
    page = fac.client.get(f"/clusters/{open_wave['cluster']}/waves/{open_wave['wave']}")
    assert page.status_code == 200
    html = page.text
    row = re.search(r'<tr data-member="M4">(.*?)</tr>', html, re.S).group(1)
    assert ">3<" in row and "3.00" in row  # 3 raters; trust = mean(4, 2, 3) = 3.00
    for suppressed in ("M1", "M2", "M3"):
        r = re.search(rf'<tr data-member="{suppressed}">(.*?)</tr>', html, re.S).group(1)
        assert "fewer than 3 raters (2)" in r and "suppressed" in r
    assert 'id="m-respondents">3<' in html and "75 %" in html
    # density: 9 works_with ties reported by 3 respondents of 4 members -> 9 / (3 * 3) = 1.000
    assert "1.000" in html
    assert "4.00" in html  # satisfaction mean (three answers of 4)


def test_save_and_resume_replaces_without_duplicates(open_wave: dict[str, Any], member: Any,
                                                     engine_of: Any, app: Any) -> None:
    m = member(open_wave["links"]["M1"])
    m.consent()
    assert m.rate("M2", works_with="1", trust_reliable="2").status_code == 303
    again = member(open_wave["links"]["M1"])  # a new browser, same link: resume
    page = again.client.get(open_wave["links"]["M1"] + f"/m/{again.key('M2')}")
    assert 'id="trust_reliable-2" name="trust_reliable" value="2" checked' in page.text
    assert again.rate("M2", works_with="1", trust_reliable="4", trust_open="3").status_code == 303
    with engine_of(app).connect() as conn:
        rows = conn.execute(sa.select(db.answers.c.item, db.answers.c.value)).all()
    items = sorted((r.item, r.value) for r in rows)
    assert items == [("flow_information", "0"), ("flow_projects", "0"), ("flow_resources", "0"),
                     ("trust_open", "3"), ("trust_reliable", "4"), ("works_with", "1")]


def test_member_sees_only_own_answers_and_withdrawal_deletes_them(open_wave: dict[str, Any], member: Any,
                                                                   engine_of: Any, app: Any) -> None:
    links = open_wave["links"]
    m1, m2 = member(links["M1"]), member(links["M2"])
    m1.consent()
    m2.consent()
    m1.rate("M3", works_with="1", trust_reliable="4")
    m2.rate("M3", works_with="0")
    m2.rate("M1", works_with="1", trust_reliable="1")
    mine = m1.client.get(links["M1"] + "/mine").text
    assert "City of Espoo is reliable: does what they say they will" in mine and "trust_reliable" in mine
    assert "Borealis" not in mine  # M2's answers (about M1 too) are not M1's
    assert m1.client.post(links["M1"] + "/withdraw", data={"confirm": "yes", "csrf": m1.csrf()}).status_code == 200
    with engine_of(app).connect() as conn:
        left = conn.execute(sa.select(db.answers.c.respondent_key, db.answers.c.alter_key)).all()
        keys = dict(conn.execute(sa.select(db.members.c.member_id, db.members.c.id)).all())
    # M1's answers and M2's rating of M1 are gone; M2's answer about M3 stays
    assert left == [(keys["M2"], keys["M3"])]
    assert m1.client.get(links["M1"]).status_code == 410


def test_export_import_round_trip_in_the_pulse_layout(open_wave: dict[str, Any], member: Any, staff: Any) -> None:
    links, fac, cid = open_wave["links"], open_wave["fac"], open_wave["cluster"]
    _answer_all(member, links, "M1", {"M2": 4, "M3": 3})
    members_csv = fac.client.get(f"/clusters/{cid}/export/members.csv")
    waves_csv = fac.client.get(f"/clusters/{cid}/export/waves.csv")
    assert members_csv.status_code == waves_csv.status_code == 200
    assert members_csv.text.splitlines()[0] == "member_id,name,kind,size,sector,joined,left"
    assert waves_csv.text.splitlines()[0] == "wave,opens,closes,order"
    # raw answers stay on the server by default, even for the cluster's facilitator
    assert fac.client.get(f"/clusters/{cid}/export/answers.csv").status_code == 403
    measures = fac.client.get(f"/clusters/{cid}/export/measures.csv").text
    assert "respondent" not in measures.splitlines()[0] and "alter" not in measures.splitlines()[0]
    # import into a new cluster of another facilitator, with answers prepared in the layout, and bad rows
    other = staff("fac_b")
    cid_b = other.cluster("Cluster B", [])
    answers = ("wave,respondent,alter,item,value,scale_min,scale_max\n"
               "2026-1,M1,M2,trust_reliable,4,1,4\n"
               "2026-1,M1,M1,trust_reliable,4,1,4\n"       # self-rating
               "2026-1,M1,M9,trust_reliable,4,1,4\n"       # unknown alter
               "2026-1,M1,M2,trust_reliable,3,1,4\n"       # duplicate
               "2026-1,M2,M1,trust_open,7,1,4\n"           # off scale
               "2026-1,M2,,satisfaction,5,1,5\n"
               "2026-9,M2,M1,trust_open,2,1,4\n")          # unknown wave
    done = other.post(f"/clusters/{cid_b}/import", files={
        "members": ("members.csv", members_csv.content, "text/csv"),
        "waves": ("waves.csv", waves_csv.content, "text/csv"),
        "answers": ("answers.csv", answers.encode(), "text/csv")})
    assert done.status_code == 422
    assert "Imported: 4 members, 1 waves, 2 answers." in done.text
    reasons = re.findall(r"<td>answers.csv</td><td class=\"num\">(\d+)</td><td>([^<]+)</td>", done.text)
    assert [int(r) for r, _ in reasons] == [3, 4, 5, 6, 8]
    assert "rating themselves" in reasons[0][1] and "not a member" in reasons[1][1]
    assert "duplicate" in reasons[2][1] and "not one of 1..4" in reasons[3][1] and "unknown wave" in reasons[4][1]
    back = pd.read_csv(pd.io.common.StringIO(other.client.get(f"/clusters/{cid_b}/export/members.csv").text))
    assert list(back["member_id"]) == ["M1", "M2", "M3", "M4"]
    audit = other.client.get(f"/clusters/{cid_b}/audit").text
    assert "import" in audit and "export" in audit
    assert "export_refused" in fac.client.get(f"/clusters/{cid}/audit").text


def test_finnish_texts(open_wave: dict[str, Any], member: Any) -> None:
    m = member(open_wave["links"]["M2"])
    page = m.client.get(open_wave["links"]["M2"], headers={"accept-language": "fi-FI,fi;q=0.9"})
    assert 'lang="fi"' in page.text and "kuka näkee mitä" in page.text
    assert "who sees what" in m.client.get(open_wave["links"]["M2"] + "?lang=en").text


def test_pulse_measures_and_report_are_reachable_in_the_app(open_wave: dict[str, Any], member: Any) -> None:
    import pytest

    pytest.importorskip("igraph", reason="pulse's structural measures need igraph (network extra)")
    fac, cid, wid = open_wave["fac"], open_wave["cluster"], open_wave["wave"]
    assert fac.client.get(f"/clusters/{cid}/report").status_code == 404  # no answers yet
    for respondent, ratings in (("M1", {"M2": 4, "M4": 4}), ("M2", {"M1": 3, "M4": 2}), ("M3", {"M4": 3})):
        _answer_all(member, open_wave["links"], respondent, ratings)
    page = fac.client.get(f"/clusters/{cid}/waves/{wid}").text
    assert 'id="pulse-measures"' in page
    # M1 <-> M2 is the one tied pair whose two members both answered: reciprocity 1
    assert re.search(r'data-measure="reciprocity"><th scope="row">reciprocity</th><td class="num">1.000</td>', page)
    # M3 names one partner, who does not name M3 back, and nobody names M3: an isolation-risk alert for M3
    assert 'id="alerts"' in page and re.search(r"<td>isolation_risk</td><td>M3</td>", page)
    report = fac.client.get(f"/clusters/{cid}/report")
    assert report.status_code == 200 and "Pulse of Cluster A" in report.text
    assert "good year" not in report.text  # comments are never shown attributed
    assert "script-src" not in report.headers["content-security-policy"]
    assert "<script" not in report.text
    assert "<td>report</td>" in fac.client.get(f"/clusters/{cid}/audit").text
