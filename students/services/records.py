"""Use-cases of learner records: the record itself, guardians, exemptions, enrolment in a
class, and the movements (transfer within the Sở, drop-out, return, graduation).

Each function is one transaction, re-checks who acts through the door (``visible_to`` /
``can`` / ``units_for``) and keeps row history attributed to the actor (``acting_as``). The
HTML pages and the API call the same functions, so they cannot disagree.

A transfer moves only ``Student.school``: the rows of the years spent at the old school
(enrolments and what hangs on them) keep their school, so the old school keeps reading them,
while the learner's record (address, family) is read from then on by the new school only.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sms.accounts.roles import SCHOOL_LEVEL_KINDS
from sms.accounts.scoping import can, units_for, visible_to
from sms.audit.history import acting_as
from sms.org.models import AdministrativeArea, AreaLevel, SchoolClass, Unit

from ..models import (
    SCHOOL_WRITERS,
    Enrolment,
    Exemption,
    Guardian,
    MovementKind,
    Score,
    ScoreSheet,
    Student,
    StudentMovement,
    StudentStatus,
)

NOT_ALLOWED = "Bạn không có quyền sửa hồ sơ học sinh này."
#: a learner code or personal ID already in use (at any school): the messages name no school
CODE_TAKEN = "Mã định danh đã được dùng; nếu học sinh chuyển đến, đề nghị trường cũ làm thủ tục chuyển trường."
PID_TAKEN = "Số định danh cá nhân đã được dùng cho một học sinh khác."
#: the grades that end a level of schooling (hoàn thành chương trình tiểu học, tốt nghiệp THCS/THPT)
FINAL_GRADES = frozenset({5, 9, 12})
#: the area levels a home address hangs on
ADDRESS_LEVELS = (AreaLevel.COMMUNE, AreaLevel.VILLAGE)


# --- helpers ------------------------------------------------------------------------------------


def _today() -> dt.date:
    return timezone.localdate()


def _locked(actor, model, obj, message: str = NOT_ALLOWED):
    """``obj`` re-read and locked for the transaction, if the actor may change it."""
    found = visible_to(actor, model, "change").select_for_update(of=("self",)).filter(pk=obj.pk).first()
    if found is None:
        raise PermissionDenied(message)
    return found


def _require_school_writer(actor, student: Student) -> None:
    """The principal or school admin of the learner's current school."""
    if actor is None or actor.role not in SCHOOL_WRITERS or actor.unit_id != student.school_id:
        raise PermissionDenied("Chỉ hiệu trưởng hoặc quản trị của trường đang quản lý học sinh mới thực hiện được.")


def _within(day: dt.date, year) -> dt.date:
    """``day`` brought inside the school year (a past or future year's class starts at its bounds)."""
    return min(max(day, year.starts_on), year.ends_on)


def _check_date(value, field: str = "effective_on", label: str = "Ngày hiệu lực") -> dt.date:
    if not isinstance(value, dt.date):
        raise ValidationError({field: f"{label} không hợp lệ (dd/mm/yyyy)."})
    return value


def address_areas(actor, *, on: dt.date | None = None):
    """The communes and villages an address may hang on: what the door shows the actor (the
    Sở's catalogue is inherited by its schools), valid on ``on`` (default today)."""
    day = on or _today()
    return (
        visible_to(actor, AdministrativeArea)
        .filter(level__in=ADDRESS_LEVELS)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=day))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        .order_by("path")
    )


def _check_area(actor, student: Student, previous_area_id: int | None) -> None:
    """A newly chosen address area must be a commune or village in reach and valid today; an
    unchanged one (perhaps merged since) is kept as it was."""
    if student.address_area_id is None or student.address_area_id == previous_area_id:
        return
    if not address_areas(actor).filter(pk=student.address_area_id).exists():
        raise ValidationError(
            {
                "address_area": "Hãy chọn xã/phường hoặc thôn/tổ dân phố đang còn hiệu lực "
                "(địa bàn đã sáp nhập thì chọn địa bàn mới)."
            }
        )


