"""Leydesdorff's triple-helix synergy: mutual information in three dimensions (university, industry, government)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from clusterwatch.errors import InputError, OptionError

HELICES: tuple[str, ...] = ("university", "industry", "government")

#: Organisation ``kind`` → helix. Research organisations (CORDIS ``REC``: public research bodies such as Fraunhofer
#: or CNRS) produce knowledge, the academic helix's function, so they count with universities; ``other`` is none.
DEFAULT_HELIX: Mapping[str, str] = {
    "university": "university",
    "research": "university",
    "firm": "industry",
    "public": "government",
}


@dataclass(frozen=True)
class TripleHelixSynergy:
    """Triple-helix synergy of a set of units (projects or ties).

    Attributes
    ----------
    synergy
        T_uig in bits (base-2 logarithms). Negative values are synergy: the three helices together reduce the
        uncertainty more than their pairwise relations suggest; positive values are the opposite; 0 for helices
        that occur independently of each other.
    entropies
        ``H_u``, ``H_i``, ``H_g``, ``H_ui``, ``H_ug``, ``H_ig``, ``H_uig`` in bits.
    mutual_information
        The two-dimensional transmissions ``T_ui``, ``T_ug``, ``T_ig`` (e.g. T_ui = H_u + H_i − H_ui) in bits.
    table
        The 2 × 2 × 2 table: ``university``, ``industry``, ``government`` (present or not) and ``units``.
    n_units
        Units with at least one organisation of a helix (those the distribution is over).
    n_units_without_helix
        Units left out because none of their organisations maps to a helix.
    helix
        The ``kind`` → helix mapping used.
    """

    synergy: float
    entropies: dict[str, float]
    mutual_information: dict[str, float]
    table: pd.DataFrame = field(repr=False)
    n_units: int
    n_units_without_helix: int
    helix: dict[str, str] = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row: synergy, entropies, pairwise transmissions and unit counts."""
        return pd.DataFrame([{
            "synergy_bits": self.synergy, **self.entropies, **self.mutual_information,
            "units": self.n_units, "units_without_helix": self.n_units_without_helix,
        }])


def _entropy(counts: np.ndarray) -> np.ndarray:
    """Entropy in bits over the last axis of a table of counts (NaN where the total is 0)."""
    counts = np.asarray(counts, dtype=float)
    total = counts.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = counts / total
        terms = np.where(p > 0, -p * np.log2(np.where(p > 0, p, 1.0)), 0.0)
    h = terms.sum(axis=-1)
    return np.where(total[..., 0] > 0, h, np.nan) + 0.0


def entropies_from_counts(counts: np.ndarray) -> dict[str, np.ndarray]:
    """The seven entropies of Leydesdorff's T from counts of presence patterns, shape ``(..., 2, 2, 2)``.

    Axes are university, industry, government, each absent (0) or present (1).
    """
    c = np.asarray(counts, dtype=float)
    lead = c.shape[:-3]
    return {
        "H_u": _entropy(c.sum(axis=(-2, -1))),
        "H_i": _entropy(c.sum(axis=(-3, -1))),
        "H_g": _entropy(c.sum(axis=(-3, -2))),
        "H_ui": _entropy(c.sum(axis=-1).reshape(*lead, 4)),
        "H_ug": _entropy(c.sum(axis=-2).reshape(*lead, 4)),
        "H_ig": _entropy(c.sum(axis=-3).reshape(*lead, 4)),
        "H_uig": _entropy(c.reshape(*lead, 8)),
    }


def synergy_from_counts(counts: np.ndarray) -> np.ndarray:
    """T_uig in bits from counts of presence patterns, shape ``(..., 2, 2, 2)`` (see :func:`triple_helix_synergy`)."""
    h = entropies_from_counts(counts)
    t = h["H_u"] + h["H_i"] + h["H_g"] - h["H_ui"] - h["H_ug"] - h["H_ig"] + h["H_uig"]
    return np.round(t, 12) + 0.0  # exact zeros and integers stay exact


def check_helix(helix: Mapping[str, str] | None) -> dict[str, str]:
    """Validate a kind → helix mapping (values among :data:`HELICES`); ``None`` gives :data:`DEFAULT_HELIX`."""
    mapping = dict(DEFAULT_HELIX if helix is None else helix)
    bad = {k: v for k, v in mapping.items() if v not in HELICES}
    if bad:
        raise OptionError(f"helix values must be among {', '.join(HELICES)}, got {bad!r}")
    return mapping


