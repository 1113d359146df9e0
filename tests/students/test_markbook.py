"""The class mark book (sổ theo dõi và đánh giá học sinh) as xlsx and back: the layout a teacher opens in
Excel, the round trip (only changed cells, dry run writes nothing, confirm writes with history, twice
changes nothing), the refusals (bad cell, another teacher's subject, approved sheet, a cell changed after
the export), who reaches it, the API, and an export whose query count does not grow with the class."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from sms.accounts.roles import Role
from sms.audit.models import AuditEvent
from sms.exports import xlsx
from sms.org.models import SchoolClass, Subject, SubjectPlan
from students import rules
from students.models import Enrolment, Period, SaveBatch, Score, ScoreSheet, SheetStatus, Student, SubjectResult
from students.reports import markbook
from students.services import gradebook
from teachers.models import Position, StaffRecord, TeachingAssignment
from tests.platform.test_xlsx_limits import BOMB, inflate, zip_bomb
from tests.world import api_client, grant, make_user, web_client

pytestmark = pytest.mark.django_db

NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em"]
_codes = iter(range(1, 10**6))
#: An's semester I Toán scores entered before the export
FIRST_SCORES = {"tx1": "8", "tx2": "7,5", "tx3": "9", "tx4": "6", "gk": "7", "ck": "8"}


# --- a class with three subjects, both semesters ----------------------------------------------------------


def enrol(side, names, klass=None) -> list[Enrolment]:
    klass = klass or side.klass
    rows = []
    for name in names:
        student = Student.objects.create(
            school=side.school,
            learner_code=f"9{side.school.pk:02d}{next(_codes):07d}",
            full_name=name,
            birth_date=dt.date(2014, 3, 1),
            sex="M",
        )
        rows.append(
            Enrolment.objects.create(
                school=side.school, student=student, school_year=klass.school_year, school_class=klass
            )
        )
    return rows


def assign(side, membership, subject, number, klass=None) -> TeachingAssignment:
    user = membership.user
    staff = StaffRecord.objects.filter(user=user, school=side.school).first() or StaffRecord.objects.create(
        school=side.school, user=user, full_name=user.full_name, position=Position.TEACHER
    )
    return TeachingAssignment.objects.create(
        school=side.school,
        semester=side.year.semesters.get(number=number),
        school_class=klass or side.klass,
        subject=subject,
        teacher=staff,
    )


def new_subject(side, code, name, assessment="scored", periods=70) -> Subject:
    subject = Subject.objects.create(school=side.school, code=code, name=name, assessment=assessment)
    SubjectPlan.objects.create(
        school=side.school, school_year=side.year, grade=side.klass.grade, subject=subject, periods_per_year=periods
    )
    return subject


def cell(enrolment, column, value, old=""):
    return {"enrolment": enrolment.pk, "column": column, "value": value, "old": old}


def save(actor, sheet, cells):
    return gradebook.save_cells(actor, sheet, batch_id=uuid.uuid4(), cells=cells)


@pytest.fixture
def a(world):
    """School A, class 6A1 (TT22): Toán (140 periods, 4 ĐĐGtx) and Giáo dục thể chất (comment, 70
    periods) taught by ``teacher2`` (Trần Thị Bình) in both semesters, Ngữ văn by the homeroom teacher
    ``teacher``; five learners; some scores entered; the Giáo dục thể chất sheet of semester II not opened."""
    side = world.a
    side.toan = side.subject
    side.gdtc = new_subject(side, "gdtc", "Giáo dục thể chất", "comment", 70)
    side.van = new_subject(side, "ngu-van", "Ngữ văn", "scored", 140)
    for number in (1, 2):
        assign(side, side.m("teacher2"), side.toan, number)
        assign(side, side.m("teacher2"), side.gdtc, number)
        assign(side, side.m(Role.TEACHER), side.van, number)
    side.enrolments = enrol(side, NAMES)
    side.subject_teacher = world.actor(side.m("teacher2"))
    side.homeroom = world.actor(side.m(Role.TEACHER))
    side.sem = {n: side.year.semesters.get(number=n) for n in (1, 2)}
    an, binh = side.enrolments[:2]
    side.toan1 = gradebook.open_sheet(side.subject_teacher, side.klass, side.toan, side.sem[1])
    save(
        side.subject_teacher,
        side.toan1,
        [cell(an, k, v) for k, v in FIRST_SCORES.items()] + [cell(binh, "tx1", "5")],
    )
    side.toan2 = gradebook.open_sheet(side.subject_teacher, side.klass, side.toan, side.sem[2])
    side.gdtc1 = gradebook.open_sheet(side.subject_teacher, side.klass, side.gdtc, side.sem[1])
    save(side.subject_teacher, side.gdtc1, [cell(an, "tx1", "Đ"), cell(binh, "tx1", "CĐ")])
    side.van1 = gradebook.open_sheet(side.homeroom, side.klass, side.van, side.sem[1])
    save(side.homeroom, side.van1, [cell(an, "tx1", "6,5")])
    return side


def export(membership, klass) -> bytes:
    response = web_client(membership).get(reverse("students:markbook-export", kwargs={"pk": klass.pk}))
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == xlsx.CONTENT_TYPE
    return b"".join(response.streaming_content) if response.streaming else response.content


def edit(data: bytes, changes: dict[tuple[str, str, str], object]) -> bytes:
    """Change cells as a teacher would in Excel: (sheet title, learner code, column key) → value."""
    wb = load_workbook(io.BytesIO(data))
    for (title, code, key), value in changes.items():
        ws = wb[title]
        keys = [c.value for c in ws[markbook.KEY_ROW]]
        column = keys.index(key) + 1
        row = next(r for r in range(markbook.FIRST_ROW, ws.max_row + 1) if ws.cell(row=r, column=2).value == code)
        ws.cell(row=row, column=column).value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def url(klass) -> str:
    return reverse("students:markbook-import", kwargs={"pk": klass.pk})


def upload(client, klass, data: bytes):
    return client.post(url(klass), {"file": SimpleUploadedFile("so.xlsx", data, content_type=xlsx.CONTENT_TYPE)})


def confirm(client, klass, response):
    return client.post(url(klass), {"confirm": "1", "upload": response.context["upload"].pk})


def stored(sheet) -> dict:
    return {(s.enrolment_id, s.column): s.value for s in Score.objects.filter(sheet=sheet)}


def everything() -> tuple:
    """What an import could write: every cell, history row, sheet and result."""
    return (
        sorted(Score.objects.values_list("sheet_id", "enrolment_id", "column", "value")),
        Score.history.count(),
        sorted(ScoreSheet.objects.values_list("pk", "version", "status")),
        sorted(SubjectResult.objects.values_list("enrolment_id", "subject_id", "period", "average", "passed")),
        SaveBatch.objects.count(),
    )


# --- the workbook ---------------------------------------------------------------------------------------


def test_export_lays_out_the_paper_mark_book(a):
    data = export(a.m("teacher2"), a.klass)
    wb = load_workbook(io.BytesIO(data))
    # subjects in the programme's order (Ngữ văn, Toán, …, Giáo dục thể chất), as on paper
    assert wb.sheetnames == ["Thông tin", "Ngữ văn", "Toán", "Giáo dục thể chất", "Tổng hợp", markbook.META_SHEET]
    assert wb[markbook.META_SHEET].sheet_state == "veryHidden"
    info = {r[0]: r[1] for r in wb["Thông tin"].iter_rows(min_row=3, max_row=11, values_only=True)}
    assert info["Trường"] == "Trường THCS An Bình"
    assert info["Lớp"] == "6A1" and info["Năm học"] == "2026-2027"
    assert info["Giáo viên chủ nhiệm"] == a.m(Role.TEACHER).user.full_name
    assert info["Quy định đánh giá"] == "Thông tư 22/2021"
    assert info["Ngày in"].count("/") == 2

    ws = wb["Toán"]
    assert ws.row_dimensions[markbook.KEY_ROW].hidden
    keys = [c.value for c in ws[markbook.KEY_ROW]]
    assert keys[0] == f"markbook:subject:{a.toan.pk}"
    hk1 = ["hk1:tx1", "hk1:tx2", "hk1:tx3", "hk1:tx4", "hk1:gk", "hk1:ck", "hk1:avg"]
    hk2 = [k.replace("hk1", "hk2") for k in hk1]
    assert keys[3:] == [*hk1, *hk2, "cn:avg", "cn:retest"]
    labels = [c.value for c in ws[2]][3:]
    assert labels[:7] == ["ĐĐGtx1", "ĐĐGtx2", "ĐĐGtx3", "ĐĐGtx4", "ĐĐGgk", "ĐĐGck", "ĐTBmhk"]
    assert labels[-2:] == ["ĐTBmcn", "KT lại"]
    assert [c.value for c in ws[1]][:4] == ["STT", "Mã định danh", "Họ và tên", "Học kỳ I"]
    # the class list in the grade book's order; scores as numbers shown with one decimal
    rows = list(ws.iter_rows(min_row=markbook.FIRST_ROW, values_only=True))
    assert [r[2] for r in rows] == NAMES
    assert [r[1] for r in rows] == [e.student.learner_code for e in a.enrolments]
    an = ws[markbook.FIRST_ROW]
    assert [c.value for c in an[3:9]] == [8, 7.5, 9, 6, 7, 8]
    assert an[4].number_format == "0.0" and an[4].data_type == "n"
    # ĐTBmhk (8 + 7.5 + 9 + 6 + 2·7 + 3·8) / 9 = 68.5 / 9 = 7.61 → 7.6
    assert an[9].value == 7.6
    # a comment subject: Đ / CĐ as text
    gdtc = wb["Giáo dục thể chất"]
    assert [c.value for c in gdtc[markbook.FIRST_ROW]][3] == "Đ"
    assert [c.value for c in gdtc[markbook.FIRST_ROW + 1]][3] == "CĐ"
    # the semester II sheet not opened yet still has its columns, from the subject plan (70 periods: 3 ĐĐGtx)
    assert "hk2:tx3" in [c.value for c in gdtc[markbook.KEY_ROW]]
    # teacher2 is not assigned Ngữ văn and not homeroom: its scores are not theirs to read
    assert all(v is None for v in [c.value for c in wb["Ngữ văn"][markbook.FIRST_ROW]][3:9])
    summary = wb["Tổng hợp"]
    assert [c.value for c in summary[1]][:4] == ["STT", "Mã định danh", "Họ và tên", "Học tập HK I"]
    assert "Nghỉ không phép" in [c.value for c in summary[1]]
    assert summary.max_row == 6


def test_export_is_audited_and_summary_shows_results_and_absences(a):
    from students.models import Absence, TermResult

    an = a.enrolments[0]
    Absence.objects.create(school=a.school, enrolment=an, day=dt.date(2026, 10, 5), sessions=2, excused=True)
    Absence.objects.create(school=a.school, enrolment=an, day=dt.date(2026, 10, 6), sessions=1)
    TermResult.objects.create(
        school=a.school, enrolment=an, period=Period.SEMESTER_1, rule_set="tt22", learning="kha", conduct="tot"
    )
    data = export(a.m(Role.PRINCIPAL), a.klass)
    summary = load_workbook(io.BytesIO(data))["Tổng hợp"]
    headings = [c.value for c in summary[1]]
    row = dict(zip(headings, [c.value for c in summary[2]], strict=True))
    assert row["Học tập HK I"] == "Khá" and row["Rèn luyện HK I"] == "Tốt"
    assert row["Nghỉ có phép"] == 2 and row["Nghỉ không phép"] == 1
    event = AuditEvent.objects.get(kind="export", object_id=str(a.klass.pk))
    assert event.user == a.m(Role.PRINCIPAL).user and "Sổ theo dõi" in event.detail


# --- the round trip ---------------------------------------------------------------------------------------


def test_round_trip_dry_run_confirm_and_twice_changes_nothing(a):
    an, binh, cuong = a.enrolments[:3]
    client = web_client(a.m("teacher2"))
    exported = export(a.m("teacher2"), a.klass)

    # an untouched book is a no-op
    untouched = upload(client, a.klass, exported)
    assert untouched.status_code == 200
    assert untouched.context["preview"].rows == [] and untouched.context["preview"].ok
    assert "không có gì để lưu" in untouched.content.decode()

    code = {e.pk: e.student.learner_code for e in a.enrolments}
    edited = edit(
        exported,
        {
            ("Toán", code[an.pk], "hk1:tx2"): 8.5,  # 7.5 → 8.5
            ("Toán", code[binh.pk], "hk1:tx2"): "6,5",  # text with a decimal comma
            ("Toán", code[cuong.pk], "hk2:ck"): 9,
            ("Giáo dục thể chất", code[binh.pk], "hk1:tx1"): "đ",  # CĐ → Đ
            ("Giáo dục thể chất", code[an.pk], "hk2:tx1"): "Đ",  # semester II sheet not opened yet
            ("Toán", code[an.pk], "hk1:avg"): 10,  # a computed column: ignored
        },
    )
    before = everything()
    preview = upload(client, a.klass, edited)
    assert preview.status_code == 200
    checked = preview.context["preview"]
    assert checked.ok, checked.all_errors
    got = {(r.sheet, r.learner, r.column, r.old, r.new) for r in checked.rows}
    assert got == {
        ("Toán", "Nguyễn Văn An", "ĐĐGtx2 HK I", "7.5", "8.5"),
        ("Toán", "Trần Thị Bình", "ĐĐGtx2 HK I", "", "6.5"),
        ("Toán", "Lê Văn Cường", "ĐĐGck HK II", "", "9"),
        ("Giáo dục thể chất", "Trần Thị Bình", "ĐĐGtx1 HK I", "CĐ", "Đ"),
        ("Giáo dục thể chất", "Nguyễn Văn An", "ĐĐGtx1 HK II", "", "Đ"),
    }
    html = preview.content.decode()
    assert "Xác nhận lưu 5 ô" in html and '<th scope="col">Trong tệp</th>' in html
    assert everything() == before  # the dry run wrote nothing (not even the semester II sheet)

    result = confirm(client, a.klass, preview)
    assert result.status_code == 200, result.content[:500]
    assert "Đã lưu 5 ô điểm của 4 bảng điểm" in result.content.decode()
    assert stored(a.toan1)[(an.pk, "tx2")] == "8.5"
    assert stored(a.toan1)[(binh.pk, "tx2")] == "6.5"
    assert stored(a.toan2) == {(cuong.pk, "ck"): "9"}
    assert stored(a.gdtc1)[(binh.pk, "tx1")] == "Đ"
    gdtc2 = ScoreSheet.objects.get(school_class=a.klass, subject=a.gdtc, semester=a.sem[2])
    assert stored(gdtc2) == {(an.pk, "tx1"): "Đ"}
    # history: who changed what, old → new
    record = Score.objects.get(sheet=a.toan1, enrolment=an, column="tx2").history.order_by("history_date")
    assert [h.value for h in record] == ["7.5", "8.5"]
    assert record.last().history_user == a.m("teacher2").user
    assert Score.history.count() == before[1] + 5
    # the semester average followed: (8 + 8.5 + 9 + 6 + 14 + 24) / 9 = 69.5 / 9 = 7.72 → 7.7
    assert SubjectResult.objects.get(enrolment=an, subject=a.toan, period=Period.SEMESTER_1).average == Decimal("7.7")
    assert AuditEvent.objects.filter(kind="import", object_id=str(a.klass.pk)).count() == 1

    # the same edited file again: nothing changes, nothing to confirm
    after = everything()
    again = upload(client, a.klass, edited)
    assert again.context["preview"].rows == []
    forced = confirm(client, a.klass, again)
    assert forced.status_code == 200
    assert everything() == after


def test_double_submit_of_one_file_is_applied_once(a):
    """Two confirms racing with the same file make the same grade-book batch (uuid5 of the file, the
    user, the sheet and its version): the second is answered with the first's stored reply."""
    an = a.enrolments[0]
    exported = export(a.m("teacher2"), a.klass)
    edited = edit(exported, {("Toán", an.student.learner_code, "hk1:tx1"): 4})
    first = markbook.MarkbookImporter(a.subject_teacher, school_class=a.klass)
    second = markbook.MarkbookImporter(a.subject_teacher, school_class=a.klass)
    checked_first, checked_second = first.preview(edited), second.preview(edited)
    assert checked_first.ok and checked_second.ok and len(checked_second.rows) == 1
    first.apply(checked_first)
    history = Score.history.count()
    second.apply(checked_second)  # planned before the first was written
    assert Score.history.count() == history
    assert stored(a.toan1)[(an.pk, "tx1")] == "4"
    assert SaveBatch.objects.filter(sheet=a.toan1).count() == 3  # the fixture's save, this import once


