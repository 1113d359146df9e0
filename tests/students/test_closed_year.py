"""A closed school year (``SchoolYear.is_closed``, set when the next year is opened) is read-only for the
results and the grade-book workflow: every writer refuses with "Năm học … đã khoá sổ, …" in its usual error
type — except publication to the portal, and the summer of the learners the opening left pending (re-tests
and summer conduct of a learner whose year outcome is still RETEST / SUMMER_TRAINING)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from sms.accounts.roles import Role
from sms.org.models import SchoolClass, SchoolYear, Subject, SubjectPlan
from students import rules
from students.models import (
    Enrolment,
    HomeroomAssessment,
    Period,
    Publication,
    ResultStatus,
    ScoreSheet,
    SheetStatus,
    Student,
    SubjectResult,
    TermResult,
    UnlockRequest,
    UnlockStatus,
)
from students.services import newyear, records
from students.services import results as rs
from students.services import workflow as wf
from students.services.workflow import WorkflowError

from .test_workflow_setup import build_book

D, S, C, A = SheetStatus.DRAFT, SheetStatus.SUBMITTED, SheetStatus.CHECKED, SheetStatus.APPROVED
CLOSED = "đã khoá sổ"
_n = itertools.count(1)


def close(year) -> None:
    SchoolYear.objects.filter(pk=year.pk).update(is_closed=True)
    year.refresh_from_db()


# --- the grade-book workflow ---------------------------------------------------------------------------------


@pytest.fixture
def book(world):
    return build_book(world)


def _history(sheet) -> int:
    return ScoreSheet.history.filter(id=sheet.pk).count()


def _pending_request(book):
    return UnlockRequest.objects.create(
        school=book.side.school, sheet=book.sheet, reason="Nhập nhầm", requested_by=book.actor("homeroom").user
    )


WRITERS = {
    "submit": (D, "subject_teacher", lambda actor, book: wf.submit(actor, book.sheet)),
    "check": (S, "homeroom", lambda actor, book: wf.check(actor, book.sheet)),
    "return": (C, "principal", lambda actor, book: wf.return_sheet(actor, book.sheet, "Thiếu điểm")),
    "approve": (C, "principal", lambda actor, book: wf.approve(actor, book.sheet)),
    "approve_many": (C, "principal", lambda actor, book: wf.approve_many(actor, [book.sheet])),
    "request_unlock": (A, "homeroom", lambda actor, book: wf.request_unlock(actor, book.sheet, "Nhập nhầm")),
    "grant_unlock": (
        A,
        "principal",
        lambda actor, book: wf.decide_unlock(actor, _pending_request(book), grant=True, note="Đồng ý"),
    ),
}


@pytest.mark.parametrize("name", list(WRITERS))
def test_workflow_writers_are_refused_in_a_closed_year(book, name):
    state, who, run = WRITERS[name]
    book.fill()
    sheet = book.set_status(state)
    requests = UnlockRequest.objects.count()
    close(book.side.year)
    before = _history(sheet)
    with pytest.raises(WorkflowError) as caught:
        run(book.actor(who), book)
    assert caught.value.status == 400
    assert caught.value.message.startswith(f"Năm học {book.side.year} {CLOSED}, không thể ")
    sheet.refresh_from_db()
    assert sheet.status == state and _history(sheet) == before
    expected = requests + (1 if name == "grant_unlock" else 0)  # the request to grant is made by the test
    assert UnlockRequest.objects.filter(status=UnlockStatus.PENDING).count() == UnlockRequest.objects.count()
    assert UnlockRequest.objects.count() == expected


def test_the_same_transitions_pass_in_an_open_year(book):
    book.fill()
    for name in ("submit", "check", "approve", "request_unlock"):
        _, who, run = WRITERS[name]
        run(book.actor(who), book)
    book.sheet.refresh_from_db()
    assert book.sheet.status == A


def test_a_pending_unlock_request_may_still_be_refused(book):
    """Refusing changes no result (the sheet stays approved): it closes the request left over from before."""
    sheet = book.set_status(A)
    request = wf.request_unlock(book.actor("subject_teacher"), sheet, "Nhập nhầm")
    close(book.side.year)
    wf.decide_unlock(book.actor("principal"), request, grant=False, note="Năm học đã khoá sổ")
    request.refresh_from_db()
    sheet.refresh_from_db()
    assert request.status == UnlockStatus.REFUSED and sheet.status == A


def test_publication_of_a_closed_year_is_still_allowed(world):
    side = world.a
    principal = world.actor(side.m(Role.PRINCIPAL))
    close(side.year)
    publication = wf.publish(principal, side.year, Period.YEAR)
    assert wf.is_published(side.school, side.year, Period.YEAR)
    wf.withdraw(principal, publication)
    assert not wf.is_published(side.school, side.year, Period.YEAR)
    assert Publication.objects.get(pk=publication.pk).withdrawn_at is not None


# --- the results -----------------------------------------------------------------------------------------------

SCORED = {"toan": "Toán", "ngu-van": "Ngữ văn", "ngoai-ngu-1": "Ngoại ngữ 1", "khtn": "Khoa học tự nhiên",
          "ls-dl": "Lịch sử và Địa lí", "gdcd": "Giáo dục công dân"}  # fmt: skip


def _subjects(side) -> dict[str, Subject]:
    SubjectPlan.objects.filter(school_year=side.year, grade=side.klass.grade).exclude(
        subject__code__in=list(SCORED)
    ).delete()
    subjects = {}
    for code, name in SCORED.items():
        subject, _ = Subject.objects.get_or_create(
            school=side.school, code=code, defaults={"name": name, "assessment": "scored"}
        )
        SubjectPlan.objects.get_or_create(
            school=side.school, school_year=side.year, grade=side.klass.grade, subject=subject,
            defaults={"periods_per_year": 70},
        )  # fmt: skip
        subjects[code] = subject
    return subjects


def _learner(side, subjects, averages: dict, c1="tot", c2="tot") -> Enrolment:
    n = next(_n)
    student = Student.objects.create(
        school=side.school,
        learner_code=f"{side.school.pk:03d}{n:07d}",
        full_name=f"Học Sinh Khoá Sổ {n}",
        birth_date=dt.date(2014, 1, 1),
        sex="F",
    )
    enrolment = Enrolment.objects.create(
        school=side.school, student=student, school_year=side.year, school_class=side.klass
    )
    for period in (Period.SEMESTER_1, Period.SEMESTER_2):
        for code, subject in subjects.items():
            SubjectResult.objects.create(
                school=side.school, enrolment=enrolment, subject=subject, period=period,
                average=Decimal(str(averages.get(code, 6.0))),
            )  # fmt: skip
    for number, value in ((1, c1), (2, c2)):
        HomeroomAssessment.objects.create(
            school=side.school, enrolment=enrolment, semester=side.year.semesters.get(number=number), conduct=value
        )
    return enrolment


def _year(enrolment) -> TermResult:
    return TermResult.objects.get(enrolment=enrolment, period=Period.YEAR)


@pytest.fixture
def results(world):
    """School A's 6A1 with a learner promoted, one sent to re-tests (Toán and Ngữ văn at 3,0) and one sent to
    summer training (conduct Chưa đạt in semester II), computed while the year is open."""
    side = world.a
    subjects = _subjects(side)
    people = {
        "promoted": _learner(side, subjects, {}),
        "retest": _learner(side, subjects, {"toan": 3.0, "ngu-van": 3.0}),
        "summer": _learner(side, subjects, {}, "dat", "chua_dat"),
    }
    principal = world.actor(side.m(Role.PRINCIPAL))
    rs.compute_results(principal, side.year, school_class=side.klass)
    assert _year(people["promoted"]).outcome == rules.Outcome.PROMOTED
    assert _year(people["retest"]).outcome == rules.Outcome.RETEST
    assert _year(people["summer"]).outcome == rules.Outcome.SUMMER_TRAINING
    return {"side": side, "subjects": subjects, "people": people, "principal": principal,
            "homeroom": world.actor(side.m(Role.TEACHER))}  # fmt: skip


def _rows() -> list:
    return sorted(
        TermResult.objects.values_list("pk", "outcome", "status", "manual_learning", "conduct_after_summer")
    ) + sorted(SubjectResult.objects.values_list("pk", "average", "retest_average", "status"))


def _assert_closed_refusal(caught, year) -> None:
    assert isinstance(caught.value, rs.ResultsError) and isinstance(caught.value, ValidationError)
    assert caught.value.messages[0].startswith(f"Năm học {year} {CLOSED}, không thể ")


RESULT_WRITERS = {
    "compute_class": lambda r: rs.compute_results(r["principal"], r["side"].year, school_class=r["side"].klass),
    "compute_school": lambda r: rs.compute_results(r["principal"], r["side"].year),
    "approve_results": lambda r: rs.approve_results(r["principal"], r["side"].klass, Period.YEAR),
    "set_manual_learning": lambda r: rs.set_manual_learning(
        r["principal"], _year(r["people"]["promoted"]), "dat", "Kế hoạch giáo dục cá nhân"
    ),
    "retest_not_pending": lambda r: rs.record_retest(
        r["principal"], r["people"]["promoted"], r["subjects"]["toan"], "7"
    ),
    "summer_not_pending": lambda r: rs.record_summer_conduct(r["homeroom"], r["people"]["promoted"], "tot"),
}


@pytest.mark.parametrize("name", list(RESULT_WRITERS))
def test_results_writers_are_refused_in_a_closed_year(results, name):
    ScoreSheet.objects.all().update(status=A)
    close(results["side"].year)
    before = _rows()
    with pytest.raises(rs.ResultsError) as caught:
        RESULT_WRITERS[name](results)
    _assert_closed_refusal(caught, results["side"].year)
    assert _rows() == before


def test_a_pending_learners_retests_are_recorded_after_the_opening(world, results):
    """The school opens the next year in summer (closing this one) before the re-tests; the learner sent to
    re-tests is left out, re-tested afterwards (the outcome changes), then placed in the new year."""
    side, subjects, principal = results["side"], results["subjects"], results["principal"]
    learner = results["people"]["retest"]
    opening = newyear.open_year(principal, side.year, allow_pending=True)
    assert SchoolYear.objects.get(pk=side.year.pk).is_closed
    assert learner.student.full_name in {row["student"] for row in opening.summary["pending"]}

    rs.record_retest(principal, learner, subjects["toan"], "6,5")
    assert _year(learner).outcome == rules.Outcome.RETEST  # Ngữ văn still 3,0: waits
    row = rs.record_retest(principal, learner, subjects["ngu-van"], "5")
    assert row.retest_average == Decimal("5.0")
    assert _year(learner).outcome == rules.Outcome.PROMOTED
    assert row.history.first().history_user == principal.user

    # decided: the closed year is read-only for this learner again
    with pytest.raises(rs.ResultsError) as caught:
        rs.record_retest(principal, learner, subjects["ngu-van"], "6")
    _assert_closed_refusal(caught, side.year)
    assert SubjectResult.objects.get(pk=row.pk).retest_average == Decimal("5.0")

    seventh = SchoolClass.objects.get(school_year=opening.to_year, name="7A1")
    assert records.enrol(principal, learner.student, seventh).school_year_id == opening.to_year_id


def test_a_pending_learners_summer_conduct_is_recorded_in_a_closed_year(results):
    side, homeroom = results["side"], results["homeroom"]
    learner = results["people"]["summer"]
    close(side.year)
    row = rs.record_summer_conduct(homeroom, learner, "dat")
    assert (row.conduct_after_summer, row.outcome) == ("dat", rules.Outcome.PROMOTED)
    with pytest.raises(rs.ResultsError) as caught:
        rs.record_summer_conduct(homeroom, learner, "chua_dat")
    _assert_closed_refusal(caught, side.year)
    assert _year(learner).conduct_after_summer == "dat"


def test_an_approved_pending_result_keeps_its_status_after_the_retest(results):
    """A re-test follows a hand entry: the approved year result is re-assessed in place (with history)."""
    side, principal, learner = results["side"], results["principal"], results["people"]["retest"]
    TermResult.objects.filter(enrolment=learner, period=Period.YEAR).update(status=ResultStatus.APPROVED)
    close(side.year)
    rs.record_retest(principal, learner, results["subjects"]["toan"], "5")
    rs.record_retest(principal, learner, results["subjects"]["ngu-van"], "5")
    year = _year(learner)
    assert (year.outcome, year.status) == (rules.Outcome.PROMOTED, ResultStatus.APPROVED)
