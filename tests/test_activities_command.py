"""`clusterwatch activities` end to end: the bundled demo (TF-IDF), a real sample with sentence embeddings in a
workspace, option and input errors, and the page (parses, offline, escaped, names its method)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clusterwatch
from clusterwatch.cli import run

ACTIVITY_COLUMNS = [
    "activity_id", "label", "keywords", "n_firms", "n_texts", "first_period", "representative", "broad_id",
    "broad_label", "trend", "trend_tau", "trend_p", "recent_share", "onset_period", "new", "code_coverage",
    "code_entropy", "code_capture", "dominant_code", "top_codes", "n_coded", "unclassified_by_codes", "best_code",
    "best_system", "best_title", "title_similarity", "top_titles", "unclassified_by_titles", "unclassified", "method",
]
COLUMNS = {
    "broad_activities.csv": ["broad_id", "label", "keywords", "n_firms", "n_texts", "first_period", "n_activities",
                             "activity_ids", "method"],
    "firm_activities.csv": ["firm_id", "name", "activity_id", "label", "broad_id", "score", "method"],
    "text_activities.csv": ["row", "firm_id", "date", "activity_id", "score", "text", "method"],
    "activity_periods.csv": ["activity_id", "period", "n_texts", "share", "method"],
}
SHARE_TOLERANCE = 1e-9
EMBEDDED = r"<dd>([\d,]+) texts embedded, ([\d,]+) from the cache"


class _Page(HTMLParser):
    """Collects ids, script sources and unclosed elements of a page (a well-formedness check for our markup)."""

    VOID = {"meta", "input", "br", "img", "link", "hr", "col", "wbr"}
    SVG_VOID = {"line", "polyline", "circle", "rect", "path", "polygon"}

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.stack: list[str] = []
        self.mismatched: list[str] = []
        self.script_src: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag == "script" and values.get("src"):
            self.script_src.append(str(values["src"]))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.mismatched.append(tag)
            return
        self.stack.pop()


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    assert parser.mismatched == [] and parser.stack == [], (parser.mismatched, parser.stack[-5:])
    return parser


def _check_outputs(out: Path, method: str) -> dict[str, pd.DataFrame]:
    """Every file with its documented columns, naming the method; counts that must add up do."""
    frames = {"activities.csv": pd.read_csv(out / "activities.csv", dtype={"dominant_code": str, "best_code": str})}
    assert set(frames["activities.csv"].columns) == set(ACTIVITY_COLUMNS)
    for name, columns in COLUMNS.items():
        frame = pd.read_csv(out / name, dtype={"firm_id": str})
        assert set(columns) <= set(frame.columns), name
        frames[name] = frame
    for name, frame in frames.items():
        assert set(frame["method"]) == {method}, name
    acts, firms = frames["activities.csv"], frames["firm_activities.csv"]
    texts, periods = frames["text_activities.csv"], frames["activity_periods.csv"]
    broad = frames["broad_activities.csv"]
    assert acts["activity_id"].is_unique and firms["firm_id"].is_unique  # a firm sits in one activity at most
    assert firms.groupby("activity_id").size().reindex(acts["activity_id"]).tolist() == acts["n_firms"].tolist()
    placed = texts[texts["activity_id"] != "-1"]
    assert placed.groupby("activity_id").size().reindex(acts["activity_id"], fill_value=0).tolist() == \
        acts["n_texts"].tolist()
    assert set(texts["activity_id"]) <= set(acts["activity_id"]) | {"-1"}
    dated = placed.dropna(subset=["date"])
    assert periods.groupby("activity_id")["n_texts"].sum().reindex(acts["activity_id"], fill_value=0).tolist() == \
        dated.groupby("activity_id").size().reindex(acts["activity_id"], fill_value=0).tolist()
    assert (periods.groupby("period")["share"].sum() <= 1 + SHARE_TOLERANCE).all()
    assert broad["n_activities"].sum() == len(acts) and set(acts["broad_id"]) == set(broad["broad_id"])
    assert ((firms["score"] >= -1) & (firms["score"] <= 1 + SHARE_TOLERANCE)).all()
    page = (out / "activities.html").read_text(encoding="utf-8")
    parsed = _parse(page)
    assert set(acts["activity_id"]) <= parsed.ids and set(broad["broad_id"]) <= parsed.ids  # a card per activity
    assert parsed.script_src == [] and "https://" not in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # offline: nothing fetched
    assert f"<dd>{method}</dd>" in page and "Methods and columns" in page
    return frames


@pytest.fixture(scope="module")
def demo_tfidf(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("demo") / "out"
    import contextlib
    import io

    console = io.StringIO()
    with contextlib.redirect_stdout(console):
        code = run(["activities", str(clusterwatch.demo_path()), "--format", "sbir-awards", "--method",
                    "tfidf-svd-kmeans", "--seed", "3", "--out", str(out)])
    assert code == 0
    return out, console.getvalue()


def test_demo_tfidf_writes_every_file(demo_tfidf: tuple[Path, str]) -> None:
    out, console = demo_tfidf
    frames = _check_outputs(out, "tfidf-svd-kmeans")
    acts = frames["activities.csv"]
    assert 5 <= len(acts) <= 30 and acts["n_firms"].min() >= 5
    assert acts["n_firms"].is_monotonic_decreasing
    names = frames["firm_activities.csv"]["name"]
    assert names.notna().mean() > 0.9  # SBIR firms carry their names
    dates = pd.to_datetime(frames["text_activities.csv"]["date"])
    assert dates.dt.year.between(1983, 2002).all()
    # the TF-IDF fallback is named on the console and at the top of the page
    assert "tfidf-svd-kmeans" in console and "TF-IDF fallback" in console
    page = (out / "activities.html").read_text(encoding="utf-8")
    assert 'id="fallback"' in page and "SBIR preset" in page
    assert page.count('<svg class="spark"') == 2 * len(acts)  # a sparkline in the table and one in each card


def test_as_of_is_deterministic_and_leaves_later_texts_out(tmp_path: Path, demo_tfidf: tuple[Path, str]) -> None:
    args = ["activities", str(clusterwatch.demo_path()), "-f", "sbir-awards", "--method", "tfidf-svd-kmeans",
            "--as-of", "1992-12-31", "--seed", "3", "--n-activities", "8", "--n-broad", "3", "--recent-years", "3"]
    assert run([*args, "--out", str(tmp_path / "a")]) == 0
    assert run([*args, "--out", str(tmp_path / "b")]) == 0
    frames = _check_outputs(tmp_path / "a", "tfidf-svd-kmeans")
    for name in ("activities.csv", "firm_activities.csv", "text_activities.csv", "activity_periods.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert pd.to_datetime(frames["text_activities.csv"]["date"]).max() <= pd.Timestamp("1992-12-31")
    assert len(frames["broad_activities.csv"]) == 3 and len(frames["activities.csv"]) <= 8
    assert frames["activity_periods.csv"]["period"].max() == 1992
    page = (tmp_path / "a" / "activities.html").read_text(encoding="utf-8")
    assert "1992-12-31" in page and "from 1990" in page  # the recent window: the last three years


def test_page_escapes_the_texts(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    themes = {"drone": "drone flight autonomy aerial inspection survey", "yeast": "yeast protein enzyme assay gene"}
    rows = []
    for theme, words in themes.items():
        for i in range(12):
            picked = " ".join(rng.choice(words.split(), size=6))
            rows.append({"firm_id": f"{theme}{i}", "name": f"<b>{theme} {i}</b>", "lat": 59.9, "lon": 10.7,
                         "description": f"{picked} <script>alert('{theme}')</script> & more"})
    source = tmp_path / "firms.csv"
    pd.DataFrame(rows).to_csv(source, index=False)
    out = tmp_path / "out"
    assert run(["activities", str(source), "--method", "tfidf-svd-kmeans", "--n-activities", "2", "--min-firms",
                "3", "--seed", "1", "--stop-words", "script,alert", "--out", str(out)]) == 0
    page = (out / "activities.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    _parse(page)
    firms = pd.read_csv(out / "firm_activities.csv")
    assert firms["name"].str.startswith("<b>").all()  # the CSV keeps the text as it is


def test_texts_without_a_firm_table(tmp_path: Path, shared_data: Path) -> None:
    source = shared_data / "sbir" / "awards.csv.gz"
    if not source.exists():
        pytest.skip(f"{source} not present")
    sample = tmp_path / "abstracts.csv"
    pd.read_csv(source, nrows=1000, dtype=str).to_csv(sample, index=False)  # SBIR abstracts: awards, no firm rows
    out = tmp_path / "out"
    assert run(["activities", str(sample), "-f", "sbir-abstracts", "--method", "tfidf-svd-kmeans", "--seed", "4",
                "--out", str(out)]) == 0
    frames = _check_outputs(out, "tfidf-svd-kmeans")
    firms = frames["firm_activities.csv"]
    assert len(firms) > 200 and firms["name"].isna().all()  # firms known by id only: no name to give
    assert set(firms["firm_id"]) <= set(frames["text_activities.csv"]["firm_id"])


@pytest.mark.parametrize(("options", "message"), [
    (["--method", "bertopic"], "--method must be one of auto, embedding-kmeans, tfidf-svd-kmeans; got 'bertopic'"),
    (["--n-activities", "1"], "--n-activities"),
    (["--n-activities", "4", "--n-broad", "4"], "--n-broad"),
    (["--min-firms", "0"], "--min-firms"),
    (["--recent-years", "0"], "--recent-years"),
    (["--code-systems", "naics,isic4"], "isic4"),
    (["--preset", "legal"], "--preset"),
    (["--as-of", "last spring"], "--as-of"),
    (["--format", "sbir-awards", "--format", "dsbs"], "once per file"),
    (["--workspace", "elsewhere.duckdb"], "not both"),
    (["--device", "tpu"], "--device"),
    (["--code-systems", "none,naics"], "none cannot"),
])
def test_bad_options_are_usage_errors(options: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["activities", str(clusterwatch.demo_path()), *options]) == 2
    err = capsys.readouterr().err
    assert "usage error" in err and message in err


def test_workspace_options_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for options, message in ((["--format", "dsbs"], "--format applies"), (["--cache", "c.duckdb"], "--cache")):
        assert run(["activities", "--workspace", str(tmp_path / "ws.duckdb"), *options]) == 2
        assert message in capsys.readouterr().err


def test_missing_input_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["activities", str(tmp_path / "absent.csv"), "--out", str(tmp_path / "out")]) == 1
    assert "absent.csv" in capsys.readouterr().err
    assert run(["activities", "--workspace", str(tmp_path / "absent.duckdb"), "--out", str(tmp_path / "o")]) == 1
    assert "no such workspace" in capsys.readouterr().err
    assert not (tmp_path / "out").exists() and not (tmp_path / "absent.duckdb").exists()


def test_embeddings_in_a_workspace_on_real_abstracts(tmp_path: Path) -> None:
    from clusterwatch.io.embed_cache import EmbeddingCache, embedding_available

    if not embedding_available():
        pytest.skip("the text extra (sentence-transformers and the packaged model) is not installed")
    awards = pd.read_csv(clusterwatch.demo_path(), dtype=str)
    sample = tmp_path / "awards.csv"
    awards.sample(200, random_state=0).to_csv(sample, index=False)  # 200 awards, 1983-2002: seconds to embed
    ws = tmp_path / "ws.duckdb"
    assert run(["ingest", str(sample), "--format", "sbir-awards", "--workspace", str(ws)]) == 0
    args = ["activities", "--workspace", str(ws), "--method", "embedding-kmeans", "--n-activities", "6",
            "--min-firms", "3", "--seed", "2", "--device", "cpu", "--code-systems", "naics"]
    assert run([*args, "--out", str(tmp_path / "first")]) == 0
    frames = _check_outputs(tmp_path / "first", "embedding-kmeans")
    n_texts = len(frames["text_activities.csv"])
    assert n_texts > 150
    page = (tmp_path / "first" / "activities.html").read_text(encoding="utf-8")
    assert 'id="fallback"' not in page and "<dd>all-MiniLM-L6-v2@96</dd>" in page
    embedded, cached = (int(n.replace(",", "")) for n in re.search(EMBEDDED, page).groups())  # type: ignore[union-attr]
    assert 0.9 * n_texts <= embedded <= n_texts and cached == 0  # (a few texts are repeated)
    titles = frames["activities.csv"]["best_system"].dropna()
    assert len(titles) and set(titles) == {"naics"}
    cache = EmbeddingCache(ws, read_only=True)
    try:
        stored = cache.models().set_index("model")["n_texts"]
    finally:
        cache.close()
    assert stored.index.tolist() == ["all-MiniLM-L6-v2@96"] and stored.sum() > embedded  # the texts and the titles
    # a second run takes every vector from the workspace's cache and finds the same activities
    assert run([*args, "--out", str(tmp_path / "second")]) == 0
    page = (tmp_path / "second" / "activities.html").read_text(encoding="utf-8")
    assert re.search(EMBEDDED, page).groups() == ("0", f"{embedded:,}")  # type: ignore[union-attr]
    for name in ("activities.csv", "firm_activities.csv", "text_activities.csv"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes(), name


def test_page_table_cells_line_up_with_its_header(demo_tfidf: tuple[Path, str]) -> None:
    import re

    out, _ = demo_tfidf
    page = (out / "activities.html").read_text(encoding="utf-8")
    table = page[page.index('<table id="acts">'):]
    table = table[: table.index("</table>")]
    head, body = table.split("</thead>", 1)
    n_columns = len(re.findall(r"<th[ >]", head))
    rows = [row for row in re.split(r"<tr[ >]", body) if "<td" in row]
    assert n_columns >= 10 and len(rows) >= 5
    assert {row.count("<td") for row in rows} == {n_columns}
    acts = pd.read_csv(out / "activities.csv")
    first = rows[0]
    # the onset year sits under its own header, the sparkline under "share per year"
    cells = re.findall(r"<td[^>]*>(.*?)</td>", first, flags=re.S)
    headers = re.findall(r"<th[ >][^>]*>?(.*?)</th>", head, flags=re.S)
    by_header = dict(zip([re.sub(r"<[^>]+>", "", h).strip() for h in headers], cells, strict=True))
    assert by_header["onset"].strip() == str(int(acts.loc[0, "onset_period"]))
    assert "<svg" in by_header["share per year"]
