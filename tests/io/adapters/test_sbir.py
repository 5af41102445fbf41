"""The SBIR adapters on the real sbir.gov files, the bundled demo slice, and tiny hand-made files."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import pandas as pd
import pytest

import clusterwatch
from clusterwatch import InputError
from clusterwatch.io.adapters.sbir import award_kind, clean_text, firm_key, parse_address

COORD_TOL = 1e-3  # degrees: ZIP and city centroids are stored to 4 decimals

AWARD_HEADER = ("firm,award_year,phase,program,agency,branch,award_amount,address,state,zip5,hubzone,woman_owned,"
                "duns,title,abstract,url\n")


@pytest.fixture(scope="module")
def awards(shared_data: Path) -> clusterwatch.IngestResult:
    return clusterwatch.read_firms(shared_data / "sbir" / "awards_with_address.csv.gz", format="sbir-awards",
                                   today=dt.date(2026, 11, 27))


@pytest.fixture(scope="module")
def demo() -> clusterwatch.IngestResult:
    return clusterwatch.read_firms(clusterwatch.demo_path(), format="sbir-awards", today=dt.date(2026, 11, 27))


# ---------------------------------------------------------------- helpers, known by hand


def test_firm_key_joins_spellings_of_one_firm() -> None:
    names = pd.Series([
        "Abaris Inc.", "ABARIS", "A & P Technology, Inc.", "A & P TECHNOLOGY", "The Athena Group, Inc.",
        "S. D. MILLER AND ASSOCIATES P.L.L.C.", "ELECTROSYNTHESIS CO., INC.", "Airex Corpon", "AIREX CORP.",
        "Applied Food Biotechnology, In", "Inc.", "  ", None,
    ])
    assert firm_key(names).tolist() == [
        "ABARIS", "ABARIS", "A AND P TECHNOLOGY", "A AND P TECHNOLOGY", "ATHENA GROUP", "S D MILLER AND ASSOCIATES",
        "ELECTROSYNTHESIS", "AIREX", "AIREX", "APPLIED FOOD BIOTECHNOLOGY", "INC", pd.NA, pd.NA,
    ]


def test_firm_key_strips_cut_off_suffixes_only_from_30_character_names() -> None:
    # "Heuristic Research I" is 20 characters: its final I is part of the name, not a truncated INC
    keys = firm_key(pd.Series(["Applied System Technologies, I", "Heuristic Research I"]))
    assert keys.tolist() == ["APPLIED SYSTEM TECHNOLOGIES", "HEURISTIC RESEARCH I"]


def test_clean_text_removes_label_and_placeholders() -> None:
    raw = pd.Series([
        "Abstract         N/A", "Abstract Not Available", "N/A", "Abstract         Not Available Tunnel ventilation",
        "Abstract         THE OBJECTIVE", "NA-BETA-ALUMINA IS A SOLID ELECTROLYTE", "Not avaiable.", '""',
        "CERVICAL CANCER DETECTION &amp; SCREENING", None,
    ])
    out = clean_text(raw, label="Abstract")
    assert out.tolist() == [
        pd.NA, pd.NA, pd.NA, "Tunnel ventilation", "THE OBJECTIVE", "NA-BETA-ALUMINA IS A SOLID ELECTROLYTE", pd.NA,
        pd.NA, "CERVICAL CANCER DETECTION & SCREENING", pd.NA,
    ]


def test_award_kind_names_phase_agency_and_branch() -> None:
    kind = award_kind(pd.Series(["SBIR", "SBIR"]), pd.Series(["Phase I", "Phase II"]),
                      pd.Series(["Department of Defense", "National Science Foundation"]), pd.Series(["Navy", "N/A"]))
    assert kind.tolist() == ["award:SBIR Phase I:Department of Defense/Navy",
                             "award:SBIR Phase II:National Science Foundation"]


def test_parse_address_with_and_without_street() -> None:
    parts = parse_address(pd.Series(["4801 Massachusetts Ave. N.W., Suite 360, Washington, DC, 20016",
                                     "Raleigh, NC, 00000", "175 Crossing Blvd, Suite 200, Framingham, Ma, 01702",
                                     "1 HORIZON ROAD, SUITE 1415, Fort Lee, NJ, -", "somewhere"]))
    assert parts["city"].tolist() == ["Washington", "Raleigh", "Framingham", "Fort Lee", pd.NA]
    assert parts["state"].tolist() == ["DC", "NC", "MA", "NJ", pd.NA]
    assert parts["zip"].tolist() == ["20016", "00000", "01702", pd.NA, pd.NA]


# ---------------------------------------------------------------- the real file with addresses


def test_awards_counts_add_up(awards: clusterwatch.IngestResult) -> None:
    report = awards.report.sources[0]
    # 32,971 records: pandas' default reader finds 32,979 because it splits two records at bare carriage returns
    assert report.rows_read == 32_971
    assert report.rows_read == report.accepted + report.rejected
    assert report.rejected_by_reason == {"cannot locate": 36, "missing firm_id": 1}
    assert report.located_by == {"zip": 31_263, "city": 1_671}
    assert report.firms == 8_944 == awards.firms["firm_id"].nunique()
    assert report.events == report.accepted  # one activity per accepted award
    assert set(awards.events["firm_id"]) <= set(awards.firms["firm_id"])


def test_awards_known_firm(awards: clusterwatch.IngestResult) -> None:
    abaris = awards.firms.set_index("firm_id").loc["ABARIS"]
    assert abaris["name"] == "Abaris"
    assert abaris["founded"] == pd.Timestamp("1983-01-01")
    assert (abaris["postcode"], abaris["region"], abaris["city"], abaris["country"]) == ("89503", "NV", "Reno", "US")
    assert abaris["lat"] == pytest.approx(39.5354, abs=COORD_TOL)
    assert abaris["lon"] == pytest.approx(-119.8374, abs=COORD_TOL)
    assert bool(abaris["sme"]) and abaris["kind"] == "firm" and abaris["geo_precision"] == "zip"
    award = awards.events[awards.events["firm_id"] == "ABARIS"].iloc[0]
    assert award["kind"] == "award:SBIR Phase I:Department of Defense/Navy"
    assert award["title"] == "COMPOSITE MATERIAL DESIGNS FOR ASROC LAUNCHER MK112"
    assert pd.isna(award["text"])  # "Abstract         N/A"
    assert award["amount"] == pytest.approx(49_722.0)
    assert award["date"] == pd.Timestamp("1983-01-01")


def test_founded_is_first_award_year_and_place_is_first_award(awards: clusterwatch.IngestResult) -> None:
    # Digital Flow Technologies has one award (1999); Foster-Miller's first award is 1983 in Waltham, whose ZIP
    # 02254 has been retired: it sits at Waltham's centre
    firms = awards.firms.set_index("firm_id")
    assert firms.loc["DIGITAL FLOW TECHNOLOGIES", "founded"] == pd.Timestamp("1999-01-01")
    foster = firms.loc["FOSTER MILLER"]
    assert foster["founded"] == pd.Timestamp("1983-01-01")
    assert foster["geo_precision"] == "city" and foster["city"] == "Waltham"
    assert foster["lat"] == pytest.approx(42.386, abs=0.02) and foster["lon"] == pytest.approx(-71.232, abs=0.02)
    years = awards.events.groupby("firm_id")["date"].min()
    assert (awards.firms.set_index("firm_id")["founded"] == years.reindex(awards.firms["firm_id"]).to_numpy()).all()


def test_bare_carriage_returns_are_read_as_spaces(awards: clusterwatch.IngestResult) -> None:
    notes = awards.report.sources[0].notes
    assert any(n.startswith("10 carriage returns inside unquoted abstracts") for n in notes)
    text = awards.events.loc[awards.events["firm_id"] == "APPLIED ENGINEERING MANAGEMENT", "text"].iloc[0]
    assert "\r" not in text and "Casual Carpooling" in text and text.endswith("program.")
    tunnel = awards.events.loc[awards.events["firm_id"] == "DIGITAL FLOW TECHNOLOGIES", "text"].iloc[0]
    assert tunnel.startswith("Tunnel ventilation")  # "Abstract  Not Available Tunnel ..." keeps its text


def test_rejections_name_line_and_reason(awards: clusterwatch.IngestResult) -> None:
    rej = awards.rejected.set_index("record")
    assert rej.loc[25946, "reason"] == "missing firm_id"  # a 1995 award to a firm named "N/A"
    assert rej.loc[25946, "line"] == 25953  # seven earlier records span two lines
    newton = rej[rej["raw"] == "02164"]
    assert len(newton) == 10  # "Newton Upper Fall": neither the old ZIP nor the truncated city is known
    assert set(newton["reason"]) == {"cannot locate: ZIP 02164 not in the US ZIP table"}


def test_notes_state_the_interpretations(awards: clusterwatch.IngestResult) -> None:
    notes = " | ".join(awards.report.sources[0].notes)
    assert "founded is the first SBIR award year, an entry date, not the incorporation date" in notes
    assert "fewer than 500 employees" in notes
    assert "legal suffixes" in notes


# ---------------------------------------------------------------- the bundled demo


def test_demo_reads_with_counts_adding_up(demo: clusterwatch.IngestResult) -> None:
    report = demo.report.sources[0]
    assert report.rows_read == 4_770 == report.accepted + report.rejected
    assert (report.accepted, report.rejected, report.firms) == (4_745, 25, 753)
    assert report.rejected_by_reason == {"cannot locate": 25}
    assert report.located_by == {"zip": 3_590, "city": 1_155}
    assert set(demo.firms["region"]) == {"MA"}
    years = demo.firms["founded"].dt.year
    assert years.min() == 1983 and years.max() == 2002
    assert demo.events["text"].notna().sum() > 3_000


def test_demo_is_a_byte_copy_of_source_records(shared_data: Path) -> None:
    with gzip.open(clusterwatch.demo_path(), "rb") as fh:
        demo_lines = fh.read().split(b"\n")
    with gzip.open(shared_data / "sbir" / "awards_with_address.csv.gz", "rb") as fh:
        source = fh.read()
    assert demo_lines[0] == source.split(b"\n", 1)[0]
    for line in demo_lines[1:200:20]:  # a sample of records, each found verbatim in the source
        assert line in source


# ---------------------------------------------------------------- the awards-only file


def test_abstracts_are_events_that_join_the_firms(shared_data: Path,
                                                       awards: clusterwatch.IngestResult) -> None:
    result = clusterwatch.read_firms(shared_data / "sbir" / "awards.csv.gz", format="sbir-abstracts",
                                     today=dt.date(2026, 11, 27))
    report = result.report.sources[0]
    assert report.rows_read == 84_902 == report.accepted + report.rejected
    assert report.rejected_by_reason == {"missing firm_id": 1}
    assert report.firms == 0 and report.events == 84_901
    first = result.events.iloc[0]
    assert first["firm_id"] == "ABARIS" and first["date"] == pd.Timestamp("1991-01-01")
    assert first["kind"] == "award:SBIR Phase I:Air Force"
    assert first["title"] == "MATERIALS AND PROCESSES FOR ASEROSPACE RTM"
    assert str(first["text"]).startswith("THE U.S. AIR FORCE HAS AN INTEREST")
    # every firm of the address file has awards here under the same key
    joined = awards.firms["firm_id"].isin(set(result.events["firm_id"]))
    assert joined.mean() > 0.99


# ---------------------------------------------------------------- bad input


def test_missing_column_names_it(tmp_path: Path) -> None:
    path = tmp_path / "awards.csv"
    path.write_text(AWARD_HEADER.replace(",zip5", "") + "Abaris,1983,Phase I,SBIR,DoD,Navy,1.0,x,NV,N,N,N/A,t,a,u\n")
    with pytest.raises(InputError, match="zip5"):
        clusterwatch.read_firms(path, format="sbir-awards")


def test_wrong_layout_names_the_other_format(tmp_path: Path) -> None:
    path = tmp_path / "awards.csv"
    path.write_text("firm,year,phase,program,agency,research_institution,title,abstract,link\n"
                    "Abaris,1991,Phase I,SBIR,Air Force,,T,A,https://x\n")
    with pytest.raises(InputError, match="column 'award_year'.*--format sbir-abstracts"):
        clusterwatch.read_firms(path, format="sbir-awards")
    located = tmp_path / "located.csv"
    located.write_text(AWARD_HEADER + 'Abaris,1983,Phase I,SBIR,DoD,Navy,1.0,"x, Reno, NV, 89503",NV,89503,N,N,N/A,'
                       "t,a,u\n")
    with pytest.raises(InputError, match="column 'year'.*--format sbir-awards"):
        clusterwatch.read_firms(located, format="sbir-abstracts")


def test_hand_made_rows_rejected_with_reasons(tmp_path: Path, today: dt.date) -> None:
    path = tmp_path / "awards.csv"
    path.write_text(
        AWARD_HEADER
        + 'Good Inc.,1990,Phase I,SBIR,NSF,N/A,50000.0,"1 Main St, Reno, NV, 89503",NV,89503,N,N,N/A,T,A,u\n'
        + 'Good Inc,1988,Phase I,SBIR,NSF,N/A,50000.0,"1 Main St, Reno, NV, 89503",NV,89503,N,N,N/A,T,A,u\n'
        + 'Future Inc,2031,Phase I,SBIR,NSF,N/A,1.0,"1 Main St, Reno, NV, 89503",NV,89503,N,N,N/A,T,A,u\n'
        + 'Nowhere Inc,1990,Phase I,SBIR,NSF,N/A,1.0,"1 Main St, Atlantis, ZZ, 99999",ZZ,99999,N,N,N/A,T,A,u\n'
        + 'Odd Year Inc,199x,Phase I,SBIR,NSF,N/A,1.0,"1 Main St, Reno, NV, 89503",NV,89503,N,N,N/A,T,A,u\n'
    )
    result = clusterwatch.read_firms(path, format="sbir-awards", today=today)
    assert result.report.rows_read == 5 == result.report.accepted + result.report.rejected
    reasons = dict(zip(result.rejected["record"].astype(int), result.rejected["reason"], strict=True))
    assert reasons[3].startswith("founding date in the future")
    assert reasons[4] == "cannot locate: ZIP 99999 not in the US ZIP table"
    # the year is both the firm's founded and its award's date: either check may name it
    assert reasons[5] in ("unparseable date in founded", "unparseable date in date")
    good = result.firms.set_index("firm_id").loc["GOOD"]
    assert good["founded"] == pd.Timestamp("1988-01-01")  # two spellings, one firm, earliest award
    assert len(result.events) == 2
