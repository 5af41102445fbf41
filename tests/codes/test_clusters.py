"""US Cluster Mapping benchmark clusters: the shipped definitions against their sources, and code matching."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from clusterwatch.codes import CLUSTER_VINTAGES, benchmark_clusters, naics_to_cluster
from clusterwatch.errors import OptionError


def test_2007_definitions_reproduce_the_json_exactly(shared_data: Path) -> None:
    clusters = json.loads((shared_data / "us_cluster_mapping" / "cmp_clusters-list.json").read_text())
    table = benchmark_clusters("2007")
    assert len(clusters) == 67
    assert len(table) == 1099 and table["naics"].is_unique
    assert table["cluster_code"].nunique() == 67
    for cluster in clusters:
        code = int(cluster["id"].split("/")[-1])
        rows = table[table["cluster_code"] == code]
        assert set(rows["naics"]) == set(cluster["naics_txt"]), cluster["name_t"]
        assert set(rows["cluster_name"]) == {cluster["name_t"]}
    assert table["subcluster"].isna().all()


def test_2007_cluster_types_follow_porter_2003() -> None:
    table = benchmark_clusters("2007")
    per_type = table.groupby("cluster_type")["cluster_code"].nunique().to_dict()
    assert per_type == {"local": 16, "resource": 10, "traded": 41}
    local = table[table["cluster_type"] == "local"]
    assert local["cluster_name"].str.startswith("Local").all()
    assert (table["traded"] == (table["cluster_type"] == "traded")).all()


def test_2012_traded_local_split_matches_the_workbook(shared_data: Path) -> None:
    workbook = pd.read_excel(
        shared_data / "us_cluster_mapping" / "acr1_NAICS_crosswalks_to_Cluster_system.xlsx", sheet_name=0, dtype=str
    )
    workbook.columns = [str(c).strip() for c in workbook.columns]
    table = benchmark_clusters("2012").set_index("naics")
    assert len(workbook) == 992 and len(table) == 986  # 5 government pseudo-cluster rows and 814110 left out
    kept = workbook[workbook["NAICS"].isin(table.index)]
    assert ((kept["TradedLocal"] == "Traded").to_numpy() == table.loc[kept["NAICS"], "traded"].to_numpy()).all()
    assert (kept["Cluster"].str.strip().to_numpy() == table.loc[kept["NAICS"], "cluster_name"].to_numpy()).all()
    dropped = workbook[~workbook["NAICS"].isin(table.index)]
    assert sorted(dropped["Cluster"].fillna("(none)").unique()) == [
        "(none)",
        "Federal Government Services",
        "Local Government Services",
        "State Government Services",
    ]
    clusters = table.groupby("cluster_code").agg(traded=("traded", "first"), n=("traded", "nunique"))
    assert (clusters["n"] == 1).all(), "a cluster is traded or local, never both"
    assert clusters.index[clusters["traded"]].tolist() == list(range(1, 52))
    assert clusters.index[~clusters["traded"]].tolist() == list(range(101, 117))
    assert int(table["traded"].sum()) == 680 and int((~table["traded"]).sum()) == 306


def test_2012_cluster_codes_are_the_published_ones(shared_data: Path) -> None:
    published = pd.read_csv(shared_data / "us_cluster_mapping" / "aousabdo_all_states_clusters.csv", dtype=str)
    codes = published[["cluster_code_t", "cluster_name_t"]].drop_duplicates()
    table = benchmark_clusters("2012")[["cluster_code", "cluster_name"]].drop_duplicates()
    assert len(table) == 67
    merged = table.merge(codes, left_on="cluster_name", right_on="cluster_name_t", validate="one_to_one")
    assert (merged["cluster_code"] == merged["cluster_code_t"].astype(int)).all()


def test_subclusters_lose_the_workbook_disambiguation() -> None:
    table = benchmark_clusters("2012")
    assert table["subcluster"].notna().all()
    assert not table["subcluster"].str.contains(r"\((?:CES|LU|MT|UMM|DMP)\)").any()
    row = table.set_index("naics").loc["517410"]
    assert (row["cluster_name"], row["subcluster"]) == (
        "Communications Equipment and Services",
        "Communications Services",
    )


@pytest.mark.parametrize(
    ("code", "vintage", "cluster", "name", "traded"),
    [
        ("336411", "2012", 1, "Aerospace Vehicles and Defense", True),
        ("325412", "2012", 5, "Biopharmaceuticals", True),
        ("541715", "2012", 13, "Education and Knowledge Creation", True),  # NAICS 2017, an Emsi addition
        ("722511", "2012", 111, "Local Hospitality Establishments", False),
        ("336411", "2007", 2, "Aerospace Vehicles and Defense", True),
        ("722110", "2007", 111, "Local Hospitality Establishments", False),
        ("212221", "2007", 1007, "Metal Mining", False),  # natural-resource cluster
    ],
)
def test_naics_to_cluster_hand_checked(code: str, vintage: str, cluster: int, name: str, traded: bool) -> None:
    row = naics_to_cluster(pd.Series([code]), vintage).to_frame().iloc[0]
    assert (row["cluster_code"], row["cluster_name"], bool(row["traded"])) == (cluster, name, traded)


def test_naics_to_cluster_counts_missing_and_unmapped_codes() -> None:
    codes = pd.Series(["336411", None, "111110", "5417", "336411", "", 541715.0], index=list("abcdefg"))
    match = naics_to_cluster(codes)
    assert match.cluster_code.index.tolist() == list("abcdefg")
    assert match.cluster_code.tolist() == [1, pd.NA, pd.NA, pd.NA, 1, pd.NA, 13]
    assert (match.n_codes, match.n_missing, match.n_unmapped) == (5, 2, 2)
    assert match.unmapped.to_dict() == {"111110": 1, "5417": 1}  # farming is outside the definitions
    assert match.share_mapped == pytest.approx(3 / 5)
    frame = match.to_frame()
    assert frame.index.tolist() == list("abcdefg")
    assert frame["traded"].tolist() == [True, pd.NA, pd.NA, pd.NA, True, pd.NA, True]
    assert frame.loc["a", "subcluster"] == "Aircraft"


def test_naics_to_cluster_on_nothing() -> None:
    match = naics_to_cluster(pd.Series([None, None], dtype="string"))
    assert (match.n_codes, match.n_missing, match.n_unmapped) == (0, 2, 0)
    assert match.cluster_code.isna().all()
    assert match.share_mapped != match.share_mapped  # NaN


def test_georgia_ppp_cluster_coverage(shared_data: Path) -> None:
    ppp = pd.read_csv(shared_data / "ppp_georgia" / "ppp_georgia_dedup.csv.gz", dtype=str, usecols=["NAICS"])
    match = naics_to_cluster(ppp["NAICS"], "2012")
    assert (match.n_codes, match.n_unmapped) == (79_760, 4_001)  # 95.0 % of establishments in a cluster
    assert match.unmapped.index[:2].tolist() == ["999990", "0"]
    older = naics_to_cluster(ppp["NAICS"], "2007")
    assert older.n_unmapped == 9_434  # NAICS 2017 codes such as 722511 did not exist in 2007


def test_unknown_vintage() -> None:
    assert CLUSTER_VINTAGES == ("2012", "2007")
    with pytest.raises(OptionError, match="allowed: 2012, 2007"):
        benchmark_clusters("2017")
    with pytest.raises(OptionError, match="'2022'"):
        naics_to_cluster(pd.Series(["336411"]), vintage="2022")
