"""Measures of one wave: response, network structure, brokers, core–periphery, PARTNER trust and value, reliability.

The network of a wave: member i has a tie to j when i answered ``works_with`` = 1, a ``frequency`` of at least 1,
or any flow = 1 about j. Non-respondents' ties are unknown, not absent: directed measures (density, reciprocity)
are taken over the dyads that were observed; the structural ones (transitivity, centralisation, components,
brokers, core) over the union graph, where a pair is tied when either member reports it (the usual symmetrisation
for inter-organisational surveys with missing respondents; it keeps non-respondents who were named by others).
Structural measures reuse :mod:`clusterwatch.analysis.network`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from clusterwatch.errors import OptionError
from clusterwatch.pulse.model import TRUST_ITEMS, VALUE_ITEMS, PulseData
from clusterwatch.pulse.privacy import SUPPRESSED_COLUMNS, check_k, suppress
from clusterwatch.stats import resolve_seed

if TYPE_CHECKING:
    from clusterwatch.analysis.network import NetworkGraph

#: Ties counted from these items (a positive answer to any of them).
TIE_ITEMS: tuple[str, ...] = ("works_with", "frequency", "flow_information", "flow_resources", "flow_projects")
#: Multi-item scales whose reliability is reported.
SCALES: dict[str, tuple[str, ...]] = {
    "trust": TRUST_ITEMS,
    "value": VALUE_ITEMS,
    "flows": ("flow_information", "flow_resources", "flow_projects"),
}


@dataclass(frozen=True)
class WaveMatrices:
    """Dyad-level matrices of one wave. Private to the library: they hold who rated whom, never to be shared.

    Attributes
    ----------
    wave
        The wave.
    ids, kinds
        Members during the wave (sorted ids) and their kinds.
    responded
        Whether each member answered anything in the wave.
    ties
        ``ties[i, j]``: i reports a tie to j (False in unobserved rows).
    trust, value
        ``trust[i, j]``: mean of i's trust (value) items about j; NaN where i gave none.
    cluster_items
        ``satisfaction`` and ``outcome_progress``: each member's answer (NaN where none).
    """

    wave: str
    ids: np.ndarray
    kinds: np.ndarray
    responded: np.ndarray
    ties: np.ndarray = field(repr=False)
    trust: np.ndarray = field(repr=False)
    value: np.ndarray = field(repr=False)
    cluster_items: dict[str, np.ndarray] = field(repr=False, default_factory=dict)

    @property
    def union(self) -> np.ndarray:
        """Undirected ties: either member reports it."""
        return self.ties | self.ties.T


def wave_matrices(data: PulseData, wave: str) -> WaveMatrices:
    """Arrange a wave's answers into member × member matrices (see :class:`WaveMatrices`)."""
    members = data.members_at(wave).sort_values("member_id")
    ids = members["member_id"].astype(str).to_numpy()
    n = len(ids)
    pos = {m: i for i, m in enumerate(ids)}
    answers = data.answers_in(wave)
    answers = answers[answers["respondent"].isin(pos)]
    responded = np.zeros(n, dtype=bool)
    responded[[pos[r] for r in answers["respondent"].unique()]] = True
    dyadic = answers[answers["alter"].isin(pos)]
    r = dyadic["respondent"].map(pos).to_numpy(dtype=np.int64)
    a = dyadic["alter"].map(pos).to_numpy(dtype=np.int64)
    item = dyadic["item"].to_numpy()
    value = dyadic["value"].to_numpy(dtype=float)
    ties = np.zeros((n, n), dtype=bool)
    positive = np.isin(item, TIE_ITEMS) & (value >= 1)
    ties[r[positive], a[positive]] = True

    def scale_mean(items: tuple[str, ...]) -> np.ndarray:
        total = np.zeros((n, n))
        count = np.zeros((n, n))
        sel = np.isin(item, items)
        np.add.at(total, (r[sel], a[sel]), value[sel])
        np.add.at(count, (r[sel], a[sel]), 1.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, total / count, np.nan)

    cluster_items = {}
    for name in ("satisfaction", "outcome_progress"):
        own = answers[answers["item"] == name]
        per = np.full(n, np.nan)
        per[own["respondent"].map(pos).to_numpy(dtype=np.int64)] = own["value"].to_numpy(dtype=float)
        cluster_items[name] = per
    return WaveMatrices(wave=str(wave), ids=ids, kinds=members["kind"].astype(str).to_numpy(), responded=responded,
                        ties=ties, trust=scale_mean(TRUST_ITEMS), value=scale_mean(VALUE_ITEMS),
                        cluster_items=cluster_items)


