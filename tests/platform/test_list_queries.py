"""The new list pages cost the same number of queries for 5 rows as for 50 (no N+1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sms.accounts.roles import Role
from sms.jobs.models import Job
from tests.world import grant, make_user, web_client


def queries(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


def add_teachers(world, n):
    for _ in range(n):
        grant(make_user(), world.a.school, Role.TEACHER)


def add_jobs(world, n):
    membership = world.a.m(Role.PRINCIPAL)
    Job.objects.bulk_create(
        Job(unit=world.a.school, membership=membership, created_by=membership.user, kind="org.classes_xlsx")
        for _ in range(n)
    )


@pytest.mark.parametrize(
    ("path", "add"), [("/tai-khoan/danh-sach/", add_teachers), ("/tac-vu/", add_jobs)], ids=["accounts", "jobs"]
)
def test_list_query_count_does_not_grow_with_rows(world, path, add):
    client = web_client(world.a.m(Role.PRINCIPAL))
    add(world, 5)
    client.get(path)  # warm the session and the actor
    few = queries(client, path)
    add(world, 45)
    assert queries(client, path) == few
