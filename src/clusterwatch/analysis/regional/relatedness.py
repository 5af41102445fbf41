"""Relatedness between industries (proximity from co-occurrence), relatedness density, and industry entry and exit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from clusterwatch.analysis.regional.quotients import quotient
from clusterwatch.analysis.regional.table import Provenance, RegionalTable, check_measure
from clusterwatch.errors import OptionError

BASES: tuple[str, ...] = ("specialisation", "presence")


def proximity(presence: pd.DataFrame) -> pd.DataFrame:
    """Proximity :math:`\\varphi` between industries from their co-occurrence in units (regions, or firms).

    :math:`\\varphi_{ij} = \\min\\{P(i \\mid j), P(j \\mid i)\\} = C_{ij} / \\max(n_i, n_j)`, where :math:`C_{ij}`
    counts the units where both industries are present and :math:`n_i` those where :math:`i` is. The diagonal is 1
    for industries present somewhere; industries present nowhere have proximity 0.

    Parameters
    ----------
    presence
        Units x industries, booleans (or 0/1): whether the industry is present in the unit (in regions: usually a
        location quotient of at least 1; in firms: the firm's codes).

    Returns
    -------
    pandas.DataFrame
        Industries x industries, symmetric, values in [0, 1], labelled by the columns of ``presence``.

    Raises
    ------
    OptionError
        When ``presence`` holds values other than booleans, 0 and 1.

    References
    ----------
    Hidalgo, C. A., Klinger, B., Barabási, A.-L., & Hausmann, R. (2007). The product space conditions the
    development of nations. *Science*, 317(5837), 482-487.

    Examples
    --------
    >>> import pandas as pd
    >>> presence = pd.DataFrame({"x": [1, 1, 1, 0], "y": [1, 1, 0, 0], "z": [0, 0, 0, 1]}, index=list("ABCD"))
    >>> proximity(presence).round(3).to_numpy().tolist()
    [[1.0, 0.667, 0.0], [0.667, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    values = presence.to_numpy()
    if values.dtype != bool:
        numeric = pd.DataFrame(values).apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
        if not np.isin(numeric, (0.0, 1.0)).all():
            raise OptionError("presence must hold booleans or 0/1 values")
        values = numeric.astype(bool)
    x = sparse.csr_array(values.astype(np.int64))  # sparse products: exact counts, no BLAS thread pools
    together = (x.T @ x).toarray().astype(np.float64)
    counts = np.diag(together)
    larger = np.maximum(counts[:, None], counts[None, :])
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = np.where(larger > 0, together / larger, 0.0)
    return pd.DataFrame(phi, index=presence.columns, columns=presence.columns)


def density(presence: pd.DataFrame, phi: pd.DataFrame) -> pd.DataFrame:
    """Relatedness density of every unit and industry: the proximity-weighted share of related industries present.

    :math:`d_{ri} = \\sum_{j \\ne i} x_{rj} \\varphi_{ij} / \\sum_{j \\ne i} \\varphi_{ij}`, between 0 and 1 (NaN
    for an industry related to none). The industry itself is left out, so density measures what surrounds it.

    Parameters
    ----------
    presence
        Units x industries, booleans: what each unit (region) has.
    phi
        Industries x industries proximity (from :func:`proximity`); industries missing from it count as unrelated.

    Returns
    -------
    pandas.DataFrame
        Units x industries, labelled like ``presence``.

    References
    ----------
    Hidalgo, C. A., Klinger, B., Barabási, A.-L., & Hausmann, R. (2007). The product space conditions the
    development of nations. *Science*, 317(5837), 482-487 (the "density" around a product). Balland, P.-A. (2017).
    *EconGeo: Computing key indicators of the spatial distribution of economic activities*, R package
    (``relatedness.density``, there scaled 0-100).

    Examples
    --------
    >>> import pandas as pd
    >>> presence = pd.DataFrame({"x": [1, 0], "y": [0, 1], "z": [1, 1]}, index=["A", "B"])
    >>> phi = pd.DataFrame([[1, .5, .2], [.5, 1, .4], [.2, .4, 1]], index=list("xyz"), columns=list("xyz"))
    >>> density(presence, phi).round(3).to_numpy().tolist()
    [[0.286, 1.0, 0.333], [1.0, 0.444, 0.667]]
    """
    weights = phi.reindex(index=presence.columns, columns=presence.columns).fillna(0.0).to_numpy(dtype=float, copy=True)
    np.fill_diagonal(weights, 0.0)
    x = sparse.csr_array(presence.to_numpy().astype(np.float64))
    total = weights.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(x @ weights) / total[None, :]
    out[:, total == 0] = np.nan
    return pd.DataFrame(out, index=presence.index, columns=presence.columns)


def _presence(table: RegionalTable, measure: str, basis: str, threshold: float) -> pd.DataFrame:
    if basis == "presence":
        return table.matrix(measure) > 0
    return table.spread(quotient(table, measure)) >= threshold


def _check_basis(basis: str, threshold: float) -> None:
    if basis not in BASES:
        raise OptionError(f"unknown basis {basis!r}; allowed: {', '.join(map(repr, BASES))}")
    if isinstance(threshold, bool) or not isinstance(threshold, int | float | np.floating) or not threshold > 0:
        raise OptionError(f"threshold must be a positive location quotient, e.g. 1.0; got {threshold!r}")


@dataclass(frozen=True, eq=False)
class Relatedness:
    """Industries' proximity and each region's relatedness density.

    Attributes
    ----------
    presence
        Regions x industries, booleans: the industry's location quotient is at least ``threshold`` (basis
        ``"specialisation"``) or the industry is there at all (``"presence"``).
    proximity
        Industries x industries, :math:`\\varphi` from co-occurrence across the table's regions.
    density
        Regions x industries, relatedness density in [0, 1].
    measure, basis, threshold
        The parameters used.
    provenance
        What made the table.
    """

    presence: pd.DataFrame
    proximity: pd.DataFrame
    density: pd.DataFrame
    measure: str
    basis: str
    threshold: float
    provenance: Provenance

    def to_frame(self) -> pd.DataFrame:
        """Long form: ``region``, ``industry``, ``present``, ``density``."""
        present = self.presence.stack(future_stack=True).rename("present")
        dense = self.density.stack(future_stack=True).rename("density")
        out = pd.concat([present, dense], axis=1).reset_index()
        return out.rename(columns={out.columns[0]: "region", out.columns[1]: "industry"})


def relatedness(
    table: RegionalTable, *, measure: str = "employment", basis: str = "specialisation", threshold: float = 1.0,
) -> Relatedness:
    """Proximity between industries from their co-occurrence across regions, and regions' relatedness density.

    An industry is present in a region when its location quotient is at least ``threshold`` (Hidalgo et al.'s
    revealed comparative advantage, RCA >= 1) or, with ``basis="presence"``, when the region has any of it. See
    :func:`proximity` and :func:`density` for the formulas. High density means that much of what is related to an
    industry is already strong in the region: the region is likely to enter that industry next.

    Parameters
    ----------
    table
        From :func:`firms_to_regions` or :func:`regional_table`.
    measure
        ``"employment"`` or ``"establishments"``.
    basis
        ``"specialisation"`` (LQ >= ``threshold``) or ``"presence"`` (measure > 0).
    threshold
        The location quotient that counts as present; 1.0 by default.

    Returns
    -------
    Relatedness

    Raises
    ------
    OptionError
        On an unknown ``measure`` or ``basis``, or a non-positive ``threshold``.

    References
    ----------
    Hidalgo, C. A., Klinger, B., Barabási, A.-L., & Hausmann, R. (2007). The product space conditions the
    development of nations. *Science*, 317(5837), 482-487. Boschma, R., Balland, P.-A., & Kogler, D. F. (2015).
    Relatedness and technological change in cities. *Industrial and Corporate Change*, 24(1), 223-250.

    Examples
    --------
    >>> import pandas as pd
    >>> from clusterwatch.analysis.regional import regional_table
    >>> table = regional_table(pd.DataFrame({
    ...     "region": ["A", "A", "B", "B", "C"], "industry": ["x", "y", "x", "y", "z"],
    ...     "employment": [10, 10, 10, 10, 10], "establishments": [1, 1, 1, 1, 1]}))
    >>> result = relatedness(table)
    >>> result.proximity.to_numpy().tolist()
    [[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    check_measure(table, measure)
    _check_basis(basis, threshold)
    presence = _presence(table, measure, basis, float(threshold))
    phi = proximity(presence)
    return Relatedness(presence=presence, proximity=phi, density=density(presence, phi), measure=measure,
                       basis=basis, threshold=float(threshold), provenance=table.provenance)


@dataclass(frozen=True, eq=False)
class EntryExit:
    """Which industries entered and left which regions between two tables.

    Attributes
    ----------
    cells
        One row per region and industry of either table: ``region``, ``industry``, ``before`` and ``after`` (the
        measure), ``present_before``, ``present_after``, ``status`` (``"entry"``, ``"exit"``, ``"stayed"`` or
        ``"absent"``) and ``density_before`` (relatedness density in the first table).
    regions
        One row per region: ``entries``, ``exits``, ``stayed``, ``absent``.
    summary
        One row per status: ``cells`` and ``mean_density_before``; entries usually show a higher density than the
        industries that stayed absent (Neffke et al. 2011).
    measure, basis, threshold
        The parameters used.
    before, after
        The provenance of the two tables (their ``as_of`` dates are the two dates).
    """

    cells: pd.DataFrame
    regions: pd.DataFrame
    summary: pd.DataFrame
    measure: str
    basis: str
    threshold: float
    before: Provenance
    after: Provenance

    def to_frame(self) -> pd.DataFrame:
        """The cells (a copy)."""
        return self.cells.copy()


def entry_exit(
    before: RegionalTable, after: RegionalTable, *, measure: str = "employment", basis: str = "specialisation",
    threshold: float = 1.0,
) -> EntryExit:
    """Entry and exit of industries in regions between two dates.

    An industry *enters* a region when it is absent in ``before`` and present in ``after``, and *exits* in the
    opposite case; presence is a location quotient of at least ``threshold`` (``basis="specialisation"``, as in
    Neffke et al. 2011 and Boschma et al. 2015) or any activity (``basis="presence"``). Each cell also carries its
    relatedness density in ``before``, the classic predictor of entry.

    Parameters
    ----------
    before, after
        Tables for the two dates, with the same kind of regions and industries (e.g. ``firms_to_regions`` on
        ``Workspace.firms(as_of=...)`` at each date).
    measure, basis, threshold
        As in :func:`relatedness`.

    Returns
    -------
    EntryExit

    Raises
    ------
    OptionError
        When the tables' regions or industries are of different kinds, or on a bad ``measure``, ``basis`` or
        ``threshold``.

    References
    ----------
    Neffke, F., Henning, M., & Boschma, R. (2011). How do regions diversify over time? Industry relatedness and the
    development of new growth paths in regions. *Economic Geography*, 87(3), 237-265. Hidalgo, C. A. et al. (2007),
    see :func:`proximity`.

    Examples
    --------
    >>> import pandas as pd
    >>> from clusterwatch.analysis.regional import regional_table
    >>> def table(rows):
    ...     return regional_table(pd.DataFrame(rows, columns=["region", "industry", "establishments"]),
    ...                           employment=None)
    >>> first = table([("A", "x", 2), ("B", "y", 1)])
    >>> second = table([("A", "x", 2), ("A", "y", 1)])
    >>> moves = entry_exit(first, second, measure="establishments", basis="presence")
    >>> moves.cells[["region", "industry", "status"]].to_numpy().tolist()
    [['A', 'x', 'stayed'], ['A', 'y', 'entry'], ['B', 'x', 'absent'], ['B', 'y', 'exit']]
    """
    for name in ("region", "industries"):
        one, two = getattr(before.provenance, name), getattr(after.provenance, name)
        if one != two:
            raise OptionError(f"the two tables differ in {name}: {one!r} vs {two!r}")
    check_measure(before, measure)
    check_measure(after, measure)
    _check_basis(basis, threshold)
    present_1 = _presence(before, measure, basis, float(threshold))
    present_2 = _presence(after, measure, basis, float(threshold))
    regions = present_1.index.union(present_2.index)
    industries = present_1.columns.union(present_2.columns)
    p1 = present_1.reindex(index=regions, columns=industries, fill_value=False)
    p2 = present_2.reindex(index=regions, columns=industries, fill_value=False)
    dense_1 = density(p1, proximity(p1))
    values_1 = before.matrix(measure).reindex(index=regions, columns=industries, fill_value=0.0)
    values_2 = after.matrix(measure).reindex(index=regions, columns=industries, fill_value=0.0)
    a, b = p1.to_numpy(dtype=bool), p2.to_numpy(dtype=bool)
    status = np.select([~a & b, a & ~b, a & b], ["entry", "exit", "stayed"], default="absent")
    cells = pd.DataFrame({
        "region": np.repeat(regions.to_numpy(), len(industries)),
        "industry": np.tile(industries.to_numpy(), len(regions)),
        "before": values_1.to_numpy(dtype=float).ravel(), "after": values_2.to_numpy(dtype=float).ravel(),
        "present_before": a.ravel(), "present_after": b.ravel(), "status": status.ravel(),
        "density_before": dense_1.to_numpy(dtype=float).ravel(),
    }).astype({"region": "string", "industry": "string"})
    counts = pd.crosstab(cells["region"], cells["status"]).reindex(
        columns=["entry", "exit", "stayed", "absent"], fill_value=0)
    by_region = counts.rename(columns={"entry": "entries", "exit": "exits"}).reset_index()
    by_region.columns.name = None
    summary = cells.groupby("status").agg(cells=("region", "size"), mean_density_before=("density_before", "mean"))
    summary = summary.reindex(["entry", "exit", "stayed", "absent"]).fillna({"cells": 0}).reset_index()
    summary["cells"] = summary["cells"].astype("int64")
    return EntryExit(cells=cells, regions=by_region, summary=summary, measure=measure, basis=basis,
                     threshold=float(threshold), before=before.provenance, after=after.provenance)
