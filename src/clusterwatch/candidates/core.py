"""Candidates: the analyses' evidence combined into ranked cluster candidates, in stages with one result each.

``find_candidates`` = snapshot (:func:`select_firms`) → activities (:func:`build_activities`) → concentration
(:func:`test_concentration`: every cluster tested) → pieces (significant clusters) → merge
(:func:`~clusterwatch.candidates.merge.merge_pieces`) → evidence on each merged candidate, failures recorded →
status against the register's base rates (:mod:`clusterwatch.candidates.status`) → rank → Kd for the leaders.

Pure: frames in, a frozen :class:`CandidateResult` out; no files, no printing.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from clusterwatch.analysis.geometry import haversine_km
from clusterwatch.analysis.space import bernoulli_scan_each, kd
from clusterwatch.candidates.activities import (
    CODE_LEVELS,
    Activity,
    code_activities,
    code_families,
    code_keys,
    firm_texts,
    related_activities,
    shared_code_members,
    text_activities,
)
from clusterwatch.candidates.config import CandidateConfig
from clusterwatch.candidates.evidence import (
    AREA_PRECISIONS,
    BaseRates,
    age_evidence,
    base_rates,
    ehsa_category,
    ehsa_cells,
    network_ties,
    sme_evidence,
    sme_flags,
)
from clusterwatch.candidates.merge import (
    broader_activities,
    context_pieces,
    merge_pieces,
    one_site,
    site_extensions,
)
from clusterwatch.candidates.status import assign_status, score_of
from clusterwatch.codes import code_title, truncate
from clusterwatch.errors import InputError, OptionError
from clusterwatch.language import choose_text_method
from clusterwatch.snapshot import known_on
from clusterwatch.stats import Seed, benjamini_hochberg, gumbel_p, resolve_seed

__all__ = ["CANDIDATE_COLUMNS", "CandidateResult", "Concentration", "build_activities", "find_candidates",
           "select_firms", "test_concentration"]

CANDIDATE_COLUMNS = [
    "candidate_id", "label", "status", "score", "n_firms", "n_pieces", "pieces", "context_pieces", "same_site",
    "activity", "activity_source",
    "keywords", "lat", "lon", "radius_km", "p_value", "q_value", "llr", "peak_relative_risk", "relative_risk",
    "location_quotient",
    "expected", "n_area", "age_evidence", "n_dated", "n_recent", "recent_share", "base_recent_share", "young_q",
    "trend", "trend_z", "rising_q", "falling_q", "ehsa_category", "sme_share", "base_sme_share", "sme_driven",
    "sme_q", "anchor_share", "code_coverage", "top_codes", "unclassified", "first_period", "kd_localised",
    "internal_ties", "tie_density",
]
TESTED_COLUMNS = ["activity_id", "cluster", "lat", "lon", "radius_km", "locations", "firms", "cases", "expected",
                  "relative_risk", "llr", "p_value", "p_gumbel", "p_used", "permutations", "q_value", "outcome"]
CONTEXT_FIRM_COLUMNS = ["candidate_id", "firm_id", "reason"]
#: A young-firms circle's young firms are sorted into shared work and context only where chance (the register's
#: young share of the circle's firms, the scan's expected count) could account for more than this share of them;
#: below it the circle is a new place (a new building or park), chance young firms are too few to matter, and a
#: trade held once at the site is as much the cluster as one held twice.
CHANCE_SHARE = 0.25
#: Why a young firm in a young-firms candidate's circle is context, not a member.
NOT_SHARED = "young, but its code does not recur among the circle's young firms"
PIECE_COLUMNS = ["piece_id", "candidate_id", "role", "activity_id", "source", "label", "cluster", "lat", "lon",
                 "radius_km", "n_firms", "n_area", "relative_risk", "llr", "p_value", "q_value"]


@dataclass(frozen=True)
class CandidateResult:
    """Ranked cluster candidates with their firms, pieces and evidence.

    Attributes
    ----------
    candidates
        One row per candidate, best score first (columns :data:`CANDIDATE_COLUMNS`).
    candidate_firms
        ``candidate_id, firm_id``: the union of the pieces' firms.
    pieces
        Every significant cluster that went into a candidate (:data:`PIECE_COLUMNS`), by ``role``: ``core``,
        ``extension`` (a circle of the same activity beside a core piece that completes its site: another
        significant circle of one rate, or one not significant alone) or ``context`` (a broader activity's piece,
        listed, its other firms not added). ``n_firms`` and ``n_area`` count each row's own circle.
    tested
        Every cluster tested (:data:`TESTED_COLUMNS`), with its ``outcome``: ``piece``, ``not significant``,
        ``one address`` (a building or mall, not a place), ``too few firms``, ``no shared code`` (a young-firms
        circle whose young firms share no code: :func:`~clusterwatch.candidates.activities.shared_code_members`)
        or ``extension`` (a circle that is not significant alone but extends a piece's circle to the whole site:
        :func:`~clusterwatch.candidates.merge.site_extensions`).
    activities
        Every activity tested: ``activity_id, source, label, n_firms, clusters_tested, best_p, best_q``.
    entries
        ``candidate_id, period, entries, register_entries`` per trend year.
    kd_curves
        Candidate id → Kd curve frame of its activities' firms, for the leading candidates.
    examples
        ``candidate_id, firm_id, name, text``: up to five example firms per candidate.
    failures
        ``stage, subject, error``: evidence that could not be computed, and why (nothing is dropped silently).
    notes
        What a reader must know about the run (ignored codes, unknown ages ...).
    base_rates
        The register's base rates the statuses are measured against (:class:`BaseRates`).
    text_method
        How text activities were made (``none`` when no texts).
    config
        The settings.
    parameters
        Everything that made the result, the full seed included.
    seed, seed_spawn_key
        The seed (entropy and spawn key) that repeats the run.
    context_firms
        ``candidate_id, firm_id, reason``: firms in a candidate's circle that are shown with it but are not its
        members — the young firms of a young-firms piece whose codes do not recur there.
    """

    candidates: pd.DataFrame
    candidate_firms: pd.DataFrame
    pieces: pd.DataFrame
    tested: pd.DataFrame
    activities: pd.DataFrame
    entries: pd.DataFrame
    kd_curves: dict[str, pd.DataFrame] = field(repr=False)
    examples: pd.DataFrame = field(repr=False)
    failures: pd.DataFrame
    notes: tuple[str, ...]
    base_rates: BaseRates = field(repr=False)
    text_method: str
    config: CandidateConfig
    parameters: dict[str, Any]
    seed: int
    seed_spawn_key: tuple[int, ...] = ()
    context_firms: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CONTEXT_FIRM_COLUMNS),
                                        repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The candidates (a copy)."""
        return self.candidates.copy()

    def to_geodataframe(self, firms: pd.DataFrame | None = None, *, layer: str = "circles") -> Any:
        """The candidates as a GeoDataFrame (extra ``geo``): ``circles``, ``member_firms`` (needs ``firms``) or
        ``cells`` — the layers of ``candidates.gpkg`` (:func:`clusterwatch.report.gis.to_geodataframe`)."""
        from clusterwatch.report.gis import to_geodataframe

        return to_geodataframe(self, firms, layer=layer)

    def _repr_html_(self) -> str:
        """A notebook table of the leading candidates (:func:`clusterwatch.report.notebook.candidates_repr_html`)."""
        from clusterwatch.report.notebook import candidates_repr_html

        return candidates_repr_html(self)


