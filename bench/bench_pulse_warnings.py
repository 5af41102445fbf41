"""Benchmark: do the pulse early warnings at wave t anticipate what happens at wave t + 1, on real panels?

Data: the six multi-wave panels of ``../shared/data/networks`` (van de Bunt 7 waves, Newcomb 15, Glasgow 3,
Knecht 4, EIES 2, Kapferer 2), read with :func:`clusterwatch.pulse.edgelist.read_panel` (codings there). For every
pair of consecutive waves t → t + 1:

* members: cases are members with at least one partner at t who answered at t + 1. Events: ``isolated`` (no
  partner at t + 1) and ``lost_half`` (at most half of their partners left, one or more lost). Score: the number
  of member alerts :func:`early_warnings` fires at t. Baseline: fewer partners at t (−degree), the obvious guess.
* ties: cases are the ties reported at t whose respondent answered at t + 1. Event: ``dissolved`` (not reported
  at t + 1). Score: the :func:`tie_risk` flag count (unreciprocated, unembedded, low trust, new). Baseline:
  unreciprocated alone.
* respondents (van de Bunt and Knecht, the panels with non-response): cases are members who answered at t.
  Event: ``stops_answering`` (no answer at t + 1). Score: member alerts at t. Baseline: −degree.
* rated pairs (van de Bunt, the only panel with a negative level): cases are pairs rated at t above "troubled",
  the respondent rating the alter again at t + 1. Event: ``troubled`` (rated 5 at t + 1). Score: low trust at t
  (neutral or below) + the alter rates the respondent troubled + no partner in common. Baseline: the rating's
  trust level at t (lower = more at risk).

Figures: AUC with a 95 % percentile bootstrap interval (999 resamples; ties resampled by respondent-wave, whose
ties are not independent), per panel and pooled; the gain over the baseline (paired: both AUCs on each resample);
the event rate; for the binary alert (member: any alert; tie: score ≥ 2), its precision and recall; and each
member rule alone (pooled), to show which carry the signal. An AUC of 0.5 is chance.

Usage::

    python bench/bench_pulse_warnings.py [--data ../shared/data] [--replicates 999] [--out results.csv]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from clusterwatch.pulse import PulseData
from clusterwatch.pulse.edgelist import PANELS, read_panel
from clusterwatch.pulse.measures import wave_matrices
from clusterwatch.pulse.warnings import auc_interval, early_warnings, tie_risk

TROUBLED_TRUST = 1.5


def cases(data: PulseData, name: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Member, tie, rated-pair and respondent cases of every consecutive pair of waves."""
    members, ties, pairs, silent = [], [], [], []
    ids = data.wave_ids
    for t, t1 in zip(ids[:-1], ids[1:], strict=True):
        warn = early_warnings(data, t, replicates=199, rng=0)
        now, nxt = wave_matrices(data, t), wave_matrices(data, t1)
        pos = {m: i for i, m in enumerate(nxt.ids)}
        deg_now = now.union.sum(axis=1)
        deg_next = nxt.union.sum(axis=1)
        alerts = warn.member_alerts.set_index("member_id")["alerts"]
        fired = warn.member_alerts.set_index("member_id")["rules"]
        for i, m in enumerate(now.ids):
            j = pos.get(m)
            if now.responded[i] and j is not None:
                silent.append({"panel": name, "wave": t, "member": m, "score": alerts.get(m, 0),
                               "baseline": -deg_now[i], "stops_answering": not nxt.responded[j]})
            if deg_now[i] == 0 or j is None or not nxt.responded[j]:
                continue
            lost = deg_now[i] - deg_next[j]
            members.append({"panel": name, "wave": t, "member": m, "score": alerts.get(m, 0),
                            "baseline": -deg_now[i], "isolated": deg_next[j] == 0,
                            "lost_half": lost >= 1 and deg_next[j] * 2 <= deg_now[i],
                            "rules": fired.get(m, "")})
        risk = tie_risk(data, t)
        for row in risk.itertuples(index=False):
            i, j = pos.get(row.respondent), pos.get(row.alter)
            if i is None or j is None or not nxt.responded[i]:
                continue
            ties.append({"panel": name, "wave": t, "group": f"{t}:{row.respondent}", "score": row.score,
                         "baseline": row.unreciprocated, "dissolved": not nxt.ties[i, j]})
        # pairs turning troubled: every rated pair not troubled at t, its respondent answering at t + 1
        common = now.union.astype(int) @ now.union.astype(int)
        for i, j in zip(*np.nonzero(np.isfinite(now.trust) & (now.trust > TROUBLED_TRUST)), strict=True):
            a, b = pos.get(now.ids[i]), pos.get(now.ids[j])
            if a is None or b is None or not nxt.responded[a] or not np.isfinite(nxt.trust[a, b]):
                continue
            score = int(now.trust[i, j] <= 2) + int(now.trust[j, i] <= TROUBLED_TRUST) + int(common[i, j] == 0)
            pairs.append({"panel": name, "wave": t, "group": f"{t}:{now.ids[i]}", "score": score,
                          "baseline": -now.trust[i, j], "troubled": bool(nxt.trust[a, b] <= TROUBLED_TRUST)})
    return pd.DataFrame(members), pd.DataFrame(ties), pd.DataFrame(pairs), pd.DataFrame(silent)


