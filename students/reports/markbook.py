"""The class mark book (sổ theo dõi và đánh giá học sinh, grading.md "The books") as an xlsx
workbook, and reading the same workbook back into the grade book.

The workbook:

- "Thông tin": school, class, school year, homeroom teacher, rule set, date printed, how to
  fill the book back in;
- one sheet per subject of the class (a score sheet or a teaching assignment exists): the
  class list (STT, mã định danh, họ và tên, in the grade book's order), then each semester's
  frozen sheet columns (ĐĐGtx1…, ĐĐGgk, ĐĐGck; Đ/CĐ; T/H/C and tests in primary) and its
  result (ĐTBmhk / Đ–CĐ / level), then the year (ĐTBmcn / result) and the re-test (KT lại);
- "Tổng hợp": per learner, learning result and conduct for HK I, HK II and the year, sessions
  absent (excused / not), after the summer, promotion, title;
- a very hidden sheet (``META_SHEET``) with what the import needs to map the book back
  without guessing: the class, each subject sheet's subject id and each semester sheet's id
  and ``version`` at export time, and the values as exported (the "originals"). Each subject
  sheet also carries a hidden row of column keys (``hk1:tx1``, ``hk2:ck``, ``cn:avg`` …)
  whose first cell names the subject (``markbook:subject:<id>``).

Reading back (``MarkbookImporter``): for each (subject, semester) only the cells the user
changed matter — a cell whose value differs from what was exported AND from what is stored.
A cell somebody else changed after the export while the user changed it too is a conflict.
Untouched sheets are ignored entirely, so re-importing an exported book, or the same edited
book twice, changes nothing. Changed cells go through ``students.services.gradebook
.save_cells`` (assigned teacher only, draft only, deadline, validation, history rows) with a
batch id derived from the file, the user, the sheet and its version (uuid5): a double submit
is applied once. The dry run makes the very same calls inside a transaction that is rolled
back, so the preview reports exactly what the confirm would refuse; the confirm writes every
sheet in one transaction or nothing.

Everything read goes through ``visible_to``: a subject teacher sees the component scores of
their own subjects only; learners and parents get nothing from here. The export costs the
same number of queries whatever the number of learners or subjects.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import uuid
from collections import defaultdict
from copy import copy
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from openpyxl import Workbook as _Workbook
from openpyxl import load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from sms.accounts.roles import SCHOOL_LEVEL_KINDS, Role
from sms.accounts.scoping import visible_to
from sms.audit.models import EventKind
from sms.exports import xlsx
from sms.exports.numbers import vn_date
from sms.imports import Status, cell_text
from sms.org.catalogue import programme_order
from sms.org.models import SchoolClass, Semester, SubjectPlan
from sms.text import nfc
from teachers.selectors import assignments_visible_to

from .. import rules
from ..models import (
    GRADE_READERS,
    GRADE_WRITERS,
    Absence,
    Period,
    Score,
    ScoreSheet,
    SubjectResult,
    TermResult,
    teacher_classes,
)
from ..selectors import roster, rule_set_of
from ..services import gradebook
from ..services.results import conduct_label, learning_label

FORMAT = "markbook/1"
META_SHEET = "_so_theo_doi"
INFO_SHEET = "Thông tin"
SUMMARY_SHEET = "Tổng hợp"
MARKER = "markbook:subject:"
#: rows of a subject sheet: two heading rows, the hidden key row, then the learners
KEY_ROW = 3
FIRST_ROW = 4
#: uuid5 namespace of the import's batch ids (fixed: the same file gives the same ids)
BATCH_NAMESPACE = uuid.UUID("6f1f3c1e-0b7a-5d4e-9a51-2c8d6e4b7a10")
SEMESTER_LABELS = {1: "HK I", 2: "HK II"}
SEMESTER_TITLES = {1: "Học kỳ I", 2: "Học kỳ II"}
SEMESTER_NAMES = {1: "học kỳ I", 2: "học kỳ II"}
#: audit kinds
AUDIT_EXPORT = EventKind.EXPORT
AUDIT_IMPORT = EventKind.IMPORT

MSG_NOT_READER = "Vai trò hiện tại của bạn không xem được sổ theo dõi và đánh giá học sinh của lớp."
MSG_NOT_CLASS_TEACHER = "Chỉ giáo viên chủ nhiệm và giáo viên dạy lớp này mới xem được sổ theo dõi và đánh giá của lớp."
MSG_NOT_WRITER = (
    "Chỉ giáo viên bộ môn (và lãnh đạo nhà trường) của trường mới nhập lại sổ theo dõi và đánh giá; Phòng/Sở chỉ xem."
)

_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="DCE6F1")
_RESULT_FILL = PatternFill("solid", fgColor="F2F2F2")


# --- who may read and write ---------------------------------------------------------------------------


def check_reader(actor, school_class: SchoolClass) -> None:
    """The school's leaders, Sở/Phòng staff and the teachers of the class read its mark book
    (the caller reached the class through the door). Raises ``PermissionDenied``."""
    if actor is None or actor.role not in GRADE_READERS:
        raise PermissionDenied(MSG_NOT_READER)
    if actor.role == Role.TEACHER and not teacher_classes(actor).filter(pk=school_class.pk).exists():
        raise PermissionDenied(MSG_NOT_CLASS_TEACHER)


def check_writer(actor, school_class: SchoolClass) -> None:
    """Who may upload a mark book back: a school-level grade writer of the class's school (the
    grade book then decides, sheet by sheet, who enters which grades)."""
    check_reader(actor, school_class)
    if actor.role not in GRADE_WRITERS or actor.unit.kind not in SCHOOL_LEVEL_KINDS:
        raise PermissionDenied(MSG_NOT_WRITER)
    if actor.unit_id != school_class.school_id:
        raise PermissionDenied(MSG_NOT_WRITER)


def _reach(actor, school_class: SchoolClass) -> SchoolClass:
    """The class again, through the door, with what the book prints (one query)."""
    found = (
        visible_to(actor, SchoolClass)
        .select_related("school_year", "school", "homeroom_teacher")
        .filter(pk=school_class.pk)
        .first()
    )
    if found is None:
        raise PermissionDenied(MSG_NOT_READER)
    return found


# --- what the book holds ---------------------------------------------------------------------------


@dataclass
class SemesterPart:
    number: int
    sheet: ScoreSheet | None
    columns: list[dict]
    teacher: str = ""

    @property
    def version(self) -> int | None:
        return None if self.sheet is None else self.sheet.version


@dataclass
class SubjectPart:
    subject: object
    kind: str  # "scored", "comment" or "primary"
    semesters: list[SemesterPart]
    title: str = ""


@dataclass
class Book:
    school_class: SchoolClass
    rule_set: str
    semesters: dict[int, Semester]
    enrolments: list
    subjects: list[SubjectPart]
    scores: dict[tuple[int, int, str], str]  # (sheet id, enrolment id, column) → value
    subject_results: dict[tuple[int, int, str], SubjectResult]  # (enrolment, subject, period)
    terms: dict[tuple[int, str], TermResult]
    absences: dict[int, dict[bool, int]]  # enrolment → {excused: sessions}


def _kind(rule_set: str, assessment: str, sheet: ScoreSheet | None) -> str:
    if sheet is not None:
        return gradebook.sheet_kind(sheet)
    if rules.is_primary(rule_set):
        return "primary"
    return "comment" if assessment == "comment" else "scored"


def _planned_columns(rule_set: str, subject, plan: SubjectPlan | None, grade: int, number: int) -> list[dict]:
    """The columns a sheet not opened yet will get (the grade book freezes the same ones)."""
    if plan is None or rule_set == rules.RuleSet.NONE:
        return []
    columns = rules.sheet_columns(
        rule_set,
        assessment=subject.assessment,
        periods_per_year=plan.periods_per_year,
        grade=grade,
        subject_code=subject.code,
        semester=number,
    )
    return ScoreSheet.freeze_columns(columns)


def load_book(actor, school_class: SchoolClass) -> Book:
    """Everything the book prints, each kind of row in one query through the door."""
    klass = school_class
    year = klass.school_year
    rule_set = rule_set_of(klass)
    semesters = {s.number: s for s in visible_to(actor, Semester).filter(school_year_id=year.pk)}
    enrolments = list(visible_to(actor, roster(klass, include_left=True)))
    ids = [e.pk for e in enrolments]
    sheets = {
        (s.subject_id, s.semester.number): s
        for s in visible_to(actor, ScoreSheet).filter(school_class=klass).select_related("subject", "semester")
    }
    teachers: dict[tuple[int, int], str] = {}
    subjects = {s.subject_id: s.subject for s in sheets.values()}
    for a in assignments_visible_to(actor).filter(school_class=klass):
        subjects.setdefault(a.subject_id, a.subject)
        teachers.setdefault((a.subject_id, a.semester.number), a.teacher.full_name)
    plans = {p.subject_id: p for p in visible_to(actor, SubjectPlan).filter(school_year_id=year.pk, grade=klass.grade)}
    parts = []
    for subject in sorted(subjects.values(), key=lambda s: (programme_order(s.code, s.name), s.pk)):
        semester_parts = []
        for number in (1, 2):
            sheet = sheets.get((subject.pk, number))
            columns = (
                list(sheet.columns)
                if sheet is not None
                else _planned_columns(rule_set, subject, plans.get(subject.pk), klass.grade, number)
            )
            semester_parts.append(SemesterPart(number, sheet, columns, teachers.get((subject.pk, number), "")))
        opened = next((p.sheet for p in semester_parts if p.sheet is not None), None)
        parts.append(SubjectPart(subject, _kind(rule_set, subject.assessment, opened), semester_parts))
    _name_sheets(parts)
    sheet_ids = [s.pk for s in sheets.values()]
    scores = {
        (sheet_id, enrolment_id, column): value
        for sheet_id, enrolment_id, column, value in visible_to(actor, Score)
        .filter(sheet_id__in=sheet_ids, enrolment_id__in=ids)
        .values_list("sheet_id", "enrolment_id", "column", "value")
    }
    subject_results = {
        (r.enrolment_id, r.subject_id, r.period): r
        for r in visible_to(actor, SubjectResult).filter(enrolment_id__in=ids)
    }
    terms = {(t.enrolment_id, t.period): t for t in visible_to(actor, TermResult).filter(enrolment_id__in=ids)}
    absences: dict[int, dict[bool, int]] = defaultdict(lambda: {True: 0, False: 0})
    for row in (
        visible_to(actor, Absence)
        .filter(enrolment_id__in=ids)
        .values("enrolment_id", "excused")
        .annotate(n=Sum("sessions"))
        .order_by()
    ):
        absences[row["enrolment_id"]][row["excused"]] = row["n"] or 0
    return Book(klass, rule_set, semesters, enrolments, parts, scores, subject_results, terms, absences)


def _name_sheets(parts: list[SubjectPart]) -> None:
    """Unique worksheet titles from the subject names (31 characters, none of []:*?/\\)."""
    used = {INFO_SHEET.casefold(), SUMMARY_SHEET.casefold(), META_SHEET.casefold()}
    for part in parts:
        base = "".join(ch for ch in nfc(part.subject.name) if ch not in "[]:*?/\\")[:31].strip() or "Môn"
        title, n = base, 2
        while title.casefold() in used:
            suffix = f" ({n})"
            title, n = base[: 31 - len(suffix)] + suffix, n + 1
        used.add(title.casefold())
        part.title = title


# --- cell values ----------------------------------------------------------------------------------------


def _score_value(kind: str, value: str):
    """A stored cell as the workbook holds it: numbers as numbers (8.5 → 8.5, shown 8,5 by the
    number format), Đ/CĐ and T/H/C as text."""
    if not value:
        return None
    if kind in (rules.CellKind.SCORE, rules.CellKind.TEST):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return value
        return int(number) if kind == rules.CellKind.TEST else number
    return value


def _result_value(kind: str, row: SubjectResult | None, *, retest: bool = False):
    if row is None:
        return None
    if row.excluded:
        return None if retest else "Miễn"
    if kind == "scored":
        return row.retest_average if retest else row.average
    if kind == "comment":
        passed = row.retest_passed if retest else row.passed
        return None if passed is None else ("Đ" if passed else "CĐ")
    if retest:
        return None
    text = row.level or ""
    if text and row.test_score is not None:
        text = f"{text} ({row.test_score})"
    return text or None


_CENTRED = Alignment(horizontal="center", vertical="center", wrap_text=True)
_STYLES_ATTR = "_markbook_styles"


def _style(cell, *, number_format: str | None, bold: bool, fill, centred: bool) -> None:
    """Style a cell; each combination is built once per workbook and then copied (openpyxl
    hashes every style object it is given, which is most of the time of a big book)."""
    cache = getattr(cell.parent.parent, _STYLES_ATTR, None)
    if cache is None:
        cache = {}
        setattr(cell.parent.parent, _STYLES_ATTR, cache)
    key = (number_format, bold, None if fill is None else fill.fgColor.rgb, centred)
    cached = cache.get(key)
    if cached is not None:
        cell._style = copy(cached)
        return
    if number_format:
        cell.number_format = number_format
    cell.border = _BORDER
    if bold:
        cell.font = Font(bold=True)
    if fill is not None:
        cell.fill = fill
    if centred:
        cell.alignment = _CENTRED
    cache[key] = copy(cell._style)


def _put(ws, row: int, column: int, value, *, number_format: str | None = None, bold=False, fill=None, centred=False):
    cell = ws.cell(row=row, column=column)
    cell.value = xlsx.cell_value(value)
    if cell.data_type == "f":
        cell.data_type = "s"  # a name starting with "=" stays text (formula injection)
    if number_format is None and isinstance(cell.value, Decimal | float):
        number_format = xlsx.DECIMAL_FORMAT
    _style(cell, number_format=number_format, bold=bold, fill=fill, centred=centred)
    return cell


def _heading(ws, row: int, column: int, value, *, span: int = 1, rows: int = 1) -> None:
    _put(ws, row, column, value, bold=True, fill=_HEAD_FILL, centred=True)
    if span > 1 or rows > 1:
        for r in range(row, row + rows):
            for c in range(column, column + span):
                if (r, c) != (row, column):
                    _style(ws.cell(row=r, column=c), number_format=None, bold=True, fill=_HEAD_FILL, centred=True)
        ws.merge_cells(start_row=row, start_column=column, end_row=row + rows - 1, end_column=column + span - 1)


def _result_heading(kind: str, period: str) -> str:
    if kind == "scored":
        return "ĐTBmcn" if period == "cn" else "ĐTBmhk"
    if kind == "comment":
        return "Kết quả"
    return "Mức đạt được"


# --- writing the workbook ---------------------------------------------------------------------------------


def build_workbook(book: Book, *, printed_by: str = "", printed_at: dt.datetime | None = None) -> bytes:
    """The workbook of ``book`` as xlsx bytes (no queries)."""
    klass = book.school_class
    printed_at = printed_at or timezone.now()
    wb = _Workbook()
    info = wb.active
    info.title = INFO_SHEET
    _write_info(info, book, printed_by, printed_at)
    for part in book.subjects:
        _write_subject(wb.create_sheet(part.title), book, part)
    _write_summary(wb.create_sheet(SUMMARY_SHEET), book)
    meta = wb.create_sheet(META_SHEET)
    _write_meta(meta, book, printed_at)
    meta.sheet_state = "veryHidden"
    wb.properties.title = nfc(f"Sổ theo dõi và đánh giá học sinh lớp {klass.name} năm học {klass.school_year}")
    wb.properties.creator = nfc(printed_by or "")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _write_info(ws, book: Book, printed_by: str, printed_at: dt.datetime) -> None:
    klass = book.school_class
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 70
    title = ws.cell(row=1, column=1, value=nfc("SỔ THEO DÕI VÀ ĐÁNH GIÁ HỌC SINH"))
    title.font = Font(bold=True, size=14)
    homeroom = klass.homeroom_teacher
    rows = [
        ("Trường", klass.school.name),
        ("Lớp", klass.name),
        ("Khối", klass.grade),
        ("Năm học", str(klass.school_year)),
        ("Giáo viên chủ nhiệm", (homeroom.full_name or homeroom.username) if homeroom else ""),
        ("Quy định đánh giá", rules.RuleSet(book.rule_set).label),
        ("Sĩ số", sum(1 for e in book.enrolments if e.left_on is None)),
        ("Ngày in", vn_date(timezone.localtime(printed_at).date())),
        ("Người in", printed_by),
    ]
    for index, (label, value) in enumerate(rows, start=3):
        _put(ws, index, 1, label, bold=True, fill=_HEAD_FILL)
        _put(ws, index, 2, value)
    guide = [
        "Mỗi môn học một trang: điểm từng lần đánh giá của học kỳ I, học kỳ II, điểm trung bình môn / kết quả, "
        "cả năm và kiểm tra lại. Trang “Tổng hợp”: kết quả học tập, rèn luyện, số buổi nghỉ, lên lớp, danh hiệu.",
        "Nhập lại sổ: giáo viên bộ môn có thể sửa các ô điểm của môn mình rồi tải tệp lên ở mục "
        "“Nhập lại sổ theo dõi và đánh giá từ Excel” "
        "của lớp. Chỉ các ô điểm thành phần được nhập; các cột trung bình, kết quả và trang “Tổng hợp” do hệ thống "
        "tính. Không đổi thứ tự cột, không xoá dòng tiêu đề (có một dòng ẩn dùng để đối chiếu).",
        "Điểm: số từ 0 đến 10, một chữ số thập phân (8 hoặc 8,5). Môn đánh giá bằng nhận xét: Đ hoặc CĐ. "
        "Tiểu học: T, H hoặc C; bài kiểm tra định kỳ: số nguyên từ 0 đến 10.",
    ]
    for index, text in enumerate(guide, start=len(rows) + 5):
        cell = ws.cell(row=index, column=1, value=nfc(text))
        ws.merge_cells(start_row=index, start_column=1, end_row=index, end_column=2)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[index].height = 48


def _subject_columns(part: SubjectPart) -> list[tuple[str, str, str, str]]:
    """(key, heading, group, cell kind) of a subject sheet's columns after STT, code and name."""
    out = []
    for semester in part.semesters:
        group = SEMESTER_TITLES[semester.number]
        prefix = f"hk{semester.number}"
        for column in semester.columns:
            out.append((f"{prefix}:{column['key']}", column["label"], group, column["kind"]))
        out.append((f"{prefix}:avg", _result_heading(part.kind, prefix), group, "result"))
    out.append(("cn:avg", _result_heading(part.kind, "cn"), "Cả năm", "result"))
    if part.kind != "primary":
        out.append(("cn:retest", "KT lại", "Cả năm", "retest"))
    return out


