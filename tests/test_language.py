"""The language check that keeps Norwegian (or any non-English) texts off the English embedding model."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

import clusterwatch
from clusterwatch.candidates import CandidateConfig
from clusterwatch.candidates.core import build_activities
from clusterwatch.cli import run
from clusterwatch.language import ENGLISH_SHARE_MIN, check_english, choose_text_method
from clusterwatch.stats import resolve_seed

BRREG = "norway_brreg/brreg_enheter_sample_with_text.csv.gz"


def test_real_english_and_norwegian_texts_fall_on_either_side(shared_data: Path) -> None:
    sbir = clusterwatch.read_firms(clusterwatch.demo_path(), format="sbir-awards").events["text"].dropna()
    brreg = clusterwatch.read_firms(shared_data / BRREG, format="norway-brreg").firms["description"].dropna()
    english, norwegian = check_english(sbir.tolist()), check_english(brreg.tolist())
    assert english.english and english.english_share > 2 * ENGLISH_SHARE_MIN
    assert not norwegian.english and norwegian.english_share < ENGLISH_SHARE_MIN / 10
    assert norwegian.texts == 2000 and norwegian.words > 10_000


def test_too_few_words_count_as_english() -> None:
    assert check_english(["Bakeri"]).english and check_english([]).words == 0
    assert check_english([None, 3.0, "Rørleggerarbeid"]).texts == 1  # type: ignore[list-item]


@pytest.fixture
def brreg_slice(tmp_path: Path, shared_data: Path) -> Path:
    """The first 400 firms of the Norwegian register (with their Norwegian activity texts)."""
    with gzip.open(shared_data / BRREG, "rt", encoding="utf-8") as fh:
        lines = [next(fh) for _ in range(401)]
    path = tmp_path / "brreg_400.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.writelines(lines)
    return path


def test_activities_on_norwegian_texts_take_tfidf_and_say_why(brreg_slice: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["activities", str(brreg_slice), "-f", "norway-brreg", "-o", str(tmp_path / "out"), "--seed", "3",
                "--min-firms", "5"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "method tfidf-svd-kmeans" in out
    assert "do not read as English" in out and "--model" in out
    assert (tmp_path / "out" / "activities.csv").exists()


def test_the_rule_switches_auto_keeps_explicit_embeddings_and_skips_tfidf_or_a_model(shared_data: Path) -> None:
    brreg = clusterwatch.read_firms(shared_data / BRREG, format="norway-brreg").firms["description"].dropna()
    norwegian = brreg.head(300).tolist()
    auto = choose_text_method("auto", norwegian)
    assert (auto.method, auto.switched) == ("tfidf-svd-kmeans", True) and not auto.check.english  # type: ignore[union-attr]
    assert "do not read as English" in auto.note and "TF-IDF groups them instead" in auto.note
    kept = choose_text_method("embedding-kmeans", norwegian)
    assert (kept.method, kept.switched) == ("embedding-kmeans", False) and "was asked for" in kept.note
    for unchecked in (choose_text_method("tfidf-svd-kmeans", norwegian),
                      choose_text_method("auto", norwegian, model="paraphrase-multilingual-MiniLM-L12-v2")):
        assert unchecked.check is None and unchecked.note == "" and not unchecked.switched


def test_scan_groups_norwegian_texts_with_tfidf_and_says_why(brreg_slice: Path) -> None:
    firms = clusterwatch.read_firms(brreg_slice, format="norway-brreg").firms
    config = CandidateConfig(min_firms=5, text_method="auto", stop_words="no")
    acts, method, notes = build_activities(firms, None, config, resolve_seed(3), as_of=pd.Timestamp("2024-01-01"))
    assert method == "tfidf-svd-kmeans"
    assert any(a.source == "text" for a in acts)
    said = [n for n in notes if "do not read as English" in n]
    assert len(said) == 1 and "TF-IDF groups them instead" in said[0] and "--text-method" in said[0]


def test_scan_keeps_the_asked_method_on_english_abstracts(monkeypatch: pytest.MonkeyPatch) -> None:
    # embeddings switched off (auto then means TF-IDF without the text extra): the rule's effect shows in the notes
    monkeypatch.setattr("clusterwatch.io.embed_cache.embedding_available", lambda model="": False)
    read = clusterwatch.read_firms(clusterwatch.demo_path(), format="sbir-awards")
    assert choose_text_method("auto", read.events["text"]).method == "auto"
    config = CandidateConfig(min_firms=8, text_method="auto", stop_words="sbir")
    acts, method, notes = build_activities(read.firms, read.events, config, resolve_seed(3),
                                           as_of=pd.Timestamp("2003-01-01"))
    assert method == "tfidf-svd-kmeans"
    assert sum(a.source == "text" for a in acts) >= 5
    assert not any("English" in n for n in notes)


def test_scan_command_prints_the_note_and_the_report_says_it(brreg_slice: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = run(["scan", str(brreg_slice), "-f", "norway-brreg", "--text-method", "auto", "--workspace",
                str(tmp_path / "ws.duckdb"), "--out", str(out), "--permutations", "19", "--seed", "1",
                "--min-firms", "5"])
    printed = " ".join(capsys.readouterr().out.split())
    assert code == 0, printed
    assert "(text: tfidf-svd-kmeans)" in printed
    assert "Note: text activities: The texts do not read as English" in printed
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Note: text activities: The texts do not read as English" in page
    assert "A cheap language check comes first" in page and "text method auto asked for" in page
