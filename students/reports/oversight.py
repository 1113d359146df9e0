"""xlsx workbooks of the oversight pages (students.stats): grade-entry completion per school and per
grade with the list of sheets not submitted yet, one school's sheets by class, and the distributions
of approved learning and conduct results per school, per grade and per school × grade.

Counts and percentages stay numbers (Excel sums and sorts them); dates stay dates."""

from __future__ import annotations

from sms.exports import xlsx
from sms.org.models import SEMESTER_CHOICES

from ..stats import SCHEMES, STAGE_LABELS, STAGES, CompletionReport, ResultsReport, SheetLine, Tally

COMPLETION_HEADS = [
    ("Số bảng điểm phải nhập", 12),
    *[(STAGE_LABELS[s], 11) for s in STAGES],
    ("Tỉ lệ đã duyệt (%)", 11),
    ("Quá hạn chưa gửi", 11),
]
LINE_HEADS = [
    ("Trường", 30),
    ("Khối", 6),
    ("Lớp", 8),
    ("Môn học", 22),
    ("Giáo viên bộ môn", 24),
    ("Trạng thái", 16),
    ("Lần thay đổi cuối", 17),
    ("Hạn nhập điểm", 12),
    ("Quá hạn", 8),
]


def semester_label(number: int) -> str:
    return dict(SEMESTER_CHOICES).get(number, str(number))


def _counts(completion) -> list:
    return [completion.expected, *completion.stages, completion.approved_percent, completion.overdue]


def _line(ln: SheetLine) -> list:
    return [
        ln.school.name,
        ln.grade,
        ln.class_name,
        ln.subject_name,
        ln.teacher or "(chưa phân công)",
        ln.stage_label,
        ln.last_change,
        ln.deadline,
        "Quá hạn" if ln.overdue else "",
    ]


def completion_workbook(report: CompletionReport, unsubmitted: list[SheetLine]) -> bytes:
    """Sheets: per school, per grade, and every sheet not submitted yet (teacher and deadline)."""
    book = xlsx.Workbook()
    schools = book.sheet("Theo trường", [("Trường", 34), ("Đơn vị quản lý", 26), *COMPLETION_HEADS])
    for row in report.schools:
        schools.row([row.school.name, row.parent_name, *_counts(row.completion)])
    schools.row(["Cộng", "", *_counts(report.total)])
    grades = book.sheet("Theo khối", [("Khối", 8), *COMPLETION_HEADS])
    for grade, completion in report.grades.items():
        grades.row([grade, *_counts(completion)])
    grades.row(["Cộng", *_counts(report.total)])
    book.sheet("Chưa gửi", LINE_HEADS).rows(_line(ln) for ln in unsubmitted)
    return book.save()


def school_workbook(school, classes) -> bytes:
    """One school's expected sheets, class by class."""
    book = xlsx.Workbook()
    sheet = book.sheet(f"Nhập điểm {school.name}", LINE_HEADS)
    for klass in classes:
        sheet.rows(_line(ln) for ln in klass.lines)
    return book.save()


def _dist_heads(levels) -> list:
    heads = [("Số HS đã duyệt", 10)]
    for _, label in levels:
        heads += [(f"{label} (SL)", 10), (f"{label} (%)", 10)]
    return [*heads, ("Chưa xếp loại", 10), ("Chưa duyệt", 10)]


def _dist_values(row) -> list:
    values = [row.approved]
    for n, pct in row.cells:
        values += [n, pct]
    return [*values, row.unclassified, row.unapproved]


#: the rule families' names in sheet titles (HT = học tập, RL = rèn luyện)
SCHEME_SHORT = {"tt22": "TT22", "tieu-hoc": "Tiểu học", "tt58": "TT58"}


def results_workbook(report: ResultsReport) -> bytes:
    """Per school and per grade sheets for each table of the report, and school × grade counts."""
    book = xlsx.Workbook()
    if not report.tables:
        book.sheet("Kết quả", [("Chưa có kết quả đã duyệt trong phạm vi", 50)])
        return book.save()
    for table in report.tables:
        short = "HT" if table.dimension == "learning" else "RL"
        short = f"{short} {SCHEME_SHORT.get(table.scheme.key, table.scheme.key)}"
        heads = _dist_heads(table.levels)
        schools = book.sheet(f"{short} theo trường", [("Trường", 34), *heads])
        schools.rows([r.name, *_dist_values(r)] for r in table.schools)
        schools.row(["Cộng", *_dist_values(table.total)])
        grades = book.sheet(f"{short} theo khối", [("Khối", 10), *heads])
        grades.rows([r.name, *_dist_values(r)] for r in table.grades)
        grades.row(["Cộng", *_dist_values(table.total)])
    names = {s.pk: s.name for s in report.schools}
    detail = book.sheet(
        "Trường – khối", [("Trường", 34), ("Khối", 8), ("Quy định", 26), ("Nội dung", 18), ("Mức", 22), ("Số HS", 10)]
    )
    for (school_id, grade), tallies in sorted(
        report.school_grades.items(), key=lambda kv: (names.get(kv[0][0], ""), kv[0][1])
    ):
        for scheme in SCHEMES:
            tally: Tally | None = tallies.get(scheme.key)
            if tally is None:
                continue
            name = names.get(school_id, "")
            for label, levels, counter in (
                ("Kết quả học tập", scheme.learning_levels, tally.learning),
                ("Rèn luyện / hạnh kiểm", scheme.conduct_levels, tally.conduct),
            ):
                for value, level in levels:
                    detail.row([name, grade, scheme.title, label, level, counter[value]])
            detail.row([name, grade, scheme.title, "", "Chưa duyệt", tally.unapproved])
    return book.save()
