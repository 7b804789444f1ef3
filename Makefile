# claimnet: every target sets up .venv/ on first use and passes ARGS="key=value ..." through.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install train evaluate export tag bench test test-full clean

help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@# A CPU-only machine gets the CPU build of torch before anything can pull a CUDA one;
	@# a torch that is already installed (e.g. a GPU build of the user's choice) is kept.
	@if ! $(PY) -c "import torch" 2>/dev/null && ! command -v nvidia-smi >/dev/null; then \
		echo "Installing the CPU build of torch==2.13.0"; \
		$(PY) -m pip install --quiet "torch==2.13.0"; \
	fi
	$(PY) -m pip install --quiet -e ".[train,test]"
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install claimnet[train] with the test tools

train: $(STAMP) ## Train on the bundled corpus, export, evaluate (ARGS="trainer.epochs=3 ...")
	$(PY) scripts/train.py $(ARGS)

evaluate: $(STAMP) ## Evaluate an export (ARGS="model_path=... data_path=...")
	$(PY) scripts/evaluate.py $(ARGS)

export: $(STAMP) ## Export a run's best checkpoint (ARGS="run_dir=...")
	$(PY) scripts/export.py $(ARGS)

bench: $(STAMP) ## Benchmark against the standard HF recipe (ARGS="out=bench.json quick=true ...")
	$(PY) scripts/benchmark.py $(ARGS)

test: $(STAMP) ## Run the fast test suite
	$(PY) -m pytest -m "not slow" $(ARGS)

test-full: $(STAMP) ## Run every test, slow ones included
	$(PY) -m pytest $(ARGS)

clean: ## Remove the virtual environment and outputs
	rm -rf $(VENV) outputs
