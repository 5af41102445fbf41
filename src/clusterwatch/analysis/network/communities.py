"""Communities of a network (Leiden or Louvain), each described by its members, helices, SMEs, place and synergy."""

from __future__ import annotations

import random
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from clusterwatch._optional import import_optional
from clusterwatch.analysis.geometry import haversine_km
from clusterwatch.analysis.network.graph import NetworkGraph
from clusterwatch.analysis.network.synergy import HELICES, check_helix, synergy_from_counts
from clusterwatch.errors import InputError, OptionError
from clusterwatch.schema import FIRM_KINDS
from clusterwatch.stats import resolve_seed

METHODS: tuple[str, ...] = ("leiden", "louvain")


@dataclass(frozen=True)
class Communities:
    """Communities found by :func:`detect_communities`.

    Attributes
    ----------
    membership
        ``firm_id``, ``community`` for every node. Communities are numbered 0, 1, … from the largest.
    summary
        One row per community (:func:`describe_communities`).
    modularity
        Newman–Girvan modularity (resolution 1, weighted) of the partition.
    method, gamma, n_iterations
        How the partition was found (``gamma``: the modularity resolution γ; not an H3 resolution).
    seed
        The seed (``Seed.entropy``) that makes the partition repeatable.
    """

    membership: pd.DataFrame = field(repr=False)
    summary: pd.DataFrame = field(repr=False)
    modularity: float
    method: str
    gamma: float
    n_iterations: int
    seed: int

    @property
    def resolution(self) -> float:
        """Deprecated name of :attr:`gamma` (``resolution`` also names an H3 level elsewhere)."""
        warnings.warn("Communities.resolution is now Communities.gamma", DeprecationWarning, stacklevel=2)
        return self.gamma

    @property
    def n_communities(self) -> int:
        """Number of communities."""
        return len(self.summary)

    def labels(self) -> pd.Series:
        """Community of each node, indexed by ``firm_id``."""
        return self.membership.set_index("firm_id")["community"]

    def to_frame(self) -> pd.DataFrame:
        """The community summary table."""
        return self.summary.copy()


@contextmanager
def seeded_igraph(seed: int) -> Iterator[Any]:
    """igraph with its random number generator seeded, restored to Python's ``random`` afterwards.

    igraph keeps one process-wide generator: two seeded runs must not overlap in threads.
    """
    ig = import_optional("igraph", extra="network")
    ig.set_random_number_generator(random.Random(seed))
    try:
        yield ig
    finally:
        ig.set_random_number_generator(random)


def modularity_gamma(gamma: float, resolution: float | None = None) -> float:
    """Validate the modularity resolution γ (> 0); ``resolution``, its deprecated name, wins with a warning."""
    if resolution is not None:
        warnings.warn("the modularity keyword 'resolution' is now 'gamma' ('resolution' also names an H3 level)",
                      DeprecationWarning, stacklevel=3)
        gamma = resolution
    if isinstance(gamma, bool) or not isinstance(gamma, int | float) or not np.isfinite(gamma) or gamma <= 0:
        raise OptionError(f"gamma (the modularity resolution) must be a positive number, got {gamma!r}")
    return float(gamma)