def cronbach_alpha(items: np.ndarray | pd.DataFrame) -> tuple[float, pd.DataFrame]:
    """Cronbach's α of a multi-item scale, with each item's corrected item–total correlation.

    α = k / (k − 1) · (1 − Σ var(item) / var(total)), with sample variances (ddof = 1), over the cases that
    answered every item (listwise). For 0/1 items this is KR-20.

    Parameters
    ----------
    items
        Cases × items (a frame keeps its column names).

    Returns
    -------
    alpha, items
        α (NaN with fewer than 2 items or 2 complete cases, or no variance), and per item: ``item``,
        ``item_total_r`` (correlation with the sum of the other items), ``alpha_if_deleted``, ``cases``.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests. *Psychometrika* 16, 297–334.

    Examples
    --------
    >>> x = np.array([[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 4, 4]])
    >>> round(cronbach_alpha(x)[0], 4)
    0.9533
    """
    frame = pd.DataFrame(items).astype(float)
    names = [str(c) for c in frame.columns]
    x = frame.dropna().to_numpy()
    k = x.shape[1]

    def alpha_of(m: np.ndarray) -> float:
        if m.shape[1] < 2 or m.shape[0] < 2:
            return float("nan")
        total_var = m.sum(axis=1).var(ddof=1)
        if total_var == 0:
            return float("nan")
        return float(m.shape[1] / (m.shape[1] - 1) * (1 - m.var(axis=0, ddof=1).sum() / total_var))

    rows = []
    for j in range(k):
        rest = np.delete(x, j, axis=1)
        r = float("nan")
        if x.shape[0] >= 2 and k >= 2:
            a, b = x[:, j], rest.sum(axis=1)
            if a.std() > 0 and b.std() > 0:
                r = float(np.corrcoef(a, b)[0, 1])
        rows.append({"item": names[j], "item_total_r": r, "alpha_if_deleted": alpha_of(rest) if k > 2 else np.nan,
                     "cases": int(x.shape[0])})
    return alpha_of(x), pd.DataFrame(rows, columns=["item", "item_total_r", "alpha_if_deleted", "cases"])


def broker_dependence(union: np.ndarray, betweenness_values: np.ndarray) -> tuple[float, int]:
    """Share of the shortest-path pairs that run through the top broker, and its position.

    The top broker is the member with the highest betweenness b (undirected, each pair once); the share is b
    over the number of pairs of other members that can reach each other, so 1 for the centre of a star and 0 where
    every pair has a path around everyone. A pair with several shortest paths counts by the fraction through the
    broker, as betweenness does.
    """
    n = len(betweenness_values)
    if n < 3 or not union.any():
        return float("nan"), -1
    top = int(np.argmax(betweenness_values))
    from scipy.sparse.csgraph import connected_components

    _, labels = connected_components(union.astype(np.int8), directed=False)
    sizes = np.bincount(labels)
    pairs = float((sizes * (sizes - 1) / 2).sum() - (sizes[labels[top]] - 1))
    return (float(betweenness_values[top] / pairs) if pairs > 0 else float("nan")), top


def _graphs(m: WaveMatrices) -> tuple[NetworkGraph, NetworkGraph]:
    """The wave's union graph (undirected) and its reported ties (directed), every member a node."""
    from clusterwatch.analysis.network import build_graph

    firms = pd.DataFrame({"firm_id": m.ids, "kind": m.kinds})
    iu, ju = np.nonzero(np.triu(m.union, 1))
    undirected = build_graph(pd.DataFrame({"source": m.ids[iu], "target": m.ids[ju]}), firms, mode="direct",
                             directed=False, include_isolates=True)
    i, j = np.nonzero(m.ties)
    directed = build_graph(pd.DataFrame({"source": m.ids[i], "target": m.ids[j]}), firms, mode="direct",
                           directed=True, include_isolates=True)
    return undirected, directed


