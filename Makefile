# B12 Care. `make run` sets everything up and starts web + worker + beat; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT
# make run is quiet unless VERBOSE=1: no migration list, no Celery banners or INFO lines, and
# no access-log line for static files or /healthz (one line per page request is left).
ifeq ($(VERBOSE),1)
RUN_ENV := RUN_LOG_LEVEL=info LOG_LEVEL=$${LOG_LEVEL:-INFO} ACCESS_LOG_SKIP= CELERY_QUIET=
MIGRATE_VERBOSITY := 1
else
RUN_ENV := RUN_LOG_LEVEL=warning LOG_LEVEL=$${LOG_LEVEL:-WARNING} REQUEST_LOG_LEVEL=ERROR \
	ACCESS_LOG_SKIP=$${ACCESS_LOG_SKIP-/static/,/healthz,/favicon.ico} CELERY_QUIET=--quiet
MIGRATE_VERBOSITY := 0
endif

.PHONY: run test lint fmt bench faults mutation deps migrate seed clean help demo-code screenshots

help:
	@echo "make run    set up (venv, npm, migrations, demo data) and start web + worker + beat on :$(PORT)"
	@echo "           (VERBOSE=1 make run: every request, task and start-up banner)"
	@echo "make test   run the whole test suite (DATABASE_URL / REDIS_URL select PostgreSQL / Redis)"
	@echo "make lint   ruff and import-linter (the floors in docs/architecture.md)"
	@echo "make mutation  mutmut over the safety code, each module with its own tests (docs/testing.md)"
	@echo "make bench  pages, scale, mixed load, sweep and memory on PostgreSQL bench databases (docs/benchmarks.md)"
	@echo "make faults  fault scenarios with own PostgreSQL/Redis/gunicorn/workers (docs/reliability.md)"
	@echo "make demo-code  the current sign-in code of the demo admin and clinicians"
	@echo "make screenshots  main pages as patient, clinician and admin, phone and desktop, in var/screenshots/"

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "B12 Care needs Python 3.11 or newer (set PYTHON=python3.11)"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Front-end libraries come from npm and are served by us (never from a CDN). Swagger UI is the
# API docs page (/api/docs/); a stylesheet's source map is copied because collectstatic follows
# its sourceMappingURL.
static/vendor/.installed: node_modules/.installed
	rm -rf static/vendor && mkdir -p static/vendor/bootstrap/css static/vendor/bootstrap/js static/vendor/swagger-ui
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map static/vendor/bootstrap/css/
	cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map static/vendor/bootstrap/js/
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css node_modules/swagger-ui-dist/swagger-ui.css.map node_modules/swagger-ui-dist/LICENSE static/vendor/swagger-ui/
	touch $@

deps: $(VENV)/.installed static/vendor/.installed

migrate: deps
	mkdir -p var
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --no-input --verbosity $(MIGRATE_VERBOSITY)

seed: migrate
	DEBUG=$${DEBUG:-true} $(PY) manage.py seed_demo

# make run seeds without listing the logins: the Procfile's `ready` process prints the address
# and the logins last, once /healthz says web, broker and worker are up. SITE_URL (links in
# emails, the printed address) is worked out once from PORT unless set, and pinned for every
# process: honcho gives each process type its own PORT (web $(PORT), worker +100, ...).
run: migrate
	DEBUG=$${DEBUG:-true} $(PY) manage.py seed_demo --no-logins
	@export DEBUG=$${DEBUG:-true} && \
	export SITE_URL="$$($(PY) -c 'from b12care.settings import SITE_URL; print(SITE_URL)')" && \
	echo "Starting web, worker and beat for $$SITE_URL: the demo logins follow once they are up." && \
	$(RUN_ENV) exec $(VENV)/bin/honcho -f Procfile start -p $(PORT)

demo-code:
	@DEBUG=$${DEBUG:-true} $(PY) manage.py demo_mfa_code

# A throwaway SQLite demo database, Django's live server and chromium (docs: README, Two commands).
screenshots: deps
	$(PY) .ci/screenshots.py $(OUT)

test: deps
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Mutation testing of rules, units/bands, scheduling and access (tens of minutes; not in .ci/run).
# No `deps` prerequisite: it only needs the installed dev tools.
mutation:
	$(PY) .ci/mutation.py $(MODULES)

lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

fmt: deps
	$(VENV)/bin/ruff format .

# Benchmarks need PostgreSQL (databases named *bench*), Redis (db 5) and wrk. bench/run.py runs
# everything with DJANGO_SETTINGS_MODULE=bench.settings; BENCH_PAGES/SCALE/MIXED/SWEEP=0 skip parts.
bench: deps
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PY) bench/run.py

# Fault scenarios (docs/reliability.md): each starts its own PostgreSQL and Redis on spare
# loopback ports, gunicorn, workers and beat, applies a fault and checks the invariants in SQL.
# FAULTS=ci runs the short subset that .ci/run calls; `make faults SCENARIOS="redis_frozen"`.
faults: deps
	$(PY) .ci/faults/run.py $(SCENARIOS)

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles var .pytest_cache .hypothesis
