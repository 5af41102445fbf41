"""``clusterwatch activities``: what firms do, in their own words — text-derived activities, broad and fine."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich import box
from rich.markup import escape
from rich.progress import TaskID
from rich.table import Table

from clusterwatch.cli.console import console, progress
from clusterwatch.cli.options import WORKSPACE, AsOfOpt, ColumnOpt, OutOpt, SeedOpt, app, parse_columns
from clusterwatch.errors import InputError, OptionError
from clusterwatch.validation import check_choice, check_int

if TYPE_CHECKING:
    from clusterwatch.analysis.text import ActivityResult

#: Values of ``--method``.
METHOD_CHOICES: tuple[str, ...] = ("auto", "embedding-kmeans", "tfidf-svd-kmeans")

#: Values of ``--preset``: ``auto`` applies ``sbir`` when every source is an SBIR format and ``no`` (Norwegian stop
#: words) when every source is the Norwegian register, ``dsbs`` (ownership and certification words) for DSBS.
PRESETS: tuple[str, ...] = ("auto", "none", "sbir", "no", "dsbs")

#: Texts shorter than this are left out (a register's one-word "Snekker." counts).
MIN_CHARS = 3

#: Activities listed in the printed summary.
SHOWN = 15


def _words(value: str | None, option: str) -> list[str]:
    """The comma-separated items of an option, stripped; an option given but empty is an error."""
    if value is None:
        return []
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise OptionError(f"{option} {value!r}: give comma-separated values")
    return items


def _check_options(method: str, preset: str, n_activities: int | None, n_broad: int | None, min_firms: int,
                   recent_years: int, code_systems: list[str], as_of: str | None, device: str
                   ) -> pd.Timestamp | None:
    """Validate the options that do not need the data; return ``--as-of`` as a timestamp."""
    from clusterwatch.analysis.text.semantic import SEMANTIC_SYSTEMS

    check_choice(method, "--method", METHOD_CHOICES)
    check_choice(preset, "--preset", PRESETS)
    if n_activities is not None:
        check_int(n_activities, "--n-activities", minimum=2)
    if n_broad is not None and (n_broad < 1 or (n_activities is not None and n_broad >= n_activities)):
        raise OptionError(f"--n-broad must be at least 1 and fewer than --n-activities; got {n_broad}")
    check_int(min_firms, "--min-firms", minimum=1)
    check_int(recent_years, "--recent-years", minimum=1)
    if device not in ("auto", "cpu", "cuda") and not (device.startswith("cuda:") and device[5:].isdigit()):
        raise OptionError(f"--device {device!r}: auto, cpu, cuda or cuda:N")
    allowed = (*SEMANTIC_SYSTEMS, "sn2007", "none")
    unknown = [s for s in code_systems if s not in allowed]
    if unknown:
        raise OptionError(f"--code-systems: unknown {', '.join(unknown)}; one or more of {', '.join(allowed)}")
    if "none" in code_systems and len(code_systems) > 1:
        raise OptionError("--code-systems none cannot be combined with code systems")
    if as_of is None:
        return None
    try:
        return pd.Timestamp(as_of)
    except (ValueError, TypeError):
        raise OptionError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from None


def _read_sources(sources: list[Path], formats: list[str], columns: dict[str, str]
                  ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Firms and dated events of the source files (one format for all, or one per file), and what was read."""
    from clusterwatch.io.ingest import read_firms

    if len(formats) > 1 and len(formats) != len(sources):
        raise OptionError(f"give --format once (for every file) or once per file; got {len(formats)} formats "
                          f"for {len(sources)} files")
    pairs = list(zip(sources, formats if len(formats) > 1 else [formats[0] if formats else "generic"] * len(sources),
                     strict=True))
    firms, events, read = [], [], []
    for path, fmt in pairs:
        result = read_firms(str(path), format=fmt, columns=columns)
        firms.append(result.firms)
        events.append(result.events)
        report = result.report.sources[0]
        rejected = "; ".join(f"{k}: {v:,}" for k, v in report.rejected_by_reason.items())
        read.append(f"{path.name} ({fmt}): {report.firms:,} firms, {report.events:,} events"
                    + (f"; rejected {report.rejected:,} rows ({rejected})" if report.rejected else ""))
    return (pd.concat(firms, ignore_index=True), pd.concat(events, ignore_index=True), read)


