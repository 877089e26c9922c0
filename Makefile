# One command per habit, the same locally and in CI (.ci/run calls these targets).
# Every target sets itself up: it makes .venv with `python3 -m venv` if missing and
# (re)installs the project with its dev extras whenever pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.spinelift-dev-installed
DEMO   := build/demo
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help setup runtimes demo test check static format format-check lint types imports bench clean distclean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

# Debian's python3 needs the python3-venv package for this; a failed attempt is
# removed so that the next run tries again instead of using a venv without pip
$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  echo "could not create $(VENV): on Debian/Ubuntu run: apt-get install python3-venv" >&2; \
	  exit 1; }

# the editable install leaves src/ without bytecode, and with PYTHONDONTWRITEBYTECODE
# set every run would compile SpineLift's modules again (~60 ms per start); compiled
# here as a regular `pip install` does (a stale .pyc is ignored: sources are checked)
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[dev]'
	$(BIN)/python -m compileall -q src/spinelift
	touch $@

setup: $(STAMP) ## make .venv and install SpineLift with its dev tools

demo: $(STAMP) ## draw the sample character as a PSD and convert it into build/demo/
	$(BIN)/python scripts/make_sample_psd.py $(DEMO)/hero.psd
	$(BIN)/spinelift convert $(DEMO)/hero.psd -o $(DEMO)/hero
	$(BIN)/python scripts/make_sample_art.py $(DEMO)/art
	$(BIN)/spinelift mesh $(DEMO)/art/layers -o $(DEMO)/mesh --preview $(DEMO)/preview
	@echo "demo: Spine project in $(DEMO)/hero (open hero.json in Spine; preview.png shows"
	@echo "      every mesh), single-image meshes in $(DEMO)/mesh with previews in $(DEMO)/preview"

runtimes: ## install the official Spine 4.2 runtimes and web player (npm ci) and, as root, Chromium
	bash tools/spine-check/setup.sh
	bash tools/ui-vendor/setup.sh

# pytest exits 5 when it collected no test: that is a failure here, never a pass
test: $(STAMP) runtimes ## run the test suite (pytest, in parallel)
	@$(BIN)/python -m pytest -n auto $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest ran no test; failing" >&2; fi; \
	exit $$rc

static: format-check lint types imports ## every check except the tests

check: static test ## format check, lint, types, import contracts, then the tests

format: $(STAMP) ## reformat and apply safe lint fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

format-check: $(STAMP)
	$(BIN)/ruff format --check .

lint: $(STAMP)
	$(BIN)/ruff check .

types: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

bench: $(STAMP) ## print mesh quality figures on the sample art
	$(BIN)/python bench/mesh_quality.py

.PHONY: load
load: $(STAMP) ## load the web app: 20 users for 60 s, embedded and at scale (needs PostgreSQL, Redis)
	$(BIN)/python -m bench.load --mode both --users 20 --duration 60

clean: ## remove build output and tool caches (keeps .venv)
	rm -rf build dist tests-output .pytest_cache .mypy_cache .ruff_cache .hypothesis .import_linter_cache
	rm -rf src/*.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean ## also remove .venv
	rm -rf $(VENV)