def _write_subject(ws, book: Book, part: SubjectPart) -> None:
    columns = _subject_columns(part)
    for index, text in ((1, "STT"), (2, "Mã định danh"), (3, "Họ và tên")):
        _heading(ws, 1, index, text, rows=2)
    widths = {1: 6, 2: 14, 3: 28}
    start = 4
    groups: list[tuple[str, int, int]] = []
    for offset, (_, label, group, _kind) in enumerate(columns):
        col = start + offset
        if not groups or groups[-1][0] != group:
            groups.append((group, col, col))
        else:
            groups[-1] = (group, groups[-1][1], col)
        _heading(ws, 2, col, label)
        widths[col] = 9
    for group, first, last in groups:
        _heading(ws, 1, first, group, span=last - first + 1)
    # the hidden key row: the import maps the sheet and its columns back from it
    keys = [f"{MARKER}{part.subject.pk}", "learner_code", "full_name", *(key for key, *_ in columns)]
    for col, key in enumerate(keys, start=1):
        ws.cell(row=KEY_ROW, column=col, value=key)
    ws.row_dimensions[KEY_ROW].hidden = True
    sheets = {s.number: s for s in part.semesters}
    subject_id = part.subject.pk
    for number, enrolment in enumerate(book.enrolments, start=1):
        row = FIRST_ROW + number - 1
        student = enrolment.student
        _put(ws, row, 1, number)
        _put(ws, row, 2, student.learner_code, number_format="@")
        _put(ws, row, 3, student.full_name)
        for offset, (key, _, _, kind) in enumerate(columns):
            col = start + offset
            period, column = key.split(":")
            if kind == "result":
                period_value = {"hk1": Period.SEMESTER_1, "hk2": Period.SEMESTER_2, "cn": Period.YEAR}[period]
                result = book.subject_results.get((enrolment.pk, subject_id, period_value))
                _put(ws, row, col, _result_value(part.kind, result), fill=_RESULT_FILL)
            elif kind == "retest":
                result = book.subject_results.get((enrolment.pk, subject_id, Period.YEAR))
                _put(ws, row, col, _result_value(part.kind, result, retest=True), fill=_RESULT_FILL)
            else:
                sheet = sheets[int(period[2])].sheet
                value = "" if sheet is None else book.scores.get((sheet.pk, enrolment.pk, column), "")
                _put(ws, row, col, _score_value(kind, value), number_format="0" if kind == "test" else None)
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = ws.cell(row=FIRST_ROW, column=start)
    teachers = "; ".join(f"{SEMESTER_LABELS[s.number]}: {s.teacher}" for s in part.semesters if s.teacher)
    ws.oddHeader.center.text = nfc(f"{part.subject.name} – lớp {book.school_class.name}")
    if teachers:
        ws.oddFooter.left.text = nfc(f"Giáo viên bộ môn: {teachers}")
    ws.page_setup.orientation = "landscape"


