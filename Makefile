# The README's contract: `make demo` runs the main job, `make test` runs the tests.
# Both set up what they need (virtualenv, node_modules, dbt profile) and skip what is done.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
export PYTHONPATH := $(CURDIR)
# dbt must not phone home (anonymous usage stats, version check): only loopback traffic here.
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DBT_VERSION_CHECK := false

KINESIS_PORT ?= 4567
KINESIS_URL := http://127.0.0.1:$(KINESIS_PORT)
DATA_DIR := data
DEMO_RATE ?= 300
DEMO_SECONDS ?= 60
DEMO_INTERVAL ?= 2

.PHONY: help setup browser postgres demo test unit bench lint fix lock clean kinesis-start kinesis-stop

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found: install Python 3.11+"; exit 2; }
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "error: Python 3.11+ is required ($(PYTHON) is older)"; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	@# Compiled once here (about 15 s): where PYTHONDONTWRITEBYTECODE is set, as on this project's
	@# machines, every process (each test worker, dbt, the producer) compiled what it imported.
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python --require-hashes requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --editable .
	touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm not found: install Node.js 18+"; exit 2; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# A profile older than the example is replaced (the old one kept as profiles.yml.bak): every
# setting in it comes from the environment, and an outdated one names plugins that moved.
profiles.yml: profiles.example.yml
	@if [ -f profiles.yml ]; then cp profiles.yml profiles.yml.bak; \
		echo "note: profiles.yml replaced by the newer profiles.example.yml (old one: profiles.yml.bak)"; fi
	cp profiles.example.yml profiles.yml

setup: $(VENV)/.installed node_modules/.installed profiles.yml ## virtualenv, node_modules, dbt profile
	@# dbt's log and target folders hold customer data (what dbt show printed): private to the user.
	install -d -m 0700 logs target
	chmod 0700 logs target

kinesis-start: setup ## start the local Kinesis on 127.0.0.1:$(KINESIS_PORT)
	$(BIN)/python -m producer local-kinesis start --port $(KINESIS_PORT)

kinesis-stop: ## stop the local Kinesis
	$(BIN)/python -m producer local-kinesis stop

demo: setup ## the main job end to end: stream, refresh, score, alert; summary and report
	$(BIN)/python -m fraud_detection demo --rate $(DEMO_RATE) --duration $(DEMO_SECONDS) \
		--interval $(DEMO_INTERVAL) --port $(KINESIS_PORT) --data-dir $(DATA_DIR) --out reports

lint: setup ## ruff (lint and format check), sqlfluff (SQL style, Redshift dialect, offline, every core)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint --processes 0 models analyses tests/dbt

fix: setup ## apply ruff's and sqlfluff's fixes (then review the diff)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/sqlfluff fix --processes 0 models analyses tests/dbt

browser: ## Debian's Chromium, for the docs lineage test (installed as root, else it skips)
	@command -v chromium >/dev/null && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends chromium; \
	else \
		echo "note: no Chromium; as root: apt-get install -y --no-install-recommends chromium" \
			"(tests/test_docs_lineage.py skips without it)"; \
	fi

postgres: ## PostgreSQL 15 and PL/Python, for the Redshift rehearsal (as root, else it skips)
	@if [ -x /usr/lib/postgresql/15/bin/postgres ] && [ -f /usr/lib/postgresql/15/lib/plpython3.so ]; then \
		exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		mkdir -p /etc/postgresql-common/createcluster.d; \
		echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/no-main.conf; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends postgresql-15 postgresql-plpython3-15 openssl; \
	else \
		echo "note: no PostgreSQL 15 with PL/Python; as root: apt-get install -y" \
			"postgresql-15 postgresql-plpython3-15 (tests/redshift/test_rehearsal.py skips without it)"; \
	fi

test: setup lint browser postgres ## lint, then the whole test suite on every core (the 10 slowest listed)
	$(BIN)/pytest

unit: setup ## the inner loop: every test but the end-to-end ones and the rehearsal
	$(BIN)/pytest -m "not e2e and not rehearsal"

bench: setup ## benchmarks; figures go to bench/results/*.json
	$(BIN)/python -m bench

lock: ## recompile requirements.lock from requirements.in
	$(BIN)/uv pip compile --quiet --python-version 3.11 --generate-hashes requirements.in -o requirements.lock

clean: ## remove local state (DuckDB file, Kinesis data, generated data); keeps the venv
	rm -rf .local $(DATA_DIR) reports target logs
