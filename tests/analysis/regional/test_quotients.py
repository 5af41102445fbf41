"""Location quotients against hand-computed values: plain, US Cluster Mapping variant, external reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusterwatch.analysis.regional import location_quotients, regional_table

EXACT = 1e-12


def _table(reference: pd.DataFrame | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({
        "region": ["A", "A", "A", "B", "B", "B", "C", "C"],
        "industry": ["t1", "t2", "l1", "t1", "t2", "l1", "t1", "l1"],
        "employment": [30, 10, 20, 10, 30, 60, 0, 10],
        "establishments": [3, 1, 4, 1, 2, 6, 0, 1],
        "traded": [True, True, False, True, True, False, True, False],
    })
    table = regional_table(frame, traded="traded", reference=reference)
    return location_quotients(table).cells.set_index(["region", "industry"])


def test_plain_quotient_by_hand() -> None:
    lq = _table()["lq_employment"]
    # totals: t1 40, t2 40, l1 90; all 170; A 60, B 100, C 10
    assert lq[("A", "t1")] == pytest.approx((30 / 60) / (40 / 170), abs=EXACT)
    assert lq[("B", "l1")] == pytest.approx((60 / 100) / (90 / 170), abs=EXACT)
    assert lq[("C", "t1")] == 0.0


def test_cluster_mapping_variant_divides_by_traded_and_local_totals() -> None:
    lq = _table()["lq_cm_employment"]
    # traded: A 40, B 40, C 0; all traded 80. local: A 20, B 60, C 10; all local 90.
    assert lq[("A", "t1")] == pytest.approx((30 / 40) / (40 / 80), abs=EXACT)  # 1.5
    assert lq[("B", "t2")] == pytest.approx((30 / 40) / (40 / 80), abs=EXACT)
    assert lq[("A", "l1")] == pytest.approx((20 / 20) / (90 / 90), abs=EXACT)  # 1.0
    assert lq[("C", "l1")] == pytest.approx(1.0, abs=EXACT)
    assert np.isnan(lq[("C", "t1")])  # C has no traded employment: 0/0 is undefined, not 0


def test_quotient_on_establishment_counts() -> None:
    lq = _table()["lq_establishments"]
    # counts: t1 4, t2 3, l1 11; all 18; A 8
    assert lq[("A", "t1")] == pytest.approx((3 / 8) / (4 / 18), abs=EXACT)


def test_external_reference_replaces_the_table_sums() -> None:
    reference = pd.DataFrame({"industry": ["t1", "t2", "l1"], "employment": [100, 300, 600],
                              "establishments": [10, 30, 60]})
    cells = _table(reference)
    assert cells.loc[("A", "t1"), "lq_employment"] == pytest.approx((30 / 60) / (100 / 1000), abs=EXACT)
    assert cells.loc[("A", "t1"), "lq_cm_employment"] == pytest.approx((30 / 40) / (100 / 400), abs=EXACT)
    assert cells.loc[("B", "l1"), "lq_cm_employment"] == pytest.approx(1.0, abs=EXACT)


def test_weighted_mean_of_plain_quotients_is_one() -> None:
    """A property of the plain LQ against the table's own sums: employment-weighted over regions it averages 1."""
    cells = _table().reset_index()
    region_totals = cells.groupby("region")["employment"].sum()
    for _, group in cells.groupby("industry"):  # absent cells count with LQ 0 and their region's weight
        weighted = (group["lq_employment"] * group["region"].map(region_totals)).sum()
        assert weighted / region_totals.sum() == pytest.approx(1.0, abs=EXACT)


def test_untyped_industries_have_no_cluster_mapping_variant() -> None:
    frame = pd.DataFrame({"region": ["A", "B"], "industry": ["x", "x"], "employment": [1, 2]})
    cells = location_quotients(regional_table(frame, establishments=None)).cells
    assert cells["lq_cm_employment"].isna().all() and cells["lq_establishments"].isna().all()
    assert cells["lq_employment"].tolist() == [1.0, 1.0]