SUMMARY_HEADINGS = [
    ("STT", 6),
    ("Mã định danh", 14),
    ("Họ và tên", 28),
    ("Học tập HK I", 12),
    ("Rèn luyện HK I", 12),
    ("Học tập HK II", 12),
    ("Rèn luyện HK II", 12),
    ("Học tập cả năm", 14),
    ("Rèn luyện cả năm", 14),
    ("Nghỉ có phép", 9),
    ("Nghỉ không phép", 9),
    ("Học tập sau kiểm tra lại", 16),
    ("Rèn luyện sau hè", 14),
    ("Lên lớp / hoàn thành", 22),
    ("Danh hiệu", 20),
]


def _write_summary(ws, book: Book) -> None:
    for col, (text, width) in enumerate(SUMMARY_HEADINGS, start=1):
        _heading(ws, 1, col, text)
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "D2"
    for number, enrolment in enumerate(book.enrolments, start=1):
        row = number + 1
        student = enrolment.student
        values: list = [number, student.learner_code, student.full_name]
        for period in (Period.SEMESTER_1, Period.SEMESTER_2, Period.YEAR):
            term = book.terms.get((enrolment.pk, period))
            values.append(learning_label(term.rule_set, term.final_learning) if term else "")
            values.append(conduct_label(term.rule_set, term.conduct) if term else "")
        year = book.terms.get((enrolment.pk, Period.YEAR))
        if year is not None and (year.absences or year.absences_excused):
            excused, unexcused = year.absences_excused, year.absences - year.absences_excused
        else:
            counted = book.absences.get(enrolment.pk, {True: 0, False: 0})
            excused, unexcused = counted[True], counted[False]
        values += [excused, unexcused]
        if year is not None:
            values += [
                learning_label(year.rule_set, year.learning_after_retest),
                conduct_label(year.rule_set, year.conduct_after_summer),
                year.get_outcome_display() if year.outcome else "",
                year.get_title_display() if year.title else "",
            ]
        else:
            values += ["", "", "", ""]
        for col, value in enumerate(values, start=1):
            _put(ws, row, col, value, number_format="@" if col == 2 else None)


