# Wijkpanel: `make run` to try it, `make test` to check it.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app app
VENDOR := panel/static/vendor/component-library.css panel/static/vendor/design-tokens.css \
	panel/static/vendor/themes/voorbeeld.css
CATALOGS := $(wildcard translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: run test validate bench install assets translations messages lint system-packages clean

run: install assets translations
	$(FLASK) db-upgrade
	$(FLASK) seed-demo
	$(FLASK) run --port $(PORT)

test: install assets translations system-packages
	$(BIN)/ruff check panel tests migrations
	$(BIN)/bandit -q -r panel -lll
	$(BIN)/pytest
	$(BIN)/pytest --postgresql -m "not browser"

# Only the Nu Html Checker over every page of every role (part of `make test`; the pages the
# browser tests visit are checked when those tests run).
validate: install assets translations system-packages
	$(BIN)/pytest tests/test_html_valid.py -q

# Load, statement, memory and batch figures on SQLite and PostgreSQL (docs/performance.md);
# results in bench/results/. BENCH_DURATION=5 make bench for shorter load runs,
# BENCH_PAGES=report,meeting make bench for some pages only.
bench: install translations
	bench/ensure-packages
	$(BIN)/python -m bench.run $(if $(BENCH_PAGES),--pages $(BENCH_PAGES))

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: $(VENDOR)

$(VENDOR): node_modules/.installed scripts/copy-assets
	scripts/copy-assets

translations: $(COMPILED)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

# Extract the strings from code and templates and merge them into both catalogs.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --sort-by-file \
		--project=Wijkpanel --copyright-holder="Wijkpanel contributors" \
		--no-location -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching \
		--ignore-obsolete
	$(BIN)/python scripts/translate.py english
	$(BIN)/python scripts/translate.py missing

lint: install
	$(BIN)/ruff check panel tests migrations
	$(BIN)/bandit -q -r panel -lll

system-packages:
	scripts/ensure-system-packages

clean:
	rm -rf $(VENV) node_modules panel/static/vendor $(COMPILED)
