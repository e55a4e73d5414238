# Two commands do all the set-up: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1:8000
# Absolute links (feeds, API, citations, e-mails) follow the address served
# (unless SITE_URL is set, e.g. behind a proxy).
setup run: export SITE_URL ?= http://$(HOST)

.PHONY: run test bootstrap setup lint format bench clean

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

bootstrap: $(STAMP)

# Migrate, load the Mali record and the demo accounts (idempotent).
setup: bootstrap
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv -v0 || true
	DJANGO_DEBUG=1 $(BIN)/python manage.py load_seed
	DJANGO_DEBUG=1 $(BIN)/python manage.py create_demo_accounts
	DJANGO_DEBUG=1 $(BIN)/python manage.py deliver_webhooks --install-schedule
	DJANGO_DEBUG=1 $(BIN)/python manage.py export_open_data
	DJANGO_DEBUG=1 $(BIN)/python manage.py export_open_data --install-schedule

# The task worker (django-q2: e-mails, webhooks) runs in the background and
# stops with the server.
run: setup
	@echo "Serving on http://$(HOST)/ (admin: http://$(HOST)/admin/)"
	@echo "Staff log in with a second factor: see the authenticator secrets above, or run"
	@echo "  DJANGO_DEBUG=1 $(BIN)/python manage.py otp_code demo-editor"
	@DJANGO_DEBUG=1 $(BIN)/python manage.py qcluster & WORKER=$$!; \
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver $(HOST) & SERVER=$$!; \
	trap 'trap - INT TERM; kill -TERM $$SERVER $$WORKER 2>/dev/null; wait; exit 0' INT TERM; \
	wait $$SERVER; kill $$WORKER 2>/dev/null; wait $$WORKER

test: bootstrap
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: bootstrap
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: bootstrap
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The tables of docs/performance.md: 1k, 10k and 100k commitments (the 100k
# database takes about 11 minutes to generate the first time; BENCH_ARGS to
# change, e.g. BENCH_ARGS="--sizes 1000 --only api_list").
BENCH_ARGS ?= --sizes 1000,10000,100000 --duration 5 --pairs 2
bench: bootstrap
	@command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