def detect_communities(
    graph: NetworkGraph,
    *,
    method: str = "leiden",
    gamma: float = 1.0,
    n_iterations: int = -1,
    rng: int | np.random.Generator | None = None,
    helix: Mapping[str, str] | None = None,
    resolution: float | None = None,
) -> Communities:
    """Partition the network into communities and describe each one.

    Communities maximise modularity with a resolution parameter γ (Reichardt & Bornholdt's configuration null
    model): Q_γ = 1/(2m) Σ_ij [A_ij − γ k_i k_j / (2m)] δ(c_i, c_j) with edge weights as A. γ > 1 gives more,
    smaller communities. Directed graphs are partitioned as undirected (the two directions of a pair summed).

    Parameters
    ----------
    graph
        From :func:`build_graph`.
    method
        ``leiden`` (Traag, Waltman & van Eck 2019: communities are guaranteed connected; igraph's implementation)
        or ``louvain`` (Blondel et al. 2008; igraph's multilevel algorithm).
    gamma
        The modularity resolution γ > 0 (1: Newman–Girvan modularity).
    n_iterations
        Leiden iterations; negative runs until the partition no longer changes.
    rng
        Seed: the same seed gives the same partition.
    helix
        ``kind`` → helix for each community's triple-helix synergy (see :func:`triple_helix_synergy`).
    resolution
        Deprecated name of ``gamma`` (a ``DeprecationWarning``).

    Returns
    -------
    Communities
        Membership, per-community summary, modularity and the seed.

    Raises
    ------
    OptionError
        For an unknown method, a non-positive gamma, or ``n_iterations == 0``.
    MissingDependencyError
        Without igraph (extra ``network``).

    References
    ----------
    Traag, V. A., Waltman, L. & van Eck, N. J. (2019). From Louvain to Leiden: guaranteeing well-connected
    communities. *Scientific Reports* 9, 5233.

    Blondel, V. D., Guillaume, J.-L., Lambiotte, R. & Lefebvre, E. (2008). Fast unfolding of communities in large
    networks. *Journal of Statistical Mechanics* P10008.

    Reichardt, J. & Bornholdt, S. (2006). Statistical mechanics of community detection. *Physical Review E* 74,
    016110.

    Examples
    --------
    Two triangles joined by one tie:

    >>> from clusterwatch.analysis.network import build_graph
    >>> rel = pd.DataFrame({"source": ["a", "a", "b", "d", "d", "e", "c"],
    ...                     "target": ["b", "c", "c", "e", "f", "f", "d"]})
    >>> found = detect_communities(build_graph(rel, directed=False), rng=1)
    >>> found.labels().to_dict()
    {'a': 0, 'b': 0, 'c': 0, 'd': 1, 'e': 1, 'f': 1}
    """
    if method not in METHODS:
        raise OptionError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    gamma = modularity_gamma(gamma, resolution)
    if isinstance(n_iterations, bool) or int(n_iterations) == 0:
        raise OptionError(f"n_iterations must be a non-zero int (negative: until stable), got {n_iterations!r}")
    mapping = check_helix(helix)
    seed = resolve_seed(rng)
    g = graph.igraph(directed=False)
    with seeded_igraph(seed.entropy):
        if graph.n_edges == 0:
            raw = np.arange(graph.n_nodes)
        elif method == "leiden":
            raw = np.asarray(g.community_leiden(objective_function="modularity", weights="weight",
                                                resolution=gamma,
                                                n_iterations=int(n_iterations)).membership)
        else:
            raw = np.asarray(g.community_multilevel(weights="weight", resolution=gamma).membership)
    labels = relabel_by_size(raw)
    modularity = float(g.modularity(labels.tolist(), weights="weight")) if graph.n_edges else float("nan")
    membership = pd.DataFrame({"firm_id": graph.nodes["firm_id"].to_numpy(), "community": labels})
    return Communities(
        membership=membership, summary=describe_communities(graph, labels, helix=mapping),
        modularity=modularity, method=method, gamma=gamma, n_iterations=int(n_iterations),
        seed=seed.entropy,
    )


def relabel_by_size(raw: np.ndarray) -> np.ndarray:
    """Community labels 0, 1, … from the largest; equal sizes ordered by their first node."""
    raw = np.asarray(raw)
    uniq, first, inverse, counts = np.unique(raw, return_index=True, return_inverse=True, return_counts=True)
    order = np.lexsort((first, -counts))
    rank = np.empty(uniq.size, dtype=np.int64)
    rank[order] = np.arange(uniq.size)
    return rank[inverse]