@dataclass(frozen=True)
class WaveMeasures:
    """Everything measured in one wave, with k-suppression applied (from :func:`wave_measures`).

    Attributes
    ----------
    wave, k, seed
        The wave, the suppression threshold and the seed of the random removals behind ``fragility_top1``.
    network
        Network-wide figures: ``members``, ``respondents``, ``response_rate``, ``ties`` (directed reports),
        ``density`` (reported ties over observed dyads), ``reciprocity`` (mutual pairs over tied pairs, both members
        responding), ``union_ties``, ``union_density``, ``transitivity``, ``degree_centralisation``,
        ``betweenness_centralisation``, ``components``, ``largest_component_share``, ``fragmentation``,
        ``isolates``, ``core_size``, ``core_share``, ``core_fit``, ``core_density``, ``periphery_density``,
        ``broker_dependence`` (share of connected pairs whose shortest paths run through the top broker),
        ``fragility_top1`` (largest component share left when the top broker leaves), ``trust`` and ``value``
        (mean over rated pairs), ``trust_raters``, ``value_raters``, ``trust_asymmetry`` (mean |trust i→j − trust
        j→i| over pairs rated both ways), ``asymmetric_pairs``, ``alpha_trust``, ``alpha_value``, ``alpha_flows``,
        ``satisfaction``, ``outcome_progress`` (cluster items, mean of respondents), ``comments`` (a count: the
        texts are never attributed), and the helix shares ``share_firm_firm`` … (see ``helix``).
    members
        One row per member: ``member_id``, ``kind``, ``responded``, ``out_degree``, ``in_degree``, ``degree``
        (union), ``betweenness`` (undirected, unnormalised), ``constraint`` (Burt; NaN for isolates), ``core``,
        the Gould–Fernandez counts by member kind (directed), ``brokerage``, ``trust``, ``trust_raters``,
        ``value``, ``value_raters`` and the ``*_suppressed`` flags. Scores rated by fewer than ``k`` others are NaN.
    reliability
        Per scale and item: ``scale``, ``alpha``, ``item``, ``item_total_r``, ``alpha_if_deleted``, ``cases``
        (rated pairs with every item answered).
    helix
        Union ties by the kinds at their two ends: ``kinds`` (``firm–university`` …), ``ties``, ``share``.
    suppressed
        What was blanked and why (``table``, ``subject``, ``measure``, ``raters``, ``reason``).
    top_broker
        The member with the highest betweenness (None without ties).
    """

    wave: str
    k: int
    seed: int
    network: dict[str, float]
    members: pd.DataFrame = field(repr=False)
    reliability: pd.DataFrame = field(repr=False)
    helix: pd.DataFrame = field(repr=False)
    suppressed: pd.DataFrame = field(repr=False)
    top_broker: str | None = None

    def to_frame(self) -> pd.DataFrame:
        """The network-wide figures as one row, with the wave."""
        return pd.DataFrame([{"wave": self.wave, **self.network}])