# ----------------------------------------------------------------------------------------------------------------
# stage 0: the snapshot
# ----------------------------------------------------------------------------------------------------------------


def select_firms(firms: pd.DataFrame, config: CandidateConfig,
                 as_of: pd.Timestamp | None) -> tuple[pd.DataFrame, list[str]]:
    """The firms scanned: known on ``as_of`` (:func:`clusterwatch.snapshot.known_on`), located, inside the
    config's datasets / cities / bounding box, in a canonical order (dataset, firm id) so that the input's row
    order never matters.

    Parameters
    ----------
    firms
        Canonical firm table (``firm_id``, ``lat``, ``lon``; ``founded``, ``dissolved``, ``dataset``, ``city``
        where the config selects on them).
    config
        The settings; ``datasets``, ``cities`` and ``bbox`` choose the firms.
    as_of
        The date of the snapshot, or None for every firm.

    Returns
    -------
    tuple of (pandas.DataFrame, list of str)
        The firms scanned and notes on what was left out.
    """
    for column in ("firm_id", "lat", "lon"):
        if column not in firms:
            raise InputError(f"firms need a {column!r} column")
    notes = []
    out = known_on(firms, as_of, kind="firms")
    if as_of is not None and len(out) < len(firms):
        notes.append(f"{len(firms) - len(out):,} firms founded after {as_of:%Y-%m-%d} or dissolved by then "
                     "are left out")
    if config.datasets is not None:
        if "dataset" not in out:
            raise OptionError("datasets is set but the firms have no 'dataset' column")
        missing = sorted(set(config.datasets) - set(out["dataset"].astype(str)))
        if missing:
            known = ", ".join(sorted(set(out["dataset"].astype(str))))
            raise OptionError(f"dataset(s) {', '.join(missing)} not among the firms' datasets: {known}")
        out = out[out["dataset"].astype(str).isin(config.datasets)]
    if config.cities is not None:
        if "city" not in out:
            raise OptionError("cities is set but the firms have no 'city' column")
        wanted = {c.strip().casefold() for c in config.cities}
        out = out[out["city"].astype("string").str.strip().str.casefold().isin(wanted).fillna(False).to_numpy()]
    located = out["lat"].notna() & out["lon"].notna()
    if not located.all():
        notes.append(f"{int((~located).sum()):,} firms without coordinates are left out")
    out = out[located.to_numpy()]
    if config.bbox is not None:
        min_lon, min_lat, max_lon, max_lat = config.bbox
        inside = out["lon"].between(min_lon, max_lon) & out["lat"].between(min_lat, max_lat)
        out = out[inside.to_numpy()]
    keys = ["dataset", "firm_id"] if "dataset" in out else ["firm_id"]
    out = out.assign(firm_id=out["firm_id"].astype(str)).sort_values(keys, kind="stable").reset_index(drop=True)
    return out, notes


# ----------------------------------------------------------------------------------------------------------------
# stage 1: activities
# ----------------------------------------------------------------------------------------------------------------


def build_activities(firms: pd.DataFrame, events: pd.DataFrame | None, config: CandidateConfig, seed: Seed, *,
                     as_of: pd.Timestamp, text_cache: Any = None,
                     young: np.ndarray | None = None) -> tuple[list[Activity], str, list[str]]:
    """The activities to test: codes at useful levels, benchmark clusters and text groups, each with at least
    ``min_firms`` firms; and, with ``config.entries`` and a ``young`` mask (given only where the register's ages
    are known), the young firms themselves (``entries:young``): a new cluster whose firms carry many codes, none
    with ``min_firms`` firms at the site, is concentrated only as young firms. Undated firms count as not young.

    Parameters
    ----------
    firms
        The firms scanned (:func:`select_firms`).
    events
        Their dated events (or None): the events' texts join the descriptions as text.
    config
        The settings (``min_firms``, ``use_text``, ``text_method``, ``stop_words``, ``entries``, ``recent_years``).
    seed
        The run's seed; the text step draws from its child ``"text"``.
    as_of
        The date of the analysis (text novelty, and the start of "young").
    text_cache
        Where sentence embeddings are cached, for the embedding text methods.
    young
        Per firm, whether it is young (only where the register's ages are known); None leaves the young firms out.

    Returns
    -------
    tuple of (list of Activity, str, list of str)
        The activities (sorted by id), the text method and notes.
    """
    notes = []
    if "code" in firms and firms["code"].notna().any():
        systems = firms["code_system"] if "code_system" in firms else pd.Series(pd.NA, index=firms.index)
        unknown = firms["code"].notna() & systems.isna()
        if unknown.any():
            notes.append(f"{int(unknown.sum()):,} firms have codes in column 'code' but no code system, so their "
                         "codes are not tested: set it with --code-system naics|nace2|uksic2007|sn2007")
    acts = code_activities(firms, min_firms=config.min_firms) if "code_system" in firms else []
    text_method = "none"
    if config.use_text:
        texts = firm_texts(firms, events)
        if not texts.empty:
            # the activities command's rule: the packaged embedding model reads English
            choice = choose_text_method(config.text_method, texts["text"])
            if choice.switched:
                notes.append(f"text activities: {choice.note} Set text_method to embedding-kmeans "
                             "(--text-method) to use the embeddings anyway.")
            elif choice.note:
                notes.append(f"text activities: {choice.note} text_method tfidf-svd-kmeans (--text-method) groups "
                             "them by their words.")
            text_seed = int(seed.child("text").generate_state(1)[0])
            found, text_method = text_activities(firms, texts, min_firms=config.min_firms, as_of=as_of,
                                                 rng=text_seed, method=choice.method, cache=text_cache,
                                                 stop_words=config.stop_words)
            acts += found
            if text_method.startswith("keywords"):
                notes.append(f"text activities fell back to {text_method}")
    if config.entries and young is not None:
        since = as_of - pd.DateOffset(years=config.recent_years)
        acts.append(Activity("entries:young", "entries", f"Young firms (founded since {since:%Y-%m-%d})",
                             np.asarray(young, dtype=bool), keywords="young firms", top_codes=""))
    acts = sorted((a for a in acts if config.min_firms <= a.members.sum() < len(firms)),
                  key=lambda a: a.activity_id)
    return acts, text_method, notes


