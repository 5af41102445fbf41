"""Proximity, relatedness density and entry/exit against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusterwatch.analysis.regional import (
    RegionalTable,
    density,
    entry_exit,
    proximity,
    regional_table,
    relatedness,
)
from clusterwatch.errors import OptionError


def _presence() -> pd.DataFrame:
    # five regions; x in 4, y in 2 (both with x), z in 2 (one with x), w nowhere
    return pd.DataFrame({"x": [1, 1, 1, 1, 0], "y": [1, 1, 0, 0, 0], "z": [0, 0, 1, 0, 1], "w": [0, 0, 0, 0, 0]},
                        index=list("ABCDE")).astype(bool)


def test_proximity_by_hand() -> None:
    phi = proximity(_presence())
    # phi(x, y) = C / max(n_x, n_y) = 2 / 4; phi(x, z) = 1 / 4; phi(y, z) = 0
    assert phi.loc["x", "y"] == pytest.approx(0.5) and phi.loc["y", "x"] == pytest.approx(0.5)
    assert phi.loc["x", "z"] == pytest.approx(0.25) and phi.loc["y", "z"] == 0
    assert phi.loc["w"].sum() == 0  # present nowhere: related to nothing
    assert np.diag(phi)[:3].tolist() == [1.0, 1.0, 1.0]
    assert np.allclose(phi, phi.T) and ((phi >= 0) & (phi <= 1)).all().all()


def test_density_by_hand() -> None:
    presence = _presence()
    dense = density(presence, proximity(presence))
    # region C has x and z. For y: (x: 0.5 + z: 0) / (0.5 + 0 + 0) = 1.0; for x: (z: .25) / (y .5 + z .25) = 1/3
    assert dense.loc["C", "y"] == pytest.approx(1.0)
    assert dense.loc["C", "x"] == pytest.approx(0.25 / 0.75)
    # region E has only z: for x, (z: .25) / .75
    assert dense.loc["E", "x"] == pytest.approx(1 / 3)
    assert dense["w"].isna().all()  # an industry related to none has no density
    values = dense.to_numpy()
    assert np.nanmin(values) >= 0 and np.nanmax(values) <= 1


def test_proximity_refuses_other_values() -> None:
    with pytest.raises(OptionError, match="booleans or 0/1"):
        proximity(pd.DataFrame({"x": [0, 2]}))


def test_relatedness_uses_quotients_at_least_one() -> None:
    frame = pd.DataFrame({"region": ["A", "A", "B", "B", "C"], "industry": ["x", "y", "x", "y", "z"],
                          "employment": [30, 10, 10, 30, 40], "establishments": 1})
    result = relatedness(regional_table(frame))
    # LQ(A, x) = (30/40) / (40/120) = 2.25, LQ(A, y) = 0.75: x is present in A, y is not
    assert result.presence.loc["A"].tolist() == [True, False, False]
    assert result.presence.loc["B"].tolist() == [False, True, False]
    assert result.proximity.loc["x", "y"] == 0.0  # never strong together
    loose = relatedness(regional_table(frame), basis="presence")
    assert loose.proximity.loc["x", "y"] == 1.0  # always present together
    long = result.to_frame()
    assert set(long.columns) == {"region", "industry", "present", "density"} and len(long) == 9
    with pytest.raises(OptionError, match="threshold"):
        relatedness(regional_table(frame), threshold=0)
    with pytest.raises(OptionError, match="unknown basis"):
        relatedness(regional_table(frame), basis="rca")


def _table(rows: list[tuple[str, str, int]], when: str) -> RegionalTable:
    frame = pd.DataFrame(rows, columns=["region", "industry", "employment"])
    return regional_table(frame, establishments=None, as_of=when)


def test_entry_and_exit_by_hand() -> None:
    before = _table([("A", "x", 10), ("A", "y", 10), ("B", "x", 10), ("C", "z", 10)], "2015-01-01")
    after = _table([("A", "x", 10), ("B", "x", 10), ("B", "y", 10), ("C", "z", 5), ("C", "x", 5)], "2020-01-01")
    moves = entry_exit(before, after, basis="presence")
    status = moves.cells.set_index(["region", "industry"])["status"]
    assert status[("B", "y")] == "entry" and status[("A", "y")] == "exit" and status[("C", "x")] == "entry"
    assert status[("A", "x")] == "stayed" and status[("A", "z")] == "absent"
    regions = moves.regions.set_index("region")
    assert regions.loc["B", "entries"] == 1 and regions.loc["A", "exits"] == 1
    assert moves.before.as_of == "2015-01-01" and moves.after.as_of == "2020-01-01"
    # y was related to x (together in A): B, which had x, had density 1 for y before it entered
    dense = moves.cells.set_index(["region", "industry"])["density_before"]
    assert dense[("B", "y")] == pytest.approx(1.0)
    summary = moves.summary.set_index("status")
    assert summary["cells"].sum() == len(moves.cells) == 9


def test_entry_exit_needs_the_same_kind_of_tables() -> None:
    one = regional_table(pd.DataFrame({"county": ["A"], "industry": ["x"], "employment": [1]}), region="county",
                         establishments=None)
    two = regional_table(pd.DataFrame({"zip": ["A"], "industry": ["x"], "employment": [1]}), region="zip",
                         establishments=None)
    with pytest.raises(OptionError, match="differ in region"):
        entry_exit(one, two)
