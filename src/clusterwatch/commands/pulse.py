"""``clusterwatch pulse``: a cluster network's trust, value and health over survey waves (the facilitator's loop).

    clusterwatch pulse import --cluster north --members members.csv --waves waves.csv --answers answers.csv
    clusterwatch pulse report --cluster north --out pulse-north      # report.html + CSVs
    clusterwatch pulse import --cluster north --waves waves.csv --answers wave2.csv   # the next wave
    clusterwatch pulse compare --cluster north                       # the last two waves
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.markup import escape
from rich.table import Table

from clusterwatch.cli.console import console
from clusterwatch.cli.options import WorkspaceOpt, app
from clusterwatch.errors import InputError, OptionError
from clusterwatch.pulse.model import PulseData

pulse_app = typer.Typer(help="Measure a cluster network over survey waves: trust, value, health, early warnings.",
                        no_args_is_help=True)
app.add_typer(pulse_app, name="pulse")

ClusterOpt = Annotated[str, typer.Option("--cluster", "-c", help="The cluster's name in the workspace.")]
KOpt = Annotated[int, typer.Option("--k", help="Show a member's trust/value only when at least k others rated it.")]


def _stored_answers(data: PulseData) -> pd.DataFrame:
    """Stored answers in the long layout, to validate again against new members or waves."""
    a = data.answers
    value = a["value"].astype(object).where(a["item"] != "comment", a["text"])
    return pd.DataFrame({"wave": a["wave"], "respondent": a["respondent"], "alter": a["alter"], "item": a["item"],
                         "value": value.astype(str)})


def _latest(data: PulseData) -> str:
    if not data.wave_ids:
        raise InputError("the cluster has no waves yet: import a waves.csv")
    return data.wave_ids[-1]


def _num(value: float, digits: int = 3) -> str:
    return "" if pd.isna(value) else f"{value:.{digits}f}"


@pulse_app.command("import")
def import_(
    cluster: ClusterOpt,
    workspace: WorkspaceOpt = Path("clusterwatch.duckdb"),
    members: Annotated[Path | None, typer.Option(help="members.csv/.xlsx (member_id, name, kind, ...).")] = None,
    waves: Annotated[Path | None, typer.Option(help="waves.csv (wave, opens, closes, order).")] = None,
    answers: Annotated[Path | None, typer.Option(help="Long answers (wave, respondent, alter, item, value).")] = None,
    wide: Annotated[Path | None, typer.Option(help="A wide export: one row per respondent, a column per alter x "
                                                   "item (needs --mapping).")] = None,
    mapping: Annotated[Path | None, typer.Option(help="Mapping of the wide export: column, item, alter.")] = None,
    respondent_column: Annotated[str, typer.Option("--respondent-column", help="Wide export: respondent column.")
                                 ] = "respondent",
    wave: Annotated[str | None, typer.Option(help="Wide export: the wave of every row (no wave column).")] = None,
) -> None:
    """Import members, waves and answers (a new wave adds to what the cluster holds).

    Every unusable answer is a rejected row with its file, line, column and reason (unknown member, out-of-scale
    value, self-rating, duplicate answer, respondent not a member ...): printed by reason, stored in the workspace.
    """
    from clusterwatch.io.pulse_store import clusters, load_pulse, save_pulse
    from clusterwatch.pulse import add_answers, read_pulse, read_wide

    if (wide is None) != (mapping is None):
        raise OptionError("--wide and --mapping go together")
    existing = load_pulse(workspace, cluster) if workspace.exists() and cluster in clusters(workspace) else None
    before_rejected = 0 if existing is None else len(existing.rejected)
    if existing is None:
        if members is None or waves is None:
            raise OptionError(f"cluster {cluster!r} is new: give --members and --waves")
        data = read_pulse(members, waves)
    elif members is not None or waves is not None:
        data = read_pulse(members if members is not None else existing.members,
                          waves if waves is not None else existing.waves, _stored_answers(existing))
        data = replace(data, rejected=pd.concat([existing.rejected, data.rejected], ignore_index=True),
                       withdrawn=existing.withdrawn)
    else:
        data = existing
    n_before = len(data.answers)
    if answers is not None:
        data = add_answers(data, answers)
    if wide is not None and mapping is not None:
        data = add_answers(data, read_wide(wide, mapping, respondent_column=respondent_column, wave=wave),
                           label=str(wide))
    data = save_pulse(workspace, cluster, data)  # a member who withdrew earlier stays out
    new_rejected = data.rejected.iloc[before_rejected:]
    console.print(f"[bold]{escape(cluster)}[/bold]: {len(data.members)} members, {len(data.wave_ids)} waves, "
                  f"{len(data.answers) - n_before:,} answers added ({len(data.answers):,} in all), "
                  f"{len(new_rejected):,} rows rejected")
    if len(new_rejected):
        by = Table(title="Rejected rows by reason (all stored in the workspace)")
        for col in ("reason", "rows", "first (file:line, column)"):
            by.add_column(col)
        for reason, rows in new_rejected.groupby("reason", sort=True):
            first = rows.iloc[0]
            by.add_row(escape(str(reason)), f"{len(rows):,}", escape(f"{first['file']}:{first['line']}, "
                                                                     f"{first['column']}"))
        console.print(by)
    console.print(data.to_frame().to_string(index=False))


@pulse_app.command()
def measures(
    cluster: ClusterOpt,
    workspace: WorkspaceOpt = Path("clusterwatch.duckdb"),
    wave: Annotated[str | None, typer.Option(help="The wave (default: the latest).")] = None,
    k: KOpt = 3,
) -> None:
    """Measures of one wave: response, density, reciprocity, structure, brokers, trust, value, reliability."""
    from clusterwatch.io.pulse_store import load_pulse
    from clusterwatch.pulse import wave_measures

    data = load_pulse(workspace, cluster)
    wm = wave_measures(data, wave or _latest(data), k=k)
    table = Table(title=f"{cluster}, wave {wm.wave}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in wm.network.items():
        table.add_row(key, _num(value))
    console.print(table)
    console.print(f"top broker: {wm.top_broker or 'none'}; {len(wm.suppressed)} cell(s) suppressed (k = {k})")


@pulse_app.command()
def compare(
    cluster: ClusterOpt,
    workspace: WorkspaceOpt = Path("clusterwatch.duckdb"),
    before: Annotated[str | None, typer.Option(help="Earlier wave (default: the one before --after).")] = None,
    after: Annotated[str | None, typer.Option(help="Later wave (default: the latest).")] = None,
    k: KOpt = 3,
    replicates: Annotated[int, typer.Option(help="Vertex-bootstrap replicates.")] = 999,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
) -> None:
    """Compare two waves: each measure's change with a 95% bootstrap interval, ties formed/dissolved, QAP."""
    from clusterwatch.io.pulse_store import load_pulse
    from clusterwatch.pulse import compare_waves

    data = load_pulse(workspace, cluster)
    ids = data.wave_ids
    after = after or _latest(data)
    if after not in ids:
        raise OptionError(f"--after {after!r}: waves are {', '.join(ids)}")
    if before is None:
        i = ids.index(after)
        if i == 0:
            raise InputError(f"wave {after} is the first: nothing to compare with")
        before = ids[i - 1]
    ch = compare_waves(data, before, after, k=k, replicates=replicates, rng=seed)
    table = Table(title=f"{cluster}: wave {before} → {after}")
    for col in ("measure", "before", "after", "change", "95% interval"):
        table.add_column(col, justify="left" if col == "measure" else "right")
    for row in ch.measures.itertuples(index=False):
        interval = "" if pd.isna(row.ci_low) else f"{row.ci_low:+.3f} to {row.ci_high:+.3f}"
        table.add_row(row.measure, _num(row.before), _num(row.after), _num(row.change), interval)
    console.print(table)
    t = ch.ties
    console.print(f"ties: {t['stable']:.0f} stable, {t['formed']:.0f} formed, {t['dissolved']:.0f} dissolved, "
                  f"{t['turned_negative']:.0f} turned negative; QAP r = {t['qap_r']:.3f} (p = {t['qap_p']:.3f})")
    drifting = ch.members.loc[ch.members["drifting"], "member_id"].tolist()
    console.print(f"drifting to the periphery: {', '.join(drifting) or 'none'}")


