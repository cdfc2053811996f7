# The two commands: `make run` (set up and run the product) and `make test` (set up and run the suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/servicecraft
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15

.PHONY: install run test browser wrk bench bench-http bench-load clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Emailed links and the printed sign-in point at the port actually served unless SITE_URL says otherwise.
# The address and the demo sign-ins are printed last, by `announce` in Procfile.dev, once web, worker
# and beat answer.
run: export SITE_URL := $(or $(SITE_URL),http://127.0.0.1:$(PORT))
run: install
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --no-sign-ins
	@echo ""
	@echo "  Starting web, worker and beat; the address and the demo sign-ins follow once all three answer."
	@echo ""
	PATH="$(CURDIR)/$(BIN):$$PATH" WEB_PORT=$(PORT) $(BIN)/honcho --no-colour -f Procfile.dev start

# Headless Chromium for the browser tests: Debian's package (Playwright's own download cannot work here).
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "The browser tests need Debian's chromium: sudo apt-get install chromium" >&2; exit 1; fi; }

# Lint first (ruff, configured in pyproject.toml: lint only, no reformatting), so lint errors fail the run.
# Tests run in a random order (pytest-randomly, on whenever it is installed); the header prints
# "Using --randomly-seed=N": rerun an order with `make test PYTEST_ARGS="-p randomly --randomly-seed=N"`.
test: install browser
	$(BIN)/ruff check .
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)} \
	  $(BIN)/python -m config.services_check
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)} \
	  $(BIN)/pytest $(PYTEST_ARGS)

# wrk, the HTTP load generator of `make bench-http`: Debian's package, installed as `browser` does chromium.
wrk:
	@test -x /usr/bin/wrk || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else echo "The HTTP benchmark needs Debian's wrk: sudo apt-get install wrk" >&2; exit 1; fi; }

# Figures and how to read them: bench/README.md. `make bench` runs all of them; BENCH_ARGS go to
# bench-http (e.g. BENCH_ARGS="--seconds 5"), LOAD_ARGS to bench-load (e.g. LOAD_ARGS="--people 20").
bench: install wrk
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(BIN)/python bench/course_player.py
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(BIN)/python bench/assignments.py
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)} \
	  $(BIN)/python bench/notifications.py
	$(BIN)/python bench/refresher_simulation.py
	$(MAKE) --no-print-directory bench-http bench-load

# The product's pages against a minimal Django project, over HTTP (gunicorn, wrk), in one run.
bench-http: install wrk
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)} \
	  $(BIN)/python bench/http_pages.py $(BENCH_ARGS)

# 50 simulated employees for 60 s against gunicorn: no error, and the database counts what they did.
bench-load: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)} \
	  $(BIN)/python bench/load_test.py $(LOAD_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
