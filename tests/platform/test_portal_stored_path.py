"""A lookup answered from the precomputed store (``StoredLookup``), as a visitor gets it: the items in the
store's order, the stored JSON passed through as it is, and — on PostgreSQL in a request's autocommit — the
lookup and its log row in one statement, committed.

The lookup under test is ``tests/portal_testurls.py``'s ``StoredItemsLookup`` (kind "test-stored": a code and
a birth date).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sms.portal import store
from sms.portal.models import LookupLog

pytestmark = pytest.mark.urls("tests.portal_testurls")

KIND = "test-stored"
URL = "/tra-cuu-thu/kho/"
BIRTH = dt.date(2012, 9, 5)


def publish(unit_a, unit_b, *, visible_from=None):
    """Three periods of one learner, written in an order that is not the one shown, and another learner."""
    records = [
        store.Record(key="HS1", ref="9", payload={"ky": "Học kỳ I", "nam": 2026}, secrets=[BIRTH], unit_id=unit_a,
                     rank=-20261, visible_from=visible_from),
        store.Record(key="HS1", ref="10", payload={"ky": "Cả năm", "nam": 2025}, secrets=[BIRTH], unit_id=unit_b,
                     rank=-20253, visible_from=visible_from),
        store.Record(key="HS1", ref="11", payload={"ky": "Cả năm", "nam": 2026, "ghi_chú": "Được lên lớp"},
                     secrets=[BIRTH], unit_id=unit_b, rank=-20263, visible_from=visible_from),
        store.Record(key="HS2", ref="12", payload={"ky": "Học kỳ I", "nam": 2026}, secrets=[BIRTH], unit_id=unit_a),
    ]  # fmt: skip
    store.replace(KIND, [r.ref for r in records], records)


def look(code, birth="05/09/2012", ip="203.0.113.40"):
    body = json.dumps({"code": code, "birth": birth})
    return Client().post(URL, body, content_type="application/json", HTTP_ACCEPT="application/json", REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_items_come_by_rank_then_ref_and_as_stored(world):
    publish(world.a.school.pk, world.b.school.pk)
    answer = look("hs1")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
    assert answer.json() == {
        "found": True,
        "result": {
            "items": [
                {"ky": "Cả năm", "nam": 2026, "ghi_chú": "Được lên lớp"},
                {"ky": "Học kỳ I", "nam": 2026},
                {"ky": "Cả năm", "nam": 2025},
            ]
        },
    }
    assert "Được lên lớp" in answer.content.decode()  # UTF-8 as it is, not \\u escapes
    assert [hit.ref for hit in store.find(KIND, "HS1", BIRTH)] == ["11", "9", "10"]


@pytest.mark.django_db
def test_equal_ranks_keep_the_ref_order():
    records = [store.Record(key="K", ref=ref, payload={"ref": ref}) for ref in ("10", "9", "100")]
    store.replace(KIND, ["10", "9", "100"], records)
    assert [hit.ref for hit in store.find(KIND, "K", need_secret=False)] == ["9", "10", "100"]


@pytest.mark.django_db
def test_a_wrong_birth_date_answers_like_an_unknown_code(world):
    publish(world.a.school.pk, world.b.school.pk)
    wrong, unknown = look("HS1", "06/09/2012"), look("HS9")
    assert wrong.status_code == unknown.status_code == 200
    assert wrong.content == unknown.content and wrong.json()["found"] is False


# --- one statement on PostgreSQL --------------------------------------------------------------------------------

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement lookup is PostgreSQL's")


def _committed_log() -> list[tuple]:
    """The log as another session sees it (only what is committed)."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT identifier, found, throttled, unit_id FROM portal_lookuplog WHERE kind = %s "
                           "ORDER BY id", [KIND])  # fmt: skip
            return cursor.fetchall()
    finally:
        other.close()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_stored_lookup_is_one_statement_with_its_log_committed(world):
    publish(world.a.school.pk, world.b.school.pk)
    connection.close()  # a new session: its first lookup prepares the statement
    with CaptureQueriesContext(connection) as queries:
        hit = look("HS1")
    with CaptureQueriesContext(connection) as missed:
        miss = look("HS1", "01/01/2012")
    assert [item["nam"] for item in hit.json()["result"]["items"]] == [2026, 2026, 2025]
    assert miss.json()["found"] is False
    prepare, first = [q["sql"] for q in queries.captured_queries]
    assert prepare.startswith("PREPARE sms_portal_") and " AS WITH hits AS (SELECT" in prepare
    (second,) = [q["sql"] for q in missed.captured_queries]  # the session keeps it: one statement
    for statement in (first, second):
        assert statement.startswith(f"BEGIN; SET LOCAL synchronous_commit TO OFF; EXECUTE {prepare.split()[1]} (")
        assert "01/01/2012" not in statement and "2012-01-01" not in statement  # only the secret's digest
    # the first item's unit (rank order), and nothing of the secret
    assert _committed_log() == [("HS1", True, False, world.b.school.pk), ("HS1", False, False, None)]
    assert not LookupLog.objects.filter(identifier__contains="2012").exists()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_one_statement_keeps_items_hidden_until_their_announced_time(world):
    publish(world.a.school.pk, world.b.school.pk, visible_from=timezone.now() + dt.timedelta(hours=1))
    assert look("HS1").json()["found"] is False
    assert look("HS2").json()["found"] is True  # published now
    assert _committed_log() == [("HS1", False, False, None), ("HS2", True, False, world.a.school.pk)]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_lookup_by_identifier_alone_is_one_statement_too(world):
    records = [store.Record(key="B 0000001", ref="1", payload={"so_hieu": "B 0000001"}, unit_id=world.a.school.pk)]
    store.replace("test-serial", ["1"], records)
    assert store.find("test-serial", "B 0000001", need_secret=False) == [
        store.Hit("1", {"so_hieu": "B 0000001"}, world.a.school.pk)
    ]
    from sms.portal.logbook import Entry

    store.find("test-serial", "B 0000001", need_secret=False, log=Entry("test-serial", "B 0000001", "::1"))
    with CaptureQueriesContext(connection) as queries:  # the session has the statement prepared by now
        hits = store.find("test-serial", "B 0000001", need_secret=False, log=Entry("test-serial", "B 0000001", "::1"))
    assert len(queries.captured_queries) == 1
    assert [hit.raw for hit in hits] == ['{"so_hieu": "B 0000001"}']


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_session_that_lost_the_prepared_statement_prepares_it_again(world):
    publish(world.a.school.pk, world.b.school.pk)
    assert look("HS1").json()["found"] is True
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # what a pooler resetting the session does
    with CaptureQueriesContext(connection) as queries:
        again = look("HS1")
    assert [item["nam"] for item in again.json()["result"]["items"]] == [2026, 2026, 2025]
    statements = [q["sql"].split()[0:6] for q in queries.captured_queries]
    assert [words[0] for words in statements] == ["BEGIN;", "ROLLBACK", "PREPARE", "BEGIN;"]  # failed, then prepared
    assert _committed_log() == [("HS1", True, False, world.b.school.pk)] * 2
    assert not connection.in_atomic_block and connection.get_autocommit()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_without_prepared_statements_the_lookup_is_sent_as_text(world, settings):
    """DB_PREPARED_STATEMENTS off (behind a pooler in transaction mode): the same answer, nothing prepared."""
    settings.DB_PREPARED_STATEMENTS = False
    publish(world.a.school.pk, world.b.school.pk)
    connection.close()
    with CaptureQueriesContext(connection) as queries:
        hit = look("HS1")
    assert [item["nam"] for item in hit.json()["result"]["items"]] == [2026, 2026, 2025]
    (statement,) = [q["sql"] for q in queries.captured_queries]
    assert statement.startswith("BEGIN; SET LOCAL synchronous_commit TO OFF; WITH hits AS (SELECT")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone() == (0,)