# ----------------------------------------------------------------------------------------------------------------
# stage 2: concentration
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Concentration:
    """Every cluster tested (``tested``, BH-adjusted across all activities) and the scans that found them."""

    tested: pd.DataFrame
    scans: dict[str, Any] = field(repr=False)


def test_concentration(firms: pd.DataFrame, acts: list[Activity], config: CandidateConfig,
                       seed: Seed, scheduler: str | None = None) -> Concentration:
    """Bernoulli spatial scan of every activity against all firms (Kulldorff 1997), windows capped at
    ``max_population`` and ``max_radius_km``, at least ``min_firms`` cases; the most likely and up to
    ``max_clusters − 1`` secondary clusters of every activity are adjusted with activities as families
    (:func:`_family_q`: BH over the activities' most likely clusters, then BH within the selected activities at
    level α R / m; Benjamini & Bogomolov 2014). Where a cluster's LLR exceeds every replicate, its p-value is
    the Gumbel approximation of Abrams, Kleinman & Kulldorff (2010) (``p_gumbel``), since the Monte Carlo floor
    1 / (R + 1) would otherwise hide strong clusters when hundreds of activities are tested; ``p_value`` keeps
    the Monte Carlo p-value, ``p_used`` says which went into the adjustment.

    With ``screen_permutations``, every activity is first scanned with that many replicates and those whose most
    likely cluster reaches p ≤ ``screen_alpha`` again with ``permutations``; the others keep their screening
    p-values (valid Monte Carlo p-values, only coarser). Each activity's replicates come from a child seed keyed
    by its id, so adding or removing another activity changes nothing else.

    Parameters
    ----------
    firms
        The firms scanned (:func:`select_firms`).
    acts
        The activities to test (:func:`build_activities`), their member masks aligned on ``firms``.
    config
        The settings (windows, replicates, screen, ``alpha``).
    seed
        The run's seed; each activity scans with its child keyed by the activity id.
    scheduler
        Where the replicates run (:func:`clusterwatch.compute.compute_map`); the result does not depend on it.
    """
    if not acts:
        return Concentration(pd.DataFrame(columns=TESTED_COLUMNS), {})
    masks = {a.activity_id: a.members for a in acts}
    options = dict(max_population=config.max_population, max_radius=config.max_radius_km,
                   max_clusters=config.max_clusters, min_cases=config.min_firms)
    screen = config.screen_permutations
    screened = screen is not None and screen < config.permutations
    first = int(screen) if screened and screen is not None else config.permutations
    scans = bernoulli_scan_each(firms, masks, permutations=first, rng=seed.child("scan"),
                                scheduler=scheduler or "threads", **options)  # type: ignore[arg-type]
    used = dict.fromkeys(masks, first)
    if screened:
        keep = {k: masks[k] for k, r in scans.items()
                if len(r.clusters) and r.clusters["p_value"].min() <= config.screen_alpha}
        if keep:
            scans.update(bernoulli_scan_each(firms, keep, permutations=config.permutations,
                                             rng=seed.child("refine"), scheduler=scheduler or "threads",
                                             **options))  # type: ignore[arg-type]
            used.update(dict.fromkeys(keep, config.permutations))
    frames = []
    for activity_id, result in scans.items():
        clusters = result.clusters
        if clusters.empty:
            continue
        monte_carlo = clusters["p_value"].to_numpy(dtype=float)
        gumbel = gumbel_p(clusters["llr"].to_numpy(dtype=float), result.simulated_llr)
        floor = 1.0 / (used[activity_id] + 1)
        frames.append(pd.DataFrame({
            "activity_id": activity_id, "cluster": clusters["cluster"].astype(int), "lat": clusters["lat"],
            "lon": clusters["lon"], "radius_km": clusters["radius"], "locations": clusters["locations"],
            "firms": clusters["firms"], "cases": clusters["cases"], "expected": clusters["expected"],
            "relative_risk": clusters["relative_risk"], "llr": clusters["llr"], "p_value": monte_carlo,
            "p_gumbel": gumbel, "p_used": np.where((monte_carlo <= floor) & np.isfinite(gumbel), gumbel, monte_carlo),
            "permutations": used[activity_id]}))
    tested = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=TESTED_COLUMNS[:-2])
    tested["q_value"] = _family_q(tested, config.alpha) if len(tested) else []
    tested["outcome"] = np.where(tested["q_value"] <= config.alpha, "piece", "not significant")
    return Concentration(tested.reset_index(drop=True), scans)


# ----------------------------------------------------------------------------------------------------------------
# the main job
# ----------------------------------------------------------------------------------------------------------------


