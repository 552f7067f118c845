# khaosat: `make run` serves the demo on http://127.0.0.1:5000 (HOST=0.0.0.0: to phones on the
# same network), `make test` runs every test.
# Both set themselves up on a fresh machine (virtualenv, packages, database, translations).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := KHAOSAT_ENV=development $(BIN)/flask --app wsgi
PG_TEST_URL ?= postgresql://127.0.0.1:5432/test
# The PostgreSQL run keeps login rate limits in Redis, as production does.
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15
PACKAGES := $(shell grep -v '^\#' .ci/debian-packages.txt)
# `make run HOST=0.0.0.0` serves the demo to phones on the same network: its links and stickers
# then carry this machine's network address (or PUBLIC_BASE_URL, if set), not 127.0.0.1.
HOST ?= 127.0.0.1
PORT ?= 5000
SEEN_AS := $(if $(filter 0.0.0.0,$(HOST)),$(firstword $(shell hostname -I 2>/dev/null) 127.0.0.1),$(HOST))
RUN_URL := $(or $(PUBLIC_BASE_URL),http://$(SEEN_AS):$(PORT))

.PHONY: run test test-sqlite test-postgres lint setup system-deps translations messages clean lock

run: setup
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	@echo; echo "Survey links of the demo counters (open one on a phone or a narrow window):"
	@PUBLIC_BASE_URL=$(RUN_URL) $(FLASK) list-counters
	@echo; echo "Reports only read. Production's cron moves answers (move-answers, every 15 minutes)"
	@echo "and sums finished weeks (sum-weeks, hourly); here answers move at once, and a week not"
	@echo "summed yet is read from the daily rows: $(FLASK) sum-weeks sums it (docs/deploying.md)."
	@echo; echo "Serving on $(RUN_URL)  (Ctrl+C to stop; make run HOST=0.0.0.0 for phones on this network)"
	PUBLIC_BASE_URL=$(RUN_URL) $(FLASK) run --host $(HOST) --port $(PORT)

test: setup system-deps lint test-sqlite test-postgres

test-sqlite: setup
	$(BIN)/python -m pytest

# In CI PostgreSQL and Redis are required; on a laptop without them, say so plainly and go on.
test-postgres: setup
	@if [ "$$CI" = "true" ] || $(BIN)/python -c "import psycopg; psycopg.connect('$(PG_TEST_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		limits=$(REDIS_TEST_URL); \
		if [ "$$CI" != "true" ] && ! $(BIN)/python -c "import redis; redis.Redis.from_url('$(REDIS_TEST_URL)', socket_timeout=2).ping()" 2>/dev/null; then \
			echo "*** Redis is not reachable at $(REDIS_TEST_URL): rate limits kept in memory. ***"; limits=memory://; \
		fi; \
		TEST_DATABASE_URL=$(PG_TEST_URL) RATELIMIT_STORAGE_URI=$$limits $(BIN)/python -m pytest; \
	else \
		echo "*** PostgreSQL is not reachable at $(PG_TEST_URL): the suite ran on SQLite only. ***"; \
	fi

lint: setup
	$(BIN)/ruff check .

setup: $(VENV)/.installed translations

# The whole dependency tree, pinned with hashes (tests/requirements.lock: the app's and the
# tests'; requirements.lock: the app's alone, for production). `make lock` remakes both.
$(VENV)/.installed: tests/requirements.lock
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || $(MAKE) system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r tests/requirements.lock
	touch $@

# After changing requirements.txt or tests/requirements.txt: pin the tree again with uv.
lock:
	$(PYTHON) -m venv .lock-tools && .lock-tools/bin/pip install --quiet uv==0.13.8
	for pair in "requirements.lock requirements.txt" \
	            "tests/requirements.lock requirements.txt tests/requirements.txt"; do \
		set -- $$pair; out=$$1; shift; \
		.lock-tools/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 \
			--python-platform x86_64-manylinux_2_28 --no-header --annotation-style line \
			"$$@" -o $$out || exit 1; \
	done
	rm -rf .lock-tools

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d app/translations

# After marking new strings with _(): refresh the template and the English catalog, then translate.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F app/translations/babel.cfg -k _l -k lazy_gettext --no-location \
		--omit-header -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --width 100

# Installs what .ci/debian-packages.txt lists and is missing (needs root); otherwise lists it.
system-deps:
	@missing=$$(for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian packages: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else \
		echo "*** Missing Debian packages (browser tests will be skipped): $$missing"; \
		echo "*** Install them with: sudo apt-get install $$missing"; \
	fi

clean:
	rm -rf $(VENV) instance .pytest_cache
