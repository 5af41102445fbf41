"""Young-firms candidates: their members are the young firms doing shared work in the circle (codes that recur there,
at least twice what the register's young firms elsewhere give), the circle's other young firms are context."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from clusterwatch.candidates import find_candidates
from clusterwatch.candidates.activities import code_keys, shared_code_members
from clusterwatch.report.gis import write_candidate_outputs

from ._registers import COMMON, town_register

FAST = dict(permutations=999, kd_permutations=19, use_text=False)



def test_shared_code_members_by_hand() -> None:
    # circle: 3 young firms of A (1 of the 200 young firms elsewhere), 2 of B (60 of 200), 2 of F (4 of 200),
    # 1 of C, 1 without a code; elsewhere 1 A, 60 B, 4 F, 135 D. n = 8 coded young firms in the circle, so the
    # expected counts are A 8/200 = 0.04, B 8 x 0.3 = 2.4, F 8 x 0.02 = 0.16: A (LQ 75) and F (12.5) recur, B (0.8)
    # does not, C has one firm
    keys = pd.Series(["A"] * 3 + ["B"] * 2 + ["F"] * 2 + ["C", None] + ["A"] + ["B"] * 60 + ["F"] * 4 + ["D"] * 135,
                     dtype="string")
    pool = np.ones(len(keys), dtype=bool)
    assert shared_code_members(np.arange(9), keys, pool).tolist() == [0, 1, 2, 5, 6]
    # the ratio decides: at LQ >= 13 F goes, A (75) stays; two firms are needed, at three F goes
    assert shared_code_members(np.arange(9), keys, pool, min_ratio=13.0).tolist() == [0, 1, 2]
    assert shared_code_members(np.arange(9), keys, pool, min_count=3).tolist() == [0, 1, 2]
    # the pool decides what "elsewhere" is: with only D firms elsewhere, B (no B elsewhere) recurs too
    only_d = np.zeros(len(keys), dtype=bool)
    only_d[:9] = True
    only_d[-135:] = True
    assert shared_code_members(np.arange(9), keys, only_d).tolist() == [0, 1, 2, 3, 4, 5, 6]
    # NAICS keys at 4 digits: 488190 and 488111 share 4881
    firms = pd.DataFrame({"code": ["488190", "488111", "541370"], "code_system": "naics"})
    assert code_keys(firms).tolist() == ["naics:4881", "naics:4881", "naics:5413"]


def _site(prefix: str, codes: list[str], rng: np.random.Generator) -> pd.DataFrame:
    n = len(codes)
    return pd.DataFrame({
        "firm_id": [f"{prefix}{i}" for i in range(n)], "name": [f"{prefix} {i}" for i in range(n)],
        "lat": 47.05 + rng.normal(0, 0.002, n), "lon": -121.95 + rng.normal(0, 0.003, n),
        "code": codes, "code_system": "naics",
        "founded": pd.to_datetime(rng.choice(np.arange(2016, 2020), n).astype(str) + "-03-01"),
        "employees": rng.integers(2, 20, n).astype(float)})


def _old_district() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A register with one old district holding 16 young firms of a four-code technology and 20 other young firms
    of common codes: (firms, the technology's firms, the other young firms)."""
    rng = np.random.default_rng(5)
    tech = _site("p", [c for c in ("541715", "334511", "541512", "488190") for _ in range(4)], rng)
    noise = _site("y", [COMMON[i % len(COMMON)] for i in range(20)], rng)
    old = _site("o", [COMMON[i % len(COMMON)] for i in range(60)], rng)
    old["founded"] = pd.to_datetime(rng.integers(1980, 2010, len(old)).astype(str) + "-06-01")
    return pd.concat([town_register(5), tech, noise, old], ignore_index=True), tech, noise


def test_young_candidate_holds_the_young_firms_of_recurring_codes() -> None:
    # one site: a new technology of 4 codes x 4 young firms (no code with min_firms there; the codes occur nowhere
    # else) and 20 other young firms of the register's common codes (2-3 per code, as the register's young firms
    # give anywhere): the candidate is the 16, the 20 are its context. Every young firm in the circle as members
    # (the rule before) would give precision 16/36 < 0.5.
    # The site is an old district (60 old firms): chance could account for many of its young firms.
    firms, tech, noise = _old_district()
    found = find_candidates(firms, as_of="2019-12-31", rng=1, **FAST)  # type: ignore[arg-type]
    members = found.candidate_firms.groupby("candidate_id")["firm_id"].agg(set)
    planted, others = set(tech["firm_id"]), set(noise["firm_id"])
    best, held = max(members.items(), key=lambda kv: len(kv[1] & planted))
    assert held <= planted and len(held) >= 14  # the scan's circle may cut a planted firm or two, never adds noise
    row = found.candidates.set_index("candidate_id").loc[best]
    assert row["activity_source"] == "entries" and row["n_firms"] == len(held)
    # the evidence is the members': all dated, all young
    assert row["n_dated"] == len(held) and row["n_recent"] == len(held)
    assert row["label"].startswith("Young firms: ")
    # the other young firms of the circle are reported with the candidate, as context
    context = found.context_firms
    mine = set(context.loc[context["candidate_id"] == best, "firm_id"])
    assert mine and mine <= others | set(firms["firm_id"]) - planted
    assert len(mine & others) >= 15  # those inside the young-firms circle (the scan's circle may cut a few)
    assert not mine & held
    assert any("context, not members" in note for note in found.notes)


def test_young_firms_of_a_new_place_are_members_without_shared_codes() -> None:
    # 12 young firms at one site with no older firms, each of its own sector: chance (the register's 12.5 % young
    # share of the circle's firms) accounts for under a quarter of them, so the circle is a new place and its
    # young firms are the candidate whatever their codes (the filter applies only where chance could matter)
    rng = np.random.default_rng(6)
    codes = ["111110", "212111", "221111", "423110", "484110", "511110", "522110", "531110", "561110", "611110",
             "621111", "711110"]
    site = _site("u", codes, rng)
    firms = pd.concat([town_register(6), site], ignore_index=True)
    found = find_candidates(firms, as_of="2019-12-31", rng=1, **FAST)  # type: ignore[arg-type]
    young = found.tested[(found.tested["activity_id"] == "entries:young") & (found.tested["outcome"] == "piece")]
    assert len(young) and (young["expected"] <= 0.25 * young["cases"]).iloc[0]
    held = found.candidate_firms.groupby("candidate_id")["firm_id"].agg(set)
    assert any(len(m & set(site["firm_id"])) >= 10 for m in held)
    assert not (found.tested["outcome"] == "no shared code").any()


def test_context_firms_reach_the_outputs(tmp_path: Path) -> None:
    # the young firms a young-firms candidate shows but does not hold are written, named, with their reason
    firms, tech, noise = _old_district()
    found = find_candidates(firms, as_of="2019-12-31", rng=1, **FAST)  # type: ignore[arg-type]
    written = write_candidate_outputs(found, firms, tmp_path)
    table = pd.read_csv(written["candidate_context_firms.csv"], dtype=str)
    assert len(table) == len(found.context_firms)
    assert set(table["firm_id"]) == set(found.context_firms["firm_id"].astype(str))
    assert {"candidate_id", "firm_id", "name", "lat", "lon", "reason"} <= set(table.columns)
    names = firms.set_index("firm_id")["name"]
    assert (table["name"] == table["firm_id"].map(names)).all()
    assert table["reason"].notna().all()
