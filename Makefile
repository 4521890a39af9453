# Huiwu — every target sets up what it needs itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := app

.PHONY: run test lint bench translations translations-update demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps record which extras are installed; pyproject.toml changes reinstall.
$(VENV)/.installed-base: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed-base

translations: $(VENV)/.installed-base
	$(BIN)/pybabel compile --statistics -d translations

run: $(VENV)/.installed-base translations
	$(BIN)/flask db upgrade
	$(BIN)/flask demo
	@echo "Huiwu is serving on http://$(HOST):$(PORT)/"
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-dev translations
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(VENV)/.installed-dev
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# Re-extract UI strings after changing templates or code, then translate the
# new entries in translations/zh_Hans_CN/LC_MESSAGES/messages.po.
translations-update: $(VENV)/.installed-base
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--omit-header -o translations/messages.pot app.py events registration templates
	$(BIN)/pybabel update --no-fuzzy-matching -i translations/messages.pot -d translations

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
