"""The DuckDB workspace: replace-not-duplicate, atomic failure, as-of frames, rejected.csv, summary."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import clusterwatch
from clusterwatch import InputError, Workspace, WorkspaceError

CSV = (
    "firm_id,name,lat,lon,founded,dissolved,code,code_system\n"
    "a,Alpha,60.17,24.93,2001,,541715,naics\n"
    "b,Beta,60.18,24.94,2010-06-01,2015-01-01,541715,naics\n"
    "c,Gamma,60.19,24.95,2020,,5417,naics\n"
    "d,Delta,0,0,2020,,5417,naics\n"
)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "firms.csv"
    path.write_text(CSV)
    return path


def test_reingest_replaces(tmp_path: Path, source: Path, today: dt.date) -> None:
    ws_path = tmp_path / "ws.duckdb"
    with Workspace(ws_path) as ws:
        ws.store(clusterwatch.read_firms(source, today=today))
        ws.store(clusterwatch.read_firms(source, today=today))
        assert len(ws.firms()) == 3
        assert len(ws.rejected()) == 1
        assert ws.sources()["rows_read"].tolist() == [4]
    rejected = pd.read_csv(tmp_path / "ws.rejected.csv")
    assert rejected["line"].tolist() == [5]
    assert rejected["reason"].tolist() == ["impossible coordinates: 0/0"]


def test_two_datasets_live_side_by_side(tmp_path: Path, source: Path, today: dt.date) -> None:
    other = tmp_path / "other.csv"
    other.write_text(CSV)
    with Workspace(tmp_path / "ws.duckdb") as ws:
        ws.store(clusterwatch.read_firms([source, other], today=today))
        assert sorted(ws.firms()["dataset"].unique()) == ["firms.csv", "other.csv"]
        assert len(ws.firms(datasets=["other.csv"])) == 3


def test_failed_ingest_leaves_workspace_as_it_was(tmp_path: Path, source: Path, today: dt.date) -> None:
    ws_path = tmp_path / "ws.duckdb"
    with Workspace(ws_path) as ws:
        ws.store(clusterwatch.read_firms(source, today=today))
    before = Workspace(ws_path, read_only=True)
    firms_before = before.firms()
    before.close()
    with pytest.raises(InputError):
        clusterwatch.read_firms([source, tmp_path / "nope.csv"], today=today)
    with Workspace(ws_path, read_only=True) as ws:
        pd.testing.assert_frame_equal(ws.firms(), firms_before)


def test_as_of_keeps_only_what_was_known(tmp_path: Path, source: Path, today: dt.date) -> None:
    with Workspace(tmp_path / "ws.duckdb") as ws:
        ws.store(clusterwatch.read_firms(source, today=today))
        assert ws.firms(as_of="2012-01-01")["firm_id"].tolist() == ["a", "b"]
        assert ws.firms(as_of="2016-01-01")["firm_id"].tolist() == ["a"]  # b dissolved in 2015
        assert ws.firms(as_of=dt.date(2021, 1, 1))["firm_id"].tolist() == ["a", "c"]


def test_summary_and_read_only(tmp_path: Path, source: Path, today: dt.date) -> None:
    with pytest.raises(WorkspaceError, match="does not exist"):
        Workspace(tmp_path / "none.duckdb", read_only=True)
    with Workspace(tmp_path / "ws.duckdb") as ws:
        ws.store(clusterwatch.read_firms(source, today=today))
    with Workspace(tmp_path / "ws.duckdb", read_only=True) as ws:
        summary = ws.summary()
    assert summary["n_firms"] == 3
    assert summary["coverage"]["dissolved"] == pytest.approx(1 / 3)
    south, west, north, east = summary["bbox"]
    assert (south, north) == pytest.approx((60.17, 60.19))
    assert summary["counts"]["rejected"].tolist() == [1]


def test_not_a_workspace(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.duckdb"
    bogus.write_text("this is not a database")
    with pytest.raises(WorkspaceError):
        Workspace(bogus)