def test_bad_cell_names_sheet_row_and_column_and_saves_nothing(a):
    an, binh = a.enrolments[:2]
    client = web_client(a.m("teacher2"))
    edited = edit(
        export(a.m("teacher2"), a.klass),
        {
            ("Toán", an.student.learner_code, "hk1:tx3"): 11,
            ("Toán", binh.student.learner_code, "hk1:gk"): 7.25,
            ("Giáo dục thể chất", binh.student.learner_code, "hk1:tx2"): "Đ",  # a good cell of another sheet
        },
    )
    before = everything()
    preview = upload(client, a.klass, edited)
    checked = preview.context["preview"]
    assert not checked.ok
    assert checked.all_errors == [
        "Trang “Toán”, dòng 4 – Nguyễn Văn An, cột ĐĐGtx3 HK I: Điểm phải từ 0 đến 10.",
        "Trang “Toán”, dòng 5 – Trần Thị Bình, cột ĐĐGgk HK I: Điểm chỉ được có một chữ số thập phân.",
    ]
    assert "Xác nhận lưu" not in preview.content.decode()
    response = confirm(client, a.klass, preview)  # forced anyway
    assert response.status_code == 400
    assert "Chưa lưu gì" in response.content.decode()
    assert everything() == before


def test_learner_not_in_the_class_is_named(a, world):
    outsider = enrol(world.b, ["Người Ngoài"], klass=world.b.klass)[0]
    exported = export(a.m("teacher2"), a.klass)
    wb = load_workbook(io.BytesIO(exported))
    wb["Toán"].cell(row=markbook.FIRST_ROW + 1, column=2).value = outsider.student.learner_code
    out = io.BytesIO()
    wb.save(out)
    checked = markbook.MarkbookImporter(a.subject_teacher, school_class=a.klass).preview(out.getvalue())
    assert checked.all_errors == [
        f"Trang “Toán”, dòng 5 – Trần Thị Bình: mã định danh {outsider.student.learner_code} "
        "không có trong danh sách lớp 6A1."
    ]


