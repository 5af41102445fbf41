"""Outputs of ``clusterwatch activities``: CSV tables and one self-contained offline page of text-derived activities.

The page (``activities.html``) holds a broad → fine overview, a sortable and filterable table of the activities
with a sparkline of each one's share of texts per year, a card per activity with its representative text, and a
methods section whose thresholds are read from the analysis' constants. Inline SVG, CSS and a little JavaScript;
nothing is fetched from anywhere. All text is escaped (Jinja2 autoescape).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup

from clusterwatch.analysis.text import (
    OUTLIER_BELOW,
    SEMANTIC_UNCLASSIFIED_BELOW,
    UNCLASSIFIED_BELOW,
    ActivityResult,
)
from clusterwatch.analysis.text.activities import EMBEDDING_OUTLIER_BELOW, TREND_MIN_TEXTS
from clusterwatch.report.csvsafe import write_csv
from clusterwatch.report.render import render_page

__all__ = [
    "OUTPUT_FILES",
    "firm_activities_frame",
    "render_activities_html",
    "sparkline_svg",
    "text_activities_frame",
    "write_activities",
]

#: The files :func:`write_activities` writes, by name.
OUTPUT_FILES: dict[str, str] = {
    "activities": "activities.csv",
    "broad": "broad_activities.csv",
    "firms": "firm_activities.csv",
    "texts": "text_activities.csv",
    "periods": "activity_periods.csv",
    "html": "activities.html",
}

#: Characters of each text kept in ``text_activities.csv`` (the whole text is in the user's source).
TEXT_CHARS = 200

#: Sparklines leave out years with fewer dated texts than this in the whole corpus: a share of 2 texts in 3 says
#: nothing and would set the scale (the shares are all in ``activity_periods.csv``).
SPARSE_YEAR_TEXTS = TREND_MIN_TEXTS


_LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")


def _present(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return False
    return not (isinstance(value, float | np.floating) and math.isnan(float(value)))


def _share(value: object, spec: str = ".0%") -> str:
    return format(float(value), spec) if _present(value) else ""  # type: ignore[arg-type]


def _semantic_threshold(result: ActivityResult) -> float | None:
    """The title similarity below which an activity is unclassified by titles, for the result's method."""
    if not result.code_systems:
        return None
    return SEMANTIC_UNCLASSIFIED_BELOW.get(result.method)


def firm_activities_frame(result: ActivityResult, firms: pd.DataFrame | None = None) -> pd.DataFrame:
    """Firm → activity: ``firm_id, name, activity_id, label, broad_id, score, method`` (outlier firms left out).

    ``name`` is the firm's name where ``firms`` (a canonical firm table) has one, else empty.

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> result = SimpleNamespace(
    ...     assignments=pd.DataFrame({"firm_id": ["a", "b"], "activity_id": ["T01", "T01"], "score": [0.9, 0.8]}),
    ...     activities=pd.DataFrame({"activity_id": ["T01"], "label": ["drone / aerial"], "broad_id": ["B1"]}),
    ...     method="tfidf-svd-kmeans")
    >>> firm_activities_frame(result, pd.DataFrame({"firm_id": ["a"], "name": ["Acme"]}))["name"].tolist()
    ['Acme', '']
    """
    frame = result.assignments[["firm_id", "activity_id", "score"]].copy()
    frame["firm_id"] = frame["firm_id"].astype("string")
    names: dict[str, str] = {}
    if firms is not None and "name" in firms and len(firms):
        named = firms.loc[firms["name"].notna(), ["firm_id", "name"]].drop_duplicates("firm_id")
        names = dict(zip(named["firm_id"].astype(str), named["name"].astype(str), strict=True))
    frame.insert(1, "name", [names.get(str(f), "") for f in frame["firm_id"]])
    info = result.activities.set_index("activity_id")
    frame.insert(3, "label", frame["activity_id"].map(info["label"]))
    frame.insert(4, "broad_id", frame["activity_id"].map(info["broad_id"]) if "broad_id" in info else pd.NA)
    frame["method"] = result.method
    return frame.sort_values(["activity_id", "score", "firm_id"], ascending=[True, False, True],
                             kind="stable").reset_index(drop=True)


def text_activities_frame(result: ActivityResult, texts: pd.DataFrame) -> pd.DataFrame:
    """Text → activity: ``row, firm_id, date, activity_id, score[, dataset], text, method``.

    ``texts`` is the frame given to :func:`~clusterwatch.analysis.text.discover_activities` (``row`` is its index
    label); ``text`` is the text's first :data:`TEXT_CHARS` characters. ``activity_id`` ``"-1"`` marks an outlier.
    """
    frame = result.text_assignments.copy()
    frame["text"] = texts["text"].reindex(frame["row"]).astype("string").str.slice(0, TEXT_CHARS).to_numpy()
    first = ["row", "firm_id", "date", "activity_id", "score"]
    frame = frame[first + [c for c in frame.columns if c not in first]]
    frame["method"] = result.method
    return frame


