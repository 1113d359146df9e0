"""Corrections of the record book (students.services.corrections): a re-approval that replaces approved values
with different ones writes one Correction per changed value — none on the first approval, none when nothing
changed — with who changed it, who approved it and the unlock request's reason; in bulk."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sms.accounts.roles import Role
from sms.org.models import SchoolClass
from students.models import (
    Correction,
    HomeroomAssessment,
    Period,
    ResultStatus,
    SheetStatus,
    SubjectResult,
    TermResult,
    UnlockRequest,
    UnlockStatus,
)
from students.services import corrections
from students.services import results as service
from students.services import workflow as wf

from . import test_results as R
from .test_workflow_setup import build_book


@pytest.fixture
def book(world):
    return build_book(world)


def _approve_sheet(book):
    wf.submit(book.actor("subject_teacher"), book.sheet)
    wf.check(book.actor("homeroom"), book.sheet)
    wf.approve(book.actor("principal"), book.sheet)


def _reopen(book, reason="Nhập nhầm điểm cuối kỳ của em đầu danh sách"):
    request = wf.request_unlock(book.actor("subject_teacher"), book.sheet, reason)
    wf.decide_unlock(book.actor("principal"), request, grant=True)
    book.sheet.refresh_from_db()


def _semester_row(enrolment, book):
    return SubjectResult.objects.get(enrolment=enrolment, subject=book.side.subject, period=Period.SEMESTER_1)


def test_first_approval_stores_the_snapshot_only(book):
    book.fill()
    _approve_sheet(book)
    assert not Correction.objects.exists()
    row = _semester_row(book.learner, book)
    assert row.status == ResultStatus.APPROVED
    assert row.approved_values["average"] == "7,0"


def test_sheet_reapproved_with_a_changed_score_writes_one_correction(book):
    book.fill()
    _approve_sheet(book)
    _reopen(book)
    # the teacher corrects one learner's end-of-term score: (9·4 + 2·6 + 3·8) / 9 = 8,0
    book.fill(enrolments=[book.learner], cells={"ck": "8"})
    _approve_sheet(book)
    (fix,) = Correction.objects.all()
    assert (fix.enrolment, fix.subject, fix.period, fix.field) == (
        book.learner, book.side.subject, Period.SEMESTER_1, "average",
    )  # fmt: skip
    assert (fix.old_value, fix.new_value) == ("7,0", "8,0")
    assert fix.changed_by == book.actor("subject_teacher").user  # who submitted the sheet
    assert fix.approved_by == book.actor("principal").user
    assert fix.reason == "Nhập nhầm điểm cuối kỳ của em đầu danh sách"
    assert fix.school == book.side.school
    assert _semester_row(book.learner, book).approved_values["average"] == "8,0"
    # reopened and approved again with nothing changed: no new correction
    _reopen(book, "Kiểm tra lại lần nữa")
    _approve_sheet(book)
    assert Correction.objects.count() == 1


def test_a_correction_is_seen_by_the_learner_and_not_by_another_school(book, world):
    from sms.accounts.scoping import visible_to

    book.fill()
    _approve_sheet(book)
    _reopen(book)
    book.fill(enrolments=[book.learner], cells={"ck": "8"})
    _approve_sheet(book)
    assert visible_to(book.actor("parent"), Correction).count() == 1
    assert visible_to(book.actor("student"), Correction).count() == 1
    assert not visible_to(book.actor("other_principal"), Correction).exists()
    # the learner's results page lists it ("Sửa chữa học bạ")
    (row,) = corrections.page_rows(book.actor("parent"), book.learner)
    assert (row["field"], row["old_value"], row["new_value"]) == ("Điểm trung bình môn", "7,0", "8,0")
    assert row["changed_by"] == book.actor("subject_teacher").user.full_name
    # the unlock reason is the staff's free text (it may name another learner): not for families
    assert row["reason"] == ""
    (staff_row,) = corrections.page_rows(book.actor("principal"), book.learner)
    assert staff_row["reason"] == "Nhập nhầm điểm cuối kỳ của em đầu danh sách"
    assert corrections.page_rows(book.actor("other_principal"), book.learner) == []


# --- year results --------------------------------------------------------------------------------------


def _year(world, size=1):
    side = world.a
    subjects = R.plan(side)
    learners = []
    for _ in range(size):
        enrolment = R.enrol(side)
        R.fill(enrolment, subjects, 8.0)
        R.conduct(enrolment)
        learners.append(enrolment)
    R.compute(side)
    return side, subjects, learners


def _reopen_year(enrolments):
    TermResult.objects.filter(enrolment__in=enrolments).update(status=ResultStatus.COMPUTED)
    SubjectResult.objects.filter(enrolment__in=enrolments, period=Period.YEAR).update(status=ResultStatus.COMPUTED)


def test_year_results_reapproved_after_a_recompute(world):
    side, subjects, (enrolment,) = _year(world)
    principal = R.actor(side.m(Role.PRINCIPAL))
    service.approve_results(principal, side.klass, Period.YEAR)
    assert not Correction.objects.exists()
    assert TermResult.objects.get(enrolment=enrolment, period=Period.YEAR).approved_values["title"] == "Học sinh Giỏi"
    # an unlock granted on a semester II sheet reopened the year; the homeroom conduct of semester II changes
    sheet = R._sheet(side, subjects["toan"], 2, SheetStatus.APPROVED)
    UnlockRequest.objects.create(
        school=side.school, sheet=sheet, reason="Sửa kết quả rèn luyện", status=UnlockStatus.GRANTED,
        decided_at=timezone.now(),
    )  # fmt: skip
    _reopen_year([enrolment])
    HomeroomAssessment.objects.filter(enrolment=enrolment, semester__number=2).update(conduct="kha")
    R.compute(side)
    service.approve_results(principal, side.klass, Period.YEAR)
    found = {(c.field, c.old_value, c.new_value) for c in Correction.objects.all()}
    assert found == {("conduct", "Tốt", "Khá"), ("title", "Học sinh Giỏi", "")}
    assert {(c.changed_by, c.approved_by, c.reason, c.period, c.subject) for c in Correction.objects.all()} == {
        (principal.user, principal.user, "Sửa kết quả rèn luyện", Period.YEAR, None)
    }
    # approved again with nothing changed: nothing more
    _reopen_year([enrolment])
    service.approve_results(principal, side.klass, Period.YEAR)
    assert Correction.objects.count() == 2


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ({}, {"average": "8,0"}, []),  # first approval
        ({"average": "8,0"}, {"average": "8,0"}, []),
        ({"average": "8,0"}, {"average": "7,5"}, [("average", "8,0", "7,5")]),
        ({"retest_average": ""}, {"retest_average": "5,5"}, []),  # the summer re-test, first entered
        ({"retest_average": "4,5"}, {"retest_average": "5,5"}, [("retest_average", "4,5", "5,5")]),
        ({"outcome": "Kiểm tra lại"}, {"outcome": "Được lên lớp"}, []),  # the summer's decision
        ({"outcome": "Được lên lớp"}, {"outcome": "Ở lại lớp"}, [("outcome", "Được lên lớp", "Ở lại lớp")]),
    ],
)
def test_what_counts_as_a_correction(old, new, expected):
    assert corrections.changes(old, new) == expected


def _changed_class(side, principal, size, name):
    """A class of ``size`` learners whose year is approved, then whose approved values change underneath (as
    after a reopen and a recompute): the next approval corrects two values per learner."""
    klass = SchoolClass.objects.create(school=side.school, school_year=side.year, grade=6, name=name)
    subjects = R.plan(side, klass)
    learners = []
    for _ in range(size):
        enrolment = R.enrol(side, klass)
        R.fill(enrolment, subjects, 8.0)
        R.conduct(enrolment)
        learners.append(enrolment)
    R.compute(side, klass)
    service.approve_results(principal, klass, Period.YEAR)
    SubjectResult.objects.filter(enrolment__in=learners, period=Period.YEAR, subject=subjects["toan"]).update(
        average=Decimal("7.0")
    )
    TermResult.objects.filter(enrolment__in=learners, period=Period.YEAR).update(absences=3)
    return klass, learners


def test_corrections_are_written_in_bulk(world):
    """The correction step reads, inserts and updates with the same queries for 3 learners as for 12 (the
    inserts are batched by the database's parameter limit only: ~80 corrections per INSERT on SQLite)."""
    side = world.a
    principal = R.actor(side.m(Role.PRINCIPAL))
    classes = [_changed_class(side, principal, 3, "6B1"), _changed_class(side, principal, 12, "6B2")]
    counts = []
    for klass, learners in classes:
        with CaptureQueriesContext(connection) as queries:
            written = corrections.on_results_approved(principal, klass, Period.YEAR, [e.pk for e in learners])
        counts.append(len(queries))
        # per learner: Toán's year average and the absences
        assert written == len(learners) * 2
        assert Correction.objects.filter(enrolment__in=learners).count() == len(learners) * 2
    assert counts[0] == counts[1], counts
    assert counts[0] <= 8, counts
