# Symbiosis: `make run` serves the portal with a demo region, `make test` runs everything.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run worker test test-fast browser lint bench bench-full clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

install: $(STAMP)

# Without a broker the server's own process runs queued tasks (after each response) and
# the periodic jobs (symbiosis.background); with one, a Celery worker with beat does.
run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	@if [ -n "$$CELERY_BROKER_URL$$REDIS_URL" ]; then \
	  echo "Broker configured: starting a Celery worker with beat in the background."; \
	  $(BIN)/celery -A symbiosis worker --beat --loglevel=warning --concurrency=2 & \
	fi
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

worker: $(STAMP)
	$(BIN)/celery -A symbiosis worker --beat --loglevel=info

# Browser tests need a Chromium: Debian's package where apt works as root, otherwise
# Playwright's own download.
browser: $(STAMP)
	@bash scripts/ensure-browser.sh $(BIN)/python

test: $(STAMP) browser
	$(BIN)/python -m pytest

# Everything but the browser tests, for a quick loop.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not browser"

lint: $(STAMP)
	$(BIN)/ruff check .

# Benchmarks (docs/performance.md): each size writes bench/results/matching-<size>.json, the
# workers benchmark bench/results/workers-<size>.json, and bench.report puts them all into
# docs/performance.md and docs/img/matching-time.png. `make bench SIZES="1000 10000"` for
# other sizes; `make bench-full` for the published set (long: run it on a quiet machine).
SIZES        ?= 1000
FULL_SIZES   ?= 1000 10000 100000 300000
WORKERS_SIZE ?= 100000
bench-matching = for n in $(1); do \
	  $(BIN)/python -m bench.matching --listings $$n --json --save || exit 1; done

bench: $(STAMP)
	$(call bench-matching,$(SIZES))
	$(BIN)/python -m bench.report

bench-full: $(STAMP)
	$(call bench-matching,$(FULL_SIZES))
	$(BIN)/python -m bench.workers --listings $(WORKERS_SIZE) --save
	$(BIN)/python -m bench.report

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
