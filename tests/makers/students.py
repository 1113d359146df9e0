"""Makers for module (a): a fresh row owned by ``side.school`` for each routed model."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from students import rules
from students.models import (
    Absence,
    Correction,
    Enrolment,
    EntryDeadline,
    Exemption,
    Guardian,
    HomeroomAssessment,
    MovementKind,
    Period,
    Publication,
    Score,
    ScoreSheet,
    Student,
    StudentMovement,
    SubjectResult,
    TermResult,
    UnlockRequest,
    YearOpening,
)

from ..world import SchoolSide

_n = itertools.count(1)


def student(side: SchoolSide) -> Student:
    n = next(_n)
    return Student.objects.create(
        school=side.school,
        learner_code=f"{side.school.pk:03d}{n:07d}",
        full_name=f"Học Sinh Số {n}",
        birth_date=dt.date(2013, 1, 1) + dt.timedelta(days=n),
        sex="F" if n % 2 else "M",
    )


def enrolment(side: SchoolSide) -> Enrolment:
    return Enrolment.objects.create(
        school=side.school, student=student(side), school_year=side.year, school_class=side.klass
    )


def guardian(side: SchoolSide) -> Guardian:
    return Guardian.objects.create(student=student(side), relation="mother", full_name="Lê Thị Mai", phone="0912345678")


def movement(side: SchoolSide) -> StudentMovement:
    return StudentMovement.objects.create(
        school=side.school, student=student(side), kind=MovementKind.DROP_OUT, effective_on=dt.date(2026, 10, 1)
    )


def exemption(side: SchoolSide) -> Exemption:
    return Exemption.objects.create(
        school=side.school, enrolment=enrolment(side), subject=side.subject, reason="Sức khoẻ"
    )


def sheet(side: SchoolSide) -> ScoreSheet:
    """A semester-I sheet of the side's class, for a fresh scored subject (one sheet per
    semester × class × subject)."""
    from sms.org.models import Subject

    n = next(_n)
    subject = Subject.objects.create(school=side.school, code=f"mon-{n}", name=f"Môn {n}", assessment="scored")
    columns = rules.sheet_columns(
        rules.RuleSet.TT22,
        assessment="scored",
        periods_per_year=70,
        grade=side.klass.grade,
        subject_code="",
        semester=1,
    )
    return ScoreSheet.objects.create(
        school=side.school,
        semester=side.year.semesters.get(number=1),
        school_class=side.klass,
        subject=subject,
        rule_set=rules.RuleSet.TT22,
        columns=ScoreSheet.freeze_columns(columns),
    )


def score(side: SchoolSide) -> Score:
    the_sheet = sheet(side)
    return Score.objects.create(school=side.school, sheet=the_sheet, enrolment=enrolment(side), column="tx1", value="8")


def deadline(side: SchoolSide) -> EntryDeadline:
    n = next(_n)
    return EntryDeadline.objects.create(
        school=side.school,
        semester=side.year.semesters.get(number=1),
        grade=None if not EntryDeadline.objects.filter(school=side.school, grade__isnull=True).exists() else 6 + n % 4,
        closes_on=dt.date(2026, 12, 31),
    )


def unlock(side: SchoolSide) -> UnlockRequest:
    return UnlockRequest.objects.create(school=side.school, sheet=sheet(side), reason="Nhập nhầm điểm")


def homeroom(side: SchoolSide) -> HomeroomAssessment:
    return HomeroomAssessment.objects.create(
        school=side.school, enrolment=enrolment(side), semester=side.year.semesters.get(number=1), conduct="tot"
    )


def absence(side: SchoolSide) -> Absence:
    return Absence.objects.create(school=side.school, enrolment=enrolment(side), day=dt.date(2026, 10, 5), sessions=1)


def subject_result(side: SchoolSide) -> SubjectResult:
    return SubjectResult.objects.create(
        school=side.school, enrolment=enrolment(side), subject=side.subject, period=Period.YEAR, average=Decimal("7.5")
    )


def term_result(side: SchoolSide) -> TermResult:
    return TermResult.objects.create(
        school=side.school, enrolment=enrolment(side), period=Period.YEAR, rule_set=rules.RuleSet.TT22, learning="kha"
    )


def correction(side: SchoolSide) -> Correction:
    return Correction.objects.create(
        school=side.school,
        enrolment=enrolment(side),
        subject=side.subject,
        period=Period.YEAR,
        field="average",
        old_value="6,5",
        new_value="7,0",
    )


def year_opening(side: SchoolSide) -> YearOpening:
    from sms.org.models import SchoolYear

    start = 2000 + next(_n) % 20
    while SchoolYear.objects.filter(school=side.school, start_year=start).exists():
        start -= 1
    old = SchoolYear.objects.create(
        school=side.school, start_year=start, starts_on=dt.date(start, 9, 5), ends_on=dt.date(start + 1, 5, 31)
    )
    return YearOpening.objects.create(school=side.school, from_year=old, to_year=side.year, summary={})


def publication(side: SchoolSide) -> Publication:
    return Publication.objects.create(school=side.school, school_year=side.year, period=Period.SEMESTER_1)


MAKERS = {
    Student: student,
    Guardian: guardian,
    StudentMovement: movement,
    Enrolment: enrolment,
    Exemption: exemption,
    ScoreSheet: sheet,
    Score: score,
    EntryDeadline: deadline,
    UnlockRequest: unlock,
    HomeroomAssessment: homeroom,
    Absence: absence,
    SubjectResult: subject_result,
    TermResult: term_result,
    Publication: publication,
    Correction: correction,
    YearOpening: year_opening,
}
