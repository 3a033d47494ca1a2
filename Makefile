# Two commands for a new user: `make run` and `make test` (see README.md).
# `make test-fast`: the same without the browser tests (no Chromium needed).
# Both run the database tests on SQLite and on a throw-away PostgreSQL (scripts/postgres-deps.sh),
# and the virus scanning tests with a real ClamAV daemon (scripts/clamav-deps.sh).
SHELL := /bin/bash
HOST ?= 127.0.0.1
PORT ?= 8000
# Another Python / virtual environment: `make PYTHON=python3.13 VENV=.venv313 test-fast`
# (make passes command-line variables to scripts/bootstrap.sh through the environment).
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run dev test test-fast lint check setup clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml package.json package-lock.json scripts/bootstrap.sh scripts/patches/*.patch \
                   renderers/html/editor/*.js
	@scripts/bootstrap.sh $(VENV)
	@touch $@

run: setup
	@$(PY) -m govflow.cli serve --host $(HOST) --port $(PORT)

# one process, reloads when code changes (Werkzeug's development server)
dev: setup
	@$(PY) -m govflow.cli serve --dev --host $(HOST) --port $(PORT)

test: lint
	@scripts/postgres-deps.sh
	@scripts/clamav-deps.sh
	@scripts/browser-deps.sh
	@$(PY) -m pytest

test-fast: lint
	@scripts/postgres-deps.sh
	@scripts/clamav-deps.sh
	@$(PY) -m pytest --ignore=tests/browser

# ruff and mypy (configured in pyproject.toml) before any test runs; a finding stops make
lint: setup
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/mypy

check: setup
	@$(PY) -m govflow.cli check

clean:
	rm -rf $(VENV) var
