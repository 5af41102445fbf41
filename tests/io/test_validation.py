"""Every rejection reason, on tiny hand-built files whose answer is known."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import clusterwatch
from clusterwatch import InputError

HEADER = "firm_id,name,lat,lon,postcode,country,code,code_system,founded,dissolved,employees,sme,kind\n"


def _ingest(tmp_path: Path, body: str, today: dt.date, name: str = "firms.csv") -> clusterwatch.IngestResult:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return clusterwatch.read_firms(path, today=today)


def _reasons(result: clusterwatch.IngestResult) -> dict[int, tuple[str, str]]:
    rej = result.rejected
    return {int(r.line): (str(r.reason), str(r.column)) for r in rej.itertuples()}


GOOD = "g1,Good,60.17,24.93,,,541715,naics,2015,,5,yes,firm\n"


@pytest.mark.parametrize(
    ("row", "reason", "column"),
    [
        (",NoId,60.1,24.9,,,541715,naics,2015,,5,yes,firm", "missing firm_id", "firm_id"),
        ("b1,X,north,24.9,,,541715,naics,2015,,5,yes,firm", "unparseable coordinates", "lat"),
        ("b1,X,95.0,24.9,,,541715,naics,2015,,5,yes,firm", "impossible coordinates: out of range", "lat"),
        ("b1,X,60.0,190,,,541715,naics,2015,,5,yes,firm", "impossible coordinates: out of range", "lat"),
        ("b1,X,0,0,,,541715,naics,2015,,5,yes,firm", "impossible coordinates: 0/0", "lat"),
        ("b1,X,60.1,,,,541715,naics,2015,,5,yes,firm", "unparseable coordinates: only one", "lat"),
        ("b1,X,60.1,24.9,,,541715,naics,2015-02-30,,5,yes,firm", "unparseable date in founded", "founded"),
        ("b1,X,60.1,24.9,,,541715,naics,2015,someday,5,yes,firm", "unparseable date in dissolved", "dissolved"),
        ("b1,X,60.1,24.9,,,541715,naics,2031-01-01,,5,yes,firm", "founding date in the future", "founded"),
        ("b1,X,60.1,24.9,,,541715,naics,2015,2010,5,yes,firm", "dissolved before founded", "dissolved"),
        ("b1,X,60.1,24.9,,,541715,naics,2015,,-3,yes,firm", "negative size in employees", "employees"),
        ("b1,X,60.1,24.9,,,541715,naics,2015,,many,yes,firm", "unparseable number in employees", "employees"),
        ("b1,X,60.1,24.9,,,54171X,naics,2015,,5,yes,firm", "malformed naics code", "code"),
        ("b1,X,60.1,24.9,,,5417151,naics,2015,,5,yes,firm", "malformed naics code", "code"),
        ("b1,X,60.1,24.9,,,620,uksic2007,2015,,5,yes,firm", "malformed uksic2007 code", "code"),
        ("b1,X,60.1,24.9,,,541715,naics,2015,,5,perhaps,firm", "unparseable yes/no in sme", "sme"),
        ("b1,X,60.1,24.9,,,541715,naics,2015,,5,yes,company", "unknown kind", "kind"),
        ("b1,X,,,99999,US,541715,naics,2015,,5,yes,firm", "cannot locate: ZIP 99999 not in the US ZIP table",
         "postcode"),
        ("b1,X,,,ABC,US,541715,naics,2015,,5,yes,firm", "cannot locate: malformed US ZIP", "postcode"),
        ("b1,X,,,,,541715,naics,2015,,5,yes,firm", "cannot locate: no coordinates and no postcode", "postcode"),
        ("b1,X,,,1234,XX,541715,naics,2015,,5,yes,firm", "cannot locate: no postcode table for country", "postcode"),
    ],
)
def test_each_rejection_reason(tmp_path: Path, today: dt.date, row: str, reason: str, column: str) -> None:
    result = _ingest(tmp_path, GOOD + row + "\n", today)
    assert result.report.rows_read == 2
    assert result.report.accepted == 1 and result.report.rejected == 1
    assert list(result.firms["firm_id"]) == ["g1"]
    got_reason, got_column = _reasons(result)[3]  # header is line 1, the good row line 2
    assert got_reason.startswith(reason), got_reason
    assert got_column == column
    assert (result.rejected["source"] == str(tmp_path / "firms.csv")).all()


def test_duplicate_id_keeps_first_and_names_its_line(tmp_path: Path, today: dt.date) -> None:
    body = GOOD + "g1,Again,60.2,24.9,,,541715,naics,2015,,5,yes,firm\n" + GOOD
    result = _ingest(tmp_path, body, today)
    assert result.firms["name"].tolist() == ["Good"]
    reasons = _reasons(result)
    assert reasons[3][0] == "duplicate firm_id (first seen at line 2)"
    assert reasons[4][0] == "duplicate firm_id (first seen at line 2)"


def test_duplicate_of_a_rejected_row_is_not_a_duplicate(tmp_path: Path, today: dt.date) -> None:
    body = "d1,Bad,0,0,,,541715,naics,2015,,5,yes,firm\nd1,Fine,60.2,24.9,,,541715,naics,2015,,5,yes,firm\n"
    result = _ingest(tmp_path, body, today)
    assert result.firms["name"].tolist() == ["Fine"]
    assert _reasons(result)[2][0].startswith("impossible coordinates")


def test_wrong_number_of_fields_and_undecodable_bytes(tmp_path: Path, today: dt.date) -> None:
    path = tmp_path / "broken.csv"
    rows = [
        HEADER.encode(),
        GOOD.encode(),
        b"b2,Short,60.1,24.9\n",
        b"b3,Long,60.1,24.9,,,541715,naics,2015,,5,yes,firm,extra,more\n",
        b"b4,Bad \xff\xfe name,60.1,24.9,,,541715,naics,2015,,5,yes,firm\n",
        b"g5,Last,60.3,24.8,,,541715,naics,2015,,5,no,university\n",
    ]
    path.write_bytes(b"".join(rows))
    result = clusterwatch.read_firms(path, today=today)
    assert result.report.rows_read == 5
    assert sorted(result.firms["firm_id"]) == ["g1", "g5"]
    reasons = _reasons(result)
    assert reasons[3][0].startswith("wrong number of fields (too few)")
    assert reasons[4][0].startswith("wrong number of fields (too many)")
    assert reasons[5][0].startswith("undecodable bytes")
    # the rejected record keeps the raw text for the user to see
    assert "b2,Short" in str(result.rejected.set_index("line").loc[3, "raw"])


def test_lines_count_multi_line_records(tmp_path: Path, today: dt.date) -> None:
    body = 'm1,"Two\nlines",60.1,24.9,,,541715,naics,2015,,5,yes,firm\nm2,X,0,0,,,541715,naics,2015,,5,yes,firm\n'
    result = _ingest(tmp_path, body, today)
    # m2 starts on physical line 4: header, then m1 spanning lines 2-3
    assert _reasons(result) == {4: ("impossible coordinates: 0/0", "lat")}


def test_types_of_accepted_rows(tmp_path: Path, today: dt.date) -> None:
    body = GOOD + "g2,Second,,,00100,FI,62.01,nace2,1999-12-31,2020-06-30,1200,no,research\n"
    result = _ingest(tmp_path, body, today)
    firms = result.firms.set_index("firm_id")
    assert firms.loc["g1", "founded"] == pd.Timestamp("2015-01-01")
    assert firms.loc["g2", "code"] == "6201"
    assert firms.loc["g2", "geo_precision"] == "postcode"
    assert firms.loc["g2", "lat"] == pytest.approx(60.17, abs=0.01)
    assert bool(firms.loc["g1", "sme"]) is True and bool(firms.loc["g2", "sme"]) is False
    assert firms.loc["g2", "employees"] == 1200.0
    assert firms.loc["g2", "dissolved"] == pd.Timestamp("2020-06-30")
    assert str(firms["lat"].dtype) == "float64"


def test_file_that_cannot_be_used_stops_with_file_and_column(tmp_path: Path, today: dt.date) -> None:
    with pytest.raises(InputError, match=r"missing\.csv: no such file"):
        clusterwatch.read_firms(tmp_path / "missing.csv")
    no_id = tmp_path / "noid.csv"
    no_id.write_text("name,lat,lon\nA,1,2\n")
    with pytest.raises(InputError, match=r"column 'firm_id'") as info:
        clusterwatch.read_firms(no_id)
    assert info.value.path == str(no_id) and info.value.column == "firm_id"
    no_loc = tmp_path / "noloc.csv"
    no_loc.write_text("firm_id,lat\nA,1\n")
    with pytest.raises(InputError, match=r"column 'lon'"):
        clusterwatch.read_firms(no_loc)
    weird = tmp_path / "firms.docx"
    weird.write_text("x")
    with pytest.raises(InputError, match="cannot tell the file type"):
        clusterwatch.read_firms(weird)
    with pytest.raises(InputError, match="--column firm_id=ID: no such column"):
        clusterwatch.read_firms(no_loc, columns={"firm_id": "ID"})


def test_column_mapping_and_projected_coordinates(tmp_path: Path, today: dt.date) -> None:
    path = tmp_path / "mapped.csv"
    # Web Mercator of (49.15977599, -122.6659491), a Langley licence
    path.write_text("ID,X,Y,Started\nL1,-13655110.99,6302015.65,2019\n")
    result = clusterwatch.read_firms(
        path, columns={"firm_id": "ID", "x": "X", "y": "Y", "founded": "Started"}, crs="EPSG:3857", today=today
    )
    row = result.firms.iloc[0]
    assert row["lat"] == pytest.approx(49.15977599, abs=1e-6)
    assert row["lon"] == pytest.approx(-122.6659491, abs=1e-6)
    assert row["geo_precision"] == "point"


def test_non_iso_dates_with_a_format(tmp_path: Path, today: dt.date) -> None:
    path = tmp_path / "dates.csv"
    path.write_text("firm_id,lat,lon,founded\na,1,1,14/06/2016\nb,1,1,2016-06-14\n")
    result = clusterwatch.read_firms(path, date_format="%d/%m/%Y", today=today)
    assert result.firms["founded"].tolist() == [pd.Timestamp("2016-06-14")]
    assert result.rejected["reason"].tolist() == ["unparseable date in founded"]


def test_blank_country_beside_filled_ones(tmp_path: Path, today: dt.date) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text("firm_id,postcode,country\na,98101,US\nb,1017C,\n")
    result = clusterwatch.read_firms(path, today=today)
    assert result.firms["firm_id"].tolist() == ["a"]
    assert result.rejected["reason"].tolist() == [
        "cannot locate: postcode given but no country to pick a postcode table (use --country)"
    ]


def test_observation_rows_with_a_bad_event_date_are_rejected_whole(today: dt.date) -> None:
    from clusterwatch.io.adapters.base import Extract, ReadOptions
    from clusterwatch.io.ingest import ingest_extract

    rows = pd.DataFrame(
        {"firm_id": ["f", "f", "g"], "lat": ["1", "1", "2"], "lon": ["1", "1", "2"],
         "_record": [1, 2, 3], "_line": [2, 3, 4]}
    )
    events = pd.DataFrame({"firm_id": ["f", "f", "g"], "date": ["2001", "soon", "2003"],
                               "amount": ["5", "6", "lots"], "_record": [1, 2, 3]})
    extract = Extract(path="awards.csv", rows=rows, rows_read=3, rows_are="observations", events=events)
    result = ingest_extract(extract, dataset="awards", format_name="test", options=ReadOptions(today=today))
    assert result.report.accepted == 1 and result.report.rejected == 2
    assert result.rejected.set_index("line")["reason"].to_dict() == {
        3: "unparseable date in date", 4: "unparseable number in amount"}
    assert result.firms["firm_id"].tolist() == ["f"]
    assert result.events["date"].tolist() == [pd.Timestamp("2001-01-01")]
