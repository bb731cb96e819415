# Two entry points: `make run` (app on its embedded sandbox) and `make test` (whole suite).
# `make cluster`: the whole deployment on this machine (docs/deploy.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench cluster clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) main.py

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest

# ruff check for mistakes and mypy for the type hints (files and settings in pyproject.toml). No `ruff format
# --check`: the code keeps a hand style (aligned continuation lines, several arguments per line) that the
# formatter has no setting for; it would rewrite 98 files without finding a single fault.
lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy

bench: $(STAMP)
	$(PY) -m bench

# PostgreSQL, Redis, the standalone sandbox, two instances and nginx at http://127.0.0.1:8090 (Debian's
# postgresql, redis-server and nginx; everything on loopback, kept in data/cluster). Ctrl-C stops it all.
cluster: $(STAMP)
	$(PY) -m deploy up

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
