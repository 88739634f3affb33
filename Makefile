# greenspike: `make demo` runs the main job, `make test` runs the checks, `make bench` the benchmarks.
# Each creates .venv when no virtualenv is active, and installs torch 2.13.0 (the CPU wheel on
# our machines) only when no torch is importable: any other torch is a multi-GB CUDA download.

SHELL := /bin/bash
VENV ?= .venv
BIN := $(if $(VIRTUAL_ENV),$(VIRTUAL_ENV)/bin,$(CURDIR)/$(VENV)/bin)
PY := $(BIN)/python
PIP := $(PY) -m pip install --quiet
TORCH ?= torch==2.13.0
# Peer SNN libraries for the cross-check tests, pinned to the versions they were checked with.
# --no-deps: their own requirements pull a CUDA torch. norse needs nir and nirtorch to import.
# neurobench: the side-by-side check of the counts (its requirements would pull tonic and numba,
# which that check does not need).
PEERS := snntorch==1.0.0 spikingjelly==2.0.0 norse==1.1.0 nir==1.0.8 nirtorch==2.6 \
	neurobench==2.3.0
# Training frameworks for the integration tests (greenspike.integrations), pinned to the versions
# they were checked with, installed with their requirements under a constraint that keeps the
# torch already installed (theirs accept a newer, CUDA, one).
INTEGRATIONS := lightning==2.6.6 transformers==5.24.0 accelerate==1.16.0
KEEP_TORCH := $(PY) -c "import torch; print('torch==' + torch.__version__.split('+')[0])"

.PHONY: demo test bench install install-dev lint clean

$(BIN)/python:
	python3 -m venv $(VENV)

install: $(BIN)/python
	@$(PY) -c "import torch" 2>/dev/null || $(PIP) $(TORCH)
	$(PIP) -e .

install-dev: $(BIN)/python
	@$(PY) -c "import torch" 2>/dev/null || $(PIP) $(TORCH)
	$(PIP) -e '.[dev]'
	$(PIP) --no-deps $(PEERS)
	$(PIP) -c <($(KEEP_TORCH)) $(INTEGRATIONS)

demo: install
	$(BIN)/greenspike compare

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(PY) -m pytest

bench: install-dev
	@for script in benchmarks/*.py; do \
		[ -e "$$script" ] || { echo "no benchmarks yet"; break; }; \
		echo "== $$script"; $(PY) "$$script" || exit 1; \
	done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build dist
