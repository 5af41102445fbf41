"""One site, one candidate: a young cluster ringed round a block of old firms at one address comes from the scan as
several circles (they may share no location); touching circles of one activity at one rate are one piece, and a
circle not significant alone extends it when the two together are the stronger cluster."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusterwatch.candidates import find_candidates
from clusterwatch.candidates.merge import one_site, site_extensions

from ._registers import town_register

FAST = dict(permutations=999, kd_permutations=19, use_text=False)
RING_CODES = ["518210", "512110", "523920", "611430", "621111", "488190"]  # 3 each, sectors the towns lack


def ringed_site(seed: int) -> tuple[pd.DataFrame, set[str]]:
    """30 old firms at one address and 18 young firms of six codes round it, 12 east and 6 west, 0.12-0.25 km."""
    rng = np.random.default_rng(seed)
    lat0, lon0 = 47.0, -121.9
    block = pd.DataFrame({
        "firm_id": [f"m{i}" for i in range(30)], "name": "Old block", "lat": lat0, "lon": lon0,
        "code": rng.choice(["445110", "722511", "811111"], 30), "code_system": "naics",
        "founded": pd.to_datetime(rng.choice(np.arange(1985, 2010), 30).astype(str) + "-06-01"), "employees": 5.0})
    east, west = 12, 6
    angle = np.r_[np.linspace(-50, 50, east), np.linspace(150, 210, west)] * np.pi / 180
    km = np.r_[np.linspace(0.12, 0.25, east), np.linspace(0.12, 0.25, west)]
    n = east + west
    ring = pd.DataFrame({
        "firm_id": [f"p{i}" for i in range(n)], "name": "New firm",
        "lat": lat0 + km * np.sin(angle) / 111.32,
        "lon": lon0 + km * np.cos(angle) / (111.32 * np.cos(np.radians(lat0))),
        "code": [RING_CODES[i % len(RING_CODES)] for i in range(n)], "code_system": "naics",
        "founded": pd.to_datetime(rng.choice(np.arange(2015, 2020), n).astype(str) + "-03-01"), "employees": 3.0})
    return pd.concat([town_register(seed, clustered=True), block, ring], ignore_index=True), set(ring["firm_id"])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_young_cluster_ringed_round_an_old_block_is_one_candidate(seed: int) -> None:
    firms, ring = ringed_site(seed)
    found = find_candidates(firms, as_of="2019-12-31", rng=seed, **FAST)  # type: ignore[arg-type]
    tested = found.tested[found.tested["activity_id"] == "entries:young"]
    near = tested[(tested["lat"] - 47.0).abs().lt(0.004) & (tested["lon"] + 121.9).abs().lt(0.006)]
    assert len(near) >= 2  # the scan's circles share no location: the block's address splits the ring
    assert near["cases"].max() < 16  # no circle alone holds the cluster: the candidate is their union
    per = found.candidate_firms.assign(new=found.candidate_firms["firm_id"].isin(ring)).groupby(
        "candidate_id")["new"].agg(["sum", "size"])
    holding = per[per["sum"] > 0]
    assert len(holding) == 1
    assert holding["sum"].iloc[0] >= 16 and holding["sum"].iloc[0] == holding["size"].iloc[0]
    pieces = found.pieces[found.pieces["candidate_id"] == holding.index[0]]
    assert (pieces["role"] == "extension").sum() >= 1  # the second circle, named as what completes the site
    young = pieces[pieces["activity_id"] == "entries:young"]
    assert young["n_firms"].sum() == holding["sum"].iloc[0]  # each row counts its own circle, none twice
    assert set(near["outcome"]) <= {"piece", "extension"}


def test_one_site_and_extensions_by_hand() -> None:
    # touching site circles of one rate are one cluster; different rates, too wide, or apart are not
    assert bool(one_site(0.4, 0.2, 0.2, 9, 9, 7, 11))
    assert not bool(one_site(0.4, 0.2, 0.2, 9, 9, 2, 40))       # a district of another rate
    assert not bool(one_site(0.4, 0.2, 1.5, 9, 9, 7, 11))       # a wide circle is no site
    assert not bool(one_site(2.0, 0.2, 0.2, 9, 9, 7, 11))       # a gap wider than the smaller radius
    # a circle extends a zone only where the union is the stronger cluster
    case = np.zeros(1000, dtype=bool)
    case[:100] = True
    zone = np.arange(0, 10)                                     # 10 of 10
    weak = np.r_[np.arange(10, 12), np.arange(200, 208)]         # 2 of 10: rate of the rest, union weaker
    strong = np.r_[np.arange(12, 18), np.arange(300, 302)]       # 6 of 8
    here = (47.0, -121.9, 0.2)
    beside = (47.0, -121.9 + 0.35 / (111.32 * np.cos(np.radians(47.0))), 0.15)
    assert site_extensions(here, zone, [beside], [strong], case) == [0]
    assert site_extensions(here, zone, [beside], [weak], case) == []
    assert site_extensions((47.0, -121.9, 1.5), zone, [beside], [strong], case) == []  # not a site
