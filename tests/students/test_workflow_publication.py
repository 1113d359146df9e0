"""What the public portal may show: nothing until the principal publishes a term (optionally
one grade); withdrawing hides it again (issue 5, acceptance 6)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sms.accounts.roles import Role
from students.models import Period, Publication
from students.services import workflow as wf
from students.services.workflow import WorkflowError, is_published
from tests.world import api_client, web_client


@pytest.fixture
def principal(world):
    return world.actor(world.a.m(Role.PRINCIPAL))


def test_nothing_is_public_until_published(world, principal):
    side = world.a
    assert not is_published(side.school, side.year, Period.SEMESTER_1)
    publication = wf.publish(principal, side.year, Period.SEMESTER_1)
    assert publication.published_by == principal.user and publication.include_scores
    assert is_published(side.school, side.year, Period.SEMESTER_1)
    assert is_published(side.school, side.year, Period.SEMESTER_1, grade=6)
    assert not is_published(side.school, side.year, Period.YEAR)
    assert not is_published(world.b.school, world.b.year, Period.SEMESTER_1)
    wf.withdraw(principal, publication)
    assert not is_published(side.school, side.year, Period.SEMESTER_1)
    assert not is_published(side.school, side.year, Period.SEMESTER_1, grade=6)
    history = list(Publication.history.filter(id=publication.pk).order_by("history_date"))
    assert [h.history_type for h in history] == ["+", "~"] and history[-1].withdrawn_at is not None


def test_a_grade_publication_covers_that_grade_only(world, principal):
    side = world.a
    wf.publish(principal, side.year, Period.YEAR, grade=7, include_scores=False)
    assert is_published(side.school, side.year, Period.YEAR, grade=7)
    assert not is_published(side.school, side.year, Period.YEAR, grade=6)
    assert not is_published(side.school, side.year, Period.YEAR)


def test_publishing_rules(world, principal):
    side = world.a
    publication = wf.publish(principal, side.year, Period.SEMESTER_1)
    with pytest.raises(WorkflowError, match="đã được công bố"):
        wf.publish(principal, side.year, Period.SEMESTER_1)
    with pytest.raises(WorkflowError, match="Khối 3 không có"):
        wf.publish(principal, side.year, Period.SEMESTER_2, grade=3)
    for who in (world.a.m(Role.SCHOOL_ADMIN), world.a.m(Role.TEACHER), world.b.m(Role.PRINCIPAL)):
        with pytest.raises(WorkflowError) as caught:
            wf.publish(world.actor(who), side.year, Period.SEMESTER_2)
        assert caught.value.status == 403
        with pytest.raises(WorkflowError):
            wf.withdraw(world.actor(who), publication)
    wf.withdraw(principal, publication)
    with pytest.raises(WorkflowError, match="đã được thu hồi"):
        wf.withdraw(principal, publication)
    # published again after a withdrawal
    assert wf.publish(principal, side.year, Period.SEMESTER_1).pk != publication.pk


def test_publication_pages(world):
    side = world.a
    client = web_client(side.m(Role.PRINCIPAL))
    data = {"school_year": side.year.pk, "period": Period.SEMESTER_1, "grade": "", "include_scores": "on"}
    response = client.post(reverse("students:publication-create"), data)
    publication = Publication.objects.get()
    assert response.status_code == 302 and response["Location"] == publication.get_absolute_url()
    page = client.post(reverse("students:publication-create"), data).content.decode()
    assert "đã được công bố" in page and Publication.objects.count() == 1
    listing = client.get(reverse("students:publication-list")).content.decode()
    assert publication.get_absolute_url() in listing and "Đang công bố" in listing
    detail = client.get(publication.get_absolute_url()).content.decode()
    assert "Thu hồi công bố" in detail
    admin_detail = web_client(side.m(Role.SCHOOL_ADMIN)).get(publication.get_absolute_url()).content.decode()
    assert "Thu hồi công bố" not in admin_detail
    withdraw = reverse("students:publication-withdraw", kwargs={"pk": publication.pk})
    response = web_client(side.m(Role.SCHOOL_ADMIN)).post(withdraw, follow=True)
    assert "Chỉ hiệu trưởng" in response.content.decode()
    assert client.post(withdraw).status_code == 302
    publication.refresh_from_db()
    assert publication.withdrawn_at is not None
    assert web_client(side.m(Role.TEACHER)).get(reverse("students:publication-create")).status_code == 403
    assert web_client(world.b.m(Role.PRINCIPAL)).post(withdraw).status_code == 404


def test_publication_api(world):
    side = world.a
    client = api_client(side.m(Role.PRINCIPAL))
    body = {"school_year": side.year.pk, "period": "cn", "grade": 6, "include_scores": False}
    response = client.post("/api/students/publications/", body, format="json")
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert response.json()["grade"] == 6 and response.json()["published_by"] == side.m(Role.PRINCIPAL).user.pk
    response = client.post("/api/students/publications/", body, format="json")
    assert response.status_code == 400
    foreign = {**body, "school_year": world.b.year.pk}
    assert client.post("/api/students/publications/", foreign, format="json").status_code == 400
    teacher = api_client(side.m(Role.TEACHER))
    assert teacher.post("/api/students/publications/", {**body, "period": "hk1"}, format="json").status_code == 403
    response = client.post(f"/api/students/publications/{pk}/withdraw/", {}, format="json")
    assert response.status_code == 200 and response.json()["withdrawn_at"]
    assert not is_published(side.school, side.year, Period.YEAR, grade=6)
