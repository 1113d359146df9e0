"""Acceptance: clerks issuing at the same moment for the same issuer, diploma type and year never get the same entry
number, and each batch's numbers are consecutive (TT21/2019: each number on exactly one diploma). The counter row is
locked with SELECT … FOR UPDATE, which only PostgreSQL enforces; SQLite serialises writers by locking the whole
database, so the race cannot be staged there."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from exams.models import Diploma, DiplomaCopy, RegisterCounter
from exams.services import register as services

from .test_register import ISSUED, actor, decided_round, graduates, issue, phong_issuer

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks (SELECT … FOR UPDATE) are a PostgreSQL matter"
    ),
    pytest.mark.django_db(transaction=True),
]


def run_together(jobs):
    """Run each job in its own thread (its own database connection), all released at the same moment by a barrier;
    return their results in order, re-raising the first error."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)
    errors: list = []

    def worker(i, job):
        try:
            barrier.wait(timeout=30)
            results[i] = job()
        except BaseException as error:  # noqa: BLE001 - reported to the test below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread is still waiting (deadlock?)"
    if errors:
        raise errors[0]
    return results


def test_concurrent_batches_never_share_an_entry_number(world):
    issuer = phong_issuer(world)
    school = world.a.school
    rounds = [decided_round(issuer, school, start_year=2025, number=n) for n in (1, 2)]
    graduates(rounds[0], school, 6, class_name="9A1")
    graduates(rounds[1], school, 6, class_name="9A2")
    keepers = [actor(world, "p1_staff"), actor(world, "p1_admin")]  # two clerks, two sessions
    pending = {r.pk: [e for e in r.entries.all()] for r in rounds}

    def batch(i, prefix):
        return lambda: [
            d.entry_number
            for d in services.issue_batch(
                keepers[i],
                issuer,
                "thcs",
                pending[rounds[i].pk],
                issued_on=ISSUED,
                first_serial=f"{prefix} 0000001",
            )
        ]

    first, second = run_together([batch(0, "A"), batch(1, "B")])
    assert sorted(first + second) == list(range(1, 13))
    for numbers in (first, second):  # each batch holds one unbroken run
        assert numbers == list(range(numbers[0], numbers[0] + 6))
    assert RegisterCounter.objects.get(issuer=issuer, kind="thcs", year=2026).last_number == 12
    assert Diploma.objects.filter(issuer=issuer).count() == 12


def test_concurrent_copies_never_share_a_number(world):
    issuer = phong_issuer(world)
    graduates(decided_round(issuer, world.a.school), world.a.school, 4)
    diplomas = issue(world, issuer)
    keeper = actor(world, "p1_staff")

    def copies(diploma):
        def job():
            return [
                services.issue_copy(
                    keeper,
                    diploma,
                    requester_name=diploma.full_name,
                    relation="holder",
                    requester_id_number="001211000001",
                    issued_on=dt.date(2026, 11, 2),
                ).number
                for _ in range(3)
            ]

        return job

    numbers = run_together([copies(d) for d in diplomas])
    flat = sorted(n for batch in numbers for n in batch)
    assert flat == list(range(1, 13))
    assert DiplomaCopy.objects.filter(issuer=issuer).count() == 12
