"""Staff records: pages and API share the filters; one person, however many schools; tenancy."""

from __future__ import annotations

import datetime as dt

import pytest

from sms.accounts.roles import Role
from sms.audit.models import AuditEvent, EventKind
from teachers.filters import age_band_q
from teachers.models import Position, QualificationLevel, StaffRecord, SubjectGroup
from tests.makers.teachers import staff
from tests.world import api_client, grant, make_user, web_client

pytestmark = pytest.mark.django_db

LIST = "/giao-vien/can-bo/"
API = "/api/teachers/staff/"


def _record(side, name, **extra):
    return StaffRecord.objects.create(school=side.school, full_name=name, **extra)


def test_principal_adds_a_record_through_the_form_and_finds_it_in_the_list(world):
    group = SubjectGroup.objects.create(school=world.a.school, name="Tổ Toán – Tin")
    client = web_client(world.a.m(Role.PRINCIPAL))
    response = client.post(
        "/giao-vien/can-bo/them/",
        {
            "school": world.a.school.pk,
            "staff_code": "GV001",
            "full_name": "Đặng Thị Ánh",
            "birth_date": "02/09/1990",
            "position": Position.TEACHER,
            "subject_group": group.pk,
            "subjects": [world.a.subject.pk],
            "qualification_level": QualificationLevel.BACHELOR,
            "rank_code": "V.07.04.31",
            "employment_type": "bien_che",
            "email": "anhdt@c2a.edu.vn",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    record = StaffRecord.objects.get(full_name="Đặng Thị Ánh")
    assert record.school == world.a.school and record.birth_date == dt.date(1990, 9, 2)
    page = client.get(LIST + "?q=dang thi anh").content.decode()
    assert record.get_absolute_url() in page and "02/09/1990" in page


def test_private_mailbox_is_refused_in_vietnamese(world):
    client = web_client(world.a.m(Role.PRINCIPAL))
    response = client.post(
        "/giao-vien/can-bo/them/",
        {
            "school": world.a.school.pk,
            "full_name": "Lê Văn Cường",
            "position": "teacher",
            "employment_type": "bien_che",
            "email": "cuong@gmail.com",
        },
    )
    assert response.status_code == 200
    assert "hộp thư công vụ" in response.content.decode()
    assert not StaffRecord.objects.filter(full_name="Lê Văn Cường").exists()


def test_detail_is_audited_and_shows_movements_section(world):
    record = staff(world.a)
    response = web_client(world.a.m(Role.PRINCIPAL)).get(record.get_absolute_url())
    assert response.status_code == 200
    body = response.content.decode()
    assert record.full_name in body and "Phân công chuyên môn" in body and "Biến động" in body
    assert AuditEvent.objects.filter(kind=EventKind.RECORD_READ, object_id=str(record.pk)).count() == 1


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "nguyen"}, {"Nguyễn Văn Hùng", "Nguyễn Thị Lan"}),
        ({"position": "principal"}, {"Nguyễn Văn Hùng"}),
        ({"qualification_level": "thac_si"}, {"Nguyễn Thị Lan"}),
        ({"rank_code": "V.07.04.32"}, {"Trần Minh Đức"}),
        ({"status": "on_leave"}, {"Trần Minh Đức"}),
        ({"age_band": "u30"}, {"Trần Minh Đức"}),
        ({"age_band": "50p"}, {"Nguyễn Văn Hùng"}),
        ({"age_band": "40_49"}, set()),
    ],
)
def test_the_same_filters_drive_the_page_and_the_api(world, params, expected):
    today = dt.date.today()
    _record(world.a, "Nguyễn Văn Hùng", position="principal", birth_date=today.replace(year=today.year - 55))
    _record(world.a, "Nguyễn Thị Lan", qualification_level="thac_si", birth_date=dt.date(today.year - 35, 1, 1))
    _record(
        world.a, "Trần Minh Đức", rank_code="V.07.04.32", status="on_leave", birth_date=dt.date(today.year - 25, 1, 1)
    )
    _record(world.b, "Nguyễn Văn Bắc", position="principal", birth_date=today.replace(year=today.year - 55))
    principal = world.a.m(Role.PRINCIPAL)
    rows = api_client(principal).get(API, params).json()["results"]
    assert {r["full_name"] for r in rows} == expected
    page = web_client(principal).get(LIST, params).content.decode()
    for name in {"Nguyễn Văn Hùng", "Nguyễn Thị Lan", "Trần Minh Đức", "Nguyễn Văn Bắc"}:
        assert (name in page) == (name in expected), name