def school_units_of_so(unit: Unit):
    """Schools and centres of the Sở that ``unit`` belongs to (open ones): the targets of a transfer."""
    root = unit.path_ids[0]
    return Unit.objects.filter(path__startswith=f"{root}/", kind__in=SCHOOL_LEVEL_KINDS, is_active=True).order_by(
        "name"
    )


def current_enrolment(student: Student, school=None) -> Enrolment | None:
    """The learner's open enrolment at ``school`` (default: their current school), latest year first."""
    school_id = school.pk if school is not None else student.school_id
    return (
        Enrolment.objects.filter(student=student, school_id=school_id, left_on__isnull=True)
        .select_related("school_year", "school_class")
        .order_by("-school_year__start_year")
        .first()
    )


# --- the record -------------------------------------------------------------------------------------


def identifier_errors(student: Student) -> dict[str, str]:
    """The learner code and personal ID must be unused by any other learner, at any school;
    the message is the same whoever holds them (it reveals no other school's learner)."""
    others = Student.objects.exclude(pk=student.pk) if student.pk else Student.objects.all()
    errors = {}
    if student.learner_code and others.filter(learner_code=student.learner_code).exists():
        errors["learner_code"] = CODE_TAKEN
    if student.personal_id and others.filter(personal_id=student.personal_id).exists():
        errors["personal_id"] = PID_TAKEN
    return errors


def save_student(actor, student: Student) -> Student:
    """Create or update a learner's record. A new record belongs to the actor's school (only a
    school's principal or admin writes records); an existing one keeps its school (moved only by
    ``transfer``) and its learner code (Thông tư 42/2021: created once, never changed)."""
    with transaction.atomic(), acting_as(actor):
        previous_area = None
        identity = None
        if student.pk is None:
            if not units_for(actor, Student, "add").filter(pk=student.school_id).exists():
                raise PermissionDenied("Bạn không có quyền thêm học sinh cho trường này.")
        else:
            stored = _locked(actor, Student, student)
            if stored.learner_code != student.learner_code:
                raise ValidationError({"learner_code": "Mã định danh học sinh không được thay đổi."})
            if stored.school_id != student.school_id:
                raise ValidationError({"school": "Không đổi trường ở đây; dùng chức năng chuyển trường."})
            if stored.status != student.status:
                raise ValidationError({"status": "Tình trạng học sinh chỉ đổi qua biến động (thôi học, trở lại…)."})
            previous_area = stored.address_area_id
            identity = _identity(stored)
        _check_area(actor, student, previous_area)
        errors = identifier_errors(student)
        if errors:
            raise ValidationError(errors)
        student.full_clean()
        student.save()
        if identity is not None and identity != _identity(student):
            # what the portal's published results show and are opened with (name, birth date, codes)
            from .portal import sync_students

            sync_students([student.pk])
        return student


def _identity(student: Student) -> tuple:
    return (student.learner_code, student.full_name, student.birth_date, student.lookup_code)


def save_guardian(actor, guardian: Guardian) -> Guardian:
    """Add or edit a parent or guardian of a learner the actor may write."""
    with transaction.atomic(), acting_as(actor):
        _locked(actor, Student, guardian.student)
        if guardian.pk is not None:
            stored = _locked(actor, Guardian, guardian)
            if stored.student_id != guardian.student_id:
                raise ValidationError({"student": "Không chuyển người giám hộ sang học sinh khác."})
        guardian.full_clean()
        guardian.save()
        return guardian


def remove_guardian(actor, guardian: Guardian) -> None:
    """Remove a parent or guardian (kept in the row history)."""
    with transaction.atomic(), acting_as(actor):
        _locked(actor, Guardian, guardian).delete()