@pulse_app.command()
def alerts(
    cluster: ClusterOpt,
    workspace: WorkspaceOpt = Path("clusterwatch.duckdb"),
    wave: Annotated[str | None, typer.Option(help="The wave (default: the latest).")] = None,
    k: KOpt = 3,
    replicates: Annotated[int, typer.Option(help="Vertex-bootstrap replicates behind the decline rules.")] = 499,
) -> None:
    """The early-warning rules that fire in a wave, each with its evidence."""
    from clusterwatch.io.pulse_store import load_pulse
    from clusterwatch.pulse import early_warnings

    data = load_pulse(workspace, cluster)
    warn = early_warnings(data, wave or _latest(data), k=k, replicates=replicates)
    if warn.alerts.empty:
        console.print(f"wave {warn.wave}: no rule fired")
        return
    table = Table(title=f"{cluster}, wave {warn.wave}: {len(warn.alerts)} alert(s)")
    for col in ("rule", "subject", "evidence"):
        table.add_column(col)
    for row in warn.alerts.itertuples(index=False):
        table.add_row(row.rule, row.subject, escape(row.evidence))
    console.print(table)


@pulse_app.command()
def report(
    cluster: ClusterOpt,
    workspace: WorkspaceOpt = Path("clusterwatch.duckdb"),
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for report.html and the CSV files.")] = Path(
        "pulse-out"),
    k: KOpt = 3,
    seed: Annotated[int, typer.Option(help="Seed of the layout and the bootstrap.")] = 0,
    replicates: Annotated[int, typer.Option(help="Vertex-bootstrap replicates of the comparisons.")] = 499,
) -> None:
    """Write the offline report (maps per wave, trends, alerts with evidence, suppressed cells) and CSVs."""
    from clusterwatch.io.pulse_store import load_pulse
    from clusterwatch.pulse import write_report

    data = load_pulse(workspace, cluster)
    path = write_report(data, out, cluster=cluster, k=k, rng=seed, replicates=replicates)
    console.print(f"Wrote {path} and {len(list(out.glob('*.csv')))} CSV files to {out}")


