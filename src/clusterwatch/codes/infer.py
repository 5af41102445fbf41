"""Which code system a column of codes is in, judged from the codes alone, and only where that is unambiguous.

A file with a ``code`` column and no ``code_system`` would otherwise get no code activities. The rule is
conservative: a system is named only when nearly every code exists in its shipped table, the codes have its shape,
and no other system fits them about as well (four-digit NAICS and NACE codes overlap in 27 of 311 codes; two-digit
codes are NAICS sectors and NACE divisions alike, so a file of two-digit codes is never guessed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from clusterwatch.codes.hierarchy import CodesLike, valid_mask

__all__ = ["CodeSystemGuess", "infer_code_system"]

#: Share of the codes that must exist in a system for it to be named.
MOST = 0.9

#: Largest share of the codes another system may hold for the guess to count as unambiguous.
AT_MOST_OTHER = 0.5

#: Digits a code of each system may have (NACE-family sections are letters and are never guessed).
_DIGITS = {"naics": (2, 6), "nace2": (2, 4), "uksic2007": (2, 5), "sn2007": (2, 5)}

#: The NACE-family system a country's codes are in (NACE Rev. 2 elsewhere).
_NATIONAL = {"GB": "uksic2007", "UK": "uksic2007", "NO": "sn2007"}

_NAMES = {"naics": "NAICS 2017", "nace2": "NACE Rev. 2", "uksic2007": "UK SIC 2007", "sn2007": "SN2007"}
_SHAPE = re.compile(r"\d[\d.\s]*")


@dataclass(frozen=True)
class CodeSystemGuess:
    """The outcome of :func:`infer_code_system`.

    Attributes
    ----------
    system
        The code system, or ``None`` when the codes do not say which one unambiguously.
    reason
        Why, in words for the ingest report.
    shares
        Share of the codes found in each system considered.
    n_codes
        Codes looked at (missing ones left out).
    """

    system: str | None
    reason: str
    shares: dict[str, float] = field(default_factory=dict)
    n_codes: int = 0


def infer_code_system(codes: CodesLike, *, country: str | None = None, most: float = MOST,
                      at_most_other: float = AT_MOST_OTHER) -> CodeSystemGuess:
    """Guess the code system of a column of codes from their shape, where it is unambiguous.

    The candidates are NAICS (2–6 digits, never written with dots) and the NACE family: UK SIC 2007 with
    ``country`` GB, SN2007 with ``country`` NO, NACE Rev. 2 otherwise (2–4 digits; ``62.01`` and ``6201`` alike).
    A system is named when every code has its shape, at least ``most`` of the codes exist in its shipped table, and
    the other candidate holds at most ``at_most_other`` of them.

    Parameters
    ----------
    codes
        The codes, as read (one per row: a row's share counts, not the distinct codes').
    country
        ISO alpha-2 country of the rows, when all share one (picks the NACE-family system).
    most, at_most_other
        The thresholds above.

    Returns
    -------
    CodeSystemGuess

    Examples
    --------
    >>> infer_code_system(["541511", "541512", "238220"]).system
    'naics'
    >>> infer_code_system(["62.01", "62.02", "71.12"]).system
    'nace2'
    >>> infer_code_system(["62012", "71121"], country="GB").system
    'uksic2007'
    >>> guess = infer_code_system(["62", "71", "23"])  # NAICS sectors and NACE divisions alike
    >>> guess.system is None, guess.shares
    (True, {'naics': 1.0, 'nace2': 1.0})
    """
    series = codes if isinstance(codes, pd.Series) else pd.Series(list(codes), dtype=object)
    text = series.astype("string").str.strip()
    text = text[text.notna() & (text != "")].reset_index(drop=True)
    n = len(text)
    if n == 0:
        return CodeSystemGuess(None, "no codes")
    shaped = text.str.fullmatch(_SHAPE.pattern).fillna(False)
    if not shaped.all():
        example = str(text[~shaped].iloc[0])
        return CodeSystemGuess(None, f"codes are not all numeric (e.g. {example!r})", n_codes=n)
    compact = text.str.replace(r"[.\s]", "", regex=True)
    dotted = bool(text.str.contains(".", regex=False).any())
    nace = _NATIONAL.get(str(country).upper(), "nace2") if country else "nace2"
    shares: dict[str, float] = {}
    shaped_as: dict[str, bool] = {}
    for system in ("naics", nace):
        low, high = _DIGITS[system]
        lengths = compact.str.len()
        shaped_as[system] = bool(lengths.between(low, high).all()) and not (system == "naics" and dotted)
        shares[system] = float(valid_mask(compact, system).mean())
    fits = [s for s in shares if shaped_as[s] and shares[s] >= most]
    if len(fits) == 1:
        system = fits[0]
        # a system whose shape the codes do not have (NAICS for dotted codes) fits none of them
        other = max(v if shaped_as[s] else 0.0 for s, v in shares.items() if s != system)
        if other <= at_most_other:
            return CodeSystemGuess(system, f"{shares[system]:.0%} of {n:,} codes are {_NAMES[system]} codes "
                                           f"(at most {other:.0%} fit another system)", shares, n)
    described = ", ".join(f"{_NAMES[s]} {v:.0%}" for s, v in shares.items())
    return CodeSystemGuess(None, f"no system fits them unambiguously; known codes: {described}", shares, n)
