"""Transfer, leave, return and retirement: one service, history kept, old school keeps its years."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sms.accounts.models import Membership
from sms.accounts.roles import Role
from teachers import movements
from teachers.models import Evaluation, MovementKind, StaffMovement, StaffStatus, TeachingAssignment
from tests.makers.teachers import staff
from tests.world import api_client, web_client

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 9, 1)


@pytest.fixture
def teacher(world):
    """School A's teacher account with a record, an assignment and an evaluation at A."""
    membership = world.a.m(Role.TEACHER)
    record = staff(world.a, user=membership.user)
    assignment = TeachingAssignment.objects.create(
        school=world.a.school,
        semester=world.a.year.semesters.get(number=1),
        school_class=world.a.klass,
        subject=world.a.subject,
        teacher=record,
    )
    evaluation = Evaluation.objects.create(school=world.a.school, school_year=world.a.year, staff=record)
    return record, assignment, evaluation


def test_so_admin_transfers_a_to_b_and_history_is_kept(world, teacher):
    record, assignment, evaluation = teacher
    so = world.actor(world.members["so_admin"])
    movement = movements.transfer(so, record, world.b.school, DAY, decision="123/QĐ-SGDĐT")
    record.refresh_from_db()
    assert record.school == world.b.school
    assert record.status == StaffStatus.WORKING  # they keep working, at B
    assert movement.school == world.a.school and movement.to_school == world.b.school
    old = Membership.objects.get(pk=world.a.m(Role.TEACHER).pk)
    assert old.is_active is False and old.ends_on is not None  # ended, kept
    assert Membership.objects.filter(user=record.user, unit=world.b.school, role=Role.TEACHER, is_active=True).exists()

    a_principal = api_client(world.a.m(Role.PRINCIPAL))
    assert a_principal.get(f"/api/teachers/staff/{record.pk}/").status_code == 404
    assert a_principal.get(f"/api/teachers/assignments/{assignment.pk}/").status_code == 200
    assert web_client(world.a.m(Role.PRINCIPAL)).get(f"/giao-vien/bien-dong/{movement.pk}/").status_code == 200
    assert Evaluation.objects.filter(pk=evaluation.pk, school=world.a.school).exists()
    b_principal = api_client(world.b.m(Role.PRINCIPAL))
    assert b_principal.get(f"/api/teachers/staff/{record.pk}/").status_code == 200
    assert record.history.count() >= 2


def test_transfer_needs_a_common_superior(world, teacher):
    record, _, _ = teacher
    with pytest.raises(ValidationError):  # Phòng 1 does not administer school B
        movements.transfer(world.actor(world.members["phong1_admin"]), record, world.b.school, DAY)
    with pytest.raises(PermissionDenied):  # a principal records leave, not transfers
        movements.transfer(world.actor(world.a.m(Role.PRINCIPAL)), record, world.b.school, DAY)
    with pytest.raises(PermissionDenied):  # Phòng 2 cannot touch A's staff
        movements.transfer(world.actor(world.members["phong2_admin"]), record, world.b.school, DAY)
    record.refresh_from_db()
    assert record.school == world.a.school
    assert not StaffMovement.objects.exists()


def test_principal_records_leave_return_and_retirement(world, teacher):
    record, _, _ = teacher
    principal = world.actor(world.a.m(Role.PRINCIPAL))
    movements.leave(principal, record, DAY)
    record.refresh_from_db()
    assert record.status == StaffStatus.ON_LEAVE
    with pytest.raises(ValidationError):
        movements.leave(principal, record, DAY)
    movements.return_to_work(principal, record, DAY)
    record.refresh_from_db()
    assert record.status == StaffStatus.WORKING
    with pytest.raises(ValidationError):
        movements.return_to_work(principal, record, DAY)
    movements.retire(principal, record, DAY, decision="45/QĐ")
    record.refresh_from_db()
    assert record.status == StaffStatus.RETIRED
    assert not Membership.objects.filter(user=record.user, is_active=True).exists()
    assert list(StaffMovement.objects.filter(staff=record).values_list("kind", flat=True).order_by("pk")) == [
        MovementKind.LEAVE,
        MovementKind.RETURN,
        MovementKind.RETIRE,
    ]


def test_teacher_cannot_record_movements(world, teacher):
    record, _, _ = teacher
    with pytest.raises(PermissionDenied):
        movements.leave(world.actor(world.a.m("teacher2")), record, DAY)


def test_movement_page_and_api(world, teacher):
    record, _, _ = teacher
    client = web_client(world.a.m(Role.PRINCIPAL))
    response = client.post(
        f"/giao-vien/can-bo/{record.pk}/bien-dong/", {"kind": "leave", "effective_on": "01/09/2026", "decision": "7/QĐ"}
    )
    assert response.status_code == 302
    page = client.get("/giao-vien/bien-dong/").content.decode()
    assert "Tạm nghỉ" in page and "01/09/2026" in page
    # a principal's transfer is refused with a Vietnamese message, nothing written
    response = client.post(
        f"/giao-vien/can-bo/{record.pk}/bien-dong/",
        {"kind": "transfer", "to_school": world.a.school.pk, "effective_on": "01/09/2026"},
    )
    assert response.status_code == 200 and "Phòng hoặc Sở" in response.content.decode()
    api = api_client(world.members["so_admin"])
    response = api.post(
        f"/api/teachers/staff/{record.pk}/movement/",
        {"kind": "transfer", "to_school": world.b.school.pk, "effective_on": "2026-10-01"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    record.refresh_from_db()
    assert record.school == world.b.school
    foreign = staff(world.b)
    response = api_client(world.members["phong1_admin"]).post(
        f"/api/teachers/staff/{foreign.pk}/movement/", {"kind": "leave", "effective_on": "2026-10-01"}, format="json"
    )
    assert response.status_code == 404
