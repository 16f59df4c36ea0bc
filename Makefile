# Candor: two commands on a fresh machine.
#   make demo   install, create a demo workspace with realistic data, serve the web UI
#   make test   lint, type check, import contracts and the whole test suite
#
# The Makefile bootstraps itself: it installs uv when missing (into .tools/), creates .venv from
# uv.lock, and installs Debian's chromium for the browser tests when it is missing.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
VENV := .venv
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
RUN := $(UV) run --frozen --no-sync
DEMO_HOME := $(CURDIR)/.demo
CHROMIUM := /usr/bin/chromium
PYTEST_ARGS ?=

.PHONY: help demo test lint typecheck contracts pytest install serve browsers pgclient clean bench docs screenshots

help:
	@echo "make demo   install, load the demo workspace and serve it on http://127.0.0.1:8000"
	@echo "make test   lint, type check and run the whole test suite"

$(UV):
	@echo "uv not found: installing it into .tools/"
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

# Bytecode is compiled ahead of time: with PYTHONDONTWRITEBYTECODE set (as on many CI and
# container machines) Python would otherwise recompile every module in every process, and
# `candor --version` took 7 s instead of 3 (server workers and tests start as slowly).
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-extras --compile-bytecode
	@touch $@

install: $(VENV)/.synced
	@$(RUN) python -m compileall -q -j 0 src >/dev/null

browsers:
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=""; if [ "$$(id -u)" != 0 ]; then SUDO="sudo"; fi; \
	  $$SUDO apt-get install -y --no-install-recommends chromium \
	    || { $$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends chromium; }; \
	fi

# pg_dump, pg_restore and psql: `candor backup` and `candor restore` on PostgreSQL and their tests
pgclient:
	@if ! command -v pg_dump >/dev/null; then \
	  echo "Installing Debian's postgresql-client for the backup and restore tests"; \
	  SUDO=""; if [ "$$(id -u)" != 0 ]; then SUDO="sudo"; fi; \
	  $$SUDO apt-get install -y --no-install-recommends postgresql-client \
	    || { $$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends postgresql-client; }; \
	fi

lint: install
	$(RUN) ruff check src tests bench
	$(RUN) ruff format --check src tests bench

typecheck: install
	$(RUN) mypy

contracts: install
	$(RUN) lint-imports

# two processes (pytest-xdist) on two cores: the suite takes about half the time
pytest: install browsers pgclient
	$(RUN) pytest -n auto $(PYTEST_ARGS)

test: lint typecheck contracts pytest

demo: install
	CANDOR_HOME=$(DEMO_HOME) $(RUN) candor demo

docs: install
	$(RUN) python -m candor.docsgen

# The guide's pictures (docs/guide/img/), taken by the browser tests: `shot(page, name, guide=…)`
screenshots: install browsers
	rm -f docs/guide/img/*.png
	CANDOR_GUIDE_SCREENSHOTS=$(CURDIR)/docs/guide/img $(RUN) pytest tests/browser -q -p no:cacheprovider

bench: install
	@echo "Benchmarks: see bench/README.md; each prints its figures and the peer's."

clean:
	rm -rf $(VENV) .tools .demo .pytest_cache .mypy_cache .ruff_cache test-artifacts