def save_exemption(actor, exemption: Exemption) -> Exemption:
    """Add or edit an exempted or individual-plan subject of an enrolment; the subject must be
    the school's, and the enrolment's year not closed."""
    with transaction.atomic(), acting_as(actor):
        enrolment = _locked(actor, Enrolment, exemption.enrolment, "Bạn không có quyền sửa năm học này của học sinh.")
        subjects = {exemption.subject_id}
        if exemption.pk is not None:
            stored = _locked(actor, Exemption, exemption)
            if stored.enrolment_id != exemption.enrolment_id:
                raise ValidationError({"enrolment": "Không chuyển sang học sinh khác."})
            subjects.add(stored.subject_id)
        if enrolment.school_year.is_closed:
            raise ValidationError("Năm học đã khoá sổ, không sửa miễn giảm được.")
        exemption.school_id = enrolment.school_id
        if exemption.subject_id and exemption.subject.school_id != enrolment.school_id:
            raise ValidationError({"subject": "Môn học phải là môn của trường."})
        exemption.reason = (exemption.reason or "").strip()
        exemption.full_clean()
        exemption.save()
        _refresh_semester_results(enrolment, subjects)
        # a refreshed semester row that was approved goes back to "computed": off the portal too
        from .portal import sync_enrolments

        sync_enrolments([enrolment.pk])
        return exemption


def _refresh_semester_results(enrolment: Enrolment, subject_ids) -> None:
    """The grade book's semester results of this learner in these subjects follow the change
    (an exempted learner's row is left out, a learner no longer exempted is counted again)."""
    from .gradebook import refresh_sheet_results

    sheets = ScoreSheet.objects.filter(school_class_id=enrolment.school_class_id, subject_id__in=subject_ids)
    for sheet in sheets.select_related("semester", "school_class"):
        refresh_sheet_results(sheet, [enrolment.pk])


# --- enrolment --------------------------------------------------------------------------------------


def enrol(actor, student: Student, school_class: SchoolClass, enrolled_on: dt.date | None = None) -> Enrolment:
    """Put a learner in a class of their current school. One class a school year: if the
    learner already has a class that year, they move to ``school_class`` (history kept)."""
    with transaction.atomic(), acting_as(actor):
        student = _locked(actor, Student, student)
        _require_school_writer(actor, student)
        if school_class is None or not visible_to(actor, SchoolClass).filter(pk=school_class.pk).exists():
            raise ValidationError({"school_class": "Không tìm thấy lớp."})
        school_class = SchoolClass.objects.select_related("school_year").get(pk=school_class.pk)
        if school_class.school_id != student.school_id:
            raise ValidationError({"school_class": "Lớp phải thuộc trường đang quản lý học sinh."})
        if school_class.school_year.is_closed:
            raise ValidationError({"school_class": "Năm học của lớp đã khoá sổ."})
        if student.status != StudentStatus.STUDYING:
            raise ValidationError(f"Học sinh đang ở tình trạng “{student.get_status_display()}”, không xếp lớp được.")
        existing = (
            Enrolment.objects.select_for_update().filter(student=student, school_year=school_class.school_year).first()
        )
        if existing is not None:
            return _move_class(existing, school_class, reopen=True)
        enrolment = Enrolment(
            school=student.school,
            student=student,
            school_year=school_class.school_year,
            school_class=school_class,
            enrolled_on=enrolled_on if enrolled_on is not None else _within(_today(), school_class.school_year),
        )
        enrolment.full_clean()
        enrolment.save()
        return enrolment


def change_class(actor, enrolment: Enrolment, school_class: SchoolClass) -> Enrolment:
    """Move a learner to another class of the same school year (chuyển lớp), keeping history."""
    with transaction.atomic(), acting_as(actor):
        enrolment = _locked(actor, Enrolment, enrolment, "Bạn không có quyền chuyển lớp cho học sinh này.")
        if actor.role not in SCHOOL_WRITERS or actor.unit_id != enrolment.school_id:
            raise PermissionDenied("Chỉ hiệu trưởng hoặc quản trị của trường mới chuyển lớp được.")
        if school_class is None or not visible_to(actor, SchoolClass).filter(pk=school_class.pk).exists():
            raise ValidationError({"school_class": "Không tìm thấy lớp."})
        if school_class.school_year_id != enrolment.school_year_id:
            raise ValidationError({"school_class": "Chỉ chuyển sang lớp cùng năm học."})
        if enrolment.school_year.is_closed:
            raise ValidationError({"school_class": "Năm học đã khoá sổ."})
        if enrolment.left_on is not None:
            raise ValidationError("Học sinh đã rời lớp; không chuyển lớp được.")
        return _move_class(enrolment, school_class, reopen=False)


