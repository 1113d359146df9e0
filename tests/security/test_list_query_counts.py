"""The list query-count suite: every list route, found by itself, costs the same for 5 rows and 50.

``routes.list_routes()`` finds every URL without an object id whose view is a DRF ``list``
action or an HTML ``ListView``. For each one, an actor of school A's side who sees the route's
rows (school A's principal, Phòng 1's admin, a teacher or the Sở admin — the first one the list
actually shows school A's row to, as in the cross-tenant suite) lists 5 fresh rows of the route's
model, then 50; the number of SQL queries of the two requests must be equal. A query per row
(an N+1: a foreign key or a reverse relation read in a serializer, a template or a column) makes
the second request cost more, and the test names the route and both counts.

The client has listed the route once before anything is counted (that is how the actor is
picked), so work done on a session's first request or caches filled on first use weigh on
neither count. API lists are asked for up to 500 rows a page, so all 50 rows are serialized;
HTML lists show their first page (up to 50 rows). The rows must really be there: the actor
sees at least 50 rows through the scoping door, and the response lists rows — a page of
nothing costs the same for any number of rows.

A new list route is covered with no new test code; a new model behind it needs one maker in
``tests/factories.py`` (or, when a unique constraint lets that maker make only a few rows per
school, one in ``MANY_MAKERS`` here). A route whose cost cannot be made flat goes in
``EXCEPTIONS`` with the reason.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sms.accounts.scoping import visible_to
from sms.org.models import SchoolYear, Semester
from students.models import EntryDeadline
from teachers import catalogue
from teachers.models import Position, TeachingNorm
from tests.factories import MAKERS

from .routes import list_routes
from .test_cross_tenant import _listed, a_side, client_for, rid, send

#: route name → why its query count cannot be the same for 5 and 50 rows
EXCEPTIONS: dict[str, str] = {}
#: a sanity bound: a list page that needs more queries than this is doing something absurd
MAX_QUERIES = 40
FEW, MANY = 5, 50


def _deadline(side) -> EntryDeadline:
    """A deadline for a (semester, grade) pair still free: a school has few of them a year."""
    for semester in Semester.objects.filter(school=side.school):
        taken = set(EntryDeadline.objects.filter(semester=semester).values_list("grade", flat=True))
        for grade in [None, *side.school.grades]:
            if grade not in taken:
                return EntryDeadline.objects.create(
                    school=side.school, semester=semester, grade=grade, closes_on=semester.ends_on
                )
    MAKERS[SchoolYear](side)
    return _deadline(side)


def _norm(side) -> TeachingNorm:
    """A norm for a (unit, level, position, boarding) still free, set by the school or its Phòng
    (both read by the school): the maker's school-level rows run out after a few."""
    for unit in (side.school, side.school.parent):
        taken = set(TeachingNorm.objects.filter(unit=unit).values_list("level", "position", "boarding"))
        for level, _ in catalogue.LEVEL_CHOICES:
            for position in Position.values:
                for boarding in (False, True):
                    if (level, position, boarding) not in taken:
                        return TeachingNorm.objects.create(
                            unit=unit, level=level, position=position, boarding=boarding, periods_per_week=19
                        )
    raise AssertionError("no free teaching norm left")


#: makers for models whose ``MAKERS`` maker can only make a few distinct rows (unique constraints)
MANY_MAKERS = {EntryDeadline: _deadline, TeachingNorm: _norm}


def make(model, side):
    return MANY_MAKERS.get(model, MAKERS[model])(side)


def _actors(world):
    """Who may see school A's rows, most local first (the Sở admin for Sở-only catalogues)."""
    return [*a_side(world, "principal", "phong1_admin", "teacher"), world.members["so_admin"]]


def _url(route) -> str:
    return route.url() + ("?page_size=500" if route.is_api else "")


def _shown_rows(route, response) -> int:
    """How many rows the response lists (the page's rows, not the total)."""
    if route.is_api:
        data = response.json()
        return len(data["results"] if isinstance(data, dict) else data)
    return len(response.context["object_list"])


def _counted_get(client, route, url) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = send(client, route, "GET", url)
    assert response.status_code == 200, f"{route.name}: {response.status_code} {response.content[:300]!r}"
    return len(queries), response


@pytest.mark.parametrize("route", list_routes(), ids=rid)
def test_list_query_count_does_not_grow_with_rows(world, route):
    if route.name in EXCEPTIONS:
        pytest.skip(EXCEPTIONS[route.name])
    rows = [make(route.model, world.a) for _ in range(FEW)]
    url = _url(route)
    actor = client = None
    for membership in _actors(world):
        candidate = client_for(route, membership)
        if _listed(route, send(candidate, route, "GET", url), rows[0]):
            actor, client = world.actor(membership), candidate
            break
    assert client is not None, f"control: nobody on school A's side sees A's rows in {route.name}"

    few, _ = _counted_get(client, route, url)
    for _ in range(MANY - FEW):
        make(route.model, world.a)
    many, response = _counted_get(client, route, url)

    visible = visible_to(actor, route.model).count()
    assert visible >= MANY, f"control: {route.name}'s actor sees only {visible} rows"
    assert _shown_rows(route, response) > 0, f"control: {route.name} listed no rows"
    assert few == many, f"{route.name}: {few} queries for {FEW} rows but {many} for {MANY} (an N+1?)"
    assert many <= MAX_QUERIES, f"{route.name}: {many} queries for one list page (more than {MAX_QUERIES})"
