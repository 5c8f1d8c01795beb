# The two commands of the README: `make pdf` and `make test` do all the set-up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ISSUE ?= issues/2025-001

.PHONY: pdf test setup system bench lint sheet clean

pdf: setup
	$(BIN)/bulletin-pdf build $(ISSUE)

test: setup
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/bench_build.py $(ISSUE)

sheet: pdf
	$(BIN)/python scripts/contact_sheet.py build/$(notdir $(ISSUE)).pdf

lint: setup
	$(BIN)/ruff check src tests bench scripts

setup: system $(VENV)/.installed node_modules/.installed
	@# Compiled once here: with PYTHONDONTWRITEBYTECODE set (as on CI images), Python would
	@# otherwise compile the project's modules again in every run (0.05 s of a no-op build).
	@$(BIN)/python -m compileall -q src >/dev/null

system:
	@bash scripts/install-system-deps.sh

# Reinstall when the dependencies change.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "需要 Python 3.11 或更高版本")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# pdf.js (npm pdfjs-dist), which the tests run in node to read the text layer back.
node_modules/.installed: package.json package-lock.json
	npm ci --omit=optional --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf build .pytest_cache
