"""Network and space: how a spatial candidate's firms sit in the network, and whether a community is co-located."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from clusterwatch.analysis.geometry import haversine_km
from clusterwatch.analysis.network.communities import Communities, spherical_centres
from clusterwatch.analysis.network.graph import NetworkGraph
from clusterwatch.compute import Batch, batches, compute_map
from clusterwatch.errors import InputError, OptionError
from clusterwatch.stats import benjamini_hochberg, check_permutations, monte_carlo_p, resolve_seed

#: The spatial candidates input: one row per firm of a candidate (a firm may belong to several candidates).
CANDIDATE_COLUMNS: tuple[str, ...] = ("candidate_id", "firm_id")


@dataclass(frozen=True)
class SpaceLink:
    """Network ↔ space, from :func:`link_to_space`.

    Attributes
    ----------
    candidates
        One row per spatial candidate: ``candidate_id``, ``firms``, ``in_network`` (firms that are nodes),
        ``ties_among`` (ties between its firms), ``density_among`` (ties over pairs of its networked firms),
        ``tied_firms`` (its firms with a tie to another of its firms), ``communities`` (distinct communities of
        its firms), ``main_community`` and ``main_community_share``, ``same_community_share`` (share of its
        pairs of networked firms in one community) and ``expected_same_community_share`` (the same for two
        nodes drawn at random).
    communities
        One row per community: ``community``, ``size``, ``located``, ``spread_km`` (median distance to the
        centre), ``mean_distance_km`` (the test statistic: mean distance to the centre), ``p_value`` (how often
        as many nodes drawn at random from all located nodes are at least as close to their centre),
        ``q_value`` (Benjamini–Hochberg over the tested communities), ``colocated`` (q ≤ ``alpha``);
        with candidates also ``main_candidate`` and ``main_candidate_share`` (share of the community's members
        in the candidate holding most of them).
    permutations, alpha, min_size, seed
        The test's settings and seed.
    """

    candidates: pd.DataFrame = field(repr=False)
    communities: pd.DataFrame = field(repr=False)
    permutations: int
    alpha: float
    min_size: int
    seed: int

    def to_frame(self) -> pd.DataFrame:
        """The candidates table."""
        return self.candidates.copy()


def _check_candidates(candidates: pd.DataFrame) -> pd.DataFrame:
    for col in CANDIDATE_COLUMNS:
        if col not in candidates.columns:
            raise InputError(f"spatial candidates need columns {', '.join(CANDIDATE_COLUMNS)}; {col!r} is missing",
                             column=col)
    frame = candidates[list(CANDIDATE_COLUMNS)].astype("string")
    for col in CANDIDATE_COLUMNS:
        frame[col] = frame[col].str.strip()
    return frame.dropna().drop_duplicates().reset_index(drop=True)


def _mean_distance(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Mean great-circle distance (km) to the spherical centre, for each row of ``lat``/``lon`` (shape R × s)."""
    la, lo = np.radians(lat), np.radians(lon)
    x, y, z = np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)
    cx, cy, cz = x.mean(axis=1), y.mean(axis=1), z.mean(axis=1)
    c_lat = np.degrees(np.arctan2(cz, np.hypot(cx, cy)))
    c_lon = np.degrees(np.arctan2(cy, cx))
    return haversine_km(lat, lon, c_lat[:, None], c_lon[:, None]).mean(axis=1)


