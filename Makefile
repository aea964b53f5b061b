# Two commands do all the set-up on a fresh machine:
#   make run     set up .venv and run the study (default: the smoke config, a few minutes on 2 CPU cores)
#   make test    set up .venv (and the system packages the integration tests need, where apt-get and root allow)
#                and run the test suite
# Options: make run CONFIG="config/cpu.yaml config/offline.yaml" CORES=2

PYTHON ?= python3
VENV ?= .venv
CONFIG ?= config/smoke.yaml
CORES ?= $(shell nproc 2>/dev/null || echo 2)
PYTEST_ARGS ?=

BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint report clean-results

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "weightdist needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test,slurm]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --configfile $(CONFIG)

test: $(STAMP)
	tests/system-deps.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/snakemake --lint --configfile $(CONFIG)
	$(BIN)/ruff check

report: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --configfile $(CONFIG) --report results/snakemake-report.html

clean-results:
	find results -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
	rm -rf logs .snakemake
