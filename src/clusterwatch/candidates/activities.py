"""The activities a scan tests: official codes at useful levels, benchmark clusters, and text-derived activities.

Each activity is a set of firms (a boolean mask over the firm table) with what describes it: a label, keywords,
how well official codes capture it. Pure functions: frames in, :class:`Activity` records out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from clusterwatch.candidates.config import STOP_WORD_PRESETS
from clusterwatch.codes import code_title, naics_to_cluster, truncate
from clusterwatch.codes.clusters import benchmark_clusters
from clusterwatch.codes.formats import explode_codes
from clusterwatch.errors import ClusterwatchError, OptionError

__all__ = ["FORMAT_STOP_WORDS", "STOP_WORD_PRESETS", "Activity", "code_activities", "code_families", "code_keys",
           "firm_texts", "related_activities", "shared_code_members",
           "stop_word_preset", "stop_words_of", "text_activities"]

#: The preset that fits a source format (``auto``); formats not listed get ``none``.
FORMAT_STOP_WORDS: dict[str, str] = {
    "sbir-awards": "sbir",
    "sbir-abstracts": "sbir",
    "dsbs": "dsbs",
    "norway-brreg": "no",
}

#: Code levels tried per system (digits, or level names that :func:`clusterwatch.codes.truncate` accepts).
CODE_LEVELS: dict[str, tuple[int | str, ...]] = {
    "naics": (2, 3, 4),
    "nace2": ("division", "group"),
    "uksic2007": ("division", "group"),
    "sn2007": ("division", "group"),
}


@dataclass(frozen=True)
class Activity:
    """One activity tested by the scan.

    Attributes
    ----------
    activity_id
        ``naics:5417``, ``cluster:13``, ``text:4`` ...
    source
        ``code`` or ``text``.
    label
        Human-readable name (the code's title, the cluster's name, the text activity's label).
    members
        Boolean mask over the firm table's rows.
    keywords
        Words that describe it (text activities; the title for codes).
    code_coverage, top_codes, unclassified
        For text activities, what the text analysis reports: the share of its firms whose codes capture it, the
        most common codes, and whether codes miss it. Code activities are captured by definition (1.0, False).
    texts
        Firm id → an example text of the firm in this activity (text activities).
    """

    activity_id: str
    source: str
    label: str
    members: np.ndarray = field(repr=False)
    keywords: str = ""
    code_coverage: float = 1.0
    top_codes: str = ""
    unclassified: bool = False
    texts: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def n_firms(self) -> int:
        """Firms in the activity."""
        return int(self.members.sum())


def code_activities(firms: pd.DataFrame, *, min_firms: int = 8) -> list[Activity]:
    """Activities from the firms' official codes: each useful level of the hierarchy and, for NAICS, the US
    benchmark clusters (Delgado, Porter & Stern 2016). A firm's every code (``codes``, else ``code``) counts.

    Parameters
    ----------
    firms
        Canonical firm table (``code``, ``code_system``, optionally ``codes``).
    min_firms
        Fewest firms an activity needs to be tested; smaller ones are left out.

    Returns
    -------
    list of Activity
        Sorted by activity id; only activities with at least ``min_firms`` firms and fewer than all firms.
    """
    if "code" not in firms or firms["code"].isna().all():
        return []
    n = len(firms)
    codes = firms["codes"] if "codes" in firms else firms["code"]
    codes = codes.fillna(firms["code"]).astype("string")
    long = explode_codes(codes)
    row = pd.Series(np.arange(n), index=firms.index).loc[long.index].to_numpy()
    systems = firms["code_system"].astype("string").fillna("").loc[long.index].to_numpy()
    out: list[Activity] = []
    for system in sorted(set(systems) & set(CODE_LEVELS)):
        mine = systems == system
        values = pd.Series(long.to_numpy()[mine], dtype="string")
        rows = row[mine]
        for level in CODE_LEVELS[system]:
            cut = truncate(values, system, level).to_numpy()
            out += _grouped(cut, rows, n, min_firms, f"{system}:", lambda c, s=system: code_title(c, s) or c)
        if system == "naics":
            cluster = naics_to_cluster(values).cluster_code.to_numpy()
            names = benchmark_clusters().set_index("cluster_code")["cluster_name"].to_dict()
            out += _grouped(cluster, rows, n, min_firms, "cluster:", lambda c, t=names: str(t.get(int(c), c)))
    return sorted(out, key=lambda a: a.activity_id)


def code_families(firms: pd.DataFrame) -> pd.Series:
    """Each firm's family of related work, from its (first) code: its US benchmark cluster for NAICS (Delgado,
    Porter & Stern 2016: codes that co-locate and link), its division (first two digits) for other systems;
    missing where the firm has no code or the code maps to no cluster. Aligned on ``firms.index``.

    Examples
    --------
    >>> import pandas as pd
    >>> firms = pd.DataFrame({"code": ["314110", "313310", "484121", "62.01", None],
    ...                       "code_system": ["naics", "naics", "naics", "nace2", "naics"]})
    >>> code_families(firms).tolist()
    ['cluster:42', 'cluster:42', 'cluster:45', 'nace2:62', <NA>]
    """
    out = pd.Series(pd.NA, index=firms.index, dtype="string")
    if "code" not in firms or "code_system" not in firms:
        return out
    codes = firms["code"].astype("string").str.split(";").str[0].str.strip()
    systems = firms["code_system"].astype("string")
    naics = (systems == "naics").fillna(False).to_numpy(dtype=bool)
    if naics.any():
        cluster = naics_to_cluster(codes[naics].reset_index(drop=True)).cluster_code
        keys = pd.Series(cluster.to_numpy(), dtype="Float64").astype("Int64").astype("string")
        out[naics] = ("cluster:" + keys).to_numpy()
    other = (~naics) & codes.notna().to_numpy(dtype=bool) & systems.notna().to_numpy(dtype=bool)
    if other.any():
        out[other] = (systems[other] + ":" + codes[other].str.replace(r"[^0-9A-Za-z]", "", regex=True).str[:2])
    return out


def code_keys(firms: pd.DataFrame) -> pd.Series:
    """Each firm's work as a code key ``system:code`` at NAICS 4 digits / the group level of other systems (the
    level at which firms of one trade share a code without sharing a product); missing without a code or system.
    Aligned on ``firms.index``.

    Examples
    --------
    >>> import pandas as pd
    >>> firms = pd.DataFrame({"code": ["488190", "488111", "62.01", None],
    ...                       "code_system": ["naics", "naics", "nace2", "nace2"]})
    >>> code_keys(firms).tolist()
    ['naics:4881', 'naics:4881', 'nace2:620', <NA>]
    """
    out = pd.Series(pd.NA, index=firms.index, dtype="string")
    if "code" not in firms or "code_system" not in firms:
        return out
    codes = firms["code"].astype("string").str.split(";").str[0].str.strip()
    systems = firms["code_system"].astype("string")
    for system in sorted(set(systems.dropna()) & set(CODE_LEVELS)):
        mine = (systems == system).fillna(False).to_numpy(dtype=bool) & codes.notna().to_numpy(dtype=bool)
        if mine.any():
            level = 4 if system == "naics" else "group"
            keys = truncate(codes[mine].reset_index(drop=True), system, level).fillna(
                codes[mine].reset_index(drop=True))
            out[mine] = (system + ":" + keys.astype("string")).to_numpy()
    return out


def shared_code_members(rows: np.ndarray, keys: pd.Series, pool: np.ndarray, *, min_count: int = 2,
                        min_ratio: float = 2.0) -> np.ndarray:
    """The firms of an attribute circle (the young firms in a young-firms cluster) that share their work there.

    A circle of significantly many young firms holds two kinds of young firm: those of a trade that recurs there
    (the cluster being born) and those that happen to be young and nearby (the register's young share of every
    street). A facilitator asks "which young firms are doing something together here?": the first kind. So a
    code (:func:`code_keys`) is *shared* in the circle when at least ``min_count`` of the circle's young firms
    carry it and it is over-represented among them: its count is at least ``min_ratio`` times what the register's
    young firms elsewhere give — ``n`` (the circle's coded young firms) times the code's share of the coded young
    firms outside the circle — a location quotient of the young firms' codes, LQ ≥ 2 by default (a code found
    only here always qualifies). The circle's young firms of shared codes are kept; the others (and young firms
    without a code) are the candidate's context, not its members.

    ``find_candidates`` applies it where chance could account for more than a quarter of the circle's young firms
    (the scan's expected count > 0.25 x its young firms): where chance accounts for less, the circle is a new
    place, its chance young firms are too few to matter, and a trade held once there (the fifth code of a new
    technology) is as much the cluster as one held twice.

    Why a quotient, not a test: the circle's significance is the scan's, already established; this rule only
    says which of its young firms make it up. Sites are small: two young firms of a code among 14 cannot pass an
    exact test after adjustment when the code is 3 % of the register's young firms (p ≈ 0.06), although they are
    five times what chance gives; a common trade (a restaurant code at 7 %) needs twice its expected count.

    Parameters
    ----------
    rows
        Row numbers of the circle's attribute firms (e.g. its young firms).
    keys
        Per firm of the table: its code key (missing where unknown), positionally aligned.
    pool
        Boolean mask over the table: the register's attribute firms (e.g. all its young firms).
    min_count
        Fewest firms of one code that can share it.
    min_ratio
        Least ratio of the code's count in the circle to its expected count.

    Returns
    -------
    numpy.ndarray
        The rows kept, sorted (a subset of ``rows``).

    Examples
    --------
    Four young firms of a code no young firm elsewhere has recur in the circle; two of seven of a code that 30 %
    of the young firms elsewhere have do not (expected 2.1), nor does a code held once:

    >>> import numpy as np, pandas as pd
    >>> keys = pd.Series(["naics:4881"] * 4 + ["naics:7225"] * 2 + ["naics:5416"] + ["naics:7225"] * 300
    ...                  + ["naics:2361"] * 700)
    >>> shared_code_members(np.arange(7), keys, np.ones(len(keys), dtype=bool)).tolist()
    [0, 1, 2, 3]
    """
    rows = np.sort(np.asarray(rows, dtype=np.int64))
    key = keys.astype("string").to_numpy(dtype=object, na_value=None)
    inside = np.zeros(len(key), dtype=bool)
    inside[rows] = True
    coded = np.array([k is not None for k in key], dtype=bool)
    here = rows[coded[rows]]
    if not here.size:
        return here
    outside = np.asarray(pool, dtype=bool) & coded & ~inside
    elsewhere = Counter(key[outside].tolist())
    n_out = int(outside.sum())
    counts = Counter(key[here].tolist())
    shared = {c for c, k in counts.items()
              if k >= min_count and (n_out == 0 or k >= min_ratio * len(here) * elsewhere[c] / n_out)}
    return here[np.array([key[r] in shared for r in here], dtype=bool)]


def related_activities(masks: list[np.ndarray], families: pd.Series, *, threshold: float = 0.5) -> np.ndarray:
    """``out[a, b]``: activities a and b do related work — the cosine of their firms' family counts (see
    :func:`code_families`) is at least ``threshold`` (Dalton's carpet, yarn and finishing mills, all benchmark
    cluster 42; not trucking and wholesale, clusters 45 and 10, however close their circles).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> families = pd.Series(["cluster:42"] * 4 + ["cluster:45"] * 4, dtype="string")
    >>> a, b, c = (np.arange(8) < 2), (np.arange(8) % 4 == 3) & (np.arange(8) < 4), (np.arange(8) >= 4)
    >>> related_activities([a, b, c], families).astype(int).tolist()
    [[1, 1, 0], [1, 1, 0], [0, 0, 1]]
    """
    keys = families.to_numpy(dtype=object)
    known = ~pd.isna(families).to_numpy()
    labels, codes = np.unique(keys[known].astype(str), return_inverse=True)
    vectors = np.zeros((len(masks), len(labels)))
    for i, mask in enumerate(masks):
        mine = np.asarray(mask, dtype=bool)[known]
        if mine.any():
            vectors[i] = np.bincount(codes[mine], minlength=len(labels))
    norm = np.linalg.norm(vectors, axis=1)
    unit = np.divide(vectors, norm[:, None], out=np.zeros_like(vectors), where=norm[:, None] > 0)
    return np.asarray(unit @ unit.T >= threshold - 1e-12) & (norm[:, None] > 0) & (norm[None, :] > 0)


def _grouped(keys: np.ndarray, rows: np.ndarray, n: int, min_firms: int, prefix: str, title: Any) -> list[Activity]:
    frame = pd.DataFrame({"key": keys, "row": rows}).dropna().drop_duplicates()
    out = []
    frame["key"] = [str(int(k)) if isinstance(k, float | np.floating | np.integer) else str(k) for k in frame["key"]]
    for key, part in frame.groupby("key", sort=True):
        if min_firms <= len(part) < n:
            members = np.zeros(n, dtype=bool)
            members[part["row"].to_numpy(dtype=np.int64)] = True
            label = str(title(key))
            out.append(Activity(f"{prefix}{key}", "code", label, members, keywords=label, top_codes=str(key)))
    return out


def firm_texts(firms: pd.DataFrame, events: pd.DataFrame | None, *, min_chars: int = 20) -> pd.DataFrame:
    """The texts of the firms: descriptions (dated by ``founded``) and the texts of their dated events (title and
    text: award abstracts, project objectives).

    ``min_chars``: shorter texts are left out (the scan's default 20 drops stubs such as "Consulting"; the
    ``activities`` command keeps texts from 3 characters, since a register's "Snekker." says what a firm does).

    Returns
    -------
    pandas.DataFrame
        ``firm_id, text, date, code`` — only firms of ``firms``; rows with empty or shorter text left out.
    """
    parts = []
    code = firms["code"] if "code" in firms else pd.Series(pd.NA, index=firms.index)
    if "description" in firms:
        parts.append(pd.DataFrame({"firm_id": firms["firm_id"].astype("string"),
                                   "text": firms["description"].astype("string"),
                                   "date": pd.to_datetime(firms.get("founded")),
                                   "code": code.astype("string")}))
    if events is not None and len(events):
        empty = pd.Series("", index=events.index, dtype="string")
        title = events["title"].astype("string").fillna("") if "title" in events else empty
        body = events["text"].astype("string").fillna("") if "text" in events else empty
        text = (title + ". " + body).str.strip(". ")
        codes = dict(zip(firms["firm_id"].astype("string"), code.astype("string"), strict=False))
        ids = events["firm_id"].astype("string")
        parts.append(pd.DataFrame({"firm_id": ids, "text": text, "date": pd.to_datetime(events["date"]),
                                   "code": ids.map(codes).astype("string")}))
    if not parts:
        return pd.DataFrame(columns=["firm_id", "text", "date", "code"])
    texts = pd.concat(parts, ignore_index=True)
    known = set(firms["firm_id"].astype(str))
    texts = texts[texts["firm_id"].isin(known) & texts["text"].notna()]
    texts = texts[texts["text"].str.strip().str.len() >= min_chars]
    return texts.sort_values(["firm_id", "date"], kind="stable").reset_index(drop=True)


def stop_word_preset(formats: Iterable[str]) -> str:
    """The stop-word preset that fits source formats (what ``auto`` means): the formats' common preset
    (:data:`FORMAT_STOP_WORDS`) when they all share one, else ``none`` (no format, or sources of several kinds:
    one source's boilerplate may be another's subject).

    Examples
    --------
    >>> stop_word_preset(["sbir-awards", "sbir-abstracts"]), stop_word_preset(["dsbs", "ppp-georgia"])
    ('sbir', 'none')
    """
    presets = {FORMAT_STOP_WORDS.get(str(f), "none") for f in formats}
    return presets.pop() if len(presets) == 1 else "none"


def stop_words_of(preset: str) -> tuple[str, ...]:
    """The words of a stop-word preset (:data:`STOP_WORD_PRESETS`).

    Raises
    ------
    OptionError
        For an unknown preset (``auto`` must be resolved first, with :func:`stop_word_preset`).
    """
    if preset not in STOP_WORD_PRESETS:
        raise OptionError(f"stop_words must be one of {', '.join(STOP_WORD_PRESETS)}; got {preset!r}"
                          + (" (resolve auto from the sources' formats with stop_word_preset)"
                             if preset == "auto" else ""))
    if preset == "none":
        return ()
    from clusterwatch.analysis.text.activities import DSBS_STOP_WORDS, NORWEGIAN_STOP_WORDS, SBIR_STOP_WORDS

    return {"sbir": SBIR_STOP_WORDS, "dsbs": DSBS_STOP_WORDS, "no": NORWEGIAN_STOP_WORDS}[preset]


def text_activities(firms: pd.DataFrame, texts: pd.DataFrame, *, min_firms: int = 8,
                    as_of: pd.Timestamp | None = None, rng: int | None = None, method: str = "tfidf-svd-kmeans",
                    cache: Any = None, stop_words: str = "none") -> tuple[list[Activity], str]:
    """Activities discovered in the firms' texts.

    Uses :func:`clusterwatch.analysis.text.discover_activities` (``method``: TF-IDF, SVD, k-means by default;
    sentence embeddings with ``"auto"`` / ``"embedding-kmeans"``, cached in ``cache``) when it works on the texts;
    otherwise a documented fallback: every distinctive word used by at least
    ``min_firms`` firms and by at most 15 % of them is an activity (the 60 most used such words).

    ``stop_words`` names a preset (:data:`STOP_WORD_PRESETS`: ``none``, ``sbir``, ``dsbs``, ``no``) of boilerplate
    left out of the vectors, the labels and the fallback's words, so that DSBS profiles do not group into
    "veteran / owned / business". ``auto`` is taken as ``none`` here: only the caller knows the sources' formats
    (:func:`stop_word_preset`).

    Parameters
    ----------
    firms
        The firms scanned; an activity's members are a mask over them.
    texts
        ``firm_id, text, date`` (:func:`firm_texts`).
    min_firms
        Fewest firms an activity needs.
    as_of
        Texts dated after it are left out (undated ones count as known then); None keeps them all.
    rng
        Seed of the text grouping.
    method
        The text method of :func:`~clusterwatch.analysis.text.discover_activities`.
    cache
        Where sentence embeddings are cached (a workspace or a cache file).
    stop_words
        A stop-word preset (above).

    Returns
    -------
    (list of Activity, str)
        The activities and the method that made them.

    Raises
    ------
    OptionError
        For an unknown ``stop_words`` preset.
    """
    extra = stop_words_of("none" if stop_words == "auto" else stop_words)
    if texts.empty:
        return [], "none"
    ids = firms["firm_id"].astype(str).to_numpy()
    position = {f: i for i, f in enumerate(ids)}
    try:
        from clusterwatch.analysis.text import discover_activities

        # undated texts (profiles such as DSBS capabilities) count as known at as_of; dated ones only up to it
        if as_of is not None and "date" in texts.columns:
            texts = texts[texts["date"].isna() | (texts["date"] <= pd.Timestamp(as_of))]
        from clusterwatch.io.embed_cache import auto_encoder

        result = discover_activities(texts, min_firms=min_firms, as_of=None, rng=rng, method=method,
                                     encode=auto_encoder(method, cache=cache), extra_stop_words=extra)
        acts, assign = result.activities, result.assignments
        out = []
        for row in acts.itertuples(index=False):
            fids = assign.loc[assign["activity_id"] == row.activity_id, "firm_id"].astype(str)
            rows = [position[f] for f in fids if f in position]
            members = np.zeros(len(ids), dtype=bool)
            members[rows] = True
            if not min_firms <= members.sum() < len(ids):
                continue
            keywords = row.keywords if isinstance(row.keywords, str) else ", ".join(map(str, row.keywords))
            top = row.top_codes if isinstance(row.top_codes, str) else ", ".join(map(str, row.top_codes or []))
            coverage = float(row.code_coverage) if pd.notna(row.code_coverage) else float("nan")
            out.append(Activity(f"text:{row.activity_id}", "text", str(row.label), members, keywords=keywords,
                                code_coverage=coverage, top_codes=top, unclassified=bool(row.unclassified),
                                texts=_examples(texts, set(fids))))
        named = f"{result.method} ({result.model})" if result.method == "embedding-kmeans" else str(result.method)
        return out, named
    except (ImportError, ClusterwatchError) as exc:  # text extra missing, or too few texts: say why
        reason = " ".join(str(exc).split())[:160]
        return _keyword_activities(ids, texts, min_firms, extra), f"keywords (fallback: {type(exc).__name__}: {reason})"


_STOP = frozenset([
    "about", "above", "after", "again", "against", "also", "among", "another", "because", "been", "before",
    "being", "below", "between", "both", "cannot", "could", "does", "doing", "down", "during", "each", "effort",
    "from", "further", "have", "having", "here", "into", "itself", "just", "more", "most", "much", "must",
    "only", "other", "over", "phase", "program", "project", "proposed", "provide", "research", "same", "should",
    "since", "small", "some", "such", "than", "that", "their", "them", "then", "there", "these", "they", "this",
    "those", "through", "under", "until", "very", "were", "what", "when", "where", "which", "while", "will",
    "with", "within", "would", "your", "using", "used", "based", "high", "new", "work", "will", "develop",
    "development", "developed", "system", "systems", "technology", "technologies", "design", "approach",
    "problem", "application", "applications", "method", "methods", "innovative", "results", "study",
    "potential", "commercial", "feasibility", "demonstrate", "performance", "capability", "current", "include",
    "including", "also", "thus", "proposal", "objective", "objectives", "task", "goal", "goals", "product",
    "products", "firm", "company", "sbir", "sttr",
])


def _keyword_activities(ids: np.ndarray, texts: pd.DataFrame, min_firms: int,
                        extra_stop_words: Iterable[str] = ()) -> list[Activity]:
    position = {f: i for i, f in enumerate(ids)}
    stop = _STOP | {str(w).lower() for w in extra_stop_words}
    words_of: dict[str, set[str]] = {}
    for fid, text in zip(texts["firm_id"].astype(str), texts["text"].astype(str), strict=False):
        words = {w for w in re.findall(r"[a-z][a-z\-]{3,}", text.lower()) if w not in stop}
        words_of.setdefault(fid, set()).update(words)
    df: Counter[str] = Counter()
    for words in words_of.values():
        df.update(words)
    n = len(ids)
    usable = sorted((w for w, c in df.items() if min_firms <= c <= max(min_firms, 0.15 * n)),
                    key=lambda w: (-df[w], w))[:60]
    out = []
    for word in sorted(usable):
        fids = {f for f, words in words_of.items() if word in words}
        members = np.zeros(n, dtype=bool)
        members[[position[f] for f in fids if f in position]] = True
        if min_firms <= members.sum() < n:
            out.append(Activity(f"text:{word}", "text", word, members, keywords=word, code_coverage=float("nan"),
                                unclassified=False, texts=_examples(texts, fids)))
    return out


def _examples(texts: pd.DataFrame, fids: set[str]) -> dict[str, str]:
    mine = texts[texts["firm_id"].astype(str).isin(fids)]
    first = mine.drop_duplicates("firm_id", keep="last")
    return {str(f): str(t)[:300] for f, t in zip(first["firm_id"], first["text"], strict=False)}