def find_candidates(
    firms: pd.DataFrame,
    events: pd.DataFrame | None = None,
    *,
    as_of: str | pd.Timestamp | None = None,
    config: CandidateConfig | None = None,
    relations: pd.DataFrame | None = None,
    text_cache: Any = None,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    scheduler: str | None = None,
    **settings: Any,
) -> CandidateResult:
    """Cluster candidates: activities significantly concentrated in a place, merged, with their evidence.

    1. Snapshot: only firms known on ``as_of`` (founded by then, not dissolved), located, inside the config's
       datasets / cities / box, in canonical order; events and relations dated by then.
    2. Activities: official codes at useful levels and benchmark clusters, and text groups (boilerplate removed
       with the ``stop_words`` preset); each needs ``min_firms`` firms.
    3. Concentration (:func:`test_concentration`): every cluster tested, BH-adjusted; clusters with
       q ≤ ``alpha`` holding at least ``min_firms`` of the activity's firms at more than one address are pieces.
    4. Merge: pieces sharing ``merge_overlap`` of the smaller one's firms, or whose circles hold mostly the same
       firms, become one candidate (:func:`~clusterwatch.candidates.merge.merge_pieces`); its firms are the
       union of the pieces' firms; its circle is centred on its best piece and holds all its firms.
    5. Evidence on the union: young firms, entries per year and their trend *relative to the register's*, SME
       and anchor shares, location quotient and relative risk of the union's area, emerging hot spot category,
       ties among its firms (where ``relations`` are given); failures are recorded in ``failures``.
    6. Status against the register's base rates (:mod:`clusterwatch.candidates.status`); a continuous score
       (:func:`~clusterwatch.candidates.status.score_of`), ties broken by LLR, firms and the firm ids, never by
       code order; Duranton–Overman Kd for the leading candidates.

    Parameters
    ----------
    firms
        Canonical firm table (``firm_id``, ``lat``, ``lon``; ``founded``, ``dissolved``, ``code``,
        ``code_system``, ``codes``, ``sme``, ``employees``, ``description``, ``dataset``, ``city`` where known).
    events
        Optional dated events (``firm_id, date, title, text``), e.g. SBIR awards with abstracts: their texts join
        the firms' descriptions as text (``activities=``, the old name of this parameter, is still accepted with a
        ``DeprecationWarning``).
    as_of
        The date of the analysis; default the latest founding or event date.
    config
        The settings (:class:`CandidateConfig`); ``settings`` keywords override single fields.
    relations
        Optional relations (``source, target`` or ``project``) for the ties among a candidate's firms.
    text_cache
        Where sentence embeddings are cached (a workspace or a cache file) for the embedding text methods.
    rng
        Seed; every random step draws from a child of it keyed by the step's name, so the same seed gives the
        same result.
    progress
        Optional callback ``(message, done, total)``.
    scheduler
        Where the scan's replicates run (:func:`clusterwatch.compute.compute_map`: ``threads`` by default,
        ``serial``, ``processes``, ``tcp://host:port`` or ``local:N`` for Dask); not a setting: the result is the
        same on any.

    Returns
    -------
    CandidateResult

    Raises
    ------
    InputError
        For firms without coordinates or too few firms.
    OptionError
        For settings outside their ranges.

    References
    ----------
    Kulldorff, M. (1997). A spatial scan statistic. Duranton, G. & Overman, H. G. (2005). Testing for
    localization using micro-geographic data. Benjamini, Y. & Hochberg, Y. (1995). Armitage, P. (1955).
    """
    if "activities" in settings:  # the old name of ``events``
        warnings.warn("find_candidates(activities=) is now find_candidates(events=)", DeprecationWarning,
                      stacklevel=2)
        old = settings.pop("activities")
        events = old if events is None else events
    config = (config or CandidateConfig()).replace(**settings) if settings else (config or CandidateConfig())
    seed = resolve_seed(rng)
    tell = progress or (lambda message, done, total: None)
    as_of_ts = None if as_of is None else pd.Timestamp(as_of)
    scanned, notes = select_firms(firms, config, as_of_ts)
    if events is not None:
        events = known_on(events, as_of_ts, kind="events")
    if relations is not None:
        relations = known_on(relations, as_of_ts, kind="relations")
    if len(scanned) < 2 * config.min_firms:
        raise InputError(f"too few located firms to scan: {len(scanned)} (need at least {2 * config.min_firms})")
    founded = (pd.to_datetime(scanned["founded"], errors="coerce") if "founded" in scanned
               else pd.Series(pd.NaT, index=scanned.index, dtype="datetime64[ns]"))
    if as_of_ts is None:
        dates = [founded.max()]
        if events is not None and len(events):
            dates.append(pd.to_datetime(events["date"], errors="coerce").max())
        known = [d for d in dates if pd.notna(d)]
        as_of_ts = max(known) if known else pd.Timestamp.today().normalize()
    if events is not None:
        events = events[events["firm_id"].astype(str).isin(set(scanned["firm_id"]))]

    recent_from = as_of_ts - pd.DateOffset(years=config.recent_years)
    last_year = as_of_ts.year if (as_of_ts.month, as_of_ts.day) == (12, 31) else as_of_ts.year - 1
    years = np.arange(last_year - config.trend_periods + 1, last_year + 1)
    sme = sme_flags(scanned)
    base = base_rates(founded, sme, recent_from=recent_from, years=years,
                      min_date_coverage=config.min_date_coverage, min_dated_years=config.min_dated_years)
    if not base.ages_known:
        notes.append(f"ages unknown: {base.age_reason}; no candidate is called spawning, emerging, established "
                     "or declining (status 'concentrated')")
    young = (founded >= recent_from).to_numpy(dtype=bool) if base.ages_known else None

    tell("activities", 0, 6)
    acts, text_method, more = build_activities(scanned, events, config, seed, as_of=as_of_ts,
                                               text_cache=text_cache, young=young)
    notes += more
    tell(f"scanning {len(acts)} activities", 1, 6)
    concentration = test_concentration(scanned, acts, config, seed, scheduler)
    tested = concentration.tested

    tell("pieces and merging", 2, 6)
    by_id = {a.activity_id: a for a in acts}
    precision = (scanned["geo_precision"].astype("string").str.lower() if "geo_precision" in scanned
                 else pd.Series(pd.NA, index=scanned.index, dtype="string"))
    point_level = ~precision.isin(sorted(AREA_PRECISIONS)).fillna(False).to_numpy(dtype=bool)
    # a young-firms piece holds the young firms whose codes recur in its circle (where the register's young firms
    # have codes at all, and chance could account for more than CHANCE_SHARE of the circle's young firms); the
    # circle's other young firms are its context
    keys = code_keys(scanned) if young is not None else None
    if keys is not None and not keys[young].notna().any():
        keys = None
    pieces: list[dict[str, Any]] = []
    n_not_shared = 0
    rows_of = ({a: rows.to_numpy() for a, rows in tested.groupby("activity_id", sort=False).groups.items()}
               if len(tested) else {})
    for k in np.flatnonzero(tested["outcome"].to_numpy() == "piece") if len(tested) else []:
        row = tested.iloc[int(k)]
        result = concentration.scans[row["activity_id"]]
        mask = by_id[row["activity_id"]].members
        area = np.sort(result.firms_in(int(row["cluster"])).to_numpy())
        if int(row["locations"]) < 2 and point_level[area].all():
            tested.loc[int(k), "outcome"] = "one address"  # a building or a mall is not a place
            continue
        # the site's other circles of the activity that the scan's no-overlap rule cut off (site_extensions)
        extensions = _extensions(tested, int(k), rows_of[row["activity_id"]], result, mask, area, config.site_km)
        own_area = len(area)  # the circle's own counts, for the pieces table (the zone's are the candidate's)
        for e in extensions:
            tested.loc[e["row"], "outcome"] = "extension"
            area = np.union1d(area, e["area"])
        members = area[mask[area]]
        if len(members) < config.min_firms:
            tested.loc[int(k), "outcome"] = "too few firms"
            continue
        context_rows = np.array([], dtype=np.int64)
        if keys is not None and by_id[row["activity_id"]].source == "entries" and \
                int(mask.sum()) * len(area) / len(mask) > CHANCE_SHARE * len(members):
            shared = shared_code_members(members, keys, mask)
            context_rows = np.setdiff1d(members, shared)
            members = shared
            if len(members) < config.min_firms:
                tested.loc[int(k), "outcome"] = "no shared code"
                continue
            n_not_shared += len(context_rows)
        for e in extensions:
            e["members"] = np.intersect1d(e["area"], members)
        own = (len(members) - sum(len(e["members"]) for e in extensions), own_area)
        pieces.append({"activity_id": row["activity_id"], "cluster": int(row["cluster"]), "lat": float(row["lat"]),
                       "lon": float(row["lon"]), "own": own, "radius_km": float(row["radius_km"]), "members": members,
                       "area": area, "context": context_rows, "relative_risk": float(row["relative_risk"]),
                       "llr": float(row["llr"]), "extensions": extensions, "cases": int(mask[area].sum()),
                       "p_value": float(row["p_value"]), "q_value": float(row["q_value"])})
    if keys is not None and (n_not_shared or (tested["outcome"] == "no shared code").any()):
        notes.append(f"young-firms pieces hold the young firms whose codes recur in their circle; "
                     f"{n_not_shared:,} other young firms in their circles are context, not members, and "
                     f"{int((tested['outcome'] == 'no shared code').sum()):,} young-firms circles share no code")
    # one activity's significant circles that are one site are one piece (the scan cut the site in two)
    pieces = _join_sites(pieces, config.site_km)
    # broad pieces holding a narrower one are its context (listed, their other firms not added); the rest merge
    attribute = [by_id[p["activity_id"]].source == "entries" for p in pieces]
    piece_acts = sorted({p["activity_id"] for p in pieces})
    wider = broader_activities([by_id[a].members for a in piece_acts])
    kin = related_activities([by_id[a].members for a in piece_acts], code_families(scanned))
    index = np.array([piece_acts.index(p["activity_id"]) for p in pieces], dtype=np.int64)
    context = context_pieces([p["members"] for p in pieces], len(scanned), overlap=config.merge_overlap,
                             attributes=attribute, broader=wider[np.ix_(index, index)] if len(pieces) else None,
                             least=config.min_firms)
    core_ids = [i for i in range(len(pieces)) if i not in context]
    merged = merge_pieces([pieces[i]["members"] for i in core_ids], [pieces[i]["area"] for i in core_ids],
                          len(scanned), overlap=config.merge_overlap,
                          centres=np.array([[pieces[i]["lat"], pieces[i]["lon"]] for i in core_ids]).reshape(-1, 2),
                          radii=np.array([pieces[i]["radius_km"] for i in core_ids]),
                          activity_ids=[pieces[i]["activity_id"] for i in core_ids], site_km=config.site_km,
                          attributes=[attribute[i] for i in core_ids],
                          related=kin[np.ix_(index[core_ids], index[core_ids])] if core_ids else None,
                          nested=wider[np.ix_(index[core_ids], index[core_ids])] if core_ids else None)
    groups = [[core_ids[j] for j in group] for group in merged]
    group_of = {piece: g for g, group in enumerate(groups) for piece in group}
    contexts: list[list[int]] = [[] for _ in groups]
    for piece, host in context.items():
        contexts[group_of[host]].append(piece)

    tell(f"evidence for {len(groups)} candidates", 3, 6)
    employees = pd.to_numeric(scanned["employees"], errors="coerce") if "employees" in scanned else None
    firm_ids = scanned["firm_id"].to_numpy()
    failures: list[tuple[str, str, str]] = []
    ehsa_cache: dict[tuple[str, ...], pd.DataFrame | None] = {}

    def union_of(activity_ids: Sequence[str]) -> np.ndarray:
        """The firms of the candidate's work: of any of its activities, a mask over ``scanned`` (built when needed,
        never kept per candidate: a byte per firm each, 4 GB for the national register's candidates). The young
        firms are an attribute, not work: they count only in a candidate of young firms alone, so that a code's
        location quotient, hot spots and Kd are the code's, not "the code or any young firm"."""
        work = [a for a in activity_ids if by_id[a].source != "entries"] or list(activity_ids)
        return np.logical_or.reduce([by_id[a].members for a in work])

    rows_out: list[dict[str, Any]] = []
    for group, context_of in zip(groups, contexts, strict=True):
        parts = sorted((pieces[i] for i in group), key=lambda p: (p["q_value"], -p["llr"], p["activity_id"],
                                                                  p["cluster"]))
        around = [pieces[i] for i in sorted(context_of)]
        best = parts[0]
        members = np.unique(np.concatenate([p["members"] for p in parts]))
        context_of_members = np.setdiff1d(np.concatenate([p["context"] for p in parts]), members)
        area = np.unique(np.concatenate([p["area"] for p in parts]))
        activity_ids = tuple(sorted({p["activity_id"] for p in parts}))
        mask = union_of(activity_ids)
        # the name: the most specific piece (text, then the longest code, then a benchmark cluster) among those
        # nearly as strong as the strongest, so that Dalton reads "Carpet and Rug Mills", not "Manufacturing"
        strongest = max(p["llr"] for p in parts)
        named = [p for p in parts if p["llr"] >= 0.8 * strongest]
        lead = by_id[min(named, key=lambda p: (-_specificity(p["activity_id"]), -p["llr"], p["activity_id"]))[
            "activity_id"]]
        c, n, big_c, big_n = len(members), len(area), int(mask.sum()), len(scanned)
        c_work = int(mask[members].sum())  # members doing the work (a young member of another code is not)
        distance = _km(best["lat"], best["lon"], scanned["lat"].to_numpy()[members],
                       scanned["lon"].to_numpy()[members])
        ages = age_evidence(founded, members, base, recent_from=recent_from, min_firms=config.min_firms)
        smes = sme_evidence(sme, members, base.sme_share)
        anchor = float("nan")
        if employees is not None:
            emp = employees.iloc[members].dropna()
            if emp.sum() > 0:
                anchor = float(emp.max() / emp.sum())
        radius = max(best["radius_km"], float(distance.max()) if distance.size else 0.0)
        ehsa = ""
        if ages["ages_known"]:
            try:
                if activity_ids not in ehsa_cache:
                    ehsa_cache[activity_ids] = ehsa_cells(scanned, founded, mask, start_year=int(years[0]),
                                                          as_of=as_of_ts)
                cells = ehsa_cache[activity_ids]
                ehsa = ehsa_category(cells, best["lat"], best["lon"], radius) if cells is not None else ""
            except Exception as exc:  # noqa: BLE001 - supporting evidence: recorded, never silently dropped
                ehsa_cache[activity_ids] = None
                failures.append(("emerging hot spots", " ".join(activity_ids), _reason(exc)))
        ties, density = (float("nan"), float("nan"))
        if relations is not None and len(relations):
            ties, density = network_ties(relations, set(firm_ids[members]))
        text_parts = [by_id[a] for a in activity_ids if by_id[a].source == "text"]
        label = lead.label
        top_codes = "; ".join(dict.fromkeys(t for a in activity_ids if (t := by_id[a].top_codes)))
        coverage = min(a.code_coverage for a in text_parts) if text_parts else 1.0
        if lead.source == "entries":  # young firms of many codes: say which codes, and how much the first holds
            codes, top_share = _member_codes(scanned, members)
            label = f"Young firms: {'; '.join(title for _, title in codes[:3]) or 'no codes'}"
            top_codes = "; ".join(code for code, _ in codes[:5])
            if all(by_id[a].source == "entries" for a in activity_ids):
                coverage = top_share
        rows_out.append({
            "label": label + (f" (+{len(activity_ids) - 1} related)" if len(activity_ids) > 1 else ""),
            "n_firms": c, "n_pieces": len(parts), "pieces": ";".join(activity_ids),
            "activity": lead.activity_id, "activity_source": "+".join(sorted({by_id[a].source for a in activity_ids})),
            "keywords": lead.keywords, "lat": best["lat"], "lon": best["lon"], "radius_km": radius,
            "p_value": best["p_value"], "q_value": best["q_value"], "llr": strongest,
            "peak_relative_risk": max(p["relative_risk"] for p in parts),
            "relative_risk": ((c_work / n) / ((big_c - c_work) / (big_n - n)) if big_c > c_work and big_n > n
                              else float("inf")),
            "location_quotient": (c_work / n) / (big_c / big_n), "expected": big_c * n / big_n, "n_area": n,
            "age_evidence": ages["age_evidence"], "n_dated": ages["n_dated"], "n_recent": ages["n_recent"],
            "recent_share": ages["recent_share"], "base_recent_share": base.young_share,
            "young_p": ages["young_p"], "rising_p": ages["rising_p"], "falling_p": ages["falling_p"],
            "trend_z": ages["trend_z"], "ages_known": ages["ages_known"], "ehsa_category": ehsa,
            "sme_share": smes["sme_share"], "base_sme_share": base.sme_share, "sme_p": smes["sme_p"],
            "sme_low_p": smes["sme_low_p"], "anchor_share": anchor,
            "code_coverage": coverage, "top_codes": top_codes,
            "unclassified": bool(text_parts) and all(a.unclassified for a in text_parts)
                            and all(by_id[a].source == "text" for a in activity_ids),
            "first_period": ages["first_period"], "internal_ties": ties, "tie_density": density,
            "context_pieces": ";".join(sorted({p["activity_id"] for p in around})),
            "_members": members, "_context": context_of_members, "_counts": ages["counts"], "_parts": parts,
            "_around": around,
            "_key": tuple(firm_ids[members]), "_area": area,
        })

    tell("status and rank", 4, 6)
    cand = pd.DataFrame(rows_out)
    member_rows, entry_rows, example_rows, piece_rows, context_firm_rows = [], [], [], [], []
    kd_curves: dict[str, pd.DataFrame] = {}
    if len(cand):
        cand = assign_status(cand, alpha=config.status_alpha)
        cand["score"] = [score_of(q=r.q_value, llr=r.llr, relative_risk=r.peak_relative_risk, young_share=r.recent_share
                                  if r.ages_known else float("nan"), base_young_share=r.base_recent_share,
                                  trend_z=r.trend_z, permutations=config.permutations)
                         for r in cand.itertuples(index=False)]
        cand = cand.sort_values(["score", "llr", "n_firms", "_key"], ascending=[False, False, False, True],
                                kind="stable").reset_index(drop=True)
        cand["candidate_id"] = [f"C{i + 1:03d}" for i in range(len(cand))]
        cand["same_site"] = _same_site(cand, len(scanned), overlap=config.merge_overlap, site_km=config.site_km)
        tell("Kd for the leading candidates", 5, 6)
        cand["kd_localised"] = pd.array([pd.NA] * len(cand), dtype="boolean")
        names = scanned["name"].astype("string") if "name" in scanned else pd.Series(firm_ids, dtype="string")
        done = 0
        for i, row in enumerate(cand.to_dict("records")):
            cid = row["candidate_id"]
            # the activities' firms, rebuilt for the few candidates Kd may run on
            kd_mask = union_of(row["pieces"].split(";")) if done < config.kd_max_candidates else None
            if kd_mask is not None and kd_mask.sum() <= config.kd_max_firms:
                done += 1
                try:
                    curve = kd(scanned, kd_mask, permutations=config.kd_permutations,
                               rng=seed.child("kd:" + row["pieces"]))  # type: ignore[arg-type]
                    kd_curves[cid] = curve.to_frame().assign(localised_any=curve.is_localised)
                    cand.loc[i, "kd_localised"] = bool(curve.is_localised)
                except Exception as exc:  # noqa: BLE001 - supporting evidence: recorded, not dropped
                    failures.append(("kd", f"{cid} {row['pieces']}", _reason(exc)))
            member_rows += [(cid, f) for f in row["_key"]]
            context_firm_rows += [(cid, firm_ids[m], NOT_SHARED) for m in row["_context"]]
            entry_rows += [(cid, int(y), int(k), int(t))
                           for y, k, t in zip(years, row["_counts"], base.entries, strict=True)]
            extended = [e for p in row["_parts"] for e in p["extensions"]]
            for role, group_parts in (("core", row["_parts"]), ("extension", extended), ("context", row["_around"])):
                for p in group_parts:
                    a = by_id[p["activity_id"]]
                    piece_rows.append((cid, role, p["activity_id"], a.source, a.label, p["cluster"], p["lat"],
                                       p["lon"], p["radius_km"], *p.get("own", (len(p["members"]), len(p["area"]))),
                                       p["relative_risk"], p["llr"], p["p_value"], p["q_value"]))
            texts_of: dict[str, str] = {}
            for activity_id in row["pieces"].split(";"):
                texts_of.update(by_id[activity_id].texts)
            picked = sorted(row["_members"], key=lambda m: (firm_ids[m] not in texts_of, firm_ids[m]))[:5]
            example_rows += [(cid, firm_ids[m], str(names.iloc[m]), texts_of.get(firm_ids[m], "")) for m in picked]
        cand = cand[CANDIDATE_COLUMNS]
    else:
        cand = pd.DataFrame(columns=CANDIDATE_COLUMNS)
    piece_frame = pd.DataFrame(piece_rows, columns=PIECE_COLUMNS[1:])
    piece_frame.insert(0, "piece_id", [f"P{i + 1:04d}" for i in range(len(piece_frame))])
    tell("done", 6, 6)
    parameters = {
        "as_of": str(as_of_ts.date()), **config.to_dict(), "n_firms": len(scanned), "n_activities": len(acts),
        "n_clusters_tested": len(tested), "n_pieces": len(pieces), "seed": seed.entropy,
        "seed_spawn_key": list(seed.spawn_key), "text_method": text_method,
        "base_rates": base.to_dict(),
    }
    return CandidateResult(
        candidates=cand,
        candidate_firms=pd.DataFrame(member_rows, columns=["candidate_id", "firm_id"]),
        pieces=piece_frame,
        tested=tested,
        activities=_activity_table(acts, tested),
        entries=pd.DataFrame(entry_rows, columns=["candidate_id", "period", "entries", "register_entries"]),
        kd_curves=kd_curves,
        examples=pd.DataFrame(example_rows, columns=["candidate_id", "firm_id", "name", "text"]),
        failures=pd.DataFrame(failures, columns=["stage", "subject", "error"]),
        notes=tuple(notes),
        base_rates=base,
        text_method=text_method,
        config=config,
        parameters=parameters,
        seed=seed.entropy,
        seed_spawn_key=seed.spawn_key,
        context_firms=pd.DataFrame(context_firm_rows, columns=CONTEXT_FIRM_COLUMNS),
    )


