"""The language check that keeps Norwegian (or any non-English) texts off the English embedding model."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

import clusterwatch
from clusterwatch.cli import run
from clusterwatch.language import ENGLISH_SHARE_MIN, check_english

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
