"""The workspace's tables: the normalised ``firm_codes`` (on a real Companies House slice), the ``events`` table,
and the migration of a workspace written with the old layout (schema 1: ``activities``, no ``firm_codes``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import clusterwatch
from clusterwatch import Workspace
from clusterwatch.io.adapters.base import Extract, ReadOptions
from clusterwatch.io.ingest import ingest_extract
from clusterwatch.io.workspace import SCHEMA_VERSION

SAMPLE = "companies_house_sample/BasicCompanyDataAsOneFile-2020-05-01_sample.csv"
SLICE_RECORDS = 400


@pytest.fixture(scope="module")
def house_slice(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 400 companies of the real BasicCompanyData sample (several carry two to four SIC codes)."""
    lines = (shared_data / SAMPLE).read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path_factory.mktemp("ch") / "companies.csv"
    path.write_text("".join(lines[: SLICE_RECORDS + 1]), encoding="utf-8")
    return path


def test_firm_codes_normalise_code_and_codes_of_a_real_register(house_slice: Path, tmp_path: Path,
                                                                 today: dt.date) -> None:
    read = clusterwatch.read_firms(house_slice, format="companies-house", today=today)
    with Workspace(tmp_path / "ws.duckdb") as ws:
        ws.store(read)
        firms = ws.firms()
        table = ws.firm_codes()
    several = firms["codes"].astype("string").str.contains(";", regex=False).fillna(False)
    assert several.sum() >= 10, "the slice should hold firms with several codes"
    # one row per firm and distinct code; rank 0 is `code`, then the order of `codes`
    for firm in firms.itertuples(index=False):
        mine = table[(table["firm_id"] == firm.firm_id) & (table["dataset"] == firm.dataset)]
        listed = [] if pd.isna(firm.codes) else [c.strip() for c in str(firm.codes).split(";") if c.strip()]
        expected = list(dict.fromkeys(([] if pd.isna(firm.code) else [str(firm.code)]) + listed))
        assert mine["code"].tolist() == expected, firm.firm_id
        first = 0 if not pd.isna(firm.code) else 1
        assert mine["rank"].tolist() == list(range(first, first + len(expected)))
        assert set(mine["code_system"].astype(str)) <= {str(firm.code_system)}
    assert len(table) == sum(len(set(([] if pd.isna(c) else [str(c)])
                                     + ([] if pd.isna(cs) else [x.strip() for x in str(cs).split(";")])))
                             for c, cs in zip(firms["code"], firms["codes"], strict=True))


def test_firm_codes_follow_the_as_of_snapshot_and_a_reingest(house_slice: Path, tmp_path: Path,
                                                             today: dt.date) -> None:
    read = clusterwatch.read_firms(house_slice, format="companies-house", today=today)
    with Workspace(tmp_path / "ws.duckdb") as ws:
        ws.store(read)
        ws.store(read)  # replaced, not duplicated
        assert len(ws.firm_codes()) == len(ws.sql("SELECT * FROM firm_codes"))
        as_of = "2010-12-31"
        known = ws.firms(as_of=as_of)
        codes = ws.firm_codes(as_of=as_of)
        assert 0 < len(known) < len(ws.firms())
        assert set(codes["firm_id"]) == set(known.loc[known["code"].notna() | known["codes"].notna(), "firm_id"])


# the layout of a workspace written by clusterwatch before SCHEMA_VERSION 2, verbatim
OLD_DDL = [
    'CREATE TABLE firms (dataset VARCHAR NOT NULL, "firm_id" VARCHAR, "name" VARCHAR, "lat" DOUBLE, "lon" DOUBLE, '
    '"geo_precision" VARCHAR, "code" VARCHAR, "code_system" VARCHAR, "codes" VARCHAR, "founded" DATE, '
    '"dissolved" DATE, "employees" DOUBLE, "sme" BOOLEAN, "size_class" VARCHAR, "description" VARCHAR, '
    '"kind" VARCHAR, "address" VARCHAR, "city" VARCHAR, "county" VARCHAR, "region" VARCHAR, "postcode" VARCHAR, '
    '"country" VARCHAR, PRIMARY KEY (dataset, firm_id))',
    'CREATE TABLE activities (dataset VARCHAR NOT NULL, "firm_id" VARCHAR, "date" DATE, "kind" VARCHAR, '
    '"title" VARCHAR, "text" VARCHAR, "amount" DOUBLE)',
    'CREATE TABLE relations (dataset VARCHAR NOT NULL, "source" VARCHAR, "target" VARCHAR, "project" VARCHAR, '
    '"date" DATE, "kind" VARCHAR, "weight" DOUBLE, "role" VARCHAR)',
    """CREATE TABLE sources (
        dataset VARCHAR PRIMARY KEY, path VARCHAR, format VARCHAR, rows_are VARCHAR, ingested_at TIMESTAMP,
        rows_read BIGINT, accepted BIGINT, rejected BIGINT, firms BIGINT, activities BIGINT, relations BIGINT,
        rejected_by_reason VARCHAR, located_by VARCHAR, notes VARCHAR)""",
    """CREATE TABLE rejected (
        dataset VARCHAR, source VARCHAR, line BIGINT, record BIGINT, "column" VARCHAR, reason VARCHAR, raw VARCHAR)""",
    "CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    "INSERT INTO meta VALUES ('schema_version', '1')",
    "INSERT INTO firms (dataset, firm_id, lat, lon, code, code_system, codes) VALUES "
    "('f.csv', 'a', 60.1, 24.9, '62010', 'uksic2007', '62010;62020'), "
    "('f.csv', 'b', 60.2, 24.8, NULL, 'uksic2007', '70100')",
    "INSERT INTO activities VALUES ('awards.csv', 'a', DATE '2015-03-01', 'award', 'A grant', 'text', 5000.0)",
    "INSERT INTO sources VALUES ('f.csv', 'f.csv', 'generic', 'firms', TIMESTAMP '2026-01-01 00:00:00', 2, 2, 0, "
    "2, 0, 0, '{}', '{}', '[]'), ('awards.csv', 'awards.csv', 'sbir-abstracts', 'activities', "
    "TIMESTAMP '2026-01-01 00:00:00', 1, 1, 0, 0, 1, 0, '{}', '{}', '[]')",
]


