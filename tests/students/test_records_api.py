"""The records API under /api/students/: the same services and rules as the pages."""

from __future__ import annotations

import pytest

from sms.accounts.roles import Role
from sms.audit.models import AuditEvent, EventKind
from sms.org.models import SchoolClass, Subject
from students.models import Enrolment, Exemption, Guardian, MovementKind, Student, StudentMovement
from students.services import records as services
from tests.makers.students import enrolment, student
from tests.world import api_client

pytestmark = pytest.mark.django_db
API = "/api/students"


def payload(**values) -> dict:
    data = {
        "learner_code": "3700000009",
        "personal_id": "037214000009",
        "full_name": "Đỗ Minh Khang",
        "birth_date": "2014-05-20",
        "sex": "M",
        "ethnicity": "Kinh",
        "address": "Xóm 3",
    }
    data.update(values)
    return data


def test_create_read_update_and_the_learner_code_never_changes(world):
    client = api_client(world.a.m(Role.PRINCIPAL))
    response = client.post(f"{API}/students/", payload(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["school"] == world.a.school.pk and body["status"] == "studying"
    pk = body["id"]
    changed = client.patch(f"{API}/students/{pk}/", {"learner_code": "1111111111"}, format="json")
    assert changed.status_code == 400
    assert changed.json()["errors"]["learner_code"] == ["Mã định danh học sinh không được thay đổi."]
    renamed = client.patch(f"{API}/students/{pk}/", {"full_name": "Đỗ Minh Khôi"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["learner_code"] == "3700000009"
    s = Student.objects.get(pk=pk)
    assert s.full_name == "Đỗ Minh Khôi" and s.history.count() == 2
    # school and status are not the client's to set
    client.patch(f"{API}/students/{pk}/", {"school": world.b.school.pk, "status": "dropped"}, format="json")
    s.refresh_from_db()
    assert (s.school, s.status) == (world.a.school, "studying")


def test_validation_messages_and_a_code_in_use_elsewhere(world):
    theirs = student(world.b)
    client = api_client(world.a.m(Role.PRINCIPAL))
    response = client.post(f"{API}/students/", payload(personal_id="123"), format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["personal_id"] == ["Số định danh cá nhân gồm đúng 12 chữ số."]
    response = client.post(f"{API}/students/", payload(ethnicity="Klingon"), format="json")
    assert "54 dân tộc" in response.json()["errors"]["ethnicity"][0]
    response = client.post(f"{API}/students/", payload(learner_code=theirs.learner_code), format="json")
    assert response.json()["errors"]["learner_code"] == [services.CODE_TAKEN]
    assert Student.objects.count() == 1


def test_each_retrieve_is_a_logged_read_and_lists_search_without_diacritics(world):
    s = student(world.a)
    s.full_name = "Nguyễn Thị Hương"
    s.save()
    client = api_client(world.members["phong1_staff"])
    assert client.get(f"{API}/students/{s.pk}/").status_code == 200
    (read,) = AuditEvent.objects.filter(kind=EventKind.RECORD_READ)
    assert (read.unit, read.object_id) == (world.a.school, str(s.pk))
    rows = client.get(f"{API}/students/", {"q": "nguyen thi huong"}).json()["results"]
    assert [r["id"] for r in rows] == [s.pk]
    assert not AuditEvent.objects.filter(kind=EventKind.RECORD_READ).exclude(pk=read.pk).exists()  # lists are not


def test_guardians_through_the_api(world):
    s, theirs = student(world.a), student(world.b)
    client = api_client(world.a.m(Role.PRINCIPAL))
    data = {"student": s.pk, "relation": "father", "full_name": "Đỗ Văn Hải", "phone": "0901234567"}
    response = client.post(f"{API}/guardians/", data, format="json")
    assert response.status_code == 201
    pk = response.json()["id"]
    assert client.post(f"{API}/guardians/", {**data, "student": theirs.pk}, format="json").status_code == 400
    moved = client.patch(f"{API}/guardians/{pk}/", {"student": student(world.a).pk}, format="json")
    assert moved.status_code == 400
    assert client.patch(f"{API}/guardians/{pk}/", {"phone": "0911111111"}, format="json").status_code == 200
    assert client.delete(f"{API}/guardians/{pk}/").status_code == 204
    assert not Guardian.objects.exists()
    assert api_client(world.a.m(Role.TEACHER)).post(f"{API}/guardians/", data, format="json").status_code == 403


def test_enrolments_create_and_change_class_through_the_api(world):
    s = student(world.a)
    other = SchoolClass.objects.create(school=world.a.school, school_year=world.a.year, grade=6, name="6A2")
    client = api_client(world.a.m(Role.PRINCIPAL))
    response = client.post(f"{API}/enrolments/", {"student": s.pk, "school_class": world.a.klass.pk}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["school"], body["school_year"]) == (world.a.school.pk, world.a.year.pk)
    moved = client.patch(f"{API}/enrolments/{body['id']}/", {"school_class": other.pk}, format="json")
    assert moved.status_code == 200 and moved.json()["school_class"] == other.pk
    assert Enrolment.objects.get().school_class == other
    foreign = client.post(f"{API}/enrolments/", {"student": s.pk, "school_class": world.b.klass.pk}, format="json")
    assert foreign.status_code == 400
    listed = client.get(f"{API}/enrolments/", {"school_class": other.pk}).json()["results"]
    assert [r["id"] for r in listed] == [body["id"]]


def test_exemptions_through_the_api(world):
    e = enrolment(world.a)
    gdtc = Subject.objects.create(school=world.a.school, code="gdtc", name="Giáo dục thể chất", assessment="comment")
    client = api_client(world.a.m(Role.PRINCIPAL))
    response = client.post(
        f"{API}/exemptions/", {"enrolment": e.pk, "subject": gdtc.pk, "reason": "Sức khoẻ"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert Exemption.objects.get().school == world.a.school
    foreign = client.post(
        f"{API}/exemptions/", {"enrolment": e.pk, "subject": world.b.subject.pk, "reason": "x"}, format="json"
    )
    assert foreign.status_code == 400
    assert client.get(f"{API}/exemptions/", {"student": e.student_id}).json()["count"] == 1


def test_movements_are_read_only_and_written_by_the_actions(world):
    e = enrolment(world.a)
    client = api_client(world.a.m(Role.PRINCIPAL))
    assert client.post(f"{API}/movements/", {}, format="json").status_code == 405
    response = client.post(
        f"{API}/students/{e.student_id}/movement/", {"kind": "drop_out", "effective_on": "2026-11-02"}, format="json"
    )
    assert response.status_code == 201 and response.json()["kind"] == MovementKind.DROP_OUT
    response = client.post(
        f"{API}/students/{e.student_id}/movement/",
        {"kind": "return", "effective_on": "2026-11-16", "to_class": world.a.klass.pk},
        format="json",
    )
    assert response.status_code == 201
    other = student(world.a)
    Enrolment.objects.create(school=world.a.school, student=other, school_year=world.a.year, school_class=world.a.klass)
    refused = client.post(
        f"{API}/students/{other.pk}/transfer/",
        {"to_school": world.a.school.pk, "effective_on": "2026-11-02"},
        format="json",
    )
    assert refused.status_code == 400 and "to_school" in refused.json()["errors"]
    response = client.post(
        f"{API}/students/{other.pk}/transfer/",
        {"to_school": world.b.school.pk, "effective_on": "2026-11-02", "to_class": world.b.klass.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert Student.objects.get(pk=other.pk).school == world.b.school
    rows = client.get(f"{API}/movements/", {"kind": "transfer"}).json()["results"]
    assert [r["student"] for r in rows] == [other.pk]
    assert StudentMovement.objects.count() == 3
    teacher = api_client(world.a.m(Role.TEACHER))
    assert (
        teacher.post(f"{API}/students/{e.student_id}/movement/", {"kind": "drop_out", "effective_on": "2026-11-20"})
    ).status_code in (403, 404)


def test_lists_carry_no_contacts_and_each_full_record_read_is_logged(world):
    """The API list shows who a learner is, not their personal ID, address or family contacts;
    those come one record at a time and every such read is in the activity log."""
    a = world.a
    s = student(a)
    s.personal_id, s.address = "037214000123", "Số 5, ngõ 7"
    s.save()
    mother = Guardian.objects.create(student=s, relation="mother", full_name="Lê Thị Mai", phone="0912345678")
    client = api_client(a.m(Role.PRINCIPAL))
    rows = client.get(f"{API}/students/").json()["results"]
    row = next(r for r in rows if r["id"] == s.pk)
    assert "personal_id" not in row and "address" not in row and row["full_name"] == s.full_name
    guardians = client.get(f"{API}/guardians/").json()["results"]
    assert "phone" not in next(g for g in guardians if g["id"] == mother.pk)
    assert not AuditEvent.objects.filter(kind=EventKind.RECORD_READ).exists()
    assert client.get(f"{API}/students/{s.pk}/").json()["personal_id"] == "037214000123"
    assert client.get(f"{API}/guardians/{mother.pk}/").json()["phone"] == "0912345678"
    assert AuditEvent.objects.filter(kind=EventKind.RECORD_READ).count() == 2
