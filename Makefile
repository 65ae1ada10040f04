# The whole set-up for a newcomer: `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        := .venv
PY          := $(VENV)/bin/python
UV          := python3 -m uv
APT_PACKAGES := tesseract-ocr tesseract-ocr-chi-sim fonts-noto-cjk fonts-dejavu-core chromium chromium-driver
LANDING     ?= data/landing
DEMO_ORDERS ?= 5000
PYTEST_ARGS ?=
# pytest-xdist workers; each takes whole groups of tests (a module, or every user of one shared pipeline run,
# see tests/conftest.py), so no pipeline run happens twice. 0 = in-process, no workers (debugging).
PYTEST_WORKERS ?= auto

export OMP_THREAD_LIMIT := 1
export DAGSTER_HOME := $(CURDIR)/.dagster
export DAGSTER_TELEMETRY_DISABLED := 1
export DO_NOT_TRACK := 1

.PHONY: help install system-deps venv dbt-parse run demo test lint format clean

help:
	@echo "make run    install, generate the demo landing zone if missing, build, start both UIs"
	@echo "make test   install, then run the whole test suite"
	@echo "make lint   ruff check + format check"

install: system-deps venv

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

venv: $(VENV)/.synced

$(VENV)/.synced: pyproject.toml uv.lock
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv
	$(UV) sync --frozen --extra dev --python python3.11
	@touch $@

dbt-parse: venv
	@$(VENV)/bin/dbt parse --project-dir dbt_project --profiles-dir dbt_project --quiet

demo: install dbt-parse
	$(VENV)/bin/orderlens demo --landing $(LANDING) --orders $(DEMO_ORDERS)

run: demo
	$(PY) -m pipelines.serve

test: install dbt-parse
	@rc=0; $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadscope $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests for this selection"; exit 0; fi; exit $$rc

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf data/warehouse.duckdb data/published dbt_project/target .pytest_cache
