"""Read-only questions other modules ask about teachers (the grade book asks who may enter grades).

Every answer goes through the scoping door with the asking actor.
"""

from __future__ import annotations

from django.db.models import QuerySet

from sms.accounts.roles import Role
from sms.accounts.scoping import visible_to

from .models import StaffRecord, TeachingAssignment


def staff_for_user(user) -> StaffRecord | None:
    """The staff record of an account (one per person, whatever the schools), or None."""
    if user is None or not getattr(user, "pk", None):
        return None
    return StaffRecord.objects.filter(user=user).first()


def assignments_of(actor, semester=None) -> QuerySet:
    """The actor's own teaching assignments (of one semester if given), through the door."""
    if actor is None or getattr(actor, "membership", None) is None:
        return TeachingAssignment.objects.none()
    qs = visible_to(actor, TeachingAssignment).filter(teacher__user=actor.user)
    if semester is not None:
        qs = qs.filter(semester=semester)
    return qs.select_related("semester__school_year", "school_class", "subject", "teacher")


def assignment_for(actor, school_class, subject, semester) -> TeachingAssignment | None:
    """The actor's own assignment to teach ``subject`` in ``school_class`` in ``semester``."""
    if school_class is None or subject is None or semester is None:
        return None
    return assignments_of(actor, semester).filter(school_class=school_class, subject=subject).first()


def can_enter_grades(actor, school_class, subject, semester) -> bool:
    """Only the teacher assigned to that class, subject and semester, acting as a teacher, may
    enter its grades: not the homeroom teacher, not the principal (Thông tư 22/2021)."""
    if actor is None or getattr(actor, "membership", None) is None or actor.role != Role.TEACHER:
        return False
    return assignment_for(actor, school_class, subject, semester) is not None


def assignments_visible_to(actor) -> QuerySet:
    """Every teaching assignment the actor may read (a school's leaders: all of their school),
    through the door — the grade book's sheet list starts from these."""
    return visible_to(actor, TeachingAssignment).select_related(
        "semester__school_year", "school_class", "subject", "teacher"
    )


def teacher_name_of(semester_id: int, school_class_id: int, subject_id: int) -> str | None:
    """The name of the teacher assigned to a class and subject in a semester (shown on a sheet
    the caller already reached through the door), or None."""
    return (
        TeachingAssignment.objects.filter(
            semester_id=semester_id, school_class_id=school_class_id, subject_id=subject_id
        )
        .values_list("teacher__full_name", flat=True)
        .first()
    )


def teacher_names(triples) -> dict[tuple[int, int, int], str]:
    """``teacher_name_of`` for many (semester id, class id, subject id) at once, in one query:
    the first assigned teacher's name of each triple found (rows the caller already reached
    through the door, e.g. the years of a record book)."""
    triples = set(triples)
    if not triples:
        return {}
    found: dict[tuple[int, int, int], str] = {}
    rows = (
        TeachingAssignment.objects.filter(
            semester_id__in={t[0] for t in triples}, school_class_id__in={t[1] for t in triples}
        )
        .order_by("pk")
        .values_list("semester_id", "school_class_id", "subject_id", "teacher__full_name")
    )
    for semester_id, class_id, subject_id, name in rows:
        key = (semester_id, class_id, subject_id)
        if key in triples:
            found.setdefault(key, name)
    return found
