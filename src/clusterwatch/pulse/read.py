"""Reading pulse data: members, waves and answers (long, or wide with a mapping file), validated once.

Every answer that cannot be used becomes a rejected-row record (file, line, column, reason, raw) instead of being
dropped: unknown wave, respondent not a member, unknown member (as alter), self-rating, unknown item, out-of-scale
value, value that is not a number, duplicate answer, alter missing or given where the item takes none.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from clusterwatch.errors import InputError
from clusterwatch.pulse.model import ITEMS, KINDS, MEMBER_COLUMNS, REJECTED_COLUMNS, PulseData, Table


def read_table(table: Table, name: str) -> tuple[pd.DataFrame, str]:
    """A frame (as given) or a CSV/TSV (also .gz) or Excel file read as text, with the label used in rejected rows.

    Raises
    ------
    InputError
        When the file is missing or unreadable.
    """
    if isinstance(table, pd.DataFrame):
        return table.copy(), name
    path = Path(table)
    if not path.exists():
        raise InputError("no such file", path=str(path))
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
            frame = pd.read_excel(path, dtype=str)
        else:
            frame = pd.read_csv(path, dtype=str, sep=_delimiter(path), keep_default_na=False, na_values=[""])
    except (ValueError, OSError, UnicodeDecodeError, ImportError) as exc:
        raise InputError(f"cannot read the {name} table: {exc}", path=str(path)) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, str(path)


def _delimiter(path: Path) -> str:
    """The file's delimiter among comma, semicolon, tab and bar (comma when the sample is one column)."""
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", errors="replace") as handle:  # type: ignore[operator]
        sample = handle.read(8192)
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _text(values: pd.Series) -> pd.Series:
    s = values.astype("string").str.strip()
    return s.where(s != "")


def _require(frame: pd.DataFrame, columns: tuple[str, ...], label: str) -> None:
    for col in columns:
        if col not in frame.columns:
            raise InputError(f"the {label} table needs a {col!r} column (has {', '.join(map(str, frame.columns))})",
                             path=label, column=col)


def _rejected(label: str, frame: pd.DataFrame, mask: np.ndarray, column: str, reason: str | pd.Series,
              lines: pd.Series | None = None) -> pd.DataFrame:
    sub = frame[mask]
    reasons = reason[mask] if isinstance(reason, pd.Series) else reason
    line = (lines[mask] if lines is not None else pd.Series(sub.index.to_numpy() + 2, index=sub.index))
    raw = [json.dumps({k: (None if pd.isna(v) else str(v)) for k, v in row.items()}, ensure_ascii=False)
           for row in sub.drop(columns=[c for c in sub.columns if str(c).startswith("_")]).to_dict("records")]
    return pd.DataFrame({"file": label, "line": line.to_numpy(dtype=np.int64), "column": column,
                         "reason": np.asarray(reasons, dtype=object) if not isinstance(reasons, str) else reasons,
                         "raw": raw}, columns=list(REJECTED_COLUMNS))


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce")


def _read_members(members: Table) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    frame, label = read_table(members, "members")
    _require(frame, ("member_id",), label)
    rejects: list[pd.DataFrame] = []
    frame = frame.reset_index(drop=True)
    out = pd.DataFrame({"member_id": _text(frame["member_id"])})
    for col in ("name", "sector"):
        out[col] = _text(frame[col]) if col in frame.columns else pd.Series(pd.NA, index=frame.index, dtype="string")
    kind = _text(frame["kind"]).str.lower() if "kind" in frame.columns else pd.Series("other", index=frame.index)
    out["kind"] = kind.fillna("other")
    out["size"] = pd.to_numeric(frame["size"], errors="coerce") if "size" in frame.columns else np.nan
    for col in ("joined", "left"):
        out[col] = _dates(frame[col]) if col in frame.columns else pd.NaT
    bad = [
        (out["member_id"].isna().to_numpy(), "member_id", "missing member_id"),
        (~out["kind"].isin(KINDS).to_numpy(), "kind", "kind must be one of " + ", ".join(KINDS)),
        (out["member_id"].duplicated().to_numpy() & out["member_id"].notna().to_numpy(), "member_id",
         "duplicate member_id (first kept)"),
    ]
    keep = np.ones(len(out), dtype=bool)
    for mask, col, reason in bad:
        mask = mask & keep
        if mask.any():
            rejects.append(_rejected(label, frame, mask, col, reason))
        keep &= ~mask
    return out[keep].reset_index(drop=True), rejects


