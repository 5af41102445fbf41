"""Seeds, Monte Carlo p-values and Benjamini–Hochberg, shared by every analysis."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from clusterwatch.errors import OptionError

ALTERNATIVES: tuple[str, ...] = ("greater", "less", "two-sided")


@dataclass(frozen=True)
class Seed:
    """The seed an analysis ran with, and the generators derived from it.

    Attributes
    ----------
    entropy
        The integer seed: the one given, or one drawn from the operating system when none was given (stored so
        that the run can be repeated exactly).
    spawn_key
        Empty for a root seed; the spawn key of a child ``SeedSequence`` passed as ``rng``.
    """

    entropy: int
    spawn_key: tuple[int, ...] = ()

    def sequence(self) -> np.random.SeedSequence:
        """The root :class:`numpy.random.SeedSequence` (a spawned child keeps its spawn key)."""
        return np.random.SeedSequence(self.entropy, spawn_key=self.spawn_key)

    def generator(self) -> np.random.Generator:
        """One generator for serial work."""
        return np.random.default_rng(self.sequence())

    def children(self, n: int) -> list[np.random.SeedSequence]:
        """``n`` independent child seeds for parallel work (``SeedSequence.spawn``): the same for any worker count."""
        return self.sequence().spawn(n)

    def child(self, name: str) -> np.random.SeedSequence:
        """The child seed of a named piece of work (an activity id, a stage): keyed by the name, not by position.

        Adding, removing or reordering other pieces never changes this one's draws; two different names give
        independent streams; the parent's spawn key is kept, so children of two spawned parents differ too.

        Examples
        --------
        >>> seed = Seed(7)
        >>> bool((seed.child("naics:5417").generate_state(2) == seed.child("naics:5417").generate_state(2)).all())
        True
        >>> bool((seed.child("naics:5417").generate_state(2) == seed.child("naics:3141").generate_state(2)).all())
        False
        """
        return np.random.SeedSequence(self.entropy, spawn_key=(*self.spawn_key, name_key(name)))

    def record(self) -> dict[str, object]:
        """What repeats the run exactly: ``{"entropy": ..., "spawn_key": [...]}``."""
        return {"entropy": self.entropy, "spawn_key": list(self.spawn_key)}


def name_key(name: str) -> int:
    """A stable 64-bit integer of a name (BLAKE2b), the spawn-key element of :meth:`Seed.child`.

    Python's ``hash`` changes between processes; this does not.

    Examples
    --------
    >>> name_key("text:T01") == name_key("text:T01")
    True
    """
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


def resolve_seed(rng: int | np.random.Generator | np.random.SeedSequence | None) -> Seed:
    """Turn the user's ``rng`` into a :class:`Seed` once, at the top of an analysis.

    Parameters
    ----------
    rng
        An int seed (kept as given); a ``SeedSequence`` (its entropy is kept); a ``Generator`` (a seed is drawn
        from it, so the caller's generator advances and the run is still recorded); or ``None`` (a fresh seed from
        the operating system, recorded in the result).

    Raises
    ------
    OptionError
        For anything else, or a negative int.
    """
    if rng is None:
        return Seed(int(np.random.SeedSequence().entropy))  # type: ignore[arg-type]
    if isinstance(rng, bool):
        raise OptionError(f"rng must be an int, a numpy Generator or None, not {rng!r}")
    if isinstance(rng, int | np.integer):
        if int(rng) < 0:
            raise OptionError(f"rng must be a non-negative int seed, got {rng}")
        return Seed(int(rng))
    if isinstance(rng, np.random.SeedSequence):
        # a spawned child shares its parent's entropy: its spawn key tells them apart
        return Seed(int(rng.entropy), tuple(int(k) for k in rng.spawn_key))  # type: ignore[arg-type]
    if isinstance(rng, np.random.Generator):
        return Seed(int(rng.integers(0, 2**63 - 1)))
    raise OptionError(f"rng must be an int, a numpy Generator or None, not {type(rng).__name__}")


def check_permutations(permutations: int) -> int:
    """Validate a number of Monte Carlo replicates (≥ 1; 999 is the default everywhere).

    Parameters
    ----------
    permutations
        The number asked for.

    Raises
    ------
    OptionError
        For anything but an int ≥ 1.
    """
    if isinstance(permutations, bool) or not isinstance(permutations, int | np.integer) or permutations < 1:
        raise OptionError(f"permutations must be a positive int (e.g. 999), got {permutations!r}")
    return int(permutations)


def check_alternative(alternative: str) -> str:
    """Validate ``alternative``: one of ``greater``, ``less``, ``two-sided``."""
    if alternative not in ALTERNATIVES:
        raise OptionError(f"alternative must be one of {', '.join(ALTERNATIVES)}, got {alternative!r}")
    return alternative


def monte_carlo_p(
    observed: np.ndarray | float, simulated: np.ndarray, alternative: str = "greater"
) -> np.ndarray | float:
    """Monte Carlo p-value p = (M + 1) / (R + 1).

    M counts replicates at least as extreme as the observed value (ties count, as in SaTScan and esda); R is the
    number of replicates. For ``two-sided`` the p-value is twice the smaller one-sided p, capped at 1.

    Parameters
    ----------
    observed
        Observed statistic(s), shape ``S`` (a scalar or any array).
    simulated
        Replicates, shape ``(R, *S)``.
    alternative
        ``greater`` (large values are extreme), ``less`` or ``two-sided``.

    Returns
    -------
    float or ndarray
        p-values in (0, 1], shape ``S``.

    References
    ----------
    North, B. V., Curtis, D. & Sham, P. C. (2002). A note on the calculation of empirical P values from Monte Carlo
    procedures. *American Journal of Human Genetics* 71, 439–441.

    Examples
    --------
    >>> import numpy as np
    >>> monte_carlo_p(5.0, np.array([1.0, 2.0, 5.0, 7.0]))
    0.6
    """
    check_alternative(alternative)
    sims = np.asarray(simulated, dtype=float)
    obs = np.asarray(observed, dtype=float)
    r = sims.shape[0]
    if r == 0:
        raise OptionError("monte_carlo_p needs at least one replicate")
    greater = ((sims >= obs).sum(axis=0) + 1) / (r + 1)
    less = ((sims <= obs).sum(axis=0) + 1) / (r + 1)
    if alternative == "greater":
        p = greater
    elif alternative == "less":
        p = less
    else:
        p = np.minimum(1.0, 2 * np.minimum(greater, less))
    return float(p) if np.ndim(p) == 0 else p


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values), NaN kept where p is NaN.

    A test is significant at false-discovery rate ``alpha`` when its q-value is ≤ ``alpha``.

    Parameters
    ----------
    p_values
        p-values of the tests, any shape; NaN marks a test not run.

    References
    ----------
    Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. *JRSS B* 57, 289–300.

    Examples
    --------
    >>> import numpy as np
    >>> benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.20])).round(3).tolist()
    [0.04, 0.053, 0.053, 0.2]
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    vals = p[ok]
    order = np.argsort(vals, kind="stable")
    ranked = vals[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(q, 1.0)
    out[ok] = adjusted
    return out