def _mean_or_nan(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    return float(values.mean()) if values.size else float("nan")


def structure(m: WaveMatrices) -> dict[str, float]:
    """Directed measures of a wave that need no graph library: response, density, reciprocity (fast, for the
    bootstrap)."""
    n = len(m.ids)
    r = int(m.responded.sum())
    observed = r * (n - 1)
    both = np.outer(m.responded, m.responded)
    upper = np.triu(both, 1)
    tied = (m.ties | m.ties.T) & upper
    mutual = m.ties & m.ties.T & upper
    return {
        "members": float(n), "respondents": float(r), "response_rate": r / n if n else float("nan"),
        "ties": float(m.ties.sum()),
        "density": float(m.ties.sum() / observed) if observed else float("nan"),
        "reciprocity": float(mutual.sum() / tied.sum()) if tied.sum() else float("nan"),
    }


def wave_measures(data: PulseData, wave: str, *, k: int = 3, rng: int | np.random.Generator | None = 0
                  ) -> WaveMeasures:
    """Measure one wave: response, structure, brokers, core–periphery, trust and value, reliability, helix mix.

    Parameters
    ----------
    data
        From :func:`read_pulse`.
    wave
        The wave id.
    k
        Fewest raters behind a member's shown trust or value (default 3), and behind a network-wide score.
    rng
        Seed of the random removals that ``fragility_top1`` is compared with (the figure itself is exact).

    Returns
    -------
    WaveMeasures

    Raises
    ------
    OptionError
        For an unknown wave or a bad ``k``.

    References
    ----------
    Varda, D. M., Chandra, A., Stern, S. A. & Lurie, N. (2008). Core dimensions of connectivity in public health
    collaboratives. *Journal of Public Health Management and Practice* 14(5), E1–E7 (PARTNER trust and value).

    Freeman, L. C. (1979). Centrality in social networks (centralisation). Burt, R. S. (1992). *Structural Holes*
    (constraint). Gould, R. V. & Fernandez, R. M. (1989). Structures of mediation (brokerage roles). Borgatti, S. P.
    & Everett, M. G. (1999). Models of core/periphery structures.

    Examples
    --------
    >>> m = pd.DataFrame({"member_id": ["A", "B", "C"], "kind": ["firm", "firm", "university"]})
    >>> a = pd.DataFrame({"wave": "w", "respondent": ["A", "B", "C"], "alter": ["C", "C", "A"],
    ...                   "item": "works_with", "value": 1})
    >>> from clusterwatch.pulse.read import read_pulse
    >>> wm = wave_measures(read_pulse(m, pd.DataFrame({"wave": ["w"]}), a), "w")
    >>> wm.network["density"], wm.network["reciprocity"], wm.top_broker
    (0.5, 0.5, 'C')
    """
    from clusterwatch.analysis.network import betweenness, brokerage_roles, burt_constraint, network_health

    k = check_k(k)
    seed = resolve_seed(rng)
    m = wave_matrices(data, wave)
    n = len(m.ids)
    if n == 0:
        raise OptionError(f"wave {wave!r} has no members")
    metrics = structure(m)
    union = m.union
    undirected, directed = _graphs(m)
    b_values = betweenness(undirected, directed=False, scheduler=None)[0]
    health = network_health(undirected, betweenness_values=b_values, removals=[1], permutations=99, rng=seed.entropy,
                            scheduler=None)
    hm = health.metrics
    metrics["union_ties"] = hm["ties"]
    metrics["union_density"] = hm["density"]
    for key in ("transitivity", "degree_centralisation", "betweenness_centralisation", "components",
                "largest_component_share", "fragmentation", "isolates", "core_size", "core_share", "core_fit",
                "core_density", "periphery_density"):
        metrics[key] = hm[key]
    dependence, top = broker_dependence(union, b_values)
    metrics["broker_dependence"] = dependence
    frag = health.fragility
    metrics["fragility_top1"] = float(frag.loc[frag["k"] == 1, "largest_share"].iloc[0]) if (frag["k"] == 1).any() \
        else float("nan")

    # per member
    roles = brokerage_roles(directed, "kind", scheduler=None)
    members = pd.DataFrame({
        "member_id": m.ids, "kind": m.kinds, "responded": m.responded,
        "out_degree": m.ties.sum(axis=1), "in_degree": m.ties.sum(axis=0), "degree": union.sum(axis=1),
        "betweenness": b_values, "constraint": burt_constraint(undirected),
        "core": health.core.reindex(m.ids).fillna(False).to_numpy(dtype=bool),
    })
    for col in (*roles.columns[2:],):
        members[col] = roles[col].to_numpy()
    off = ~np.eye(n, dtype=bool)
    for name, mat in (("trust", m.trust), ("value", m.value)):
        rated = np.isfinite(mat) & off
        members[f"{name}_raters"] = rated.sum(axis=0)
        with np.errstate(invalid="ignore"):
            members[name] = np.where(rated.any(axis=0), np.nansum(np.where(rated, mat, 0), axis=0)
                                     / np.maximum(rated.sum(axis=0), 1), np.nan)
    members, suppressed = suppress(members, {"trust": "trust_raters", "value": "value_raters"}, k, table="members")
    records = [suppressed]

    # network-wide trust and value: shown when at least k members rated
    for name, mat in (("trust", m.trust), ("value", m.value)):
        raters = int((np.isfinite(mat) & off).any(axis=1).sum())
        metrics[f"{name}_raters"] = float(raters)
        metrics[name] = _mean_or_nan(mat[off]) if raters >= k else float("nan")
        if 0 < raters < k:
            records.append(pd.DataFrame([("network", "network", name, raters,
                                          f"rated by {raters} members, fewer than k = {k}")],
                                        columns=list(SUPPRESSED_COLUMNS)))
    both = np.isfinite(m.trust) & np.isfinite(m.trust.T) & np.triu(off, 1)
    metrics["asymmetric_pairs"] = float(both.sum())
    metrics["trust_asymmetry"] = float(np.abs(m.trust - m.trust.T)[both].mean()) if both.sum() >= k else float("nan")
    if 0 < both.sum() < k:
        records.append(pd.DataFrame([("network", "network", "trust_asymmetry", int(both.sum()),
                                      f"{int(both.sum())} pairs rated both ways, fewer than k = {k}")],
                                    columns=list(SUPPRESSED_COLUMNS)))

    # reliability of the multi-item scales over rated pairs
    answers = data.answers_in(wave)
    dyadic = answers[answers["alter"].notna()]
    rel_rows = []
    for scale, items in SCALES.items():
        sub = dyadic[dyadic["item"].isin(items)]
        wide = sub.pivot_table(index=["respondent", "alter"], columns="item", values="value", aggfunc="first")
        wide = wide.reindex(columns=list(items))
        alpha, table = cronbach_alpha(wide)
        metrics[f"alpha_{scale}"] = alpha
        rel_rows.append(table.assign(scale=scale, alpha=alpha))
    reliability = pd.concat(rel_rows, ignore_index=True)[["scale", "alpha", "item", "item_total_r",
                                                           "alpha_if_deleted", "cases"]]

    # cluster instrument: mean of respondents, shown from k answers
    for item in ("satisfaction", "outcome_progress"):
        vals = answers.loc[answers["item"] == item, "value"].to_numpy(dtype=float)
        metrics[item] = float(vals.mean()) if len(vals) >= k else float("nan")
        if 0 < len(vals) < k:
            records.append(pd.DataFrame([("network", "network", item, len(vals),
                                          f"{len(vals)} answers, fewer than k = {k}")],
                                        columns=list(SUPPRESSED_COLUMNS)))
    metrics["comments"] = float((answers["item"] == "comment").sum())

    # helix composition of the union ties
    iu, ju = np.nonzero(np.triu(union, 1))
    pair = ["–".join(sorted((m.kinds[a], m.kinds[b]))) for a, b in zip(iu, ju, strict=True)]
    helix = pd.Series(pair, dtype=object).value_counts().rename_axis("kinds").reset_index(name="ties")
    helix["share"] = helix["ties"] / max(len(pair), 1)
    helix = helix.sort_values(["ties", "kinds"], ascending=[False, True]).reset_index(drop=True)
    for row in helix.itertuples(index=False):
        metrics[f"share_{str(row.kinds).replace('–', '_')}"] = float(row.share)

    return WaveMeasures(wave=str(wave), k=k, seed=seed.entropy, network=metrics, members=members,
                        reliability=reliability, helix=helix,
                        suppressed=pd.concat([r for r in records if len(r)], ignore_index=True) if any(
                            len(r) for r in records) else pd.DataFrame(columns=list(SUPPRESSED_COLUMNS)),
                        top_broker=str(m.ids[top]) if top >= 0 and b_values[top] > 0 else None)