def _scores_in_running_semester(enrolment: Enrolment) -> bool:
    """Whether the learner already has scores in a sheet of their class for a semester that has
    not ended: a semester result is computed from one class's sheet, so moving class in the
    middle of a semester would split it. Moves at the semester break are fine."""
    return (
        Score.objects.filter(enrolment=enrolment, sheet__school_class_id=enrolment.school_class_id)
        .exclude(value="")
        .filter(sheet__semester__ends_on__gte=_today())
        .exists()
    )


def _move_class(enrolment: Enrolment, school_class: SchoolClass, *, reopen: bool) -> Enrolment:
    changed = False
    if enrolment.school_class_id != school_class.pk:
        if _scores_in_running_semester(enrolment):
            raise ValidationError(
                {
                    "school_class": "Học sinh đã có điểm ở lớp hiện tại trong học kỳ đang diễn ra; "
                    "chỉ chuyển lớp vào đầu học kỳ hoặc sau khi kết thúc học kỳ."
                }
            )
        enrolment.school_class = school_class
        changed = True
    if reopen and enrolment.left_on is not None:
        enrolment.left_on = None
        changed = True
    if changed:
        enrolment.full_clean()
        enrolment.save()
        # the class (and its grade) decides what a grade's publication covers
        from .portal import sync_enrolments

        sync_enrolments([enrolment.pk])
    return enrolment


# --- movements --------------------------------------------------------------------------------------


def _movement(actor, student, kind, effective_on, reason, to_school=None) -> StudentMovement:
    movement = StudentMovement(
        school_id=student.school_id,
        student=student,
        kind=kind,
        to_school=to_school,
        effective_on=effective_on,
        reason=(reason or "").strip(),
        recorded_by=actor.user,
    )
    movement.full_clean()
    movement.save()
    return movement


def _leave_class(student: Student, school_id: int, on: dt.date) -> None:
    """End the learner's open enrolments at ``school_id`` on ``on``."""
    for enrolment in Enrolment.objects.select_for_update().filter(
        student=student, school_id=school_id, left_on__isnull=True
    ):
        if enrolment.enrolled_on and on < enrolment.enrolled_on:
            raise ValidationError(
                {"effective_on": f"Ngày hiệu lực trước ngày vào lớp {enrolment.enrolled_on:%d/%m/%Y}."}
            )
        enrolment.left_on = on
        enrolment.save()


def transfer(
    actor,
    student: Student,
    to_school: Unit,
    effective_on: dt.date,
    reason: str = "",
    *,
    to_class: SchoolClass | None = None,
) -> StudentMovement:
    """Chuyển trường within the Sở, by the principal or admin of the current school: the
    learner's current school becomes ``to_school``; the open enrolment at the old school ends
    on ``effective_on``; the movement is recorded at the old school; with ``to_class`` (a class
    of the new school's current year) the learner is enrolled there from ``effective_on``."""
    _check_date(effective_on)
    with transaction.atomic(), acting_as(actor):
        student = _locked(actor, Student, student)
        _require_school_writer(actor, student)
        if student.status != StudentStatus.STUDYING:
            raise ValidationError(
                f"Học sinh đang ở tình trạng “{student.get_status_display()}”, không chuyển trường được."
            )
        if to_school is None or not school_units_of_so(actor.unit).filter(pk=to_school.pk).exists():
            raise ValidationError({"to_school": "Chỉ chuyển đến trường hoặc trung tâm đang hoạt động thuộc cùng Sở."})
        if to_school.pk == student.school_id:
            raise ValidationError({"to_school": "Trường chuyển đến trùng với trường hiện tại."})
        if to_class is not None:
            fresh = SchoolClass.objects.select_related("school_year").filter(pk=to_class.pk).first()
            if (
                fresh is None
                or fresh.school_id != to_school.pk
                or not fresh.school_year.is_current
                or fresh.school_year.is_closed
            ):
                raise ValidationError({"to_class": "Lớp không thuộc năm học hiện tại của trường chuyển đến."})
            to_class = fresh
        old_school_id = student.school_id
        _leave_class(student, old_school_id, effective_on)
        movement = _movement(actor, student, MovementKind.TRANSFER, effective_on, reason, to_school=to_school)
        student.school = to_school
        student.status = StudentStatus.STUDYING
        student.status_changed_on = effective_on
        student.full_clean()
        student.save()
        if to_class is not None:
            existing = Enrolment.objects.filter(student=student, school_year=to_class.school_year).first()
            if existing is not None:
                _move_class(existing, to_class, reopen=True)
            else:
                enrolment = Enrolment(
                    school=to_school,
                    student=student,
                    school_year=to_class.school_year,
                    school_class=to_class,
                    enrolled_on=effective_on,
                )
                enrolment.full_clean()
                enrolment.save()
        return movement


