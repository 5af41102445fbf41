"""The ``cordis`` adapter on the real H2020 CSV slice, the semiconductor JSON release, and tiny hand-made files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from clusterwatch import read_firms
from clusterwatch.errors import InputError
from clusterwatch.io.adapters.cordis import pad_postcodes, parse_decimal
from clusterwatch.io.ingest import IngestResult

H2020 = "cordis_h2020/h2020_organizations_union_of_history.csv"
SEMICONDUCTOR = "cordis_semiconductor/organization.json"
TODAY = dt.date(2026, 11, 27)
DEGREES = 1e-6  # coordinates are copied from the file's geolocation

HEADER = ("projectID;projectAcronym;organisationID;name;SME;activityType;street;postCode;city;country;nutsCode;"
          "geolocation;role;ecContribution")


@pytest.fixture(scope="module")
def h2020(shared_data: Path) -> IngestResult:
    return read_firms(shared_data / H2020, format="cordis", today=TODAY)


@pytest.fixture(scope="module")
def semiconductor(shared_data: Path) -> IngestResult:
    return read_firms(shared_data / SEMICONDUCTOR, format="cordis", today=TODAY)


def firm(result: IngestResult, firm_id: str) -> pd.Series:
    rows = result.firms[result.firms["firm_id"] == firm_id]
    assert len(rows) == 1, f"{firm_id} found {len(rows)} times"
    return rows.iloc[0]


# ---------------------------------------------------------------- H2020 CSV

def test_h2020_counts_add_up(h2020: IngestResult) -> None:
    report = h2020.report.sources[0]
    assert report.rows_are == "observations"
    assert report.rows_read == 5149
    assert report.accepted + report.rejected == report.rows_read
    assert report.rejected == 0  # every row has a geolocation
    assert report.firms == 3114  # distinct organisationIDs
    assert report.events == report.relations == 5149
    assert h2020.relations["project"].nunique() == 602
    assert report.located_by == {"point": 5149}


def test_h2020_known_organisations(h2020: IngestResult) -> None:
    synyo = firm(h2020, "969470478")
    assert synyo["name"] == "SYNYO GmbH"
    assert synyo["kind"] == "firm" and synyo["sme"] == True  # noqa: E712  (pandas boolean)
    assert synyo["lat"] == pytest.approx(48.19606415, abs=DEGREES)
    assert synyo["lon"] == pytest.approx(16.348824229156328, abs=DEGREES)
    assert (synyo["country"], synyo["city"], synyo["postcode"]) == ("AT", "WIEN", "1060")
    ministry = firm(h2020, "999658430")
    assert ministry["kind"] == "public"
    assert ministry["postcode"] == "00186"  # published as 186: the leading zeros are restored
    assert firm(h2020, "999643007")["kind"] == "university"
    assert firm(h2020, "999643007")["country"] == "GR"  # CORDIS writes Greece as EL
    assert not h2020.firms["country"].isin(["UK", "EL"]).any()
    assert (h2020.firms["country"] == "GB").sum() > 100


def test_h2020_kinds_cover_the_triple_helix(h2020: IngestResult) -> None:
    assert set(h2020.firms["kind"]) == {"firm", "university", "research", "public", "other"}
    assert h2020.firms["sme"].isna().sum() == 16  # SME left blank in the file


def test_h2020_participation_becomes_relation_and_activity(h2020: IngestResult) -> None:
    rel = h2020.relations
    tie = rel[(rel["source"] == "955334474") & (rel["project"] == "740543")].iloc[0]
    assert pd.isna(tie["target"])
    assert (tie["kind"], tie["role"]) == ("participation", "participant")
    assert tie["weight"] == pytest.approx(125113.75)
    act = h2020.events
    project = act[(act["firm_id"] == "955334474")].iloc[0]
    assert (project["kind"], project["title"]) == ("project", "MINDb4ACT")
    assert project["amount"] == pytest.approx(125113.75)
    assert set(rel["role"]) == {"participant", "coordinator", "thirdParty", "partner", "internationalPartner"}


# ---------------------------------------------------------------- semiconductor JSON with project.json

def test_json_counts_and_rejections(semiconductor: IngestResult) -> None:
    report = semiconductor.report.sources[0]
    assert report.rows_read == 1076
    assert report.accepted + report.rejected == 1076
    # two participants have no geolocation and a French CEDEX postcode GeoNames lacks; the two Dutch full
    # postcodes without geolocation are found through their 4-digit area
    assert report.rejected == 2
    reasons = set(semiconductor.rejected["reason"])
    assert "cannot locate: FR postcode 38040 not in the table" in reasons
    dutch = semiconductor.firms[semiconductor.firms["country"] == "NL"]
    assert (dutch["postcode"].str.len() > 4).any()
    assert report.events == report.relations == report.accepted


def test_json_falls_back_to_postcode_and_restores_zeros(semiconductor: IngestResult) -> None:
    metso = firm(semiconductor, "987636056")  # no geolocation; postCode 880 in the JSON
    assert metso["postcode"] == "00880"
    assert metso["geo_precision"] == "postcode"
    assert metso["lat"] == pytest.approx(60.2, abs=0.05)  # Helsinki


def test_json_combined_activity_type_counts_by_first_part(semiconductor: IngestResult) -> None:
    assert firm(semiconductor, "998387051")["kind"] == "firm"  # "PRC;PRC"


def test_json_project_table_gives_titles_objectives_dates(semiconductor: IngestResult) -> None:
    act = semiconductor.events
    row = act[(act["firm_id"] == "996588380") & act["title"].str.startswith("3Ccar")].iloc[0]
    assert row["title"].startswith("3Ccar: Integrated Components for Complexity Control")
    assert row["text"].startswith("The 3Ccar project will provide highly integrated ECS Components")
    assert row["date"] == pd.Timestamp("2015-06-01")
    assert row["amount"] == pytest.approx(101058.75)
    rel = semiconductor.relations
    assert (rel.loc[rel["project"] == "662192", "date"] == pd.Timestamp("2015-06-01")).all()
    assert any("project table" in n for n in semiconductor.report.sources[0].notes)


# ---------------------------------------------------------------- hand-made files

def test_comma_decimals_semicolons_and_postcode_fallback(tmp_path: Path) -> None:
    path = tmp_path / "organization.csv"
    path.write_text(
        HEADER + "\n"
        "740543;MINDb4ACT;955334474;HOCHSCHULE;False;HES;WAGMULLERSTRASSE 20;80539;MUNCHEN;DE;DE212;"
        "48.14240555,11.588733303237;participant;125113,75\n"
        "740543;MINDb4ACT;969470478;SYNYO GmbH;True;PRC;Otto-Bauer-Gasse 5/14;1060;WIEN;AT;;;coordinator;192005\n"
        "740543;MINDb4ACT;111;NOWHERE;False;XYZ;;;;;;52.1,4.3;participant;10\n"
        "740543;MINDb4ACT;222;NO MONEY;False;OTH;;;;DE;;52.1,13.3;participant;lots\n",
        encoding="utf-8",
    )
    result = read_firms(path, format="cordis", today=TODAY)
    report = result.report.sources[0]
    assert (report.rows_read, report.accepted, report.rejected) == (4, 2, 2)
    reasons = dict(zip(result.rejected["record"], result.rejected["reason"], strict=True))
    assert reasons[3].startswith("unknown kind")
    assert reasons[4] == "unparseable number in ecContribution"
    assert result.rejected.set_index("record").loc[4, "raw"] == "lots"
    hochschule = firm(result, "955334474")
    assert hochschule["region"] == "DE212"
    weights = dict(zip(result.relations["source"], result.relations["weight"], strict=True))
    assert weights == {"955334474": pytest.approx(125113.75), "969470478": pytest.approx(192005.0)}
    synyo = firm(result, "969470478")  # empty geolocation: located by postcode 1060 in Austria
    assert synyo["geo_precision"] == "postcode"
    assert synyo["lat"] == pytest.approx(48.19, abs=0.05)


def test_missing_required_column_names_it(tmp_path: Path) -> None:
    path = tmp_path / "organization.csv"
    path.write_text("projectID,organisationID,name,activityType,country\n1,2,X,PRC,DE\n", encoding="utf-8")
    with pytest.raises(InputError, match="geolocation") as err:
        read_firms(path, format="cordis", today=TODAY)
    assert err.value.column == "geolocation"


def test_parse_decimal_and_pad_postcodes_by_hand() -> None:
    values = pd.Series(["125113,75", "125113.75", "192005", "", None, "abc"])
    parsed = parse_decimal(values)
    assert parsed.iloc[:3].tolist() == [125113.75, 125113.75, 192005.0]
    assert parsed.iloc[3:].isna().all()
    padded = pad_postcodes(pd.Series(["186", "880", "1060", "60-822", "2321 KS"]),
                           pd.Series(["IT", "FI", "AT", "PL", "NL"]))
    assert padded.tolist() == ["00186", "00880", "1060", "60-822", "2321 KS"]