@pytest.mark.parametrize(
    ("born", "band", "inside"),
    [
        (dt.date(1996, 6, 2), "u30", True),  # 29 on 01/06/2026 (birthday tomorrow)
        (dt.date(1996, 6, 1), "u30", False),  # 30 today
        (dt.date(1996, 6, 1), "30_39", True),
        (dt.date(1986, 6, 2), "30_39", True),  # 39
        (dt.date(1986, 6, 1), "30_39", False),  # 40 today
        (dt.date(1986, 6, 1), "40_49", True),
        (dt.date(1976, 6, 2), "40_49", True),
        (dt.date(1976, 6, 1), "40_49", False),
        (dt.date(1976, 6, 1), "50p", True),
        (dt.date(1976, 6, 2), "50p", False),
    ],
)
def test_age_band_boundaries(world, born, band, inside):
    record = _record(world.a, "Phạm Văn Biên", birth_date=born)
    matched = StaffRecord.objects.filter(age_band_q(band, dt.date(2026, 6, 1)), pk=record.pk).exists()
    assert matched is inside


def test_one_person_in_two_schools_is_one_record_with_two_memberships(world):
    user = make_user(full_name="Vũ Thị Hoa")
    grant(user, world.a.school, Role.TEACHER)
    grant(user, world.b.school, Role.TEACHER)
    _record(world.a, "Vũ Thị Hoa", user=user, personal_id="001190000001")
    assert user.memberships.filter(is_active=True).count() == 2
    # School B cannot file a second record for the same person.
    response = api_client(world.b.m(Role.PRINCIPAL)).post(
        API,
        {
            "school": world.b.school.pk,
            "full_name": "Vũ Thị Hoa",
            "personal_id": "001190000001",
            "position": "teacher",
            "employment_type": "bien_che",
            "subjects": [],
        },
        format="json",
    )
    assert response.status_code == 400
    assert StaffRecord.objects.filter(personal_id="001190000001").count() == 1


def test_school_a_teacher_cannot_see_school_b_staff(world):
    theirs = staff(world.b)
    mine = staff(world.a)
    teacher = world.a.m(Role.TEACHER)
    client = api_client(teacher)
    assert client.get(f"{API}{theirs.pk}/").status_code == 404
    ids = {r["id"] for r in client.get(API).json()["results"]}
    assert mine.pk in ids and theirs.pk not in ids
    assert web_client(teacher).get(theirs.get_absolute_url()).status_code == 404


def test_teacher_reads_but_cannot_edit(world):
    record = staff(world.a)
    client = api_client(world.a.m(Role.TEACHER))
    assert client.patch(f"{API}{record.pk}/", {"phone": "0912345678"}, format="json").status_code == 403
    record.refresh_from_db()
    assert record.phone == ""


def test_school_is_not_changed_by_an_update(world):
    record = staff(world.a)
    client = api_client(world.members["so_admin"])
    response = client.patch(f"{API}{record.pk}/", {"school": world.b.school.pk}, format="json")
    assert response.status_code == 400
    assert "chuyển công tác" in str(response.json())
    record.refresh_from_db()
    assert record.school == world.a.school


def test_subject_group_crud_and_foreign_group_refused(world):
    client = api_client(world.a.m(Role.PRINCIPAL))
    response = client.post(
        "/api/teachers/groups/", {"school": world.a.school.pk, "name": "Tổ Ngữ văn", "subjects": []}, format="json"
    )
    assert response.status_code == 201
    foreign = SubjectGroup.objects.create(school=world.b.school, name="Tổ B")
    record = staff(world.a)
    response = client.patch(f"{API}{record.pk}/", {"subject_group": foreign.pk}, format="json")
    assert response.status_code == 400
    page = web_client(world.a.m(Role.PRINCIPAL)).get("/giao-vien/to-chuyen-mon/").content.decode()
    assert "Tổ Ngữ văn" in page and "Tổ B" not in page
