"""The pulse data model: a cluster's members, its survey waves, the instrument and the validated answers.

Reading and validating (every unusable row a rejected-row record) is :mod:`clusterwatch.pulse.read`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TypeAlias

import numpy as np
import pandas as pd

from clusterwatch.errors import OptionError

#: Member kinds: the triple helix (firm, university, research, public) and other.
KINDS: tuple[str, ...] = ("firm", "university", "research", "public", "other")


@dataclass(frozen=True)
class Item:
    """One question of the instrument.

    Attributes
    ----------
    name
        The item's fixed name (``trust_reliable`` …).
    scale
        ``relation``, ``trust``, ``value``, ``cluster`` or ``text``.
    low, high
        The answer scale (None for free text).
    about_alter
        Whether the answer is about another member (an alter) or about the cluster itself.
    """

    name: str
    scale: str
    low: float | None
    high: float | None
    about_alter: bool


#: The instrument (names fixed by the pulse data contract).
ITEMS: dict[str, Item] = {i.name: i for i in (
    Item("works_with", "relation", 0, 1, True),
    Item("frequency", "relation", 0, 4, True),
    Item("flow_information", "relation", 0, 1, True),
    Item("flow_resources", "relation", 0, 1, True),
    Item("flow_projects", "relation", 0, 1, True),
    Item("trust_reliable", "trust", 1, 4, True),
    Item("trust_mission", "trust", 1, 4, True),
    Item("trust_open", "trust", 1, 4, True),
    Item("value_power", "value", 1, 4, True),
    Item("value_involvement", "value", 1, 4, True),
    Item("value_resources", "value", 1, 4, True),
    Item("satisfaction", "cluster", 1, 5, False),
    Item("outcome_progress", "cluster", 1, 5, False),
    Item("comment", "text", None, None, False),
)}
#: PARTNER trust: reliability, support of the mission, openness to discussion (Varda et al.).
TRUST_ITEMS: tuple[str, ...] = ("trust_reliable", "trust_mission", "trust_open")
#: PARTNER value: power/influence, level of involvement, resource contribution.
VALUE_ITEMS: tuple[str, ...] = ("value_power", "value_involvement", "value_resources")
RELATION_ITEMS: tuple[str, ...] = ("works_with", "frequency", "flow_information", "flow_resources", "flow_projects")

MEMBER_COLUMNS: tuple[str, ...] = ("member_id", "name", "kind", "size", "sector", "joined", "left")
WAVE_COLUMNS: tuple[str, ...] = ("wave", "opens", "closes", "order")
ANSWER_COLUMNS: tuple[str, ...] = ("wave", "respondent", "alter", "item", "value", "scale_min", "scale_max")
REJECTED_COLUMNS: tuple[str, ...] = ("file", "line", "column", "reason", "raw")

Table: TypeAlias = "pd.DataFrame | str | os.PathLike[str]"


@dataclass(frozen=True)
class PulseData:
    """A cluster's members, waves and validated answers (from :func:`read_pulse`).

    Attributes
    ----------
    members
        One row per member: ``member_id`` (a pseudonym), ``name``, ``kind`` (one of :data:`KINDS`), ``size``,
        ``sector``, ``joined``, ``left``.
    waves
        One row per wave, in ``order``: ``wave``, ``opens``, ``closes``, ``order``.
    answers
        Accepted answers: ``wave``, ``respondent``, ``alter`` (missing for cluster items), ``item``, ``value``
        (float; NaN for comments), ``text`` (comments only).
    rejected
        One row per unusable input row: ``file``, ``line`` (1-based line in the file, header = 1), ``column``,
        ``reason``, ``raw`` (the row as JSON).
    withdrawn
        Members who withdrew: their answers and the answers about them are gone (ids only, for the record).
    """

    members: pd.DataFrame
    waves: pd.DataFrame
    answers: pd.DataFrame = field(repr=False)
    rejected: pd.DataFrame = field(repr=False)
    withdrawn: tuple[str, ...] = ()

    @property
    def wave_ids(self) -> list[str]:
        """Wave ids in survey order."""
        return self.waves["wave"].astype(str).tolist()

    def members_at(self, wave: str) -> pd.DataFrame:
        """Members of the cluster during ``wave`` (joined on or before it closes, not left before it opens)."""
        row = self._wave_row(wave)
        keep = np.ones(len(self.members), dtype=bool)
        if pd.notna(row["closes"]):
            keep &= ~(self.members["joined"] > row["closes"]).fillna(False).to_numpy()
        if pd.notna(row["opens"]):
            keep &= ~(self.members["left"] < row["opens"]).fillna(False).to_numpy()
        return self.members[keep].reset_index(drop=True)

    def answers_in(self, wave: str) -> pd.DataFrame:
        """Accepted answers of ``wave``."""
        self._wave_row(wave)
        return self.answers[self.answers["wave"] == wave].reset_index(drop=True)

    def _wave_row(self, wave: str) -> pd.Series:
        hit = self.waves[self.waves["wave"] == str(wave)]
        if hit.empty:
            raise OptionError(f"wave {wave!r} is not among the waves ({', '.join(self.wave_ids) or 'none'})")
        return hit.iloc[0]

    def to_frame(self) -> pd.DataFrame:
        """Answers and rejected-row counts per wave: ``wave``, ``respondents``, ``answers``, ``members``."""
        rows = []
        for w in self.wave_ids:
            a = self.answers_in(w)
            rows.append({"wave": w, "members": len(self.members_at(w)),
                         "respondents": int(a["respondent"].nunique()), "answers": len(a)})
        return pd.DataFrame(rows, columns=["wave", "members", "respondents", "answers"])
