"""What the facilitator's dashboard shows for a wave: aggregates only, with k-suppression.

``dashboard`` takes the wave's data in the pulse contract layout (members, waves, answers DataFrames, as
:func:`clusterwatch.serve.store.wave_frames` makes them) and returns a :class:`Dashboard` of

- the overview: invited members, respondents, response rate, density of the ``works_with`` network among the
  respondents' reports (directed: ties reported / (respondents x (members - 1))), and the cluster's mean
  satisfaction and outcome rating (shown only when at least k members answered them); the comments, without
  names and in alphabetical order, only when at least k members wrote one;
- per member: how many others rated them, their PARTNER trust score (mean over raters of the mean of the three
  trust items) and value score (same over the value items), each shown only when at least k others rated them;
  otherwise the cell is empty and ``suppressed`` says why.

Nothing dyad-level is in the result: no rater, no single rating, no tie list. When the pulse library
(``clusterwatch.pulse``) is importable, its ``wave_measures`` adds the network measures it defines (its own
k-suppression applies) as ``pulse``; the aggregates above are computed here either way (the same definitions as
pulse's per-member trust and value, which a test checks), so the dashboard works without igraph too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from clusterwatch.errors import ClusterwatchError
from clusterwatch.serve.instrument import TRUST_ITEMS, VALUE_ITEMS

TRUST = [i.name for i in TRUST_ITEMS]
VALUE = [i.name for i in VALUE_ITEMS]


@dataclass(frozen=True)
class Dashboard:
    """A wave's aggregated, k-suppressed results.

    Attributes
    ----------
    wave
        The wave's id.
    k
        Minimum number of raters (or respondents) for a score to be shown.
    overview
        Name -> value of the wave-level figures (None where suppressed).
    members
        One row per member: member_id, name, kind, raters, trust, value, suppressed (the reason, or "").
    pulse
        The pulse library's wave measures (``wave_measures(...).to_frame()``) when it is available, else None.
    notes
        What was suppressed or left out, and why.
    alerts
        The pulse library's early-warning alerts of the wave (rule, subject: ``network`` or a member, evidence in
        words; counts and member-level figures only), or None where it is not available.
    comments
        The wave's comments, unattributed and in alphabetical order; empty when fewer than ``k`` were written.
    """

    wave: str
    k: int
    overview: dict[str, Any]
    members: pd.DataFrame
    pulse: pd.DataFrame | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    comments: tuple[str, ...] = field(default_factory=tuple)
    alerts: pd.DataFrame | None = None

    def to_frame(self) -> pd.DataFrame:
        """The per-member table (aggregates only; suppressed cells empty)."""
        return self.members.copy()


def _numeric(answers: pd.DataFrame) -> pd.DataFrame:
    out = answers.copy()
    out["value"] = pd.to_numeric(out["value"], errors="coerce")
    return out


def dashboard(members: pd.DataFrame, answers: pd.DataFrame, wave: str, *, k: int = 3, invited: int | None = None,
              waves: pd.DataFrame | None = None) -> Dashboard:
    """The dashboard of ``wave`` from contract-layout members and answers.

    Parameters
    ----------
    members, answers
        The cluster's members and answers (all waves; only ``wave``'s answers are used).
    wave
        Which wave.
    k
        Show a score only when at least ``k`` distinct others gave it (default 3).
    invited
        How many members got a link (default: all members).
    waves
        The waves table, passed on to the pulse library when it is used.

    Examples
    --------
    >>> m = pd.DataFrame({"member_id": ["A", "B", "C", "D"], "name": list("ABCD"), "kind": ["firm"] * 4})
    >>> rows = [(r, "D", "trust_reliable", v) for r, v in (("A", 4), ("B", 3), ("C", 2))]
    >>> rows += [(r, "A", "trust_reliable", 4) for r in ("B", "C")]
    >>> a = pd.DataFrame([{"wave": "w1", "respondent": r, "alter": t, "item": i, "value": v}
    ...                   for r, t, i, v in rows])
    >>> d = dashboard(m, a, "w1", k=3)
    >>> d.members.set_index("member_id").loc[["A", "D"], ["raters", "trust", "suppressed"]]
               raters  trust                suppressed
    member_id
    A               2    NaN  fewer than 3 raters (2)
    D               3    3.0
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    ans = _numeric(answers[answers["wave"] == wave])
    n_members = len(members)
    invited = n_members if invited is None else invited
    respondents = sorted(set(ans["respondent"]))
    about = ans[ans["alter"].fillna("") != ""]
    ties = about[(about["item"] == "works_with") & (about["value"] == 1)]
    possible = len(respondents) * max(n_members - 1, 0)
    overview: dict[str, Any] = {
        "invited": invited,
        "respondents": len(respondents),
        "response_rate": len(respondents) / invited if invited else None,
        "density": (len(ties) / possible) if possible else None,
    }
    notes: list[str] = []
    cluster = ans[ans["alter"].fillna("") == ""]
    for item in ("satisfaction", "outcome_progress"):
        given = cluster[cluster["item"] == item].dropna(subset=["value"])
        if given["respondent"].nunique() >= k:
            overview[item] = float(given["value"].mean())
        else:
            overview[item] = None
            notes.append(f"{item}: fewer than {k} answers ({given['respondent'].nunique()}), not shown")
    texts = answers[(answers["wave"] == wave) & (answers["item"] == "comment")]["value"].astype(str).str.strip()
    texts = texts[texts != ""]
    overview["comments"] = int(len(texts))
    # comments are shown without names, in alphabetical order (not by respondent), and only when at least k
    # members wrote one, so that a single comment cannot be pinned on the one member who commented
    comments = tuple(sorted(texts)) if len(texts) >= k else ()
    if 0 < len(texts) < k:
        notes.append(f"comments: fewer than {k} ({len(texts)}), not shown")

    # per rated member: the mean over raters of each rater's mean of the scale's items, and how many rated
    scored = {}
    pairs = []
    for name, items in (("trust", TRUST), ("value", VALUE)):
        per_pair = about[about["item"].isin(items)].groupby(["alter", "respondent"])["value"].mean().dropna()
        scored[name] = per_pair.groupby(level="alter").agg(["mean", "count"])
        pairs.append(per_pair.index.to_frame(index=False))
    raters_of = pd.concat(pairs).drop_duplicates().groupby("alter").size() if pairs else pd.Series(dtype=int)
    ids = members["member_id"].astype(str)
    raters = ids.map(raters_of).fillna(0).astype(int).to_numpy()
    table = pd.DataFrame({"member_id": ids.to_numpy(), "name": members["name"].to_numpy(),
                          "kind": members["kind"].to_numpy(), "raters": raters})
    for name in ("trust", "value"):
        mean = ids.map(scored[name]["mean"]).to_numpy(dtype=float)
        count = ids.map(scored[name]["count"]).fillna(0).to_numpy()
        table[name] = np.where((raters >= k) & (count >= k), mean, np.nan)
    table["suppressed"] = [f"fewer than {k} raters ({n})" if n < k else "" for n in raters]
    hidden = int((table["suppressed"] != "").sum())
    if hidden:
        notes.append(f"trust and value of {hidden} member(s) not shown: fewer than {k} others rated them")
    rated = about[about["item"].isin(TRUST)]
    overview["trust_overall"] = (float(rated.groupby(["respondent", "alter"])["value"].mean().mean())
                                 if rated["respondent"].nunique() >= k else None)
    network, alerts = _pulse_measures(members, waves, answers, wave, k)
    return Dashboard(wave=wave, k=k, overview=overview, members=table, pulse=network, alerts=alerts,
                     notes=tuple(notes), comments=comments)


def _pulse_measures(members: pd.DataFrame, waves: pd.DataFrame | None, answers: pd.DataFrame, wave: str,
                    k: int) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The pulse library's network-wide measures of the wave (``measure``, ``value``; NaN where it suppressed one)
    and its early-warning alerts (``rule``, ``subject``, ``evidence``), or None where the library, or what it needs
    (igraph), is not available."""
    if waves is None or answers.empty:
        return None, None
    try:
        from clusterwatch.pulse import early_warnings, read_pulse, wave_measures
    except ImportError:  # pragma: no cover - pulse ships with clusterwatch
        return None, None
    try:
        data = read_pulse(members, waves, answers)
        measured = wave_measures(data, wave, k=k)
    except (ClusterwatchError, ImportError):
        return None, None
    network = pd.DataFrame({"measure": list(measured.network),
                            "value": [float(v) for v in measured.network.values()]})
    try:  # the comparison with the wave before bootstraps over respondents: fewer replicates for a page view
        warned = early_warnings(data, wave, k=k, replicates=199, measures=measured)
    except (ClusterwatchError, ImportError):
        return network, None
    return network, warned.alerts[["rule", "subject", "evidence"]].reset_index(drop=True)
