# `make demo` and `make test` work on a fresh machine with Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install bench chaos clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/raqib run --once --config config.example.toml

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/bench_matching.py
	$(BIN)/python bench/bench_dedup.py
	$(BIN)/python bench/bench_summary.py
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_ingest.py --workers 2
	$(BIN)/python bench/bench_events.py
	$(BIN)/python bench/bench_fanout.py --chats 10000
	$(BIN)/python bench/bench_eventdates.py
	$(BIN)/python bench/bench_search.py --articles 200000
	$(BIN)/python bench/bench_feeds.py --feeds 2000
	$(BIN)/python bench/bench_discord.py
	$(BIN)/python bench/bench_startup.py

chaos: $(STAMP)
	$(BIN)/python bench/chaos.py

clean:
	rm -rf $(VENV) var *.egg-info
