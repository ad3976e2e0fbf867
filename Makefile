# Two commands: `make run` (set up, seed, start the app) and `make test` (set up, lint, run the whole suite).
# `make test-fast` is the inner loop: every test but the `browser`, `slow` and `integration` ones (seconds, once
# the seeded test folders are cached under var/test-cache/). Both run on WORKERS parallel pytest-xdist workers, one per
# core by default (measured on 2 cores: 2 workers beat 4; WORKERS=0 runs in one process).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Python may write its bytecode caches (git-ignored __pycache__/) even where the environment says not to (some
# images set PYTHONDONTWRITEBYTECODE): without them each test worker compiles the project and rewrites the test
# modules' asserts again on every start (collecting the tests took 4.7 s instead of 2.2 s here).
unexport PYTHONDONTWRITEBYTECODE

WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
CHROMIUM := /usr/bin/chromium

.PHONY: run test test-fast lint seed install browser bench clean-data

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

seed: install
	$(BIN)/uwc seed --if-missing

run: seed
	$(BIN)/uwc desk samples --if-empty
	$(BIN)/uwc serve

# Lint, format, types and the import contract (also checked by tests/test_code_health.py); any finding fails.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# The browser tests drive Debian's Chromium through Playwright (never `playwright install`): installed here when
# missing and apt-get is at hand as root; otherwise those tests are skipped, saying so.
browser:
	@test -x $(CHROMIUM) || { test "$$(id -u)" = 0 && command -v apt-get >/dev/null && \
		(apt-get update -q && apt-get install -y -q chromium) >/dev/null; } || \
		echo "note: $(CHROMIUM) is missing (apt-get install chromium); the browser tests will be skipped"

test: lint browser
	$(BIN)/python -m pytest -q -n $(WORKERS)

test-fast: install
	$(BIN)/python -m pytest -q -n $(WORKERS) -m "not slow and not browser and not integration"

bench: install
	$(BIN)/python -m bench

clean-data:
	rm -rf var
