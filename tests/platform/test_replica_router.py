"""The read replica (``sms.dbrouter``, ``DATABASE_REPLICA_URL``): writes always on the primary, reads on the
replica only where the code opts in (the public lookups), and the settings switch that turns it on.

The replica here is a mirror of the test database (``TEST: {"MIRROR": "default"}``, as ``sms.settings`` sets it):
a second connection to the same database, so what it reads is what the primary committed — the tests that read
through it commit their data (``transaction=True``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connections, router
from django.test import Client
from django.test.utils import CaptureQueriesContext

from sms.dbrouter import ReplicaRouter, reads_from_replica, replica_reads
from sms.org.models import Unit
from sms.portal import store
from sms.portal.models import LookupLog, PublishedRecord

ROOT = Path(__file__).resolve().parents[2]
REPLICA = "replica"


@pytest.fixture
def mirrored_replica(settings):
    """The router on, reading from the ``replica`` alias the test suite declares (a mirror of ``default``:
    tests/conftest.py), as ``DATABASE_REPLICA_URL`` turns it on."""
    settings.READ_REPLICA_ALIAS = REPLICA
    settings.DATABASE_ROUTERS = ["sms.dbrouter.ReplicaRouter"]
    return connections[REPLICA]


# --- the settings switch ----------------------------------------------------------------------------------------


def _settings_with(**env) -> dict:
    """What ``sms.settings`` configures for these environment variables (read in a fresh interpreter)."""
    code = (
        "import json, sms.settings as s; "
        "print(json.dumps({'aliases': sorted(s.DATABASES), 'routers': getattr(s, 'DATABASE_ROUTERS', []), "
        "'replica': s.READ_REPLICA_ALIAS, 'mirror': s.DATABASES.get('replica', {}).get('TEST', {}).get('MIRROR'), "
        "'replica_name': s.DATABASES.get('replica', {}).get('NAME'), 'replica_host': s.DATABASES.get('replica', {})"
        ".get('HOST')}))"
    )
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_REPLICA_URL",)}
    environment.update(env)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_without_a_replica_url_there_is_one_database_and_no_router():
    configured = _settings_with(DATABASE_URL="postgres://sms@db.example:5432/sms")
    assert configured["aliases"] == ["default"] and configured["routers"] == [] and configured["replica"] is None


def test_a_replica_url_adds_the_replica_alias_and_the_router():
    configured = _settings_with(
        DATABASE_URL="postgres://sms@primary.example:5432/sms",
        DATABASE_REPLICA_URL="postgres://sms_ro@replica.example:5432/sms",
    )
    assert configured == {
        "aliases": ["default", "replica"],
        "routers": ["sms.dbrouter.ReplicaRouter"],
        "replica": "replica",
        "mirror": "default",  # in tests it is the test database itself
        "replica_name": "sms",
        "replica_host": "replica.example",
    }


# --- the router -------------------------------------------------------------------------------------------------


def test_reads_opt_in_and_writes_never_leave_the_primary(mirrored_replica):
    assert router.db_for_read(PublishedRecord) == "default"
    with replica_reads():
        assert router.db_for_read(PublishedRecord) == REPLICA
        assert router.db_for_write(LookupLog) == "default"
    assert router.db_for_read(PublishedRecord) == "default"  # the block ended
    assert router.allow_migrate("default", "portal") is True
    assert router.allow_migrate(REPLICA, "portal") is False


def test_the_opt_in_does_not_reach_another_thread(mirrored_replica):
    seen = []
    with replica_reads():
        worker = threading.Thread(target=lambda: seen.append(router.db_for_read(PublishedRecord)))
        worker.start()
        worker.join()
        assert router.db_for_read(PublishedRecord) == REPLICA
    assert seen == ["default"]


def test_a_decorated_view_reads_from_the_replica(mirrored_replica):
    @reads_from_replica
    def view():
        return router.db_for_read(Unit)

    assert view() == REPLICA
    assert router.db_for_read(Unit) == "default"


def test_without_the_replica_the_opt_in_changes_nothing(settings):
    settings.DATABASE_ROUTERS = ["sms.dbrouter.ReplicaRouter"]  # installed, but no replica named
    with replica_reads():
        assert router.db_for_read(PublishedRecord) == "default"
        assert ReplicaRouter().db_for_read(PublishedRecord) == "default"


# --- through the mirrored alias ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
def test_an_object_read_from_the_primary_keeps_its_relations_there(mirrored_replica, world):
    school = Unit.objects.get(pk=world.a.school.pk)  # read outside the block: from the primary
    assert school.parent_id is not None
    with (
        replica_reads(),
        CaptureQueriesContext(connections["default"]) as on_primary,
        CaptureQueriesContext(mirrored_replica) as on_replica,
    ):
        parent = school.parent
        fresh = Unit.objects.get(pk=school.pk)  # a new read inside the block: from the replica
    assert parent.pk == school.parent_id and fresh._state.db == REPLICA
    assert len(on_primary.captured_queries) == 1 and len(on_replica.captured_queries) == 1


@pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
@pytest.mark.urls("tests.portal_testurls")
def test_a_public_lookup_reads_the_replica_and_logs_on_the_primary(mirrored_replica, world):
    birth = dt.date(2012, 9, 5)
    record = store.Record(key="HS7", ref="7", payload={"ky": "Học kỳ I"}, secrets=[birth], unit_id=world.a.school.pk)
    store.replace("test-stored", ["7"], [record])
    body = json.dumps({"code": "HS7", "birth": "05/09/2012"})
    with (
        CaptureQueriesContext(connections["default"]) as on_primary,
        CaptureQueriesContext(mirrored_replica) as on_replica,
    ):
        answer = Client().post(
            "/tra-cuu-thu/kho/", body, content_type="application/json", HTTP_ACCEPT="application/json"
        )
    assert answer.json() == {"found": True, "result": {"items": [{"ky": "Học kỳ I"}]}}
    read = [q["sql"] for q in on_replica.captured_queries]
    written = [q["sql"] for q in on_primary.captured_queries]
    assert len(read) == 1 and "portal_publishedrecord" in read[0] and "INSERT" not in read[0]
    assert any("INSERT" in sql and "portal_lookuplog" in sql for sql in written)
    assert not any("portal_publishedrecord" in sql for sql in written)
    assert list(LookupLog.objects.values_list("identifier", "found", "unit_id")) == [("HS7", True, world.a.school.pk)]
