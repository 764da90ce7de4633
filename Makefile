# FactoryChain — every command a newcomer needs. Nothing is assumed installed but Python 3.11 or 3.12 and npm.
#
#   make demo    set up, then the whole story on a local Anvil chain
#   make test    set up, then the whole test suite
#
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.11 or 3.12 (the pinned toolchain installs and passes on both): `make setup PYTHON=python3.12`.
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
NODE_BIN := $(CURDIR)/node_modules/.bin

# Ape must find the pinned vyper and anvil first: the venv's bin, then node_modules/.bin.
export PATH := $(BIN):$(NODE_BIN):$(PATH)
export PYTHONDONTWRITEBYTECODE := 1
# pip's site config may list local mirrors that do not exist on every machine; keep its noise out.
PIP := $(BIN)/pip --disable-pip-version-check -q
PIP_FILTER := 2>&1 | { grep -v -e "^WARNING: Location" -e "neither a file nor a directory" || true; }

PY_STAMP   := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: help setup test test-fast test-deep demo deploy bench bench-vault bench-ledger mutate rehearsal console lock clean

help:
	@echo "make help       this list"
	@echo "make setup      Python venv from requirements.lock and Anvil from npm (the other targets run it)"
	@echo "make demo       set up, then run the full supply-chain story on a local chain"
	@echo "make test       set up, then run the whole test suite (HYPOTHESIS_PROFILE=ci)"
	@echo "make test-fast  quick run: HYPOTHESIS_PROFILE=dev, stop at the first failure (TESTS=..., ARGS=...)"
	@echo "make test-deep  the stateful machine to >= 10 000 steps, deep profile (DEEP_TESTS=tests: all)"
	@echo "make deploy     ape run deploy (pass ARGS=\"--network ... --account ...\")"
	@echo "make bench      gas table of every call against its floor -> docs/gas.md"
	@echo "make bench-vault data vault: ingest records/s, gas per anchored batch, proof size, verify time"
	@echo "make bench-ledger ledger: events indexed per second, time to sync 10 000 orders' events"
	@echo "make mutate     mutation score of the test suite against the Vyper sources"
	@echo "make rehearsal  deploy to a standalone Anvil node over JSON-RPC, as to a testnet"
	@echo "make console    ape console with the deployed contracts and SDK in scope"
	@echo "make lock       regenerate requirements.lock from requirements.in"
	@echo "make clean      remove the venv, node_modules, build output and hypothesis data"

setup: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): requirements.lock pyproject.toml
	@echo "==> Python environment ($(PYTHON)) in $(VENV)"
	@test -x $(BIN)/python || { $(PYTHON) -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 12))' 2>/dev/null \
	  || { echo "FactoryChain needs Python 3.11 or 3.12 (got: $(PYTHON)); pass PYTHON=python3.12 (see README)"; exit 1; }; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(PIP) install -r requirements.lock $(PIP_FILTER)
	@$(PIP) install --no-deps --no-build-isolation -e . $(PIP_FILTER)
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	@echo "==> Anvil from npm (package-lock.json)"
	@npm ci --no-fund --no-audit --loglevel=error >/dev/null
	@anvil --version | head -1
	@touch $@

# TESTS narrows the run (TESTS=tests/unit/escrow), ARGS passes pytest options (ARGS="-k refund -x").
TESTS ?= tests

test: setup
	@HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-ci} ape test $(TESTS) $(ARGS)

test-fast: setup
	@HYPOTHESIS_PROFILE=dev ape test $(TESTS) -x -q $(ARGS)

# The stateful machine until >= STATEFUL_MIN_STEPS steps (fresh seeds, runs of STATEFUL_MAX_EXAMPLES
# examples); DEEP_TESTS=tests fuzzes the whole suite with the deep profile (hours).
DEEP_TESTS ?= tests/stateful
test-deep: setup
	@HYPOTHESIS_PROFILE=deep STATEFUL_MIN_STEPS=$${STATEFUL_MIN_STEPS:-10000} \
	  STATEFUL_MAX_EXAMPLES=$${STATEFUL_MAX_EXAMPLES:-40} ape test $(DEEP_TESTS) $(ARGS)

demo: setup
	@ape run demo -v WARNING $(ARGS)

deploy: setup
	@ape run deploy $(ARGS)

bench: setup
	@ape run bench $(ARGS)

bench-vault: setup
	@$(BIN)/python -m tools.bench_vault $(ARGS)

bench-ledger: setup
	@$(BIN)/python -m tools.bench_ledger $(ARGS)

mutate: setup
	@$(BIN)/python -m tools.mutate $(ARGS)

rehearsal: setup
	@$(BIN)/python -m tools.rehearsal $(ARGS)

console: setup
	@$(BIN)/python -m factorychain.networks $(ARGS) && ape console $(ARGS)

lock:
	@rm -rf /tmp/fc-lock && $(PYTHON) -m venv /tmp/fc-lock
	@/tmp/fc-lock/bin/pip install -q -r requirements.in setuptools wheel $(PIP_FILTER)
	@{ echo "# Exact pins for every Python package FactoryChain uses (tools, tests, SDK)."; \
	   echo "# Regenerate with: make lock  (after changing requirements.in)"; \
	   /tmp/fc-lock/bin/pip freeze --all | grep -v -e "^-e" -e "^pip=="; } > requirements.lock

clean:
	rm -rf $(VENV) node_modules .build .hypothesis
