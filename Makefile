# The two commands of the README: `make run` and `make test`. Everything they need is installed
# from the files in this repository; nothing is assumed to be on the machine but Python 3.11,
# Node.js with npm, and (for the browser tests) Debian's package manager.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck check install node browser bench-tools ipfs-start ipfs-stop demo clean bench-ingest bench-api bench-lineage

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --omit=optional --ignore-scripts --no-audit --no-fund
	touch $@

# Debian's chromium for the Playwright browser tests (Playwright cannot download browsers here).
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# Debian's wrk, the load generator of bench/api.py (a C client leaves the CPUs to the server).
bench-tools:
	@test -x /usr/bin/wrk || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }

ipfs-start: install
	DJANGO_DEBUG=1 $(PY) manage.py ipfs_node start

ipfs-stop:
	DJANGO_DEBUG=1 $(PY) manage.py ipfs_node stop

run: install ipfs-start
	mkdir -p var
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=1 $(PY) manage.py load_demo
	@echo ""
	@echo "  The data cooperative is running at http://$(HOST):$(PORT)/"
	@echo "  API docs: http://$(HOST):$(PORT)/api/docs/"
	@echo "  Demo logins (password coop-demo-2026): alice (contributor), dave (contributor),"
	@echo "  bob (buyer), carol (curator)."
	@echo ""
	@export DJANGO_DEBUG=1; \
	if [ -n "$$CELERY_BROKER_URL" ]; then \
	  echo "  A Celery worker (with beat) is consuming $$CELERY_BROKER_URL; log in var/celery.log"; \
	  $(VENV)/bin/celery -A config worker -B -l info --concurrency 2 \
	    --schedule var/celerybeat-schedule > var/celery.log 2>&1 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	fi; \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install browser
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	DJANGO_DEBUG=1 $(VENV)/bin/mypy .

check: lint typecheck
	$(VENV)/bin/lint-imports --no-cache
	DJANGO_DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

bench-ingest: install
	$(PY) bench/ingest.py

bench-api: install bench-tools
	$(PY) bench/api.py

bench-lineage: install
	$(PY) bench/lineage.py

clean:
	rm -rf var db.sqlite3 .ipfs
