"""Code fit (a): how the official codes of an activity's firms spread over it."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: An activity is ``unclassified`` when fewer than this share of its coded firms carry its dominant code: no single
#: official code describes the majority of its firms.
UNCLASSIFIED_BELOW: float = 0.5


def firm_codes(texts: pd.DataFrame) -> pd.Series:
    """Each firm's code: the most frequent non-missing ``code`` over its texts (ties: the smallest code)."""
    coded = texts.loc[texts["code"].notna(), ["firm_id", "code"]].astype({"code": "string"})
    coded = coded[coded["code"].str.strip() != ""]
    if coded.empty:
        return pd.Series(dtype="string", name="code")
    counts = coded.groupby(["firm_id", "code"], sort=True).size().rename("n").reset_index()
    counts = counts.sort_values(["firm_id", "n", "code"], ascending=[True, False, True], kind="stable")
    return counts.drop_duplicates("firm_id").set_index("firm_id")["code"]


def code_fit(assignments: pd.DataFrame, codes: pd.Series) -> pd.DataFrame:
    """Per activity: the dominant code's share, the codes' normalised entropy, and how much of the code it holds.

    Parameters
    ----------
    assignments
        ``firm_id``, ``activity_id`` (outliers left out).
    codes
        Each firm's code, indexed by ``firm_id`` (firms without a code left out).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``activity_id``: ``n_coded`` (firms with a code), ``dominant_code``, ``code_coverage`` (share of
        the coded firms carrying the dominant code), ``code_entropy`` (Shannon entropy of the activity's codes
        divided by the log of the number of distinct codes among all coded firms, so 0 = one code, 1 = spread evenly
        over every code there is), ``code_capture`` (share of all coded firms with the dominant code that sit in
        this activity), ``top_codes`` (up to three ``code (share)``, ``; ``-joined), ``unclassified``
        (``code_coverage`` < :data:`UNCLASSIFIED_BELOW`). Activities without coded firms get NaN and
        ``unclassified`` False (nothing to judge: see ``n_coded``).

    Examples
    --------
    >>> a = pd.DataFrame({"firm_id": list("abcd"), "activity_id": ["T01", "T01", "T01", "T02"]})
    >>> fit = code_fit(a, pd.Series(["x", "x", "y", "x"], index=list("abcd")))
    >>> fit.loc["T01", ["code_coverage", "code_capture"]].round(3).tolist()
    [0.667, 0.667]
    """
    activities = pd.Index(sorted(assignments["activity_id"].unique()), name="activity_id")
    out = pd.DataFrame(index=activities)
    out["n_coded"] = 0
    out["dominant_code"] = pd.Series(pd.NA, index=activities, dtype="string")
    for column in ("code_coverage", "code_entropy", "code_capture"):
        out[column] = np.nan
    out["top_codes"] = ""
    out["unclassified"] = False
    if codes.empty:
        return out
    joined = assignments.merge(codes.rename("code"), left_on="firm_id", right_index=True, how="inner")
    n_codes_all = codes.nunique()
    firms_per_code = codes.value_counts()
    for activity, group in joined.groupby("activity_id", sort=True):
        counts = group["code"].value_counts()
        counts = counts.sort_index().sort_values(ascending=False, kind="stable")
        shares = counts.to_numpy(dtype=float) / counts.sum()
        dominant = str(counts.index[0])
        entropy = float(-(shares * np.log(shares)).sum())
        out.loc[activity, "n_coded"] = int(counts.sum())
        out.loc[activity, "dominant_code"] = dominant
        out.loc[activity, "code_coverage"] = float(shares[0])
        out.loc[activity, "code_entropy"] = entropy / np.log(n_codes_all) if n_codes_all > 1 else 0.0
        out.loc[activity, "code_capture"] = counts.iloc[0] / firms_per_code[dominant]
        out.loc[activity, "top_codes"] = "; ".join(
            f"{code} ({share:.2f})" for code, share in zip(counts.index[:3], shares[:3], strict=False)
        )
        out.loc[activity, "unclassified"] = bool(shares[0] < UNCLASSIFIED_BELOW)
    out["unclassified"] = out["unclassified"].astype(bool)
    return out
