"""The record book (học bạ) of a learner as a PDF in Vietnamese (../shared/domain/grading.md, "The books").

One learner's book: the identity block (name, sex, date of birth, birthplace, ethnicity, address,
parents/guardian, record number = ``Student.register_number``, learner code), then one section per
school year the learner has an enrolment in, at whichever school: class, school, school year; the
subject table (semester I, II, year, re-test, and the name of the subject teacher in the signature
column); conduct (I, II, year, after summer); sessions absent; promotion; title; the homeroom teacher's
comment; the principal's approval (who approved the year and when, from the results' history).
Primary years (TT27/2020, TT30/2014) print the levels T/H/C with the test scores, and the qualities and
competencies; legacy TT58 years print học lực / hạnh kiểm. Only approved values are printed: a period not
approved prints "Chưa duyệt". A value corrected after approval prints the old value struck through, the
new one and "(sửa: who, dd/mm/yyyy)" (students.services.corrections).

Under the identity block: the learner's lookup code (``Student.lookup_code``, the second secret of the public
results lookup, reissued from the learner's page) and a QR code opening the book's public check page
(``sms.portal.documents``, kind "record-book", ref the learner's id, unit the learner's current school), with
its URL printed under it. Every printing mints a new token (``check_urls``: one INSERT for a whole class); the
school's leaders list and revoke them on the learner's page.

The data has no per-subject teacher comment, so the subject table has none (only the teacher's name).

Reading: ``learner_books(ids)`` reads everything for a list of learners with a fixed number of queries (the
subject teachers' names in one, ``teachers.selectors.teacher_names``), so a whole class costs the same
queries as three learners.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass, field
from xml.sax.saxutils import unescape

from django.db.models import QuerySet
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph, Table, TableStyle

from sms.accounts.roles import Role
from sms.accounts.scoping import visible_to
from sms.exports import fonts, pdf
from sms.exports.numbers import vn_date, vn_decimal
from sms.org.catalogue import programme_order
from sms.org.models import Semester, SubjectPlan
from sms.portal import documents
from sms.text import nfc

from .. import rules
from ..models import (
    GRADE_READERS,
    Enrolment,
    Guardian,
    HomeroomAssessment,
    Period,
    ResultStatus,
    Student,
    SubjectResult,
    TermResult,
)
from ..services.corrections import corrections_for
from ..services.results import cell_text, conduct_label, learning_label

#: who reads a record book: whoever reads the grade book, and the learner and their parents (their own)
RECORD_BOOK_READERS = GRADE_READERS | {Role.STUDENT, Role.PARENT}
NOT_APPROVED = "Chưa duyệt"
MSG_NOT_READER = "Vai trò hiện tại của bạn không xem được học bạ."
SEMESTER_PERIODS = {1: Period.SEMESTER_1, 2: Period.SEMESTER_2}
VALUE_FIELDS = ("average", "passed", "level", "test_score", "excluded")
RETEST_FIELDS = ("retest_average", "retest_passed")
QUALITY_LABELS = dict(rules.QualityLevel.choices)
FONT_SIZE = 10  # the "cell" style of sms.exports.pdf
PADDING = 4
HEADER_SHADE = colors.HexColor("#e8eef5")


def readable_students(actor) -> QuerySet:
    """The learners whose record book ``actor`` may print: the Student door (current school's staff as
    Student.scope allows, the learner, the parent), for the roles that read results. A teacher prints
    only the books of their current homeroom class: the book holds every subject and year, which a
    subject teacher does not otherwise read."""
    if actor is None or actor.role not in RECORD_BOOK_READERS:
        return Student.objects.none()
    students = visible_to(actor, Student)
    if actor.role == Role.TEACHER:
        homeroom = Enrolment.objects.filter(
            school_id=actor.unit_id,
            school_class__homeroom_teacher=actor.user,
            school_class__school_year__is_current=True,
        ).values("student_id")
        students = students.filter(pk__in=homeroom)
    return students


# --- reading ------------------------------------------------------------------------------------------


@dataclass
class YearBook:
    """One enrolment (a class in a school year, at one school) with everything its section prints."""

    enrolment: Enrolment
    rule_set: str
    primary: bool
    subjects: list = field(default_factory=list)  # [Subject] in programme order
    results: dict = field(default_factory=dict)  # (subject id, period) → SubjectResult
    terms: dict = field(default_factory=dict)  # period → TermResult
    homeroom: dict = field(default_factory=dict)  # semester number → HomeroomAssessment (approved)
    teachers: dict = field(default_factory=dict)  # subject id → teacher's name
    approval: str = ""  # "Nguyễn Văn A, 31/05/2027" or ""


@dataclass
class LearnerBook:
    student: Student
    guardians: list
    years: list
    corrections: dict  # (enrolment id, subject id or None, period, field) → [Correction]


def learner_books(student_ids) -> list[LearnerBook]:
    """Everything the record books of these learners print, read BY THE LEARNERS' IDS — the caller has
    checked every id against the Student door first (``readable_students``).

    Why not each table through ``visible_to``: the paper học bạ travels with the learner and is kept for
    life, so the book of a transferred learner holds their approved years at earlier schools too, which the
    door of the current school (rightly) does not show; and it prints both parents, where a parent's own door
    shows only themselves. So once the actor may read the learner, this one selector reads the learner's
    years wherever they happened — and prints only approved values from them (``NOT_APPROVED`` otherwise)."""
    ids = list(dict.fromkeys(int(i) for i in student_ids))
    students = {s.pk: s for s in Student.objects.filter(pk__in=ids).select_related("school", "address_area__parent")}
    guardians: dict = defaultdict(list)
    for g in Guardian.objects.filter(student_id__in=ids).order_by("student_id", "relation", "pk"):
        guardians[g.student_id].append(g)
    enrolments = list(
        Enrolment.objects.filter(student_id__in=ids)
        .select_related("school", "school_year", "school_class__homeroom_teacher")
        .order_by("student_id", "school_year__start_year", "enrolled_on", "pk")
    )
    enrolment_ids = [e.pk for e in enrolments]
    year_ids = {e.school_year_id for e in enrolments}

    plans: dict = defaultdict(list)
    for plan in (
        SubjectPlan.objects.filter(school_year_id__in=year_ids)
        .select_related("subject")
        .order_by("subject__name", "subject_id")
    ):
        plans[(plan.school_year_id, plan.grade)].append(plan.subject)
    results: dict = defaultdict(dict)
    for row in SubjectResult.objects.filter(enrolment_id__in=enrolment_ids).select_related("subject"):
        results[row.enrolment_id][(row.subject_id, row.period)] = row
    terms: dict = defaultdict(dict)
    for row in TermResult.objects.filter(enrolment_id__in=enrolment_ids):
        terms[row.enrolment_id][row.period] = row
    homeroom: dict = defaultdict(dict)
    for row in HomeroomAssessment.objects.filter(enrolment_id__in=enrolment_ids, approved=True).select_related(
        "semester"
    ):
        homeroom[row.enrolment_id][row.semester.number] = row
    semesters = {
        (year_id, number): pk
        for pk, year_id, number in Semester.objects.filter(school_year_id__in=year_ids).values_list(
            "pk", "school_year_id", "number"
        )
    }
    corrections = corrections_for(enrolment_ids)
    approvals = _approvals([t for e in enrolment_ids for t in [terms[e].get(Period.YEAR)] if t is not None])

    years_of: dict = defaultdict(list)
    wanted_teachers: set = set()
    for e in enrolments:
        rule_set = rules.rule_set_for(e.school_year.start_year, e.school_class.grade)
        if rule_set == rules.RuleSet.NONE:
            continue  # preschool keeps no grades
        subjects = {s.pk: s for s in plans.get((e.school_year_id, e.school_class.grade), [])}
        for row in results[e.pk].values():
            subjects.setdefault(row.subject_id, row.subject)
        book = YearBook(
            enrolment=e,
            rule_set=str(rule_set),
            primary=rules.is_primary(rule_set),
            subjects=sorted(subjects.values(), key=lambda s: (programme_order(s.code, s.name), s.pk)),
            results=results[e.pk],
            terms=terms[e.pk],
            homeroom=homeroom[e.pk],
        )
        year_term = book.terms.get(Period.YEAR)
        if year_term is not None and year_term.status == ResultStatus.APPROVED:
            book.approval = approvals.get(year_term.pk, "")
        for subject in book.subjects:
            for number in (2, 1):
                semester_id = semesters.get((e.school_year_id, number))
                if semester_id is not None:
                    wanted_teachers.add((semester_id, e.school_class_id, subject.pk))
        years_of[e.student_id].append((book, semesters))
    names = _teacher_names(wanted_teachers)
    principals = _Principals({e.school_id for e in enrolments})
    books = []
    for pk in ids:
        student = students.get(pk)
        if student is None:
            continue
        years = []
        for book, sems in years_of.get(pk, []):
            e = book.enrolment
            for subject in book.subjects:
                found = [names.get((sems.get((e.school_year_id, n)), e.school_class_id, subject.pk)) for n in (1, 2)]
                book.teachers[subject.pk] = "; ".join(dict.fromkeys(n for n in found if n))
            year_term = book.terms.get(Period.YEAR)
            if year_term is not None and year_term.status == ResultStatus.APPROVED and not book.approval:
                # today's principal is named only for the current year: an old year's may have been another
                book.approval = principals.of(e.school_id) if e.school_year.is_current else "Hiệu trưởng đã duyệt"
            years.append(book)
        books.append(LearnerBook(student, guardians.get(pk, []), years, corrections))
    return books


def _approvals(year_terms) -> dict[int, str]:
    """TermResult id → "who, dd/mm/yyyy" of the approval now in force: the history row where the status
    last became approved (one query over the results' history)."""
    if not year_terms:
        return {}
    found: dict[int, str] = {}
    previous: dict[int, str] = {}
    rows = (
        TermResult.history.filter(id__in=[t.pk for t in year_terms])
        .order_by("id", "history_date", "history_id")
        .values_list("id", "status", "history_date", "history_user__full_name", "history_user__username")
    )
    for pk, status, when, full_name, username in rows:
        if status == ResultStatus.APPROVED and previous.get(pk) != ResultStatus.APPROVED:
            who = full_name or username or ""
            day = timezone.localdate(when)  # the school's day, not UTC's
            found[pk] = f"{who}, {vn_date(day)}" if who else vn_date(day)
        previous[pk] = status
    return found


class _Principals:
    """The school's principal's name, when the history does not say who approved (one query, only then,
    for the schools of the books being printed)."""

    def __init__(self, school_ids=()):
        self._names: dict | None = None
        self._school_ids = set(school_ids)

    def of(self, school_id: int) -> str:
        if self._names is None:
            from sms.accounts.models import Membership

            self._names = {}
            for unit_id, full_name in (
                Membership.objects.filter(role=Role.PRINCIPAL, is_active=True, unit_id__in=self._school_ids)
                .order_by("unit_id", "pk")
                .values_list("unit_id", "user__full_name")
            ):
                self._names.setdefault(unit_id, full_name)
        name = self._names.get(school_id, "")
        return f"Hiệu trưởng {name}" if name else "Hiệu trưởng đã duyệt"


def _teacher_names(triples) -> dict:
    """(semester id, class id, subject id) → the assigned teacher's name, through the teachers'
    selector (one query for the whole book or class)."""
    from teachers.selectors import teacher_names

    return teacher_names(triples)


# --- printing -------------------------------------------------------------------------------------------


def _who(correction) -> str:
    user = correction.changed_by
    name = (user.full_name or user.username) if user is not None else "không rõ"
    return f"{name}, {vn_date(timezone.localdate(correction.created_at))}"


def _marked(value: str, corrections: list) -> str:
    """Paragraph markup: old values struck through, the value, "(sửa: who, dd/mm/yyyy)"."""
    if not corrections:
        return pdf.text(value)
    olds = " ".join(f"<strike>{pdf.text(c.old_value)}</strike>" for c in corrections if c.old_value)
    who = "; ".join(_who(c) for c in corrections)
    return f"{olds} {pdf.text(value)} (sửa: {pdf.text(who)})".strip()


class _Printer:
    def __init__(self, doc: pdf.Document, book: LearnerBook, check_url: str = ""):
        self.doc, self.book, self.check_url = doc, book, check_url
        self.cell_style = doc.styles["cell"]

    def p(self, markup: str):
        """A cell from paragraph markup: a Paragraph only when it carries a tag (a correction), else plain text
        (a Paragraph costs ~50 times a plain cell to lay out, and a class prints ~20,000 cells)."""
        if "<" not in markup:
            return unescape(markup)
        return Paragraph(markup, self.cell_style)

    def table(self, rows, col_widths, *, header: bool = True) -> None:
        """A table like ``pdf.Document.table`` (the font, grid and header shading of sms.exports.pdf) whose text
        cells stay plain strings when they fit their column and wrap as paragraphs only when they do not."""
        doc = self.doc
        total = sum(col_widths)
        widths = [doc.width * w / total for w in col_widths]
        cells = []
        for r, row in enumerate(rows):
            bold = header and r == 0
            font = fonts.BOLD if bold else fonts.FAMILY
            line = []
            for c, cell in enumerate(row):
                if isinstance(cell, str):
                    text = nfc(cell)
                    room = widths[c] - 2 * PADDING
                    # no glyph of the font is wider than the em: a short text fits without measuring it
                    if len(text) * FONT_SIZE > room and stringWidth(text, font, FONT_SIZE) > room:
                        cell = Paragraph(pdf.text(text), doc.styles["cell_bold" if bold else "cell"])
                    else:
                        cell = text
                line.append(cell)
            cells.append(line)
        table = Table(cells, colWidths=widths, repeatRows=1 if header else 0)
        style = [
            ("FONTNAME", (0, 0), (-1, -1), fonts.FAMILY),
            ("FONTSIZE", (0, 0), (-1, -1), FONT_SIZE),
            ("LEADING", (0, 0), (-1, -1), FONT_SIZE + 3),
            ("LEFTPADDING", (0, 0), (-1, -1), PADDING),
            ("RIGHTPADDING", (0, 0), (-1, -1), PADDING),
            ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
        if header:
            style += [("FONTNAME", (0, 0), (-1, 0), fonts.BOLD), ("BACKGROUND", (0, 0), (-1, 0), HEADER_SHADE)]
        table.setStyle(TableStyle(style))
        doc.story.append(table)

    def fixes(self, year: YearBook, subject_id, period, fields) -> list:
        found = []
        for name in fields:
            found += self.book.corrections.get((year.enrolment.pk, subject_id, period, name), [])
        return sorted(found, key=lambda c: (c.created_at, c.pk))

    # identity ------------------------------------------------------------------------------------------
    def identity(self) -> None:
        s = self.book.student
        doc = self.doc
        doc.title_block("HỌC BẠ")
        doc.paragraph(f"Học sinh: {s.full_name}", "centre")
        address = ", ".join(
            part
            for part in (
                s.address,
                s.address_area.name if s.address_area_id else "",
                s.address_area.parent.name if s.address_area_id and s.address_area.parent_id else "",
            )
            if part
        )
        parents = "; ".join(f"{g.get_relation_display()}: {g.full_name}" for g in self.book.guardians)
        rows = [
            ["Họ và tên", s.full_name],
            ["Giới tính", s.get_sex_display()],
            ["Ngày sinh", vn_date(s.birth_date)],
            ["Nơi sinh", s.birthplace or "—"],
            ["Dân tộc", s.ethnicity or "—"],
            ["Chỗ ở hiện nay", address or "—"],
            ["Cha, mẹ / người giám hộ", parents or "—"],
            ["Số đăng bộ", s.register_number or "—"],
            ["Mã định danh học sinh", s.learner_code],
            ["Mã tra cứu kết quả", s.lookup_code],
        ]
        doc.heading("Thông tin học sinh")
        self.table(rows, [35, 65], header=False)
        if self.check_url:
            self.verification()

    def verification(self) -> None:
        """The QR code of this printing (its check URL under it) beside how to check the book and look up
        the published results."""
        s, doc = self.book.student, self.doc
        qr = pdf.qr_code(self.check_url, size=24 * mm, caption="Quét mã để kiểm tra học bạ")
        note = Paragraph(
            pdf.text(
                "Kiểm tra học bạ: quét mã QR hoặc nhập địa chỉ in dưới mã để xem thông tin của học bạ này trong hồ "
                "sơ của nhà trường. Tra cứu kết quả học tập nhà trường đã công bố: nhập mã định danh học sinh "
                f"{s.learner_code} và ngày sinh, hoặc mã tra cứu {s.lookup_code}."
            ),
            doc.styles["small"],
        )
        qr_width = qr.wrap(doc.width, 200 * mm)[0]  # as wide as the URL under it needs
        table = Table([[qr, note]], colWidths=[qr_width + 2 * PADDING, doc.width - qr_width - 2 * PADDING])
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("LEFTPADDING", (0, 0), (-1, -1), PADDING),
                    ("RIGHTPADDING", (0, 0), (-1, -1), PADDING),
                    ("TOPPADDING", (0, 0), (-1, -1), 6),
                ]
            )
        )
        doc.story.append(table)

    # one year ------------------------------------------------------------------------------------------
    def year(self, year: YearBook) -> None:
        doc, e = self.doc, year.enrolment
        doc.need(70)
        doc.heading(f"Năm học {e.school_year.name} – Lớp {e.school_class.name} – {e.school.name}")
        doc.paragraph(f"Quy định đánh giá: {rules.RuleSet(year.rule_set).label}", "small")
        if year.primary:
            self.primary_subjects(year)
            self.qualities(year)
        else:
            self.secondary_subjects(year)
        self.terms(year)
        self.homeroom_and_approval(year)

    def _value(self, year: YearBook, subject, period, *, primary: bool) -> str:
        row = year.results.get((subject.pk, period))
        if row is None:
            return ""
        if row.status != ResultStatus.APPROVED:
            return pdf.text(NOT_APPROVED)
        plain = copy.copy(row)
        plain.retest_average = plain.retest_passed = None
        text = cell_text(plain, subject.assessment, primary=primary)
        return _marked(text, self.fixes(year, subject.pk, period, VALUE_FIELDS))

    def _retest(self, year: YearBook, subject) -> str:
        row = year.results.get((subject.pk, Period.YEAR))
        if row is None or row.status != ResultStatus.APPROVED:
            return ""
        if row.retest_average is not None:
            text = vn_decimal(row.retest_average)
        elif row.retest_passed is not None:
            text = rules.PASSED if row.retest_passed else rules.NOT_PASSED
        else:
            text = ""
        return _marked(text, self.fixes(year, subject.pk, Period.YEAR, RETEST_FIELDS))

    def secondary_subjects(self, year: YearBook) -> None:
        header = ["Môn học", "Học kỳ I", "Học kỳ II", "Cả năm", "Kiểm tra lại", "Giáo viên bộ môn (họ tên, chữ ký)"]
        rows: list = [header]
        for subject in year.subjects:
            rows.append(
                [
                    subject.name,
                    self.p(self._value(year, subject, Period.SEMESTER_1, primary=False)),
                    self.p(self._value(year, subject, Period.SEMESTER_2, primary=False)),
                    self.p(self._value(year, subject, Period.YEAR, primary=False)),
                    self.p(self._retest(year, subject)),
                    year.teachers.get(subject.pk, ""),
                ]
            )
        self.table(rows, [24, 13, 13, 15, 12, 23])

    def primary_subjects(self, year: YearBook) -> None:
        header = ["Môn học và hoạt động giáo dục", "Cuối học kỳ I (mức, điểm KT)", "Cuối năm (mức, điểm KT)",
                  "Giáo viên (họ tên, chữ ký)"]  # fmt: skip
        rows: list = [header]
        for subject in year.subjects:
            rows.append(
                [
                    subject.name,
                    self.p(self._value(year, subject, Period.SEMESTER_1, primary=True)),
                    self.p(self._value(year, subject, Period.YEAR, primary=True)),
                    year.teachers.get(subject.pk, ""),
                ]
            )
        self.table(rows, [34, 20, 20, 26])
        self.doc.paragraph("Mức đạt được: T – Hoàn thành tốt, H – Hoàn thành, C – Chưa hoàn thành.", "small")

    def qualities(self, year: YearBook) -> None:
        assessment = year.homeroom.get(2)
        wanted = rules.qualities_for(year.rule_set)
        if not wanted:
            return
        marks = {**(assessment.qualities or {}), **(assessment.competencies or {})} if assessment else {}
        rows: list = [["Phẩm chất, năng lực", "Cuối năm"]]
        for key, label in wanted:
            value = QUALITY_LABELS.get(marks.get(key), "") if assessment else NOT_APPROVED
            rows.append([label, value])
        self.table(rows, [60, 40])

    def _term_cell(self, year: YearBook, period: str, name: str, text: str) -> Paragraph:
        return self.p(_marked(text, self.fixes(year, None, period, (name,))))

    def terms(self, year: YearBook) -> None:
        rs = year.rule_set
        legacy = rs in (rules.RuleSet.TT58, rules.RuleSet.TT26)
        learning_head = "Học lực" if legacy else "Kết quả học tập"
        conduct_head = "Hạnh kiểm" if legacy else "Kết quả rèn luyện"
        periods = [Period.YEAR] if year.primary else [Period.SEMESTER_1, Period.SEMESTER_2, Period.YEAR]
        labels = {Period.SEMESTER_1: "Học kỳ I", Period.SEMESTER_2: "Học kỳ II", Period.YEAR: "Cả năm"}
        header = ["Kỳ", learning_head] + ([] if year.primary else [conduct_head]) + ["Số buổi nghỉ"]
        rows: list = [header]
        for period in periods:
            term = year.terms.get(period)
            if term is None or term.status != ResultStatus.APPROVED:
                rows.append([labels[period]] + [NOT_APPROVED] * (len(header) - 1))
                continue
            absences = f"{term.absences} ({term.absences_excused} có phép)" if term.absences else "0"
            line = [labels[period], self._term_cell(year, period, "learning", learning_label(rs, term.final_learning))]
            if not year.primary:
                line.append(self._term_cell(year, period, "conduct", conduct_label(rs, term.conduct)))
            line.append(self._term_cell(year, period, "absences", absences))
            rows.append(line)
        term = year.terms.get(Period.YEAR)
        approved = term is not None and term.status == ResultStatus.APPROVED
        if approved and not year.primary and (term.conduct_after_summer or term.learning_after_retest):
            rows.append(
                [
                    "Sau hè",
                    self._term_cell(year, Period.YEAR, "learning_after_retest",
                                    learning_label(rs, term.learning_after_retest)),
                    self._term_cell(year, Period.YEAR, "conduct_after_summer",
                                    conduct_label(rs, term.conduct_after_summer)),
                    "",
                ]
            )  # fmt: skip
        self.table(rows, [16, 34, 30, 20] if not year.primary else [20, 50, 30])
        if approved:
            outcome = term.get_outcome_display() if term.outcome else "—"
            title = term.get_title_display() if term.title else "—"
            outcome_markup = _marked(outcome, self.fixes(year, None, Period.YEAR, ("outcome",)))
            title_markup = _marked(title, self.fixes(year, None, Period.YEAR, ("title",)))
        else:
            outcome_markup = title_markup = pdf.text(NOT_APPROVED)
        self.table(
            [
                ["Lên lớp / hoàn thành chương trình", self.p(outcome_markup)],
                ["Danh hiệu", self.p(title_markup)],
            ],
            [35, 65],
            header=False,
        )

    def homeroom_and_approval(self, year: YearBook) -> None:
        labels = {1: "Học kỳ I", 2: "Học kỳ II (cả năm)"}
        comments = [f"{labels[n]}: {a.comment}" for n, a in sorted(year.homeroom.items()) if a.comment]
        homeroom_teacher = year.enrolment.school_class.homeroom_teacher
        teacher = (homeroom_teacher.full_name or homeroom_teacher.username) if homeroom_teacher else ""
        comment_text = " ".join(comments) if comments else "—"
        if teacher:
            comment_text += f" (Giáo viên chủ nhiệm: {teacher})"
        term = year.terms.get(Period.YEAR)
        approved = term is not None and term.status == ResultStatus.APPROVED
        approval = f"Đã duyệt – {year.approval}" if approved and year.approval else (
            "Đã duyệt" if approved else NOT_APPROVED
        )  # fmt: skip
        self.table(
            [
                ["Nhận xét của giáo viên chủ nhiệm", comment_text],
                ["Xác nhận của hiệu trưởng", approval],
            ],
            [35, 65],
            header=False,
        )


