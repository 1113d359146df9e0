"""A row as saved must be one the door lets the actor write; otherwise nothing is saved.

Models that take their school from a relation (a class from its school year) must not let a
role that may only *read* that relation create rows through it.
"""

import pytest

from sms.accounts.roles import Role
from sms.org.models import SchoolClass
from tests.world import api_client, web_client


@pytest.mark.parametrize("role", [Role.TEACHER, Role.CLERK, Role.STUDENT])
def test_a_reader_cannot_create_a_class_through_the_api(world, role):
    before = SchoolClass.objects.count()
    payload = {"school_year": world.a.year.pk, "grade": world.a.school.grades[0], "name": "6Z"}
    response = api_client(world.a.m(role)).post("/api/org/classes/", payload, format="json")
    assert response.status_code == 403
    assert SchoolClass.objects.count() == before


def test_the_principal_still_can(world):
    payload = {"school_year": world.a.year.pk, "grade": world.a.school.grades[0], "name": "6Z"}
    response = api_client(world.a.m(Role.PRINCIPAL)).post("/api/org/classes/", payload, format="json")
    assert response.status_code == 201, response.content
    assert SchoolClass.objects.filter(school=world.a.school, name="6Z").exists()


def test_a_reader_cannot_create_a_class_through_the_form(world):
    before = SchoolClass.objects.count()
    payload = {"school_year": world.a.year.pk, "grade": world.a.school.grades[0], "name": "6Z"}
    response = web_client(world.a.m(Role.TEACHER)).post("/to-chuc/lop/them/", payload)
    assert response.status_code == 403
    assert SchoolClass.objects.count() == before
