# Dân tin: `make run` sets up and starts the demo; `make test` runs the whole suite (with the browser journeys
# of tests/e2e, which need Debian's chromium); `make test-fast` runs it without them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export FLASK_APP := wsgi
# The demo and the tests run as development: without FLASK_SECRET_KEY a key is generated into instance/ (core/keys.py).
# A deployment sets neither this nor `make run`: it sets a strong FLASK_SECRET_KEY (README, "Configuration").
export FLASK_ENV_NAME ?= development

.PHONY: setup run test test-fast lint mypy-baseline translations messages demo-db review-documents clean

setup: $(VENV)/.installed translations

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d translations > /dev/null

# Developers: refresh the English catalogue after changing user-visible strings, then translate the new ones.
# Idempotent (tests/test_translations.py runs the same two commands): no source locations and messages sorted, so
# moving code does not churn the catalogue; the POT's creation date is not copied into the catalogue's header.
BABEL_EXTRACT := extract -F babel.cfg -k _l -k lazy_gettext -k N_ --ignore-dirs=".venv tests bench" --no-location --sort-output
BABEL_UPDATE := update -l en --no-fuzzy-matching --ignore-pot-creation-date

messages: $(VENV)/.installed
	$(BIN)/pybabel $(BABEL_EXTRACT) -o translations/messages.pot .
	$(BIN)/pybabel $(BABEL_UPDATE) -i translations/messages.pot -d translations

# The demo runs on its election Sunday: polls open only on the term's election day (R-V4). Development only: production
# ignores FLASK_TODAY (core/vietnamese.py); the unit tests keep the real clock and set TODAY where they need a day.
demo-db run: export FLASK_TODAY ?= 2022-05-22

demo-db: setup
	$(BIN)/flask db upgrade
	$(BIN)/flask seed --if-empty
	$(BIN)/flask rehearsal --if-empty --quiet

run: demo-db
	@echo "Dân tin: http://127.0.0.1:5000  (Ctrl+C to stop)"
	$(BIN)/flask run --host 127.0.0.1 --port 5000

# Every PDF the app prints, from the demo, under review/ (the PDF, a PNG of its first and last page) with the document
# check's findings (demo/document_check.py): a person looks at them all at once.
review-documents: export FLASK_TODAY ?= 2022-05-22

review-documents: demo-db
	$(BIN)/flask review-documents --out review

# Two pytest-xdist workers (TEST_JOBS=0: one process); tests/conftest.py gives each a PostgreSQL database of its
# own. On CI's two cores: SQLite 7 min instead of 11, PostgreSQL 9 instead of 12.5 (whole files per worker, with
# --dist loadfile, took 8.3 min on SQLite).
TEST_JOBS ?= 2
PYTEST_JOBS := $(if $(filter 0,$(TEST_JOBS)),,-n $(TEST_JOBS) --dist load)

test: setup lint
	$(BIN)/pytest $(PYTEST_JOBS)

test-fast: setup lint
	$(BIN)/pytest $(PYTEST_JOBS) -m "not e2e"

# ruff (pyproject.toml); mypy runs inside the suite as a ratchet (tests/test_types.py).
lint: $(VENV)/.installed
	$(BIN)/ruff check .

# After fixing mypy findings: record the smaller baseline.
mypy-baseline: $(VENV)/.installed
	$(BIN)/python tests/test_types.py

clean:
	rm -rf $(VENV) instance