def check_urls(actor, students) -> dict[int, str]:
    """Learner id → the check URL of a new QR token for this printing of their book (kind "record-book",
    unit the learner's current school, labelled "Học bạ <name> – in dd/mm/yyyy"): every token of a class's
    printing in one INSERT (``documents.issue_tokens``)."""
    from ..portal import RECORD_BOOK, record_book_label

    students = list(students)
    if not students:
        return {}
    today = timezone.localdate()
    tokens = documents.issue_tokens(
        RECORD_BOOK, [(s.pk, s.school_id, record_book_label(s, today)) for s in students], actor=actor
    )
    return {s.pk: documents.check_url(token) for s, token in zip(students, tokens, strict=True)}


def render(books: list[LearnerBook], *, title: str, author: str = "", urls: dict[int, str] | None = None) -> bytes:
    """One PDF: each learner's book from a new page, with its own page numbers; ``urls`` (learner id → check
    URL, ``check_urls``) puts each book's QR code under its identity block."""
    doc = pdf.Document(title, author=author)
    urls = urls or {}
    for index, book in enumerate(books):
        if index:
            doc.page_break()
        doc.start_part(f"Học bạ – {book.student.full_name}")
        printer = _Printer(doc, book, urls.get(book.student.pk, ""))
        printer.identity()
        if not book.years:
            doc.paragraph("Chưa có năm học nào.")
        for year in book.years:
            printer.year(year)
    return doc.build()