def triple_helix_synergy(memberships: pd.DataFrame, *, helix: Mapping[str, str] | None = None
                         ) -> TripleHelixSynergy:
    """Leydesdorff's triple-helix synergy T_uig over units described by the kinds of their organisations.

    Each unit (a project, or a tie) is classified by which helices take part in it: university (U), industry (I),
    government (G), each present or absent, as Leydesdorff classified documents by their co-authors' addresses.
    Over the N units that involve at least one helix, the relative frequencies of the eight presence patterns
    give a joint distribution p(u, i, g) of three binary variables, with marginal entropies

        H_x = −Σ p(x) log2 p(x), and likewise H_xy and H_uig,

    and the mutual information in three dimensions (a "configurational information")

        T_uig = H_u + H_i + H_g − H_ui − H_ug − H_ig + H_uig.

    Units with no organisation of a helix (only ``other`` or unknown kinds) are left out; the rest are counted
    once each, however many organisations they hold.

    Parameters
    ----------
    memberships
        One row per organisation in a unit: ``unit`` (project id or tie id) and ``kind`` (firm, university,
        research, public, other; missing allowed).
    helix
        ``kind`` → ``university`` / ``industry`` / ``government``; default :data:`DEFAULT_HELIX` (research
        organisations count as the academic helix). Kinds not in the mapping belong to no helix.

    Returns
    -------
    TripleHelixSynergy
        T_uig in bits and what it was computed from; NaN when no unit involves a helix.

    Raises
    ------
    InputError
        When ``memberships`` lacks ``unit`` or ``kind``.
    OptionError
        For a mapping to something other than the three helices.

    References
    ----------
    Leydesdorff, L. (2003). The mutual information of university-industry-government relations: An indicator of
    the Triple Helix dynamics. *Scientometrics* 58(2), 445–467.

    Abramson, N. (1963). *Information Theory and Coding*. McGraw-Hill (mutual information in three dimensions).

    Examples
    --------
    Four projects: one of each helix alone, and one with all three. Each helix is present in half the projects
    (H = 1 bit each), each pair and the triple take four equally likely patterns (2 bits each), so
    T = 1 + 1 + 1 − 2 − 2 − 2 + 2 = −1 bit: knowing two helices' presence tells the third's.

    >>> units = pd.DataFrame({"unit": ["p1", "p2", "p3", "p4", "p4", "p4"],
    ...                       "kind": ["university", "public", "firm", "university", "firm", "public"]})
    >>> triple_helix_synergy(units).synergy
    -1.0
    """
    for col in ("unit", "kind"):
        if col not in memberships.columns:
            raise InputError(f"memberships need a {col!r} column (unit, kind)", column=col)
    mapping = check_helix(helix)
    frame = pd.DataFrame({"unit": memberships["unit"].to_numpy(),
                          "helix": memberships["kind"].astype("object").map(mapping).to_numpy()})
    all_units = pd.unique(frame["unit"].dropna())
    frame = frame.dropna()
    presence = pd.crosstab(frame["unit"], frame["helix"]).reindex(columns=list(HELICES), fill_value=0) > 0
    n_units = len(presence)
    patterns = presence.groupby(list(HELICES)).size()
    table = patterns.reindex(pd.MultiIndex.from_product([[False, True]] * 3, names=list(HELICES)), fill_value=0)
    table = table.rename("units").reset_index()
    counts = table["units"].to_numpy(float).reshape(2, 2, 2)  # axes: university, industry, government
    h = {k: float(v) for k, v in entropies_from_counts(counts).items()}
    t = float(synergy_from_counts(counts))
    mi = {
        "T_ui": h["H_u"] + h["H_i"] - h["H_ui"],
        "T_ug": h["H_u"] + h["H_g"] - h["H_ug"],
        "T_ig": h["H_i"] + h["H_g"] - h["H_ig"],
    }
    return TripleHelixSynergy(
        synergy=t, entropies=h, mutual_information=mi, table=table, n_units=n_units,
        n_units_without_helix=len(all_units) - n_units, helix=mapping,
    )