def _random_sets(task: tuple[Batch, np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    batch, lat, lon, sizes = task
    rng = batch.generator()
    out = np.empty((batch.size, len(sizes)))
    for r in range(batch.size):
        for j, s in enumerate(sizes):
            pick = rng.choice(lat.size, size=int(s), replace=False)
            out[r, j] = _mean_distance(lat[pick][None, :], lon[pick][None, :])[0]
    return out


def link_to_space(
    graph: NetworkGraph,
    communities: Communities,
    candidates: pd.DataFrame | None = None,
    *,
    permutations: int = 999,
    alpha: float = 0.05,
    min_size: int = 3,
    rng: int | np.random.Generator | None = None,
    scheduler: str | None = "threads",
    n_jobs: int | None = None,
) -> SpaceLink:
    """Link network communities and spatial candidates.

    For each spatial candidate (a set of firms found close together, e.g. by a spatial scan), how its firms sit
    in the network: ties among them, and whether they share communities. For each community, whether it is
    co-located: its members' mean distance to their centre is compared with that of as many nodes drawn at
    random (without replacement) from all located nodes, a one-sided Monte Carlo test, p = (M + 1) / (R + 1),
    with Benjamini–Hochberg over the communities tested.

    Parameters
    ----------
    graph
        From :func:`build_graph` (nodes with ``lat``/``lon``).
    communities
        From :func:`detect_communities` on the same graph.
    candidates
        Spatial candidates: ``candidate_id``, ``firm_id``, one row per firm of a candidate (:data:`CANDIDATE_COLUMNS`).
        Firms that are not nodes count in ``firms`` but not in ``in_network``.
    permutations
        Random sets per community size.
    alpha
        False-discovery rate for ``colocated``.
    min_size
        Communities with fewer located members are not tested (NaN).
    rng
        Seed.
    scheduler, n_jobs
        Where the random sets are drawn (:func:`clusterwatch.compute.compute_map`); results do not depend on it.

    Returns
    -------
    SpaceLink

    Raises
    ------
    InputError
        When ``candidates`` lacks a column.
    OptionError
        For bad ``permutations``, ``alpha`` or ``min_size``.

    References
    ----------
    Besag, J. & Diggle, P. J. (1977). Simple Monte Carlo tests for spatial pattern. *Applied Statistics* 26,
    327–333.

    Examples
    --------
    >>> from clusterwatch.analysis.network import build_graph, detect_communities
    >>> rel = pd.DataFrame({"source": ["a", "a", "b", "c"], "target": ["b", "c", "c", "d"]})
    >>> firms = pd.DataFrame({"firm_id": list("abcd"), "lat": [60.0, 60.1, 60.2, 48.0],
    ...                       "lon": [24.0, 24.1, 24.2, 11.0]})
    >>> graph = build_graph(rel, firms, directed=False)
    >>> link = link_to_space(graph, detect_communities(graph, rng=1),
    ...                      pd.DataFrame({"candidate_id": ["k", "k"], "firm_id": ["a", "b"]}), permutations=99, rng=1)
    >>> link.candidates[["candidate_id", "in_network", "ties_among", "same_community_share"]].values.tolist()
    [['k', 2, 1, 1.0]]
    """
    permutations = check_permutations(permutations)
    if isinstance(alpha, bool) or not 0 < float(alpha) < 1:
        raise OptionError(f"alpha must be in (0, 1), got {alpha!r}")
    if isinstance(min_size, bool) or not isinstance(min_size, int | np.integer) or min_size < 2:
        raise OptionError(f"min_size must be an int >= 2, got {min_size!r}")
    seed = resolve_seed(rng)
    labels = communities.labels().reindex(graph.nodes["firm_id"].to_numpy())
    if labels.isna().any():
        raise InputError("communities were found on another graph: some nodes have no community")
    codes = labels.to_numpy(np.int64)
    n_groups = int(codes.max()) + 1 if codes.size else 0
    lat = pd.to_numeric(graph.nodes["lat"], errors="coerce").to_numpy(float)
    lon = pd.to_numeric(graph.nodes["lon"], errors="coerce").to_numpy(float)
    c_lat, c_lon, located, spread = spherical_centres(codes, lat, lon, n_groups)
    ok = np.isfinite(lat) & np.isfinite(lon)
    mean_dist = pd.Series(haversine_km(lat[ok], lon[ok], c_lat[codes[ok]], c_lon[codes[ok]])).groupby(
        codes[ok]).mean().reindex(range(n_groups)).to_numpy(float)
    tested = (located >= min_size) & (located < ok.sum())
    sizes = np.unique(located[tested])
    p = np.full(n_groups, np.nan)
    if sizes.size:
        tasks = [(b, lat[ok], lon[ok], sizes) for b in batches(permutations, seed)]
        null = np.concatenate(compute_map(_random_sets, tasks, scheduler=scheduler, n_jobs=n_jobs))
        column = np.searchsorted(sizes, located[tested])
        p[tested] = np.asarray(monte_carlo_p(mean_dist[tested], null[:, column], alternative="less"), dtype=float)
    q = benjamini_hochberg(p)
    frame = pd.DataFrame({"community": np.arange(n_groups), "size": np.bincount(codes, minlength=n_groups),
                          "located": located, "spread_km": spread, "mean_distance_km": mean_dist,
                          "p_value": p, "q_value": q, "colocated": q <= alpha})
    cand = _candidate_table(graph, codes, None if candidates is None else _check_candidates(candidates))
    if candidates is not None and len(cand):
        frame = frame.join(_main_candidate(graph, codes, _check_candidates(candidates), n_groups))
    return SpaceLink(candidates=cand, communities=frame, permutations=permutations, alpha=float(alpha),
                     min_size=int(min_size), seed=seed.entropy)


def _positions(graph: NetworkGraph, firm_ids: pd.Series) -> np.ndarray:
    """Node position of each firm id, -1 where the firm is not a node."""
    node_ids = graph.nodes["firm_id"].to_numpy(str)
    ids = firm_ids.to_numpy(str)
    if len(node_ids) == 0:
        return np.full(len(ids), -1, dtype=np.int64)
    pos = np.minimum(np.searchsorted(node_ids, ids), len(node_ids) - 1)
    return np.where(node_ids[pos] == ids, pos, -1).astype(np.int64)


def _candidate_table(graph: NetworkGraph, codes: np.ndarray, candidates: pd.DataFrame | None) -> pd.DataFrame:
    columns = ["candidate_id", "firms", "in_network", "ties_among", "density_among", "tied_firms", "communities",
               "main_community", "main_community_share", "same_community_share", "expected_same_community_share"]
    if candidates is None or len(candidates) == 0:
        return pd.DataFrame(columns=columns)
    pos = _positions(graph, candidates["firm_id"])
    members = pd.DataFrame({"candidate_id": candidates["candidate_id"].to_numpy(), "node": pos})
    out = members.groupby("candidate_id", sort=True).agg(firms=("node", "size"),
                                                         in_network=("node", lambda s: int((s >= 0).sum())))
    net = members[members["node"] >= 0].copy()
    net["community"] = codes[net["node"].to_numpy()]
    u, v, _ = graph.simple
    edges = pd.DataFrame({"u": u, "v": v})
    inside = (net.rename(columns={"node": "u"})[["candidate_id", "u"]]
              .merge(edges, on="u").merge(net.rename(columns={"node": "v"})[["candidate_id", "v"]],
                                          on=["candidate_id", "v"]))
    out["ties_among"] = inside.groupby("candidate_id").size().reindex(out.index, fill_value=0)
    k = out["in_network"].astype(float)
    out["density_among"] = (out["ties_among"] / (k * (k - 1) / 2)).where(k > 1)
    tied = pd.concat([inside[["candidate_id", "u"]].rename(columns={"u": "node"}),
                      inside[["candidate_id", "v"]].rename(columns={"v": "node"})]).drop_duplicates()
    out["tied_firms"] = tied.groupby("candidate_id").size().reindex(out.index, fill_value=0)
    per = net.groupby(["candidate_id", "community"]).size().rename("n").reset_index()
    out["communities"] = per.groupby("candidate_id").size().reindex(out.index, fill_value=0)
    top = per.sort_values(["candidate_id", "n", "community"], ascending=[True, False, True]).drop_duplicates(
        "candidate_id").set_index("candidate_id")
    out["main_community"] = top["community"].reindex(out.index).astype("Int64")
    out["main_community_share"] = (top["n"].reindex(out.index) / k).where(k > 0)
    same_pairs = (per["n"] * (per["n"] - 1) / 2).groupby(per["candidate_id"]).sum().reindex(out.index, fill_value=0)
    out["same_community_share"] = (same_pairs / (k * (k - 1) / 2)).where(k > 1)
    sizes = np.bincount(codes).astype(float)
    n = float(len(codes))
    out["expected_same_community_share"] = (sizes * (sizes - 1)).sum() / (n * (n - 1)) if n > 1 else np.nan
    return out.reset_index()[columns]


def _main_candidate(graph: NetworkGraph, codes: np.ndarray, candidates: pd.DataFrame, n_groups: int
                    ) -> pd.DataFrame:
    pos = _positions(graph, candidates["firm_id"])
    keep = pos >= 0
    frame = pd.DataFrame({"candidate_id": candidates["candidate_id"].to_numpy()[keep],
                          "community": codes[pos[keep]]})
    per = frame.groupby(["community", "candidate_id"]).size().rename("n").reset_index()
    top = per.sort_values(["community", "n", "candidate_id"], ascending=[True, False, True]).drop_duplicates(
        "community").set_index("community")
    size = np.bincount(codes, minlength=n_groups)
    out = pd.DataFrame(index=pd.RangeIndex(n_groups))
    out["main_candidate"] = top["candidate_id"].reindex(out.index)
    out["main_candidate_share"] = top["n"].reindex(out.index) / size
    return out