def membership_codes(graph: NetworkGraph, membership: pd.Series | np.ndarray | Communities
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Group codes per node (``-1`` outside every group) and the group labels, from a membership.

    ``membership`` is a :class:`Communities`, a Series indexed by ``firm_id`` (nodes missing from it, or NA,
    belong to no group), or an array aligned with the nodes.
    """
    if isinstance(membership, Communities):
        membership = membership.labels()
    if isinstance(membership, pd.Series):
        values = graph.nodes["firm_id"].map(membership[~membership.index.duplicated()])
    else:
        values = pd.Series(np.asarray(membership, dtype=object))
        if len(values) != graph.n_nodes:
            raise InputError(f"membership has {len(values):,} values for {graph.n_nodes:,} nodes")
    codes, labels = pd.factorize(values, sort=True)
    return codes.astype(np.int64), np.asarray(labels)


def spherical_centres(group: np.ndarray, lat: np.ndarray, lon: np.ndarray, n_groups: int
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Centre (mean unit vector), located members and median distance to the centre (km) of each group.

    Members without coordinates are ignored; groups without located members get NaN.
    """
    ok = (group >= 0) & np.isfinite(lat) & np.isfinite(lon)
    g, la, lo = group[ok], np.radians(lat[ok]), np.radians(lon[ok])
    xyz = np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
    sums = np.column_stack([np.bincount(g, weights=xyz[:, k], minlength=n_groups) for k in range(3)])
    located = np.bincount(g, minlength=n_groups)
    with np.errstate(invalid="ignore"):
        c_lat = np.degrees(np.arctan2(sums[:, 2], np.hypot(sums[:, 0], sums[:, 1])))
        c_lon = np.degrees(np.arctan2(sums[:, 1], sums[:, 0]))
    c_lat[located == 0] = np.nan
    c_lon[located == 0] = np.nan
    dist = haversine_km(lat[ok], lon[ok], c_lat[g], c_lon[g])
    spread = pd.Series(dist).groupby(g).median().reindex(range(n_groups)).to_numpy(float)
    return c_lat, c_lon, located, spread


def describe_communities(graph: NetworkGraph, membership: pd.Series | np.ndarray | Communities, *,
                         helix: Mapping[str, str] | None = None, top: int = 3) -> pd.DataFrame:
    """Describe each group of a membership (communities, or any given clustering of the nodes).

    Columns: ``community``; ``size``; ``internal_ties`` and ``external_ties`` (edges with both / one endpoint in
    the group, undirected); ``internal_density``; ``n_<kind>`` and ``share_<kind>`` for firm, university,
    research, public, other and ``n_unknown`` (the triple-helix composition); ``sme_share`` among the
    ``sme_known`` members with a flag; ``lat``, ``lon`` (centre: spherical mean of ``located`` members) and
    ``spread_km`` (median distance to the centre); ``synergy_bits`` and ``synergy_units`` (Leydesdorff's T over
    the group's projects, each project described by the group's members in it; for direct ties, over the
    group's internal ties); ``top_members`` (names of the ``top`` members with most ties).

    Parameters
    ----------
    graph
        From :func:`build_graph`.
    membership
        The group of each node (node order), or :class:`Communities`.
    helix
        ``kind`` → helix for the synergy (see :func:`triple_helix_synergy`).
    top
        Members named in ``top_members``.

    Raises
    ------
    InputError
        When an array membership does not match the nodes.

    Examples
    --------
    >>> from clusterwatch.analysis.network import build_graph
    >>> rel = pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"]})
    >>> firms = pd.DataFrame({"firm_id": ["a", "b", "c"], "kind": ["firm", "university", "firm"]})
    >>> table = describe_communities(build_graph(rel, firms, directed=False), pd.Series({"a": 0, "b": 0, "c": 1}))
    >>> table[["community", "size", "internal_ties", "external_ties", "n_firm", "n_university"]].values.tolist()
    [[0, 2, 1, 1, 1, 1], [1, 1, 0, 1, 1, 0]]
    """
    codes, labels = membership_codes(graph, membership)
    n_groups = len(labels)
    nodes = graph.nodes
    u, v, _ = graph.simple
    cu, cv = codes[u], codes[v]
    internal = np.bincount(cu[(cu == cv) & (cu >= 0)], minlength=n_groups)
    cross = cu != cv
    external = (np.bincount(cu[cross & (cu >= 0)], minlength=n_groups)
                + np.bincount(cv[cross & (cv >= 0)], minlength=n_groups))
    size = np.bincount(codes[codes >= 0], minlength=n_groups)
    out = pd.DataFrame({"community": labels, "size": size, "internal_ties": internal, "external_ties": external})
    with np.errstate(invalid="ignore", divide="ignore"):
        out["internal_density"] = np.where(size > 1, 2.0 * internal / (size * (size - 1.0)), np.nan)
    kind = nodes["kind"].astype("object").where(nodes["kind"].notna(), None).to_numpy()
    member = codes >= 0
    for k in FIRM_KINDS:
        out[f"n_{k}"] = np.bincount(codes[member & (kind == k)], minlength=n_groups)
    out["n_unknown"] = size - out[[f"n_{k}" for k in FIRM_KINDS]].sum(axis=1).to_numpy()
    for k in FIRM_KINDS:
        out[f"share_{k}"] = out[f"n_{k}"] / out["size"].where(out["size"] > 0)
    sme = nodes["sme"].astype("object")
    known = member & sme.notna().to_numpy()
    sme_true = known & (sme == True).to_numpy()  # noqa: E712 - nullable flags
    out["sme_known"] = np.bincount(codes[known], minlength=n_groups)
    out["sme_share"] = np.bincount(codes[sme_true], minlength=n_groups) / out["sme_known"].where(
        out["sme_known"] > 0)
    lat = pd.to_numeric(nodes["lat"], errors="coerce").to_numpy(float)
    lon = pd.to_numeric(nodes["lon"], errors="coerce").to_numpy(float)
    c_lat, c_lon, located, spread = spherical_centres(codes, lat, lon, n_groups)
    out["located"], out["lat"], out["lon"], out["spread_km"] = located, c_lat, c_lon, spread
    synergy, units = _group_synergy(graph, codes, n_groups, check_helix(helix))
    out["synergy_bits"], out["synergy_units"] = synergy, units
    out["top_members"] = _top_members(graph, codes, n_groups, top)
    return out


def _group_synergy(graph: NetworkGraph, codes: np.ndarray, n_groups: int, mapping: dict[str, str]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Leydesdorff's T per group, vectorised over groups (same definition as :func:`triple_helix_synergy`)."""
    helix_code = {h: i for i, h in enumerate(HELICES)}
    node_helix = graph.nodes["kind"].astype("object").map(
        {k: helix_code[h] for k, h in mapping.items()}).to_numpy(dtype=float)
    if graph.mode == "projection" and len(graph.participations):
        node_ids = graph.nodes["firm_id"].to_numpy(str)
        firm = graph.participations["firm_id"].to_numpy(str)
        node_pos = np.minimum(np.searchsorted(node_ids, firm), len(node_ids) - 1)
        is_node = node_ids[node_pos] == firm
        unit = pd.factorize(graph.participations["project"])[0][is_node]
        group, helix = codes[node_pos[is_node]], node_helix[node_pos[is_node]]
    else:
        u, v, _ = graph.simple
        same = (codes[u] == codes[v]) & (codes[u] >= 0)
        tie = np.flatnonzero(same)
        unit = np.concatenate([tie, tie])
        group = np.concatenate([codes[u[same]], codes[v[same]]])
        helix = np.concatenate([node_helix[u[same]], node_helix[v[same]]])
    ok = (group >= 0) & np.isfinite(helix)
    frame = pd.DataFrame({"group": group[ok], "unit": unit[ok], "bit": (2 ** (2 - helix[ok])).astype(np.int64)})
    frame = frame.drop_duplicates()
    pattern = frame.groupby(["group", "unit"])["bit"].sum()  # u*4 + i*2 + g, distinct bits so sum = OR
    counts = np.zeros((n_groups, 8))
    if len(pattern):
        tally = pattern.groupby([pattern.index.get_level_values("group"), pattern.to_numpy()]).size()
        counts[tally.index.get_level_values(0), tally.index.get_level_values(1)] = tally.to_numpy()
    units = counts.sum(axis=1).astype(np.int64)
    return synergy_from_counts(counts.reshape(n_groups, 2, 2, 2)), units


def _top_members(graph: NetworkGraph, codes: np.ndarray, n_groups: int, top: int) -> list[str]:
    u, v, _ = graph.simple
    degree = np.bincount(np.concatenate([u, v]), minlength=graph.n_nodes)
    name = graph.nodes["name"].astype("object").where(graph.nodes["name"].notna(), graph.nodes["firm_id"])
    frame = pd.DataFrame({"group": codes, "degree": degree, "name": name.astype(str).to_numpy()})
    frame = frame[frame["group"] >= 0].sort_values(["group", "degree", "name"], ascending=[True, False, True])
    best = frame.groupby("group").head(top).groupby("group")["name"].agg("; ".join)
    return best.reindex(range(n_groups)).fillna("").tolist()