def download(request, actor, student: Student):
    """The HTTP response of one learner's book for the page and the API (``student`` reached through the
    Student door): refused (403) to roles that do not read results, 404 where the actor reads the learner
    but not the book (a subject teacher: only the homeroom teacher prints it); each download is logged."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from sms.audit.services import record_read

    if actor.role not in RECORD_BOOK_READERS:
        raise PermissionDenied(MSG_NOT_READER)
    if not readable_students(actor).filter(pk=student.pk).exists():
        raise Http404
    record_read(request, student, actor=actor)
    data, filename = student_pdf(student, actor=actor)
    return pdf.response(data, filename)


def student_pdf(student: Student, *, actor=None) -> tuple[bytes, str]:
    """The record book of one learner the caller reached through ``readable_students``: (PDF, file name),
    with the QR code of a new token minted for ``actor``'s printing."""
    books = learner_books([student.pk])
    urls = check_urls(actor, [book.student for book in books])
    data = render(books, title=f"Học bạ – {student.full_name}", author=student.school.name, urls=urls)
    return data, f"Học bạ {student.full_name} {student.learner_code}.pdf"


__all__ = [
    "NOT_APPROVED",
    "RECORD_BOOK_READERS",
    "check_urls",
    "learner_books",
    "readable_students",
    "render",
    "student_pdf",
]
