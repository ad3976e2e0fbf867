# Two commands: `make run` (set up, seed, start the app) and `make test` (set up, run the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test seed install bench clean-data

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

seed: install
	$(BIN)/uwc seed --if-missing

run: seed
	$(BIN)/uwc serve

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python -m tests.bench

clean-data:
	rm -rf var
