"""Small helpers shared by several adapters: clean text, stable ids, local code keys, rejecting rows."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from clusterwatch.errors import InputError
from clusterwatch.io.adapters.base import ReadOptions, apply_column_map
from clusterwatch.io.sources import empty_rejected, rejected_frame


def text(values: pd.Series) -> pd.Series:
    """Strings with surrounding blanks removed, runs of blanks collapsed, empty → NA."""
    # an explicit class, not \s, keeps the replacement in Arrow (pandas runs \s through Python's re per value)
    s = values.astype("string").str.strip().str.replace(r"[ \t\r\n\f\v]+", " ", regex=True)
    return s.where(s != "")


def stable_id(parts: Sequence[pd.Series]) -> pd.Series:
    """A deterministic 16-hex-digit id from text columns, for sources that publish no id.

    Each part is upper-cased and its blanks collapsed before hashing (``"Acme  Ltd"`` and ``"ACME LTD"`` give the
    same id). The hash is pandas' ``hash_pandas_object`` with its fixed default key, so the same values give the
    same id in every run. Rows whose parts are all empty get NA (validation rejects them as ``missing firm_id``).

    Parameters
    ----------
    parts
        Aligned Series (same index) whose values together identify a firm.

    Returns
    -------
    Series
        ``string`` ids aligned with the parts.
    """
    cleaned = {f"p{i}": text(p).str.upper() for i, p in enumerate(parts)}
    frame = pd.DataFrame(cleaned)
    empty = frame.isna().all(axis=1)
    hashed = pd.util.hash_pandas_object(frame.fillna(""), index=False).to_numpy(dtype=np.uint64)
    ids = pd.Series(np.char.mod("%016x", hashed), index=frame.index, dtype="string")
    return ids.where(~empty)


def local_code(values: pd.Series) -> pd.Series:
    """A short stable key (at most 12 letters and digits) for each label of a local classification.

    Validation accepts codes of systems it does not know when they are 1–12 letters or digits. A label whose
    letters and digits fit (``"software"``, ``"REALESTATE"``) is kept as they are; a longer one becomes its first
    8 letters/digits plus 4 hex digits of the SHA-1 of the whole label (``"CONTRACTORS - ROAD"`` →
    ``"CONTRACT"`` + ``"3f1a"``), so similar labels never collide on a shared prefix.

    Parameters
    ----------
    values
        Classification labels as published; blanks give NA.

    Returns
    -------
    Series
        Codes aligned with ``values``.
    """
    labels = text(values)
    keys: dict[str, str] = {}
    for label in labels.dropna().unique():  # one pass per distinct label, not per row
        label = str(label)
        alnum = "".join(ch for ch in label if ch.isascii() and ch.isalnum())
        if 0 < len(alnum) <= 12:
            keys[label] = alnum
        else:
            digest = hashlib.sha1(label.upper().encode("utf-8")).hexdigest()[:4]
            keys[label] = (alnum[:8] or "X") + digest
    return labels.map(keys).astype("string")


def reject_rows(
    rows: pd.DataFrame, mask: pd.Series, reason: str | pd.Series, column: str | None, path: str,
    raw: pd.Series | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split rows an adapter cannot pass on: (kept rows, rejected records with ``reason``)."""
    mask = mask.fillna(False).astype(bool)
    if not mask.any():
        return rows, empty_rejected()
    rejected = rejected_frame(path, rows, mask, reason, column)
    if raw is not None:
        rejected["raw"] = raw.loc[mask].astype("string").str.slice(0, 200).to_numpy(dtype=object, na_value=None)
    return rows.loc[~mask].reset_index(drop=True), rejected


def merge_rejected(*frames: pd.DataFrame) -> pd.DataFrame:
    """Concatenate rejected-record frames, skipping empty ones."""
    full = [f for f in frames if len(f)]
    if not full:
        return empty_rejected()
    return pd.concat(full, ignore_index=True) if len(full) > 1 else full[0]


def override_columns(rows: pd.DataFrame, src: pd.DataFrame, options: ReadOptions, path: str) -> pd.DataFrame:
    """Apply ``--column canonical=SOURCE`` on top of an adapter's own mapping."""
    if not options.columns:
        return rows
    mapped = apply_column_map(src, options.columns, path)
    rows = rows.copy()
    for canonical in options.columns:
        rows[canonical] = mapped[canonical].array
    return rows


def require_any(frame: pd.DataFrame, choices: Sequence[Sequence[str]], path: str) -> tuple[str, ...]:
    for cols in choices:
        if all(c in frame.columns for c in cols):
            return tuple(cols)
    shown = ", ".join(c for c in frame.columns if not c.startswith("_"))[:300]
    wanted = " or ".join("/".join(c) for c in choices)
    missing = next(c for c in choices[0] if c not in frame.columns)
    raise InputError(f"required columns are absent: {wanted} (columns found: {shown})", path=path, column=missing)
