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

.PHONY: demo test test-fast lint install browser migrate seed serve check-deploy clean bench-portal bench-tools bench-data bench postgres

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
bench-portal: install bench-tools postgres
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/portal_bench.py $(BENCH_ARGS)

# wrk, and redis-server when no Redis answers, from Debian's packages when missing.
bench-tools:
	@if ! command -v wrk >/dev/null 2>&1; then \
	  echo "Cài wrk (gói wrk của Debian) cho bài đo tra cứu"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
	fi
	@if ! command -v redis-server >/dev/null 2>&1 && [ -z "$(REDIS_URL)" ] && \
	    ! $(PY) -c "import socket; socket.create_connection(('127.0.0.1', 6379), 1)" 2>/dev/null; then \
	  echo "Cài redis-server (gói của Debian): bộ đếm giới hạn tra cứu chạy trên Redis"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; \
	fi

# The local PostgreSQL cluster, started when nothing answers on 127.0.0.1:5432 (as .ci/run does).
postgres:
	@if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  $(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
	fi

# The province-scale data set (issue 10, bench/province.py): 300 schools, 150,000 learners, a year of grades,
# an exam of 20,000 candidates, diplomas, bulk-loaded with COPY. BENCH_PROVINCE_URL is WIPED and rebuilt;
# PROVINCE_ARGS passes options (e.g. PROVINCE_ARGS="--schools 30 --students 15000").
BENCH_PROVINCE_URL ?= postgres://postgres@127.0.0.1:5432/sms_bench_province
PROVINCE_ARGS ?=
bench-data: install postgres
	DATABASE_URL=$(BENCH_PROVINCE_URL) $(PY) bench/province.py $(PROVINCE_ARGS)

# The whole benchmark suite (bench/suite.py): builds the province when its database lacks it, runs every
# benchmark and writes bench/RESULTS.md. SUITE_ARGS passes options (see bench/suite.py --help).
SUITE_ARGS ?=
bench: install bench-tools postgres
	BENCH_PROVINCE_URL=$(BENCH_PROVINCE_URL) BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/suite.py $(SUITE_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