def _read_waves(waves: Table) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    frame, label = read_table(waves, "waves")
    _require(frame, ("wave",), label)
    frame = frame.reset_index(drop=True)
    out = pd.DataFrame({"wave": _text(frame["wave"])})
    out["opens"] = _dates(frame["opens"]) if "opens" in frame.columns else pd.NaT
    out["closes"] = _dates(frame["closes"]) if "closes" in frame.columns else pd.NaT
    order = pd.to_numeric(frame["order"], errors="coerce") if "order" in frame.columns else \
        pd.Series(np.arange(1, len(frame) + 1), index=frame.index, dtype=float)
    out["order"] = order
    rejects = []
    keep = np.ones(len(out), dtype=bool)
    for mask, col, reason in [
        (out["wave"].isna().to_numpy(), "wave", "missing wave id"),
        (out["order"].isna().to_numpy(), "order", "order must be a whole number"),
        (out["wave"].duplicated().to_numpy(), "wave", "duplicate wave (first kept)"),
        ((out["closes"] < out["opens"]).fillna(False).to_numpy(), "closes", "closes before it opens"),
    ]:
        mask = mask & keep
        if mask.any():
            rejects.append(_rejected(label, frame, mask, col, reason))
        keep &= ~mask
    out = out[keep].copy()
    out["order"] = out["order"].astype(np.int64)
    if out["order"].duplicated().any():
        raise InputError(f"two waves share an order: {sorted(out.loc[out['order'].duplicated(), 'order'])}",
                         path=label, column="order")
    return out.sort_values("order").reset_index(drop=True), rejects