def _meta_row(ws, values: list) -> None:
    """One row of the hidden part. Nothing there is a formula: user text (a class named "=1+1",
    a learner code, the originals' JSON) is written as a string cell, like ``_put`` does."""
    ws.append(values)
    for cell in ws[ws.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"


def _write_meta(ws, book: Book, printed_at: dt.datetime) -> None:
    klass = book.school_class
    _meta_row(ws, ["format", FORMAT, klass.pk, nfc(klass.name), str(klass.school_year), printed_at.isoformat()])
    for part in book.subjects:
        for semester in part.semesters:
            _meta_row(
                ws,
                [
                    "sheet",
                    part.subject.pk,
                    semester.number,
                    semester.sheet.pk if semester.sheet is not None else "",
                    semester.version if semester.sheet is not None else "",
                    part.subject.code,
                ],
            )
    for part in book.subjects:
        for enrolment in book.enrolments:
            values = {}
            for semester in part.semesters:
                if semester.sheet is None:
                    continue
                for column in semester.columns:
                    value = book.scores.get((semester.sheet.pk, enrolment.pk, column["key"]), "")
                    if value:
                        values[f"hk{semester.number}:{column['key']}"] = value
            if values:
                _meta_row(ws, ["orig", part.subject.pk, enrolment.student.learner_code, json.dumps(values)])


def export_markbook(actor, school_class: SchoolClass, *, request=None) -> tuple[bytes, str]:
    """The class's mark book for the actor (who reached the class through the door): the xlsx
    bytes and a file name. Checks the actor may read it and records the export."""
    from sms.audit.services import record

    klass = _reach(actor, school_class)
    check_reader(actor, klass)
    book = load_book(actor, klass)
    user = actor.user
    data = build_workbook(book, printed_by=user.full_name or user.get_username())
    record(
        AUDIT_EXPORT,
        request=request,
        actor=actor,
        obj=klass,
        detail=f"Sổ theo dõi và đánh giá học sinh lớp {klass.name} năm học {klass.school_year} (xlsx)",
    )
    return data, f"Sổ theo dõi và đánh giá lớp {klass.name} {klass.school_year}.xlsx"


# --- reading the workbook back ------------------------------------------------------------------------------


class BookFileError(Exception):
    """The file is not a mark book this class can take back (the message says why)."""


NOT_A_BOOK = "Không đọc được tệp. Hãy dùng tệp Excel (.xlsx) xuất từ trang sổ của lớp."


@dataclass
class FileRow:
    number: int  # the Excel row
    learner_code: str
    name: str
    cells: dict[str, object]  # key ("hk1:tx1") → raw cell value


@dataclass
class FileSheet:
    title: str
    subject_id: int
    keys: list[str]
    rows: list[FileRow]


@dataclass
class FileBook:
    class_id: int
    sheets: list[FileSheet]
    versions: dict[tuple[int, int], int | None]  # (subject, semester) → version at export
    originals: dict[tuple[int, str], dict[str, str]]  # (subject, learner code) → key → value
    digest: str


def _text(value) -> str:
    """A raw workbook cell as text: floats in their shortest form (8.5 → "8.5", 7.0 → "7")."""
    if value is None:
        return ""
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f") if value == value else "nan"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return cell_text(value)


#: what the import reads at most: columns of a subject sheet (its key row is trimmed to this),
#: learners of a subject sheet (rows after ``FIRST_ROW``), and columns / rows of the hidden part
MAX_BOOK_COLUMNS = 64
MAX_BOOK_LEARNERS = 300
MAX_META_COLUMNS = 8
MAX_META_ROWS = 1 + xlsx.MAX_SHEETS * (2 + MAX_BOOK_LEARNERS)


def read_book(data: bytes) -> FileBook:
    """The workbook's subject sheets, learners and cells, and its hidden part. Raises
    ``BookFileError``. Bounded: the zip is checked before it is opened (``xlsx.check_archive``),
    and every sheet is read without trusting its declared size, at most ``MAX_BOOK_COLUMNS``
    columns and ``MAX_BOOK_LEARNERS`` learners."""
    try:
        xlsx.check_archive(data)
    except xlsx.WorkbookRejected as refused:
        if refused.message == xlsx.NOT_XLSX:
            raise BookFileError(NOT_A_BOOK) from None
        raise BookFileError(refused.message) from None
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a file that is not xlsx
        raise BookFileError(NOT_A_BOOK) from None
    try:
        if META_SHEET not in wb.sheetnames:
            raise BookFileError(
                "Tệp không phải sổ theo dõi và đánh giá xuất từ hệ thống (thiếu phần đối chiếu ẩn). "
                "Hãy xuất sổ của lớp rồi sửa trên chính tệp đó."
            )
        class_id, versions, originals = None, {}, {}
        for row in _meta_rows(wb[META_SHEET]):
            if not row or row[0] is None:
                continue
            tag = str(row[0])
            try:
                if tag == "format":
                    if row[1] != FORMAT:
                        raise BookFileError("Tệp được xuất theo một mẫu sổ khác; hãy xuất lại sổ của lớp.")
                    class_id = int(row[2])
                elif tag == "sheet":
                    version = row[4]
                    versions[(int(row[1]), int(row[2]))] = int(version) if version not in (None, "") else None
                elif tag == "orig":
                    loaded = json.loads(row[3])
                    if not isinstance(loaded, dict):
                        raise ValueError("originals")
                    originals[(int(row[1]), str(row[2]))] = {str(k): str(v) for k, v in loaded.items()}
            except (TypeError, ValueError, IndexError):
                raise BookFileError("Phần đối chiếu ẩn của tệp bị hỏng; hãy xuất lại sổ của lớp.") from None
        if class_id is None:
            raise BookFileError("Phần đối chiếu ẩn của tệp bị hỏng; hãy xuất lại sổ của lớp.")
        sheets = []
        for ws in wb.worksheets:
            if ws.title == META_SHEET:
                continue
            parsed = _read_subject_sheet(ws)
            if parsed is not None:
                sheets.append(parsed)
    finally:
        wb.close()
    return FileBook(class_id, sheets, versions, originals, hashlib.sha256(data).hexdigest())


def _meta_rows(ws):
    try:
        yield from xlsx.iter_sheet(ws, max_row=MAX_META_ROWS, max_col=MAX_META_COLUMNS)
    except xlsx.TooManyRows:
        raise BookFileError("Phần đối chiếu ẩn của tệp bị hỏng; hãy xuất lại sổ của lớp.") from None


def _read_subject_sheet(ws) -> FileSheet | None:
    keys: list[str] | None = None
    for row in xlsx.iter_sheet(ws, max_row=KEY_ROW, max_col=MAX_BOOK_COLUMNS, strict=False):
        first = row[0] if row else None
        if isinstance(first, str) and first.startswith(MARKER):
            keys = [str(v) if v is not None else "" for v in row]
            break
    if keys is None:
        return None  # the cover, the summary, or a sheet the user added: not a subject sheet
    while keys and not keys[-1]:
        keys.pop()  # the key row's width is the sheet's width
    try:
        subject_id = int(keys[0][len(MARKER) :])
    except ValueError:
        return None
    out = []
    last = FIRST_ROW + MAX_BOOK_LEARNERS
    rows = xlsx.iter_sheet(ws, min_row=KEY_ROW + 1, max_row=last, max_col=max(len(keys), 3))
    try:
        for number, values in enumerate(rows, start=KEY_ROW + 1):
            code = _text(values[1])
            name = _text(values[2])
            cells = {key: values[i] for i, key in enumerate(keys) if i >= 3 and key.startswith(("hk1:", "hk2:"))}
            if not code and not name and all(_text(v) == "" for v in cells.values()):
                continue
            out.append(FileRow(number, code, name, cells))
    except xlsx.TooManyRows:
        raise BookFileError(
            f"Trang “{nfc(ws.title)}” có dữ liệu sau dòng {last}: sổ của một lớp có tối đa {MAX_BOOK_LEARNERS} "
            "học sinh. Hãy xoá các dòng thừa hoặc xuất lại sổ của lớp."
        ) from None
    return FileSheet(nfc(ws.title), subject_id, keys, out)


# --- checking and writing ------------------------------------------------------------------------------------


@dataclass
class Change:
    """One cell of the file that differs from what is stored (or a problem with one)."""

    sheet: str
    row: int
    learner: str
    learner_code: str
    column: str  # "ĐĐGtx2 HK I"
    subject_id: int | None = None
    semester: int | None = None
    key: str = ""  # the sheet column ("tx2")
    enrolment_id: int | None = None
    old: str = ""
    new: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        learner = f" – {self.learner}" if self.learner else ""
        column = f", cột {self.column}" if self.column else ""
        return f"Trang “{self.sheet}”, dòng {self.row}{learner}{column}"

    def error(self, message: str) -> None:
        self.errors.append(f"{self.where}: {message}")

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def status(self) -> str:
        if self.errors:
            return Status.ERROR
        return Status.NEW if not self.old else Status.UPDATED

    @property
    def status_label(self) -> str:
        if self.errors:
            return "Lỗi"
        if not self.new:
            return "Xoá điểm"
        return "Thêm" if not self.old else "Sửa"

    @property
    def old_display(self) -> str:
        return gradebook.display_value(self.old)

    @property
    def new_display(self) -> str:
        return gradebook.display_value(self.new)

    def as_dict(self) -> dict:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "learner": self.learner,
            "learner_code": self.learner_code,
            "column": self.column,
            "subject": self.subject_id,
            "semester": self.semester,
            "key": self.key,
            "old": self.old,
            "new": self.new,
            "status": self.status,
            "errors": self.errors,
        }


