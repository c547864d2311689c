# Kyodo: `make run` serves the app with a demo cluster; `make test` runs the whole suite.
# Both do all of their own set-up: uv (bootstrapped with pip if missing), the virtualenv in
# .venv from uv.lock, and the front-end packages from package-lock.json.

PYTHON ?= python3.11
UV_VERSION := 0.13.8
UV := $(or $(shell command -v uv 2>/dev/null),.tools/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
HTMX := web/static/vendor/htmx.min.js
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never

.PHONY: run test bench lint migrate demo install clean

run: install migrate demo
	$(BIN)/marketplace serve --host 127.0.0.1 --port 8000

test: install lint
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/run.py

lint: install
	$(BIN)/ruff check marketplace events web migrations tests bench
	$(BIN)/mypy --strict marketplace events web

migrate: install
	$(BIN)/marketplace db upgrade

demo: install
	$(BIN)/marketplace demo seed

install: $(VENV)/.synced $(HTMX)

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(if $(shell command -v uv 2>/dev/null),,.tools/bin/uv)
	$(UV) sync --frozen
	touch $@

$(HTMX): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	mkdir -p $(dir $@)
	cp node_modules/htmx.org/dist/htmx.min.js $@

clean:
	rm -rf $(VENV) .tools node_modules web/static/vendor .pytest_cache .mypy_cache .ruff_cache
