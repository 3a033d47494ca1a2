# Two commands for a new user: `make run` and `make test` (see README.md).
SHELL := /bin/bash
HOST ?= 127.0.0.1
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test check setup clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml package.json package-lock.json scripts/bootstrap.sh
	@scripts/bootstrap.sh $(VENV)
	@touch $@

run: setup
	@$(PY) -m govflow.cli serve --host $(HOST) --port $(PORT)

test: setup
	@scripts/browser-deps.sh
	@$(PY) -m pytest

check: setup
	@$(PY) -m govflow.cli check

clean:
	rm -rf $(VENV) var
