"""In-service training (BDTX, Thông tư 19/2019): the teacher's own plan, scores entered by the
school, the result of the rules, on the pages and through the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sms.accounts.roles import Role
from teachers.models import Position, StaffRecord, TrainingPlan
from tests.world import api_client, web_client

pytestmark = pytest.mark.django_db

API = "/api/teachers/training-plans/"


def record(side, key, position=Position.TEACHER) -> StaffRecord:
    user = side.m(key).user
    return StaffRecord.objects.create(school=side.school, user=user, full_name=user.full_name, position=position)


@pytest.fixture
def a(world):
    side = world.a
    side.teacher = record(side, Role.TEACHER)
    side.teacher2 = record(side, "teacher2")
    return side


def plan_data(a, staff, **extra):
    return {
        "school_year": a.year.pk,
        "staff": staff.pk,
        "content1_periods": 40,
        "content2_periods": 40,
        "content3_periods": 40,
        "content3_modules": "GVPT 01, GVPT 02",
        "submitted_on": "20/05/2026",
        **extra,
    }


def test_teacher_plans_own_training_without_scores(a):
    client = web_client(a.m(Role.TEACHER))
    form = client.get(reverse("teachers:training-create")).content.decode()
    assert 'name="score1"' not in form
    assert f'value="{a.teacher.pk}"' in form and f'value="{a.teacher2.pk}"' not in form  # only their own record

    response = client.post(reverse("teachers:training-create"), plan_data(a, a.teacher2))
    assert response.status_code == 200 and not TrainingPlan.objects.exists()  # someone else's plan: refused

    response = client.post(reverse("teachers:training-create"), plan_data(a, a.teacher, score1="9"))
    plan = TrainingPlan.objects.get()
    assert response.status_code == 302 and plan.staff == a.teacher and plan.score1 is None
    assert plan.school == a.school
    page = client.get(plan.get_absolute_url()).content.decode()
    assert "Chưa có kết quả" in page and "20/05/2026" in page


@pytest.mark.parametrize(
    ("scores", "periods3", "label"),
    [
        (("8", "7,5", "5"), 40, "Hoàn thành"),
        (("8", "7,5", "4,9"), 40, "Không hoàn thành"),
        (("8", "7,5", "9"), 39, "Không hoàn thành"),
        (("8", "", "9"), 40, "Chưa có kết quả"),
    ],
)
def test_school_enters_scores_and_the_result_follows_the_rules(a, scores, periods3, label):
    plan = TrainingPlan.objects.create(school=a.school, school_year=a.year, staff=a.teacher)
    principal = web_client(a.m(Role.PRINCIPAL))
    data = plan_data(a, a.teacher, content3_periods=periods3, score1=scores[0], score2=scores[1], score3=scores[2])
    response = principal.post(reverse("teachers:training-update", kwargs={"pk": plan.pk}), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    listing = principal.get(reverse("teachers:training-list")).content.decode()
    assert plan.get_absolute_url() in listing and label in listing


def test_a_teacher_sees_only_own_plans_and_clerks_none(a):
    mine = TrainingPlan.objects.create(school=a.school, school_year=a.year, staff=a.teacher)
    theirs = TrainingPlan.objects.create(school=a.school, school_year=a.year, staff=a.teacher2)
    page = web_client(a.m(Role.TEACHER)).get(reverse("teachers:training-list")).content.decode()
    assert mine.get_absolute_url() in page and theirs.get_absolute_url() not in page
    assert web_client(a.m(Role.TEACHER)).get(theirs.get_absolute_url()).status_code == 404
    assert web_client(a.m(Role.CLERK)).get(reverse("teachers:training-list")).status_code == 403


def test_api_teacher_cannot_set_scores_or_plan_for_others(a):
    teacher = api_client(a.m(Role.TEACHER))
    body = {k: v for k, v in plan_data(a, a.teacher).items() if k != "submitted_on"}
    response = teacher.post(API, {**body, "score1": "9.0"}, format="json")
    assert response.status_code == 400 and "score1" in response.json()["errors"]
    response = teacher.post(API, {**body, "staff": a.teacher2.pk}, format="json")
    assert response.status_code == 400 and "staff" in response.json()["errors"]
    response = teacher.post(API, body, format="json")
    assert response.status_code == 201 and response.json()["result"] == "pending"
    pk = response.json()["id"]

    principal = api_client(a.m(Role.PRINCIPAL))
    response = principal.patch(f"{API}{pk}/", {"score1": "5.0", "score2": "6.5", "score3": "10.0"}, format="json")
    assert response.status_code == 200 and response.json()["result"] == "completed"
    response = principal.patch(f"{API}{pk}/", {"staff": a.teacher2.pk}, format="json")
    assert response.status_code == 400
    response = principal.patch(f"{API}{pk}/", {"score2": "11"}, format="json")
    assert response.status_code == 400
    assert TrainingPlan.objects.get(pk=pk).staff == a.teacher
    # once scored, the teacher can no longer change the plan (the result would change with it)
    response = teacher.patch(f"{API}{pk}/", {"content3_periods": 10}, format="json")
    assert response.status_code == 400 and TrainingPlan.objects.get(pk=pk).content3_periods == 40
    form = plan_data(a, a.teacher, content1_periods=10)
    response = web_client(a.m(Role.TEACHER)).post(reverse("teachers:training-update", kwargs={"pk": pk}), form)
    assert "chỉ nhà trường được sửa" in response.content.decode()
    assert TrainingPlan.objects.get(pk=pk).content1_periods == 40
    listed = {row["id"] for row in api_client(a.m("teacher2")).get(API).json()["results"]}
    assert pk not in listed


def test_review_a_scored_plan_cannot_be_deleted_through_the_api(world):
    from decimal import Decimal

    from teachers.models import StaffRecord, TrainingPlan
    from tests.world import api_client

    teacher = world.a.m(Role.TEACHER)
    staff = StaffRecord.objects.create(school=world.a.school, user=teacher.user, full_name="Giáo Viên Có Điểm")
    plan = TrainingPlan.objects.create(
        school=world.a.school, school_year=world.a.year, staff=staff, score1=Decimal("4.0")
    )
    for membership in (teacher, world.a.m(Role.PRINCIPAL)):
        response = api_client(membership).delete(f"/api/teachers/training-plans/{plan.pk}/")
        assert response.status_code == 403, response.content
    assert TrainingPlan.objects.filter(pk=plan.pk, score1=Decimal("4.0")).exists()