def drop_out(actor, student: Student, effective_on: dt.date, reason: str = "") -> StudentMovement:
    """Thôi học: the learner stops studying; the open enrolment ends on ``effective_on``."""
    _check_date(effective_on)
    with transaction.atomic(), acting_as(actor):
        student = _locked(actor, Student, student)
        _require_school_writer(actor, student)
        if student.status != StudentStatus.STUDYING:
            raise ValidationError("Chỉ học sinh đang học mới ghi thôi học được.")
        _leave_class(student, student.school_id, effective_on)
        movement = _movement(actor, student, MovementKind.DROP_OUT, effective_on, reason)
        _set_status(student, StudentStatus.DROPPED, effective_on)
        return movement


def readmit(
    actor, student: Student, effective_on: dt.date, reason: str = "", *, to_class: SchoolClass | None = None
) -> StudentMovement:
    """Trở lại học: a learner who had dropped out studies again (optionally in ``to_class``)."""
    _check_date(effective_on)
    with transaction.atomic(), acting_as(actor):
        student = _locked(actor, Student, student)
        _require_school_writer(actor, student)
        if student.status != StudentStatus.DROPPED:
            raise ValidationError("Chỉ học sinh đã thôi học mới ghi trở lại học được.")
        movement = _movement(actor, student, MovementKind.RETURN, effective_on, reason)
        _set_status(student, StudentStatus.STUDYING, effective_on)
        if to_class is not None:
            enrol(actor, student, to_class, enrolled_on=effective_on)
        return movement


def graduate(actor, student: Student, effective_on: dt.date, reason: str = "") -> StudentMovement:
    """Hoàn thành chương trình / tốt nghiệp: a learner of a final grade (5, 9 or 12) leaves
    with the level completed. The year's enrolment is kept whole (the year was completed)."""
    _check_date(effective_on)
    with transaction.atomic(), acting_as(actor):
        student = _locked(actor, Student, student)
        _require_school_writer(actor, student)
        if student.status != StudentStatus.STUDYING:
            raise ValidationError("Chỉ học sinh đang học mới ghi hoàn thành chương trình được.")
        last = (
            Enrolment.objects.filter(student=student, school_id=student.school_id)
            .select_related("school_class")
            .order_by("-school_year__start_year")
            .first()
        )
        if last is None or last.school_class.grade not in FINAL_GRADES:
            raise ValidationError("Chỉ học sinh lớp cuối cấp (lớp 5, 9 hoặc 12) mới ghi hoàn thành chương trình.")
        movement = _movement(actor, student, MovementKind.GRADUATE, effective_on, reason)
        _set_status(student, StudentStatus.GRADUATED, effective_on)
        return movement


def _set_status(student: Student, status: str, on: dt.date) -> None:
    student.status = status
    student.status_changed_on = on
    student.save()


#: movement kind → the service recording it (transfer takes ``to_school`` as well)
MOVEMENT_SERVICES = {
    MovementKind.TRANSFER: transfer,
    MovementKind.DROP_OUT: drop_out,
    MovementKind.RETURN: readmit,
    MovementKind.GRADUATE: graduate,
}


def may_record_movement(actor, student: Student) -> bool:
    return (
        actor is not None
        and actor.role in SCHOOL_WRITERS
        and actor.unit_id == student.school_id
        and can(actor, "change", student)
    )