def _member_codes(firms: pd.DataFrame, rows: np.ndarray) -> tuple[list[tuple[str, str]], float]:
    """The most common codes of some firms (4 digits / the group level), titled, and the first one's share."""
    if "code" not in firms or not len(rows):
        return [], float("nan")
    part = firms.iloc[rows]
    codes = part["code"].astype("string").reset_index(drop=True)
    systems = (part["code_system"].astype("string") if "code_system" in part
               else pd.Series(pd.NA, index=part.index, dtype="string")).fillna("").reset_index(drop=True)
    keys = codes.copy()
    for system in sorted(set(systems) & set(CODE_LEVELS)):
        mine = (systems == system).to_numpy()
        keys[mine] = truncate(codes[mine], system, 4 if system == "naics" else "group").fillna(codes[mine])
    known = codes.notna().to_numpy()
    if not known.any():
        return [], float("nan")
    ranked = (pd.DataFrame({"code": keys[known].astype(str), "system": systems[known].astype(str)})
              .value_counts(sort=False).rename("n").reset_index()
              .sort_values(["n", "code", "system"], ascending=[False, True, True], kind="stable"))
    titled = [(code, f"{code_title(code, system) or code} ({n})" if system else f"{code} ({n})")
              for code, system, n in ranked.itertuples(index=False)]
    return titled, int(ranked["n"].iloc[0]) / len(rows)


