# Two commands set everything up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@for d in webapp/translations webapp/translations_booking; do if [ -d $$d ]; then $(BIN)/pybabel -q compile -d $$d || exit 1; fi; done
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/bidean serve

test: $(STAMP)
	@for d in webapp/translations webapp/translations_booking; do if [ -d $$d ]; then $(BIN)/pybabel -q compile -d $$d || exit 1; fi; done
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python bench/import_bench.py

clean:
	rm -rf $(VENV) instance .pytest_cache