def evaluate(frame: pd.DataFrame, event: str, alert_at: int, replicates: int, grouped: bool) -> dict[str, object]:
    y = frame[event].to_numpy(bool)
    groups = frame["group"].to_numpy() if grouped else None
    a, lo, hi = auc_interval(frame["score"].to_numpy(float), y, groups=groups, replicates=replicates, rng=1)
    b, blo, bhi = auc_interval(frame["baseline"].to_numpy(float), y, groups=groups, replicates=replicates, rng=1)
    d, dlo, dhi = auc_interval(frame["score"].to_numpy(float), y, groups=groups, replicates=replicates, rng=1,
                               baseline=frame["baseline"].to_numpy(float))
    alert = frame["score"].to_numpy() >= alert_at
    return {"cases": len(frame), "events": int(y.sum()), "event_rate": y.mean() if len(y) else np.nan,
            "auc": a, "auc_low": lo, "auc_high": hi, "baseline_auc": b, "baseline_low": blo, "baseline_high": bhi,
            "gain": d, "gain_low": dlo, "gain_high": dhi,
            "alerted": int(alert.sum()),
            "precision": y[alert].mean() if alert.any() else np.nan,
            "recall": alert[y].mean() if y.any() else np.nan}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    parser.add_argument("--replicates", type=int, default=999)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    folder = args.data / "networks"
    if not folder.is_dir():
        print(f"no networks folder at {folder}", file=sys.stderr)
        return 1
    start = time.perf_counter()
    all_members, all_ties, all_pairs, all_silent = [], [], [], []
    for name in PANELS:
        t0 = time.perf_counter()
        m, t, p, q = cases(read_panel(folder, name), name)
        all_members.append(m)
        all_ties.append(t)
        all_pairs.append(p)
        all_silent.append(q)
        print(f"{name}: {len(m):,} member cases, {len(t):,} tie cases ({time.perf_counter() - t0:.1f} s)")
    members, ties = pd.concat(all_members, ignore_index=True), pd.concat(all_ties, ignore_index=True)
    rows = []
    for panel in [*PANELS, "pooled"]:
        mm = members if panel == "pooled" else members[members["panel"] == panel]
        tt = ties if panel == "pooled" else ties[ties["panel"] == panel]
        for event in ("isolated", "lost_half"):
            rows.append({"panel": panel, "level": "member", "event": event,
                         **evaluate(mm, event, 1, args.replicates, grouped=False)})
        rows.append({"panel": panel, "level": "tie", "event": "dissolved",
                     **evaluate(tt, "dissolved", 2, args.replicates, grouped=True)})
    silent = pd.concat(all_silent, ignore_index=True)
    for panel in ("vdbunt_freshmen", "knecht_classroom"):  # the panels with non-response
        rows.append({"panel": panel, "level": "respondent", "event": "stops_answering",
                     **evaluate(silent[silent["panel"] == panel], "stops_answering", 1, args.replicates,
                                grouped=False)})
    pairs = pd.concat(all_pairs, ignore_index=True)
    vdb = pairs[pairs["panel"] == "vdbunt_freshmen"]
    rows.append({"panel": "vdbunt_freshmen", "level": "pair", "event": "troubled",
                 **evaluate(vdb, "troubled", 2, args.replicates, grouped=True)})
    # each member rule alone, pooled: which ones carry the signal
    for rule in ("isolation_risk", "drifting", "stopped_answering", "unreciprocated", "low_trust", "trust_drop"):
        alone = members.assign(score=members["rules"].str.contains(rule).astype(int))
        if alone["score"].any():
            rows.append({"panel": "pooled", "level": f"member rule {rule}", "event": "lost_half",
                         **evaluate(alone, "lost_half", 1, args.replicates, grouped=False)})
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        shown = table.copy()
        for c in ("event_rate", "auc", "auc_low", "auc_high", "baseline_auc", "baseline_low", "baseline_high",
                  "gain", "gain_low", "gain_high", "precision", "recall"):
            shown[c] = shown[c].astype(float).round(3)
        print(shown.to_string(index=False))
    print(f"total {time.perf_counter() - start:.1f} s")
    if args.out is not None:
        table.to_csv(args.out, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
