# make lab        set up, then open JupyterLab on notebooks/
# make test       set up, then lint (ruff, mypy) and run the tests and every notebook under nbval (strict)
# make test-engine  the torch-free tier alone, in its own small venv (numpy, pytest, hypothesis, radon)
# make notebooks  rebuild every notebook from its source (if any) and execute it in a fresh kernel
# make notebook NB=01_first_gradients   just one (NB=zh/01_first_gradients: its Chinese twin)
# make notebooks-zh   only the Chinese edition (notebooks/zh/ from notebooks/src/zh/)
# make figures | slides | bench
#
# "Set up" does everything on a fresh Debian/Ubuntu machine: graphviz's `dot` (and Chromium, optional)
# with apt-get when run as root, a virtual environment .venv with the pinned requirements.txt, and this
# package installed editable (pip install -e .). It is redone only when requirements.txt or
# pyproject.toml change (.venv/.stamp-installed), so a second `make test` starts at once.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.stamp-installed
NB_NAMES := $(sort $(basename $(notdir $(wildcard notebooks/*.ipynb notebooks/src/*.py))))
# The Chinese edition: notebooks/zh/NAME.ipynb from notebooks/src/zh/NAME.py, named zh/NAME here.
ZH_NB_NAMES := $(addprefix zh/,$(sort $(basename $(notdir $(wildcard notebooks/zh/*.ipynb notebooks/src/zh/*.py)))))
# NB=01_first_gradients, zh/01_first_gradients, or a path: notebooks/zh/01_first_gradients.ipynb,
# notebooks/src/zh/01_first_gradients.py (the name is the path under notebooks/, or notebooks/src/).
NB_NAME = $(patsubst src/%,%,$(patsubst notebooks/%,%,$(basename $(NB))))
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg

# Jupyter looks up kernels in .venv before ~/.local, so "python3" is always .venv/bin/python.
export JUPYTER_PREFER_ENV_PATH := 1

.PHONY: help setup system-deps lint test test-engine lab notebooks notebooks-zh notebook figures slides handout bench

help:
	@sed -n '1,7p' Makefile | sed 's/^# /  /'

setup: $(STAMP)

system-deps:
	@PYTHON=$(PYTHON) bash scripts/install_system_deps.sh

$(PY): | system-deps
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "error: Python 3.11 or newer needed, $(PYTHON) is $$($(PYTHON) --version 2>&1)." \
	         "Run make PYTHON=/path/to/python3.11 ..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }

$(STAMP): requirements.txt pyproject.toml | $(PY)
	$(PY) -m pip install -r requirements.txt
	$(PY) -m pip install -e .
	touch $@

lint: setup
	$(VENV)/bin/ruff check autograd_from_scratch tests benchmarks scripts slides
	$(VENV)/bin/mypy

test: system-deps setup lint
	$(PY) -m pytest $(NBVAL) tests notebooks

# The engine's own tests need no torch: first and second derivatives by finite differences over the
# op table, the package's structure. This proves it, in a venv without torch.
ENGINE_VENV := .venv-engine
test-engine:
	@test -x $(ENGINE_VENV)/bin/python || $(PYTHON) -m venv $(ENGINE_VENV)
	$(ENGINE_VENV)/bin/python -m pip install -q -e ".[engine-tests]"
	$(ENGINE_VENV)/bin/python -m pytest -q tests/engine

lab: system-deps setup
	$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks

# A notebook with a jupytext source notebooks/src/NAME.py (see notebooks/AUTHORING.md) is rebuilt
# from it first (with --update when the notebook exists, so its cells keep their ids and the diff
# shows only what changed); then each notebook is executed in place in a fresh kernel (.venv's python3),
# with its own folder as the kernel's working folder (so a zh notebook's `import _course` finds
# notebooks/zh/_course, which speaks Chinese: notebooks/_course/language.py).
notebooks: system-deps setup
ifeq ($(NB_NAMES)$(ZH_NB_NAMES),)
	@echo "No notebooks in notebooks/ yet."
else
	@set -e; $(foreach name,$(NB_NAMES) $(ZH_NB_NAMES),$(MAKE) --no-print-directory notebook NB=$(name);)
endif

notebooks-zh: system-deps setup
ifeq ($(ZH_NB_NAMES),)
	@echo "No Chinese notebooks in notebooks/src/zh/ yet."
else
	@set -e; $(foreach name,$(ZH_NB_NAMES),$(MAKE) --no-print-directory notebook NB=$(name);)
endif

notebook: system-deps setup
	@test -n "$(NB)" || { echo "usage: make notebook NB=01_first_gradients (or NB=zh/01_first_gradients)" >&2; exit 1; }
	@test -f notebooks/src/$(NB_NAME).py -o -f notebooks/$(NB_NAME).ipynb || \
	  { echo "error: neither notebooks/src/$(NB_NAME).py nor notebooks/$(NB_NAME).ipynb exists" >&2; exit 1; }
	@if [ -f notebooks/src/$(NB_NAME).py ]; then \
	  echo "jupytext: notebooks/src/$(NB_NAME).py -> notebooks/$(NB_NAME).ipynb"; \
	  $(VENV)/bin/jupytext --quiet $(if $(wildcard notebooks/$(NB_NAME).ipynb),--update) --to ipynb \
	    --output notebooks/$(NB_NAME).ipynb notebooks/src/$(NB_NAME).py; \
	fi
	$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.kernel_name=python3 --ExecutePreprocessor.record_timing=False \
	  notebooks/$(NB_NAME).ipynb

figures: system-deps setup
	$(PY) scripts/make_figures.py

slides: system-deps setup
	$(PY) scripts/build_slides.py

handout: system-deps setup
	$(PY) scripts/build_handouts.py

bench: system-deps setup
	$(PY) benchmarks/resnet18_step.py --json figures/benchmark.json --readme README.md
