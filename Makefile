# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
# The browser tests drive Debian's chromium package (never `playwright install`).
CHROMIUM ?= /usr/bin/chromium
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test test-fast lint install browser migrate seed serve check-deploy clean bench-portal

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Cần Python 3.11 ($(PYTHON))"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# Debian's chromium for tests/browser, installed only when missing.
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if command -v apt-get >/dev/null 2>&1; then \
	    echo "Cài Chromium (gói chromium của Debian) cho các bài kiểm thử trình duyệt"; \
	    $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "Không có apt-get: các bài kiểm thử trình duyệt sẽ bị bỏ qua (cần $(CHROMIUM))"; \
	  fi; \
	fi

migrate: install
	$(PY) manage.py migrate --no-input

seed: migrate
	$(PY) manage.py seed_demo --if-empty

# Installs, migrates the embedded SQLite database, loads the demo province and serves it.
demo: seed
	@echo "Mở http://$(HOST):$(PORT)/ và đăng nhập bằng một tài khoản ở trên (mật khẩu Demo@2026)."
	$(PY) manage.py runserver $(HOST):$(PORT)

# The whole suite: on PostgreSQL when DATABASE_URL is set, else on SQLite.
test: install browser
	$(PY) -m pytest -n 2 -q

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check-deploy: install
	SMS_ENV=production SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	  ALLOWED_HOSTS=sgd.example.edu.vn PORTAL_PUBLIC_URL=https://sgd.example.edu.vn $(PY) manage.py check --deploy --fail-level WARNING

# The results-day benchmark of the public lookups (issue 9, bench/portal_bench.py): gunicorn, PostgreSQL and
# Redis on this machine, loaded by wrk. Not part of `make test`. BENCH_DATABASE_URL is WIPED: give it a
# database of its own. Debian's wrk (and redis-server, when no Redis answers on 127.0.0.1:6379) are installed
# when missing; BENCH_ARGS passes options (e.g. BENCH_ARGS="--reuse --rounds 3").
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/sms_bench_portal
BENCH_ARGS ?=
bench-portal: install
	@if ! command -v wrk >/dev/null 2>&1; then \
	  echo "Cài wrk (gói wrk của Debian) cho bài đo tra cứu"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
	fi
	@if ! command -v redis-server >/dev/null 2>&1 && [ -z "$(REDIS_URL)" ] && \
	    ! $(PY) -c "import socket; socket.create_connection(('127.0.0.1', 6379), 1)" 2>/dev/null; then \
	  echo "Cài redis-server (gói của Debian): bộ đếm giới hạn tra cứu chạy trên Redis"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; \
	fi
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/portal_bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
