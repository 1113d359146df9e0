"""Set-up shared by the workflow, homeroom and attendance tests (no tests here): a Toán sheet of school A's
class 6A1 in semester I, taught by ``teacher2`` (the class's homeroom teacher is ``teacher``),
with a few learners, one of them linked to the student account and to the parent account."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sms.accounts.roles import Role
from students.models import Guardian, Score, ScoreSheet, SheetStatus
from students.services import gradebook
from teachers.models import StaffRecord, TeachingAssignment
from tests.makers import students as makers
from tests.makers.teachers import staff

#: cells whose semester average is 7,0: (9·4 + 2·6 + 3·5) / 9 = 63 / 9 (TT22 Art. 9.1)
CELLS = {"tx1": "9", "tx2": "9", "tx3": "9", "tx4": "9", "gk": "6", "ck": "5"}


@dataclass
class Book:
    world: object
    side: object
    semester: object
    sheet: ScoreSheet
    enrolments: list
    learner: object  # the enrolment of the learner linked to the student and parent accounts
    actors: dict = field(default_factory=dict)

    def actor(self, who: str):
        return self.actors[who]

    def fill(self, enrolments=None, cells=None, who: str = "subject_teacher"):
        cells = cells or CELLS
        stored = {(s.enrolment_id, s.column): s.value for s in Score.objects.filter(sheet=self.sheet)}
        rows = [
            {"enrolment": e.pk, "column": key, "value": value, "old": stored.get((e.pk, key), "")}
            for e in (enrolments if enrolments is not None else self.enrolments)
            for key, value in cells.items()
        ]
        return gradebook.save_cells(self.actor(who), self.sheet, batch_id=uuid.uuid4(), cells=rows)

    def set_status(self, status: str) -> ScoreSheet:
        ScoreSheet.objects.filter(pk=self.sheet.pk).update(status=status)
        self.sheet.refresh_from_db()
        return self.sheet


def assign(side, membership, semester, school_class=None, subject=None):
    record = StaffRecord.objects.filter(user=membership.user).first() or staff(side, user=membership.user)
    return TeachingAssignment.objects.create(
        school=side.school,
        semester=semester,
        school_class=school_class or side.klass,
        subject=subject or side.subject,
        teacher=record,
    )


def build_book(world, learners: int = 3) -> Book:
    side = world.a
    semester = side.year.semesters.get(number=1)
    assign(side, side.m("teacher2"), semester)
    enrolments = [makers.enrolment(side) for _ in range(learners)]
    learner = enrolments[0]
    learner.student.user = side.m(Role.STUDENT).user
    learner.student.save()
    Guardian.objects.create(
        student=learner.student, relation="mother", full_name="Lê Thị Mai", user=side.m(Role.PARENT).user
    )
    actors = {
        "subject_teacher": world.actor(side.m("teacher2")),
        "homeroom": world.actor(side.m(Role.TEACHER)),
        "principal": world.actor(side.m(Role.PRINCIPAL)),
        "school_admin": world.actor(side.m(Role.SCHOOL_ADMIN)),
        "clerk": world.actor(side.m(Role.CLERK)),
        "student": world.actor(side.m(Role.STUDENT)),
        "parent": world.actor(side.m(Role.PARENT)),
        "other_principal": world.actor(world.b.m(Role.PRINCIPAL)),
        "phong_admin": world.actor(world.members["phong1_admin"]),
    }
    sheet = gradebook.open_sheet(actors["subject_teacher"], side.klass, side.subject, semester)
    assert sheet.status == SheetStatus.DRAFT
    return Book(world, side, semester, sheet, enrolments, learner, actors)
