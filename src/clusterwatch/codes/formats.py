"""What an official code looks like, and how a firm's several codes are written: the rules in one place.

- :data:`CODE_PATTERNS`: the format of a stored code per code system (dots and spaces removed), which ingest checks
  every ``code`` against;
- :func:`normalise_code`: a column of codes in stored form (``62.01`` → ``6201``);
- :data:`CODES_SEPARATOR` and :func:`explode_codes`: a firm's codes are stored in ``codes`` joined by ``;``;
  every reader of that column splits it with :func:`explode_codes`;
- :func:`firm_code_table`: the normalised table of a firm frame's codes (one row per firm and code, ranked), as
  the workspace stores it in ``firm_codes``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["CODES_SEPARATOR", "CODE_PATTERNS", "explode_codes", "firm_code_table", "join_codes", "normalise_code"]

#: Code formats by code system, on the code with dots and spaces removed.
CODE_PATTERNS: dict[str, str] = {
    "naics": r"\d{2,6}",
    "nace2": r"[A-U]|\d{2,4}",
    "sn2007": r"\d{2,5}",  # Norway's SN2007: NACE Rev. 2 plus a fifth national digit
    "uksic2007": r"\d{4,5}",
    "sic1987": r"\d{2,4}",
}

#: How the ``codes`` column joins a firm's codes.
CODES_SEPARATOR = ";"


def normalise_code(values: pd.Series) -> pd.Series:
    """Official codes to their stored form: dots and spaces removed (``62.01`` → ``6201``); a range such as NAICS
    ``31-33`` keeps its dash (and is then malformed for a firm). Blank values become missing.

    >>> normalise_code(pd.Series(["62.01", " 5417 ", ""])).tolist()
    ['6201', '5417', <NA>]
    """
    arr = pa.array(values.astype("string").to_numpy(dtype=object, na_value=None), type=pa.string())
    cleaned = pc.replace_substring_regex(arr, r"[.\s]", "")
    cleaned = pc.if_else(pc.equal(cleaned, ""), pa.scalar(None, pa.string()), cleaned)
    return pd.Series(cleaned.to_pandas(types_mapper=pd.ArrowDtype).astype("string"), index=values.index,
                     name=values.name)


def explode_codes(values: pd.Series) -> pd.Series:
    """One row per code of a ``;``-joined codes column, stripped, blanks and missing values dropped.

    The index repeats each input row's label for each of its codes, so the result joins back on the input.

    >>> explode_codes(pd.Series(["5417; 3345", None, "62;;"], index=["a", "b", "c"])).to_dict()
    {'a': '3345', 'c': '62'}
    >>> explode_codes(pd.Series(["5417; 3345"], index=["a"])).tolist()
    ['5417', '3345']
    """
    parts = values.astype("string").str.split(CODES_SEPARATOR).explode().str.strip()
    return parts[parts.notna() & (parts != "")].astype("string")


def join_codes(codes: list[str] | tuple[str, ...]) -> str | None:
    """A firm's distinct codes, in order, as the ``codes`` column stores them (``None`` for none).

    >>> join_codes(["5417", "3345", "5417"]), join_codes([])
    ('5417;3345', None)
    """
    distinct = list(dict.fromkeys(c.strip() for c in codes if c and c.strip()))
    return CODES_SEPARATOR.join(distinct) or None


def firm_code_table(firms: pd.DataFrame) -> pd.DataFrame:
    """Every official code of every firm, one row each: the normalised form of ``code`` and ``codes``.

    ``rank`` is 0 for the primary code (``code``), then 1, 2, ... in the order of ``codes``; a code listed twice
    (the primary code is usually listed first in ``codes`` too) appears once. A firm without ``code`` starts at 1.

    Parameters
    ----------
    firms
        Canonical firm rows with ``firm_id`` and, where present, ``code``, ``codes``, ``code_system`` and
        ``dataset`` (kept as the first column when present).

    Returns
    -------
    pandas.DataFrame
        ``[dataset,] firm_id, code, code_system, rank``, ordered by the firms' order and then by rank.

    Examples
    --------
    >>> firms = pd.DataFrame({"firm_id": ["a", "b", "c"], "code": ["5417", None, "62"],
    ...                       "codes": ["5417;3345", "3345; 5417", None], "code_system": "naics"})
    >>> firm_code_table(firms).values.tolist()
    [['a', '5417', 'naics', 0], ['a', '3345', 'naics', 1], ['b', '3345', 'naics', 1], ['b', '5417', 'naics', 2], \
['c', '62', 'naics', 0]]
    """
    keys = ["dataset", "firm_id"] if "dataset" in firms else ["firm_id"]
    empty = pd.Series(pd.NA, index=firms.index, dtype="string")
    primary = firms.get("code", empty).astype("string").str.strip().replace("", pd.NA).reset_index(drop=True)
    codes = firms.get("codes", empty).astype("string").reset_index(drop=True)
    # most registers list one code, the primary one, in `codes`: only the other firms' lists need splitting
    other = (codes.notna() & (codes.str.strip() != primary).fillna(True)).to_numpy(dtype=bool)
    listed = explode_codes(codes[other])
    extra_rows = listed.index.to_numpy(dtype=np.int64)
    new = (listed.to_numpy(dtype=object) != primary.iloc[extra_rows].to_numpy(dtype=object, na_value=None))
    extra = pd.DataFrame({"row": extra_rows[new], "code": listed[new].to_numpy(dtype=object)})
    extra = extra.drop_duplicates(["row", "code"])
    extra_rank = extra.groupby("row").cumcount().to_numpy(dtype=np.int64) + 1
    has = np.flatnonzero(primary.notna().to_numpy(dtype=bool))
    rows = np.concatenate([has, extra["row"].to_numpy(dtype=np.int64)])
    rank = np.concatenate([np.zeros(len(has), dtype=np.int64), extra_rank])
    code = pd.concat([primary.iloc[has], pd.Series(extra["code"].to_numpy(), dtype="string")], ignore_index=True)
    order = np.lexsort((rank, rows))
    rows = rows[order]
    out = pd.DataFrame({k: firms[k].iloc[rows].reset_index(drop=True) for k in keys})
    out["code"] = code.iloc[order].reset_index(drop=True)
    out["code_system"] = firms.get("code_system", empty).astype("string").iloc[rows].reset_index(drop=True)
    out["rank"] = rank[order]
    return out
