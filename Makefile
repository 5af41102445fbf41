# clusterwatch: set-up, demo, tests, benchmarks. Everything installs into .venv from the project's own files.
PYTHON ?= python3
# the CPU build of PyTorch for the text extra (pip takes it from the machine's wheel folder; override as needed)
TORCH ?= torch==2.13.0
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' '$(TORCH)'
	touch $@

demo: install
	$(BIN)/clusterwatch demo --out demo-out

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

bench: install
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]' '$(TORCH)'
	$(BIN)/python bench/bench_ingest_ppp.py
	$(BIN)/python bench/bench_ingest_companies_house.py
	$(BIN)/python bench/bench_regions.py
	$(BIN)/python bench/bench_network.py
	$(BIN)/python bench/bench_ehsa.py
	$(BIN)/python bench/bench_stscan.py
	$(BIN)/python bench/bench_kd.py
	$(BIN)/python bench/bench_scan.py
	$(BIN)/python bench/bench_hotspots.py
	$(BIN)/python bench/bench_text.py
	$(BIN)/python bench/bench_activities.py
	$(BIN)/python bench/bench_activities_norway.py
	$(BIN)/python bench/bench_activities_dsbs.py
	$(BIN)/python bench/bench_embedding_tokens.py
	$(BIN)/python bench/bench_template_sentences.py
	$(BIN)/python bench/calibrate_semantic.py
	$(BIN)/python bench/bench_candidates.py
	$(BIN)/python bench/bench_scan_job.py
	$(BIN)/python bench/bench_scan_text.py
	$(BIN)/python bench/bench_serve_load.py

clean:
	rm -rf demo-out .pytest_cache .mypy_cache .ruff_cache
