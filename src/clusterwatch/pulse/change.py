"""Change between two waves: every measure's change with a bootstrap interval, tie turnover with QAP, drifting
members, dependence on one broker, response."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from clusterwatch.errors import OptionError
from clusterwatch.pulse.measures import WaveMatrices, WaveMeasures, wave_matrices, wave_measures
from clusterwatch.pulse.model import PulseData
from clusterwatch.pulse.privacy import SUPPRESSED_COLUMNS, check_k
from clusterwatch.stats import check_permutations, monte_carlo_p, resolve_seed

#: A pair's trust at or below this is negative (the lowest answer on the 1–4 PARTNER scale).
NEGATIVE_TRUST = 1.5
#: Measures with a bootstrap interval (the vertex bootstrap recomputes them per replicate).
BOOTSTRAPPED: tuple[str, ...] = ("response_rate", "density", "reciprocity", "transitivity", "degree_centralisation",
                                 "trust", "value", "satisfaction", "outcome_progress")


@dataclass(frozen=True)
class WaveChange:
    """What changed from one wave to the next (from :func:`compare_waves`).

    Attributes
    ----------
    before, after
        The two waves.
    measures
        One row per network measure: ``measure``, ``before``, ``after``, ``change``, ``ci_low``, ``ci_high``
        (2.5 and 97.5 percentiles of the paired vertex-bootstrap change; NaN where not bootstrapped), ``method``.
    ties
        ``observed_dyads`` (ordered pairs whose respondent answered both waves), ``stable``, ``formed``,
        ``dissolved``, ``turned_negative`` (pairs rated above the lowest trust, or untied, before and at the lowest
        after), ``jaccard`` (stable over stable + formed + dissolved), ``qap_r`` (correlation of the two tie matrices
        over members who answered both waves) and ``qap_p`` (its QAP permutation p-value, greater).
    members
        One row per member in both waves: ``member_id``, ``degree_before``, ``degree_after``, ``core_before``,
        ``core_after``, ``answered_both``, ``drifting`` (answered both waves, and left the core or lost at least
        half of its ties and at least two),
        ``trust_before``, ``trust_after``, ``trust_change`` (NaN unless both scores had ``k`` raters).
    before_measures, after_measures
        The two waves' :class:`WaveMeasures`.
    suppressed
        Suppression record of the member table.
    replicates, permutations, seed
        Bootstrap replicates, QAP permutations and the seed.
    """

    before: str
    after: str
    measures: pd.DataFrame
    ties: dict[str, float]
    members: pd.DataFrame = field(repr=False)
    before_measures: WaveMeasures = field(repr=False)
    after_measures: WaveMeasures = field(repr=False)
    suppressed: pd.DataFrame = field(repr=False)
    replicates: int = 999
    permutations: int = 999
    seed: int = 0

    def to_frame(self) -> pd.DataFrame:
        """The measure table."""
        return self.measures.copy()


def _fast(m: WaveMatrices, idx: np.ndarray) -> dict[str, float]:
    """Bootstrapped measures on the members drawn (with repeats): pairs of a member with its own copy are left out."""
    same = idx[:, None] == idx[None, :]
    ties = m.ties[np.ix_(idx, idx)] & ~same
    union = m.union[np.ix_(idx, idx)] & ~same
    resp = m.responded[idx]
    n = len(idx)
    observed = resp[:, None] & ~same
    both = resp[:, None] & resp[None, :] & np.triu(~same, 1)
    tied = (ties | ties.T) & both
    mutual = ties & ties.T & both
    u = union.astype(float)
    u2 = u @ u
    two_paths = u2.sum() - np.trace(u2)
    deg = u.sum(axis=1)
    trust = m.trust[np.ix_(idx, idx)][~same]
    value = m.value[np.ix_(idx, idx)][~same]
    return {
        "response_rate": float(resp.mean()),
        "density": float(ties[observed].mean()) if observed.any() else np.nan,
        "reciprocity": float(mutual.sum() / tied.sum()) if tied.sum() else np.nan,
        "transitivity": float(np.trace(u2 @ u) / two_paths) if two_paths else np.nan,
        "degree_centralisation": float((deg.max() - deg).sum() / ((n - 1) * (n - 2))) if n > 2 else np.nan,
        "trust": float(np.nanmean(trust)) if np.isfinite(trust).any() else np.nan,
        "value": float(np.nanmean(value)) if np.isfinite(value).any() else np.nan,
        **{name: float(np.nanmean(own[idx])) if np.isfinite(own[idx]).any() else np.nan
           for name, own in m.cluster_items.items()},
    }


def vertex_bootstrap(first: WaveMatrices, second: WaveMatrices, replicates: int, rng: np.random.Generator
                     ) -> pd.DataFrame:
    """Paired vertex bootstrap of the change in the fast measures, over the members of both waves.

    Each replicate draws as many members as there are, with replacement, the same draw in both waves, and
    recomputes the measures on the drawn members' submatrices (Snijders & Borgatti 1999); a member's pairs with its
    own copy are left out. Returns one row per replicate, one column per measure (after − before).

    References
    ----------
    Snijders, T. A. B. & Borgatti, S. P. (1999). Non-parametric standard errors and tests for network statistics.
    *Connections* 22(2), 161–170.
    """
    common = np.intersect1d(first.ids, second.ids)
    i1 = np.searchsorted(first.ids, common)
    i2 = np.searchsorted(second.ids, common)
    rows = []
    for _ in range(replicates):
        draw = rng.integers(0, len(common), size=len(common))
        a, b = _fast(first, i1[draw]), _fast(second, i2[draw])
        rows.append({k: b[k] - a[k] for k in BOOTSTRAPPED})
    return pd.DataFrame(rows, columns=list(BOOTSTRAPPED))


def qap_correlation(x: np.ndarray, y: np.ndarray, permutations: int, rng: np.random.Generator
                    ) -> tuple[float, float]:
    """Pearson correlation of two square matrices off the diagonal, and its QAP p-value (greater).

    The null permutes the rows and columns of ``y`` together (Krackhardt 1987), keeping its structure.

    References
    ----------
    Krackhardt, D. (1987). QAP partialling as a test of spuriousness. *Social Networks* 9, 171–186.
    """
    n = x.shape[0]
    off = ~np.eye(n, dtype=bool)
    a = x[off].astype(float)
    if n < 3 or a.std() == 0 or y[off].astype(float).std() == 0:
        return float("nan"), float("nan")
    observed = float(np.corrcoef(a, y[off].astype(float))[0, 1])
    sims = np.empty(permutations)
    for r in range(permutations):
        p = rng.permutation(n)
        sims[r] = np.corrcoef(a, y[np.ix_(p, p)][off].astype(float))[0, 1]
    return observed, float(monte_carlo_p(observed, sims, alternative="greater"))


def compare_waves(data: PulseData, before: str, after: str, *, k: int = 3, replicates: int = 999,
                  permutations: int = 999, rng: int | np.random.Generator | None = 0) -> WaveChange:
    """Compare two waves: the change of every measure, with intervals, and what happened to ties and members.

    Parameters
    ----------
    data
        From :func:`read_pulse`.
    before, after
        The two wave ids (usually consecutive).
    k
        Suppression threshold (see :func:`wave_measures`).
    replicates
        Vertex-bootstrap replicates behind the intervals of :data:`BOOTSTRAPPED` measures.
    permutations
        QAP permutations behind ``qap_p``.
    rng
        Seed.

    Returns
    -------
    WaveChange

    Raises
    ------
    OptionError
        For unknown waves, the same wave twice, or bad counts.

    Examples
    --------
    >>> m = pd.DataFrame({"member_id": list("ABC"), "kind": "firm"})
    >>> w = pd.DataFrame({"wave": ["1", "2"], "order": [1, 2]})
    >>> a = pd.DataFrame({"wave": list("111222"), "respondent": list("ABCABC"), "alter": list("BAACCA"),
    ...                   "item": "works_with", "value": 1})
    >>> from clusterwatch.pulse.read import read_pulse
    >>> ch = compare_waves(read_pulse(m, w, a), "1", "2", replicates=9, permutations=9)
    >>> ch.ties["dissolved"], ch.ties["formed"], ch.ties["stable"]
    (2.0, 2.0, 1.0)
    """
    if str(before) == str(after):
        raise OptionError(f"compare two different waves, got {before!r} twice")
    k = check_k(k)
    replicates = check_permutations(replicates)
    permutations = check_permutations(permutations)
    seed = resolve_seed(rng)
    wb = wave_measures(data, before, k=k, rng=seed.entropy)
    wa = wave_measures(data, after, k=k, rng=seed.entropy)
    mb, ma = wave_matrices(data, before), wave_matrices(data, after)
    boot = vertex_bootstrap(mb, ma, replicates, np.random.default_rng(seed.child("bootstrap")))
    rows = []
    for key in wb.network.keys() | wa.network.keys():
        x, y = wb.network.get(key, np.nan), wa.network.get(key, np.nan)
        if key in BOOTSTRAPPED and np.isfinite(x) and np.isfinite(y):
            vals = boot[key].dropna().to_numpy()
            low, high = (np.quantile(vals, [0.025, 0.975]) if len(vals) else (np.nan, np.nan))
            method = "vertex bootstrap"
        else:
            low = high = np.nan
            method = "none"
        rows.append({"measure": key, "before": x, "after": y, "change": y - x, "ci_low": float(low),
                     "ci_high": float(high), "method": method})
    order = list(wb.network)
    measures = pd.DataFrame(rows).set_index("measure").reindex(
        order + sorted(set(wa.network) - set(order))).reset_index()

    # tie turnover over ordered pairs whose respondent answered both waves
    common = np.intersect1d(mb.ids, ma.ids)
    i1, i2 = np.searchsorted(mb.ids, common), np.searchsorted(ma.ids, common)
    t1, t2 = mb.ties[np.ix_(i1, i1)], ma.ties[np.ix_(i2, i2)]
    both = mb.responded[i1] & ma.responded[i2]
    off = ~np.eye(len(common), dtype=bool)
    obs = both[:, None] & off
    tr1, tr2 = mb.trust[np.ix_(i1, i1)], ma.trust[np.ix_(i2, i2)]
    negative_after = tr2 <= NEGATIVE_TRUST
    was_not_negative = ~(tr1 <= NEGATIVE_TRUST)
    stable, formed, dissolved = (t1 & t2 & obs).sum(), (~t1 & t2 & obs).sum(), (t1 & ~t2 & obs).sum()
    turnover = stable + formed + dissolved
    qap_r, qap_p = qap_correlation(t1[np.ix_(both, both)], t2[np.ix_(both, both)], permutations,
                                   np.random.default_rng(seed.child("qap")))
    ties = {"observed_dyads": float(obs.sum()), "stable": float(stable), "formed": float(formed),
            "dissolved": float(dissolved),
            "turned_negative": float((negative_after & was_not_negative & obs).sum()),
            "jaccard": float(stable / turnover) if turnover else float("nan"), "qap_r": qap_r, "qap_p": qap_p}

    mbm = wb.members.set_index("member_id").loc[common]
    mam = wa.members.set_index("member_id").loc[common]
    lost = mbm["degree"].to_numpy() - mam["degree"].to_numpy()
    members = pd.DataFrame({
        "member_id": common,
        "degree_before": mbm["degree"].to_numpy(), "degree_after": mam["degree"].to_numpy(),
        "core_before": mbm["core"].to_numpy(), "core_after": mam["core"].to_numpy(),
    })
    members["answered_both"] = mb.responded[i1] & ma.responded[i2]
    # a member who stopped answering loses the ties it would have named: not drift, missing data
    members["drifting"] = members["answered_both"] & ((members["core_before"] & ~members["core_after"]) | (
        (lost >= 2) & (lost * 2 >= members["degree_before"].to_numpy())))
    members["trust_before"] = mbm["trust"].to_numpy()
    members["trust_after"] = mam["trust"].to_numpy()
    members["trust_change"] = members["trust_after"] - members["trust_before"]
    suppressed = pd.concat([wb.suppressed.assign(table=f"members {before}"),
                            wa.suppressed.assign(table=f"members {after}")], ignore_index=True)
    return WaveChange(before=str(before), after=str(after), measures=measures, ties=ties, members=members,
                      before_measures=wb, after_measures=wa,
                      suppressed=suppressed[list(SUPPRESSED_COLUMNS)], replicates=replicates,
                      permutations=permutations, seed=seed.entropy)
