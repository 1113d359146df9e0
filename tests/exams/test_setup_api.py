"""The setup area's API: the same services as the pages, so the same answers (issue 7,
acceptance 1)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exams.models import BoardMember, Exam, ExamKind, ExamSubject, PointRule
from exams.services import setup as services
from sms.accounts.actors import Actor
from sms.accounts.roles import Role
from tests.makers import exams as makers
from tests.world import api_client

pytestmark = pytest.mark.django_db


def actor(membership) -> Actor:
    return Actor(membership.user, membership)


def test_create_a_grade_10_admission_with_its_defaults(world):
    client = api_client(world.members["so_admin"])
    response = client.post(
        "/api/exams/exams/",
        {"unit": world.so.pk, "kind": "admission_10", "name": "Tuyển sinh lớp 10", "start_year": 2026},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["choices_allowed"], body["choice_margins"], body["kind_display"]) == (
        3,
        ["0", "1.5", "3"],
        "Tuyển sinh lớp 10",
    )
    exam = Exam.objects.get(pk=body["id"])
    assert exam.subjects.count() == 3 and exam.point_rules.count() > 0


def test_create_with_own_subjects_and_no_points_table(world):
    client = api_client(world.members["so_admin"])
    response = client.post(
        "/api/exams/exams/",
        {
            "unit": world.so.pk,
            "kind": "admission_10",
            "name": "Tuyển sinh lớp 10 (ba môn tự chọn)",
            "start_year": 2026,
            "initial_subjects": [
                {"code": "toan", "name": "Toán", "duration_minutes": 120, "starts_at": "2027-06-02T07:30:00+07:00"},
                {"code": "van", "name": "Ngữ văn", "duration_minutes": 120, "starts_at": "2027-06-02T08:30:00+07:00"},
            ],
            "default_point_rules": False,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "Trùng giờ" in response.json()["errors"]["starts_at"][0]
    assert not Exam.objects.exists()  # one transaction


@pytest.mark.parametrize(
    ("who", "payload", "status", "field"),
    [
        ("phong1_admin", {"kind": "admission_10"}, 400, "unit"),  # only a Sở runs it
        ("phong1_admin", {"kind": "gifted", "unit": "B"}, 400, "unit"),  # not their subtree
        ("teacher", {"kind": "gifted"}, 403, None),
        ("phong1_admin", {"kind": "intake_6", "choices_allowed": 4}, 400, "choices_allowed"),
        ("phong1_admin", {"kind": "gifted", "room_capacity": 0}, 400, "room_capacity"),
    ],
)
def test_create_is_refused_like_the_service(world, who, payload, status, field):
    membership = world.a.m(Role.TEACHER) if who == "teacher" else world.members[who]
    data = {"name": "Kỳ thi", "start_year": 2026, **payload}
    if data.get("unit") == "B":
        data["unit"] = world.b.school.pk
    response = api_client(membership).post("/api/exams/exams/", data, format="json")
    assert response.status_code == status, response.json()
    if field:
        assert field in response.json()["errors"]
    assert not Exam.objects.exists()


def test_list_follows_the_door_and_filters(world, django_assert_max_num_queries):
    so_exam = services.create_exam(
        actor(world.members["so_admin"]), unit=world.so, kind=ExamKind.ADMISSION_10, name="Lớp 10", start_year=2026
    )
    own = makers.exam(world.a)
    theirs = makers.exam(world.b)
    for _ in range(5):
        makers.exam(world.a)
    client = api_client(world.a.m(Role.PRINCIPAL))
    with django_assert_max_num_queries(8):
        rows = client.get("/api/exams/exams/").json()["results"]
    ids = {r["id"] for r in rows}
    assert {so_exam.pk, own.pk} <= ids and theirs.pk not in ids
    rows = client.get("/api/exams/exams/", {"kind": "admission_10"}).json()["results"]
    assert [r["id"] for r in rows] == [so_exam.pk]
    rows = client.get("/api/exams/exams/", {"unit": world.a.school.pk, "start_year": 2026}).json()["results"]
    assert so_exam.pk not in {r["id"] for r in rows} and own.pk in {r["id"] for r in rows}


def test_update_through_the_service(world):
    exam = makers.exam(world.a)
    makers.candidate(world.a, of=exam)
    client = api_client(world.a.m(Role.PRINCIPAL))
    response = client.patch(f"/api/exams/exams/{exam.pk}/", {"kind": "vocational"}, format="json")
    assert response.status_code == 400 and "đã có thí sinh" in response.json()["errors"]["kind"][0]
    response = client.patch(f"/api/exams/exams/{exam.pk}/", {"mark_threshold": "0.75"}, format="json")
    assert response.status_code == 200 and response.json()["mark_threshold"] == "0.75"
    # school B's principal: not found
    response = api_client(world.b.m(Role.PRINCIPAL)).patch(f"/api/exams/exams/{exam.pk}/", {"name": "X"}, format="json")
    assert response.status_code == 404


def test_subjects_api(world):
    exam = makers.exam(world.a)
    client = api_client(world.a.m(Role.PRINCIPAL))
    response = client.post(
        "/api/exams/subjects/",
        {"exam": exam.pk, "name": "Toán", "duration_minutes": 150, "starts_at": "2027-01-10T07:30:00+07:00"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    toan = ExamSubject.objects.get(pk=response.json()["id"])
    assert toan.code == "toan" and toan.order == 1
    response = client.post(
        "/api/exams/subjects/",
        {"exam": exam.pk, "name": "Văn", "duration_minutes": 90, "starts_at": "2027-01-10T09:00:00+07:00"},
        format="json",
    )
    assert response.status_code == 400 and "starts_at" in response.json()["errors"]
    other = makers.exam(world.a)
    response = client.patch(f"/api/exams/subjects/{toan.pk}/", {"exam": other.pk, "coefficient": "2"}, format="json")
    assert response.status_code == 200
    toan.refresh_from_db()
    assert (toan.exam_id, toan.coefficient) == (exam.pk, Decimal("2.0"))  # never moves to another exam
    assert client.delete(f"/api/exams/subjects/{toan.pk}/").status_code == 204
    assert not ExamSubject.objects.filter(pk=toan.pk).exists()


def test_board_api(world):
    exam = makers.exam(world.a)
    client = api_client(world.a.m(Role.PRINCIPAL))
    teacher = world.a.m(Role.TEACHER).user
    response = client.post(f"/api/exams/exams/{exam.pk}/board/", {"user": teacher.pk, "role": "marker"}, format="json")
    assert response.status_code == 201, response.json()
    seat = response.json()
    assert (seat["role_display"], seat["home_unit"]) == ("Cán bộ chấm thi", world.a.school.pk)
    response = client.post(
        f"/api/exams/exams/{exam.pk}/board/", {"user": teacher.pk, "role": "secretariat"}, format="json"
    )
    assert response.status_code == 400 and "ban thư ký" in response.json()["errors"]["role"][0]
    response = client.post(f"/api/exams/board/{seat['id']}/deactivate/", {"reason": "Ốm"}, format="json")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert BoardMember.objects.filter(pk=seat["id"]).exists()
    # the marker (a teacher) may not reactivate the seat themselves
    response = api_client(world.a.m(Role.TEACHER)).post(f"/api/exams/board/{seat['id']}/reactivate/")
    assert response.status_code == 403
    assert client.post(f"/api/exams/board/{seat['id']}/reactivate/").json()["is_active"] is True


def test_point_rules_api(world):
    exam = services.create_exam(
        actor(world.members["so_admin"]), unit=world.so, kind=ExamKind.ADMISSION_10, name="Lớp 10", start_year=2026
    )
    client = api_client(world.members["so_staff"])
    rows = client.get("/api/exams/point-rules/", {"exam": exam.pk, "kind": "priority"}).json()["results"]
    assert {r["code"] for r in rows} == {"ut1", "ut2", "ut3"}
    ut1 = PointRule.objects.get(exam=exam, code="ut1")
    response = client.patch(f"/api/exams/point-rules/{ut1.pk}/", {"points": "2.25"}, format="json")
    assert response.status_code == 200 and response.json()["points"] == "2.25"
    response = client.post(
        "/api/exams/point-rules/", {"exam": exam.pk, "kind": "bonus", "code": "kk1", "label": "x"}, format="json"
    )
    assert response.status_code == 400 and "code" in response.json()["errors"]
    makers.candidate(world.a, of=exam, priority=ut1)
    assert client.delete(f"/api/exams/point-rules/{ut1.pk}/").status_code == 400
    # school A's principal reads the table, does not change it
    principal = api_client(world.a.m(Role.PRINCIPAL))
    assert principal.get(f"/api/exams/point-rules/{ut1.pk}/").status_code == 200
    assert principal.patch(f"/api/exams/point-rules/{ut1.pk}/", {"points": "3"}, format="json").status_code == 403
