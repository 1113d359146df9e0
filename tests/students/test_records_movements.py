"""Movements: a transfer within the Sở moves only the current-school pointer (the old school
keeps reading its years, no longer the record); drop-out, return and graduation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sms.accounts.roles import Role, UnitKind
from sms.org.models import SchoolClass, Unit
from sms.org.services import create_school_year
from students.models import Enrolment, Guardian, MovementKind, StudentMovement, StudentStatus
from students.services import records as services
from tests.makers.students import enrolment
from tests.world import api_client, web_client

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 11, 2)


@pytest.fixture
def pupil(world):
    """A learner of school A in A's class, with a mother on record."""
    e = enrolment(world.a)
    e.enrolled_on = dt.date(2026, 9, 5)
    e.save()
    Guardian.objects.create(student=e.student, relation="mother", full_name="Lê Thị Mai", phone="0912345678")
    return e


def test_transfer_moves_only_the_pointer_and_the_old_school_keeps_its_years(world, pupil):
    s, old = pupil.student, pupil
    principal_a = world.actor(world.a.m(Role.PRINCIPAL))
    movement = services.transfer(principal_a, s, world.b.school, DAY, "Gia đình chuyển nơi ở", to_class=world.b.klass)

    s.refresh_from_db()
    old.refresh_from_db()
    assert (s.school, s.status) == (world.b.school, StudentStatus.STUDYING)
    assert (old.school, old.left_on) == (world.a.school, DAY)  # the old year stays where it happened
    new = Enrolment.objects.get(student=s, school=world.b.school)
    assert (new.school_class, new.enrolled_on) == (world.b.klass, DAY)
    assert (movement.school, movement.kind, movement.to_school) == (
        world.a.school,
        MovementKind.TRANSFER,
        world.b.school,
    )

    # The old school: its enrolment (and the class list) yes; the record, the family no.
    a = web_client(world.a.m(Role.PRINCIPAL))
    assert a.get(f"/hoc-sinh/ho-so/{s.pk}/").status_code == 404
    assert a.get(f"/hoc-sinh/nam-hoc-cua-hoc-sinh/{old.pk}/").status_code == 200
    assert s.full_name in a.get(f"/hoc-sinh/lop/{world.a.klass.pk}/").content.decode()
    moved_away = a.get("/hoc-sinh/bien-dong/", {"kind": "transfer"}).content.decode()
    assert s.full_name in moved_away and movement.get_absolute_url() in moved_away
    api_a = api_client(world.a.m(Role.PRINCIPAL))
    assert api_a.get(f"/api/students/students/{s.pk}/").status_code == 404
    guardians = api_a.get("/api/students/guardians/").json()["results"]
    assert all(row["student"] != s.pk for row in guardians)
    assert api_a.get(f"/api/students/enrolments/{old.pk}/").status_code == 200

    # The new school reads the record and the family, and its own year.
    b = web_client(world.b.m(Role.PRINCIPAL))
    page = b.get(f"/hoc-sinh/ho-so/{s.pk}/").content.decode()
    assert "Lê Thị Mai" in page and world.b.klass.name in page
    assert b.get(f"/hoc-sinh/nam-hoc-cua-hoc-sinh/{new.pk}/").status_code == 200
    assert b.get(f"/hoc-sinh/nam-hoc-cua-hoc-sinh/{old.pk}/").status_code == 404


def test_transfer_through_the_page_names_a_class_of_the_new_school(world, pupil):
    s = pupil.student
    client = web_client(world.a.m(Role.PRINCIPAL))
    page = client.get(f"/hoc-sinh/ho-so/{s.pk}/bien-dong/").content.decode()
    assert world.b.school.name in page  # a school of the same Sở is a choice
    data = {"kind": "transfer", "to_school": world.b.school.pk, "effective_on": "02/11/2026", "reason": "Chuyển nhà"}
    bad = client.post(f"/hoc-sinh/ho-so/{s.pk}/bien-dong/", {**data, "to_class": "9Z9"})
    assert bad.status_code == 200 and "9Z9" in bad.context["form"].errors["to_class"][0]
    assert not StudentMovement.objects.exists()
    response = client.post(f"/hoc-sinh/ho-so/{s.pk}/bien-dong/", {**data, "to_class": world.b.klass.name})
    movement = StudentMovement.objects.get()
    assert response.status_code == 302 and response["Location"] == movement.get_absolute_url()
    assert Enrolment.objects.filter(student=s, school_class=world.b.klass).exists()