@pulse_app.command()
def withdraw(
    cluster: ClusterOpt,
    member: Annotated[str, typer.Option("--member", help="The member's pseudonym, e.g. M003.")],
    workspace: WorkspaceOpt = Path("clusterwatch.duckdb"),
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: the answers are deleted for good.")] = False,
) -> None:
    """Withdraw a member: delete their answers and every answer about them (kept: the pseudonym and the date)."""
    from clusterwatch.io.pulse_store import withdraw_member

    if not yes:
        raise OptionError("withdrawal deletes answers for good: add --yes")
    data = withdraw_member(workspace, cluster, member)
    console.print(f"{escape(member)} withdrawn from {escape(cluster)}: {len(data.members)} members left")


@pulse_app.command()
def seed(
    candidates: Annotated[Path, typer.Option(help="candidate_firms.csv of a `clusterwatch scan` run.")],
    candidate: Annotated[str, typer.Option(help="The candidate_id whose firms become members.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="members.csv to write.")] = Path("members.csv"),
    workspace: WorkspaceOpt = Path("clusterwatch.duckdb"),
) -> None:
    """Seed a member list from a scan candidate: pseudonyms M001 ..., with names, kinds and sizes from the
    workspace's firms where it has them (the firm_id column links back; keep the file private)."""
    from clusterwatch.io.workspace import Workspace
    from clusterwatch.pulse import members_from_candidates
    from clusterwatch.pulse.read import read_table

    table, _ = read_table(candidates, "candidate firms")
    firms = None
    if workspace.exists():
        with Workspace(workspace, read_only=True) as ws:
            firms = ws.firms()
    members = members_from_candidates(table, candidate, firms)
    from clusterwatch.report.csvsafe import write_csv

    write_csv(members, out)
    console.print(f"Wrote {len(members)} members of candidate {escape(candidate)} to {out}")
