# Fresh machine: `make gw` runs the main study, `make test` runs the tests; both create .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv gw smoke test test-fast lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first and pinned: the CPU build on local disk, never an unpinned multi-GB CUDA build
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

gw: $(STAMP)
	$(PY) -m anomaly_lab +experiment=gw_cnnae $(ARGS)

smoke: $(STAMP)
	$(PY) -m anomaly_lab +experiment=gw_cnnae debug=smoke $(ARGS)

test: $(STAMP)
	$(PY) -m pytest -q $(ARGS)

# unit tests only: everything but the tests marked slow (entry-point runs, worker processes)
test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow" $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) -m anomaly_lab.benchmarks.training $(ARGS)
	$(PY) -m anomaly_lab.benchmarks.jet_generator
	$(PY) -m anomaly_lab.benchmarks.lhco_reader
	$(PY) -m anomaly_lab.benchmarks.export
	$(PY) -m anomaly_lab.benchmarks.scan
	$(PY) -m anomaly_lab.benchmarks.model_size --output experiments/benchmarks.md

clean:
	rm -rf logs outputs multirun .cache .pytest_cache
