# Matchmaker: `make run` serves the app on an embedded SQLite database with demo data,
# `make test` runs lint, type checks and the test suite. Both set up .venv themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet

.PHONY: run test lint typecheck pytest bench eval i18n-extract i18n-compile clean

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/matchmaker init-db
	$(BIN)/matchmaker seed-demo --if-empty
	$(BIN)/matchmaker serve

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

eval: $(VENV)/.installed
	@$(BIN)/matchmaker eval --postings data/eval/postings.jsonl --judgments data/eval/judgments.jsonl

i18n-extract: $(VENV)/.installed-test
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o matchmaker/translations/messages.pot --no-location --sort-output --width 100 .
	$(BIN)/pybabel update -i matchmaker/translations/messages.pot -d matchmaker/translations --no-fuzzy-matching --ignore-obsolete --width 100

i18n-compile: $(VENV)/.installed
	$(BIN)/pybabel compile -d matchmaker/translations --statistics

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
