# pillarwatch: `make demo` and `make test` work on a fresh machine; everything they need is here.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
ARGS   ?=

.PHONY: help demo test test-fast check dashboards alerts-check bench system-deps clean \
	incident-plot soak markers-eval markers-cv markers-bench bench-ingest bench-staffing

help:
	@echo "make demo    - embedded broker + worker + simulator, /metrics live (ARGS='--duration 60')"
	@echo "make test    - install everything and run the whole test suite"
	@echo "make check   - ruff and mypy"
	@echo "make bench   - benchmark: bare client, bare Faust, pipeline, latency, memory, 2 workers (ARGS='--events 50000')"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[broker,dev]'
	touch $(STAMP)

# Prometheus, Alertmanager, promtool and amtool come from Debian's packages (tests use the real ones).
system-deps:
	@if ! command -v promtool >/dev/null || ! command -v amtool >/dev/null \
	    || ! command -v prometheus >/dev/null || ! command -v prometheus-alertmanager >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends prometheus prometheus-alertmanager >/dev/null; \
	  else \
	    echo "need Debian packages prometheus prometheus-alertmanager (run as root or sudo)"; exit 1; \
	  fi; \
	fi

demo: $(STAMP)
	$(VENV)/bin/pillarwatch demo $(ARGS)

test: $(STAMP) system-deps
	$(PY) -m pytest -q $(ARGS)

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not integration" $(ARGS)

# The dashboards JSON, and the alert rules the pillars declare (models/pillars/*.py ALERTS).
dashboards: $(STAMP)
	$(VENV)/bin/pillarwatch dashboards build --out dashboards/json
	$(PY) -m pillarwatch.dashboards.collect > alerts/rules/agents.rules.yml

bench: $(STAMP)
	$(PY) -m benchmarks.pipeline $(ARGS)

# Re-runs the incident end-to-end test and redraws the README's picture from its Prometheus data.
incident-plot: $(STAMP) system-deps
	PILLARWATCH_INCIDENT_PLOT=docs/images/incident.png $(PY) -m pytest -q tests/integration/test_incident_e2e.py

# The long soak: a simulated week as fast as possible; table sizes and RSS per simulated day.
soak: $(STAMP)
	PYTHONPATH=. $(PY) -m tests.soak --days 7 $(ARGS)

markers-eval: $(STAMP)
	$(PY) -m pillarwatch markers eval --option all

# Choose the detector here: 5-fold cross-validation on dev, the classifier retrained per fold.
markers-cv: $(STAMP)
	$(PY) -m pillarwatch markers cv --option all
	$(PY) -m pillarwatch markers cv --option all --source retired-test

markers-bench: $(STAMP)
	$(PY) -m pillarwatch markers eval --bench --option all

bench-ingest: $(STAMP)
	$(PY) -m benchmarks.ingest $(ARGS)

bench-staffing: $(STAMP)
	$(PY) -m benchmarks.staffing $(ARGS)

alerts-check: system-deps
	promtool check rules alerts/rules/*.yml && cd alerts/tests && promtool test rules *.test.yml

check: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

# RocksDB worker memory and restart recovery: 100k open contacts (docs/deploy.md, "RocksDB").
.PHONY: bench-recovery
bench-recovery: $(STAMP)
	$(PY) -m benchmarks.recovery $(ARGS)
