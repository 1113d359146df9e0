"""PostgreSQL sessions of the application run without JIT compilation (``sms.settings``, ``DB_JIT``): the Sở's
reports over a province crossed the server's JIT thresholds and spent most of their time compiling
(bench/RESULTS.md, the oversight benchmark)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _options_with(**env) -> dict:
    """The OPTIONS of each database alias ``sms.settings`` configures for these variables (fresh interpreter)."""
    code = (
        "import json, sms.settings as s; print(json.dumps({k: v.get('OPTIONS', {}) for k, v in s.DATABASES.items()}))"
    )
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_REPLICA_URL", "DB_JIT")}
    environment.update(env)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_postgresql_sessions_start_with_jit_off_on_the_primary_and_the_replica():
    options = _options_with(
        DATABASE_URL="postgres://sms@primary.example:5432/sms",
        DATABASE_REPLICA_URL="postgres://sms_ro@replica.example:5432/sms",
    )
    assert options["default"]["options"] == "-c jit=off"
    assert options["replica"]["options"] == "-c jit=off"


def test_db_jit_on_leaves_the_server_setting_alone():
    options = _options_with(DATABASE_URL="postgres://sms@primary.example:5432/sms", DB_JIT="on")
    assert "options" not in options["default"]


def test_sqlite_gets_no_postgresql_option():
    options = _options_with(DATABASE_URL="sqlite:///tmp/x.sqlite3")
    assert "options" not in options["default"]


@pytest.mark.django_db
def test_the_application_session_reports_jit_off():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