@dataclass
class MarkbookPreview:
    """What an import would do: the changed cells (``rows``) with their problems, and the
    problems of the whole file (``errors``). ``saved`` is filled by the confirm."""

    rows: list[Change] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # notes: cells changed by others after the export, kept
    saved: int = 0
    sheets_saved: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors and all(r.ok for r in self.rows)

    @property
    def bad_rows(self) -> list[Change]:
        return [r for r in self.rows if not r.ok]

    @property
    def all_errors(self) -> list[str]:
        return [*self.errors, *(e for r in self.rows for e in r.errors)]

    @property
    def counts(self) -> dict[str, int]:
        labels: dict[str, int] = defaultdict(int)
        for row in self.rows:
            labels[row.status_label] += 1
        return dict(labels)

    def groups(self) -> dict[tuple[int, int], list[Change]]:
        out: dict[tuple[int, int], list[Change]] = defaultdict(list)
        for row in self.rows:
            if row.subject_id is not None:
                out[(row.subject_id, row.semester)].append(row)
        return out

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "changes": len(self.rows),
            "saved": self.saved,
            "errors": self.all_errors,
            "notes": self.ignored,
            "rows": [r.as_dict() for r in self.rows],
        }


class _DryRun(Exception):
    """Leave the dry run's transaction: everything it wrote is rolled back."""


