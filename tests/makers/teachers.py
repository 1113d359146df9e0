"""Makers for module (b): a fresh row owned by ``side.school`` for each routed model."""

from __future__ import annotations

import datetime as dt
import itertools

from teachers.models import (
    CriterionRating,
    Evaluation,
    Position,
    StaffMovement,
    StaffRecord,
    SubjectGroup,
    TeachingAssignment,
    TeachingNorm,
    TrainingPlan,
)

from ..world import SchoolSide, make_user

_n = itertools.count(1)


def staff(side: SchoolSide, *, user=None) -> StaffRecord:
    n = next(_n)
    return StaffRecord.objects.create(
        school=side.school,
        user=user if user is not None else make_user(full_name=f"Giáo Viên Số {n}"),
        staff_code=f"GV{n:04d}",
        full_name=f"Giáo Viên Số {n}",
        birth_date=dt.date(1985, 1, 1) + dt.timedelta(days=n),
        position=Position.TEACHER,
    )


def group(side: SchoolSide) -> SubjectGroup:
    return SubjectGroup.objects.create(school=side.school, name=f"Tổ Khoa học {next(_n)}")


def movement(side: SchoolSide) -> StaffMovement:
    return StaffMovement.objects.create(
        school=side.school, staff=staff(side), kind="leave", effective_on=dt.date(2026, 9, 1)
    )


def assignment(side: SchoolSide) -> TeachingAssignment:
    from sms.org.models import SchoolClass
    from tests.factories import MAKERS

    klass = MAKERS[SchoolClass](side)
    return TeachingAssignment.objects.create(
        school=side.school,
        semester=side.year.semesters.get(number=1),
        school_class=klass,
        subject=side.subject,
        teacher=staff(side),
    )


def norm(side: SchoolSide) -> TeachingNorm:
    # A school-level row is the simplest owned row (normally a Sở sets the norms).
    return TeachingNorm.objects.create(
        unit=side.school, level="thcs", position=Position.TEACHER, boarding=bool(next(_n) % 2), periods_per_week=19
    )


def evaluation(side: SchoolSide) -> Evaluation:
    return Evaluation.objects.create(school=side.school, school_year=side.year, staff=staff(side))


def rating(side: SchoolSide) -> CriterionRating:
    ev = evaluation(side)
    return CriterionRating.objects.create(school=side.school, evaluation=ev, criterion=1)


def training(side: SchoolSide) -> TrainingPlan:
    return TrainingPlan.objects.create(school=side.school, school_year=side.year, staff=staff(side))


MAKERS = {
    StaffRecord: staff,
    SubjectGroup: group,
    StaffMovement: movement,
    TeachingAssignment: assignment,
    TeachingNorm: norm,
    Evaluation: evaluation,
    CriterionRating: rating,
    TrainingPlan: training,
}
