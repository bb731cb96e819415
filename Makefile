# Two entry points: `make run` (app on its embedded sandbox) and `make test` (whole suite).
# `make cluster`: the whole deployment on this machine (docs/deploy.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench cluster clean locales

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) main.py

# Two pytest workers: the tests that start processes (app servers, Chromium, the cluster, the load test) run one
# at a time on one of them (tests/conftest.py groups them), everything else shares out over both.
test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest -n 2 --dist loadgroup

# ruff check for mistakes and mypy for the type hints (files and settings in pyproject.toml). No `ruff format
# --check`: the code keeps a hand style (aligned continuation lines, several arguments per line) that the
# formatter has no setting for; it would rewrite 98 files without finding a single fault.
lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy

# After changing or adding interface text: merge the code's strings into locales/*/LC_MESSAGES/messages.po, then
# translate what it reports (make test fails while any string lacks a Chinese or Japanese translation). The .po
# files are compiled in memory at start-up (services/core/i18n.py), so there is no .mo to build or keep current.
locales: $(STAMP)
	$(PY) -m services.core.i18n_catalogs

bench: $(STAMP)
	$(PY) -m bench

# PostgreSQL, Redis, the standalone sandbox, two instances and nginx at http://127.0.0.1:8090 (Debian's
# postgresql, redis-server and nginx; everything on loopback, kept in data/cluster). Ctrl-C stops it all.
cluster: $(STAMP)
	$(PY) -m deploy up

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
