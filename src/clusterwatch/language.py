"""A cheap language check for firm texts: the share of English function words.

Sentence-embedding models such as the packaged all-MiniLM-L6-v2 are trained on English; on Norwegian (or any other
language) they group texts by surface tokens no better than TF-IDF does, at many times the cost. A text corpus is
"English" here when function words of English ("the", "of", "and" ...) make up a share of its words that English
prose reaches and other languages do not. Measured on 2,000 texts each: SBIR award abstracts 28 %, DSBS capability
statements 22 %, Brønnøysund activity texts (Norwegian) 0.2 %; the line is drawn at :data:`ENGLISH_SHARE_MIN`
(12 %). This is a heuristic for choosing a default, not language identification: lists of product names may be
English and still score low.

:func:`choose_text_method` is the one rule that both the ``activities`` command and the scan
(:func:`clusterwatch.candidates.find_candidates`) apply to their texts before grouping them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["ENGLISH_FUNCTION_WORDS", "ENGLISH_SHARE_MIN", "LanguageCheck", "TextMethodChoice", "check_english",
           "choose_text_method"]

#: Frequent English function words that are not also frequent words of the Scandinavian, German, Dutch or French
#: registers (so "i", "a", "to", "for", "at", "om", "an", "in", "is", "on", "die" are left out).
ENGLISH_FUNCTION_WORDS: frozenset[str] = frozenset({
    "the", "of", "and", "with", "from", "by", "this", "that", "these", "those", "which", "are", "was", "were",
    "be", "been", "being", "has", "have", "had", "will", "would", "can", "could", "should", "our", "their", "its",
    "it", "they", "we", "such", "other", "through", "into", "also", "not", "or", "as", "than", "more", "most",
    "using", "based", "new", "provide", "provides", "development", "services", "products", "including",
})

#: The share of English function words above which texts count as English.
ENGLISH_SHARE_MIN = 0.12

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@dataclass(frozen=True)
class LanguageCheck:
    """What :func:`check_english` found: the share of English function words among the words read."""

    english_share: float
    words: int
    texts: int

    @property
    def english(self) -> bool:
        """Whether the texts read as English (or too few words to tell, which counts as English)."""
        return self.words < 50 or self.english_share >= ENGLISH_SHARE_MIN

    def describe(self) -> str:
        """One line for a note."""
        return (f"English function words are {self.english_share:.0%} of {self.words:,} words in {self.texts:,} "
                f"texts (English abstracts: 20-30 %; below {ENGLISH_SHARE_MIN:.0%} the texts are not English)")


def check_english(texts: Iterable[object], *, limit: int = 2000) -> LanguageCheck:
    """The share of English function words in (up to ``limit`` of) ``texts``.

    Examples
    --------
    >>> check_english(["Development of a new sensor for the monitoring of bridges and the analysis of data"] * 5)
    LanguageCheck(english_share=0.5333, words=75, texts=5)
    >>> check_english(["Utvikling og salg av programvare for skipsfart og havbruk, samt konsulenttjenester"] * 5)
    LanguageCheck(english_share=0.0, words=55, texts=5)
    """
    hits = words = n = 0
    for text in texts:
        if n >= limit:
            break
        if text is None or not isinstance(text, str):
            continue
        n += 1
        tokens = _WORD.findall(text.lower())
        words += len(tokens)
        hits += sum(token in ENGLISH_FUNCTION_WORDS for token in tokens)
    return LanguageCheck(english_share=round(hits / words, 4) if words else 0.0, words=words, texts=n)


@dataclass(frozen=True)
class TextMethodChoice:
    """What :func:`choose_text_method` decided: the method to use, the one asked for, and the check behind it.

    Attributes
    ----------
    method
        The text method to use.
    asked
        The text method asked for.
    check
        The language check of the texts; None where none was needed (TF-IDF asked for, or a model given).
    """

    method: str
    asked: str
    check: LanguageCheck | None = None

    @property
    def switched(self) -> bool:
        """Whether the texts' language changed the method (``auto`` on texts that are not English)."""
        return self.method != self.asked

    @property
    def note(self) -> str:
        """Why the language mattered, in one sentence; empty where the texts read as English or were not checked.

        Callers add how to change it in their own words (a command's option, a setting).
        """
        if self.check is None or self.check.english:
            return ""
        if self.switched:
            return (f"The texts do not read as English ({self.check.describe()}), and the packaged embedding model "
                    "reads English: TF-IDF groups them instead.")
        return (f"The texts do not read as English ({self.check.describe()}), but {self.asked} was asked for: the "
                "packaged embedding model reads English, so its groups may follow shared tokens, not meaning.")


def choose_text_method(method: str, texts: Iterable[object], *, model: str | None = None) -> TextMethodChoice:
    """The text method to use for ``texts`` given their language (:func:`check_english`).

    The packaged embedding model reads English. With ``method="auto"`` and no ``model``, texts that are not English
    are grouped with TF-IDF (``tfidf-svd-kmeans``) instead; an explicit ``"embedding-kmeans"`` is kept as asked
    (the choice's :attr:`~TextMethodChoice.note` warns). TF-IDF, or a model given (a multilingual one, say), needs
    no check.

    Parameters
    ----------
    method
        The text method asked for: ``tfidf-svd-kmeans``, ``embedding-kmeans`` or ``auto``.
    texts
        The texts to be grouped (non-strings are skipped).
    model
        The sentence-transformers model given by the user; None for the packaged (English) one.

    Returns
    -------
    TextMethodChoice

    Examples
    --------
    >>> norwegian = ["Utvikling og salg av programvare for skipsfart og havbruk, samt konsulenttjenester"] * 5
    >>> choose_text_method("auto", norwegian).method
    'tfidf-svd-kmeans'
    >>> english = ["Development of a new sensor for the monitoring of bridges and the analysis of data"] * 5
    >>> choose_text_method("auto", english).method, choose_text_method("auto", english).note
    ('auto', '')
    >>> choose_text_method("embedding-kmeans", norwegian).method
    'embedding-kmeans'
    """
    if model is not None or method == "tfidf-svd-kmeans":
        return TextMethodChoice(method, method)
    found = check_english(texts)
    if method == "auto" and not found.english:
        return TextMethodChoice("tfidf-svd-kmeans", method, found)
    return TextMethodChoice(method, method, found)
