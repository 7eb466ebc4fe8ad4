# Dân tin: `make run` sets up and starts the demo; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: setup run test translations demo-db clean

setup: $(VENV)/.installed translations

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d translations > /dev/null

demo-db: setup
	$(BIN)/flask db upgrade
	$(BIN)/flask seed --if-empty

run: demo-db
	@echo "Dân tin: http://127.0.0.1:5000  (Ctrl+C to stop)"
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: setup
	$(BIN)/pytest

clean:
	rm -rf $(VENV) instance
