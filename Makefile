# claimnet: every target sets up .venv/ on first use and passes ARGS="key=value ..." through.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CONSTRAINTS := constraints.txt
ARGS ?=
# Where a CPU-only machine gets torch: PyTorch's CPU wheel index (as PyTorch's install page shows). Empty = pip's
# own configuration (what .ci/run sets: this project's CI machines have a local copy and no route to that index).
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
# torch's own CUDA stack is left out of the constraints: the install step (or the user) picks torch.
TORCH_STACK := ^(torch|triton|nvidia-|cuda-)

.DEFAULT_GOAL := help
.PHONY: help install train distill evaluate export tag bench package lint docs dist test test-full test-lowest lock clean

help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@# A CPU-only machine gets the CPU build of torch before anything can pull a CUDA one;
	@# a torch that is already installed (e.g. a GPU build of the user's choice) is kept.
	@if ! $(PY) -c "import torch" 2>/dev/null && ! command -v nvidia-smi >/dev/null; then \
		echo "Installing the CPU build of torch==2.13.0"; \
		$(PY) -m pip install --quiet "torch==2.13.0" $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)); \
	fi
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e ".[train,serve,scale,test,docs]"
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install claimnet[train] with the test tools, at the tested versions

train: $(STAMP) ## Train on the bundled corpus, export, evaluate (ARGS="trainer.num_train_epochs=3 ...")
	$(PY) scripts/train.py $(ARGS)

distill: $(STAMP) models/all-mpnet-base-v2/model.safetensors ## Train the mpnet teacher, write its soft labels into data/ (ARGS="teacher.unlabelled=[FILE]")
	$(PY) scripts/distill.py $(ARGS)

models/all-mpnet-base-v2/model.safetensors: | $(STAMP)
	$(PY) scripts/setup_mpnet.py

evaluate: $(STAMP) ## Evaluate an export (ARGS="model_path=... data_path=...")
	$(PY) scripts/evaluate.py $(ARGS)

export: $(STAMP) ## Export a run's best checkpoint (ARGS="run_dir=...")
	$(PY) scripts/export.py $(ARGS)

tag: $(STAMP) ## Tag raw text with an export (ARGS="--model DIR article.txt", default model outputs/latest/export)
	$(VENV)/bin/claimnet tag $(ARGS)

B ?=
bench: $(STAMP) ## How fast an export tags here (ARGS="model_path=..."), or a lab benchmark: make bench B=recipe ARGS="..."
	@if [ -n "$(B)" ]; then $(PY) -m benchmarks $(B) $(ARGS); else $(PY) scripts/bench.py $(ARGS); fi

package: $(STAMP) ## The latest run's export as a pip-installable model package in dist/ (ARGS="--name news-minilm")
	$(VENV)/bin/claimnet package outputs/latest $(ARGS)

lint: $(STAMP) ## ruff, and the import contracts of pyproject.toml (lint-imports)
	$(VENV)/bin/ruff check src tests scripts benchmarks
	$(VENV)/bin/lint-imports

docs: $(STAMP) ## Build the documentation site into site/ (mkdocs --strict; the configuration reference from the schema)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

dist: $(STAMP) ## Build the wheel and the sdist into dist/ and check them (twine check)
	$(PY) -m pip install --quiet build twine wheel
	rm -rf dist && $(PY) -m build --no-isolation --outdir dist .
	$(VENV)/bin/twine check --strict dist/*

test: $(STAMP) ## Run the fast test suite (what CI runs)
	$(PY) -m pytest -m "not slow" $(ARGS)

test-full: $(STAMP) ## Run every test, slow ones included
	$(PY) -m pytest $(ARGS)

test-lowest: ## Run the fast suite in .venv-lowest/ on the lowest versions pyproject.toml allows (torch kept)
	@test -x .venv-lowest/bin/python || $(PYTHON) -m venv .venv-lowest
	.venv-lowest/bin/python -m pip install --quiet "torch==2.13.0" "uv>=0.4"
	.venv-lowest/bin/uv pip install --quiet --python .venv-lowest/bin/python --resolution lowest-direct -e ".[train,serve,scale,test]"
	.venv-lowest/bin/python -m pytest -m "not slow" -p no:cacheprovider $(ARGS)

lock: $(STAMP) ## Refresh constraints.txt: the tested versions for Python 3.10-3.13, torch left out
	$(PY) -m pip install --quiet "uv>=0.4"
	set -o pipefail; $(VENV)/bin/uv pip compile pyproject.toml --extra train --extra serve --extra scale --extra test --universal --python-version 3.10 \
		--no-emit-package torch 2>/dev/null \
		| awk '/^[^ #]/ { skip = ($$0 ~ /$(TORCH_STACK)/) } !skip' > $(CONSTRAINTS).tmp
	mv $(CONSTRAINTS).tmp $(CONSTRAINTS)

clean: ## Remove the virtual environments and outputs
	rm -rf $(VENV) .venv-lowest outputs site dist
