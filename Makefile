# Tsunagu: two commands. `make up` runs the whole stack with demo data; `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: up test install infra provision seed unit integration e2e clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip "setuptools<82" wheel

install: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

infra:
	bash deploy/ensure_infrastructure.sh

up: install infra
	bash deploy/up.sh

test: install infra
	bash deploy/ensure_browser.sh
	$(BIN)/pytest -p no:cacheprovider -W ignore::DeprecationWarning tests/unit tests/integration tests/e2e

unit: install
	$(BIN)/pytest -p no:cacheprovider tests/unit

clean:
	rm -rf var