def test_another_teachers_subject_is_refused_with_the_reason(a):
    an = a.enrolments[0]
    # the homeroom teacher reads every subject of the class, but enters only Ngữ văn
    exported = export(a.m(Role.TEACHER), a.klass)
    assert load_workbook(io.BytesIO(exported))["Toán"].cell(row=markbook.FIRST_ROW, column=4).value == 8
    edited = edit(
        exported,
        {("Toán", an.student.learner_code, "hk1:tx1"): 2, ("Ngữ văn", an.student.learner_code, "hk1:tx1"): 7},
    )
    before = everything()
    checked = markbook.MarkbookImporter(a.homeroom, school_class=a.klass).preview(edited)
    assert checked.all_errors == [
        f"Trang “Toán”, dòng 4 – Nguyễn Văn An, cột ĐĐGtx1 HK I: không ghi được – {gradebook.MSG_NOT_ASSIGNED}"
    ]
    assert [r.ok for r in checked.rows if r.sheet == "Ngữ văn"] == [True]
    assert everything() == before
    # and the subject teacher may not write Ngữ văn, whose scores they cannot even read
    edited = edit(export(a.m("teacher2"), a.klass), {("Ngữ văn", an.student.learner_code, "hk1:tx2"): 7})
    checked = markbook.MarkbookImporter(a.subject_teacher, school_class=a.klass).preview(edited)
    assert checked.all_errors == [
        f"Trang “Ngữ văn”, dòng 4 – Nguyễn Văn An, cột ĐĐGtx2 HK I: không ghi được – {gradebook.MSG_NOT_ASSIGNED}"
    ]


