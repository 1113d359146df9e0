"""The grade book: opening sheets (column layouts by the rules), the all-or-nothing save (only
changed cells, history, idempotent batches, conflicts, who may save and when), semester
results, the pages and the API, and the constant query count of a save."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from sms.accounts.roles import Role, UnitKind
from sms.org.models import SchoolClass, Subject, SubjectPlan, Unit
from sms.org.rules import SchoolType
from sms.org.services import create_school_year
from students import rules
from students.models import (
    Enrolment,
    EntryDeadline,
    Exemption,
    ExemptionKind,
    Period,
    SaveBatch,
    Score,
    ScoreSheet,
    SheetStatus,
    Student,
    SubjectResult,
    UnlockRequest,
    UnlockStatus,
)
from students.services import gradebook
from teachers.models import Position, StaffRecord, TeachingAssignment
from tests.world import api_client, grant, make_school, make_user, web_client

pytestmark = pytest.mark.django_db

NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em"]
_codes = iter(range(1, 10**6))


def enrol(side, names, *, school_class=None, **extra) -> list[Enrolment]:
    klass = school_class or side.klass
    rows = []
    for name in names:
        student = Student.objects.create(
            school=side.school,
            learner_code=f"{side.school.pk:03d}{next(_codes):07d}",
            full_name=name,
            birth_date=dt.date(2014, 3, 1),
            sex="M",
        )
        rows.append(
            Enrolment.objects.create(
                school=side.school, student=student, school_year=klass.school_year, school_class=klass, **extra
            )
        )
    return rows


def assign(side, membership, *, subject=None, school_class=None, semester_number=1) -> TeachingAssignment:
    user = membership.user
    staff = StaffRecord.objects.filter(user=user, school=side.school).first() or StaffRecord.objects.create(
        school=side.school, user=user, full_name=user.full_name, position=Position.TEACHER
    )
    return TeachingAssignment.objects.create(
        school=side.school,
        semester=side.year.semesters.get(number=semester_number),
        school_class=school_class or side.klass,
        subject=subject or side.subject,
        teacher=staff,
    )


@pytest.fixture
def a(world):
    """School A: ``teacher2`` (Trần Thị Bình) teaches Toán (140 periods) in 6A1, whose homeroom
    teacher is ``teacher``; five learners."""
    side = world.a
    side.semester = side.year.semesters.get(number=1)
    assign(side, side.m("teacher2"))
    side.enrolments = enrol(side, NAMES)
    side.actors = {k: world.actor(side.m(k)) for k in (Role.TEACHER, "teacher2", Role.PRINCIPAL, Role.CLERK)}
    side.subject_teacher = side.actors["teacher2"]
    return side


def opened(a, subject=None) -> ScoreSheet:
    return gradebook.open_sheet(a.subject_teacher, a.klass, subject or a.subject, a.semester)


def cell(enrolment, column, value, old=""):
    return {"enrolment": enrolment.pk, "column": column, "value": value, "old": old}


def save(a, sheet, cells, batch=None, actor=None):
    return gradebook.save_cells(actor or a.subject_teacher, sheet, batch_id=batch or uuid.uuid4(), cells=cells)


def values(sheet) -> dict:
    return {(s.enrolment_id, s.column): s.value for s in Score.objects.filter(sheet=sheet)}


def new_subject(side, code, name, assessment="scored", periods=70) -> Subject:
    subject = Subject.objects.create(school=side.school, code=code, name=name, assessment=assessment)
    SubjectPlan.objects.create(
        school=side.school, school_year=side.year, grade=side.klass.grade, subject=subject, periods_per_year=periods
    )
    return subject


# --- opening a sheet: the layout comes from the rules ---------------------------------------------------


def test_open_sheet_tt22_scored_140_periods_has_four_regular_scores(a):
    sheet = opened(a)
    assert sheet.rule_set == rules.RuleSet.TT22
    assert [c["key"] for c in sheet.columns] == ["tx1", "tx2", "tx3", "tx4", "gk", "ck"]
    assert [c["label"] for c in sheet.columns][-2:] == ["ĐĐGgk", "ĐĐGck"]
    assert {c["kind"] for c in sheet.columns} == {"score"}
    # opening again gives the same sheet
    assert opened(a).pk == sheet.pk
    assert ScoreSheet.objects.filter(school_class=a.klass).count() == 1


def test_open_sheet_35_periods_has_two_regular_scores(a):
    subject = new_subject(a, "gdcd", "Giáo dục công dân", periods=35)
    assign(a, a.m("teacher2"), subject=subject)
    assert [c["key"] for c in opened(a, subject).columns] == ["tx1", "tx2", "gk", "ck"]


def test_open_sheet_comment_subject_takes_dat_chua_dat(a):
    subject = new_subject(a, "gdtc", "Giáo dục thể chất", assessment="comment")
    assign(a, a.m("teacher2"), subject=subject)
    sheet = opened(a, subject)
    assert {c["kind"] for c in sheet.columns} == {"comment"}
    assert gradebook.sheet_kind(sheet) == "comment"


def test_open_sheet_primary_levels_and_test(world):
    side = make_school(world.phong1, "C1X", "Trường Tiểu học Xuân", SchoolType.C1)
    staff = StaffRecord.objects.create(
        school=side.school, user=side.m("teacher2").user, full_name="Trần Thị Bình", position=Position.TEACHER
    )
    semester = side.year.semesters.get(number=1)
    TeachingAssignment.objects.create(
        school=side.school, semester=semester, school_class=side.klass, subject=side.subject, teacher=staff
    )
    actor = world.actor(side.m("teacher2"))
    sheet = gradebook.open_sheet(actor, side.klass, side.subject, semester)
    assert sheet.rule_set == rules.RuleSet.TT27
    assert [(c["key"], c["kind"]) for c in sheet.columns] == [
        ("level_gk", "level"),
        ("level_ck", "level"),
        ("test_ck", "test"),
    ]
    (learner,) = enrol(side, ["Đỗ Minh Khôi"])
    reply = gradebook.save_cells(
        actor,
        sheet,
        batch_id=uuid.uuid4(),
        cells=[cell(learner, "level_gk", "h"), cell(learner, "level_ck", "t"), cell(learner, "test_ck", "9,0")],
    )
    assert values(sheet) == {(learner.pk, "level_gk"): "H", (learner.pk, "level_ck"): "T", (learner.pk, "test_ck"): "9"}
    assert reply["results"][str(learner.pk)] == {"level": "T", "test": 9, "display": "T KT 9"}
    with pytest.raises(gradebook.SheetError) as bad:
        gradebook.save_cells(actor, sheet, batch_id=uuid.uuid4(), cells=[cell(learner, "test_ck", "8,5", "9")])
    assert "Điểm bài kiểm tra định kỳ phải là số nguyên" in bad.value.errors[0]["message"]


def test_open_sheet_without_subject_plan_names_subject_and_grade(a):
    subject = Subject.objects.create(school=a.school, code="tin", name="Tin học", assessment="scored")
    with pytest.raises(gradebook.SheetError) as error:
        gradebook.open_sheet(a.actors[Role.PRINCIPAL], a.klass, subject, a.semester)
    assert error.value.code == "no_plan"
    assert "Tin học" in error.value.message and f"khối {a.klass.grade}" in error.value.message
    assert not ScoreSheet.objects.filter(subject=subject).exists()


def test_preschool_has_no_grade_book(world):
    school = Unit.objects.create(
        kind=UnitKind.SCHOOL, school_type=SchoolType.C0, code="C0X", name="Trường Mầm non Hoa Mai", parent=world.phong1
    )
    year = create_school_year(school, 2026, make_current=True)
    subject = Subject.objects.create(school=school, code="pt", name="Phát triển thể chất", assessment="comment")
    klass = SchoolClass.objects.create(school=school, school_year=year, grade=0, name="Lá 1")
    principal = world.actor(grant(make_user(), school, Role.PRINCIPAL))
    with pytest.raises(gradebook.SheetError) as error:
        gradebook.open_sheet(principal, klass, subject, year.semesters.get(number=1))
    assert error.value.code == "no_grades"
    assert "mầm non" in error.value.message


def test_who_may_open_a_sheet(a, world):
    assert gradebook.open_sheet(a.actors[Role.TEACHER], a.klass, a.subject, a.semester)  # homeroom teacher
    subject = new_subject(a, "van", "Ngữ văn")
    assert gradebook.open_sheet(a.actors[Role.PRINCIPAL], a.klass, subject, a.semester)
    other = new_subject(a, "anh", "Tiếng Anh")
    with pytest.raises(PermissionDenied):
        gradebook.open_sheet(a.actors[Role.CLERK], a.klass, other, a.semester)
    with pytest.raises(PermissionDenied):  # teaches Toán here, not Tiếng Anh, and is not homeroom
        gradebook.open_sheet(a.subject_teacher, a.klass, other, a.semester)
    with pytest.raises(gradebook.SheetError):  # another school's class
        gradebook.open_sheet(a.actors[Role.PRINCIPAL], world.b.klass, a.subject, a.semester)


# --- saving: all or nothing, only what changed, with history --------------------------------------------


def test_save_writes_only_changed_cells_with_history(a):
    sheet = opened(a)
    an, binh = a.enrolments[0], a.enrolments[1]
    first = save(a, sheet, [cell(an, "tx1", "8,5"), cell(an, "tx2", "7"), cell(binh, "tx1", "9")])
    assert first["saved"] == 3 and first["version"] == 1
    assert values(sheet) == {(an.pk, "tx1"): "8.5", (an.pk, "tx2"): "7", (binh.pk, "tx1"): "9"}
    assert Score.history.filter(sheet_id=sheet.pk).count() == 3
    # the client sends every cell it holds; only the one that changed is written
    second = save(a, sheet, [cell(an, "tx1", "8,5", "8.5"), cell(an, "tx2", "6,5", "7"), cell(binh, "tx1", "9", "9")])
    assert second["saved"] == 1 and second["version"] == 2
    assert [(c["column"], c["value"], c["display"]) for c in second["cells"]] == [("tx2", "6.5", "6,5")]
    assert second["cells"][0]["updated_by"] == "Trần Thị Bình"
    assert Score.history.filter(sheet_id=sheet.pk).count() == 4
    sheet.refresh_from_db()
    assert sheet.version == 2


def test_cleared_cell_keeps_its_row_and_history(a):
    sheet = opened(a)
    an = a.enrolments[0]
    save(a, sheet, [cell(an, "tx1", "8")])
    save(a, sheet, [cell(an, "tx1", "", "8")])
    row = Score.objects.get(sheet=sheet, enrolment=an, column="tx1")
    assert row.value == ""
    assert [h.value for h in row.history.order_by("history_date")] == ["8", ""]


def test_resending_the_same_batch_returns_the_same_reply_once(a):
    sheet = opened(a)
    an = a.enrolments[0]
    batch = uuid.uuid4()
    first = save(a, sheet, [cell(an, "tx1", "8")], batch=batch)
    again = save(a, sheet, [cell(an, "tx1", "8")], batch=batch)
    assert again == first
    assert Score.history.filter(sheet_id=sheet.pk).count() == 1
    assert SaveBatch.objects.filter(batch_id=batch).count() == 1
    sheet.refresh_from_db()
    assert sheet.version == 1
    # the same id from somebody else, or for another sheet, is refused
    with pytest.raises((gradebook.SheetError, PermissionDenied)):
        save(a, sheet, [cell(an, "tx2", "8")], batch=batch, actor=a.actors[Role.PRINCIPAL])


def test_reused_batch_id_with_other_cells_is_refused(a):
    sheet = opened(a)
    an, binh = a.enrolments[0], a.enrolments[1]
    batch = uuid.uuid4()
    first = save(a, sheet, [cell(an, "tx1", "8"), cell(binh, "tx1", "7")], batch=batch)
    assert SaveBatch.objects.get(batch_id=batch).digest == gradebook.batch_digest(
        [cell(an, "tx1", "8"), cell(binh, "tx1", "7")]
    )
    # the same cells in another order are the same batch: the stored reply
    assert save(a, sheet, [cell(binh, "tx1", "7"), cell(an, "tx1", "8")], batch=batch) == first
    # the same id with another value (or another old value) is a clear refusal, nothing saved
    for cells in ([cell(an, "tx1", "9", "8")], [cell(an, "tx1", "8"), cell(binh, "tx1", "7", "5")]):
        with pytest.raises(gradebook.SheetError) as error:
            save(a, sheet, cells, batch=batch)
        assert error.value.code == "batch_reused" and error.value.status == 400
        assert "đã được dùng" in error.value.message
    assert values(sheet) == {(an.pk, "tx1"): "8", (binh.pk, "tx1"): "7"}
    # a batch stored before digests were kept is answered as before
    SaveBatch.objects.filter(batch_id=batch).update(digest="")
    assert save(a, sheet, [cell(an, "tx1", "9", "8")], batch=batch) == first


def test_invalid_cell_saves_nothing_and_names_row_and_column(a):
    sheet = opened(a)
    an, binh = a.enrolments[0], a.enrolments[1]
    with pytest.raises(gradebook.SheetError) as error:
        save(a, sheet, [cell(an, "tx1", "8"), cell(binh, "tx2", "11"), cell(binh, "gk", "7,25")])
    messages = [e["message"] for e in error.value.errors]
    assert messages == [
        "Dòng 2 – Trần Thị Bình, cột ĐĐGtx2: Điểm phải từ 0 đến 10.",
        "Dòng 2 – Trần Thị Bình, cột ĐĐGgk: Điểm chỉ được có một chữ số thập phân.",
    ]
    assert values(sheet) == {}
    assert not SaveBatch.objects.exists()


def test_unknown_column_and_foreign_learner_are_refused(a, world):
    sheet = opened(a)
    (stranger,) = enrol(world.b, ["Vũ Thị Hoa"])
    with pytest.raises(gradebook.SheetError) as error:
        save(a, sheet, [cell(a.enrolments[0], "tx9", "8"), cell(stranger, "tx1", "8")])
    first, second = (e["message"] for e in error.value.errors)
    assert "không có cột “tx9”" in first
    assert "không có trong danh sách lớp" in second
    assert values(sheet) == {}


def test_conflict_refuses_the_whole_batch(a):
    sheet = opened(a)
    an, binh = a.enrolments[0], a.enrolments[1]
    save(a, sheet, [cell(an, "tx1", "8")])
    # another tab still holds the blank cell and the old page; its batch conflicts on tx1
    with pytest.raises(gradebook.SheetConflict) as conflict:
        save(a, sheet, [cell(an, "tx1", "5", ""), cell(binh, "tx1", "9", "")])
    (item,) = conflict.value.errors
    assert item["current"] == "8" and item["updated_by"] == "Trần Thị Bình"
    assert "đã sửa thành 8" in item["message"] and item["message"].startswith("Dòng 1 – Nguyễn Văn An, cột ĐĐGtx1")
    assert values(sheet) == {(an.pk, "tx1"): "8"}
    # the same value typed twice is no conflict
    assert save(a, sheet, [cell(an, "tx1", "8", "")])["saved"] == 0


def test_only_the_assigned_teacher_saves(a):
    sheet = opened(a)
    for key in (Role.TEACHER, Role.PRINCIPAL):  # homeroom teacher, principal
        with pytest.raises(PermissionDenied):
            save(a, sheet, [cell(a.enrolments[0], "tx1", "8")], actor=a.actors[key])
    assert values(sheet) == {}


@pytest.mark.parametrize("status", [SheetStatus.SUBMITTED, SheetStatus.CHECKED, SheetStatus.APPROVED])
def test_submitted_or_locked_sheet_is_refused(a, status):
    sheet = opened(a)
    ScoreSheet.objects.filter(pk=sheet.pk).update(status=status)
    with pytest.raises(gradebook.SheetError) as error:
        save(a, sheet, [cell(a.enrolments[0], "tx1", "8")])
    assert error.value.code == ("locked" if status == SheetStatus.APPROVED else "submitted")
    assert values(sheet) == {}


def test_deadline_day_is_open_the_day_after_is_not(a):
    sheet = opened(a)
    today = timezone.localdate()
    deadline = EntryDeadline.objects.create(school=a.school, semester=a.semester, closes_on=today)
    assert save(a, sheet, [cell(a.enrolments[0], "tx1", "8")])["saved"] == 1
    deadline.closes_on = today - dt.timedelta(days=1)
    deadline.save()
    with pytest.raises(gradebook.SheetError) as error:
        save(a, sheet, [cell(a.enrolments[0], "tx1", "9", "8")])
    assert error.value.code == "deadline_passed"
    assert "hết hạn nhập điểm" in error.value.message
    # a grade's own deadline overrides the all-grades one
    EntryDeadline.objects.create(school=a.school, semester=a.semester, grade=a.klass.grade, closes_on=today)
    assert save(a, sheet, [cell(a.enrolments[0], "tx1", "9", "8")])["saved"] == 1


def test_unlock_granted_after_the_deadline_reopens_entry_until_submitted(a):
    sheet = opened(a)
    an = a.enrolments[0]
    save(a, sheet, [cell(an, "tx1", "8")])
    today = timezone.localdate()
    closes_on = today - dt.timedelta(days=3)
    EntryDeadline.objects.create(school=a.school, semester=a.semester, closes_on=closes_on)
    principal = a.m(Role.PRINCIPAL).user

    def unlock(decided_at, status=UnlockStatus.GRANTED):
        return UnlockRequest.objects.create(
            school=a.school, sheet=sheet, reason="Nhập nhầm", status=status, decided_by=principal, decided_at=decided_at
        )

    # an unlock decided on the deadline day (or before) gives no extra time
    unlock(timezone.make_aware(dt.datetime.combine(closes_on, dt.time(15))))
    with pytest.raises(gradebook.SheetError) as error:
        save(a, sheet, [cell(an, "tx1", "9", "8")])
    assert error.value.code == "deadline_passed"
    # a refused request after the deadline neither
    unlock(timezone.now(), status=UnlockStatus.REFUSED)
    with pytest.raises(gradebook.SheetError):
        save(a, sheet, [cell(an, "tx1", "9", "8")])
    assert not gradebook.grid(a.subject_teacher, sheet)["editable"]
    # reopened by an unlock granted after the deadline: the draft takes entries again
    unlock(timezone.now() - dt.timedelta(hours=1))
    data = gradebook.grid(a.subject_teacher, sheet)
    assert data["editable"] and data["reason"] == ""
    assert save(a, sheet, [cell(an, "tx1", "9", "8")])["saved"] == 1
    # … until it is submitted again
    ScoreSheet.objects.filter(pk=sheet.pk).update(status=SheetStatus.SUBMITTED)
    with pytest.raises(gradebook.SheetError) as error:
        save(a, sheet, [cell(an, "tx1", "7", "9")])
    assert error.value.code == "submitted"
    assert values(sheet) == {(an.pk, "tx1"): "9"}


def test_exempt_learner_cells_are_refused_and_marked(a):
    sheet = opened(a)
    exempt = a.enrolments[2]
    Exemption.objects.create(school=a.school, enrolment=exempt, subject=a.subject, reason="Sức khoẻ")
    with pytest.raises(gradebook.SheetError) as error:
        save(a, sheet, [cell(a.enrolments[0], "tx1", "8"), cell(exempt, "tx1", "8")])
    assert "được miễn môn này" in error.value.errors[0]["message"]
    assert values(sheet) == {}
    data = gradebook.grid(a.subject_teacher, sheet)
    row = next(r for r in data["rows"] if r["enrolment"] == exempt.pk)
    assert row["exempt"] == "exempt"
    results = gradebook.refresh_sheet_results(sheet)
    assert results[exempt.pk].excluded is True


def test_individual_plan_learner_is_assessed_but_excluded(a):
    sheet = opened(a)
    learner = a.enrolments[3]
    Exemption.objects.create(
        school=a.school, enrolment=learner, subject=a.subject, kind=ExemptionKind.INDIVIDUAL_PLAN, reason="KHGD"
    )
    save(a, sheet, [cell(learner, "tx1", "8")])
    result = SubjectResult.objects.get(enrolment=learner, subject=a.subject, period=Period.SEMESTER_1)
    assert result.excluded is True and result.average is None


def test_learner_who_left_during_the_semester_is_listed_and_marked(a):
    left = enrol(a, ["Bùi Văn Long"], left_on=dt.date(2026, 11, 2))[0]
    gone = enrol(a, ["Đinh Thị Mai"], left_on=dt.date(2026, 8, 1))[0]
    data = gradebook.grid(a.subject_teacher, opened(a))
    listed = {r["enrolment"]: r for r in data["rows"]}
    assert listed[left.pk]["left"] is True and listed[left.pk]["left_on"] == dt.date(2026, 11, 2)
    assert gone.pk not in listed
    # rows follow the class list (Vietnamese alphabetical order of given names)
    assert [r["name"] for r in data["rows"]][:2] == ["Nguyễn Văn An", "Trần Thị Bình"]


# --- semester results ---------------------------------------------------------------------------------


def test_semester_average_follows_the_worked_example(a, world):
    subject = new_subject(a, "khtn", "Khoa học tự nhiên", periods=70)  # 3 regular scores
    assign(a, a.m("teacher2"), subject=subject)
    sheet = opened(a, subject)
    an = a.enrolments[0]
    reply = save(
        a,
        sheet,
        [
            cell(an, "tx1", "5,9"),
            cell(an, "tx2", "5,1"),
            cell(an, "tx3", "4,9"),
            cell(an, "gk", "6,2"),
            cell(an, "ck", "5,2"),
        ],
    )
    assert reply["results"][str(an.pk)] == {"average": "5.5", "display": "5,5"}  # 43,9 / 8 = 5,4875 → 5,5
    result = SubjectResult.objects.get(enrolment=an, subject=subject, period=Period.SEMESTER_1)
    assert result.average == Decimal("5.5") and result.excluded is False
    page = web_client(a.m("teacher2")).get(sheet.get_absolute_url())
    assert f'<td class="gb-result" data-result="{an.pk}">5,5</td>' in page.content.decode()
    # an incomplete row has a result row without an average
    binh = a.enrolments[1]
    save(a, sheet, [cell(binh, "tx1", "8")])
    assert SubjectResult.objects.get(enrolment=binh, subject=subject).average is None


def test_clearing_a_cell_of_a_complete_row_empties_its_average(a):
    """Every changed result row going to NULL at once (PostgreSQL types a NULL-only CASE as text)."""
    subject = new_subject(a, "khtn", "Khoa học tự nhiên", periods=70)
    assign(a, a.m("teacher2"), subject=subject)
    sheet = opened(a, subject)
    an = a.enrolments[0]
    full = {"tx1": "7", "tx2": "8", "tx3": "9", "gk": "8", "ck": "8"}
    save(a, sheet, [cell(an, k, v) for k, v in full.items()])
    assert SubjectResult.objects.get(enrolment=an, subject=subject).average == Decimal("8.0")
    reply = save(a, sheet, [cell(an, "ck", "", old="8")])
    assert reply["results"][str(an.pk)]["average"] is None
    assert SubjectResult.objects.get(enrolment=an, subject=subject).average is None
    assert values(sheet)[(an.pk, "ck")] == ""


def test_comment_subject_result(a):
    subject = new_subject(a, "mt", "Mĩ thuật", assessment="comment", periods=35)
    assign(a, a.m("teacher2"), subject=subject)
    sheet = opened(a, subject)
    an, binh = a.enrolments[0], a.enrolments[1]
    cells = [cell(an, k, "đ") for k in ("tx1", "tx2", "gk", "ck")]
    cells += [cell(binh, k, "Đạt") for k in ("tx1", "tx2", "gk")] + [cell(binh, "ck", "cd")]
    reply = save(a, sheet, cells)
    assert values(sheet)[(binh.pk, "ck")] == "CĐ"
    assert reply["results"][str(an.pk)] == {"passed": True, "display": "Đ"}
    assert reply["results"][str(binh.pk)] == {"passed": False, "display": "CĐ"}
    with pytest.raises(gradebook.SheetError) as error:
        save(a, sheet, [cell(an, "tx1", "8", "Đ")])
    assert "Nhận xét phải là Đ (Đạt) hoặc CĐ (Chưa đạt)." in error.value.errors[0]["message"]


def test_refresh_sheet_results_semester_two(a):
    assign(a, a.m("teacher2"), semester_number=2)
    semester2 = a.year.semesters.get(number=2)
    sheet = gradebook.open_sheet(a.subject_teacher, a.klass, a.subject, semester2)
    an = a.enrolments[0]
    for key, value in {"tx1": "8", "tx2": "8", "tx3": "8", "tx4": "8", "gk": "8", "ck": "8"}.items():
        Score.objects.create(school=a.school, sheet=sheet, enrolment=an, column=key, value=value)
    rows = gradebook.refresh_sheet_results(sheet)
    assert rows[an.pk].period == Period.SEMESTER_2 and rows[an.pk].average == Decimal("8.0")


# --- a save costs the same number of queries for 10 cells and for 45 × 6 --------------------------------


@pytest.fixture
def true_sqlite_limit(monkeypatch):
    """Django 5.2 assumes SQLite's old limit of 999 variables a query and splits bulk writes
    into batches on SQLite only (Django 6.0 reads the real limit). Tell it the real limit of
    the SQLite in use, so the count measures the service, not that assumption; PostgreSQL has
    no such limit."""
    if connection.vendor == "sqlite":
        import sqlite3

        connection.ensure_connection()
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        monkeypatch.setattr(connection.features, "max_query_params", limit)


#: a first save: savepoint, sheet lock, batch lookup, assignment, deadline, class list,
#: exemptions, stored cells, scores + their history, version, results read + write, batch row, release
SAVE_QUERIES = 15


def test_save_query_count_is_constant(a, django_assert_num_queries, true_sqlite_limit):
    learners = a.enrolments + enrol(a, [f"Học Sinh Số {n:02d}" for n in range(40)])
    assert len(learners) == 45
    small_subject = new_subject(a, "ls", "Lịch sử và Địa lí", periods=140)
    assign(a, a.m("teacher2"), subject=small_subject)
    small, big = opened(a, small_subject), opened(a)
    keys = [c["key"] for c in big.columns]
    assert len(keys) == 6
    with django_assert_num_queries(SAVE_QUERIES):
        assert save(a, small, [cell(e, "tx1", "8") for e in learners[:10]])["saved"] == 10
    with django_assert_num_queries(SAVE_QUERIES):
        assert save(a, big, [cell(e, k, "7,5") for e in learners for k in keys])["saved"] == 270
    assert len(values(big)) == 270 and Score.history.filter(sheet_id=big.pk).count() == 270
    # changing them all costs the same: scores and results are updated in bulk instead of created
    with django_assert_num_queries(SAVE_QUERIES):
        assert save(a, big, [cell(e, k, "8", "7.5") for e in learners for k in keys])["saved"] == 270
    assert Score.history.filter(sheet_id=big.pk).count() == 540


# --- the API ------------------------------------------------------------------------------------------


def api_save(membership, sheet, cells, batch=None):
    return api_client(membership).post(
        reverse("api:scoresheet-save", kwargs={"pk": sheet.pk}),
        {"batch_id": str(batch or uuid.uuid4()), "cells": cells},
        format="json",
    )


def test_api_save_records_user_and_ip_in_history(a):
    sheet = opened(a)
    response = api_save(a.m("teacher2"), sheet, [cell(a.enrolments[0], "tx1", "8,5")])
    assert response.status_code == 200, response.json()
    assert response.json()["saved"] == 1
    record = Score.history.get(sheet_id=sheet.pk)
    assert record.history_user == a.m("teacher2").user
    assert record.history_ip == "127.0.0.1"
    assert record.history_membership_id == a.m("teacher2").pk


def test_api_errors(a, world):
    sheet = opened(a)
    an = a.enrolments[0]
    bad = api_save(a.m("teacher2"), sheet, [cell(an, "tx1", "8"), cell(an, "gk", "abc")])
    assert bad.status_code == 400
    body = bad.json()
    assert body["code"] == "invalid"
    assert body["errors"] == [
        {
            "enrolment": an.pk,
            "column": "gk",
            "message": "Dòng 1 – Nguyễn Văn An, cột ĐĐGgk: Điểm không hợp lệ: hãy nhập một số từ 0 đến 10, ví dụ 8 "
            "hoặc 8,5.",
        }
    ]
    assert values(sheet) == {}
    assert api_save(a.m("teacher2"), sheet, [cell(an, "tx1", "8")]).status_code == 200
    conflict = api_save(a.m("teacher2"), sheet, [cell(an, "tx1", "6", "")])
    assert conflict.status_code == 409 and conflict.json()["code"] == "conflict"
    assert conflict.json()["errors"][0]["current"] == "8"
    for key in (Role.TEACHER, Role.PRINCIPAL):  # homeroom teacher and principal read only
        assert api_save(a.m(key), sheet, [cell(an, "tx1", "6", "8")]).status_code == 403
    assert api_save(world.b.m(Role.PRINCIPAL), sheet, [cell(an, "tx1", "6", "8")]).status_code == 404
    assert api_save(a.m(Role.STUDENT), sheet, [cell(an, "tx1", "6", "8")]).status_code == 404
    malformed = api_client(a.m("teacher2")).post(
        reverse("api:scoresheet-save", kwargs={"pk": sheet.pk}), {"batch_id": "x", "cells": []}, format="json"
    )
    assert malformed.status_code == 400
    assert values(sheet) == {(an.pk, "tx1"): "8"}


def test_api_resend_of_the_same_batch_gets_the_same_answer(a):
    sheet = opened(a)
    batch = uuid.uuid4()
    first = api_save(a.m("teacher2"), sheet, [cell(a.enrolments[0], "tx1", "8")], batch=batch)
    again = api_save(a.m("teacher2"), sheet, [cell(a.enrolments[0], "tx1", "8")], batch=batch)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert Score.history.filter(sheet_id=sheet.pk).count() == 1


def test_a_changed_cell_takes_an_approved_result_back_to_computed(a):
    sheet = opened(a)
    an = a.enrolments[0]
    save(a, sheet, [cell(an, k, "8") for k in ("tx1", "tx2", "tx3", "tx4", "gk", "ck")])
    SubjectResult.objects.filter(enrolment=an).update(status="approved")  # approved, then unlocked
    save(a, sheet, [cell(an, "ck", "9", "8")])
    result = SubjectResult.objects.get(enrolment=an, subject=a.subject, period=Period.SEMESTER_1)
    assert result.average == Decimal("8.3") and result.status == "computed"  # (4 × 8 + 2 × 8 + 3 × 9) / 9 = 8,33…


def test_api_grid_is_readable_by_homeroom_and_principal_not_other_school(a, world):
    sheet = opened(a)
    save(a, sheet, [cell(a.enrolments[0], "tx1", "8,5")])
    url = reverse("api:scoresheet-detail", kwargs={"pk": sheet.pk})
    for membership in (a.m(Role.TEACHER), a.m(Role.PRINCIPAL), world.members["phong1_staff"]):
        response = api_client(membership).get(url)
        assert response.status_code == 200
        body = response.json()
        assert body["editable"] is False and body["reason"]
        first = body["rows"][0]
        assert first["name"] == "Nguyễn Văn An"
        assert first["cells"]["tx1"]["display"] == "8,5" and first["cells"]["tx1"]["updated_by"] == "Trần Thị Bình"
    own = api_client(a.m("teacher2")).get(url).json()
    assert own["editable"] is True and own["reason"] == ""
    assert api_client(world.b.m(Role.PRINCIPAL)).get(url).status_code == 404
    assert api_client(a.m(Role.STUDENT)).get(url).status_code == 404
    listed = api_client(a.m("teacher2")).get(reverse("api:scoresheet-list")).json()
    assert [row["id"] for row in listed["results"]] == [sheet.pk]


def test_api_open(a, world):
    url = reverse("api:scoresheet-open")
    payload = {"school_class": a.klass.pk, "subject": a.subject.pk, "semester": a.semester.pk}
    response = api_client(a.m("teacher2")).post(url, payload, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["url"] == reverse("students:sheet-detail", kwargs={"pk": response.json()["id"]})
    assert api_client(world.b.m(Role.PRINCIPAL)).post(url, payload, format="json").status_code == 404
    plan_missing = Subject.objects.create(school=a.school, code="am", name="Âm nhạc", assessment="comment")
    bad = api_client(a.m(Role.PRINCIPAL)).post(url, {**payload, "subject": plan_missing.pk}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "no_plan"


def test_session_save_needs_csrf_and_login(a, client):
    sheet = opened(a)
    url = reverse("api:scoresheet-save", kwargs={"pk": sheet.pk})
    body = {"batch_id": str(uuid.uuid4()), "cells": [cell(a.enrolments[0], "tx1", "8")]}
    assert client.post(url, body, content_type="application/json").status_code == 401
    browser = web_client(a.m("teacher2"))
    browser.handler.enforce_csrf_checks = True
    assert browser.post(url, body, content_type="application/json").status_code == 403
    page = browser.get(sheet.get_absolute_url())
    token = page.cookies["csrftoken"].value
    response = browser.post(url, body, content_type="application/json", headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.json()["saved"] == 1


# --- the pages ----------------------------------------------------------------------------------------


def test_grid_page_is_an_accessible_table(a):
    sheet = opened(a)
    save(a, sheet, [cell(a.enrolments[0], "tx1", "8,5")])
    page = web_client(a.m("teacher2")).get(sheet.get_absolute_url())
    assert page.status_code == 200
    html = page.content.decode()
    assert "<caption>Toán – lớp 6A1 – Học kỳ I 2026-2027: 5 học sinh" in html
    assert '<th scope="row" class="gb-name">Nguyễn Văn An</th>' in html
    assert 'aria-label="Nguyễn Văn An – ĐĐGtx1"' in html
    assert 'value="8,5"' in html and 'data-old="8.5"' in html
    assert "Sửa lần cuối: Trần Thị Bình," in html
    assert "students/gradebook.js" in html
    assert reverse("api:scoresheet-save", kwargs={"pk": sheet.pk}) in html


def test_grid_page_for_readers_has_no_inputs(a):
    sheet = opened(a)
    for key in (Role.TEACHER, Role.PRINCIPAL):
        html = web_client(a.m(key)).get(sheet.get_absolute_url()).content.decode()
        assert 'class="gb-cell"' not in html
        assert gradebook.MSG_READ_ONLY in html


def test_form_post_without_script_saves_and_reports_errors(a):
    sheet = opened(a)
    an, binh = a.enrolments[0], a.enrolments[1]
    browser = web_client(a.m("teacher2"))
    form = {
        "batch_id": str(uuid.uuid4()),
        f"c-{an.pk}-tx1": "8,5",
        f"o-{an.pk}-tx1": "",
        f"c-{binh.pk}-tx1": "",
        f"o-{binh.pk}-tx1": "",
    }
    response = browser.post(sheet.get_absolute_url(), form)
    assert response.status_code == 302
    assert values(sheet) == {(an.pk, "tx1"): "8.5"}
    # untouched cells (same value as drawn) are not sent; a bad one re-shows the page, nothing saved
    form.update(
        {"batch_id": str(uuid.uuid4()), f"o-{an.pk}-tx1": "8.5", f"c-{binh.pk}-tx1": "12", f"c-{an.pk}-tx2": "7"}
    )
    response = browser.post(sheet.get_absolute_url(), form)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Dòng 2 – Trần Thị Bình, cột ĐĐGtx1: Điểm phải từ 0 đến 10." in html
    assert 'value="12"' in html  # what was typed is kept
    assert values(sheet) == {(an.pk, "tx1"): "8.5"}
    # the principal's post is refused
    assert web_client(a.m(Role.PRINCIPAL)).post(sheet.get_absolute_url(), form).status_code == 403


def test_form_batch_id_is_new_on_every_render_and_a_reused_one_is_refused(a):
    sheet = opened(a)
    an = a.enrolments[0]
    browser = web_client(a.m("teacher2"))

    def batch_of(html):
        return html.split('name="batch_id" value="', 1)[1].split('"', 1)[0]

    first = batch_of(browser.get(sheet.get_absolute_url()).content.decode())
    assert first != batch_of(browser.get(sheet.get_absolute_url()).content.decode())
    form = {"batch_id": first, f"c-{an.pk}-tx1": "8", f"o-{an.pk}-tx1": ""}
    response = browser.post(sheet.get_absolute_url(), form, follow=True)
    assert batch_of(response.content.decode()) != first
    # Back, then the old page sent again with another value: refused in words, not lost silently
    form[f"c-{an.pk}-tx1"] = "9"
    response = browser.post(sheet.get_absolute_url(), form)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Mã lần lưu này đã được dùng" in html
    assert 'value="9"' in html and batch_of(html) != first
    assert values(sheet) == {(an.pk, "tx1"): "8"}


def test_sheet_list_and_open(a, world):
    teacher = web_client(a.m("teacher2"))
    html = teacher.get(reverse("students:sheet-list")).content.decode()
    assert "Chưa mở" in html and "Mở bảng điểm" in html
    response = teacher.post(
        reverse("students:sheet-open"), {"class": a.klass.pk, "subject": a.subject.pk, "semester": a.semester.pk}
    )
    sheet = ScoreSheet.objects.get(school_class=a.klass, subject=a.subject, semester=a.semester)
    assert response.status_code == 302 and response["Location"] == sheet.get_absolute_url()
    html = teacher.get(reverse("students:sheet-list")).content.decode()
    assert sheet.get_absolute_url() in html and "Nhập điểm" in html and "Đang nhập" in html
    # the homeroom teacher sees the class's subjects; the principal every assignment of the school
    assert (
        sheet.get_absolute_url() in web_client(a.m(Role.TEACHER)).get(reverse("students:sheet-list")).content.decode()
    )
    assert (
        sheet.get_absolute_url() in web_client(a.m(Role.PRINCIPAL)).get(reverse("students:sheet-list")).content.decode()
    )
    # school B sees nothing of it and cannot open A's class
    other = web_client(world.b.m(Role.PRINCIPAL))
    assert sheet.get_absolute_url() not in other.get(reverse("students:sheet-list")).content.decode()
    denied = other.post(
        reverse("students:sheet-open"), {"class": a.klass.pk, "subject": a.subject.pk, "semester": a.semester.pk}
    )
    assert denied.status_code == 404
    # filters
    html = teacher.get(reverse("students:sheet-list"), {"status": "approved"}).content.decode()
    assert sheet.get_absolute_url() not in html


def test_sheet_list_for_phong_staff_asks_for_a_school(a, world):
    sheet = opened(a)
    client = web_client(world.members["phong1_staff"])
    assert "Chọn một trường" in client.get(reverse("students:sheet-list")).content.decode()
    html = client.get(reverse("students:sheet-list"), {"school": a.school.pk}).content.decode()
    assert sheet.get_absolute_url() in html
    html = client.get(reverse("students:sheet-list"), {"school": world.b.school.pk}).content.decode()
    assert sheet.get_absolute_url() not in html


def test_history_page_lists_changes_newest_first(a):
    sheet = opened(a)
    an = a.enrolments[0]
    api_save(a.m("teacher2"), sheet, [cell(an, "tx1", "8")])
    api_save(a.m("teacher2"), sheet, [cell(an, "tx1", "9,5", "8")])
    html = web_client(a.m(Role.PRINCIPAL)).get(reverse("students:sheet-history", kwargs={"pk": sheet.pk})).content
    html = html.decode()
    assert "2 thay đổi" in html
    newest = html.index("9,5")
    assert newest < html.index("(nhập mới)")
    assert "127.0.0.1" in html and "Trần Thị Bình" in html and "ĐĐGtx1" in html
