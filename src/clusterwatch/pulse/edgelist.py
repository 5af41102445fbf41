"""Panel edge lists (``wave, source, target, value``) as pulse surveys: the layout of published multi-wave networks.

A facilitator may hold last years' relations as an edge list rather than as survey answers; research panels
(van de Bunt, Newcomb, Glasgow, Knecht, EIES, Kapferer) come this way too. Each (wave, source) row is read as one
respondent's answers about every other actor: ``works_with`` = 1 for a tie, 0 otherwise, and, where a mapping is
given, the three PARTNER trust items set to the trust level the tie value stands for (the three are then equal,
so their α is 1 by construction: a value scale measured once).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from clusterwatch.errors import InputError
from clusterwatch.pulse.model import TRUST_ITEMS, PulseData
from clusterwatch.pulse.read import read_pulse

#: Missing-data codes that mean the whole row is absent at a wave (actor non-response; not a member then).
ROW_MISSING: tuple[int, ...] = (9, 10)


def from_wave_edges(edges: pd.DataFrame, actors: pd.DataFrame | None = None, *,
                    tie: Callable[[np.ndarray], np.ndarray] | None = None,
                    trust: Mapping[int, float] | None = None,
                    missing: pd.DataFrame | None = None,
                    undirected: bool = False,
                    kinds: pd.Series | None = None,
                    prefix: str = "A") -> PulseData:
    """Turn a panel edge list into pulse data: members, waves and long answers.

    Parameters
    ----------
    edges
        ``wave``, ``source``, ``target``, ``value``; unlisted dyads are no tie (value 0).
    actors
        ``id`` of every actor (default: those in the edges).
    tie
        Which values are a tie (vectorised; default: value ≠ 0).
    trust
        Tie value → trust level on the 1–4 scale, for the values that carry one (others give no trust answer).
    missing
        ``wave``, ``source``, ``target``, ``code``: a respondent whose row is mostly coded 9 or 10 did not answer
        that wave; other coded dyads are left unanswered.
    undirected
        Edges listed once per pair: each is read as both members' answer.
    kinds
        Actor id → member kind (default ``other``).
    prefix
        Member ids are ``prefix`` + the actor id, zero-padded to three digits.

    Returns
    -------
    PulseData

    Raises
    ------
    InputError
        When a column is missing.
    """
    for col in ("wave", "source", "target", "value"):
        if col not in edges.columns:
            raise InputError(f"edges need a {col!r} column", column=col)
    ids = np.sort(pd.unique(actors["id"].astype(int)) if actors is not None else
                  pd.unique(np.concatenate([edges["source"], edges["target"]]).astype(int)))
    waves = np.sort(edges["wave"].astype(int).unique())
    name = {i: f"{prefix}{i:03d}" for i in ids}
    kind_of = kinds if kinds is not None else pd.Series("other", index=ids)
    members = pd.DataFrame({"member_id": [name[i] for i in ids],
                            "kind": [str(kind_of.get(i, "other")) for i in ids]})
    wave_frame = pd.DataFrame({"wave": [str(w) for w in waves], "order": np.arange(1, len(waves) + 1)})
    e = edges[["wave", "source", "target", "value"]].astype({"wave": int, "source": int, "target": int})
    if undirected:
        e = pd.concat([e, e.rename(columns={"source": "target", "target": "source"})], ignore_index=True)
    n = len(ids)
    pos = {a: i for i, a in enumerate(ids)}
    parts = []
    for w in waves:
        value = np.zeros((n, n))
        sel = e[e["wave"] == w]
        value[sel["source"].map(pos).to_numpy(), sel["target"].map(pos).to_numpy()] = sel["value"].to_numpy(float)
        answered = ~np.eye(n, dtype=bool)
        responding = np.ones(n, dtype=bool)
        if missing is not None and len(missing):
            mw = missing[missing["wave"].astype(int) == w]
            s = mw["source"].astype(int).map(pos).to_numpy()
            t = mw["target"].astype(int).map(pos).to_numpy()
            answered[s, t] = False
            row_codes = mw["code"].astype(int).isin(ROW_MISSING).to_numpy()
            rows_missing = np.bincount(s[row_codes], minlength=n)
            responding = rows_missing < (n - 1) / 2
        answered &= responding[:, None]
        r, a = np.nonzero(answered)
        v = value[r, a]
        is_tie = (tie(v) if tie is not None else v != 0).astype(int)
        base = pd.DataFrame({"wave": str(w), "respondent": [name[ids[i]] for i in r],
                             "alter": [name[ids[j]] for j in a]})
        parts.append(base.assign(item="works_with", value=is_tie))
        if trust is not None:
            level = pd.Series(v).map(trust)
            has = level.notna().to_numpy()
            for item in TRUST_ITEMS:
                parts.append(base[has].assign(item=item, value=level[has].to_numpy()))
    answers = pd.concat(parts, ignore_index=True)
    return read_pulse(members, wave_frame, answers)


#: van de Bunt ratings → trust level (1 best friend, 2 friend → 4; 3 friendly → 3; 4 neutral → 2; 5 troubled → 1).
VDBUNT_TRUST: dict[int, float] = {1: 4.0, 2: 4.0, 3: 3.0, 4: 2.0, 5: 1.0}
#: Newcomb ranks 1–16 → trust quartiles (ranks 1–4 → 4 … 13–16 → 1).
NEWCOMB_TRUST: dict[int, float] = {r: float(4 - (r - 1) // 4) for r in range(1, 17)}
#: EIES acquaintance (1 heard of … 4 close friend) is already a 1–4 scale.
EIES_TRUST: dict[int, float] = {1: 1.0, 2: 2.0, 3: 3.0, 4: 4.0}
#: The multi-wave panels of the shared ``networks/`` folder that :func:`read_panel` knows how to code.
PANELS: tuple[str, ...] = ("vdbunt_freshmen", "newcomb_fraternity", "glasgow_s50", "knecht_classroom",
                           "eies_freeman", "kapferer_tailor")


def read_panel(folder: str | Path, name: str) -> PulseData:
    """Read one of the published multi-wave panels (``networks/<name>`` layout) as pulse data.

    Codings: van de Bunt ties are ratings 1–3 (at least friendly, Siena's coding), trust :data:`VDBUNT_TRUST`, so a
    "troubled" rating is the lowest trust; Newcomb ties are each man's top 4 ranks, trust :data:`NEWCOMB_TRUST`;
    EIES ties are "friend" or closer (3–4), trust the acquaintance level; Glasgow, Knecht and Kapferer (the
    sociational relation, undirected) are binary, without trust. Missing rows (codes 9, 10) are non-response.

    Parameters
    ----------
    folder
        The ``networks`` folder (holding ``<name>/edges*.csv``).
    name
        One of :data:`PANELS`.

    Raises
    ------
    InputError
        For an unknown panel or a missing folder.
    """
    if name not in PANELS:
        raise InputError(f"unknown panel {name!r}; one of {', '.join(PANELS)}")
    d = Path(folder) / name
    if not d.is_dir():
        raise InputError("no such panel folder", path=str(d))
    missing = pd.read_csv(d / "missing.csv") if (d / "missing.csv").exists() else None
    actors = pd.read_csv(d / "actors.csv")
    if name == "vdbunt_freshmen":
        return from_wave_edges(pd.read_csv(d / "edges.csv"), actors, tie=lambda v: (v >= 1) & (v <= 3),
                               trust=VDBUNT_TRUST, missing=missing)
    if name == "newcomb_fraternity":
        return from_wave_edges(pd.read_csv(d / "edges.csv"), actors, tie=lambda v: (v >= 1) & (v <= 4),
                               trust=NEWCOMB_TRUST)
    if name == "eies_freeman":
        return from_wave_edges(pd.read_csv(d / "edges_acquaintance.csv"), actors, tie=lambda v: v >= 3,
                               trust=EIES_TRUST)
    if name == "kapferer_tailor":
        return from_wave_edges(pd.read_csv(d / "edges_sociational.csv"), actors, undirected=True)
    return from_wave_edges(pd.read_csv(d / "edges.csv"), actors, missing=missing)
