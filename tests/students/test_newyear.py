"""Opening a new school year (issue 6, point 5): preview writes nothing; confirm promotes, keeps
repeaters, graduates the last grade, leaves pending learners out (and refuses without the explicit
option), maps and creates classes, copies subject plans and teaching assignments, closes the old
year read-only, cannot run twice, is refused to others, and its query count does not grow with the
school."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sms.accounts.roles import Role
from sms.audit.models import AuditEvent
from sms.org.models import SchoolClass, SchoolYear, SubjectPlan
from sms.org.services import create_school_year
from students import rules
from students.models import (
    Enrolment,
    MovementKind,
    Period,
    ResultStatus,
    ScoreSheet,
    Student,
    StudentMovement,
    StudentStatus,
    TermResult,
    YearOpening,
)
from students.services import gradebook, homeroom, records
from students.services import newyear as service
from students.services.newyear import decision, successor_name
from students.services.workflow import WorkflowError
from teachers.models import StaffStatus, TeachingAssignment
from tests.makers.teachers import staff
from tests.world import api_client, make_school, web_client

_n = itertools.count(1)
P, R, C = rules.Outcome.PROMOTED, rules.Outcome.REPEAT, rules.Outcome.COMPLETED
APPROVED, COMPUTED = ResultStatus.APPROVED, ResultStatus.COMPUTED


def actor(world, membership):
    return world.actor(membership)


def learner(side, klass, outcome=P, status=APPROVED, *, result=True, name=None) -> Enrolment:
    n = next(_n)
    student = Student.objects.create(
        school=side.school,
        learner_code=f"{side.school.pk:03d}{n:07d}",
        full_name=name or f"Học Sinh Năm Mới {n}",
        birth_date=dt.date(2012, 1, 1),
        sex="F",
    )
    enrolment = Enrolment.objects.create(
        school=side.school, student=student, school_year=klass.school_year, school_class=klass
    )
    if result:
        TermResult.objects.create(
            school=side.school,
            enrolment=enrolment,
            period=Period.YEAR,
            rule_set=rules.RuleSet.TT22,
            learning="kha",
            conduct="tot",
            outcome=outcome,
            status=status,
        )
    return enrolment


def klass(side, grade, name, homeroom=None) -> SchoolClass:
    return SchoolClass.objects.create(
        school=side.school, school_year=side.year, grade=grade, name=name, homeroom_teacher=homeroom
    )


@pytest.fixture
def school(world):
    """School A (THCS, 2026–2027): 6A1 (homeroom ``teacher``), 7A1 (``teacher2``), 8A1, 9A1 and "A2" of
    grade 7 (a name without its grade number), with learners of every kind of decision."""
    side = world.a
    c6 = side.klass
    c7 = klass(side, 7, "7A1", side.m("teacher2").user)
    c7b = klass(side, 7, "A2")
    c8 = klass(side, 8, "8A1")
    c9 = klass(side, 9, "9A1")
    people = {
        "promoted6": learner(side, c6, P, name="An Văn Lên"),
        "repeat6": learner(side, c6, R, name="Bình Ở Lại"),
        "retest6": learner(side, c6, rules.Outcome.RETEST, name="Chi Thi Lại"),
        "promoted7": learner(side, c7, P),
        "unapproved7": learner(side, c7, P, COMPUTED, name="Dũng Chưa Duyệt"),
        "promoted7b": learner(side, c7b, P),
        "promoted8": learner(side, c8, P),
        "summer8": learner(side, c8, rules.Outcome.SUMMER_TRAINING, name="Hà Rèn Luyện"),
        "noresult8": learner(side, c8, result=False, name="Kim Chưa Tính"),
        "graduate9": learner(side, c9, C, name="Lan Ra Trường"),
        "repeat9": learner(side, c9, R, name="Minh Lưu Ban"),
    }
    left = learner(side, c8, P)
    Enrolment.objects.filter(pk=left.pk).update(left_on=dt.date(2026, 12, 1))
    SubjectPlan.objects.create(
        school=side.school, school_year=side.year, grade=7, subject=side.subject, periods_per_year=140
    )
    return {"side": side, "classes": {"6A1": c6, "7A1": c7, "A2": c7b, "8A1": c8, "9A1": c9}, "people": people}


def principal(world):
    return actor(world, world.a.m(Role.PRINCIPAL))


def new_enrolment(enrolment) -> Enrolment | None:
    return (
        Enrolment.objects.filter(student_id=enrolment.student_id, school_year__start_year=2027)
        .select_related("school_class")
        .first()
    )


def counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (
            SchoolYear,
            SchoolClass,
            Enrolment,
            StudentMovement,
            SubjectPlan,
            TeachingAssignment,
            YearOpening,
            AuditEvent,
        )
    } | {"graduated": Student.objects.filter(status=StudentStatus.GRADUATED).count()}


# --- the pure rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "grade", "expected"),
    [
        ("6A1", 6, "7A1"),
        ("10 Toán", 10, "11 Toán"),
        ("1A", 1, "2A"),
        ("A2", 7, "8A2"),
        ("Chuyên Anh", 8, "9 Chuyên Anh"),
        ("11A1", 1, "211A1"),  # "11…" does not start with grade 1's number: prefixed, shown in the preview
    ],
)
def test_successor_name(name, grade, expected):
    assert successor_name(name, grade) == expected


@pytest.mark.parametrize(
    ("status", "outcome", "grade", "expected"),
    [
        (APPROVED, P, 6, service.PROMOTE),
        (APPROVED, R, 9, service.REPEAT),
        (APPROVED, C, 9, service.GRADUATE),
        (APPROVED, C, 3, service.PROMOTE),  # TT27: hoàn thành chương trình lớp học, grades 1–4
        (APPROVED, C, 5, service.PROMOTE),  # a school that goes on to grade 6 (last grade 9)
        (APPROVED, rules.Outcome.RETEST, 7, service.PENDING),
        (APPROVED, rules.Outcome.SUMMER_TRAINING, 7, service.PENDING),
        (APPROVED, "", 2, service.PENDING),  # primary "chưa hoàn thành": the principal decides
        (COMPUTED, P, 6, service.PENDING),
        (None, "", 6, service.PENDING),
    ],
)
def test_decision(status, outcome, grade, expected):
    assert decision(status, outcome, grade, 9)[0] == expected


# --- preview ------------------------------------------------------------------------------------------


def test_preview_writes_nothing_and_shows_every_consequence(world, school):
    before = counts()
    plan = service.preview(principal(world), world.a.year)
    assert counts() == before
    data = plan.as_dict()
    assert data["next_year_name"] == "2027-2028"
    mapping = {c["name"]: c["successor"] for c in data["classes"]}
    assert mapping == {"6A1": "7A1", "7A1": "8A1", "A2": "8A2", "8A1": "9A1", "9A1": ""}
    assert next(c for c in data["classes"] if c["name"] == "A2")["regular"] is False
    new = {(t["grade"], t["name"]) for t in data["new_classes"]}
    assert new == {(6, "6A1"), (7, "7A1"), (8, "8A1"), (8, "8A2"), (9, "9A1")}
    assert data["counts"]["promote"] == 4 and data["counts"]["repeat"] == 2 and data["counts"]["graduate"] == 1
    pending = {p["student"]: p["reason"] for p in data["pending"]}
    assert set(pending) == {"Chi Thi Lại", "Dũng Chưa Duyệt", "Hà Rèn Luyện", "Kim Chưa Tính"}
    assert "kiểm tra lại" in pending["Chi Thi Lại"]
    assert "chưa được hiệu trưởng duyệt" in pending["Dũng Chưa Duyệt"]
    assert "rèn luyện" in pending["Hà Rèn Luyện"]
    assert pending["Kim Chưa Tính"] == "Chưa có kết quả cả năm."
    assert data["subject_plans"] == 2
    assert not data["problems"]


# --- confirm ------------------------------------------------------------------------------------------


def test_confirm_is_refused_while_decisions_are_pending_and_writes_nothing(world, school):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        service.open_year(principal(world), world.a.year)
    assert "Còn 4 học sinh chưa có quyết định" in " ".join(exc.value.messages)
    assert service.ALLOW_PENDING_LABEL in " ".join(exc.value.messages)
    assert counts() == before
    assert not SchoolYear.objects.get(pk=world.a.year.pk).is_closed


def test_confirm_promotes_repeats_graduates_and_leaves_pending_out(world, school):
    people, side = school["people"], world.a
    opening = service.open_year(principal(world), side.year, allow_pending=True)

    new_year = SchoolYear.objects.get(school=side.school, start_year=2027)
    assert opening.from_year_id == side.year.pk and opening.to_year_id == new_year.pk
    assert new_year.semesters.count() == 2
    placed = {key: new_enrolment(e) for key, e in people.items()}
    where = {key: (e.school_class.grade, e.school_class.name) if e else None for key, e in placed.items()}
    assert where["promoted6"] == (7, "7A1")
    assert where["promoted7"] == (8, "8A1")
    assert where["promoted7b"] == (8, "8A2")
    assert where["promoted8"] == (9, "9A1")
    assert where["repeat6"] == (6, "6A1")
    assert where["repeat9"] == (9, "9A1")
    for key in ("retest6", "unapproved7", "summer8", "noresult8", "graduate9"):
        assert where[key] is None, key
    assert placed["promoted6"].enrolled_on == new_year.starts_on
    assert placed["promoted6"].history.count() == 1  # bulk-created with history

    graduate = Student.objects.get(pk=people["graduate9"].student_id)
    assert graduate.status == StudentStatus.GRADUATED
    assert graduate.history.first().status == StudentStatus.GRADUATED
    movement = StudentMovement.objects.get(student=graduate)
    assert movement.kind == MovementKind.GRADUATE and movement.school_id == side.school.pk

    summary = opening.summary
    assert summary["counts"]["promote"] == 4 and summary["counts"]["pending"] == 4
    assert {p["student"] for p in summary["pending"]} == {
        "Chi Thi Lại",
        "Dũng Chưa Duyệt",
        "Hà Rèn Luyện",
        "Kim Chưa Tính",
    }
    assert summary["allow_pending"] is True
    assert opening.history.count() == 1
    assert AuditEvent.objects.filter(object_type="students.YearOpening", object_id=str(opening.pk)).exists()

    old = SchoolYear.objects.get(pk=side.year.pk)
    assert old.is_closed and not old.is_current
    assert new_year.is_current and opening.closed_at is not None


def test_classes_are_mapped_with_the_homeroom_teacher_and_an_intake(world, school):
    side = world.a
    service.open_year(principal(world), side.year, allow_pending=True)
    new = {c.name: c for c in SchoolClass.objects.filter(school_year__start_year=2027, school=side.school)}
    assert {(c.grade, name) for name, c in new.items()} == {(6, "6A1"), (7, "7A1"), (8, "8A1"), (8, "8A2"), (9, "9A1")}
    assert new["7A1"].homeroom_teacher == side.m(Role.TEACHER).user  # 6A1's homeroom teacher goes up with it
    assert new["8A1"].homeroom_teacher == side.m("teacher2").user
    assert new["6A1"].homeroom_teacher is None  # the new intake waits for its teacher
    assert not Enrolment.objects.filter(school_class=new["6A1"]).exclude(
        student_id=school["people"]["repeat6"].student_id
    )


def test_existing_classes_of_the_new_year_are_reused_and_a_clash_is_refused(world, school):
    side = world.a
    later = create_school_year(side.school, 2027)
    ready = SchoolClass.objects.create(school=side.school, school_year=later, grade=7, name="7A1")
    plan = service.preview(principal(world), side.year)
    assert next(t for t in plan.as_dict()["new_classes"] if t["name"] == "7A1")["exists"] is True
    service.open_year(principal(world), side.year, allow_pending=True)
    assert new_enrolment(school["people"]["promoted6"]).school_class_id == ready.pk
    ready.refresh_from_db()
    assert ready.homeroom_teacher == side.m(Role.TEACHER).user  # an empty homeroom is filled
    assert SchoolYear.objects.filter(school=side.school, start_year=2027).count() == 1


def test_a_class_name_taken_by_another_grade_blocks_the_opening(world, school):
    side = world.a
    later = create_school_year(side.school, 2027)
    SchoolClass.objects.create(school=side.school, school_year=later, grade=6, name="9A1")
    plan = service.preview(principal(world), side.year)
    assert any("“9A1” thuộc khối 6" in p for p in plan.problems)
    before = counts()
    with pytest.raises(ValidationError, match="9A1"):
        service.open_year(principal(world), side.year, allow_pending=True)
    assert counts() == before


def test_subject_plans_and_assignments_are_copied_for_review(world, school):
    side, classes = world.a, school["classes"]
    sem1, sem2 = side.year.semesters.order_by("number")
    math_teacher = staff(side, user=side.m("teacher2").user)
    retired = staff(side)
    StaffRecord = type(retired)
    StaffRecord.objects.filter(pk=retired.pk).update(status=StaffStatus.RETIRED)
    TeachingAssignment.objects.create(
        school=side.school, semester=sem1, school_class=classes["8A1"], subject=side.subject, teacher=retired
    )
    TeachingAssignment.objects.create(
        school=side.school, semester=sem2, school_class=classes["6A1"], subject=side.subject, teacher=math_teacher
    )
    TeachingAssignment.objects.create(
        school=side.school, semester=sem2, school_class=classes["8A1"], subject=side.subject, teacher=retired
    )
    TeachingAssignment.objects.create(  # last grade: no successor, nothing copied
        school=side.school, semester=sem2, school_class=classes["9A1"], subject=side.subject, teacher=math_teacher
    )
    opening = service.open_year(principal(world), side.year, allow_pending=True)

    new_year = opening.to_year
    plans = set(SubjectPlan.objects.filter(school_year=new_year).values_list("grade", "subject_id", "periods_per_year"))
    assert plans == {(6, side.subject.pk, 140), (7, side.subject.pk, 140)}
    copied = TeachingAssignment.objects.filter(semester__school_year=new_year)
    assert sorted((a.semester.number, a.school_class.name, a.teacher_id) for a in copied) == [
        (1, "7A1", math_teacher.pk),
        (2, "7A1", math_teacher.pk),
    ]
    assert copied.first().history.count() == 1
    assignments = opening.summary["assignments"]
    assert assignments["source_semester"] == 2 and assignments["copied"] == 2
    assert [s["class"] for s in assignments["skipped"]] == ["8A1"]
    assert "Đã nghỉ hưu" in assignments["skipped"][0]["reason"]

    page = web_client(side.m(Role.PRINCIPAL)).get(reverse("students:year-opening-detail", args=[opening.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert math_teacher.full_name in html and f"?school_year={new_year.pk}" in html


def test_semester_one_assignments_are_used_when_semester_two_has_none(world, school):
    side = world.a
    teacher = staff(side)
    TeachingAssignment.objects.create(
        school=side.school,
        semester=side.year.semesters.get(number=1),
        school_class=school["classes"]["7A1"],
        subject=side.subject,
        teacher=teacher,
    )
    opening = service.open_year(principal(world), side.year, allow_pending=True)
    assert opening.summary["assignments"]["source_semester"] == 1
    assert set(
        TeachingAssignment.objects.filter(semester__school_year=opening.to_year).values_list(
            "school_class__name", "semester__number"
        )
    ) == {("8A1", 1), ("8A1", 2)}


# --- the old year is read-only afterwards --------------------------------------------------------------


def test_the_old_year_refuses_writes_after_the_opening(world, school):
    side = world.a
    c6 = school["classes"]["6A1"]
    sem2 = side.year.semesters.get(number=2)
    newcomer = learner(side, c6, result=False)
    Enrolment.objects.filter(pk=newcomer.pk).delete()
    service.open_year(principal(world), side.year, allow_pending=True)
    c6 = SchoolClass.objects.select_related("school_year").get(pk=c6.pk)  # as a page would read it now

    with pytest.raises(ValidationError, match="khoá sổ"):
        records.enrol(principal(world), newcomer.student, c6)
    with pytest.raises(gradebook.SheetError) as exc:
        gradebook.open_sheet(principal(world), c6, side.subject, side.year.semesters.get(number=1))
    assert exc.value.code == "year_closed"
    with pytest.raises(WorkflowError, match="khoá sổ"):
        homeroom.save_homeroom(
            actor(world, side.m(Role.TEACHER)),
            c6,
            sem2,
            [{"enrolment": school["people"]["promoted6"].pk, "conduct": "tot", "comment": ""}],
        )


def test_a_grade_book_save_in_the_closed_year_is_refused(world, school):
    side = world.a
    c6 = school["classes"]["6A1"]
    sem2 = side.year.semesters.get(number=2)
    subject_teacher = actor(world, side.m("teacher2"))
    TeachingAssignment.objects.create(
        school=side.school,
        semester=sem2,
        school_class=c6,
        subject=side.subject,
        teacher=staff(side, user=side.m("teacher2").user),
    )
    sheet = gradebook.open_sheet(subject_teacher, c6, side.subject, sem2)
    service.open_year(principal(world), side.year, allow_pending=True)
    target = school["people"]["promoted6"]
    try:
        with pytest.raises(gradebook.SheetError, match="khoá sổ"):
            gradebook.save_cells(
                subject_teacher,
                ScoreSheet.objects.get(pk=sheet.pk),
                batch_id=uuid.uuid4(),
                cells=[{"enrolment": target.pk, "column": "tx1", "value": "8", "old": ""}],
            )
    finally:
        assert not sheet.scores.exclude(value="").exists()


def test_pending_learners_are_placed_later_in_the_new_year(world, school):
    side = world.a
    opening = service.open_year(principal(world), side.year, allow_pending=True)
    seventh = SchoolClass.objects.get(school_year=opening.to_year, name="7A1")
    enrolment = records.enrol(principal(world), school["people"]["retest6"].student, seventh)
    assert enrolment.school_year_id == opening.to_year_id


# --- only the current year, and only learners still there ------------------------------------------------


@pytest.mark.parametrize("start_year", [2025, 2027])
def test_only_the_current_year_is_rolled_over(world, school, start_year):
    side = world.a
    other = create_school_year(side.school, start_year)  # an older or a future year, not current
    before = counts()
    with pytest.raises(ValidationError) as exc:
        service.preview(principal(world), other)
    assert "không phải năm học hiện tại" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        service.open_year(principal(world), other, allow_pending=True)
    assert exc.value.messages[0] == service.NOT_CURRENT.format(year=other)
    assert counts() == before
    other.refresh_from_db()
    assert not other.is_closed and not other.is_current
    assert SchoolYear.objects.get(pk=side.year.pk).is_current

    page = web_client(side.m(Role.PRINCIPAL)).post(
        reverse("students:year-opening"), {"school_year": other.pk, "allow_pending": "on"}
    )
    assert page.status_code == 400 and "không phải năm học hiện tại" in page.content.decode()
    api = api_client(side.m(Role.PRINCIPAL)).post(
        reverse("api:year-opening-run"), {"school_year": other.pk, "dry_run": False, "allow_pending": True},
        format="json",
    )  # fmt: skip
    assert api.status_code == 400
    assert not YearOpening.objects.exists()


def _changed_after_the_plan(monkeypatch, change):
    """Run ``change`` right after the opening has read its plan, as a transfer committed meanwhile would."""
    build = service._build

    def build_then_change(year):
        plan = build(year)
        change()
        return plan

    monkeypatch.setattr(service, "_build", build_then_change)


@pytest.mark.parametrize(
    ("who", "change"),
    [
        ("promoted6", {"school": "b"}),  # chuyển trường: still studying, at another school
        ("repeat9", {"status": StudentStatus.DROPPED}),
        ("graduate9", {"school": "b"}),
        ("graduate9", {"status": StudentStatus.TRANSFERRED}),
    ],
)
def test_a_learner_leaving_meanwhile_refuses_the_opening(world, school, monkeypatch, who, change):
    side = world.a
    enrolment = school["people"][who]
    values = {k: (world.b.school if v == "b" else v) for k, v in change.items()}

    def leave():
        Student.objects.filter(pk=enrolment.student_id).update(**values)

    _changed_after_the_plan(monkeypatch, leave)
    before = counts()
    with pytest.raises(ValidationError) as exc:
        service.open_year(principal(world), side.year, allow_pending=True)
    message = exc.value.messages[0]
    assert "1 học sinh đã thay đổi" in message and enrolment.student.full_name in message
    assert "xem trước lại" in message
    # nothing written (the simulated change, made inside the refused transaction, is rolled back with it)
    assert counts() == before
    assert not SchoolYear.objects.get(pk=side.year.pk).is_closed
    assert not StudentMovement.objects.filter(student_id=enrolment.student_id).exists()

    # the change committed, previewed again: the learner is listed as pending and the opening goes through
    monkeypatch.undo()
    leave()
    plan = service.preview(principal(world), side.year)
    assert enrolment.student.full_name in {row["student"] for row in plan.as_dict()["pending"]}
    service.open_year(principal(world), side.year, allow_pending=True)
    assert new_enrolment(enrolment) is None
    assert not StudentMovement.objects.filter(student_id=enrolment.student_id).exists()
    assert Student.objects.get(pk=enrolment.student_id).status == values.get("status", StudentStatus.STUDYING)


# --- once, and only by the school's leaders ---------------------------------------------------------------


def test_a_second_run_is_refused_in_vietnamese(world, school):
    side = world.a
    service.open_year(principal(world), side.year, allow_pending=True)
    before = counts()
    with pytest.raises(ValidationError) as exc:
        service.open_year(principal(world), SchoolYear.objects.get(pk=side.year.pk), allow_pending=True)
    assert "đã được chuyển sang năm học 2027-2028" in exc.value.messages[0]
    assert "không thực hiện lại được" in exc.value.messages[0]
    with pytest.raises(ValidationError):
        service.preview(principal(world), side.year)
    assert counts() == before


@pytest.mark.parametrize("who", [Role.TEACHER, Role.CLERK, "other_principal", "so_admin"])
def test_only_the_school_leaders_may_open_the_year(world, school, who):
    membership = {"other_principal": world.b.m(Role.PRINCIPAL), "so_admin": world.members["so_admin"]}.get(who)
    someone = actor(world, membership or world.a.m(who))
    before = counts()
    with pytest.raises(PermissionDenied):
        service.preview(someone, world.a.year)
    with pytest.raises(PermissionDenied):
        service.open_year(someone, world.a.year, allow_pending=True)
    assert counts() == before


def test_school_admin_may_open_the_year(world, school):
    opening = service.open_year(actor(world, world.a.m(Role.SCHOOL_ADMIN)), world.a.year, allow_pending=True)
    assert opening.opened_by == world.a.m(Role.SCHOOL_ADMIN).user


# --- the pages -------------------------------------------------------------------------------------------


def test_pages_preview_refuse_then_confirm(world, school):
    side = world.a
    client = web_client(side.m(Role.PRINCIPAL))
    url = reverse("students:year-opening")
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "2027-2028" in html and "8A2" in html and "Chi Thi Lại" in html and service.ALLOW_PENDING_LABEL in html
    assert not SchoolYear.objects.filter(start_year=2027).exists()

    refused = client.post(url, {"school_year": side.year.pk})
    assert refused.status_code == 400
    assert "Còn 4 học sinh chưa có quyết định" in refused.content.decode()
    assert not YearOpening.objects.exists()

    done = client.post(url, {"school_year": side.year.pk, "allow_pending": "on"})
    opening = YearOpening.objects.get()
    assert done.status_code == 302 and done["Location"] == opening.get_absolute_url()
    detail = client.get(opening.get_absolute_url())
    html = detail.content.decode()
    assert detail.status_code == 200 and "Lan Ra Trường" in html and "Kim Chưa Tính" in html


def test_pages_are_refused_to_teachers_and_other_schools(world, school):
    side = world.a
    opening = service.open_year(principal(world), side.year, allow_pending=True)
    detail = reverse("students:year-opening-detail", args=[opening.pk])
    assert web_client(side.m(Role.TEACHER)).get(reverse("students:year-opening")).status_code == 403
    assert web_client(side.m(Role.TEACHER)).get(detail).status_code == 404  # not among the rows a teacher reads
    assert web_client(world.b.m(Role.PRINCIPAL)).get(detail).status_code == 404
    other = web_client(world.b.m(Role.PRINCIPAL)).post(
        reverse("students:year-opening"), {"school_year": side.year.pk, "allow_pending": "on"}
    )
    assert other.status_code == 404
    listing = web_client(world.members["phong1_staff"]).get(reverse("students:year-opening"))
    assert listing.status_code == 200 and opening.get_absolute_url() in listing.content.decode()
    assert web_client(world.members["phong1_staff"]).get(detail).status_code == 200
    assert web_client(world.members["phong2_admin"]).get(detail).status_code == 404


# --- the API ---------------------------------------------------------------------------------------------


def test_api_preview_then_confirm_and_read(world, school):
    side = world.a
    client = api_client(side.m(Role.PRINCIPAL))
    url = reverse("api:year-opening-run")
    preview = client.post(url, {}, format="json")
    assert preview.status_code == 200
    assert preview.json()["needs_allow_pending"] is True and preview.json()["counts"]["pending"] == 4
    assert not YearOpening.objects.exists()

    refused = client.post(url, {"dry_run": False}, format="json")
    assert refused.status_code == 400 and "allow_pending" in refused.json()["errors"]

    done = client.post(url, {"dry_run": False, "allow_pending": True}, format="json")
    assert done.status_code == 201
    body = done.json()
    assert body["summary"]["counts"]["graduate"] == 1

    again = client.post(url, {"dry_run": False, "allow_pending": True, "school_year": side.year.pk}, format="json")
    assert again.status_code == 400

    so = api_client(world.members["so_staff"])
    assert [row["id"] for row in so.get(reverse("api:yearopening-list")).json()["results"]] == [body["id"]]
    assert so.get(reverse("api:yearopening-detail", args=[body["id"]])).status_code == 200
    assert (
        api_client(world.b.m(Role.PRINCIPAL)).get(reverse("api:yearopening-detail", args=[body["id"]])).status_code
        == 404
    )


def test_api_refuses_teachers_and_other_schools_years(world, school):
    url = reverse("api:year-opening-run")
    assert api_client(world.a.m(Role.TEACHER)).post(url, {}, format="json").status_code == 403
    other = api_client(world.b.m(Role.PRINCIPAL)).post(
        url, {"school_year": world.a.year.pk, "dry_run": False, "allow_pending": True}, format="json"
    )
    assert other.status_code == 404
    assert not YearOpening.objects.exists()


# --- the query count does not grow with the school ----------------------------------------------------------


def _populate(side, per_grade: int, per_class: int) -> None:
    """``per_grade`` classes in each grade with ``per_class`` learners each (promoted, one repeater, and in
    grade 9 graduates), a homeroom teacher, a subject plan and an assignment per class."""
    teacher = staff(side, user=side.m(Role.TEACHER).user)
    sem2 = side.year.semesters.get(number=2)
    for grade in side.school.grades:
        SubjectPlan.objects.get_or_create(
            school=side.school, school_year=side.year, grade=grade, subject=side.subject,
            defaults={"periods_per_year": 140},
        )  # fmt: skip
        for k in range(per_grade):
            name = f"{grade}A{k + 1}"
            c = SchoolClass.objects.filter(school_year=side.year, name=name).first() or klass(
                side, grade, name, side.m(Role.TEACHER).user
            )
            TeachingAssignment.objects.create(
                school=side.school, semester=sem2, school_class=c, subject=side.subject, teacher=teacher
            )
            for i in range(per_class):
                outcome = R if i == 0 else (C if grade == 9 else P)
                learner(side, c, outcome)


def _opening_queries(world, side) -> int:
    who = actor(world, side.m(Role.PRINCIPAL))
    with CaptureQueriesContext(connection) as ctx:
        service.open_year(who, side.year)
    return len(ctx.captured_queries)


def test_confirm_query_count_does_not_grow_with_the_school(world):
    small = world.a
    medium = make_school(world.phong1, "C2M", "Trường THCS Vừa")
    large = make_school(world.phong1, "C2L", "Trường THCS Lớn")
    _populate(small, per_grade=1, per_class=2)
    _populate(medium, per_grade=2, per_class=8)
    _populate(large, per_grade=3, per_class=12)
    assert Enrolment.objects.filter(school=large.school).count() == 4 * 3 * 12
    few, more, many = (_opening_queries(world, side) for side in (small, medium, large))
    assert few == more
    # The database splits a long bulk insert into statements (SQLite: about 80 history rows each): the
    # 111 new enrolments of the large school take one statement more — per batch, never per learner or class.
    assert few <= many <= few + 2
    # grades 6–8 all go on (11 promoted, 1 repeater a class), grade 9 keeps its repeaters
    assert Enrolment.objects.filter(school=large.school, school_year__start_year=2027).count() == 3 * 3 * 12 + 3
    assert StudentMovement.objects.filter(school=large.school, kind=MovementKind.GRADUATE).count() == 3 * 11
    assert (
        TeachingAssignment.objects.filter(school=large.school, semester__school_year__start_year=2027).count() == 2 * 9
    )
