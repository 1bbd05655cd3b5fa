# Two commands set everything up: `make run` and `make test`.
# Translation catalogues (.mo) are compiled when stale by `bidean serve` and by the test
# session (webapp.common.i18n.ensure_compiled), so there is no separate build step.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two stamps: serving needs only the runtime dependencies (`make run`); tests, lint and
# benchmarks add the `dev` extra (Playwright, axe, hypothesis...), installed by `make test`.
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench clean translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# `make run PORT=5101` serves on another port (HOST likewise, e.g. HOST=0.0.0.0).
PORT ?= 5000
HOST ?= 127.0.0.1
run: $(RUN_STAMP)
	$(BIN)/bidean serve --host $(HOST) --port $(PORT)

# Two workers (the machine kind has two cores): each has its own PostgreSQL database,
# SQLite template, live servers and browser, on free ports.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python bench/import_bench.py
	$(BIN)/python bench/cli_bench.py
	$(BIN)/python bench/import_start_bench.py
	$(BIN)/python bench/geometry_bench.py
	$(BIN)/python bench/page_bench.py
	$(BIN)/python bench/phone_bench.py
	$(BIN)/python bench/booking_bench.py
	$(BIN)/python bench/booking_search_bench.py
	$(BIN)/python bench/mail_bench.py
	$(BIN)/python bench/assemble_bench.py
	$(BIN)/python bench/catalogue_bench.py
	$(BIN)/python bench/memory_bench.py
	$(BIN)/python bench/dashboard_bench.py
	$(BIN)/python bench/impact_bench.py
	$(BIN)/python bench/console_lists_bench.py

# One interface catalogue: extract every string of webapp/ into messages.pot and update
# each language's messages.po.  `make translations NEW_LANGUAGE=pl` also starts a new language.
TRANSLATIONS := webapp/translations
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l --no-wrap \
		--project Bidean --copyright-holder "Bidean contributors" -o $(TRANSLATIONS)/messages.pot .
	$(if $(NEW_LANGUAGE),test -d $(TRANSLATIONS)/$(NEW_LANGUAGE) || $(BIN)/pybabel init -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -l $(NEW_LANGUAGE))
	$(BIN)/pybabel update --no-wrap --ignore-obsolete -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS)

clean:
	rm -rf $(VENV) instance .pytest_cache