def _specificity(activity_id: str) -> int:
    kind, _, key = activity_id.partition(":")
    if kind == "text":
        return 100
    if kind == "cluster":
        return 1
    if kind == "entries":
        return 0
    return len(key.replace("-", ""))


def _join_sites(pieces: list[dict[str, Any]], site_km: float) -> list[dict[str, Any]]:
    """Pieces of one activity whose circles are one cluster (:func:`~clusterwatch.candidates.merge.one_site`:
    touching site circles of the same rate) become one piece: the strongest keeps its circle, p and q;
    the others are its extensions (role ``extension``), their firms and areas added. Order is kept otherwise."""
    by_activity: dict[str, list[int]] = {}
    for i, p in enumerate(pieces):
        if p["radius_km"] <= site_km:
            by_activity.setdefault(p["activity_id"], []).append(i)
    host_of: dict[int, int] = {}
    for rows in by_activity.values():
        if len(rows) < 2:
            continue
        lat = np.array([pieces[i]["lat"] for i in rows])
        lon = np.array([pieces[i]["lon"] for i in rows])
        radius = np.array([pieces[i]["radius_km"] for i in rows])
        cases = np.array([pieces[i]["cases"] for i in rows])
        firms = np.array([len(pieces[i]["area"]) for i in rows])
        near = one_site(haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :]), radius[:, None],
                        radius[None, :], cases[:, None], firms[:, None], cases[None, :], firms[None, :],
                        site_km=site_km)
        _, label = connected_components(sparse.csr_matrix(near), directed=False)
        for component in np.unique(label):
            group = [rows[j] for j in np.flatnonzero(label == component)]
            host = min(group, key=lambda i: (pieces[i]["q_value"], -pieces[i]["llr"], pieces[i]["cluster"]))
            host_of.update({i: host for i in group if i != host})
    if not host_of:
        return pieces
    out = []
    for i, p in enumerate(pieces):
        if i in host_of:
            continue
        joined = [pieces[j] for j, h in sorted(host_of.items()) if h == i]
        if joined:
            p = {**p, "members": np.unique(np.concatenate([p["members"], *(q["members"] for q in joined)])),
                 "area": np.unique(np.concatenate([p["area"], *(q["area"] for q in joined)])),
                 "context": np.unique(np.concatenate([p["context"], *(q["context"] for q in joined)])),
                 "extensions": [*p["extensions"], *({k: v for k, v in q.items() if k != "extensions"} for q in joined),
                                *(e for q in joined for e in q["extensions"])]}
        out.append(p)
    return out


