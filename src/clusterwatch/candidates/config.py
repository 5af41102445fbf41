"""One settings table for the main job: :class:`CandidateConfig` feeds ``find_candidates``, the ``scan`` CLI, the
report's methods text and the README (a test checks that every setting is documented in all three).

Each field carries its help text and the CLI flag in its metadata, so the options, their defaults and the words
that explain them live in one place (the datasette habit of STYLE.md).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from clusterwatch.errors import OptionError

__all__ = ["STOP_WORD_PRESETS", "TEXT_METHODS", "CandidateConfig", "setting_help"]

#: How text activities can be made (the methods of :func:`clusterwatch.analysis.text.discover_activities`, named
#: here so that reading the settings does not load scikit-learn; a test checks that the two lists agree).
TEXT_METHODS: tuple[str, ...] = ("tfidf-svd-kmeans", "embedding-kmeans", "auto")

#: Stop-word presets of text activities: ``sbir`` (proposal boilerplate of award abstracts), ``dsbs`` (DSBS
#: ownership and certification words), ``no`` (Norwegian function words), ``none``.
STOP_WORD_PRESETS: tuple[str, ...] = ("none", "sbir", "dsbs", "no")


def _setting(default: Any, help: str, flag: str | None = None) -> Any:
    return field(default=default, metadata={"help": help, "flag": flag})


@dataclass(frozen=True)
class CandidateConfig:
    """Every setting of the main job (``clusterwatch scan`` / :func:`find_candidates`), validated on creation.

    Examples
    --------
    >>> CandidateConfig().min_firms
    5
    >>> CandidateConfig(min_firms=2)
    Traceback (most recent call last):
    ...
    clusterwatch.errors.OptionError: min_firms must be an int of at least 3, got 2
    """

    # what is scanned
    recent_years: int = _setting(5, "Firms founded within this many years before the as-of date are young.")
    min_firms: int = _setting(
        5, "Fewest firms an activity needs to be tested, and a candidate needs inside its circle.")
    max_radius_km: float | None = _setting(25.0, "Largest scan circle radius in km (none: no cap).")
    max_population: float = _setting(
        0.1, "Largest scan circle as a share of all firms scanned (a place, not a region).")
    max_clusters: int = _setting(
        10, "Most clusters reported per activity: the most likely and the secondary ones (all BH-adjusted).")
    permutations: int = _setting(
        999, "Monte Carlo replicates of the scan for activities that pass the screen.", "--permutations")
    screen_permutations: int | None = _setting(
        99, "Replicates of the first, coarse scan of every activity (none: no screen).")
    screen_alpha: float = _setting(
        0.05, "Activities whose most likely cluster reaches this p in the screen are scanned again in full.")
    alpha: float = _setting(0.05, "False-discovery rate across all clusters tested (Benjamini–Hochberg).")
    # status against the register's own base rates
    status_alpha: float = _setting(
        0.05, "False-discovery rate of the status tests (young, rising, falling, SME) across candidates.")
    trend_periods: int = _setting(10, "Complete years before the as-of date over which entries trends are tested.")
    min_date_coverage: float = _setting(
        0.5, "Ages are judged only when at least this share of the scanned firms has a founding date.")
    min_dated_years: int = _setting(
        8, "... and when founding dates span at least this many distinct years (a narrow window says nothing).")
    # merging pieces into candidates
    merge_overlap: float = _setting(
        0.5, "Pieces sharing at least this share of the smaller one's firms become one candidate; so do circles "
        "of related activities holding mostly the same firms (Jaccard at least this share).")
    site_km: float = _setting(
        1.0, "Circles up to this radius (km) are sites: touching circles of one activity that fit one site join "
        "one candidate (or extend it, when not significant alone); wider circles join only by shared firms.")
    # supporting evidence
    kd_max_candidates: int = _setting(20, "Kd (Duranton–Overman) is computed for at most this many candidates.")
    kd_max_firms: int = _setting(500, "... each with at most this many firms in its activities.")
    kd_permutations: int = _setting(99, "Replicates of Kd's global envelope.")
    # text activities
    use_text: bool = _setting(True, "Find activities in the firms' texts too.")
    entries: bool = _setting(
        True, "Test the young firms (founded within recent_years) as one more activity, whatever their codes, "
        "where the register's ages are known: a new cluster whose firms carry many codes.")
    text_method: str = _setting(
        "tfidf-svd-kmeans", "Text activities: tfidf-svd-kmeans (fast), embedding-kmeans or auto (sentence "
        "embeddings, cached).")
    stop_words: str = _setting(
        "auto", "Boilerplate removed from texts: auto (by the sources' formats), none, sbir, dsbs or no.")
    # which firms
    datasets: tuple[str, ...] | None = _setting(None, "Scan only these datasets (as stored in the workspace).")
    cities: tuple[str, ...] | None = _setting(None, "Scan only firms in these cities (case-insensitive).")
    bbox: tuple[float, float, float, float] | None = _setting(
        None, "Scan only firms inside min_lon,min_lat,max_lon,max_lat.")

    def __post_init__(self) -> None:
        _int(self, "recent_years", 1)
        _int(self, "min_firms", 3)
        _int(self, "max_clusters", 1)
        _int(self, "permutations", 9)
        _int(self, "trend_periods", 4)
        _int(self, "min_dated_years", 2)
        _int(self, "kd_max_candidates", 0)
        _int(self, "kd_max_firms", 10)
        _int(self, "kd_permutations", 9)
        if self.screen_permutations is not None:
            _int(self, "screen_permutations", 9)
        for name in ("alpha", "status_alpha", "screen_alpha"):
            _share(self, name, open_right=True)
        _share(self, "min_date_coverage")
        _share(self, "merge_overlap")
        if not isinstance(self.max_population, int | float) or not 0 < self.max_population <= 0.5:
            raise OptionError(f"max_population must be a share in (0, 0.5], got {self.max_population!r}")
        if not isinstance(self.site_km, int | float) or not (math.isfinite(self.site_km) and self.site_km > 0):
            raise OptionError(f"site_km must be a positive distance in km, got {self.site_km!r}")
        if self.max_radius_km is not None and not (
                isinstance(self.max_radius_km, int | float) and math.isfinite(self.max_radius_km)
                and self.max_radius_km > 0):
            raise OptionError(f"max_radius_km must be a positive distance or None, got {self.max_radius_km!r}")
        if self.text_method not in TEXT_METHODS:
            raise OptionError(f"text_method must be one of {', '.join(TEXT_METHODS)}, got {self.text_method!r}")
        if self.stop_words not in ("auto", *STOP_WORD_PRESETS):
            raise OptionError(f"stop_words must be one of auto, {', '.join(STOP_WORD_PRESETS)}; "
                              f"got {self.stop_words!r}")
        if self.bbox is not None:
            box = tuple(float(v) for v in self.bbox)
            if len(box) != 4 or not (box[0] < box[2] and box[1] < box[3]) or not all(map(math.isfinite, box)):
                raise OptionError(f"bbox must be min_lon,min_lat,max_lon,max_lat with min < max, got {self.bbox!r}")
            object.__setattr__(self, "bbox", box)
        for name in ("datasets", "cities"):
            value = getattr(self, name)
            if value is not None:
                if isinstance(value, str):
                    value = (value,)
                object.__setattr__(self, name, tuple(str(v) for v in value))

    def replace(self, **changes: Any) -> CandidateConfig:
        """A copy with some settings changed (validated again)."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise OptionError(f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(self.names())}")
        return dataclasses.replace(self, **changes)

    @classmethod
    def names(cls) -> list[str]:
        """The settings' names, in the order above."""
        return [f.name for f in dataclasses.fields(cls)]

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain values (tuples as lists), for the result's parameters and the report."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(self).items()}


def setting_help(name: str) -> str:
    """The help text of a setting (for the CLI and the docs).

    Parameters
    ----------
    name
        A field of :class:`CandidateConfig`, e.g. ``"min_firms"``.

    Raises
    ------
    OptionError
        For a name that is not a setting, listing the known ones.
    """
    for f in dataclasses.fields(CandidateConfig):
        if f.name == name:
            return str(f.metadata["help"])
    raise OptionError(f"unknown setting {name!r}; known: {', '.join(CandidateConfig.names())}")


def _int(config: CandidateConfig, name: str, least: int) -> None:
    value = getattr(config, name)
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise OptionError(f"{name} must be an int of at least {least}, got {value!r}")


def _share(config: CandidateConfig, name: str, *, open_right: bool = False) -> None:
    value = getattr(config, name)
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0 and (
        value < 1 if open_right else value <= 1)
    if not ok:
        raise OptionError(f"{name} must be a share in (0, 1{')' if open_right else ']'}, got {value!r}")
