"""Import and export in the pulse CSV layout (members.csv, waves.csv, answers.csv), and the pulse report.

Imports validate every row and keep the good ones; each bad row comes back as a rejected record (file, row, reason):
unknown member, unknown wave, self-rating, unknown item, value off its scale, duplicate answer, missing column.
Row numbers count the header as row 1, as a spreadsheet shows them.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clusterwatch.errors import ClusterwatchError, OptionError
from clusterwatch.serve import db, store
from clusterwatch.serve.instrument import ITEMS
from clusterwatch.serve.measures import dashboard
from clusterwatch.serve.security import utcnow


@dataclass(frozen=True)
class Rejected:
    """A row that was not imported, with the reason."""

    file: str
    row: int
    reason: str


@dataclass(frozen=True)
class ImportResult:
    """What an import stored and what it rejected."""

    members: int = 0
    waves: int = 0
    answers: int = 0
    rejected: tuple[Rejected, ...] = field(default_factory=tuple)

    def counts(self) -> dict[str, int]:
        """Stored rows per table."""
        return {"members": self.members, "waves": self.waves, "answers": self.answers}

    def to_frame(self) -> pd.DataFrame:
        """The rejected rows (file, row, reason)."""
        return pd.DataFrame([r.__dict__ for r in self.rejected], columns=["file", "row", "reason"])


def _read(content: bytes, name: str, required: tuple[str, ...]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise OptionError(f"{name}: cannot read it as CSV ({exc})") from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise OptionError(f"{name}: missing column(s) {', '.join(missing)}")
    return frame


def import_files(conn: Connection, cluster_id: int, members: bytes | None, waves: bytes | None,
                 answers: bytes | None) -> ImportResult:
    """Import the pulse layout's files into a cluster (members first, then waves, then answers).

    Each row is checked on its own; a file that cannot be read at all, or lacks a required column, is one rejected
    record (row 0). Answers replace earlier answers of the same respondent about the same alter and item.
    """
    rejected: list[Rejected] = []
    n_members = n_waves = n_answers = 0
    if members is not None:
        try:
            frame = _read(members, "members.csv", ("member_id", "name", "kind"))
        except OptionError as exc:
            rejected.append(Rejected("members.csv", 0, str(exc)))
        else:
            for i, r in enumerate(frame.to_dict("records"), start=2):
                try:
                    with conn.begin_nested():
                        store.add_member(conn, cluster_id, r["member_id"], r["name"], r["kind"], r.get("size"),
                                         r.get("sector"), r.get("joined"), r.get("left"))
                    n_members += 1
                except OptionError as exc:
                    rejected.append(Rejected("members.csv", i, str(exc)))
    if waves is not None:
        try:
            frame = _read(waves, "waves.csv", ("wave", "opens", "closes"))
        except OptionError as exc:
            rejected.append(Rejected("waves.csv", 0, str(exc)))
        else:
            for i, r in enumerate(frame.sort_values("order").to_dict("records") if "order" in frame else
                                  frame.to_dict("records"), start=2):
                try:
                    with conn.begin_nested():
                        store.add_wave(conn, cluster_id, r["wave"], r["opens"], r["closes"])
                    n_waves += 1
                except OptionError as exc:
                    rejected.append(Rejected("waves.csv", i, str(exc)))
    if answers is not None:
        try:
            frame = _read(answers, "answers.csv", ("wave", "respondent", "alter", "item", "value"))
        except OptionError as exc:
            rejected.append(Rejected("answers.csv", 0, str(exc)))
        else:
            n_answers = _import_answers(conn, cluster_id, frame, rejected)
    return ImportResult(n_members, n_waves, n_answers, tuple(rejected))


def _import_answers(conn: Connection, cluster_id: int, frame: pd.DataFrame, rejected: list[Rejected]) -> int:
    keys = {m.member_id: m.id for m in store.members_of(conn, cluster_id)}
    wave_ids = {w.wave: w.id for w in store.waves_of(conn, cluster_id)}
    seen: set[tuple[int, int, int, str]] = set()
    rows = []
    for i, r in enumerate(frame.to_dict("records"), start=2):
        respondent, alter, item = r["respondent"].strip(), r["alter"].strip(), r["item"].strip()
        value = str(r["value"]).strip()
        reason = None
        if r["wave"] not in wave_ids:
            reason = f"unknown wave {r['wave'][:40]!r}"
        elif respondent not in keys:
            reason = f"respondent {respondent[:40]!r} is not a member"
        elif alter and alter not in keys:
            reason = f"alter {alter[:40]!r} is not a member"
        elif alter == respondent:
            reason = "a member rating themselves"
        elif item not in ITEMS:
            reason = f"unknown item {item[:40]!r}"
        elif ITEMS[item].about_member != bool(alter):
            reason = f"item {item} needs {'an' if ITEMS[item].about_member else 'no'} alter"
        elif not ITEMS[item].free_text:
            spec = ITEMS[item]
            try:
                number = float(value)
            except ValueError:
                number = float("nan")
            if not (number == int(number) if number == number else False) or not (
                    spec.scale_min <= number <= spec.scale_max):
                reason = f"{item}: {value[:40]!r} is not one of {spec.scale_min}..{spec.scale_max}"
            else:
                value = str(int(number))
        if reason is None:
            key = (wave_ids[r["wave"]], keys[respondent], keys[alter] if alter else 0, item)
            if key in seen:
                reason = "duplicate answer (same wave, respondent, alter and item)"
            seen.add(key)
        if reason is not None:
            rejected.append(Rejected("answers.csv", i, reason))
            continue
        rows.append({"wave_id": key[0], "respondent_key": key[1], "alter_key": key[2], "item": item,
                     "value": value, "saved_at": utcnow()})
    a = db.answers.c
    for row in rows:
        conn.execute(db.answers.delete().where(a.wave_id == row["wave_id"], a.respondent_key == row["respondent_key"],
                                               a.alter_key == row["alter_key"], a.item == row["item"]))
    if rows:
        conn.execute(db.answers.insert(), rows)
    for wave_id in {r["wave_id"] for r in rows}:  # imported respondents count as invited to that wave
        for respondent in {r["respondent_key"] for r in rows if r["wave_id"] == wave_id}:
            inv = db.invitations.c
            exists = conn.execute(sa.select(inv.id).where(inv.wave_id == wave_id, inv.member_key == respondent))
            if exists.first() is None:
                conn.execute(db.invitations.insert().values(
                    wave_id=wave_id, member_key=respondent, token_hash=f"imported-{wave_id}-{respondent}",
                    consented_at=utcnow()))
    return len(rows)


def measures_table(members: pd.DataFrame, waves: pd.DataFrame, answers: pd.DataFrame, *, k: int,
                   invited: dict[str, int]) -> pd.DataFrame:
    """The aggregated per-member results of every wave (the dashboard's table), for the CSV export."""
    frames = []
    for w in waves["wave"]:
        board = dashboard(members, answers, w, k=k, invited=invited.get(w) or None)
        frames.append(board.members.assign(wave=w)[["wave", *board.members.columns]])
    if not frames:
        return pd.DataFrame(columns=["wave", "member_id", "name", "kind", "raters", "trust", "value", "suppressed"])
    return pd.concat(frames, ignore_index=True)


def pulse_report(members: pd.DataFrame, waves: pd.DataFrame, answers: pd.DataFrame, *, k: int, title: str
                 ) -> str | None:
    """The pulse library's offline HTML report of these data (k-suppressed, no pair-level rating), or None when
    the library or what it needs is not available, or there is nothing to report yet."""
    if waves.empty or answers.empty:
        return None
    try:
        from clusterwatch.pulse import read_pulse
        from clusterwatch.pulse.report import write_report
    except ImportError:  # pragma: no cover - pulse ships with clusterwatch
        return None
    try:
        data = read_pulse(members, waves, answers)
        with tempfile.TemporaryDirectory() as tmp:
            return write_report(data, Path(tmp), cluster=title, k=k).read_text(encoding="utf-8")
    except (ClusterwatchError, ImportError):
        return None
