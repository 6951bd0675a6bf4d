# Matchmaker: `make run` serves the app on an embedded SQLite database with demo data,
# `make test` runs lint, type checks and the test suite. Both set up .venv themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet

.PHONY: run test lint typecheck pytest bench bench-scale eval i18n-extract i18n-compile constraints clean

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -c constraints.txt -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install -c constraints.txt -e '.[test]'
	touch $@

# Re-resolve every dependency to its newest allowed release in a scratch venv and pin the result.
constraints:
	rm -rf .venv-constraints
	$(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/python -m pip --disable-pip-version-check --quiet install -e '.[test]'
	{ sed -n '1,2p' constraints.txt; .venv-constraints/bin/python -m pip freeze --exclude-editable | grep -v '^-e'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf .venv-constraints

run: $(VENV)/.installed
	$(BIN)/matchmaker init-db
	$(BIN)/matchmaker seed-demo --if-empty
	$(BIN)/matchmaker run

test: $(VENV)/.installed-test lint typecheck pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check matchmaker tests benchmarks wsgi.py
	$(BIN)/ruff format --check matchmaker tests benchmarks wsgi.py

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

pytest: $(VENV)/.installed-test
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-test
	@$(BIN)/python -m benchmarks.engine

# The matcher at scale: fit, index memory, save and save-to-matches p95 (posting counts).
BENCH_SIZES ?= 1000,100000
bench-scale: $(VENV)/.installed-test
	@$(BIN)/python -m benchmarks.scale --sizes $(BENCH_SIZES)

eval: $(VENV)/.installed
	@$(BIN)/matchmaker eval --postings data/eval/postings.jsonl --judgments data/eval/judgments.jsonl

i18n-extract: $(VENV)/.installed-test
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o matchmaker/translations/messages.pot --no-location --sort-output --width 100 .
	$(BIN)/pybabel update -i matchmaker/translations/messages.pot -d matchmaker/translations --no-fuzzy-matching --ignore-obsolete --width 100

i18n-compile: $(VENV)/.installed
	$(BIN)/pybabel compile -d matchmaker/translations --statistics

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
