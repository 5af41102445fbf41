"""The one report layer: a jinja2 environment over the templates shipped in ``report/templates``.

Every page extends ``base.html.j2`` (layout, CSS, the sortable-table script) and draws its maps, tables and charts
with the macros of ``macros.html.j2``. Autoescaping is on; data for scripts goes through :func:`json_for_script`,
which no text of the data (``</script>``, ``<!--<script>``) can break out of.
"""

from __future__ import annotations

import functools
import json
import math
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

__all__ = ["VENDORED", "environment", "json_for_script", "render_page", "static_text", "without_vendored"]

_SCRIPT_UNSAFE = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026", 0x2028: "\\u2028",
                  0x2029: "\\u2029"}


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        return _clean(value.item())
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _plain_scalar(value: Any) -> Any:
    if hasattr(value, "item"):
        item = value.item()
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError("not finite")
        return item
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_for_script(data: Any) -> Markup:
    """``data`` as JSON that is safe inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` are written as ``\\u003c`` …, so no string in the data can close the element or open
    an HTML comment (``<!--<script>`` would otherwise swallow the rest of the page); NaN becomes ``null``.

    Examples
    --------
    >>> str(json_for_script({"name": "</script><!--<script>"}))
    '{"name":"\\\\u003c/script\\\\u003e\\\\u003c!--\\\\u003cscript\\\\u003e"}'
    """
    try:  # most payloads are plain already: one pass of the encoder, numpy scalars converted on the way
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_plain_scalar)
    except ValueError:  # a NaN or infinity somewhere: walk the data once to make them null
        text = json.dumps(_clean(data), separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return Markup(text.translate(_SCRIPT_UNSAFE))


#: The vendored files inlined into pages with a map (unchanged copies from npm; see static/PROVENANCE.md).
VENDORED: tuple[str, ...] = ("leaflet/leaflet.js", "leaflet/leaflet.markercluster.js", "leaflet/leaflet.css",
                             "leaflet/MarkerCluster.css", "leaflet/MarkerCluster.Default.css")


def without_vendored(page: str) -> str:
    """``page`` less the vendored library texts inlined in it: what remains is the project's own markup, which
    checks for fetched URLs can read (Leaflet's source names its home page in a string and its CSS refers to
    images that a map without default markers never loads)."""
    for name in VENDORED:
        page = page.replace(static_text(name), "")
    return page


@functools.cache
def static_text(name: str) -> str:
    """A file of ``report/static`` (the vendored map library, the map script) as text."""
    return (resources.files("clusterwatch.report") / "static" / name).read_text(encoding="utf-8")


def _inline_script(name: str) -> Markup:
    # a vendored script inlined in <script>: "</script" cannot occur in it, checked rather than assumed
    text = static_text(name)
    if "</script" in text.lower():
        raise ValueError(f"{name} holds '</script' and cannot be inlined")
    return Markup(text)


def _fmt(value: Any, spec: str = ".2f") -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "" if value is None else str(value)
    return "" if math.isnan(number) else format(number, spec)


@functools.cache
def environment() -> jinja2.Environment:
    """The shared environment: package templates, autoescape, filters ``fmt`` and ``script_json``."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("clusterwatch.report", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.Undefined)
    env.filters["fmt"] = _fmt
    env.filters["script_json"] = json_for_script
    env.globals["static_css"] = lambda name: Markup(static_text(name))
    env.globals["static_js"] = _inline_script
    return env


def render_page(template: str, **context: Any) -> str:
    """Render one page template of ``report/templates`` with ``context``."""
    return environment().get_template(template).render(**context)