def test_approved_or_submitted_sheet_is_refused(a):
    an = a.enrolments[0]
    exported = export(a.m("teacher2"), a.klass)
    ScoreSheet.objects.filter(pk=a.toan1.pk).update(status=SheetStatus.APPROVED)
    ScoreSheet.objects.filter(pk=a.gdtc1.pk).update(status=SheetStatus.SUBMITTED)
    edited = edit(
        exported,
        {
            ("Toán", an.student.learner_code, "hk1:tx1"): 3,
            ("Giáo dục thể chất", an.student.learner_code, "hk1:tx2"): "CĐ",
        },
    )
    before = everything()
    checked = markbook.MarkbookImporter(a.subject_teacher, school_class=a.klass).preview(edited)
    assert checked.all_errors == [
        f"Trang “Toán”, dòng 4 – Nguyễn Văn An, cột ĐĐGtx1 HK I: không ghi được – {gradebook.MSG_LOCKED}",
        "Trang “Giáo dục thể chất”, dòng 4 – Nguyễn Văn An, cột ĐĐGtx2 HK I: không ghi được – "
        + gradebook.MSG_SUBMITTED.format(status="giáo viên bộ môn đã gửi"),
    ]
    assert everything() == before


def test_cell_changed_after_the_export_is_a_conflict_and_others_changes_are_kept(a):
    an, binh = a.enrolments[:2]
    exported = export(a.m("teacher2"), a.klass)
    # after the export, in the grade book: An's ĐĐGtx1 8 → 9,5 and Bình's ĐĐGtx1 5 → 6
    save(a.subject_teacher, a.toan1, [cell(an, "tx1", "9,5", "8"), cell(binh, "tx1", "6", "5")])
    edited = edit(
        exported,
        {
            ("Toán", an.student.learner_code, "hk1:tx1"): 7,  # changed in the file too: conflict
            ("Toán", binh.student.learner_code, "hk1:tx3"): 8,  # another cell: fine
        },
    )
    checked = markbook.MarkbookImporter(a.subject_teacher, school_class=a.klass).preview(edited)
    assert checked.all_errors == [
        "Trang “Toán”, dòng 4 – Nguyễn Văn An, cột ĐĐGtx1 HK I: ô này đã được sửa thành 9,5 sau khi tệp được "
        "xuất (trong tệp lúc xuất: 8). Hãy xuất lại sổ rồi nhập lại."
    ]
    # without the conflicting cell, Bình's ĐĐGtx1 (5 in the file, 6 stored now) is left as it is
    edited = edit(exported, {("Toán", binh.student.learner_code, "hk1:tx3"): 8})
    importer = markbook.MarkbookImporter(a.subject_teacher, school_class=a.klass)
    checked = importer.preview(edited)
    assert checked.ok and [(r.column, r.new) for r in checked.rows] == [("ĐĐGtx3 HK I", "8")]
    assert checked.ignored == [
        "Trang “Toán”, học kỳ I: bảng điểm đã được sửa trên hệ thống sau khi tệp được xuất; những ô bạn không "
        "sửa trong tệp giữ nguyên giá trị mới."
    ]
    importer.apply(checked)
    assert stored(a.toan1)[(binh.pk, "tx1")] == "6" and stored(a.toan1)[(binh.pk, "tx3")] == "8"


