# Jingjinji Quiz: `make run` to play, `make test` to check. `make help` lists everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
N ?= 5000
PROCS ?= 1
SERVER ?= daphne
METRICS ?= on
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev,tools]'
	touch $@

# eslint and the browser scripts' unit tests (node's test runner), from package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed ## Create .venv (VENV=, PYTHON=) and install the project with its dev tools

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate ## Load the demo competition, questions, round and host account (idempotent)
	$(PY) manage.py demo_setup --base-url http://$(HOST):$(PORT)
	$(PY) manage.py demo_bracket --base-url http://$(HOST):$(PORT)
	$(PY) manage.py demo_online
	$(PY) manage.py demo_final --base-url http://$(HOST):$(PORT)
	$(PY) manage.py demo_report

static: install ## Collect static files into var/static: hashed names, gzip and brotli copies
	$(PY) manage.py collectstatic --noinput -v 0

run: migrate static ## Set up everything and serve on http://$(HOST):$(PORT) (embedded SQLite + in-process layer)
	@$(PY) manage.py demo_setup --no-urls --base-url http://$(HOST):$(PORT)
	@$(PY) manage.py demo_bracket --base-url http://$(HOST):$(PORT) > /dev/null
	@$(PY) manage.py demo_online > /dev/null
	@$(PY) manage.py demo_final --no-urls > /dev/null
	@# The URLs are printed once the server answers; Ctrl-C stops the server.
	@$(VENV)/bin/daphne -b $(HOST) -p $(PORT) -v 0 config.asgi:application & server=$$!; \
	trap 'kill $$server 2>/dev/null; wait $$server 2>/dev/null' INT TERM; \
	$(PY) manage.py demo_urls --host $(HOST) --port $(PORT) || { kill $$server 2>/dev/null; exit 1; }; \
	wait $$server

browser: ## Make sure Debian's chromium, CJK fonts, nginx (for the proxy test) and pango (the report's PDF) are there
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/sbin/nginx ] || ! ldconfig -p | grep -q libpangoft2-1.0; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-color-emoji nginx-light libpango-1.0-0 libpangoft2-1.0-0) >/dev/null; \
	  else echo "The tests need Debian's chromium, nginx and pango: sudo apt-get install chromium fonts-noto-cjk fonts-noto-color-emoji nginx-light libpango-1.0-0 libpangoft2-1.0-0"; exit 1; fi; \
	fi

test-js: node_modules/.installed ## Unit tests of the browser scripts (node --test tests/js/)
	@out=$$(node --test tests/js/ 2>&1); rc=$$?; [ $$rc -eq 0 ] || echo "$$out"; \
	echo "node --test tests/js/: $$(echo "$$out" | grep -E '^# (tests|pass|fail) ' | sed 's/^# //' | paste -sd, -)"; \
	exit $$rc

test: install browser test-js ## Run the whole suite (embedded default; set DATABASE_URL and REDIS_URL for the services)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install ## ruff lint and format check; the apps' import contracts; eslint over the browser scripts
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	node_modules/.bin/eslint

format: install ## Apply ruff's formatting and safe fixes
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: install ## Update and compile the zh-Hans translations
	$(PY) manage.py makemessages -l zh_Hans -d django --ignore=.venv --ignore=var --ignore=bench --ignore=tests --ignore=docs
	cd frontend && ../$(PY) ../manage.py compilemessages

$(VENV)/.installed-bench: $(VENV)/.installed
	$(VENV)/bin/pip install --quiet -e '.[dev,tools,bench]'
	touch $@

bench: $(VENV)/.installed-bench ## Load benchmark beside a raw baseline (N=, PROCS=, SERVER=daphne|uvicorn, METRICS=on|off)
	$(PY) -m bench.run --n $(N) --procs $(PROCS) --server $(SERVER) --metrics $(METRICS)

bench-standings: install ## Standings over 100,000 contestants x 10 answers (STACK=postgres|sqlite)
	$(PY) -m bench.standings --stack $(or $(STACK),postgres)

bench-buzzer: install ## Buzzer fairness: phones 5-250 ms away with jitter, presses at known times, 1,000 trials (TRIALS=)
	$(PY) -m bench.buzzer --trials $(or $(TRIALS),1000)

bench-finals-screens: install ## Stage final: press to "team X buzzed" on 2,000 screens, 8 teams, loopback (SCREENS=, TRIALS=)
	$(PY) -m bench.finals_screens --screens $(or $(SCREENS),2000) --trials $(or $(TRIALS),100)

bench-online: install ## Online stage at full size on PostgreSQL + Redis (CONTESTANTS=, ANSWERS=, SESSIONS=, DURATION=, DUELS=)
	$(PY) -m bench.online --contestants $(or $(CONTESTANTS),740000) --answers $(or $(ANSWERS),7400000) --sessions $(or $(SESSIONS),5000) --duration $(or $(DURATION),30) --duels $(or $(DUELS),500)

bench-report: install ## The literacy report over a full-size season on PostgreSQL (CITIZENS=, BASE=, REUSE=1)
	$(PY) -m bench.report --citizens $(or $(CITIZENS),740000) --base $(or $(BASE),10000) --answers-each 12 $(if $(REUSE),--reuse)

clean: ## Remove the database, static files and caches (keeps .venv)
	rm -rf var .pytest_cache .ruff_cache

.PHONY: test-js help install migrate demo static run browser test lint format messages bench bench-standings bench-buzzer bench-finals-screens bench-online bench-report clean