class _Refused(Exception):
    def __init__(self, preview: MarkbookPreview):
        super().__init__("refused")
        self.preview = preview


class MarkbookImporter:
    """Upload → dry run → confirm for one class's mark book (plugs into ``sms.imports.ImportFlowView``:
    ``preview`` writes nothing, ``apply`` writes everything inside the caller's transaction)."""

    title = "Nhập lại sổ theo dõi và đánh giá học sinh"

    def __init__(self, actor, request=None, *, school_class: SchoolClass):
        self.actor = actor
        self.request = request
        self.school_class = school_class
        self.digest = ""

    # --- planning (reads only) ----------------------------------------------------------------

    def plan(self, data: bytes) -> MarkbookPreview:
        preview = MarkbookPreview()
        klass = self.school_class
        try:
            book = read_book(data)
        except BookFileError as exc:
            preview.errors.append(str(exc))
            return preview
        self.digest = book.digest
        if book.class_id != klass.pk:
            preview.errors.append(
                f"Tệp này không phải sổ của lớp {klass.name} năm học {klass.school_year}; "
                "hãy tải lên đúng sổ của lớp hoặc xuất lại sổ."
            )
            return preview
        if not book.sheets:
            preview.errors.append("Tệp không có trang môn học nào của sổ (dòng đối chiếu ẩn đã bị xoá?).")
            return preview
        current = self._current = load_book(self.actor, klass)
        self._parts = {p.subject.pk: p for p in current.subjects}
        by_code = {e.student.learner_code: e for e in current.enrolments}
        for sheet in book.sheets:
            part = self._parts.get(sheet.subject_id)
            if part is None:
                preview.errors.append(
                    f"Trang “{sheet.title}”: môn học này không có trong sổ của lớp {klass.name} (hoặc bạn không "
                    "được xem); hãy xuất lại sổ."
                )
                continue
            self._check_sheet(preview, book, sheet, part, current, by_code)
        return preview

    def _check_sheet(self, preview, book: FileBook, sheet: FileSheet, part: SubjectPart, current: Book, by_code):
        columns = {}
        for semester in part.semesters:
            for column in semester.columns:
                columns[f"hk{semester.number}:{column['key']}"] = (semester, column)
        unknown = [k for k in sheet.keys[3:] if k.startswith(("hk1:", "hk2:")) and not k.endswith(":avg")]
        unknown = [k for k in unknown if k not in columns]
        if unknown:
            preview.errors.append(
                f"Trang “{sheet.title}”: các cột {', '.join(unknown)} không còn trong bảng điểm của môn; "
                "hãy xuất lại sổ."
            )
            return
        for semester in part.semesters:
            exported = book.versions.get((sheet.subject_id, semester.number))
            if semester.sheet is not None and exported != semester.version:
                preview.ignored.append(
                    f"Trang “{sheet.title}”, {SEMESTER_NAMES[semester.number]}: bảng điểm đã được sửa trên "
                    "hệ thống sau khi tệp được xuất; những ô bạn không sửa trong tệp giữ nguyên giá trị mới."
                )
        seen: dict[str, int] = {}
        for row in sheet.rows:
            enrolment = by_code.get(row.learner_code)
            entered = [key for key, raw in row.cells.items() if key in columns and _text(raw) != ""]
            if enrolment is None:
                problem = Change(sheet.title, row.number, row.name, row.learner_code, "")
                if not row.learner_code:
                    if entered:
                        problem.error("thiếu mã định danh học sinh.")
                        preview.rows.append(problem)
                    continue
                problem.error(f"mã định danh {row.learner_code} không có trong danh sách lớp {self.school_class.name}.")
                preview.rows.append(problem)
                continue
            if row.learner_code in seen:
                problem = Change(sheet.title, row.number, row.name, row.learner_code, "")
                problem.error(f"học sinh này đã có ở dòng {seen[row.learner_code]}.")
                preview.rows.append(problem)
                continue
            seen[row.learner_code] = row.number
            name = enrolment.student.full_name
            originals = book.originals.get((sheet.subject_id, row.learner_code), {})
            for key, raw in row.cells.items():
                target = columns.get(key)
                if target is None:
                    continue
                semester, column = target
                label = f"{column['label']} {SEMESTER_LABELS[semester.number]}"
                change = Change(
                    sheet.title,
                    row.number,
                    name,
                    row.learner_code,
                    label,
                    subject_id=sheet.subject_id,
                    semester=semester.number,
                    key=column["key"],
                    enrolment_id=enrolment.pk,
                )
                text = _text(raw)
                original = originals.get(key, "")
                try:
                    new = rules.parse_cell(column["kind"], text) or ""
                except rules.CellError as exc:
                    if text == original:
                        continue
                    change.new = text
                    change.error(exc.message)
                    preview.rows.append(change)
                    continue
                if new == original:
                    continue  # the user did not touch it (somebody else may have since: theirs stays)
                stored_sheet = semester.sheet
                stored = (
                    ""
                    if stored_sheet is None
                    else current.scores.get((stored_sheet.pk, enrolment.pk, column["key"]), "")
                )
                if new == stored:
                    continue  # already so (the same file imported before)
                change.old, change.new = stored, new
                if stored != original:
                    shown = gradebook.display_value(stored) or "ô trống"
                    change.error(
                        f"ô này đã được sửa thành {shown} sau khi tệp được xuất (trong tệp lúc xuất: "
                        f"{gradebook.display_value(original) or 'ô trống'}). Hãy xuất lại sổ rồi nhập lại."
                    )
                preview.rows.append(change)

    # --- writing (through the grade book) ------------------------------------------------------------------

    def _batch_id(self, subject_id: int, number: int, sheet: ScoreSheet) -> uuid.UUID:
        name = f"{self.digest}:{self.actor.user.pk}:{subject_id}:{number}:{sheet.pk}:{sheet.version}"
        return uuid.uuid5(BATCH_NAMESPACE, name)

    def _execute(self, preview: MarkbookPreview, *, collect: bool) -> None:
        """Save every changed sheet through the grade book. ``collect``: record each refusal on
        the changed cells and go on (the dry run); otherwise the first refusal raises
        ``ValidationError`` (the caller's transaction rolls everything back)."""
        klass = self.school_class
        saved = sheets = 0
        for (subject_id, number), changes in sorted(preview.groups().items()):
            if collect and any(not c.ok for c in changes):
                continue  # already refused cell by cell
            part = self._parts[subject_id]
            semester = next(s for s in part.semesters if s.number == number)
            try:
                with transaction.atomic():
                    sheet = semester.sheet
                    if sheet is None:
                        year_semester = self._current.semesters.get(number)
                        if year_semester is None:
                            raise gradebook.SheetError(f"Năm học chưa có {SEMESTER_NAMES[number]}.")
                        try:
                            sheet = gradebook.open_sheet(self.actor, klass, part.subject, year_semester)
                        except PermissionDenied:
                            raise PermissionDenied(gradebook.MSG_NOT_ASSIGNED) from None
                    sheet = ScoreSheet.objects.select_related("school_class", "subject", "semester").get(pk=sheet.pk)
                    cells = [
                        {"enrolment": c.enrolment_id, "column": c.key, "value": c.new, "old": c.old} for c in changes
                    ]
                    reply = gradebook.save_cells(
                        self.actor, sheet, batch_id=self._batch_id(subject_id, number, sheet), cells=cells
                    )
            except PermissionDenied as exc:
                if not collect:
                    raise ValidationError(f"Trang “{changes[0].sheet}” ({SEMESTER_TITLES[number]}): {exc}") from None
                for change in changes:
                    change.error(f"không ghi được – {exc}")
                continue
            except gradebook.SheetError as exc:
                if not collect:
                    raise ValidationError(
                        f"Trang “{changes[0].sheet}” ({SEMESTER_TITLES[number]}): {exc.message}"
                    ) from None
                _spread(changes, exc)
                continue
            saved += reply.get("saved", 0)
            sheets += 1
        preview.saved, preview.sheets_saved = saved, sheets

    def preview(self, data: bytes) -> MarkbookPreview:
        """Check the file: read it, compare it with what is stored, and make every save of the
        confirm inside a transaction that is rolled back. Nothing is written."""
        preview = self.plan(data)
        if preview.errors or all(not r.ok for r in preview.rows):
            return preview
        try:
            with transaction.atomic():
                self._execute(preview, collect=True)
                raise _DryRun
        except _DryRun:
            pass
        preview.saved = preview.sheets_saved = 0
        return preview

    def apply(self, preview: MarkbookPreview) -> MarkbookPreview:
        """Write the checked changes (inside the caller's transaction) and record the import."""
        from sms.audit.services import record

        if not preview.rows:
            return preview
        self._execute(preview, collect=False)
        klass = self.school_class
        record(
            AUDIT_IMPORT,
            request=self.request,
            actor=self.actor,
            obj=klass,
            detail=f"Nhập sổ theo dõi và đánh giá lớp {klass.name}: {preview.saved} ô điểm, "
            f"{preview.sheets_saved} bảng điểm",
        )
        return preview

    def finish(self, result, preview) -> dict:
        return {}