def test_a_book_of_another_class_or_not_a_book_is_refused(a, world):
    other = SchoolClass.objects.create(school=a.school, school_year=a.year, grade=a.klass.grade, name="6A2")
    exported = export(a.m("teacher2"), a.klass)
    checked = markbook.MarkbookImporter(a.homeroom, school_class=other).preview(exported)
    assert checked.errors == [
        "Tệp này không phải sổ của lớp 6A2 năm học 2026-2027; hãy tải lên đúng sổ của lớp hoặc xuất lại sổ."
    ]
    plain = xlsx.Workbook()
    plain.sheet("Toán", ["STT"]).row([1])
    checked = markbook.MarkbookImporter(a.homeroom, school_class=a.klass).preview(plain.save())
    assert "thiếu phần đối chiếu ẩn" in checked.errors[0]


def _sheet_number(data: bytes, title: str) -> int:
    return load_workbook(io.BytesIO(data), read_only=True).sheetnames.index(title) + 1


def test_a_bomb_like_book_is_read_within_bounds(a):
    """A sheet declaring A1:XFD1048576 (a 5 KB file openpyxl would pad to a million rows of 16,384
    cells) is read as what it holds: the learners, as wide as the hidden key row."""
    exported = export(a.m("teacher2"), a.klass)
    toan = _sheet_number(exported, "Toán")
    bomb = inflate(exported, sheet=toan)
    book = markbook.read_book(bomb)
    sheet = next(s for s in book.sheets if s.title == "Toán")
    assert sheet.keys[0] == f"markbook:subject:{a.toan.pk}" and len(sheet.keys) < markbook.MAX_BOOK_COLUMNS
    assert [r.learner_code for r in sheet.rows] == [e.student.learner_code for e in a.enrolments]
    # through the import page: an untouched book, nothing to save, no error page
    response = upload(web_client(a.m("teacher2")), a.klass, bomb)
    assert response.status_code == 200
    assert response.context["preview"].errors == [] and response.context["preview"].rows == []


