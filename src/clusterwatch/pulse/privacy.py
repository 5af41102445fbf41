"""Privacy by default: k-suppression of rated scores, and the record of what was suppressed and why.

Rules every pulse output follows:

- members are named by pseudonymous ids (``member_id``); names stay in the workspace;
- a member's trust or value score is shown only when at least ``k`` (default 3) other members rated it;
- no dyad-level trust or value (who rated whom how) leaves the library: only scores aggregated over ``k`` or more
  raters, and network-wide figures;
- a member's withdrawal removes their answers and every answer about them (:func:`clusterwatch.pulse.withdraw`);
- every suppressed cell is listed, with its reason, in a ``suppressed`` table.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd

from clusterwatch.errors import OptionError
from clusterwatch.pulse.model import PulseData

#: Fewest raters behind a shown score.
K_DEFAULT = 3

SUPPRESSED_COLUMNS: tuple[str, ...] = ("table", "subject", "measure", "raters", "reason")


def check_k(k: int) -> int:
    """Validate the suppression threshold (an int ≥ 1; below 3 only on purpose).

    Raises
    ------
    OptionError
        For anything but a positive int.
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise OptionError(f"k must be a positive int (default {K_DEFAULT}), got {k!r}")
    return int(k)


def suppress(frame: pd.DataFrame, measures: dict[str, str], k: int, *, table: str,
             subject: str = "member_id") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Blank every score rated by fewer than ``k`` raters, and list what was blanked.

    Parameters
    ----------
    frame
        One row per subject, with the scores and their rater counts.
    measures
        Score column → the column that counts its raters.
    k
        Fewest raters behind a shown score.
    table, subject
        Names used in the suppression record (the output table, and the column naming the subject).

    Returns
    -------
    shown, suppressed
        A copy of ``frame`` with the blanked scores set to NaN and a ``<score>_suppressed`` flag per score, and
        the suppression record (``table``, ``subject``, ``measure``, ``raters``, ``reason``).

    Examples
    --------
    >>> scores = pd.DataFrame({"member_id": ["M1", "M2"], "trust": [3.5, 2.0], "trust_raters": [4, 2]})
    >>> shown, record = suppress(scores, {"trust": "trust_raters"}, 3, table="members")
    >>> shown["trust"].tolist(), record["reason"].tolist()
    ([3.5, nan], ['rated by 2 members, fewer than k = 3'])
    """
    k = check_k(k)
    shown = frame.copy()
    records = []
    for score, count in measures.items():
        raters = shown[count].fillna(0).astype(int)
        hide = (raters < k) & (raters > 0)
        unrated = raters == 0
        shown[f"{score}_suppressed"] = hide.to_numpy()
        shown.loc[hide | unrated, score] = np.nan
        for sub, n in zip(shown.loc[hide, subject], raters[hide], strict=True):
            records.append((table, str(sub), score, int(n), f"rated by {int(n)} member{'s' if n != 1 else ''}, "
                            f"fewer than k = {k}"))
    return shown, pd.DataFrame(records, columns=list(SUPPRESSED_COLUMNS))


def withdraw(data: PulseData, member_id: str) -> PulseData:
    """Remove a member who withdrew: their answers, every answer about them, and them from the member list.

    Raises
    ------
    OptionError
        When ``member_id`` is not a member.

    Examples
    --------
    >>> m = pd.DataFrame({"member_id": ["M1", "M2"], "kind": ["firm", "firm"]})
    >>> a = pd.DataFrame({"wave": ["w"] * 2, "respondent": ["M1", "M2"], "alter": ["M2", "M1"],
    ...                   "item": ["works_with"] * 2, "value": [1, 1]})
    >>> from clusterwatch.pulse.read import read_pulse
    >>> gone = withdraw(read_pulse(m, pd.DataFrame({"wave": ["w"]}), a), "M2")
    >>> gone.members["member_id"].tolist(), len(gone.answers), gone.withdrawn
    (['M1'], 0, ('M2',))
    """
    member_id = str(member_id)
    if member_id not in set(data.members["member_id"]):
        raise OptionError(f"{member_id!r} is not a member")
    return purge(data, member_id)


def purge(data: PulseData, member_id: str) -> PulseData:
    """Remove every trace of ``member_id`` (a member or not): member row, answers by and about them, rejected rows
    quoting them; the id is added to ``withdrawn`` once. Used by :func:`withdraw`, and by the workspace so that a
    withdrawn member re-imported later stays out."""
    member_id = str(member_id)
    answers = data.answers[(data.answers["respondent"] != member_id) & (data.answers["alter"] != member_id)]
    members = data.members[data.members["member_id"] != member_id]
    # rejected rows may quote the member's answers: drop those that mention the id
    rejected = data.rejected[~data.rejected["raw"].astype(str).str.contains(json.dumps(member_id), regex=False)]
    withdrawn = data.withdrawn if member_id in data.withdrawn else (*data.withdrawn, member_id)
    return replace(data, members=members.reset_index(drop=True), answers=answers.reset_index(drop=True),
                   rejected=rejected.reset_index(drop=True), withdrawn=withdrawn)