def _spread(changes: list[Change], exc: gradebook.SheetError) -> None:
    """A grade-book refusal on the changed cells it names (the whole sheet when it names none)."""
    by_cell = {(c.enrolment_id, c.key): c for c in changes}
    placed = False
    for error in exc.errors:
        try:
            target = by_cell.get((int(str(error.get("enrolment"))), error.get("column")))
        except (TypeError, ValueError):
            target = None
        if target is None:
            continue
        message = str(error.get("message", ""))
        if message.startswith("Ô thứ"):
            message = "học sinh không có trong danh sách lớp của học kỳ này (vào lớp sau hoặc đã rời lớp trước đó)."
        else:
            message = message.split(": ", 1)[-1]
        target.error(message)
        placed = True
    if not placed:
        for change in changes:
            change.error(f"không ghi được – {exc.message}")


def import_markbook(actor, school_class: SchoolClass, data: bytes, *, dry_run: bool, request=None) -> MarkbookPreview:
    """The API's import: check (``dry_run``) or check and write in one transaction, all or nothing."""
    klass = _reach(actor, school_class)
    check_writer(actor, klass)
    importer = MarkbookImporter(actor, request, school_class=klass)
    if dry_run:
        return importer.preview(data)
    try:
        with transaction.atomic():
            preview = importer.preview(data)
            if not preview.ok:
                raise _Refused(preview)
            return importer.apply(preview)
    except _Refused as refusal:
        return refusal.preview
    except ValidationError as exc:
        # somebody changed a sheet between the check and the write: nothing was kept
        preview = importer.plan(data)
        preview.errors.append("Chưa lưu gì: " + " ".join(exc.messages))
        return preview
