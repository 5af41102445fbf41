"""The regional analysis on real firm-level data: PPP loans in Georgia and Montana, Seattle licences over time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clusterwatch
from clusterwatch.analysis.regional import (
    RegionalAnalysis,
    RegionalTable,
    analyse_regions,
    entry_exit,
    firms_to_regions,
)
from clusterwatch.errors import InputError


@pytest.fixture(scope="module")
def georgia(shared_data: Path) -> pd.DataFrame:
    path = shared_data / "ppp_georgia" / "ppp_georgia_dedup.csv.gz"
    return clusterwatch.read_firms(path, format="ppp-georgia").firms


@pytest.fixture(scope="module")
def montana(shared_data: Path) -> pd.DataFrame:
    return clusterwatch.read_firms(shared_data / "ppp_montana" / "mt-combined.csv", format="ppp-montana").firms


def _strongest(analysis: RegionalAnalysis, region: str) -> list[str]:
    top = analysis.strongest(3)
    return top.loc[top["region"] == region, "name"].tolist()


def test_georgia_by_county(georgia: pd.DataFrame) -> None:
    table = firms_to_regions(georgia, region="county", as_of="2020-08-08")
    p = table.provenance
    assert p.rows == len(georgia) == 79_756
    assert p.used + sum(p.dropped.values()) == p.rows
    assert p.dropped == {"code in no benchmark cluster": 2_112, "no industry code": 1_889}
    assert len(table.regions) == 150 and table.has_traded
    analysis = analyse_regions(table)
    cells = analysis.to_frame().set_index(["region", "industry"])
    # Whitfield County (Dalton), the carpet capital: textiles, strong and with three stars
    dalton = cells.loc[("13313", "42")]
    assert dalton["strong"] and dalton["stars"] == 3 and dalton["lq_cm_employment"] > 8
    assert _strongest(analysis, "13313")[0] == "Textile Manufacturing"
    # Clarke County (Athens): biopharmaceuticals
    assert "Biopharmaceuticals" in _strongest(analysis, "13059")
    # flags are a hierarchy: strong10 implies strong implies qualifying
    flags = analysis.flags.cells.dropna(subset=["strong"])
    assert (~flags["strong10"] | flags["strong"]).all() and (~flags["strong"] | flags["qualifying"]).all()
    assert ((analysis.stars.cells["stars"] >= 0) & (analysis.stars.cells["stars"] <= 3)).all()


def test_georgia_by_zip_and_montana_by_zip(georgia: pd.DataFrame, montana: pd.DataFrame) -> None:
    zips = analyse_regions(firms_to_regions(georgia, region="postcode"))
    assert len(zips.table.regions) == 508
    assert _strongest(zips, "30720")[0] == "Textile Manufacturing"  # Dalton's ZIP
    table = firms_to_regions(montana, region="postcode")
    assert table.provenance.employment_coverage == pytest.approx(0.982, abs=0.001)
    assert len(table.regions) == 337
    analysis = analyse_regions(table)
    # Bozeman: information technology and analytical instruments (the optics and photonics firms)
    assert "Information Technology and Analytical Instruments" in _strongest(analysis, "59715")
    density = analysis.relatedness.density.to_numpy()
    assert np.nanmin(density) >= 0 and np.nanmax(density) <= 1


def test_montana_has_no_county_column(montana: pd.DataFrame) -> None:
    assert montana["county"].isna().all()
    with pytest.raises(InputError, match="none of the 23,102 firms can be used"):
        firms_to_regions(montana, region="county")


def test_seattle_entries_are_related_to_what_was_there(shared_data: Path) -> None:
    firms = clusterwatch.read_firms(shared_data / "seattle" / "business_licenses_analysis.csv",
                                    format="seattle-licences").firms
    seattle = firms[firms["lat"].between(47.4, 47.8) & firms["lon"].between(-122.5, -122.2)]

    def as_of(day: str) -> pd.DataFrame:
        return seattle[seattle["founded"] <= pd.Timestamp(day)]

    def table(day: str) -> RegionalTable:
        return firms_to_regions(as_of(day), region="h3", h3_resolution=7, industries="subsector", as_of=day)

    moves = entry_exit(table("2015-12-31"), table("2022-12-31"), measure="establishments")
    summary = moves.summary.set_index("status")
    assert summary.loc["entry", "cells"] > 100
    # relatedness density predicts entry: entrants had a higher density (0.26) than industries that stayed absent
    # (0.17) in the same H3 cells
    assert summary.loc["entry", "mean_density_before"] > 1.3 * summary.loc["absent", "mean_density_before"]
