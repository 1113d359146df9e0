"""Staff movements (biến động cán bộ): transfer, leave, return, retirement — one transaction each.

A transfer moves the person's current school (``StaffRecord.school``) and keeps the history:
the movement row stays at the old school, the person's memberships there are ended (kept,
never deleted), and the rows of past years (assignments, evaluations, training) keep their
school, so the old school still reads its years. The person keeps working: status WORKING.
Only an actor who administers both schools (a Sở/Phòng admin whose reach covers both) may
transfer; a school's admins record leave, return and retirement of their own staff.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from sms.accounts.models import Membership
from sms.accounts.roles import Role, UnitKind
from sms.accounts.scoping import units_for, visible_to
from sms.accounts.services import end_membership, grant_membership
from sms.audit.history import acting_as

from .models import MovementKind, StaffMovement, StaffRecord, StaffStatus

SCHOOL_KINDS = (UnitKind.SCHOOL, UnitKind.CENTRE)


def _locked_staff(actor, staff: StaffRecord) -> StaffRecord:
    """The record, locked, if the actor may change it; otherwise the same refusal as "not found"."""
    found = visible_to(actor, StaffRecord, "change").select_for_update().filter(pk=staff.pk).first()
    if found is None:
        raise PermissionDenied("Bạn không có quyền ghi biến động của cán bộ này.")
    return found


def _end_memberships(actor, staff: StaffRecord, unit) -> None:
    if staff.user_id is None:
        return
    for membership in Membership.objects.filter(user_id=staff.user_id, unit=unit, is_active=True):
        end_membership(actor, membership)


def _record(actor, staff, kind, effective_on, decision, note, to_school=None) -> StaffMovement:
    if not isinstance(effective_on, dt.date):
        raise ValidationError({"effective_on": "Ngày hiệu lực không hợp lệ."})
    movement = StaffMovement(
        school=staff.school,
        staff=staff,
        kind=kind,
        to_school=to_school,
        effective_on=effective_on,
        decision=(decision or "").strip(),
        note=(note or "").strip(),
        recorded_by=actor.user,
    )
    movement.full_clean()
    movement.save()
    return movement


def transfer(actor, staff: StaffRecord, to_school, effective_on, decision: str = "", note: str = "") -> StaffMovement:
    """Chuyển công tác to another school of the same Sở, by a common superior of both schools."""
    with transaction.atomic(), acting_as(actor):
        staff = _locked_staff(actor, staff)
        if actor.unit.kind in SCHOOL_KINDS:
            raise PermissionDenied("Chuyển công tác do Phòng hoặc Sở quản lý cả hai trường thực hiện.")
        reach = units_for(actor, StaffRecord, "change")
        if to_school is None or not reach.filter(pk=to_school.pk, kind__in=SCHOOL_KINDS).exists():
            raise ValidationError({"to_school": "Không tìm thấy trường chuyển đến trong phạm vi bạn quản lý."})
        if to_school.pk == staff.school_id:
            raise ValidationError({"to_school": "Trường chuyển đến trùng với trường hiện tại."})
        if staff.status == StaffStatus.RETIRED:
            raise ValidationError("Cán bộ đã nghỉ hưu, không thể chuyển công tác.")
        old_school = staff.school
        movement = _record(actor, staff, MovementKind.TRANSFER, effective_on, decision, note, to_school=to_school)
        _end_memberships(actor, staff, old_school)
        staff.school = to_school
        staff.subject_group = None  # the old school's group
        staff.status = StaffStatus.WORKING
        staff.save()
        if staff.user_id is not None:
            grant_membership(actor, user=staff.user, unit=to_school, role=Role.TEACHER)
        return movement


def leave(actor, staff: StaffRecord, effective_on, decision: str = "", note: str = "") -> StaffMovement:
    """Tạm nghỉ (leave): WORKING → ON_LEAVE."""
    return _change_status(
        actor, staff, MovementKind.LEAVE, effective_on, decision, note, {StaffStatus.WORKING}, StaffStatus.ON_LEAVE
    )


def return_to_work(actor, staff: StaffRecord, effective_on, decision: str = "", note: str = "") -> StaffMovement:
    """Trở lại công tác: ON_LEAVE → WORKING."""
    return _change_status(
        actor, staff, MovementKind.RETURN, effective_on, decision, note, {StaffStatus.ON_LEAVE}, StaffStatus.WORKING
    )


def retire(actor, staff: StaffRecord, effective_on, decision: str = "", note: str = "") -> StaffMovement:
    """Nghỉ hưu: → RETIRED, and the person's memberships at the school end."""
    return _change_status(
        actor,
        staff,
        MovementKind.RETIRE,
        effective_on,
        decision,
        note,
        {StaffStatus.WORKING, StaffStatus.ON_LEAVE},
        StaffStatus.RETIRED,
        end_memberships=True,
    )


_STATUS_ERRORS = {
    MovementKind.LEAVE: "Chỉ cán bộ đang công tác mới có thể tạm nghỉ.",
    MovementKind.RETURN: "Chỉ cán bộ đang tạm nghỉ mới có thể trở lại công tác.",
    MovementKind.RETIRE: "Cán bộ đã nghỉ hưu hoặc đã chuyển đi.",
}


def _change_status(actor, staff, kind, effective_on, decision, note, allowed, new_status, *, end_memberships=False):
    with transaction.atomic(), acting_as(actor):
        staff = _locked_staff(actor, staff)
        if staff.status not in allowed:
            raise ValidationError(_STATUS_ERRORS[kind])
        movement = _record(actor, staff, kind, effective_on, decision, note)
        staff.status = new_status
        staff.save()
        if end_memberships:
            _end_memberships(actor, staff, staff.school)
        return movement


KIND_SERVICES = {
    MovementKind.TRANSFER: transfer,
    MovementKind.LEAVE: leave,
    MovementKind.RETURN: return_to_work,
    MovementKind.RETIRE: retire,
}