def test_a_book_with_too_many_rows_or_a_zip_bomb_is_refused_with_the_reason(a):
    exported = export(a.m("teacher2"), a.klass)
    last = markbook.FIRST_ROW + markbook.MAX_BOOK_LEARNERS
    long = inflate(exported, sheet=_sheet_number(exported, "Toán"), rows_declared=last + 5)
    message = (
        f"Trang “Toán” có dữ liệu sau dòng {last}: sổ của một lớp có tối đa {markbook.MAX_BOOK_LEARNERS} "
        "học sinh. Hãy xoá các dòng thừa hoặc xuất lại sổ của lớp."
    )
    with pytest.raises(markbook.BookFileError, match="có dữ liệu sau dòng"):
        markbook.read_book(long)
    client = web_client(a.m("teacher2"))
    response = upload(client, a.klass, long)
    assert response.status_code == 200 and response.context["preview"].errors == [message]
    response = upload(client, a.klass, zip_bomb(exported))
    assert response.status_code == 200 and response.context["preview"].errors == [BOMB]
    checked = markbook.MarkbookImporter(a.homeroom, school_class=a.klass).preview(b"not a workbook")
    assert checked.errors == ["Không đọc được tệp. Hãy dùng tệp Excel (.xlsx) xuất từ trang sổ của lớp."]


