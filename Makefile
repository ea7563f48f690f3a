# The two set-up commands of the README. Both work on a fresh machine with Python 3.11+ and make.
PYTHON ?= python3
PORT   ?= 5000
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# Starts the embedded PostgreSQL under instance/ (unless DATABASE_URL is set), migrates,
# seeds the demo workspace on first start and serves on http://127.0.0.1:$(PORT); Ctrl+C
# stops the server and the embedded PostgreSQL it started.
run: $(STAMP)
	$(BIN)/python -m workhistory.devserver --port $(PORT)

# The whole suite, browser tests included, on a PostgreSQL the tests start themselves
# (TEST_DATABASE_URL points them at another server instead). Installs Chromium, PgBouncer
# and Redis first when they are missing and it can (root with apt-get).
test: $(STAMP)
	$(BIN)/python scripts/ensure_tools.py
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

# Every benchmark, then docs/PERFORMANCE.md (about 22 minutes). Installs wrk, Node.js and
# py-spy (the profiler) and granian (one server the HTTP experiment tries), neither a
# dependency of the app, first when they are missing.
bench: $(STAMP)
	$(BIN)/python scripts/ensure_tools.py --bench
	$(BIN)/pip install --quiet py-spy granian
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis
