"""The ``norway-brreg`` and ``rcn-h2020`` adapters on the real Norwegian files and on tiny hand-made ones."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from clusterwatch import read_firms
from clusterwatch.errors import InputError
from clusterwatch.io.adapters.norway import brreg_kind
from clusterwatch.io.adapters.rcn import locate_municipalities
from clusterwatch.io.ingest import IngestResult

ENHETER = "norway_brreg/brreg_enheter_sample_with_text.csv.gz"
UNDERENHETER = "norway_brreg/brreg_underenheter_sample.csv.gz"
RCN = "norway_rcn_eu/bevilgningereu_dataset.csv"
TODAY = dt.date(2026, 11, 27)
CENTROID_DEGREES = 0.1  # a postcode or municipality centroid is within this of the place's centre

RCN_HEADER = ("Prosjektnr;Prosjektkortnavn;Prosjektnavn;Topic;Kontrakt startdato;Organisasjonsnummer;"
              "Organisasjonsnavn;Organisasjon rolle;FoU sektorkode;FoU sektor;FoU kategori;Adresse kommunenummer;"
              "Adresse kommune;Adresse fylke;Innvilget beløp organisasjon EUR")


@pytest.fixture(scope="module")
def enheter(shared_data: Path) -> IngestResult:
    return read_firms(shared_data / ENHETER, format="norway-brreg", today=TODAY)


@pytest.fixture(scope="module")
def underenheter(shared_data: Path) -> IngestResult:
    return read_firms(shared_data / UNDERENHETER, format="norway-brreg", today=TODAY)


@pytest.fixture(scope="module")
def rcn(shared_data: Path) -> IngestResult:
    return read_firms(shared_data / RCN, format="rcn-h2020", today=TODAY)


def firm(result: IngestResult, firm_id: str) -> pd.Series:
    rows = result.firms[result.firms["firm_id"] == firm_id]
    assert len(rows) == 1, f"{firm_id} found {len(rows)} times"
    return rows.iloc[0]


# ---------------------------------------------------------------- Enhetsregisteret: legal units

def test_enheter_counts_add_up(enheter: IngestResult) -> None:
    report = enheter.report.sources[0]
    assert report.rows_read == 12040
    assert report.accepted + report.rejected == report.rows_read
    assert report.firms == report.accepted
    by_reason = enheter.rejected["reason"].value_counts()
    # units with no Norwegian postcode (mostly foreign addresses), and Longyearbyen's postcodes GeoNames lacks
    assert by_reason["cannot locate: no coordinates and no postcode to geocode"] == 256
    assert by_reason["cannot locate: NO postcode 9170 not in the table"] == 9
    assert report.rejected == 267


def test_enheter_known_company(enheter: IngestResult) -> None:
    leica = firm(enheter, "942216076")
    assert leica["name"] == "LEICA GEOSYSTEMS AS"
    assert (leica["code"], leica["codes"], leica["code_system"]) == ("46694", "46694", "sn2007")
    assert leica["description"].startswith("Handels-, service- og produksjonsvirksomhet")
    assert leica["founded"] == pd.Timestamp("1986-12-04")
    assert leica["employees"] == 56
    assert (leica["postcode"], leica["city"], leica["county"], leica["country"]) == ("0950", "OSLO", "0301", "NO")
    assert leica["address"] == "Sven Oftedals vei 10"
    assert leica["geo_precision"] == "postcode"
    assert leica["lat"] == pytest.approx(59.91, abs=CENTROID_DEGREES)
    assert leica["lon"] == pytest.approx(10.75, abs=CENTROID_DEGREES)
    assert leica["kind"] == "firm"


def test_enheter_codes_dates_and_fallbacks(enheter: IngestResult) -> None:
    assert firm(enheter, "866699852")["codes"] == "56101;01451"
    unspecified = firm(enheter, "930783196")  # naeringskode1 "00.000" (Uoppgitt) is no code
    assert pd.isna(unspecified["code"]) and pd.isna(unspecified["codes"])
    assert firm(enheter, "826725842")["founded"] == pd.Timestamp("2021-03-04")  # registration date
    assert firm(enheter, "876077922")["dissolved"] == pd.Timestamp("2023-12-14")  # bankruptcy
    postal = firm(enheter, "977118239")  # no business address: the postal one
    assert (postal["postcode"], postal["city"]) == ("6401", "MOLDE")


@pytest.mark.parametrize(
    ("firm_id", "kind"),
    [
        ("861381722", "public"),  # KOMM, sector 6500
        ("972417920", "public"),  # the foreign ministry, sector 6100
        ("924464011", "other"),  # ESEK, a condominium
        ("989268929", "firm"),  # a sole proprietor with NACE 85.421
    ],
)
def test_enheter_kind(enheter: IngestResult, firm_id: str, kind: str) -> None:
    assert firm(enheter, firm_id)["kind"] == kind


def test_enheter_parent_units_become_relations(enheter: IngestResult) -> None:
    rel = enheter.relations
    assert len(rel) > 100
    assert set(rel["kind"]) == {"part_of"}
    tie = rel[rel["source"] == "926348264"].iloc[0]
    assert tie["target"] == "921221967"


# ---------------------------------------------------------------- Enhetsregisteret: establishments

def test_underenheter_counts_and_location(underenheter: IngestResult) -> None:
    report = underenheter.report.sources[0]
    assert report.rows_read == 5973
    assert report.accepted + report.rejected == report.rows_read
    assert report.rejected == 49
    skien = firm(underenheter, "973618075")  # located where it is (beliggenhetsadresse), not at its post box
    assert (skien["postcode"], skien["city"], skien["county"]) == ("3717", "SKIEN", "4003")
    assert skien["founded"] == pd.Timestamp("1995-02-23")
    assert firm(underenheter, "923012605")["founded"] == pd.Timestamp("2019-05-07")  # oppstartsdato first
    assert firm(underenheter, "922461902")["kind"] == "other"  # AAFY
    rel = underenheter.relations
    assert rel.loc[rel["source"] == "973618075", "target"].tolist() == ["936704212"]


# ---------------------------------------------------------------- RCN H2020 participations

def test_rcn_counts_add_up(rcn: IngestResult) -> None:
    report = rcn.report.sources[0]
    assert report.rows_are == "observations"
    assert report.rows_read == 2931
    assert report.accepted + report.rejected == report.rows_read
    assert report.rejected_by_reason == {"cannot locate": 4, "missing firm_id": 3}
    assert (rcn.rejected["reason"] == "cannot locate: no municipality given").sum() == 4
    assert report.events == report.relations == report.accepted
    assert report.firms == rcn.firms["firm_id"].nunique() == 689
    assert report.located_by == {"municipality": report.accepted}


def test_rcn_known_participants(rcn: IngestResult) -> None:
    sintef = firm(rcn, "919303808")
    assert (sintef["name"], sintef["kind"], sintef["city"], sintef["county"]) == (
        "SINTEF AS", "research", "Trondheim", "5001")
    assert sintef["lat"] == pytest.approx(63.43, abs=CENTROID_DEGREES)
    assert sintef["lon"] == pytest.approx(10.40, abs=CENTROID_DEGREES)
    assert firm(rcn, "974767880")["kind"] == "university"  # NTNU
    assert firm(rcn, "916735472")["kind"] == "firm"  # FUTUREON AS, Næringsliv
    assert firm(rcn, "916735472")["county"] == "0301"  # Oslo, published as 301
    assert firm(rcn, "983974724")["kind"] == "public"  # Helse Vest RHF
    assert firm(rcn, "971390425")["kind"] == "public"  # "Øvrige offentlige"
    assert firm(rcn, "985204454")["lat"] == pytest.approx(78.22, abs=CENTROID_DEGREES)  # UNIS, Svalbard


def test_rcn_participations_become_relations_and_activities(rcn: IngestResult) -> None:
    rel = rcn.relations
    tie = rel[(rel["source"] == "919303808") & (rel["project"] == "951956")].iloc[0]
    assert (tie["kind"], tie["role"]) == ("participation", "coordinator")
    assert tie["weight"] == pytest.approx(3518202.75)
    assert tie["date"] == pd.Timestamp("2020-06-01")
    act = rcn.events
    project = act[(act["firm_id"] == "919303808") & act["title"].str.startswith("Change2Twin")].iloc[0]
    assert project["title"].startswith("Change2Twin: Create and Harvest Offerings")
    assert project["text"] == "I4MS (phase 4) - uptake of digital game changers"
    assert project["amount"] == pytest.approx(3518202.75)


# ---------------------------------------------------------------- hand-made files

def test_brreg_missing_required_column_names_it(tmp_path: Path) -> None:
    path = tmp_path / "enheter.csv"
    path.write_text("organisasjonsnummer,navn,forretningsadresse.postnummer\n942216076,LEICA,0950\n", encoding="utf-8")
    with pytest.raises(InputError, match="naeringskode1.kode") as err:
        read_firms(path, format="norway-brreg", today=TODAY)
    assert err.value.column == "naeringskode1.kode"


def test_brreg_without_any_address_block_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "enheter.csv"
    path.write_text("organisasjonsnummer,navn,naeringskode1.kode\n942216076,LEICA,46.694\n", encoding="utf-8")
    with pytest.raises(InputError, match="forretningsadresse"):
        read_firms(path, format="norway-brreg", today=TODAY)


def test_brreg_bad_values_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "enheter.csv"
    path.write_text(
        "organisasjonsnummer,navn,organisasjonsform.kode,naeringskode1.kode,antallAnsatte,stiftelsesdato,"
        "konkursdato,forretningsadresse.postnummer,forretningsadresse.landkode\n"
        "100000001,OK AS,AS,62.010,3,2001-02-03,,0950,NO\n"
        "100000002,BAD CODE AS,AS,62.0x0,3,2001-02-03,,0950,NO\n"
        "100000003,BAD DATE AS,AS,62.010,3,2001-02-30,,0950,NO\n"
        "100000004,BAD BANKRUPTCY AS,AS,62.010,3,2001-02-03,someday,0950,NO\n"
        "100000005,NEGATIVE AS,AS,62.010,-1,2001-02-03,,0950,NO\n"
        "100000006,UNKNOWN POSTCODE AS,AS,62.010,1,2001-02-03,,9170,NO\n",
        encoding="utf-8",
    )
    result = read_firms(path, format="norway-brreg", today=TODAY)
    reasons = dict(zip(result.rejected["record"], result.rejected["reason"], strict=True))
    assert result.firms["firm_id"].tolist() == ["100000001"]
    assert reasons == {
        2: "malformed sn2007 code",
        3: "unparseable date in founded",
        4: "unparseable date in dissolved",
        5: "negative size in employees",
        6: "cannot locate: NO postcode 9170 not in the table",
    }


def test_rcn_missing_required_column_names_it(tmp_path: Path) -> None:
    path = tmp_path / "rcn.csv"
    path.write_text(RCN_HEADER.replace("Organisasjonsnummer;", "") + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="Organisasjonsnummer") as err:
        read_firms(path, format="rcn-h2020", today=TODAY)
    assert err.value.column == "Organisasjonsnummer"


def test_rcn_bad_rows_are_rejected_with_reasons(tmp_path: Path) -> None:
    path = tmp_path / "rcn.csv"
    path.write_text(
        RCN_HEADER + "\n"
        "1;P1;Project one;T;01.06.2020 00:00;919303808;SINTEF AS;COORDINATOR;INS;Instituttsektor;x;5001;Trondheim;"
        "Trøndelag;100.5\n"
        "1;P1;Project one;T;01.06.2020 00:00;;ukjent;PARTICIPANT;ukjent;ukjent;ukjent;;;;5\n"
        "1;P1;Project one;T;31.02.2020 00:00;916735472;FUTUREON AS;PARTICIPANT;NÆR;Næringsliv;x;301;Oslo;Oslo;5\n"
        "1;P1;Project one;T;01.06.2020 00:00;916735472;FUTUREON AS;PARTICIPANT;NÆR;Næringsliv;x;301;Oslo;Oslo;"
        "five\n"
        "1;P1;Project one;T;01.06.2020 00:00;916735473;ATLANTIS AS;PARTICIPANT;NÆR;Næringsliv;x;9999;Atlantis;;5\n",
        encoding="utf-8",
    )
    result = read_firms(path, format="rcn-h2020", today=TODAY)
    report = result.report.sources[0]
    assert (report.rows_read, report.accepted, report.rejected) == (5, 1, 4)
    reasons = dict(zip(result.rejected["record"], result.rejected["reason"], strict=True))
    assert reasons == {
        2: "missing firm_id",
        3: "unparseable date in Kontrakt startdato",
        4: "unparseable number in Innvilget beløp organisasjon EUR",
        5: "cannot locate: municipality Atlantis (9999) not in the GeoNames NO table",
    }
    assert result.relations["weight"].tolist() == [pytest.approx(100.5)]


def test_brreg_kind_rules_by_hand() -> None:
    form = pd.Series(["AS", "STI", "ORGL", "FLI", "ENK", "NUF", "AS", "KOMM"])
    sector = pd.Series(["2100", "7000", "6100", None, "8200", None, "2100", None])
    code = pd.Series(["72.190", "72.190", "85.421", "94.991", "85.421", "62.010", "84.110", "84.110"])
    assert brreg_kind(form, sector, code).tolist() == [
        "firm", "research", "university", "other", "firm", "firm", "public", "public"]


def test_locate_municipalities_by_number_then_name() -> None:
    lat, lon, why = locate_municipalities(
        pd.Series(["301", "5405", "5430", None, "9999"]),
        pd.Series(["Oslo", "Vadsø", "Guovdageaidnu - Kautokeino", None, "Atlantis"]),
    )
    assert lat.iloc[0] == pytest.approx(59.91, abs=CENTROID_DEGREES)
    assert lat.iloc[1] == pytest.approx(70.07, abs=CENTROID_DEGREES)  # number of 2020-23, found by name
    assert lat.iloc[2] == pytest.approx(69.0, abs=0.2)
    assert why.iloc[3] == "no municipality given"
    assert pd.isna(lat.iloc[4]) and "Atlantis" in why.iloc[4]
    assert why.iloc[:3].isna().all()
