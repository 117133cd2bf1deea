# The two commands: `make demo` and `make test`. Each builds .venv from scratch when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean docs fuzz pg-restart

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
	$(BIN)/python bench/http.py

# schemathesis with 1,000 examples per operation and token, on both backends (make test runs 30)
fuzz: $(STAMP)
	ACCORD_FUZZ_EXAMPLES=$${ACCORD_FUZZ_EXAMPLES:-1000} $(BIN)/pytest -q tests/test_http_fuzz.py

# stops and starts this machine's PostgreSQL 15 cluster under load (always started again)
pg-restart: $(STAMP)
	ACCORD_PG_RESTART=1 $(BIN)/pytest -q tests/test_http_durability.py -k stopped

clean:
	rm -rf $(VENV) .demo .pytest_cache .mypy_cache