def _for_csv(frame: pd.DataFrame, method: str) -> pd.DataFrame:
    """A copy with a ``method`` column and every text on one line (a lone carriage return in a text would end the
    row for many CSV readers, pandas' among them)."""
    out = frame if "method" in frame else frame.assign(method=method)
    out = out.copy()
    for column in out.columns:
        if out[column].dtype == object or isinstance(out[column].dtype, pd.StringDtype):
            out[column] = out[column].map(lambda v: _LINE_BREAKS.sub(" ", v) if isinstance(v, str) else v)
    return out


def write_activities(result: ActivityResult, out: str | os.PathLike[str], *, texts: pd.DataFrame,
                     firms: pd.DataFrame | None = None, about: Mapping[str, Any] | None = None,
                     note: str = "") -> dict[str, Path]:
    """Write the CSV files and ``activities.html`` into ``out`` (created if needed); return the paths by name.

    Every file names the method in a ``method`` column (the page in its header), so that a TF-IDF fallback is
    never mistaken for sentence embeddings.

    Parameters
    ----------
    result
        What :func:`~clusterwatch.analysis.text.discover_activities` found.
    out
        The folder.
    texts
        The texts given to ``discover_activities`` (for ``text_activities.csv``).
    firms
        The firm table, for firm names (optional).
    about
        Header lines of the page (``data``, ``command``, versions ...), shown as given.
    note
        Why the method is what it is (for a TF-IDF fallback: why embeddings were not used), shown under the header.

    Returns
    -------
    dict of str to pathlib.Path
        The paths written, by the keys of :data:`OUTPUT_FILES`.
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / file for name, file in OUTPUT_FILES.items()}
    tables = {"activities": result.activities, "broad": result.broad, "periods": result.periods,
              "firms": firm_activities_frame(result, firms), "texts": text_activities_frame(result, texts)}
    for name, table in tables.items():
        write_csv(_for_csv(table, result.method), paths[name])
    paths["html"].write_text(render_activities_html(result, about=about, note=note), encoding="utf-8")
    return paths


def sparkline_svg(years: np.ndarray, shares: np.ndarray, *, counts: np.ndarray | None = None, width: int = 120,
                  height: int = 26, axis: bool = False) -> str:
    """An inline SVG line of a share per year (``years`` ascending, a shared axis).

    A NaN share (a year without any dated text in the corpus) breaks the line; ``counts`` (the activity's texts per
    year) go into the tooltip. With ``axis`` the first and last year and the largest share are written on it.

    Examples
    --------
    >>> svg = sparkline_svg(np.arange(2000, 2005), np.array([0.1, 0.2, np.nan, 0.2, 0.3]))
    >>> svg.startswith("<svg"), svg.count("<polyline")
    (True, 2)
    """
    if len(years) == 0:
        return ""
    finite = np.isfinite(shares)
    top = float(shares[finite].max()) if finite.any() else 0.0
    scale = top if top > 0 else 1.0
    pad_top, pad_bottom = (11, 12) if axis else (2, 2)
    inner = height - pad_top - pad_bottom
    span = max(float(years[-1] - years[0]), 1.0)
    xs = (years - years[0]) / span * (width - 4) + 2
    ys = pad_top + inner - np.where(finite, shares, 0.0) / scale * inner
    runs, run = [], []
    for x, y, ok in zip(xs, ys, finite, strict=True):
        if ok:
            run.append(f"{x:.1f},{y:.1f}")
        elif run:
            runs.append(run)
            run = []
    runs += [run] if run else []
    lines = "".join(f'<polyline points="{" ".join(r)}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>'
                    if len(r) > 1 else f'<circle cx="{r[0].split(",")[0]}" cy="{r[0].split(",")[1]}" r="1.5" '
                    'fill="#1f77b4"/>' for r in runs)
    n = counts if counts is not None else np.full(len(years), -1)
    tip = "; ".join(f"{int(y)}: {s:.1%}" + (f" ({int(c)})" if c >= 0 else "")
                    for y, s, c in zip(years, shares, n, strict=True) if np.isfinite(s) and s > 0)
    labels = ""
    if axis:
        labels = (f'<text x="0" y="{height - 1}" font-size="10">{int(years[0])}</text>'
                  f'<text x="{width}" y="{height - 1}" font-size="10" text-anchor="end">{int(years[-1])}</text>'
                  f'<text x="0" y="9" font-size="10">max {top:.1%}</text>')
    return (f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'xmlns="http://www.w3.org/2000/svg" role="img"><title>{Markup.escape(tip or "no dated texts")}</title>'
            f'<line x1="2" x2="{width - 2}" y1="{pad_top + inner:.1f}" y2="{pad_top + inner:.1f}" stroke="#ccc"/>'
            f"{lines}{labels}</svg>")


def _share_series(result: ActivityResult) -> tuple[np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """The years of ``result.periods`` and each activity's (share, texts) in them; NaN in sparse years."""
    periods = result.periods
    if periods.empty:
        return np.array([], dtype=int), {}
    years = np.arange(int(periods["period"].min()), int(periods["period"].max()) + 1)
    dated = pd.to_datetime(result.text_assignments["date"]).dropna().dt.year
    sparse = dated.value_counts().reindex(years, fill_value=0).to_numpy() < SPARSE_YEAR_TEXTS
    out = {}
    for activity, part in periods.groupby("activity_id", sort=False):
        part = part.set_index("period").reindex(years)
        share = part["share"].to_numpy(dtype=float, copy=True)
        share[sparse] = np.nan
        out[str(activity)] = (share, part["n_texts"].fillna(0).to_numpy(dtype=float))
    return years, out



