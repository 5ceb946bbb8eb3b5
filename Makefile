# The two commands: `make book` and `make test`. Each builds .venv from the pinned
# requirements.txt when it is missing or older than requirements.txt/pyproject.toml.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(BIN):$(PATH)
# pip's configuration here names local indexes that lack most packages: hide that noise
QUIET_PIP := grep -v "is ignored: it is neither a file nor a directory" || true
NB ?= book/*.ipynb

.PHONY: book test venv notebooks claims bench clean check-browser lowest

$(STAMP): requirements.txt pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r requirements.txt 2>&1 | { $(QUIET_PIP); }
	$(BIN)/python -m pip install -q --no-deps -e . 2>&1 | { $(QUIET_PIP); }
	touch $@

venv: $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . --all --warningiserror --keep-going
	@echo "book: open _build/html/index.html"

test: $(STAMP)
	$(BIN)/python -m pytest

# Re-execute notebooks in place, top to bottom in a fresh kernel, keeping the
# progress bars' final state: `make notebooks` or `make notebooks NB=book/01_*.ipynb`.
notebooks: $(STAMP)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.store_widget_state=True \
	  --ExecutePreprocessor.timeout=600 $(NB)

# Claims that hold for seed 0 only are coincidences: run every notebook (or NB=...)
# with DLNOTES_SEED=1 and 2, outputs not compared; fails on any error. Not in `test`.
claims: $(STAMP)
	$(BIN)/python -m benchmarks.notebooks --seed 1 --seed 2 $(wildcard $(NB))

bench: $(STAMP)
	$(BIN)/python -m benchmarks
	$(BIN)/python -m benchmarks.notebooks

# Every page of _build/html in headless Chromium with the network off: math typeset,
# images decoded, no JavaScript error, no code wider than its column; screenshots in
# _build/screenshots/. Needs Chromium (apt-get install chromium chromium-driver).
check-browser: book
	$(BIN)/python tools/check_browser.py _build/html

clean:
	rm -rf _build $(VENV)

# pyproject.toml's lower bounds, checked: .venv-lowest with the oldest Python that
# requires-python admits and every dependency at its lower bound, the unit tests and
# one notebook (LOWEST_NB=...) there, then the unit tests again with numpy 2.
# Needs PyPI and 6 GB; about 20 minutes. Not in `test` (tools/lowest_env.sh).
lowest:
	bash tools/lowest_env.sh
