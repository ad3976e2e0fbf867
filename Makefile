# Two commands: `make run` (set up, seed, start the app) and `make test` (set up, lint, run the whole suite).
# `make test-fast` is the inner loop: the unit tests without the browser and the slow ones (seconds, once the
# seeded test folders are cached under var/test-cache/).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint seed install bench clean-data

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

seed: install
	$(BIN)/uwc seed --if-missing

run: seed
	$(BIN)/uwc serve

# Lint, format, types and the import contract (also checked by tests/test_code_health.py); any finding fails.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test: lint
	$(BIN)/python -m pytest -q

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow and not browser"

bench: install
	$(BIN)/python -m tests.bench

clean-data:
	rm -rf var