#: The page's table: header, the ``activities.csv`` column(s) it shows, meaning.
_COLUMNS = [
    ("id", "activity_id", "T01 … by number of firms, largest first"),
    ("broad", "broad_id", "the broad group it belongs to (broad_label, and broad_activities.csv)"),
    ("label", "label", "its top three c-TF-IDF keywords"),
    ("keywords", "keywords", "its top ten"),
    ("firms", "n_firms", "firms in it (each firm in one activity at most; firm_activities.csv)"),
    ("texts", "n_texts", "texts placed in it (text_activities.csv; activity -1: outlier texts)"),
    ("first", "first_period", "year of its first dated text"),
    ("trend", "trend, trend_p", "Mann–Kendall trend of its yearly share of dated texts, and its p-value (trend_tau: "
                                "Kendall's tau)"),
    ("recent", "recent_share", "share of its dated texts in the recent window"),
    ("onset", "onset_period", "the year by which 10 % of its dated texts had been written"),
    ("new", "new", "its onset falls in the recent window"),
    ("share per year", "activity_periods.csv", "its share of all dated texts per year (n_texts, share)"),
    ("code coverage", "code_coverage", "share of its coded firms carrying its dominant code (dominant_code, "
                                       "top_codes, code_entropy, code_capture, n_coded)"),
    ("best title", "best_code, best_title, title_similarity", "the official code title closest to it and the cosine "
                                                             "similarity (top_titles: the nearest three)"),
    ("unclassified", "unclassified", "codes miss it: by codes (unclassified_by_codes) or by titles "
                                     "(unclassified_by_titles)"),
]


def _num(value: object, spec: str) -> dict[str, Any]:
    if not _present(value):
        return {"text": "", "v": "", "n": True}
    return {"text": format(float(value), spec), "v": repr(float(value)), "n": True}  # type: ignore[arg-type]


def _text(value: object) -> dict[str, Any]:
    return {"text": str(value) if _present(value) else "", "v": None, "n": False}


def _onset(value: object) -> dict[str, Any]:
    year = str(int(value)) if _present(value) else ""  # type: ignore[call-overload]
    return {"text": year, "v": year, "n": True}


def _flag(value: object) -> bool:
    return bool(value) if _present(value) else False


def _unclassified_text(row: Mapping[str, Any]) -> str:
    reasons = [why for key, why in (("unclassified_by_codes", "codes"), ("unclassified_by_titles", "titles"))
               if _flag(row.get(key))]
    if reasons:
        return "yes (" + ", ".join(reasons) + ")"
    return "yes" if _flag(row.get("unclassified")) else ""