@pytest.fixture
def old_workspace(tmp_path: Path) -> Path:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    for sql in OLD_DDL:
        con.execute(sql)
    con.close()
    return path


def test_an_old_workspace_reads_through_the_new_names_read_only_and_is_left_as_it_was(old_workspace: Path) -> None:
    with Workspace(old_workspace, read_only=True) as ws:
        assert ws.events()["title"].tolist() == ["A grant"]
        assert ws.sources().set_index("dataset")["events"].to_dict() == {"awards.csv": 1, "f.csv": 0}
        assert ws.summary()["counts"].set_index("dataset")["events"].to_dict() == {"awards.csv": 1, "f.csv": 0}
        assert ws.firm_codes()[["firm_id", "code", "rank"]].values.tolist() == [
            ["a", "62010", 0], ["a", "62020", 1], ["b", "70100", 1]]
    con = duckdb.connect(str(old_workspace), read_only=True)
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    con.close()
    assert "activities" in tables and "events" not in tables and "firm_codes" not in tables


def test_an_old_workspace_is_migrated_when_opened_for_writing(old_workspace: Path) -> None:
    with Workspace(old_workspace) as ws:
        tables = set(ws.sql("SELECT table_name FROM information_schema.tables")["table_name"])
        assert {"events", "firm_codes"} <= tables and "activities" not in tables
        assert ws.sql("SELECT value FROM meta WHERE key = 'schema_version'")["value"].tolist() == [
            str(SCHEMA_VERSION)]
        events = ws.events(as_of="2015-12-31")
        assert events[["dataset", "firm_id", "kind", "amount"]].values.tolist() == [
            ["awards.csv", "a", "award", 5000.0]]
        sources = ws.sources().set_index("dataset")
        assert sources["events"].to_dict() == {"awards.csv": 1, "f.csv": 0}
        assert sources.loc["awards.csv", "rows_are"] == "events"
        assert ws.firm_codes()[["firm_id", "code", "rank"]].values.tolist() == [
            ["a", "62010", 0], ["a", "62020", 1], ["b", "70100", 1]]
    with Workspace(old_workspace) as ws:  # opening again changes nothing
        assert len(ws.firm_codes()) == 3 and len(ws.events()) == 1


def test_the_old_names_still_work_with_a_deprecation_warning(tmp_path: Path, today: dt.date) -> None:
    events = pd.DataFrame({"firm_id": ["a", "b"], "date": ["2015-01-01", "2016-02-01"], "title": ["x", "y"],
                           "_record": [0, 1]})
    extract = Extract(path="awards.csv", rows=events[["firm_id", "_record"]].iloc[0:0].assign(_line=[]),
                      rows_read=2, rows_are="activities", events=events)
    with pytest.warns(DeprecationWarning, match='rows_are="events"'):
        result = ingest_extract(extract, dataset="awards.csv", format_name="custom", options=ReadOptions(today=today))
    assert result.report.sources[0].rows_are == "events" and result.report.sources[0].events == 2
    with pytest.warns(DeprecationWarning, match="IngestResult.events"):
        assert result.activities is result.events
    with Workspace(tmp_path / "ws.duckdb") as ws:
        ws.store(result)
        with pytest.warns(DeprecationWarning, match="Workspace.events"):
            old = ws.activities(as_of="2015-06-30")
        pd.testing.assert_frame_equal(old, ws.events(as_of="2015-06-30"))
    with pytest.warns(DeprecationWarning, match="Extract"):
        assert Extract(path="x.csv", rows=events.iloc[0:0], rows_read=0, activities=events).events is events
    with pytest.warns(DeprecationWarning, match="EVENT_COLUMNS"):
        from clusterwatch.schema import ACTIVITY_COLUMNS
    from clusterwatch.schema import EVENT_COLUMNS

    assert ACTIVITY_COLUMNS is EVENT_COLUMNS