def validate_answers(answers: pd.DataFrame, members: pd.DataFrame, waves: pd.DataFrame, *, label: str = "answers",
                     lines: pd.Series | None = None, columns: pd.Series | None = None,
                     existing: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check long-layout answers against the members, waves and instrument.

    Parameters
    ----------
    answers
        ``wave``, ``respondent``, ``alter``, ``item``, ``value`` (``scale_min``, ``scale_max`` optional), as text.
    members, waves
        Validated members and waves (:func:`read_pulse`).
    label
        The file named in rejected rows.
    lines, columns
        Source line and column of each row, where the rows were reshaped from another layout (:func:`read_wide`).
    existing
        Answers already accepted (a wave added later): repeating one of them is a duplicate answer.

    Returns
    -------
    accepted, rejected
        Accepted answers (``wave``, ``respondent``, ``alter``, ``item``, ``value``, ``text``) and the rejected rows.
    """
    _require(answers, ("wave", "respondent", "item", "value"), label)
    frame = answers.reset_index(drop=True)
    if lines is not None:
        lines = pd.Series(np.asarray(lines), index=frame.index)
    col_of = (pd.Series(np.asarray(columns, dtype=object), index=frame.index) if columns is not None else None)
    wave = _text(frame["wave"])
    resp = _text(frame["respondent"])
    alter = _text(frame["alter"]) if "alter" in frame.columns else pd.Series(pd.NA, index=frame.index, dtype="string")
    item = _text(frame["item"]).str.lower()
    raw_value = _text(frame["value"])
    value = pd.to_numeric(raw_value, errors="coerce")
    known_item = item.isin(list(ITEMS)).fillna(False).to_numpy()
    spec_low = item.map({k: v.low for k, v in ITEMS.items()}).astype(float)
    spec_high = item.map({k: v.high for k, v in ITEMS.items()}).astype(float)
    about_alter = item.map({k: v.about_alter for k, v in ITEMS.items()}).astype("boolean").fillna(False).to_numpy()
    is_text = (item == "comment").fillna(False).to_numpy()
    stated_low = pd.to_numeric(frame["scale_min"], errors="coerce") if "scale_min" in frame.columns else spec_low
    stated_high = pd.to_numeric(frame["scale_max"], errors="coerce") if "scale_max" in frame.columns else spec_high
    stated_differs = (((stated_low.notna() & (stated_low != spec_low)) | (stated_high.notna()
                      & (stated_high != spec_high))) & ~pd.Series(is_text, index=frame.index)).to_numpy()

    wave_rows = waves.set_index("wave")
    member_ids = set(members["member_id"].astype(str))
    # respondent a member during that wave: joined before it closes, not left before it opens
    joined = resp.map(members.set_index("member_id")["joined"]) if len(members) else pd.Series(pd.NaT, index=resp.index)
    left = resp.map(members.set_index("member_id")["left"]) if len(members) else pd.Series(pd.NaT, index=resp.index)
    opens = wave.map(wave_rows["opens"]) if len(waves) else pd.Series(pd.NaT, index=wave.index)
    closes = wave.map(wave_rows["closes"]) if len(waves) else pd.Series(pd.NaT, index=wave.index)
    not_yet = (pd.to_datetime(joined) > pd.to_datetime(closes)).fillna(False).to_numpy()
    gone = (pd.to_datetime(left) < pd.to_datetime(opens)).fillna(False).to_numpy()

    scale_text = [f"{lo:g}–{hi:g}" if pd.notna(lo) else "" for lo, hi in zip(spec_low, spec_high, strict=True)]
    checks: list[tuple[np.ndarray, str, str | pd.Series]] = [
        (~wave.isin(list(waves["wave"])).fillna(False).to_numpy(), "wave",
         "unknown wave (waves: " + ", ".join(waves["wave"].astype(str)) + ")"),
        (resp.isna().to_numpy(), "respondent", "missing respondent"),
        (~resp.isin(member_ids).fillna(False).to_numpy(), "respondent", "respondent not a member"),
        (not_yet | gone, "respondent", "respondent not a member during this wave (joined/left dates)"),
        (~known_item, "item", "unknown item (items: " + ", ".join(ITEMS) + ")"),
        (about_alter & alter.isna().to_numpy(), "alter", "missing alter: this item is about another member"),
        (~about_alter & known_item & alter.notna().to_numpy(), "alter",
         "alter given for an item about the cluster itself"),
        (about_alter & alter.notna().to_numpy() & ~alter.isin(member_ids).fillna(False).to_numpy(), "alter",
         "unknown member (alter not in the member list)"),
        (about_alter & (alter == resp).fillna(False).to_numpy(), "alter", "self-rating (respondent rates itself)"),
        (~is_text & raw_value.isna().to_numpy(), "value", "missing value"),
        (~is_text & raw_value.notna().to_numpy() & value.isna().to_numpy(), "value", "value is not a number"),
        (stated_differs, "scale_min", pd.Series(
            [f"stated scale differs from the instrument's {s}" for s in scale_text], index=frame.index)),
        (~is_text & value.notna().to_numpy() & ((value < spec_low) | (value > spec_high)).fillna(False).to_numpy(),
         "value", pd.Series([f"out-of-scale value (scale {s})" for s in scale_text], index=frame.index)),
    ]
    keep = np.ones(len(frame), dtype=bool)
    rejects = []
    for mask, column, reason in checks:
        mask = mask & keep
        if mask.any():
            part = _rejected(label, frame, mask, column, reason, lines)
            if col_of is not None:  # reshaped rows name the export's column
                part["column"] = col_of[mask].fillna(column).to_numpy()
            rejects.append(part)
        keep &= ~mask
    key = pd.DataFrame({"w": wave, "r": resp, "a": alter.fillna(""), "i": item})
    dup = key.duplicated(keep="first").to_numpy() & keep
    if dup.any():
        rejects.append(_rejected(label, frame, dup, "item", "duplicate answer (same wave, respondent, alter and "
                                 "item; first kept)", lines))
        keep &= ~dup
    if existing is not None and len(existing):
        seen = pd.MultiIndex.from_frame(existing.assign(alter=existing["alter"].fillna(""))[
            ["wave", "respondent", "alter", "item"]].astype(str))
        again = pd.MultiIndex.from_frame(key.astype(str)).isin(seen) & keep
        if again.any():
            rejects.append(_rejected(label, frame, again, "item", "duplicate answer (already stored)", lines))
            keep &= ~again
    accepted = pd.DataFrame({
        "wave": wave[keep].astype(str).to_numpy(),
        "respondent": resp[keep].astype(str).to_numpy(),
        "alter": alter[keep].astype(object).where(alter[keep].notna(), None).to_numpy(),
        "item": item[keep].astype(str).to_numpy(),
        "value": np.where(is_text[keep], np.nan, value[keep].to_numpy(dtype=float, na_value=np.nan)),
        "text": np.where(is_text[keep], raw_value[keep].astype(object).to_numpy(), None),
    })
    rejected = pd.concat(rejects, ignore_index=True) if rejects else pd.DataFrame(columns=list(REJECTED_COLUMNS))
    return accepted, rejected


def read_pulse(members: Table, waves: Table, answers: Table | None = None) -> PulseData:
    """Read and validate a cluster's members, waves and long-layout answers.

    Parameters
    ----------
    members
        ``member_id``, ``name``, ``kind``, ``size``, ``sector``, ``joined``, ``left`` (frame, CSV or Excel).
    waves
        ``wave``, ``opens``, ``closes``, ``order``.
    answers
        Long layout: one row per answer, ``wave``, ``respondent``, ``alter``, ``item``, ``value`` (``scale_min``,
        ``scale_max`` optional), or a wide export reshaped by :func:`read_wide` (its rejected rows keep the
        export's line and column). None for members and waves alone (answers added later).

    Returns
    -------
    PulseData
        Valid rows, with every other row in ``rejected`` (its file, line, column and reason).

    Raises
    ------
    InputError
        A file is missing or unreadable, a required column is absent, or two waves share an order.

    Examples
    --------
    >>> m = pd.DataFrame({"member_id": ["M1", "M2"], "kind": ["firm", "university"]})
    >>> w = pd.DataFrame({"wave": ["2026-1"], "order": [1]})
    >>> a = pd.DataFrame({"wave": ["2026-1"] * 3, "respondent": ["M1", "M1", "M2"], "alter": ["M2", "M1", "M9"],
    ...                   "item": ["trust_open", "works_with", "works_with"], "value": ["4", "1", "1"]})
    >>> data = read_pulse(m, w, a)
    >>> len(data.answers), data.rejected["reason"].tolist()
    (1, ['unknown member (alter not in the member list)', 'self-rating (respondent rates itself)'])
    """
    member_frame, rejects = _read_members(members)
    wave_frame, wave_rejects = _read_waves(waves)
    rejects += wave_rejects
    if answers is None:
        accepted = pd.DataFrame(columns=["wave", "respondent", "alter", "item", "value", "text"])
    else:
        frame, label = read_table(answers, "answers")
        lines = frame.pop("_line") if "_line" in frame.columns else None  # reshaped by read_wide
        columns = frame.pop("_column") if "_column" in frame.columns else None
        accepted, answer_rejects = validate_answers(frame, member_frame, wave_frame, label=label, lines=lines,
                                                    columns=columns)
        rejects.append(answer_rejects)
    rejected = pd.concat([r for r in rejects if len(r)], ignore_index=True) if any(len(r) for r in rejects) else \
        pd.DataFrame(columns=list(REJECTED_COLUMNS))
    return PulseData(members=member_frame, waves=wave_frame, answers=accepted, rejected=rejected)


def read_wide(table: Table, mapping: Table | Mapping[str, tuple[str, str | None]], *,
              respondent_column: str = "respondent", wave_column: str | None = "wave",
              wave: str | None = None) -> pd.DataFrame:
    """Reshape a wide survey export (one row per respondent, one column per alter × item) to the long layout.

    Parameters
    ----------
    table
        The export (frame, CSV or Excel).
    mapping
        Which item and alter each column holds: a table with ``column``, ``item``, ``alter`` (empty for cluster
        items), or a dict ``column → (item, alter)``. Columns not in the mapping (names, timestamps) are ignored.
    respondent_column, wave_column
        The columns that name the respondent and the wave.
    wave
        The wave of every row, where the export has no wave column.

    Returns
    -------
    pandas.DataFrame
        Long answers with ``_line`` (the row's line in the export) and ``_column`` (the column the answer came
        from), for :func:`validate_answers`; empty cells are no answer.

    Raises
    ------
    InputError
        When the respondent or wave column is missing, or the mapping names columns the export lacks.
    """
    frame, label = read_table(table, "wide answers")
    if isinstance(mapping, Mapping):
        spec = pd.DataFrame([(c, i, a) for c, (i, a) in mapping.items()], columns=["column", "item", "alter"])
        map_label = "mapping"
    else:
        spec, map_label = read_table(mapping, "mapping")
        _require(spec, ("column", "item"), map_label)
        if "alter" not in spec.columns:
            spec["alter"] = None
    if respondent_column not in frame.columns:
        raise InputError(f"no respondent column {respondent_column!r}", path=label, column=respondent_column)
    if wave is None and (wave_column is None or wave_column not in frame.columns):
        raise InputError(f"no wave column {wave_column!r}: give the wave", path=label, column=str(wave_column))
    absent = sorted(set(spec["column"].astype(str)) - set(frame.columns))
    if absent:
        raise InputError(f"the mapping {map_label} names columns the export lacks: {', '.join(absent)}",
                         path=label)
    frame = frame.reset_index(drop=True)
    frame["_line"] = np.arange(len(frame)) + 2
    waves = frame[wave_column] if wave is None and wave_column is not None else pd.Series(wave, index=frame.index)
    parts = []
    for row in spec.itertuples(index=False):
        cells = _text(frame[row.column].astype("string"))
        has = cells.notna().to_numpy()
        alter_id = None if pd.isna(row.alter) or str(row.alter).strip() == "" else str(row.alter).strip()
        parts.append(pd.DataFrame({
            "wave": waves[has].to_numpy(), "respondent": frame.loc[has, respondent_column].to_numpy(),
            "alter": alter_id, "item": str(row.item), "value": cells[has].to_numpy(),
            "_line": frame.loc[has, "_line"].to_numpy(), "_column": row.column,
        }))
    cols = ["wave", "respondent", "alter", "item", "value", "_line", "_column"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


def add_answers(data: PulseData, answers: Table, *, label: str | None = None) -> PulseData:
    """Validate more long-layout answers (a new wave) against ``data`` and add them.

    Answers of a wave already present replace nothing: a repeated answer is rejected as a duplicate. Rows from
    :func:`read_wide` keep the export's line and column in their rejected records.
    """
    frame, name = read_table(answers, label or "answers")
    lines = frame.pop("_line") if "_line" in frame.columns else None
    columns = frame.pop("_column") if "_column" in frame.columns else None
    accepted, rejected = validate_answers(frame, data.members, data.waves, label=name, lines=lines, columns=columns,
                                          existing=data.answers)
    return replace(data, answers=pd.concat([data.answers, accepted], ignore_index=True),
                   rejected=pd.concat([data.rejected, rejected], ignore_index=True))


def members_from_candidates(candidate_firms: pd.DataFrame, candidate_id: str, firms: pd.DataFrame | None = None,
                            *, prefix: str = "M") -> pd.DataFrame:
    """Seed a member list from one candidate of a ``scan`` run (``candidate_firms.csv``).

    Parameters
    ----------
    candidate_firms
        ``candidate_id``, ``firm_id`` (as written by ``clusterwatch scan``).
    candidate_id
        The candidate whose firms become members.
    firms
        Canonical firms (``firm_id``, ``name``, ``kind``, ``employees``, ``code``), for names, kinds and sizes.
    prefix
        Pseudonyms are ``prefix`` + a zero-padded number, in firm-id order.

    Returns
    -------
    pandas.DataFrame
        Members (:data:`MEMBER_COLUMNS`) plus ``firm_id``, the link back to the register (keep it private).

    Raises
    ------
    InputError
        When the table lacks its columns or holds no firm of the candidate.
    """
    for col in ("candidate_id", "firm_id"):
        if col not in candidate_firms.columns:
            raise InputError(f"candidate firms need a {col!r} column", column=col)
    ids = sorted(set(candidate_firms.loc[candidate_firms["candidate_id"].astype(str) == str(candidate_id),
                                         "firm_id"].astype(str)))
    if not ids:
        known = ", ".join(sorted(candidate_firms["candidate_id"].astype(str).unique())[:10])
        raise InputError(f"no firms for candidate {candidate_id!r} (candidates: {known})", column="candidate_id")
    width = max(3, len(str(len(ids))))
    out = pd.DataFrame({"member_id": [f"{prefix}{i + 1:0{width}d}" for i in range(len(ids))], "firm_id": ids})
    info = (firms.drop_duplicates("firm_id").set_index(firms["firm_id"].astype(str).drop_duplicates().to_numpy())
            if firms is not None and "firm_id" in firms.columns else None)

    def pick(col: str, default: object = None) -> pd.Series:
        if info is None or col not in info.columns:
            return pd.Series(default, index=out.index, dtype=object)
        return out["firm_id"].map(info[col])

    out["name"] = pick("name")
    kind = pick("kind", "firm").astype("string").str.lower()
    out["kind"] = kind.where(kind.isin(KINDS), "firm").fillna("firm")
    out["size"] = pd.to_numeric(pick("employees"), errors="coerce")
    out["sector"] = pick("code")
    out["joined"] = None
    out["left"] = None
    return out[[*MEMBER_COLUMNS, "firm_id"]]
