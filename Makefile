# CivicGrid: `make demo` sets everything up and serves the demo district; `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PY_MINOR := $(shell cut -d. -f1,2 .python-version)
PYTHON ?= $(shell pyenv which python$(PY_MINOR) 2>/dev/null || command -v python$(PY_MINOR))
VENV := .venv
TOOLS := var/tools
UV := $(TOOLS)/bin/uv
BIN := $(VENV)/bin
CIVICGRID := $(BIN)/civicgrid
DISTRICT ?= 320106
SCALE ?= district
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# the server's processes share rate-limit counts through Redis when it runs here (gunicorn.conf.py)
REDIS_URL ?= $(shell redis-cli ping >/dev/null 2>&1 && echo redis://127.0.0.1:6379/0)

.PHONY: help venv node messages migrate static demo demo-data serve worker test test-browser lint bench bench-workorders clean

help:
	@echo "make demo     set up everything and serve the demo district at http://$(HOST):$(PORT)"
	@echo "make test     run the whole test suite (SQLite, or DATABASE_URL if set)"
	@echo "make lint     ruff, format check, mypy"
	@echo "make bench    benchmarks (figures go into bench/README.md)"
	@echo "make serve    serve what is already set up;  make worker   run the background task worker"

$(UV):
	@mkdir -p var
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==0.13.8

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --python $(PYTHON) --quiet
	@touch $@

venv: $(VENV)/.synced

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

node: node_modules/.installed

# Compiled catalogues are build output (not in git); msgfmt comes from Debian's gettext.
messages: venv
	cd src/civicgrid && ../../$(CIVICGRID) compilemessages --ignore=.venv -v 0

migrate: venv
	@mkdir -p var
	$(CIVICGRID) migrate --no-input -v 0

static: venv node
	$(CIVICGRID) collectstatic --no-input -v 0 -i '*.map' -i '*.ts' -i '*.mts' -i 'ext' -i '*.gz'

demo-data: migrate
	$(CIVICGRID) demo --district $(DISTRICT) --scale $(SCALE)

# The demo serves with the background worker beside it (deadline sweeps, auto dispatch); Ctrl-C stops both.
demo: venv node messages static demo-data
	@$(CIVICGRID) worker > var/worker.log 2>&1 & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	echo "background worker: pid $$worker, log var/worker.log"; \
	echo "CivicGrid: http://$(HOST):$(PORT)/"; \
	HOST=$(HOST) PORT=$(PORT) REDIS_URL=$(REDIS_URL) $(BIN)/gunicorn -c gunicorn.conf.py

serve: venv
	@echo "CivicGrid: http://$(HOST):$(PORT)/"
	HOST=$(HOST) PORT=$(PORT) REDIS_URL=$(REDIS_URL) $(BIN)/gunicorn -c gunicorn.conf.py

worker: venv
	$(CIVICGRID) worker

test: venv node messages
	$(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS)

test-browser: venv node messages
	$(BIN)/pytest -p no:cacheprovider -m browser $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: venv
	$(BIN)/python bench/grid_at.py

bench-workorders: venv  # a million work orders in PostgreSQL: see bench/README.md (setup ~25 min, loads ~6 min)
	bash bench/workorders.sh setup && bash bench/workorders.sh run

clean:
	rm -rf $(VENV) $(TOOLS) node_modules var/static var/test-*.sqlite3 test-artifacts
