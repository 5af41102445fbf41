"""How two partitions of the same firms agree: text activities against official codes (or another grouping).

Per-activity figures (the dominant code's share, how much of a code an activity holds) are in
:func:`~clusterwatch.analysis.text.codefit.code_fit`; this module gives the summary over all firms at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from clusterwatch._optional import import_optional
from clusterwatch.errors import InputError, OptionError

__all__ = ["CodeAgreement", "code_agreement", "code_prefix"]

#: Activity ids that mean "in no activity" and are left out of the comparison.
NO_ACTIVITY: tuple[str, ...] = ("-1",)


@dataclass(frozen=True)
class CodeAgreement:
    """Agreement between activities and codes over the firms that have both.

    Attributes
    ----------
    adjusted_rand
        Adjusted Rand index: 1 for identical partitions, about 0 for unrelated ones (chance-corrected; may be
        negative).
    adjusted_mutual_info
        Mutual information corrected for chance (0 for unrelated partitions, 1 for identical ones); unlike the
        NMI it does not grow with the number of groups.
    normalized_mutual_info
        Mutual information divided by the arithmetic mean of the two entropies (not corrected for chance).
    homogeneity
        1 when every activity holds firms of one code only.
    completeness
        1 when all firms of a code sit in one activity.
    n_compared
        Firms in an activity and with a code.
    n_activities, n_codes
        Distinct activities and codes among them.
    level
        Code digits compared (``None``: the codes as given).
    """

    adjusted_rand: float
    adjusted_mutual_info: float
    normalized_mutual_info: float
    homogeneity: float
    completeness: float
    n_compared: int
    n_activities: int
    n_codes: int
    level: int | None

    def to_dict(self) -> dict[str, float | int | None]:
        """The figures as a plain dict."""
        return asdict(self)

    def to_frame(self) -> pd.DataFrame:
        """The figures as a one-row DataFrame."""
        return pd.DataFrame([self.to_dict()])


def code_prefix(codes: pd.Series, level: int) -> pd.Series:
    """Codes cut to their first ``level`` digits, separators kept (``"62.010"`` at 2 → ``"62"``, at 3 → ``"62.0"``).

    Codes with fewer digits than ``level`` become missing: they do not say which group at that level they are in.

    Examples
    --------
    >>> code_prefix(pd.Series(["62.010", "46694", "4", None]), 3).tolist()
    ['62.0', '466', <NA>, <NA>]
    """
    if isinstance(level, bool) or not isinstance(level, int | np.integer) or level < 1:
        raise OptionError(f"level must be None or an int >= 1, got {level!r}")
    text = codes.astype("string").str.strip()
    # the shortest leading part holding `level` digits: any separators, then a digit, `level` times
    cut = text.str.extract(rf"^(\D*(?:\d\D*?){{{int(level) - 1}}}\d)", expand=False).astype("string")
    return cut


def code_agreement(assignments: pd.DataFrame, codes: pd.Series, *, level: int | None = None) -> CodeAgreement:
    """Adjusted Rand index, mutual information, homogeneity and completeness of activities against codes.

    Parameters
    ----------
    assignments
        ``firm_id`` and ``activity_id`` (e.g. :attr:`ActivityResult.assignments
        <clusterwatch.analysis.text.activities.ActivityResult>`); firms in no activity (missing, or ``"-1"``) are
        left out. Each firm once. Any other pair of labellings works too (texts as ``firm_id``, another method's
        topics as ``codes``).
    codes
        Each firm's code, indexed by ``firm_id``; missing codes are left out.
    level
        Compare the codes cut to this many leading digits (:func:`code_prefix`; for NACE/SN2007 2 = division,
        3 = group, 4 = class; for NAICS 2 = sector); ``None`` compares them as given.

    Returns
    -------
    CodeAgreement

    Raises
    ------
    InputError
        When a column is missing, a firm appears twice, or fewer than 2 firms have both an activity and a code.
    OptionError
        For a bad ``level``.
    MissingDependencyError
        Without scikit-learn (the ``text`` extra).

    Notes
    -----
    The measures are scikit-learn's (Hubert & Arabie 1985; Vinh, Epps & Bailey 2010; Rosenberg & Hirschberg 2007).
    Homogeneity is high when activities are finer than codes, completeness when they are coarser; with many more
    activities than codes (or the reverse) read them, and the chance-corrected ARI and AMI, rather than the NMI.

    References
    ----------
    Hubert, L., & Arabie, P. (1985). Comparing partitions. Journal of Classification, 2(1), 193–218.
    Vinh, N. X., Epps, J., & Bailey, J. (2010). Information theoretic measures for clusterings comparison. JMLR, 11.
    Rosenberg, A., & Hirschberg, J. (2007). V-measure: a conditional entropy-based external cluster evaluation
    measure. EMNLP-CoNLL.

    Examples
    --------
    >>> a = pd.DataFrame({"firm_id": list("abcdef"), "activity_id": ["T1", "T1", "T1", "T2", "T2", "-1"]})
    >>> same = code_agreement(a, pd.Series(["x", "x", "x", "y", "y", "y"], index=list("abcdef")))
    >>> same.adjusted_rand, same.homogeneity, same.n_compared
    (1.0, 1.0, 5)
    >>> finer = code_agreement(a, pd.Series(["621", "621", "622", "711", "711"], index=list("abcde")), level=2)
    >>> finer.adjusted_rand, finer.n_codes
    (1.0, 2)
    """
    if not isinstance(assignments, pd.DataFrame):
        raise OptionError(f"assignments must be a pandas DataFrame, got {type(assignments).__name__}")
    missing = [c for c in ("firm_id", "activity_id") if c not in assignments.columns]
    if missing:
        raise InputError(
            f"assignments lack the column(s) {', '.join(missing)}; they have {', '.join(map(str, assignments))}"
        )
    if not isinstance(codes, pd.Series):
        raise OptionError(f"codes must be a pandas Series indexed by firm_id, got {type(codes).__name__}")
    metrics = import_optional("sklearn.metrics", extra="text")
    if level is not None:
        codes = code_prefix(codes, level)
    activity = assignments["activity_id"].astype("string")
    placed = assignments.loc[activity.notna() & ~activity.isin(NO_ACTIVITY), ["firm_id", "activity_id"]]
    firm_ids = placed["firm_id"].astype("string")
    if firm_ids.duplicated().any():
        twice = firm_ids[firm_ids.duplicated()].iloc[0]
        raise InputError(f"assignments name firm {twice!r} more than once; give each firm one activity")
    code_of = codes.astype("string")
    code_of.index = code_of.index.astype("string")
    code_of = code_of[code_of.notna() & (code_of.str.strip() != "")]
    if code_of.index.duplicated().any():
        raise InputError(f"codes name firm {code_of.index[code_of.index.duplicated()][0]!r} more than once")
    joined = pd.DataFrame({"activity": placed["activity_id"].astype("string").to_numpy(),
                           "code": code_of.reindex(firm_ids.to_numpy()).to_numpy()}).dropna()
    if len(joined) < 2:
        raise InputError(f"need at least 2 firms with both an activity and a code to compare; got {len(joined)}")
    truth, found = joined["code"].to_numpy(dtype=str), joined["activity"].to_numpy(dtype=str)
    homogeneity, completeness, _ = metrics.homogeneity_completeness_v_measure(truth, found)
    return CodeAgreement(
        adjusted_rand=float(metrics.adjusted_rand_score(truth, found)),
        adjusted_mutual_info=float(metrics.adjusted_mutual_info_score(truth, found)),
        normalized_mutual_info=float(metrics.normalized_mutual_info_score(truth, found)),
        homogeneity=float(homogeneity),
        completeness=float(completeness),
        n_compared=len(joined),
        n_activities=int(joined["activity"].nunique()),
        n_codes=int(joined["code"].nunique()),
        level=None if level is None else int(level),
    )
