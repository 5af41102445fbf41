"""Early warnings: documented rules with thresholds, each alert with its evidence.

Network rules (subject ``network``), comparing the wave with the one before where there is one:

===========================  ======================================================================  =========
rule                         fires when                                                              threshold
===========================  ======================================================================  =========
``falling_response``         response rate fell by at least the threshold (points) since the last    0.10
                             wave, or is below half
``broker_dependence``        at least this share of connected pairs run through one member           0.50
``rising_broker_dependence`` that share rose by at least the threshold                               0.10
``fragmenting``              more components than last wave, or fragmentation up by the threshold   0.05
``trust_decline``            network trust fell and the bootstrap interval of the change lies below  0
                             zero
``density_decline``          density fell and its bootstrap interval lies below zero                 0
``tie_loss``                 at least this share of last wave's ties dissolved                       0.30
``low_reliability``          Cronbach's α of the trust or value scale below the threshold (10+       0.60
                             complete cases)
===========================  ======================================================================  =========

Member rules (subject: the member's pseudonym):

===========================  ======================================================================  =========
``isolation_risk``           at most this many partners left (union ties)                            1
``drifting``                 left the core, or lost at least half of its ties (and two or more)      0.50
``stopped_answering``        answered the last wave, not this one                                    —
``unreciprocated``           at least this share of the member's named partners (who answered) do    0.50
                             not name it back (two or more such ties)
``low_trust``                trust rated by ``k`` or more others below the threshold (1–4 scale;     2.0
                             2 = "a small amount" on PARTNER's scale)
``trust_drop``               trust fell by at least the threshold (both waves from ``k``+ raters)    0.50
===========================  ======================================================================  =========

Non-response moves the structural figures too (a member who stops answering and whom nobody names becomes an
isolate): read ``fragmenting`` and ``tie_loss`` next to ``falling_response``. ``drifting`` only judges members who
answered both waves. Thresholds are conventions, not estimates: ``bench/bench_pulse_warnings.py`` measures how
well the rules anticipate what happens at the next wave on real panels, and where they fail. :func:`tie_risk`
scores single ties for that benchmark; it is dyad-level, so it stays inside the library and never reaches a shared
output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from clusterwatch.errors import OptionError
from clusterwatch.pulse.change import WaveChange, compare_waves
from clusterwatch.pulse.measures import WaveMeasures, wave_matrices, wave_measures
from clusterwatch.pulse.model import PulseData
from clusterwatch.pulse.privacy import check_k
from clusterwatch.stats import resolve_seed

#: Default thresholds of the rules (see the module docstring).
THRESHOLDS: dict[str, float] = {
    "falling_response": 0.10,
    "broker_dependence": 0.50,
    "rising_broker_dependence": 0.10,
    "fragmenting": 0.05,
    "trust_decline": 0.0,
    "density_decline": 0.0,
    "tie_loss": 0.30,
    "low_reliability": 0.60,
    "isolation_risk": 1,
    "drifting": 0.5,
    "stopped_answering": 0.0,
    "unreciprocated": 0.50,
    "low_trust": 2.0,
    "trust_drop": 0.50,
}
ALERT_COLUMNS: tuple[str, ...] = ("rule", "subject", "value", "threshold", "evidence")


@dataclass(frozen=True)
class EarlyWarnings:
    """Alerts of one wave (from :func:`early_warnings`).

    Attributes
    ----------
    wave, previous
        The wave, and the one it was compared with (None for the first wave).
    alerts
        One row per alert: ``rule``, ``subject`` (``network`` or a member id), ``value``, ``threshold``,
        ``evidence`` (the figures that made it fire, in words).
    member_alerts
        Per member: ``member_id``, ``alerts`` (number fired), ``rules`` (their names).
    thresholds
        The thresholds used.
    measures, change
        The wave's measures, and the comparison with the previous wave (None for the first).
    """

    wave: str
    previous: str | None
    alerts: pd.DataFrame
    member_alerts: pd.DataFrame = field(repr=False)
    thresholds: dict[str, float] = field(repr=False)
    measures: WaveMeasures = field(repr=False)
    change: WaveChange | None = field(repr=False, default=None)

    def to_frame(self) -> pd.DataFrame:
        """The alerts."""
        return self.alerts.copy()


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def previous_wave(data: PulseData, wave: str) -> str | None:
    """The wave before ``wave`` in survey order (None for the first)."""
    ids = data.wave_ids
    if wave not in ids:
        raise OptionError(f"wave {wave!r} is not among the waves ({', '.join(ids)})")
    i = ids.index(wave)
    return ids[i - 1] if i else None


def early_warnings(data: PulseData, wave: str, *, previous: str | None = "auto", k: int = 3,
                   thresholds: dict[str, float] | None = None, replicates: int = 499,
                   rng: int | np.random.Generator | None = 0, measures: WaveMeasures | None = None,
                   change: WaveChange | None = None) -> EarlyWarnings:
    """Apply the warning rules to a wave (see the module docstring for the rules and thresholds).

    Parameters
    ----------
    data
        From :func:`read_pulse`.
    wave
        The wave to check.
    previous
        The wave to compare with: ``"auto"`` (the one before), a wave id, or None (no comparison: only the rules
        that need one wave fire).
    k
        Suppression threshold: member trust rules use only scores from ``k`` or more raters.
    thresholds
        Rule name → threshold, overriding :data:`THRESHOLDS`.
    replicates, rng
        Bootstrap replicates behind the decline rules, and the seed.
    measures, change
        The wave's measures and its comparison with ``previous``, when already computed (same ``k``).

    Returns
    -------
    EarlyWarnings

    Raises
    ------
    OptionError
        For an unknown wave or rule name.

    Examples
    --------
    A hub named by four firms: everything runs through it, and each firm has one partner left.

    >>> m = pd.DataFrame({"member_id": ["H", *"abcd"], "kind": ["university", *["firm"] * 4]})
    >>> a = pd.DataFrame({"wave": "w", "respondent": list("abcd"), "alter": "H", "item": "works_with", "value": 1})
    >>> from clusterwatch.pulse.read import read_pulse
    >>> warn = early_warnings(read_pulse(m, pd.DataFrame({"wave": ["w"]}), a), "w")
    >>> sorted(set(warn.alerts["rule"])), int((warn.alerts["rule"] == "isolation_risk").sum())
    (['broker_dependence', 'isolation_risk'], 4)
    """
    k = check_k(k)
    th = dict(THRESHOLDS)
    for name, value in (thresholds or {}).items():
        if name not in THRESHOLDS:
            raise OptionError(f"unknown rule {name!r}; rules: {', '.join(THRESHOLDS)}")
        th[name] = float(value)
    seed = resolve_seed(rng)
    prev = previous_wave(data, wave) if previous == "auto" else previous
    wm = measures if measures is not None and measures.wave == str(wave) and measures.k == k else \
        wave_measures(data, wave, k=k, rng=seed.entropy)
    if change is not None and (prev is None or (change.before, change.after) != (str(prev), str(wave))):
        change = None
    if change is None and prev is not None:
        change = compare_waves(data, prev, wave, k=k, replicates=replicates, permutations=99, rng=seed.entropy)
    net = wm.network
    alerts: list[tuple[str, str, float, float, str]] = []

    def fire(rule: str, subject: str, value: float, evidence: str) -> None:
        alerts.append((rule, subject, float(value), th[rule], evidence))

    # network rules
    if change is not None:
        c = change.measures.set_index("measure")
        rr = c.loc["response_rate"]
        if rr["change"] <= -th["falling_response"]:
            fire("falling_response", "network", rr["change"],
                 f"response {_pct(rr['after'])} against {_pct(rr['before'])} in wave {prev} "
                 f"({100 * rr['change']:+.0f} points; fires at -{100 * th['falling_response']:.0f})")
        bd = c.loc["broker_dependence"]
        if np.isfinite(bd["change"]) and bd["change"] >= th["rising_broker_dependence"]:
            fire("rising_broker_dependence", "network", bd["change"],
                 f"share of pairs through the top broker {_pct(bd['after'])} against {_pct(bd['before'])}")
        comp, frag = c.loc["components"], c.loc["fragmentation"]
        if comp["change"] > 0 or (np.isfinite(frag["change"]) and frag["change"] >= th["fragmenting"]):
            fire("fragmenting", "network", frag["change"],
                 f"{comp['after']:.0f} components (was {comp['before']:.0f}); fragmentation "
                 f"{frag['after']:.2f} (was {frag['before']:.2f})")
        for rule, key in (("trust_decline", "trust"), ("density_decline", "density")):
            row = c.loc[key]
            if row["change"] < 0 and row["ci_high"] < 0:
                fire(rule, "network", row["change"],
                     f"{key} {row['after']:.3f} against {row['before']:.3f} (change {row['change']:+.3f}, 95% "
                     f"bootstrap interval {row['ci_low']:+.3f} to {row['ci_high']:+.3f})")
        ties = change.ties
        old = ties["stable"] + ties["dissolved"]
        if old and ties["dissolved"] / old >= th["tie_loss"]:
            fire("tie_loss", "network", ties["dissolved"] / old,
                 f"{ties['dissolved']:.0f} of {old:.0f} ties reported last wave are gone ({ties['formed']:.0f} new)")
    if net["response_rate"] < 0.5 and not any(a[0] == "falling_response" for a in alerts):
        fire("falling_response", "network", net["response_rate"],
             f"response {_pct(net['response_rate'])}: fewer than half the members answered")
    if np.isfinite(net["broker_dependence"]) and net["broker_dependence"] >= th["broker_dependence"]:
        fire("broker_dependence", "network", net["broker_dependence"],
             f"{_pct(net['broker_dependence'])} of connected pairs reach each other only through {wm.top_broker}; "
             f"without it the largest group holds {_pct(net['fragility_top1'])} of members")
    rel = wm.reliability.drop_duplicates("scale").set_index("scale")
    for scale in ("trust", "value"):
        alpha, cases = rel.loc[scale, "alpha"], rel.loc[scale, "cases"]
        if np.isfinite(alpha) and cases >= 10 and alpha < th["low_reliability"]:
            fire("low_reliability", "network", alpha,
                 f"Cronbach's alpha of the {scale} scale {alpha:.2f} over {cases} rated pairs: the items do not "
                 "measure one thing; read the item-total correlations")

    # member rules
    mem = wm.members.set_index("member_id")
    m = wave_matrices(data, wave)
    named_back = m.ties & m.ties.T
    alter_answered = np.broadcast_to(m.responded[None, :], m.ties.shape)
    out_answered = (m.ties & alter_answered).sum(axis=1)
    unreciprocated = (m.ties & alter_answered & ~named_back).sum(axis=1)
    for i, member in enumerate(m.ids):
        deg = mem.loc[member, "degree"]
        if deg <= th["isolation_risk"] and (m.responded[i] or deg > 0):
            fire("isolation_risk", member, deg, f"{int(deg)} partner{'s' if deg != 1 else ''} left in the network")
        if unreciprocated[i] >= 2 and unreciprocated[i] >= th["unreciprocated"] * out_answered[i]:
            fire("unreciprocated", member, unreciprocated[i] / out_answered[i],
                 f"{unreciprocated[i]} of the {out_answered[i]} partners it names (who answered) do not name it back")
        trust = mem.loc[member, "trust"]
        if np.isfinite(trust) and trust < th["low_trust"]:
            fire("low_trust", member, trust,
                 f"trust {trust:.2f} on 1–4 from {int(mem.loc[member, 'trust_raters'])} raters")
    if change is not None:
        cm = change.members.set_index("member_id")
        mb = wave_matrices(data, change.before)
        answered_before = dict(zip(mb.ids, mb.responded, strict=True))
        for member, row in cm.iterrows():
            if row["drifting"]:
                why = "left the core" if row["core_before"] and not row["core_after"] else "lost ties"
                fire("drifting", str(member), row["degree_after"] - row["degree_before"],
                     f"{why}: {int(row['degree_before'])} → {int(row['degree_after'])} partners")
            if np.isfinite(row["trust_change"]) and row["trust_change"] <= -th["trust_drop"]:
                fire("trust_drop", str(member), row["trust_change"],
                     f"trust {row['trust_after']:.2f} against {row['trust_before']:.2f} in wave {change.before}")
            if answered_before.get(member, False) and not m.responded[list(m.ids).index(member)]:
                fire("stopped_answering", str(member), 0.0, f"answered wave {change.before}, not this one")
    frame = pd.DataFrame(alerts, columns=list(ALERT_COLUMNS))
    frame["threshold"] = frame["rule"].map(th)
    per = frame[frame["subject"] != "network"].groupby("subject")["rule"].agg(
        alerts="size", rules=lambda r: ", ".join(sorted(set(r))))
    member_alerts = pd.DataFrame({"member_id": m.ids}).join(per, on="member_id")
    member_alerts["alerts"] = member_alerts["alerts"].fillna(0).astype(int)
    member_alerts["rules"] = member_alerts["rules"].fillna("")
    return EarlyWarnings(wave=str(wave), previous=prev, alerts=frame, member_alerts=member_alerts, thresholds=th,
                         measures=wm, change=change)


def tie_risk(data: PulseData, wave: str, *, previous: str | None = "auto") -> pd.DataFrame:
    """Risk flags of every reported tie of a wave. Dyad-level: for the benchmark and internal aggregation only.

    Flags: ``unreciprocated`` (the alter answered and did not name the respondent), ``unembedded`` (no partner in
    common, union ties), ``low_trust`` (the respondent's trust in the alter at most 2 on 1–4), ``new`` (not
    reported at the previous wave, where the respondent answered it). ``score`` is their sum.

    Returns
    -------
    pandas.DataFrame
        ``respondent``, ``alter``, the four flags and ``score``.
    """
    m = wave_matrices(data, wave)
    prev = previous_wave(data, wave) if previous == "auto" else previous
    union = m.union.astype(int)
    common = union @ union
    r, a = np.nonzero(m.ties)
    frame = pd.DataFrame({
        "respondent": m.ids[r], "alter": m.ids[a],
        "unreciprocated": (m.responded[a] & ~m.ties[a, r]).astype(int),
        "unembedded": (common[r, a] == 0).astype(int),
        "low_trust": (m.trust[r, a] <= 2).astype(int),
    })
    new = np.zeros(len(r), dtype=int)
    if prev is not None:
        p = wave_matrices(data, prev)
        pos = {x: i for i, x in enumerate(p.ids)}
        for t, (i, j) in enumerate(zip(r, a, strict=True)):
            pi, pj = pos.get(m.ids[i]), pos.get(m.ids[j])
            if pi is not None and pj is not None and p.responded[pi] and not p.ties[pi, pj]:
                new[t] = 1
    frame["new"] = new
    frame["score"] = frame[["unreciprocated", "unembedded", "low_trust", "new"]].sum(axis=1)
    return frame


def auc(scores: np.ndarray, outcomes: np.ndarray) -> float:
    """Area under the ROC curve: the chance that a random case with the event scores above one without (ties
    count half); NaN without both kinds of case.

    Examples
    --------
    >>> auc(np.array([3, 2, 1, 0]), np.array([1, 0, 1, 0]))
    0.75
    """
    y = np.asarray(outcomes, dtype=bool)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = rankdata(np.asarray(scores, dtype=float))
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def auc_interval(scores: np.ndarray, outcomes: np.ndarray, *, groups: np.ndarray | None = None,
                 replicates: int = 999, rng: int | np.random.Generator | None = 0,
                 baseline: np.ndarray | None = None) -> tuple[float, float, float]:
    """AUC with a 95% percentile bootstrap interval, resampling cases (or whole ``groups`` of cases, such as a
    respondent's ties, which are not independent).

    With ``baseline`` scores, the statistic is the paired difference AUC(scores) − AUC(baseline), both computed on
    the same resample each time.

    Returns
    -------
    auc, low, high
        The AUC (or the difference) and its interval.
    """
    scores, outcomes = np.asarray(scores, dtype=float), np.asarray(outcomes, dtype=bool)
    base = None if baseline is None else np.asarray(baseline, dtype=float)
    gen = resolve_seed(rng).generator()

    def stat(idx: np.ndarray | slice) -> float:
        value = auc(scores[idx], outcomes[idx])
        return value if base is None else value - auc(base[idx], outcomes[idx])

    point = stat(slice(None))
    labels = np.arange(len(scores)) if groups is None else pd.factorize(np.asarray(groups))[0]
    order = np.argsort(labels, kind="stable")
    starts = np.searchsorted(labels[order], np.arange(labels.max() + 1)) if len(labels) else np.array([], int)
    members = np.split(order, starts[1:]) if len(labels) else []
    sims = []
    for _ in range(replicates):
        pick = gen.integers(0, len(members), size=len(members))
        idx = np.concatenate([members[g] for g in pick]) if members else np.array([], dtype=int)
        sims.append(stat(idx))
    arr = np.array(sims)
    arr = arr[np.isfinite(arr)]
    if not len(arr):
        return point, float("nan"), float("nan")
    low, high = np.quantile(arr, [0.025, 0.975])
    return point, float(low), float(high)
