"""Notebook views of results: a compact HTML table for ``_repr_html_``.

:class:`~clusterwatch.candidates.CandidateResult` can delegate to :func:`candidates_repr_html` (its
``_repr_html_``) and to :func:`clusterwatch.report.gis.to_geodataframe` (its ``to_geodataframe``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from clusterwatch.report.render import environment

if TYPE_CHECKING:
    from clusterwatch.candidates import CandidateResult

__all__ = ["candidates_repr_html"]

_TEMPLATE = """<div><p><b>{{ n }} cluster candidates</b> — {{ "{:,}".format(p.n_firms) }} firms as of {{ p.as_of }},
q ≤ {{ p.alpha }}, seed {{ seed }}{% if n > rows | length %}; the first {{ rows | length }} shown{% endif %}</p>
<table><thead><tr>{% for h in heads %}<th>{{ h }}</th>{% endfor %}</tr></thead><tbody>
{% for r in rows %}<tr>{% for v in r %}<td>{{ v }}</td>{% endfor %}</tr>{% endfor %}</tbody></table></div>"""


def candidates_repr_html(found: CandidateResult, firms: pd.DataFrame | None = None, *, max_rows: int = 20) -> str:
    """The leading candidates as an escaped HTML table: id, status, score, label, place, firms, q.

    The place is the candidates' ``place`` column where it has one, else where most member firms are (given
    ``firms``), else the nearest place to the centre.
    """
    from clusterwatch.places import place_labels
    from clusterwatch.report.mapdata import candidate_places, member_firms

    cand = found.candidates.head(max_rows)
    if "place" in cand.columns:
        places = cand["place"].fillna("").astype(str).tolist()
    elif firms is not None:
        places = candidate_places(cand, member_firms(found.candidate_firms, firms))["place"].tolist()
    else:
        places = place_labels(cand["lat"], cand["lon"]) if len(cand) else []
    rows = [(r.candidate_id, r.status, f"{r.score:.1f}", r.label, place, int(r.n_firms), f"{r.q_value:.3f}")
            for r, place in zip(cand.itertuples(index=False), places, strict=True)]
    return environment().from_string(_TEMPLATE).render(
        n=len(found.candidates), p=found.parameters, seed=found.seed, rows=rows,
        heads=["id", "status", "score", "label", "place", "firms", "q"])
