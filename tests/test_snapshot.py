"""One as-of rule: the library's :func:`known_on` on frames and the workspace's SQL see the same firms."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import clusterwatch
from clusterwatch.errors import OptionError
from clusterwatch.io.workspace import Workspace
from clusterwatch.snapshot import known_on


def test_known_on_by_hand() -> None:
    firms = pd.DataFrame({"firm_id": list("abcde"),
                          "founded": ["2010-01-01", "2016-05-01", None, "2015-12-31", "2001-01-01"],
                          "dissolved": [None, None, "2014-01-01", None, "2015-12-31"]})
    # b founded later; c dissolved before; d founded on the day (kept); e dissolved on the day (gone)
    assert known_on(firms, "2015-12-31")["firm_id"].tolist() == ["a", "d"]
    assert known_on(firms, None)["firm_id"].tolist() == list("abcde")
    acts = pd.DataFrame({"firm_id": list("abc"), "date": ["2015-01-01", None, "2016-01-01"]})
    assert known_on(acts, "2015-12-31", kind="events")["firm_id"].tolist() == ["a"]
    assert known_on(acts, "2015-12-31", kind="relations")["firm_id"].tolist() == ["a", "b"]
    with pytest.raises(OptionError, match="kind"):
        known_on(acts, "2015-12-31", kind="awards")
    with pytest.raises(OptionError, match="as_of"):
        known_on(acts, "the end of 2015", kind="events")


@pytest.mark.parametrize("as_of", ["2005-06-30", "2015-12-31", "2022-12-31"])
def test_workspace_and_frames_agree_on_real_licences(shared_data: Path, tmp_path: Path, as_of: str) -> None:
    result = clusterwatch.read_firms(shared_data / "seattle" / "business_licenses_analysis.csv",
                                     format="seattle-licences")
    with Workspace(tmp_path / "w.duckdb") as ws:
        ws.store(result)
        by_sql = set(ws.firms(as_of=as_of)["firm_id"])
        everything = ws.firms()
    by_frame = set(known_on(everything, as_of)["firm_id"])
    assert by_sql == by_frame
    assert 0 < len(by_sql) < len(everything)