def _rows(activities: pd.DataFrame, years: np.ndarray, series: dict[str, tuple[np.ndarray, np.ndarray]]
          ) -> list[dict[str, Any]]:
    rows = []
    for row in activities.to_dict("records"):
        aid = str(row["activity_id"])
        trend = str(row.get("trend")) if _present(row.get("trend")) else ""
        trend_text = trend + (f" (p {float(row['trend_p']):.3f})" if trend and _present(row.get("trend_p")) else "")
        first = row.get("first_period")
        title = ""
        if _present(row.get("best_title")):
            title = f"{row.get('best_code', '')} {row['best_title']}".strip()
            if _present(row.get("title_similarity")):
                title += f" ({float(row['title_similarity']):.2f})"
        spark = sparkline_svg(years, series[aid][0], counts=series[aid][1]) if aid in series else ""
        cells = [
            {"text": Markup(f'<a href="#{Markup.escape(aid)}">{Markup.escape(aid)}</a>'), "v": None, "n": False},
            _text(row.get("broad_id")), _text(row.get("label")), _text(row.get("keywords")),
            _num(row.get("n_firms"), ",.0f"), _num(row.get("n_texts"), ",.0f"),
            {"text": str(int(first)) if _present(first) else "", "v": str(int(first)) if _present(first) else "",
             "n": True},
            {"text": trend_text, "v": None, "n": False},
            _num(row.get("recent_share"), ".0%"),
            _onset(row.get("onset_period")),
            _text("yes" if _flag(row.get("new")) else ""),
            {"text": Markup(spark), "v": None, "n": False},
            _num(row.get("code_coverage"), ".0%"),
            _text(title),
            _text(_unclassified_text(row)),
        ]
        rows.append({"cells": cells, "new": int(_flag(row.get("new"))), "trend": trend,
                     "unc": int(_flag(row.get("unclassified")))})
    return rows


def _cards(activities: pd.DataFrame, years: np.ndarray, series: dict[str, tuple[np.ndarray, np.ndarray]]
           ) -> list[dict[str, Any]]:
    cards = []
    for row in activities.to_dict("records"):
        aid = str(row["activity_id"])
        codes = ""
        if _present(row.get("top_codes")) and str(row.get("top_codes")):
            codes = f"codes of its firms: {row['top_codes']} (coverage {_share(row.get('code_coverage'))})"
        titles = f"closest code titles: {row['top_titles']}" if _present(row.get("top_titles")) else ""
        broad = f"in {row['broad_id']} {row.get('broad_label', '')}" if _present(row.get("broad_id")) else ""
        cards.append({
            "activity_id": aid, "label": row.get("label", ""), "keywords": row.get("keywords", ""),
            "new": _flag(row.get("new")), "trend": row.get("trend") if _present(row.get("trend")) else "",
            "unclassified": _unclassified_text(row).replace("yes", "unclassified", 1), "broad": broad,
            "codes": codes, "titles": titles,
            "representative": row.get("representative", ""),
            "spark": Markup(sparkline_svg(years, series[aid][0], counts=series[aid][1], width=260, height=64,
                                          axis=True))
            if aid in series else "",
        })
    return cards


def _broad(result: ActivityResult) -> list[dict[str, Any]]:
    broad = result.broad
    fine = result.activities
    out = []
    for row in broad.to_dict("records"):
        members = fine[fine["broad_id"] == row["broad_id"]]
        out.append({"broad_id": row["broad_id"], "label": row["label"], "n_firms": int(row["n_firms"]),
                    "n_texts": int(row["n_texts"]), "members": members.to_dict("records")})
    return out


def _trend_alpha() -> float:
    """The significance level of the Mann–Kendall trends (the default of :func:`mann_kendall`)."""
    import inspect

    from clusterwatch.analysis.time import mann_kendall

    return float(inspect.signature(mann_kendall).parameters["alpha"].default)