def test_a_class_name_starting_with_equals_stays_text_in_the_hidden_part(a):
    a.klass.name = "=1+1"
    a.klass.save(update_fields=["name"])
    exported = export(a.m("teacher2"), a.klass)
    meta = load_workbook(io.BytesIO(exported))[markbook.META_SHEET]
    first = meta["D1"]
    assert (first.value, first.data_type) == ("=1+1", "s")
    assert all(c.data_type != "f" for row in meta.iter_rows() for c in row)
    assert load_workbook(io.BytesIO(exported), data_only=True)[markbook.META_SHEET]["D1"].value == "=1+1"
    assert markbook.read_book(exported).class_id == a.klass.pk


# --- who reaches the book ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.STUDENT, Role.PARENT])
def test_learners_and_parents_get_404(a, role):
    client = web_client(a.m(role))
    assert client.get(reverse("students:markbook-export", kwargs={"pk": a.klass.pk})).status_code == 404
    assert client.get(url(a.klass)).status_code == 404
    assert api_client(a.m(role)).get(f"/api/students/classes/{a.klass.pk}/markbook/").status_code == 404


def test_other_school_gets_404_and_readers_get_the_book(a, world):
    export_url = reverse("students:markbook-export", kwargs={"pk": a.klass.pk})
    assert web_client(world.b.m(Role.PRINCIPAL)).get(export_url).status_code == 404
    assert web_client(world.b.m(Role.PRINCIPAL)).get(url(a.klass)).status_code == 404
    assert web_client(world.members["phong2_admin"]).get(export_url).status_code == 404
    # Phòng 1 and the Sở read it; they do not import
    assert web_client(world.members["phong1_staff"]).get(export_url).status_code == 200
    assert web_client(world.members["so_admin"]).get(export_url).status_code == 200
    assert web_client(world.members["phong1_admin"]).get(url(a.klass)).status_code == 403
    # the clerk does not read grades; a teacher with nothing to do with the class neither
    assert web_client(a.m(Role.CLERK)).get(export_url).status_code == 403
    stranger = grant(make_user("teacher3.c2a", "Đỗ Văn Khách"), a.school, Role.TEACHER)
    assert web_client(stranger).get(export_url).status_code == 403
    assert web_client(a.m("teacher2")).get(url(a.klass)).status_code == 200


