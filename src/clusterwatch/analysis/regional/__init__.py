"""Regional analysis of established clusters: which clusters a region has, and how strong they are.

Start from a :class:`RegionalTable` — :func:`firms_to_regions` (firm-level input: counts and, where present,
employment, by any region column or H3 cells) or :func:`regional_table` (an aggregate table such as County Business
Patterns or a published cluster table) — then measure:

- :func:`location_quotients`: on employment and on counts, plain and in the US Cluster Mapping variant (traded
  clusters against traded employment);
- :func:`cluster_mapping_flags`: qualifying, significant, strong and strong10 clusters, the US Cluster Mapping rules;
- :func:`cluster_stars`: European Cluster Observatory stars for size, specialisation and focus;
- :func:`specialisation`: Krugman and Hoover specialisation of regions, Hoover localisation of industries;
- :func:`relatedness` (with :func:`proximity` and :func:`density`): proximity from co-occurrence and relatedness
  density; :func:`entry_exit`: industries entering and leaving regions between two dates;
- :func:`analyse_regions`: all of them, with each region's strongest clusters.

Every result carries the table's :class:`Provenance` (source, as-of date, regions, industries, rows left out) and
its own parameters. The functions are pure: no files, no printing, no workspace.
"""

from __future__ import annotations

from clusterwatch.analysis.regional.cluster_mapping import FLAGS, ClusterMappingFlags, cluster_mapping_flags
from clusterwatch.analysis.regional.firms import firms_to_regions
from clusterwatch.analysis.regional.profile import RegionalAnalysis, analyse_regions
from clusterwatch.analysis.regional.quotients import LocationQuotients, location_quotients
from clusterwatch.analysis.regional.relatedness import (
    EntryExit,
    Relatedness,
    density,
    entry_exit,
    proximity,
    relatedness,
)
from clusterwatch.analysis.regional.specialisation import Specialisation, specialisation
from clusterwatch.analysis.regional.stars import (
    DEFAULT_FOCUS_TOP,
    DEFAULT_SIZE_TOP,
    DEFAULT_SPECIALISATION_MIN,
    ClusterStars,
    cluster_stars,
)
from clusterwatch.analysis.regional.table import Provenance, RegionalTable, regional_table

__all__ = [
    "DEFAULT_FOCUS_TOP",
    "DEFAULT_SIZE_TOP",
    "DEFAULT_SPECIALISATION_MIN",
    "FLAGS",
    "ClusterMappingFlags",
    "ClusterStars",
    "EntryExit",
    "LocationQuotients",
    "Provenance",
    "RegionalAnalysis",
    "RegionalTable",
    "Relatedness",
    "Specialisation",
    "analyse_regions",
    "cluster_mapping_flags",
    "cluster_stars",
    "density",
    "entry_exit",
    "firms_to_regions",
    "location_quotients",
    "proximity",
    "regional_table",
    "relatedness",
    "specialisation",
]