def _texts(firms: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """The texts to group, as ``clusterwatch scan`` builds them: descriptions and event texts of the firms.

    Firms known only from their events (SBIR abstracts carry no firm table) are added by id, so that their
    texts count.
    """
    from clusterwatch.candidates.activities import firm_texts

    known = set(firms["firm_id"].astype(str)) if len(firms) else set()
    extra = sorted(set(events["firm_id"].dropna().astype(str)) - known) if len(events) else []
    if extra:
        firms = pd.concat([firms, pd.DataFrame({"firm_id": pd.array(extra, dtype="string")})], ignore_index=True)
    if firms.empty:
        return pd.DataFrame(columns=["firm_id", "text", "date", "code"])
    return firm_texts(firms, events, min_chars=MIN_CHARS)


@app.command()
def activities(
    sources: Annotated[
        list[Path] | None, typer.Argument(help="Source files (none: read --workspace, default clusterwatch.duckdb).")
    ] = None,
    format: Annotated[
        list[str] | None,
        typer.Option("--format", "-f", help="Source format (see `clusterwatch formats`): once, or once per file."),
    ] = None,
    column: ColumnOpt = None,
    workspace: Annotated[
        Path | None, typer.Option("--workspace", "-w", help="Workspace file (DuckDB) instead of source files.")
    ] = None,
    out: OutOpt = Path("activities-out"),
    as_of: AsOfOpt = None,
    seed: SeedOpt = None,
    method: Annotated[
        str, typer.Option(help="auto (embeddings when installed), embedding-kmeans or tfidf-svd-kmeans.")
    ] = "auto",
    model: Annotated[
        str | None,
        typer.Option(help="Embedding model: the packaged all-MiniLM-L6-v2, or the folder of a local "
                          "sentence-transformers model (a multilingual one for non-English texts)."),
    ] = None,
    n_activities: Annotated[
        int | None, typer.Option("--n-activities", help="Fine activities (default: chosen from the data).")
    ] = None,
    n_broad: Annotated[
        int | None, typer.Option("--n-broad", help="Broad groups (default: chosen from the data).")
    ] = None,
    min_firms: Annotated[int, typer.Option("--min-firms", help="Fewest firms an activity needs.")] = 5,
    code_systems: Annotated[
        str | None,
        typer.Option("--code-systems",
                     help="Code titles the activities are compared with, comma-separated: naics, nace2, uksic2007 "
                          "(sn2007 means nace2), or none (default: the firms' systems, else all three; none for "
                          "Norwegian SN2007 firms: give nace2 with a multilingual --model)."),
    ] = None,
    stop_words: Annotated[
        str | None, typer.Option("--stop-words", help="Extra words to leave out of labels, comma-separated.")
    ] = None,
    preset: Annotated[
        str, typer.Option(help="Stop-word preset: sbir (proposal boilerplate), no (Norwegian stop words), dsbs "
                                  "(ownership words), none, or auto (the one that fits the sources' format).")
    ] = "auto",
    cache: Annotated[
        Path | None,
        typer.Option(help="Embedding cache file (DuckDB) when no workspace is used; with --workspace its own cache."),
    ] = None,
    recent_years: Annotated[
        int, typer.Option("--recent-years", help="Years before --as-of (or the last date) counted as recent.")
    ] = 5,
    device: Annotated[str, typer.Option(help="Where embeddings run: auto, cpu, cuda.")] = "auto",
    max_tokens: Annotated[
        int, typer.Option("--max-tokens", help="Word pieces of each text the model reads (96: about 70 words).")
    ] = 96,
) -> None:
    """Find activities in firms' texts (descriptions, award abstracts, project summaries): broad and fine groups.

    Reads SOURCE files (as `clusterwatch scan` does) or the workspace, groups the firms by what their texts say
    (sentence embeddings, or the TF-IDF fallback), labels the groups, measures their trend over time and how well
    official codes and code titles describe them, and writes activities.csv, broad_activities.csv,
    firm_activities.csv, text_activities.csv, activity_periods.csv and an offline activities.html to --out.
    """
    from clusterwatch.analysis.text import discover_activities
    from clusterwatch.candidates.activities import stop_word_preset, stop_words_of
    from clusterwatch.io.embed_cache import DEFAULT_MODEL, auto_encoder
    from clusterwatch.report.activities import write_activities
    from clusterwatch.snapshot import known_on
    from clusterwatch.stats import resolve_seed

    systems = _words(code_systems, "--code-systems")
    check_int(max_tokens, "--max-tokens", minimum=8)
    cutoff = _check_options(method, preset, n_activities, n_broad, min_firms, recent_years, systems, as_of, device)
    formats = list(format or [])
    if sources and workspace is not None:
        raise OptionError("give source files or --workspace, not both (`clusterwatch ingest` stores files in a "
                          "workspace)")
    if not sources and formats:
        raise OptionError("--format applies to source files; none were given")
    if not sources and cache is not None:
        raise OptionError("--cache applies to source files: a workspace keeps its embeddings itself")
    extra_words = _words(stop_words, "--stop-words")
    run_seed = resolve_seed(seed)
    ws_path = workspace if workspace is not None else WORKSPACE
    with progress() as bar:
        task = bar.add_task("reading", total=3)
        ws = None
        if sources:
            firms, acts, read = _read_sources(list(sources), formats, parse_columns(column or []))
            # what was known on the cutoff, as the workspace's firms() and events() select it
            firms = known_on(firms, cutoff).reset_index(drop=True)
            acts = known_on(acts, cutoff, kind="events").reset_index(drop=True)
            source_formats = formats or ["generic"]
            data = "; ".join(read)
        else:
            from clusterwatch.io.workspace import Workspace

            if not ws_path.exists():
                raise InputError("no such workspace; give source files or run `clusterwatch ingest` first",
                                 path=str(ws_path))
            # writable unless TF-IDF only: the workspace keeps the embeddings for the next run
            ws = Workspace(ws_path, read_only=method == "tfidf-svd-kmeans")
            firms = ws.firms(as_of=cutoff)
            acts = ws.events(as_of=cutoff)
            listed = ws.sources()
            source_formats = listed["format"].astype(str).tolist() if len(listed) else []
            data = f"workspace {ws_path}" + (f": {', '.join(listed['dataset'].astype(str))}" if len(listed) else "")
        try:
            texts = _texts(firms, acts)
            if texts.empty:
                raise InputError("no texts to group: the sources have no descriptions or event texts of "
                                 f"{MIN_CHARS} characters or more" + (f" known on {as_of}" if as_of else ""))
            chosen = stop_word_preset(source_formats) if preset == "auto" else preset
            use_sbir, use_no, use_dsbs = chosen == "sbir", chosen == "no", chosen == "dsbs"
            words = [*extra_words, *stop_words_of(chosen)]
            title_systems = _title_systems(systems, firms)
            method, language_note = _method_for_language(method, model, texts["text"])
            # dated texts only up to --as-of were kept above; passing it on would also drop the undated ones
            undated = int(pd.to_datetime(texts["date"]).isna().sum())
            fit_as_of = cutoff if undated == 0 else None
            bar.update(task, description=f"grouping {len(texts):,} texts", completed=1)
            embedding: list[TaskID] = []

            def on_embedded(done: int, total: int) -> None:
                if not embedding:
                    embedding.append(bar.add_task("embedding texts", total=total))
                bar.update(embedding[0], completed=done, total=total)

            result = discover_activities(
                texts, n_activities, min_firms, fit_as_of, run_seed.entropy, method=method,
                encode=auto_encoder(method, model or DEFAULT_MODEL, cache=ws if ws is not None else cache,
                                    device=device, max_tokens=max_tokens, progress=on_embedded),
                n_broad=n_broad, recent_years=recent_years, code_systems=title_systems,
                extra_stop_words=words)
        finally:
            if ws is not None:
                ws.close()
        bar.update(task, description=f"writing {out}", completed=2)
        note = language_note or _fallback_note(method, result)
        about = {"data": data, "stop words": f"{len(words)} extra" + (" (SBIR preset)" if use_sbir else "")
                                 + (" (Norwegian preset)" if use_no else "")
                                 + (" (DSBS preset)" if use_dsbs else "")}
        if cutoff is not None and fit_as_of is None:
            about["as of"] = (f"{cutoff.date()}: dated texts up to it, and {undated:,} undated texts (descriptions, "
                              "profiles) as known then")
        paths = write_activities(result, out, texts=texts, firms=firms, about=about, note=note)
    console.print(f"Read {escape(data)}")
    _print_summary(result, note)
    console.print(f"Wrote {', '.join(p.name for p in paths.values())} to {out}")
    console.print(f"Report: {paths['html']}")


def _title_systems(given: list[str], firms: pd.DataFrame) -> tuple[str, ...]:
    """The code systems whose titles the activities are compared with.

    Given ones in the default order (which breaks ties between identical titles); ``sn2007`` stands for ``nace2``
    (its codes are NACE Rev. 2 codes to four digits). By default the firms' own systems; none for firms coded only
    in SN2007, whose texts are Norwegian: English titles would not match them unless the model is multilingual.
    """
    from clusterwatch.analysis.text.semantic import SEMANTIC_SYSTEMS

    if "none" in given:
        return ()
    if not given:
        found = sorted({str(s) for s in firms["code_system"].dropna()}) if "code_system" in firms else []
        if found == ["sn2007"]:
            return ()
        return tuple(s for s in SEMANTIC_SYSTEMS if s in found) or SEMANTIC_SYSTEMS
    chosen = {"nace2" if s == "sn2007" else s for s in given}
    return tuple(s for s in SEMANTIC_SYSTEMS if s in chosen)


def _method_for_language(method: str, model: str | None, texts: pd.Series) -> tuple[str, str]:
    """The method to use given the texts' language, and a note saying why when it is not the one asked for.

    The rule is :func:`clusterwatch.language.choose_text_method` (the scan applies it too): with ``--method auto``
    and no ``--model``, texts that are not English are grouped with TF-IDF instead; with ``--method
    embedding-kmeans`` and the packaged model the run goes on as asked, with a warning.
    """
    from clusterwatch.language import choose_text_method

    choice = choose_text_method(method, texts.tolist(), model=model)
    if choice.switched:
        return choice.method, (f"{choice.note} Give --model with a multilingual sentence-transformers model to use "
                               "embeddings.")
    if choice.note and choice.check is not None:
        console.print(f"[yellow]warning:[/yellow] {escape(choice.check.describe())}: the packaged embedding model "
                      "reads English; give --model with a multilingual model, or --method tfidf-svd-kmeans")
    return choice.method, ""


def _fallback_note(requested: str, result: ActivityResult) -> str:
    """Why a run used the TF-IDF fallback (empty when it used embeddings)."""
    if result.method != "tfidf-svd-kmeans":
        return ""
    if requested == "tfidf-svd-kmeans":
        return "Asked for with --method tfidf-svd-kmeans."
    return ("Sentence embeddings are not available here (the `text` extra or its model is not installed: "
            "`pip install 'clusterwatch[text]'`).")


def _print_summary(result: ActivityResult, note: str) -> None:
    table = result.activities
    firms_in = int(result.assignments["firm_id"].nunique())
    console.print(f"{len(table)} activities in {len(result.broad)} broad groups from {result.n_texts_used:,} texts; "
                  f"{firms_in:,} firms placed; method [bold]{escape(result.method)}[/bold], model "
                  f"{escape(result.model)}; seed {result.seed}")
    if note:
        console.print(f"[yellow]TF-IDF fallback:[/yellow] {escape(note)}")
    view = Table(title=f"Largest activities (of {len(table)}; all in activities.csv)", box=box.SIMPLE_HEAD,
                 pad_edge=False, collapse_padding=True)
    widths = {"id": 3, "broad": 5, "label": 16, "firms": 5, "texts": 5, "first": 5, "trend": 5, "recent": 6,
              "flags": 5}
    for name, width in widths.items():
        view.add_column(name, justify="right" if name in ("firms", "texts", "first", "recent") else "left",
                        no_wrap=name != "label", overflow="ellipsis", min_width=width)
    arrows = {"increasing": "up", "decreasing": "down", "none": "–"}
    for row in table.head(SHOWN).to_dict("records"):
        flags = [name for name, key in (("new", "new"), ("uncl", "unclassified")) if _true(row.get(key))]
        first, recent = row.get("first_period"), row.get("recent_share")
        view.add_row(str(row["activity_id"]), escape(str(row["broad_id"])), escape(str(row["label"])),
                     f"{int(row['n_firms']):,}", f"{int(row['n_texts']):,}", "" if pd.isna(first) else str(first),
                     arrows.get(str(row.get("trend")), ""), "" if pd.isna(recent) else f"{recent:.0%}",
                     " ".join(flags))
    console.print(view)
    for title, mask in (("New", table["new"]), ("Increasing", table["trend"] == "increasing"),
                        ("Unclassified", table["unclassified"])):
        chosen = table[mask.fillna(False).astype(bool)]
        if len(chosen):
            listed = ", ".join(f"{r.activity_id} {r.label}" for r in chosen.head(8).itertuples(index=False))
            more = f" and {len(chosen) - 8} more" if len(chosen) > 8 else ""
            console.print(f"[bold]{title}[/bold] ({len(chosen)}): {escape(listed)}{more}")


def _true(value: object) -> bool:
    return False if value is None or value is pd.NA else bool(value)