# --- the API --------------------------------------------------------------------------------------------


def test_api_export_and_import(a):
    an = a.enrolments[0]
    client = api_client(a.m("teacher2"))
    response = client.get(f"/api/students/classes/{a.klass.pk}/markbook/")
    assert response.status_code == 200 and response["Content-Type"] == xlsx.CONTENT_TYPE
    edited = edit(response.content, {("Toán", an.student.learner_code, "hk1:tx4"): 10})
    import_url = f"/api/students/classes/{a.klass.pk}/markbook/import/"

    def post(data, dry_run):
        upload = SimpleUploadedFile("so.xlsx", data, content_type=xlsx.CONTENT_TYPE)
        return client.post(import_url, {"file": upload, "dry_run": dry_run}, format="multipart")

    dry = post(edited, "true")
    assert dry.status_code == 200, dry.json()
    body = dry.json()
    assert body["dry_run"] and body["ok"] and body["saved"] == 0
    assert [(r["sheet"], r["row"], r["column"], r["old"], r["new"]) for r in body["rows"]] == [
        ("Toán", 4, "ĐĐGtx4 HK I", "6", "10")
    ]
    assert stored(a.toan1)[(an.pk, "tx4")] == "6"
    done = post(edited, "false")
    assert done.status_code == 200 and done.json()["saved"] == 1
    assert stored(a.toan1)[(an.pk, "tx4")] == "10"
    bad = post(edit(edited, {("Toán", an.student.learner_code, "hk1:tx1"): "mười"}), "false")
    assert bad.status_code == 400
    assert bad.json()["errors"] == [f"Trang “Toán”, dòng 4 – Nguyễn Văn An, cột ĐĐGtx1 HK I: {rules.MSG_SCORE_INVALID}"]
    assert stored(a.toan1)[(an.pk, "tx1")] == "8"
    not_xlsx = client.post(
        import_url,
        {"file": SimpleUploadedFile("so.xlsx", b"hello", content_type=xlsx.CONTENT_TYPE)},
        format="multipart",
    )
    assert not_xlsx.status_code == 400


# --- the export's query count does not grow with the class ------------------------------------------------


def _count_export(membership, klass) -> int:
    client = web_client(membership)
    client.get(reverse("students:markbook-export", kwargs={"pk": klass.pk}))  # warm the session
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("students:markbook-export", kwargs={"pk": klass.pk}))
    assert response.status_code == 200
    return len(queries)


def test_export_query_count_is_the_same_for_5_and_30_learners(a, world):
    small = _count_export(a.m(Role.TEACHER), a.klass)
    big_class = SchoolClass.objects.create(
        school=a.school, school_year=a.year, grade=a.klass.grade, name="6A9", homeroom_teacher=a.m(Role.TEACHER).user
    )
    learners = enrol(a, [f"Học Sinh Số {n:02d}" for n in range(30)], klass=big_class)
    subjects = [a.toan, a.gdtc, a.van, new_subject(a, "tin", "Tin học", periods=35)]
    for subject in subjects:
        for number in (1, 2):
            assign(a, a.m(Role.TEACHER), subject, number, klass=big_class)
            sheet = gradebook.open_sheet(a.homeroom, big_class, subject, a.sem[number])
            value = "Đ" if subject.assessment == "comment" else "7"
            save(a.homeroom, sheet, [cell(e, "tx1", value) for e in learners])
    big = _count_export(a.m(Role.TEACHER), big_class)
    assert big == small
    wb = load_workbook(io.BytesIO(export(a.m(Role.TEACHER), big_class)))
    assert wb["Tin học"].max_row == markbook.FIRST_ROW + 29
