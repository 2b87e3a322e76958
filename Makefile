# eFactory Casos — two commands: `make run` (set up and serve) and `make test` (whole suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
ifeq ($(strip $(PORT)),)
override PORT := 8000
endif
# One address for what is printed and what is served: `PORT=9000 make run` and
# `make run PORT=9000` both print and bind 9000.
HOST := 127.0.0.1
URL = http://$(HOST):$(PORT)/
WORKERS ?= 3

.PHONY: run test dev install demo lint format clean bench bench-smoke carga carga-smoke

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(VENV)/.installed ## Create .venv and install the project with its dev extra

.secret_key:
	@$(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@
	@chmod 600 $@

run: install .secret_key ## Migrate, load the demo data (once), serve with gunicorn on $(HOST):$(PORT)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py demo --url $(URL)
	@echo "Sirviendo en $(URL)  (Ctrl+C para detener)"
	$(VENV)/bin/gunicorn efactory.wsgi:application --bind $(HOST):$(PORT) \
		--workers $(WORKERS) --access-logfile - --forwarded-allow-ips 127.0.0.1

test: install ## Run the whole test suite (SQLite unless DATABASE_URL says otherwise)
	$(VENV)/bin/pytest

dev: install .secret_key ## Development server with DEBUG on and autoreload
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=1 $(PY) manage.py demo --url $(URL)
	DJANGO_DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

demo: install .secret_key
	$(PY) manage.py demo

bench: install ## Benchmark on PostgreSQL (BENCH_CASOS=1000000 by default); see bench/bench.py
	$(PY) bench/bench.py

bench-smoke: install ## The bench at 20,000 cases, few repetitions, no load test (CI smoke test)
	BENCH_CASOS=20000 BENCH_REPETICIONES=3 BENCH_CARGA=0 $(PY) bench/bench.py

$(VENV)/.carga: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e ".[dev,carga]"
	@touch $@

carga: $(VENV)/.carga ## Load test: nginx + 2 gunicorn instances, 50 people for 2 min, a restart; see bench/carga.py
	$(PY) bench/carga.py

carga-smoke: $(VENV)/.carga ## The load test for CI: 50 people for 30 s over 5,000 cases
	CARGA_PERSONAS=50 CARGA_SEGUNDOS=30 CARGA_CASOS=5000 $(PY) bench/carga.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf staticfiles .pytest_cache .ruff_cache test-db.sqlite3
