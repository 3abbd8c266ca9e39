# Developer commands. Anki's version is pinned only in pyproject.toml; `venv` reads it there.
#   make venv     .venv with the [anki,test,lint] extras (fast no-op when up to date)
#   make run      Anki with the add-on on 127.0.0.1:8765 (demo profile in ./demo-base;
#                 RUN_ARGS=--sync-server adds a local sync server, the profile logged in)
#   make test     all tests (PYTEST_ARGS='-m "not e2e"' for the quick ones)
#   make test-oldest  the tests again in the oldest supported Anki
#   make lint     ruff + mypy
#   make package  dist/ankiconnect.ankiaddon
#   make bench    benchmark (bench/run.py; BENCH_ARGS=--large for 30k/100k-note collections)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXTRAS := anki test lint
PYTEST_ARGS ?=
RUN_ARGS ?=
BENCH_ARGS ?=
LINT_PATHS := plugin tests scripts bench

# The stamp's name carries a hash of pyproject.toml, so any edit to the pins reinstalls
# and an unchanged file costs nothing (mtimes, e.g. after a git checkout, do not matter).
PYPROJECT_HASH := $(shell cksum pyproject.toml | cut -d' ' -f1)
STAMP := $(VENV)/.installed-$(PYPROJECT_HASH)

# Prints the project's dependencies plus the requested extras, one requirement a line.
define READ_REQUIREMENTS
import sys, tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
extras = project.get("optional-dependencies", {})
print("\n".join(project.get("dependencies", []) + [r for e in sys.argv[1:] for r in extras[e]]))
endef
export READ_REQUIREMENTS

.PHONY: help venv run test test-oldest lint format package bench clean

help:
	@sed -n '2,9p' Makefile | sed 's/^#   //'

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -c "$$READ_REQUIREMENTS" $(EXTRAS) > $(VENV)/requirements.txt
	$(BIN)/python -m pip install --disable-pip-version-check -q -r $(VENV)/requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

run: venv
	$(BIN)/python scripts/run_anki.py $(RUN_ARGS)

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

OLDEST_VENV := .venv-oldest
OLDEST_STAMP := $(OLDEST_VENV)/.installed-$(PYPROJECT_HASH)

$(OLDEST_STAMP): pyproject.toml
	@test -x $(OLDEST_VENV)/bin/python || $(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/python -c "$$READ_REQUIREMENTS" anki-oldest test > $(OLDEST_VENV)/requirements.txt
	$(OLDEST_VENV)/bin/python -m pip install --disable-pip-version-check -q -r $(OLDEST_VENV)/requirements.txt
	@rm -f $(OLDEST_VENV)/.installed-*
	@touch $@

# The docs examples and one browser test quote Anki 26.9.3's own error texts (older
# versions wrap search errors in HTML), so they run only against the pinned Anki.
test-oldest: $(OLDEST_STAMP)
	$(OLDEST_VENV)/bin/python -m pytest tests/unit tests/e2e \
		--deselect tests/e2e/test_docs_examples.py \
		--deselect tests/e2e/test_gui_browse_edit.py::test_browse_bad_search_answers_anki_search_error \
		$(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy

format: venv
	$(BIN)/ruff check --fix $(LINT_PATHS)
	$(BIN)/ruff format $(LINT_PATHS)

package: venv
	$(BIN)/python scripts/package.py

bench: venv
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf dist
