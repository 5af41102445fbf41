"""Relational clusters: collaboration and ownership networks, their communities, roles, health and synergy.

Relations (direct ties, or participations in shared projects) → :func:`build_graph` → :func:`analyse_network`, or
the steps one by one: :func:`detect_communities`, :func:`node_roles` (Giuliani–Bell, Gould–Fernandez, Burt,
betweenness), :func:`network_health` (with :func:`fragility`), :func:`triple_helix_synergy`,
:func:`link_to_space`. Needs igraph (extra ``network``).
"""

from clusterwatch.analysis.network.analysis import NetworkAnalysis, analyse_network, network_synergy
from clusterwatch.analysis.network.brokerage import BROKERAGE_ROLES, brokerage_roles
from clusterwatch.analysis.network.build import PROJECTION_BIAS, build_graph
from clusterwatch.analysis.network.centrality import betweenness, burt_constraint
from clusterwatch.analysis.network.communities import Communities, describe_communities, detect_communities
from clusterwatch.analysis.network.graph import NetworkGraph
from clusterwatch.analysis.network.health import Health, core_periphery, fragility, network_health
from clusterwatch.analysis.network.roles import GB_ROLES, Roles, giuliani_bell_roles, node_roles
from clusterwatch.analysis.network.space import CANDIDATE_COLUMNS, SpaceLink, link_to_space
from clusterwatch.analysis.network.synergy import DEFAULT_HELIX, HELICES, TripleHelixSynergy, triple_helix_synergy

__all__ = [
    "BROKERAGE_ROLES",
    "CANDIDATE_COLUMNS",
    "DEFAULT_HELIX",
    "GB_ROLES",
    "HELICES",
    "PROJECTION_BIAS",
    "Communities",
    "Health",
    "NetworkAnalysis",
    "NetworkGraph",
    "Roles",
    "SpaceLink",
    "TripleHelixSynergy",
    "analyse_network",
    "betweenness",
    "brokerage_roles",
    "build_graph",
    "burt_constraint",
    "core_periphery",
    "describe_communities",
    "detect_communities",
    "fragility",
    "giuliani_bell_roles",
    "link_to_space",
    "network_health",
    "network_synergy",
    "node_roles",
    "triple_helix_synergy",
]