def _same_site(cand: pd.DataFrame, n_firms: int, *, overlap: float, site_km: float) -> list[str]:
    """Per candidate, the other candidates at its site (``;``-joined ids): both circles sites (radius ≤
    ``site_km``) holding mostly the same firms (Jaccard of their areas ≥ ``overlap``). Such candidates are of
    unrelated activities (related ones merge), so they are told apart and shown side by side, never merged."""
    out = [""] * len(cand)
    site = np.flatnonzero(cand["radius_km"].to_numpy(dtype=float) <= site_km)
    if site.size < 2:
        return out
    areas = [cand["_area"].iloc[int(i)] for i in site]
    indptr = np.concatenate([[0], np.cumsum([len(a) for a in areas])])
    matrix = sparse.csr_matrix((np.ones(int(indptr[-1])), np.concatenate(areas), indptr),
                               shape=(site.size, n_firms))
    shared = (matrix @ matrix.T).tocoo()
    size = np.array([len(a) for a in areas], dtype=float)
    i, j, count = shared.row, shared.col, shared.data
    same = (i != j) & (count >= overlap * (size[i] + size[j] - count))
    ids = cand["candidate_id"].to_numpy()
    for a in np.unique(i[same]):
        out[int(site[a])] = ";".join(sorted(str(ids[site[b]]) for b in j[same][i[same] == a]))
    return out


