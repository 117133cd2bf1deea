# The two commands: `make demo` and `make test`. Each builds .venv from scratch when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean docs

$(STAMP): pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==26.3
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/accord demo --dir $${DEMO_DIR:-.demo}

test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/verify.py
	$(BIN)/python bench/proof.py
	$(BIN)/python bench/route.py
	$(BIN)/python bench/cel.py
	$(BIN)/python bench/incident.py

clean:
	rm -rf $(VENV) .demo .pytest_cache .mypy_cache
