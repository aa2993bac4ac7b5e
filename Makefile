# Thin wrappers over documented commands. Every target sets itself up on a fresh machine.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The shared benchmark mirror beside the checkout (wnut17, sst2, multi30k), used by tests.
export ZOO_DATA_MIRROR ?= $(abspath $(wildcard ../shared/datasets))
PYTEST_ARGS ?=

.PHONY: setup system-deps bench test test-slow test-integration ui report clean

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first, pinned: it installs the CPU build from the local package cache.
	$(PY) -m pip install -q torch==2.13.0
	# setuptools warns about editable installs in a 10-line block on every install: noise.
	PYTHONWARNINGS=ignore $(PY) -m pip install -q -e '.[dev,team]'
	@touch $(STAMP)

setup: $(STAMP)

system-deps:  ## Chromium and PostgreSQL for the browser and team-stack tests (Debian)
	@bash .ci/system-deps.sh

bench: setup  ## the main job: quick profile end to end, prints where the report is
	$(VENV)/bin/zoo bench --profile quick

# The default run includes the team-stack and fault tests (real PostgreSQL, Prefect server,
# MLflow server, Dask processes): 9 to 13 minutes on 2 cores in all (2026-12-03/04).
test: setup system-deps  ## the default test run (what CI runs): everything but slow tests
	$(PY) -m pytest -m "not slow" --durations=15 $(PYTEST_ARGS)

test-slow: setup system-deps
	$(PY) -m pytest -m "slow" $(PYTEST_ARGS)

test-integration: setup system-deps  ## only the real-server tests (also part of `make test`)
	$(PY) -m pytest -m "integration" $(PYTEST_ARGS)

report: setup
	$(VENV)/bin/zoo report

ui: setup
	$(VENV)/bin/zoo ui

clean:
	rm -rf .zoo