def _extensions(tested: pd.DataFrame, k: int, rows: np.ndarray, result: Any, mask: np.ndarray, area: np.ndarray,
                site_km: float) -> list[dict[str, Any]]:
    """The not-significant circles of tested row ``k``'s activity (its rows: ``rows``) that extend its circle to
    the whole site (:func:`~clusterwatch.candidates.merge.site_extensions`), as piece records of role
    ``extension``."""
    row = tested.iloc[k]
    if float(row["radius_km"]) > site_km:
        return []
    others = tested.loc[rows]
    others = others[(others["outcome"] == "not significant").to_numpy()]
    if others.empty:
        return []
    # only site circles near enough to touch it or a circle touching it: the rest need not be gathered
    radius = others["radius_km"].to_numpy(dtype=float)
    distance = _km(float(row["lat"]), float(row["lon"]), others["lat"].to_numpy(dtype=float),
                   others["lon"].to_numpy(dtype=float))
    others = others[(radius <= site_km) & (distance <= float(row["radius_km"]) + radius + 3 * site_km)]
    if others.empty:
        return []
    areas = [np.sort(result.firms_in(int(c)).to_numpy()) for c in others["cluster"]]
    joined = site_extensions((float(row["lat"]), float(row["lon"]), float(row["radius_km"])), area,
                             list(others[["lat", "lon", "radius_km"]].itertuples(index=False, name=None)), areas,
                             mask, site_km=site_km)
    return [{"row": int(others.index[j]), "activity_id": row["activity_id"], "cluster": int(others["cluster"].iloc[j]),
             "lat": float(others["lat"].iloc[j]), "lon": float(others["lon"].iloc[j]),
             "radius_km": float(others["radius_km"].iloc[j]), "area": areas[j],
             "members": areas[j][mask[areas[j]]], "relative_risk": float(others["relative_risk"].iloc[j]),
             "llr": float(others["llr"].iloc[j]), "p_value": float(others["p_value"].iloc[j]),
             "q_value": float(others["q_value"].iloc[j])} for j in joined]


def _family_q(tested: pd.DataFrame, alpha: float) -> np.ndarray:
    """q-values of every cluster tested, activities as families (Benjamini & Bogomolov 2014).

    Families are selected by Benjamini–Hochberg over the activities' most likely clusters (each the scan's
    global test of its activity); within the R selected of m families, clusters are adjusted by BH at level
    α R / m. A cluster's q is ``max(q of its activity, within-family q × m / R)``: q ≤ α exactly when both steps
    pass. Clusters of unselected activities keep their activity's q (> α).
    """
    p = tested["p_used"].to_numpy(dtype=float)
    activity = tested["activity_id"].to_numpy()
    first = tested.groupby("activity_id", sort=False)["cluster"].transform("min").to_numpy() == \
        tested["cluster"].to_numpy()
    families = activity[first]
    family_q = dict(zip(families, benjamini_hochberg(p[first]), strict=True))
    m = len(families)
    selected = sum(1 for q in family_q.values() if q <= alpha)
    q = np.array([family_q[a] for a in activity], dtype=float)
    if selected == 0:
        return q
    for name in families:
        rows = np.flatnonzero(activity == name)
        within = benjamini_hochberg(p[rows]) * m / selected
        q[rows] = np.minimum(1.0, np.maximum(q[rows], within))
    return q


def _km(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    return np.asarray(haversine_km(np.array([lat]), np.array([lon]), lats, lons), dtype=float).reshape(-1)


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"


def _activity_table(acts: list[Activity], tested: pd.DataFrame) -> pd.DataFrame:
    columns = ["activity_id", "source", "label", "n_firms", "clusters_tested", "best_p", "best_q"]
    best = tested.groupby("activity_id").agg(clusters_tested=("cluster", "size"), best_p=("p_value", "min"),
                                             best_q=("q_value", "min")) if len(tested) else None
    rows = []
    for a in acts:
        row = {"activity_id": a.activity_id, "source": a.source, "label": a.label, "n_firms": a.n_firms,
               "clusters_tested": 0, "best_p": float("nan"), "best_q": float("nan")}
        if best is not None and a.activity_id in best.index:
            row.update(best.loc[a.activity_id].to_dict())
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)