def _methods(result: ActivityResult) -> list[str]:
    """The methods section: how the activities were made, and every threshold, read from the analysis."""
    if result.method == "tfidf-svd-kmeans":
        vectors = ("Each firm's texts are joined into one document and turned into TF-IDF vectors (English stop "
                   "words, unigrams and bigrams), reduced by a truncated SVD (latent semantic analysis, "
                   f"{result.n_dimensions} dimensions) and L2-normalised.")
    else:
        vectors = (f"Every text is embedded with the sentence-embedding model {result.model} ({result.n_dimensions} "
                   "dimensions); a firm's vector is the normalised mean of its texts' vectors.")
    paragraphs = [
        vectors + " k-means groups the firms into the fine activities; Ward's clustering of their centres gathers "
        "them into the broad groups. Labels and keywords are class-based TF-IDF words (as in BERTopic): the words "
        "most typical of an activity's texts compared with all texts.",
        f"A firm or a text whose cosine similarity to its activity's centre is below {result.min_score:g} is an "
        f"outlier (the defaults: {EMBEDDING_OUTLIER_BELOW:g} for sentence embeddings, {OUTLIER_BELOW:g} for TF-IDF "
        f"vectors); so are the firms of a group with fewer than {result.min_firms} firms. Every text is placed at "
        "its nearest activity, with its date, so that dated texts (awards, projects) show when firms turned to a "
        "kind of work.",
        "Share per year: an activity's dated texts in a year divided by all dated texts used that year (outlier "
        f"texts count in the denominator); the lines leave out years with fewer than {SPARSE_YEAR_TEXTS} dated "
        "texts in all (every year is in activity_periods.csv). The trend is the Mann–Kendall test on that yearly "
        f"share over the years with at least {TREND_MIN_TEXTS} dated texts: increasing or decreasing when "
        f"p < {_trend_alpha():g}, none "
        "otherwise."
        + (f" The recent window starts in {result.recent_from}: recent share is the share of an activity's dated "
           "texts from then on, and an activity is new when its onset (the year by which 10 % of its dated texts "
           "were written) falls in it."
           if result.recent_from is not None else " The texts are undated: no trend, no recent window."),
        "Code coverage: the share of an activity's firms with an official code that carry its most common code. An "
        f"activity is unclassified by codes when that share is below {UNCLASSIFIED_BELOW:g}: no single code "
        "describes most of its firms (activities without coded firms are not judged).",
    ]
    semantic = _semantic_threshold(result)
    if semantic is not None:
        paragraphs.append(
            f"Best title: the official code title ({', '.join(result.code_systems)}; the broadest levels left out) "
            "closest to the activity's centre, in the same vector space as the texts, with its cosine similarity. "
            f"An activity is unclassified by titles when no title comes closer than {semantic:g} (the threshold for "
            f"{result.method}). Unclassified means either.")
    paragraphs.append("An activity is a lead — firms that describe their work alike — not an industry: read its "
                      "representative text and keywords before naming it.")
    return paragraphs


def render_activities_html(result: ActivityResult, *, about: Mapping[str, Any] | None = None,
                           note: str = "") -> str:
    """The page as one HTML string (see :func:`write_activities`).

    Parameters
    ----------
    result
        What :func:`~clusterwatch.analysis.text.discover_activities` found.
    about
        Extra header lines shown first (``data``: what was read, for example), as given.
    note
        Why the method is what it is, shown with the method.

    Examples
    --------
    >>> import pandas as pd
    >>> from clusterwatch.analysis.text import discover_activities
    >>> themes = {"drone": "drone flight autonomy aerial inspection", "yeast": "yeast protein gene assay enzyme"}
    >>> rows = [(f"{k}{i}", f"{v} {w}") for k, v in themes.items() for i, w in enumerate(v.split() * 2)]
    >>> result = discover_activities(pd.DataFrame(rows, columns=["firm_id", "text"]), n_activities=2,
    ...                              min_firms=2, rng=1, method="tfidf-svd-kmeans")
    >>> page = render_activities_html(result, about={"data": "<two themes>"})
    >>> "&lt;two themes&gt;" in page and "tfidf-svd-kmeans" in page
    True
    """
    activities = result.activities
    years, series = _share_series(result)
    embedding = result.embedding
    n_firms = int(result.assignments["firm_id"].nunique())
    header: list[tuple[str, Any]] = [(str(k), v) for k, v in (about or {}).items()]
    header += [
        ("method", result.method),
        ("model", result.model),
        ("seed", result.seed),
        ("texts", f"{result.n_texts_used:,} used, {result.n_texts_dropped:,} left out (empty or after the as-of "
                  "date)"),
        ("firms in activities", f"{n_firms:,}"),
        ("activities", f"{len(activities)} fine (k = {result.n_activities}), {len(result.broad)} broad"),
        ("smallest activity", f"{result.min_firms} firms"),
    ]
    if "as of" not in (about or {}):
        header.insert(len(about or {}) + 2, ("as of", result.as_of.date().isoformat() if result.as_of is not None
                                              else "all texts"))
    if result.recent_from is not None:
        header.append(("recent window", f"from {result.recent_from}"))
    header.append(("code titles", ", ".join(result.code_systems) or "not compared"))
    if embedding is not None:
        header.append(("embedding", f"{embedding.n_embedded:,} texts embedded, {embedding.n_cached:,} from the "
                                    f"cache, {embedding.seconds:.0f} s on {embedding.device}"))
    fallback = ""
    if result.method == "tfidf-svd-kmeans":
        fallback = note or "Sentence embeddings were not used for this run."
    paragraphs = _methods(result)
    title = str((about or {}).get("data", "")) or f"{len(activities)} activities"
    return render_page("activities.html.j2",
        title=title, method=result.method, fallback=fallback, header=header, broad=_broad(result),
        columns=_COLUMNS, rows=_rows(activities, years, series), cards=_cards(activities, years, series),
        methods=paragraphs, glossary=_COLUMNS)
