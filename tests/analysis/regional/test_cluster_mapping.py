"""US Cluster Mapping flags: the rules by hand, and the published 2016 state table reproduced."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clusterwatch.analysis.regional import FLAGS, cluster_mapping_flags, location_quotients, regional_table
from clusterwatch.errors import OptionError

#: Published LQs are stored with 8 significant digits.
PUBLISHED_PRECISION = 1e-6


def _hand_table(reference_x: float = 100.0) -> pd.DataFrame:
    """Six regions whose traded employment is 1,000 each, so that LQ(x) = employment(x) / reference_x."""
    x = [0, 50, 80, 120, 150, 200]
    establishments = [0, 2, 1, 3, 4, 5]
    regions = [f"R{i}" for i in range(1, 7)]
    rows = pd.concat([
        pd.DataFrame({"region": regions, "industry": "x", "employment": x, "establishments": establishments,
                      "traded": True}),
        pd.DataFrame({"region": regions, "industry": "pad", "employment": [1000 - v for v in x],
                      "establishments": 10, "traded": True}),
        pd.DataFrame({"region": regions, "industry": "local", "employment": 10, "establishments": 1,
                      "traded": False}),
    ])
    reference = pd.DataFrame({"industry": ["x", "pad", "local"],
                              "employment": [reference_x, 1000 - reference_x, 10]})
    table = regional_table(rows, traded="traded", reference=reference)
    flags = cluster_mapping_flags(table)
    return flags.cells.set_index(["region", "industry"]), flags.thresholds.set_index("industry")


def test_rules_by_hand() -> None:
    cells, thresholds = _hand_table()
    x = cells.xs("x", level="industry")
    assert x["lq"].tolist() == pytest.approx([0.0, 0.5, 0.8, 1.2, 1.5, 2.0])
    # quantiles over the five regions with employment: emp [50, 80, 120, 150, 200], est [1, 2, 3, 4, 5]
    row = thresholds.loc["x"]
    assert row["regions"] == 5 and row["size_q25"] == 80 and row["establishments_q25"] == 2
    assert [row["lq_q25"], row["lq_q50"], row["lq_q75"], row["lq_q90"]] == pytest.approx([0.8, 1.2, 1.5, 1.8])
    # R4..R6 pass the size rules (emp > 80 and establishments > 2); R2 and R3 do not; R1 has nothing
    assert x["qualifying"].tolist() == [False, False, False, True, True, True]
    assert x["significant"].tolist() == [False, False, False, False, True, True]  # LQ > median, strictly
    assert x["strong"].tolist() == [False, False, False, False, True, True]  # LQ >= Q75: R5 on the boundary
    assert x["strong10"].tolist() == [False, False, False, False, False, True]


def test_strong_needs_a_quotient_of_at_least_one() -> None:
    cells, _ = _hand_table(reference_x=1000.0)  # every LQ is now below 1; the quantile rules still hold
    x = cells.xs("x", level="industry")
    assert x["lq"].max() == pytest.approx(0.2)
    assert x["qualifying"].tolist() == [False, False, False, True, True, True]
    assert not x["strong"].any() and not x["strong10"].any()


def test_local_clusters_are_not_flagged() -> None:
    cells, thresholds = _hand_table()
    local = cells.xs("local", level="industry")
    for flag in FLAGS:
        assert local[flag].isna().all()
    assert "local" not in thresholds.index


def test_untyped_industries_are_all_flagged_and_traded_is_refused() -> None:
    frame = pd.DataFrame({"region": list("ABCD"), "industry": "x", "employment": [1, 2, 3, 4],
                          "establishments": [1, 2, 3, 4]})
    table = regional_table(pd.concat([frame, frame.assign(industry="y", employment=[4, 3, 2, 1])]))
    flags = cluster_mapping_flags(table)
    assert flags.industries == "all" and flags.lq_variant == "plain" and flags.cells["strong"].notna().all()
    with pytest.raises(OptionError, match="industries='traded' needs"):
        cluster_mapping_flags(table, industries="traded")
    with pytest.raises(OptionError, match="unknown measure 'jobs'"):
        cluster_mapping_flags(table, measure="jobs")


# ------------------------------------------------------------------ the published table


@pytest.fixture(scope="module")
def published(shared_data: Path) -> pd.DataFrame:
    path = shared_data / "us_cluster_mapping" / "aousabdo_all_states_clusters.csv"
    frame = pd.read_csv(path, dtype={"region_code_t": str})
    for flag in FLAGS:
        frame[f"{flag}_b"] = frame[f"{flag}_b"].map({True: True, False: False, "TRUE": True, "FALSE": False})
    return frame


def _recompute(published: pd.DataFrame, reference: pd.DataFrame | None = None) -> pd.DataFrame:
    table = regional_table(
        published, region="region_name_t", industry="cluster_code_t", employment="emp_tl",
        establishments="est_tl", traded="traded_b", industry_name="cluster_name_t", reference=reference,
        source="US Cluster Mapping, states", as_of="2016",
    )
    keys = ["region", "industry"]
    ours = location_quotients(table).cells.merge(cluster_mapping_flags(table).cells[[*keys, *FLAGS]], on=keys)
    theirs = published.assign(region=published["region_name_t"], industry=published["cluster_code_t"].astype(str))
    merged = theirs.merge(ours, on=keys, validate="one_to_one")
    assert len(merged) == len(published) == 3350  # 50 states x 67 clusters
    return merged


def test_published_flags_from_employment_and_establishments(published: pd.DataFrame) -> None:
    merged = _recompute(published)
    positive = merged[merged["emp_tl"] > 0]
    error = (positive["lq_cm_employment"] / positive["lq_tf"] - 1).abs()
    # the national totals behind the published LQs are not the sum of the 50 states (see the next test)
    assert error.median() < 0.01 and error.max() < 0.08
    traded = merged[merged["traded_b"]]
    mismatches = []
    for flag in FLAGS:
        ours = traded[flag].astype(bool)
        agreement = (ours == traded[f"{flag}_b"]).mean()
        assert agreement >= 0.99, flag
        for _, row in traded[ours != traded[f"{flag}_b"]].iterrows():
            mismatches.append((flag, row["region_name_t"], row["cluster_name_t"]))
    # the one mismatch: North Carolina Automotive, published LQ 1.016, ours 0.982 < 1 with the 50-state total
    assert mismatches == [("strong", "North Carolina", "Automotive")]
    row = traded[(traded["region_name_t"] == "North Carolina") & (traded["cluster_name_t"] == "Automotive")].iloc[0]
    assert row["lq_tf"] > 1 > row["lq_cm_employment"]
    assert merged.loc[~merged["traded_b"], list(FLAGS)].isna().all().all()  # local clusters: NA, as published


def test_published_table_exactly_with_the_national_reference(published: pd.DataFrame) -> None:
    # US employment per cluster, recovered from the published share of it each state holds
    has = published[published["emp_tl"] > 0]
    national = (has["emp_tl"] / has["cluster_emp_per_tf"]).groupby(has["cluster_code_t"]).median()
    reference = pd.DataFrame({"industry": national.index.astype(str), "employment": national.to_numpy()})
    traded_codes = published.loc[published["traded_b"], "cluster_code_t"].unique()
    # the nation's traded employment is not the sum of the 50 states' figures (DC and national suppression)
    assert national[traded_codes].sum() == pytest.approx(45_242_109, rel=1e-6)
    assert published.loc[published["traded_b"], "emp_tl"].sum() == 45_294_429
    merged = _recompute(published, reference)
    positive = merged[merged["emp_tl"] > 0]
    assert np.allclose(positive["lq_cm_employment"], positive["lq_tf"], rtol=PUBLISHED_PRECISION, atol=0)
    traded = merged[merged["traded_b"]]
    for flag in FLAGS:
        assert (traded[flag].astype(bool) == traded[f"{flag}_b"]).all(), flag