def test_transfer_outside_the_so_is_refused(world, pupil):
    other_so = Unit.objects.create(kind=UnitKind.SO, code="SO2", name="Sở GD&ĐT tỉnh Khác")
    far = Unit.objects.create(
        kind=UnitKind.SCHOOL, school_type="C2", code="C2X", name="Trường THCS Xa", parent=other_so
    )
    create_school_year(far, 2026, make_current=True)
    actor = world.actor(world.a.m(Role.PRINCIPAL))
    with pytest.raises(ValidationError, match="cùng Sở"):
        services.transfer(actor, pupil.student, far, DAY)
    response = web_client(world.a.m(Role.PRINCIPAL)).post(
        f"/hoc-sinh/ho-so/{pupil.student.pk}/bien-dong/",
        {"kind": "transfer", "to_school": far.pk, "effective_on": "02/11/2026"},
    )
    assert response.status_code == 200 and "to_school" in response.context["form"].errors
    pupil.student.refresh_from_db()
    assert pupil.student.school == world.a.school and not StudentMovement.objects.exists()


def test_a_class_of_another_school_or_year_is_refused_as_the_target(world, pupil):
    actor = world.actor(world.a.m(Role.PRINCIPAL))
    with pytest.raises(ValidationError, match="năm học hiện tại của trường chuyển đến"):
        services.transfer(actor, pupil.student, world.b.school, DAY, to_class=world.a.klass)
    assert not StudentMovement.objects.exists() and Enrolment.objects.get().left_on is None


@pytest.mark.parametrize("who", ["teacher", "clerk", "phong1_admin", "so_admin", "principal_b"])
def test_only_the_current_schools_leaders_transfer(world, pupil, who):
    membership = {
        "teacher": world.a.m(Role.TEACHER),
        "clerk": world.a.m(Role.CLERK),
        "principal_b": world.b.m(Role.PRINCIPAL),
    }.get(who) or world.members[who]
    with pytest.raises(PermissionDenied):
        services.transfer(world.actor(membership), pupil.student, world.b.school, DAY)
    assert not StudentMovement.objects.exists()


def test_drop_out_return_and_graduation(world, pupil):
    s = pupil.student
    actor = world.actor(world.a.m(Role.SCHOOL_ADMIN))
    services.drop_out(actor, s, DAY, "Hoàn cảnh gia đình")
    s.refresh_from_db()
    pupil.refresh_from_db()
    assert (s.status, s.status_changed_on, pupil.left_on) == (StudentStatus.DROPPED, DAY, DAY)
    with pytest.raises(ValidationError, match="đang học"):
        services.drop_out(actor, s, DAY)
    with pytest.raises(ValidationError, match="không chuyển trường"):
        services.transfer(actor, s, world.b.school, DAY)

    back = dt.date(2026, 11, 16)
    services.readmit(actor, s, back, "Gia đình cho đi học lại", to_class=world.a.klass)
    s.refresh_from_db()
    pupil.refresh_from_db()
    assert s.status == StudentStatus.STUDYING and pupil.left_on is None  # the year's row re-opened
    assert list(StudentMovement.objects.values_list("kind", flat=True)) == [MovementKind.RETURN, MovementKind.DROP_OUT]

    with pytest.raises(ValidationError, match="lớp cuối cấp"):
        services.graduate(actor, s, dt.date(2027, 5, 31))
    ninth = SchoolClass.objects.create(school=world.a.school, school_year=world.a.year, grade=9, name="9A1")
    services.change_class(actor, pupil, ninth)
    services.graduate(actor, s, dt.date(2027, 5, 31))
    s.refresh_from_db()
    assert s.status == StudentStatus.GRADUATED
    assert StudentMovement.objects.filter(kind=MovementKind.GRADUATE, school=world.a.school).exists()


def test_movements_through_the_page(world, pupil):
    s = pupil.student
    client = web_client(world.a.m(Role.PRINCIPAL))
    response = client.post(
        f"/hoc-sinh/ho-so/{s.pk}/bien-dong/",
        {"kind": "drop_out", "effective_on": "02/11/2026", "reason": "Ốm dài ngày"},
    )
    assert response.status_code == 302 and response["Location"] == f"/hoc-sinh/ho-so/{s.pk}/"
    again = client.post(f"/hoc-sinh/ho-so/{s.pk}/bien-dong/", {"kind": "drop_out", "effective_on": "03/11/2026"})
    assert again.status_code == 200 and "Chỉ học sinh đang học" in again.content.decode()
    bad_date = client.post(f"/hoc-sinh/ho-so/{s.pk}/bien-dong/", {"kind": "return", "effective_on": "2026-31-12"})
    assert bad_date.status_code == 200 and "effective_on" in bad_date.context["form"].errors
    assert StudentMovement.objects.count() == 1
    assert web_client(world.a.m(Role.TEACHER)).get(f"/hoc-sinh/ho-so/{s.pk}/bien-dong/").status_code == 403


def test_an_effective_date_before_the_class_started_is_refused(world, pupil):
    actor = world.actor(world.a.m(Role.PRINCIPAL))
    with pytest.raises(ValidationError, match="trước ngày vào lớp"):
        services.drop_out(actor, pupil.student, dt.date(2026, 8, 1))
    pupil.student.refresh_from_db()
    assert pupil.student.status == StudentStatus.STUDYING and not StudentMovement.objects.exists()
