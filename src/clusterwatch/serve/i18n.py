"""The app's texts: one JSON file per language in ``serve/i18n`` (English is the reference; Finnish beside it).

A text is looked up by key and formatted with named fields (``{name}``); a key missing in a language falls back to
English, and a key missing in English raises, so a typo in a template fails its test.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

LANGUAGES = ("en", "fi")
DEFAULT_LANGUAGE = "en"


@cache
def texts(language: str) -> dict[str, str]:
    """The texts of ``language`` (key -> text)."""
    if language not in LANGUAGES:
        raise KeyError(f"language {language!r} is not one of {', '.join(LANGUAGES)}")
    path = resources.files("clusterwatch.serve") / "i18n" / f"{language}.json"
    loaded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def translate(language: str, key: str, **fields: object) -> str:
    """The text ``key`` in ``language``, with ``fields`` filled in.

    Examples
    --------
    >>> translate("fi", "hello", name="Aalto")
    'Hei, Aalto.'
    >>> translate("en", "hello", name="Aalto")
    'Hello, Aalto.'
    """
    text = texts(language).get(key)
    if text is None:
        text = texts(DEFAULT_LANGUAGE)[key]
    return text.format(**fields) if fields else text


def pick_language(cookie: str | None, accept_language: str | None) -> str:
    """The language of a request: the ``lang`` cookie, else the first known one in Accept-Language, else English.

    Examples
    --------
    >>> pick_language(None, "fi-FI,fi;q=0.9,en;q=0.8")
    'fi'
    >>> pick_language("en", "fi")
    'en'
    """
    if cookie in LANGUAGES:
        return str(cookie)
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE
