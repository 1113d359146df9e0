"""The results-day hot path of the public lookups (sms.portal): the throttle's counters on Redis, and the log's
one-round-trip write outside a transaction.

The rest of the suite runs the throttle on locmem and every test inside a transaction; what a deployment runs —
Django's Redis cache and a request in autocommit — is checked here. The Redis tests need a Redis server
(``TEST_REDIS_URL``, default ``redis://127.0.0.1:6379/15``) and are skipped without one; each test has a key prefix
of its own, so parallel workers never see each other's counters.
"""

from __future__ import annotations

import json
import os
import threading
import uuid

import pytest
from django.core.cache import caches
from django.db import DataError, connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from sms.portal import throttle
from sms.portal.logbook import write_log
from sms.portal.models import LookupLog

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_answers() -> bool:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except Exception:
        return False
    return True


needs_redis = pytest.mark.skipif(not _redis_answers(), reason=f"no Redis at {REDIS_URL}")


@pytest.fixture
def on_redis(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    settings.PORTAL_RATE_PER_IP = 60
    settings.PORTAL_MISSES_PER_IDENTIFIER = 10
    yield caches["default"]
    throttle._hang_up()


def _raw(backend, key: str):
    """A counter as Redis holds it, read on a connection of its own (not the throttle's)."""
    import redis

    return redis.Redis.from_url(REDIS_URL).get(backend.make_and_validate_key(key))


# --- the counters on Redis ----------------------------------------------------------------------------------


@needs_redis
def test_guesses_in_flight_cannot_overrun_the_cap_on_redis(on_redis):
    verdicts = [throttle.reserve_attempt("k", "C2A").allowed for _ in range(15)]
    assert verdicts.count(True) == 10 and verdicts[:10] == [True] * 10
    assert throttle.misses("k", "C2A") == 15  # refused attempts keep their place


@needs_redis
def test_guesses_from_many_threads_at_once_cannot_overrun_the_cap(on_redis):
    """Each thread has its own connection; the count is still one count."""
    verdicts: list[bool] = []
    start = threading.Barrier(12)

    def guess():
        start.wait()
        for _ in range(3):
            verdicts.append(throttle.reserve_attempt("k", "C2B").allowed)
        throttle._hang_up()

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(verdicts) == 36 and verdicts.count(True) == 10
    assert throttle.misses("k", "C2B") == 36


@needs_redis
def test_a_hit_gives_its_place_back_and_redis_has_applied_it(on_redis):
    for _ in range(4):
        assert throttle.reserve_attempt("k", "C2C").allowed
    throttle.release_attempt("k", "C2C")  # sent without waiting for the reply
    assert throttle.misses("k", "C2C") == 3
    key, _ = throttle._identifier_counter("k", "C2C", None)
    assert _raw(on_redis, key) == b"3"  # another connection sees it too


@needs_redis
def test_giving_back_a_place_never_taken_leaves_no_negative_counter(on_redis):
    throttle.release_attempt("k", "C2D")
    assert throttle.misses("k", "C2D") == 0
    assert throttle.reserve_attempt("k", "C2D").allowed
    assert throttle.misses("k", "C2D") == 1


@pytest.mark.parametrize(
    ("rate", "counted", "allowed"),
    [(3, 1, True), (3, 3, True), (3, 4, False), (1, 2, False)],
)
@needs_redis
def test_per_ip_budget_on_redis(on_redis, settings, rate, counted, allowed):
    settings.PORTAL_RATE_PER_IP = rate
    verdicts = [throttle.hit_ip("203.0.113.9") for _ in range(counted)]
    assert verdicts[-1].allowed is allowed
    if not allowed:
        assert 1 <= verdicts[-1].retry_after <= 60


@needs_redis
def test_an_address_over_its_budget_costs_the_identifier_nothing(on_redis, settings):
    settings.PORTAL_RATE_PER_IP = 2
    for _ in range(2):
        by_ip, by_identifier = throttle.hit_ip_and_reserve("203.0.113.10", "k", "C2E")
        assert by_ip.allowed and by_identifier.allowed
    by_ip, by_identifier = throttle.hit_ip_and_reserve("203.0.113.10", "k", "C2E")
    assert not by_ip.allowed and 1 <= by_ip.retry_after <= 60
    assert by_identifier.allowed  # not tried
    assert throttle.misses("k", "C2E") == 2  # its place was given back


@needs_redis
def test_counters_expire_with_their_window(on_redis):
    import redis

    throttle.hit_ip_and_reserve("203.0.113.11", "k", "C2F")
    client = redis.Redis.from_url(REDIS_URL)
    ip_key, _ = throttle._ip_counter("203.0.113.11", None)
    id_key, _ = throttle._identifier_counter("k", "C2F", None)
    assert 0 < client.ttl(on_redis.make_and_validate_key(ip_key)) <= throttle.IP_WINDOW + 5
    assert throttle.IP_WINDOW + 5 < client.ttl(on_redis.make_and_validate_key(id_key)) <= throttle.IDENTIFIER_WINDOW + 5


@needs_redis
def test_a_dropped_connection_is_replaced(on_redis):
    assert throttle.reserve_attempt("k", "C2G").allowed
    throttle.release_attempt("k", "C2G")  # a reply left unread on the connection
    throttle._wire.connection._sock.close()  # the server or the network dropped it
    assert throttle.reserve_attempt("k", "C2G").allowed
    assert throttle.misses("k", "C2G") in (1, 2)  # the give-back may have been lost with the connection


@needs_redis
@pytest.mark.urls("tests.portal_testurls")
def test_a_lookup_on_redis_counts_the_address_and_never_the_hits(on_redis, settings, world):
    unit = world.a.school
    unit.phone = "0912 345 678"
    unit.save()
    settings.PORTAL_MISSES_PER_IDENTIFIER = 2
    client = Client()

    def look(phone):
        body = json.dumps({"code": unit.code, "phone": phone})
        return client.post("/tra-cuu-thu/don-vi/", body, content_type="application/json", REMOTE_ADDR="203.0.113.12")

    for _ in range(5):
        assert look("0912 345 678").json()["found"] is True
    assert throttle.misses("test-unit", unit.code.upper()) == 0
    assert look("000").json()["found"] is False
    assert look("111").json()["found"] is False
    assert look("0912 345 678").status_code == 429  # the identifier's misses are spent
    ip_key, _ = throttle._ip_counter("203.0.113.12", None)
    assert _raw(on_redis, ip_key) == b"8"


# --- the log outside a transaction (PostgreSQL) -----------------------------------------------------------------

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-text log write is PostgreSQL's")


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_log_is_one_statement_outside_a_transaction_and_committed():
    write_log("k", "C2G", ip="203.0.113.13", found=False, throttled=False, unit_id=None)  # prepares it
    with CaptureQueriesContext(connection) as queries:
        write_log("k", "C2H", ip="203.0.113.13", found=True, throttled=False, unit_id=None)
    (statement,) = [q["sql"] for q in queries.captured_queries]
    assert statement.startswith("BEGIN; SET LOCAL synchronous_commit TO OFF; EXECUTE sms_portal_")
    assert statement.endswith("COMMIT")
    assert not connection.in_atomic_block and connection.get_autocommit()
    other = connections.create_connection("default")  # another session sees the row: it is committed
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT identifier, found, throttled, ip FROM portal_lookuplog WHERE kind = 'k' ORDER BY id")
            assert [tuple(map(str, row)) for row in cursor.fetchall()] == [
                ("C2G", "False", "False", "203.0.113.13"),
                ("C2H", "True", "False", "203.0.113.13"),
            ]
    finally:
        other.close()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_log_write_that_fails_leaves_the_connection_usable():
    with pytest.raises(DataError):  # longer than the column
        write_log("k", "C2I" * 50, ip="203.0.113.14", found=True, throttled=False)
    assert LookupLog.objects.filter(identifier__startswith="C2I").count() == 0
    write_log("k", "C2J", ip="203.0.113.15", found=False, throttled=False)
    assert list(LookupLog.objects.values_list("identifier", "found")) == [("C2J", False)]


# --- prepared statements -----------------------------------------------------------------------------------------


def test_a_prepared_statement_is_named_by_its_text_and_types():
    """A session holding a statement of another version of the code never runs it under this one's name."""
    from sms.portal.logbook import Prepared

    statement = Prepared("SELECT %s::text, %s", ("text", "inet"))
    assert statement.prepare_sql() == f"PREPARE {statement.name} (text, inet) AS SELECT $1::text, $2"
    assert statement.execute_sql == f"EXECUTE {statement.name} (%s, %s)"
    assert statement.name == Prepared("SELECT %s::text, %s", ("text", "inet")).name
    assert statement.name != Prepared("SELECT %s::text, %s ", ("text", "inet")).name
    assert statement.name != Prepared("SELECT %s::text, %s", ("text", "text")).name
    with pytest.raises(ValueError, match="2 placeholders for 1 types"):
        Prepared("SELECT %s, %s", ("text",)).prepare_sql()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_log_statement_is_prepared_once_per_session():
    connection.close()
    with CaptureQueriesContext(connection) as queries:
        for n in range(3):
            write_log("k", f"C2K{n}", ip="203.0.113.16", found=False, throttled=False)
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["PREPARE", "BEGIN;", "BEGIN;", "BEGIN;"]
    connection.close()  # a new session has no prepared statements
    with CaptureQueriesContext(connection) as queries:
        write_log("k", "C2K3", ip="203.0.113.16", found=False, throttled=False)
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["PREPARE", "BEGIN;"]
    assert LookupLog.objects.filter(identifier__startswith="C2K").count() == 4
