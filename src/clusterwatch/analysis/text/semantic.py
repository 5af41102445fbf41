"""Code fit (b): how close an activity's meaning comes to the title of any official code.

Code fit (a) (:mod:`~clusterwatch.analysis.text.codefit`) asks how the codes *its firms carry* spread over an
activity. This module asks what the classifications *could* say: the activity's centroid is compared, by cosine
similarity in the same vector space, with the title of every code of NAICS 2017, NACE Rev. 2 and UK SIC 2007
(:func:`title_table`). An activity whose best title is far away is one that no official code names
(``unclassified_by_titles``): the question behind Nesta's bottom-up industrial taxonomy (Gerard et al. 2021) and
Hoberg & Phillips' text-based industries (2016).

Calibration
-----------
How close is close enough was measured on real data (``bench/calibrate_semantic.py`` prints every figure below).

*Names.* The UK Industrial Strategy 2025 sector definitions list 104 established activities by their SIC name, 14
short names of subsectors that carry SIC codes ("Steel", "Ports", "Construction") and 23 frontier subsectors that
no SIC code holds ("Quantum technologies", "Drones and autonomous systems", "Engineering biology"). Embedded with
all-MiniLM-L6-v2 and compared with the UK SIC 2007 titles, the established names score 1.00 at the median, but 94
of the 104 are literally a title; leaving out the titles identical to the name (ignoring case and punctuation)
they still score 0.82 at the median (10th percentile 0.61), against 0.49 (0.30 to 0.62) for the frontier names:
AUC 0.96 (0.99 with the identical titles). Short coded names score lower whatever they name (median 0.61, AUC
0.75 against the frontier names), so part of that separation is wording. Against all three systems the frontier
names score 0.53 at the median (0.35 to 0.69): NAICS does name some ("Semiconductors" meets "Semiconductor and
Other Electronic Component Manufacturing" at 0.69).

*Activities.* A centroid is the mean of many long texts, and lands on another scale. K-means groups of 2,000 SBIR
abstracts (k = 10, 20, 40; three seeds) sit at 0.31 to 0.71 from their nearest title (k = 20: 0.40 to 0.62, median
0.53; single abstracts: median 0.37). To see what a centroid's score says, 27 pseudo-activities were built from SBIR
abstracts picked by keywords, each the centroid of up to 60 abstracts: 12 frontier themes (quantum computing,
drones, AI, cybersecurity, hydrogen and fuel cells, directed energy, engineering biology, carbon capture, fusion,
advanced materials, wind energy, additive manufacturing) and 15 themes an official code names (batteries, vaccines,
dental, aircraft engines, crops, aquaculture, textiles, water treatment, shipbuilding, oil and gas, solar cells,
coal, semiconductor devices, teaching, pharmaceuticals). Against the three systems, established themes score 0.62 at
the median and frontier themes 0.52: AUC 0.73 (0.71, 90% interval 0.67 to 0.75, over 200 bootstrap draws of the
members). At 0.50, 13% of the established themes and 43% of the frontier ones are flagged, as are 40% of the k = 20
SBIR centroids (R&D groups such as "laser sensor measurements" whose nearest title is "Photofinishing
Laboratories"); 0.55 separates a little better (Youden's J 0.38 against 0.30) but flags a quarter of the established
themes. The flag is evidence for a candidate the codes miss, so the embedding threshold is 0.50: an activity below
it is no nearer to any official title than a typical frontier theme.

*TF-IDF + SVD fallback.* The same themes in the 100-dimensional LSA space of the 3,494 abstracts (vocabulary and
weights as :func:`~clusterwatch.analysis.text.discover_activities` builds them; 62 of the 3,348 titles share no
word with it and get zero vectors): established themes 0.69 at the median, frontier 0.49, AUC 0.82 (bootstrap
0.79, 0.76 to 0.82); at 0.50, 1% of the established and 52 to 56% of the frontier themes are flagged (J is
highest, 0.51 to 0.56, at 0.50 to 0.525), and about 45% of the k = 20 SBIR centroids. The nearest title itself is
often a word coincidence there ("AI/machine learning" → "General Merchandise Stores", "cybersecurity" → "Security
dealing on own account"): trust the flag more than the title. The scale depends on the number of dimensions (at 50,
similarities are about 0.1 higher and J peaks at 0.60) and on the number of groups (k = 10, 20, 40 flag 73%, 45%,
27% of SBIR centroids, against 40%, 40%, 53% with embeddings): the value holds for the default 100 dimensions,
and the fallback's flag is the rougher of the two.

With fewer code systems there are fewer titles to come near, and more activities are flagged (UK SIC 2007 alone:
the frontier themes score 0.43 at the median, the established 0.56).

References
----------
Hoberg, G., & Phillips, G. (2016). Text-based network industries and endogenous product differentiation. *Journal
of Political Economy*, 124(5), 1423-1465.
Gerard, J., et al. (2021). A bottom-up industrial taxonomy for the UK. Nesta / ESCoE.
Department for Business and Trade (2025). *The UK's Modern Industrial Strategy: sector definitions list*.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from clusterwatch.codes import code_titles, levels
from clusterwatch.errors import InputError, OptionError

__all__ = [
    "GENERIC_LEVELS",
    "SEMANTIC_SYSTEMS",
    "SEMANTIC_UNCLASSIFIED_BELOW",
    "memoised",
    "lsa_encoder",
    "semantic_fit",
    "title_table",
]

#: Code systems with English titles, in the default order (which also breaks ties between identical titles).
#: SN2007 is left out: its detailed titles are Norwegian; its codes are NACE Rev. 2 to four digits.
SEMANTIC_SYSTEMS: tuple[str, ...] = ("naics", "nace2", "uksic2007")

#: Levels whose titles are left out: NAICS sectors and NACE / UK SIC sections ("Manufacturing", "Professional,
#: scientific and technical activities", "Information") describe a fifth of the economy each; a
#: title so broad sits close to many activities without saying what any of them does.
GENERIC_LEVELS: dict[str, tuple[str, ...]] = {"naics": ("sector",), "nace2": ("section",), "uksic2007": ("section",)}

#: Activities whose centroid's cosine similarity to the nearest code title (of NAICS, NACE Rev. 2 and UK SIC 2007) is
#: below this are ``unclassified_by_titles``, by the method that made the vectors. Calibrated on SBIR pseudo-activities
#: (see the module notes): at 0.50, 13% of themes an official code names and 43% of frontier themes fall below with
#: all-MiniLM-L6-v2, 1% and about 54% in the 100-dimensional LSA space; the LSA value holds for about 100 dimensions.
SEMANTIC_UNCLASSIFIED_BELOW: dict[str, float] = {"embedding-kmeans": 0.50, "tfidf-svd-kmeans": 0.50}

#: Rows of a vector count as unit length within this (float32 and bfloat16 round-off).
UNIT_TOLERANCE: float = 1e-3


def _key(title: str) -> str:
    """A title as compared for duplicates: case and spacing ignored."""
    return re.sub(r"\s+", " ", str(title)).strip().casefold()


@functools.lru_cache(maxsize=8)
def _title_table(systems: tuple[str, ...]) -> pd.DataFrame:
    frames = []
    for system in systems:
        table = code_titles(system)
        keep = ~table["level"].isin(GENERIC_LEVELS.get(system, ()))
        if "vintage" in table:  # NAICS codes retired before 2017: their titles live on in the current codes
            keep &= table["vintage"].astype(str) == "2017"
        if "official" in table:  # Companies House's "Dormant Company" and the like are not activities
            keep &= table["official"].astype(bool)
        table = table.loc[keep, ["code", "level", "title"]].copy()
        depth = {name: i for i, name in enumerate(levels(system))}
        table["_depth"] = table["level"].map(depth)
        table["_key"] = table["title"].map(_key)
        # the same title at several levels (a class that is its group's only class): keep the deepest code
        table = table.sort_values(["_depth", "code"], ascending=[False, True], kind="stable")
        table = table.drop_duplicates("_key").sort_values("code", kind="stable")
        table.insert(0, "system", system)
        frames.append(table.drop(columns=["_depth", "_key"]))
    return pd.concat(frames, ignore_index=True).astype(
        {"system": "string", "code": "string", "level": "string", "title": "string"}
    )


def _check_systems(systems: Iterable[str]) -> tuple[str, ...]:
    if isinstance(systems, str):
        systems = (systems,)
    names = tuple(str(s).strip().lower() for s in systems)
    if not names:
        raise OptionError(f"systems must name at least one of {', '.join(SEMANTIC_SYSTEMS)}; got none")
    unknown = [s for s in names if s not in SEMANTIC_SYSTEMS]
    if unknown:
        hint = " (SN2007 titles are Norwegian: use 'nace2', the same codes to four digits)" * ("sn2007" in unknown)
        raise OptionError(f"unknown code system(s) {unknown} for the semantic fit; allowed: "
                          f"{', '.join(SEMANTIC_SYSTEMS)}{hint}")
    if len(set(names)) != len(names):
        raise OptionError(f"systems lists a code system twice: {list(names)}")
    return names


def title_table(systems: Sequence[str] = SEMANTIC_SYSTEMS) -> pd.DataFrame:
    """Every official code title the semantic fit compares activities with.

    Parameters
    ----------
    systems
        Code systems among :data:`SEMANTIC_SYSTEMS`, in the order that breaks ties between identical titles.

    Returns
    -------
    pandas.DataFrame
        A new frame with columns ``system``, ``code``, ``level``, ``title``, by system (in the given order) and
        code. Left out: the levels in :data:`GENERIC_LEVELS`, NAICS codes retired before 2017, UK SIC's
        non-official Companies House codes (dormant, non-trading, residents' property management), and, within a
        system, repeats of a title already held by a more specific code (compared ignoring case and spacing).

    Raises
    ------
    OptionError
        When ``systems`` is empty, repeats a system or names one without English titles.

    Examples
    --------
    >>> titles = title_table(["nace2"])
    >>> titles.columns.tolist()
    ['system', 'code', 'level', 'title']
    >>> sorted(titles["level"].unique())
    ['class', 'division', 'group']
    >>> titles.set_index("code").loc["6201", "title"]
    'Computer programming activities'
    >>> "013" in set(titles["code"])  # group 01.3 'Plant propagation' is repeated by its only class, 01.30
    False
    """
    return _title_table(_check_systems(systems)).copy()


def _check_unit_rows(matrix: np.ndarray, what: str, *, zero_ok: bool) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1)
    unit = np.abs(norms - 1.0) <= UNIT_TOLERANCE
    bad = ~(unit | (norms == 0.0)) if zero_ok else ~unit
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        allowed = "1 (or 0)" if zero_ok else "1"
        raise InputError(f"{what} must be L2-normalised rows (norm {allowed}); {int(bad.sum())} row(s) are not, "
                         f"the first is row {first} with norm {norms[first]:.4g}")
    return norms


def semantic_fit(
    centroids: np.ndarray,
    encode: Callable[[list[str]], np.ndarray],
    *,
    systems: Sequence[str] = SEMANTIC_SYSTEMS,
    threshold: float,
    top: int = 3,
) -> pd.DataFrame:
    """The official code titles nearest to each activity, and whether any is near enough.

    Parameters
    ----------
    centroids
        ``k × d`` L2-normalised activity vectors (the activities' centroids).
    encode
        Maps a list of title strings to an ``n × d`` array in the same vector space as ``centroids``: rows
        L2-normalised, or zero for a title with no known word (it then matches nothing). Called once, with every
        distinct title of :func:`title_table`; see :class:`clusterwatch.io.embed_cache.TextEncoder`, :func:`memoised`
        and :func:`lsa_encoder`.
    systems
        Code systems among :data:`SEMANTIC_SYSTEMS`. Identical titles in several systems tie; the first system
        listed wins ``best_*``.
    threshold
        ``unclassified_by_titles`` is ``title_similarity < threshold``; take it from
        :data:`SEMANTIC_UNCLASSIFIED_BELOW` for the method that made the vectors.
    top
        Number of distinct titles listed in ``top_titles``.

    Returns
    -------
    pandas.DataFrame
        One row per centroid, in the same order (a ``RangeIndex``): ``best_code``, ``best_system``, ``best_title``
        (the nearest title; missing when no title has a positive similarity), ``title_similarity`` (its cosine
        similarity, 0 when no title has a positive one), ``top_titles`` (up to ``top`` distinct titles with a
        positive similarity as ``system code title (0.62)``, ``; ``-joined, nearest first; a title may itself hold
        ``; ``, an entry ends at its ``(0.62)``) and
        ``unclassified_by_titles`` (``title_similarity < threshold``).

    Raises
    ------
    InputError
        When ``centroids`` is empty, not two-dimensional, not finite or not L2-normalised, or when ``encode``
        returns an array of the wrong shape, with non-finite values or rows that are neither unit nor zero.
    OptionError
        For unknown ``systems``, a ``threshold`` outside [-1, 1] or a ``top`` below 1.

    Examples
    --------
    A toy space with one dimension per word stands in for an embedding model:

    >>> words = ["bread", "cakes", "bakery", "drone"]
    >>> def encode(texts):
    ...     rows = np.array([[float(w in t.lower()) for w in words] for t in texts])
    ...     norms = np.linalg.norm(rows, axis=1, keepdims=True)
    ...     return rows / np.where(norms > 0, norms, 1.0)
    >>> fit = semantic_fit(encode(["bread and cakes", "drone"]), encode, systems=["nace2"], threshold=0.5)
    >>> fit.loc[0, ["best_code", "best_title"]].tolist()
    ['1071', 'Manufacture of bread; manufacture of fresh pastry goods and cakes']
    >>> fit.loc[0, "top_titles"].count("(1.00)")  # and 4724 "Retail sale of bread, cakes, ..."
    2
    >>> float(fit.loc[1, "title_similarity"]), bool(fit.loc[1, "unclassified_by_titles"])  # "drone": no title
    (0.0, True)
    """
    names = _check_systems(systems)
    if isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 1:
        raise OptionError(f"top must be an int >= 1, got {top!r}")
    try:
        limit = float(threshold)
    except (TypeError, ValueError):
        raise OptionError(f"threshold must be a number in [-1, 1], got {threshold!r}") from None
    if not -1.0 <= limit <= 1.0:
        raise OptionError(f"threshold must be a number in [-1, 1] (a cosine similarity), got {threshold!r}")
    vectors = np.asarray(centroids, dtype=np.float64)
    if vectors.ndim != 2 or vectors.shape[0] == 0 or vectors.shape[1] == 0:
        raise InputError(f"centroids must be a non-empty k × d array, got shape {vectors.shape}")
    if not np.isfinite(vectors).all():
        raise InputError("centroids hold NaN or infinite values")
    _check_unit_rows(vectors, "centroids", zero_ok=False)

    titles = _title_table(names)
    # each distinct string encoded once: the same title in two systems gets the same vector, so they tie exactly
    distinct, inverse = np.unique(titles["title"].astype(str).to_numpy(dtype=str), return_inverse=True)
    encoded = np.asarray(encode(distinct.tolist()), dtype=np.float64)
    if encoded.shape != (len(distinct), vectors.shape[1]):
        raise InputError(f"encode returned shape {encoded.shape} for {len(distinct)} titles; expected "
                         f"({len(distinct)}, {vectors.shape[1]}), the dimension of the centroids")
    if not np.isfinite(encoded).all():
        raise InputError("encode returned NaN or infinite values")
    _check_unit_rows(encoded, "the encoded titles", zero_ok=True)
    encoded = encoded[inverse]

    similarity = np.clip(vectors @ encoded.T, -1.0, 1.0)  # k × n titles, all cosines at once
    # identical titles in several systems tie exactly; a stable sort keeps the table's order (systems as given)
    order = np.argsort(-similarity, axis=1, kind="stable")
    # a title occurs at most once per system, so top × systems candidates always hold `top` distinct titles
    depth = min(similarity.shape[1], top * len(names))
    candidates = order[:, :depth]
    keys = titles["title"].map(_key).to_numpy(dtype=object)
    system_col, code_col, title_col = (titles[c].astype(str).to_numpy(dtype=object) for c in ("system", "code",
                                                                                             "title"))
    best = order[:, 0]
    best_similarity = similarity[np.arange(len(vectors)), best]
    matched = best_similarity > 0
    top_titles = []
    for row, picks in enumerate(candidates):
        listed: list[str] = []
        seen: set[Any] = set()
        for i in picks:
            if similarity[row, i] <= 0 or len(listed) == top:
                break
            if keys[i] in seen:
                continue
            seen.add(keys[i])
            listed.append(f"{system_col[i]} {code_col[i]} {title_col[i]} ({similarity[row, i]:.2f})")
        top_titles.append("; ".join(listed))

    def pick(column: np.ndarray) -> pd.Series:
        return pd.Series(column[best], dtype="string").where(matched, pd.NA)

    title_similarity = np.where(matched, best_similarity, 0.0)
    return pd.DataFrame({
        "best_code": pick(code_col),
        "best_system": pick(system_col),
        "best_title": pick(title_col),
        "title_similarity": title_similarity,
        "top_titles": pd.Series(top_titles, dtype=object),
        "unclassified_by_titles": title_similarity < limit,
    })


def memoised(encode: Callable[[list[str]], np.ndarray]) -> Callable[[list[str]], np.ndarray]:
    """``encode`` that embeds each distinct text once per process and keeps its rows in memory.

    Examples
    --------
    >>> calls = []
    >>> def encode(texts):
    ...     calls.append(list(texts))
    ...     return np.eye(3)[[len(t) % 3 for t in texts]]
    >>> once = memoised(encode)
    >>> _ = once(["ab", "c"]); _ = once(["c", "ab", "ab"])
    >>> calls
    [['ab', 'c']]
    """
    memo: dict[str, np.ndarray] = {}

    def cached(texts: list[str]) -> np.ndarray:
        values = [str(t) for t in texts]
        missing = sorted({t for t in values if t not in memo})
        if missing:
            memo.update(zip(missing, np.asarray(encode(missing)), strict=True))
        if not values:
            width = next(iter(memo.values())).shape[0] if memo else 0
            return np.zeros((0, width), dtype=np.float32)
        return np.stack([memo[t] for t in values]).astype(np.float32, copy=False)

    return cached


def lsa_encoder(counter: Any, tfidf: Any, components: np.ndarray | None) -> Callable[[list[str]], np.ndarray]:
    """An ``encode`` for :func:`semantic_fit` in a fitted TF-IDF (+ SVD) space: the fallback method's vectors.

    Parameters
    ----------
    counter
        The fitted :class:`sklearn.feature_extraction.text.CountVectorizer` of the activities' corpus.
    tfidf
        The fitted :class:`sklearn.feature_extraction.text.TfidfTransformer`.
    components
        The SVD's ``d × n_terms`` right singular vectors (``TruncatedSVD.components_``), or ``None`` when the
        activities live in the TF-IDF space itself.

    Returns
    -------
    Callable[[list[str]], numpy.ndarray]
        ``encode(texts)`` → L2-normalised rows; a title sharing no word with the corpus' vocabulary (or whose words
        the SVD drops) gets a zero row.

    Examples
    --------
    >>> from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
    >>> docs = ["drone flight software", "bread bakery", "drone camera", "bakery ovens"]
    >>> counter = CountVectorizer().fit(docs)
    >>> tfidf = TfidfTransformer().fit(counter.transform(docs))
    >>> encode = lsa_encoder(counter, tfidf, None)
    >>> np.linalg.norm(encode(["Drone services", "Manufacture of steel"]), axis=1).round(3).tolist()
    [1.0, 0.0]
    """
    def encode(texts: list[str]) -> np.ndarray:
        weights = tfidf.transform(counter.transform([str(t) for t in texts]))
        rows = np.asarray(weights @ components.T) if components is not None else weights.toarray()
        rows = np.asarray(rows, dtype=np.float64)
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return rows / np.where(norms > 1e-12, norms, 1.0) * (norms > 1e-12)

    return encode
