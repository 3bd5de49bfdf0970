# Health Helper: `make run` starts the app with demo accounts; `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PASSWORD ?= healthhelper-demo

.PHONY: run install install-dev migrate seed test lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --upgrade pip >/dev/null

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo --password "$(DEMO_PASSWORD)"
	$(BIN)/python manage.py load_knowledge
	$(BIN)/python manage.py build_speech_model

run: seed
	@echo ""
	@echo "Health Helper: http://$(HOST):$(PORT)/   (Ctrl-C to stop)"
	@echo ""
	@if [ -n "$$CELERY_BROKER_URL" ]; then \
		$(BIN)/celery -A healthhelper worker --loglevel=INFO --concurrency=2 -O fair & reports=$$!; \
		$(BIN)/celery -A healthhelper worker -Q voice_writes --pool=solo --loglevel=INFO & voice=$$!; \
		trap "kill $$reports $$voice" EXIT; \
		$(BIN)/daphne -b $(HOST) -p $(PORT) healthhelper.asgi:application; \
	else \
		$(BIN)/daphne -b $(HOST) -p $(PORT) healthhelper.asgi:application; \
	fi

test: install-dev
	$(BIN)/pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var media staticfiles .pytest_cache .mypy_cache .ruff_cache
