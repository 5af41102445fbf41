"""The canonical tables of clusterwatch (DESIGN.md, "Canonical firm schema").

Every reader and adapter produces these columns; the workspace stores them; analyses read them. The column lists
here are the single place that defines names, types and meanings: the CLI help, the README and a test that every
column is documented all read from them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One canonical column: its name, logical type, whether it is required, and what it means."""

    name: str
    dtype: str  # "str", "float", "date", "bool", "int"
    meaning: str
    required: bool = False


FIRM_COLUMNS: tuple[Column, ...] = (
    Column("firm_id", "str", "unique id of the firm within its dataset", required=True),
    Column("name", "str", "firm name"),
    Column("lat", "float", "latitude, WGS84 degrees (required, or derivable from postcode / X,Y)", required=True),
    Column("lon", "float", "longitude, WGS84 degrees (required, or derivable from postcode / X,Y)", required=True),
    Column(
        "geo_precision", "str",
        "how the location was obtained: point, postcode, district, zip, municipality, city, table",
    ),
    Column("code", "str", "primary official industry code, digits only (e.g. NAICS 541715, NACE 62.01 -> 6201)"),
    Column("code_system", "str", "naics, nace2, sn2007, uksic2007, or a local scheme name"),
    Column("codes", "str", "all official codes of the firm, ';'-separated, primary first"),
    Column("founded", "date", "founding / incorporation / entry date (a year alone becomes 1 January)"),
    Column("dissolved", "date", "dissolution / closure date"),
    Column("employees", "float", "number of employees (or jobs); size"),
    Column("sme", "bool", "small or medium-sized enterprise, where only a flag is known"),
    Column("size_class", "str", "size class as published (e.g. Companies House accounts category)"),
    Column("description", "str", "free text of what the firm does"),
    Column("kind", "str", "firm, university, research, public or other (the triple helix)"),
    Column("address", "str", "street address as published"),
    Column("city", "str", "city or post town"),
    Column("county", "str", "county (e.g. county FIPS code or name)"),
    Column("region", "str", "state, province, NUTS code or other region"),
    Column("postcode", "str", "postal code as published (normalised)"),
    Column("country", "str", "ISO 3166-1 alpha-2 country code"),
)

#: Dated evidence events about firms (awards, patents, projects, funding rounds, loans): the ``events`` table.
#: (Not "activities": an activity is what a scan tests, a code, a benchmark cluster or a text group.)
EVENT_COLUMNS: tuple[Column, ...] = (
    Column("firm_id", "str", "the firm the event belongs to", required=True),
    Column("date", "date", "when it happened (award year, project start, ...)"),
    Column("kind", "str", "award, project, patent, funding, licence ..."),
    Column("title", "str", "short title"),
    Column("text", "str", "free text (abstract, objective)"),
    Column("amount", "float", "money involved, in the source's currency"),
)

RELATION_COLUMNS: tuple[Column, ...] = (
    Column("source", "str", "firm id at the tie's origin", required=True),
    Column("target", "str", "firm id at the tie's end; empty when the tie is a shared project"),
    Column("project", "str", "shared project id (participations), empty for direct ties"),
    Column("date", "date", "when the tie started"),
    Column("kind", "str", "acquisition, participation, collaboration ..."),
    Column("weight", "float", "strength of the tie (money, count)"),
    Column("role", "str", "role in the project (coordinator, participant ...)"),
)

FIRM_KINDS: tuple[str, ...] = ("firm", "university", "research", "public", "other")
CODE_SYSTEMS: tuple[str, ...] = ("naics", "nace2", "uksic2007")

#: Provenance columns added by the pipeline to every stored row.
DATASET_COLUMN = "dataset"


FIRM_CODE_COLUMNS: tuple[Column, ...] = (
    Column("firm_id", "str", "the firm", required=True),
    Column("code", "str", "one official code of the firm, stored form", required=True),
    Column("code_system", "str", "the firm's code system"),
    Column("rank", "int", "0 for the primary code (``code``), then the order of ``codes``", required=True),
)
"""The normalised ``firm_codes`` table the workspace derives from ``code`` and ``codes``: one row per code."""


def __getattr__(name: str) -> object:
    if name == "ACTIVITY_COLUMNS":  # renamed: the dated-evidence table is ``events``
        import warnings

        warnings.warn("clusterwatch.schema.ACTIVITY_COLUMNS is now EVENT_COLUMNS", DeprecationWarning, stacklevel=2)
        return EVENT_COLUMNS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def names(columns: tuple[Column, ...]) -> list[str]:
    """Column names of a canonical table, in order."""
    return [c.name for c in columns]


def by_name(columns: tuple[Column, ...]) -> dict[str, Column]:
    """Canonical columns keyed by name."""
    return {c.name: c for c in columns}
