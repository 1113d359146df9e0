"""Marks of one subject and one round (1 or 2) from Excel, by code (số phách).

The secretariat often receives the markers' marks on paper or in a spreadsheet: it downloads
the template of the codes given for the round (``MarksImporter.template``: code, the mark
entered so far, the marker's username — never a candidate's name or number), fills the marks
and uploads it through ``sms.imports`` (upload → dry run → confirm, one transaction):

- every bad row is named with its Excel row and column (unknown code, code twice, a script not
  given for that round, a marker's username other than the one assigned, a mark out of range
  or not in steps of 0.25, an absent candidate's script);
- the same file twice changes nothing (a mark equal to the stored one is "Không đổi");
- a blank mark leaves the stored one as it is;
- refused as a whole once the subject is matched or the results are published.

Written through ``exams.services.marking.record_marks`` (history names the secretariat; each
script reconciled).
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from sms.exports import xlsx
from sms.imports import Column, Importer, Preview, RowResult, Status
from sms.imports import cell_text as _text

from .models import Mark, MarkRound, Script, ScriptStatus
from .services import marking

CODE = "Số phách"
SCORE = "Điểm"
MARKER = "Cán bộ chấm"


def _code(value, width: int) -> str:
    """A code cell: text as typed; a number Excel made of it gets its leading zeros back."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return str(value).zfill(width)
    return _text(value).replace(" ", "")


class MarksImporter(Importer):
    title = "Nhập điểm chấm từ tệp Excel"
    sheet_title = "Điểm chấm"
    columns: ClassVar[list[Column]] = [
        Column(CODE, required=True, width=14, text=True, help="Số phách của bài thi, đúng như trên phiếu chấm."),
        Column(SCORE, required=True, width=10, help="Điểm từ 0 đến thang điểm của môn, bước 0,25 (ví dụ 6,75)."),
        Column(
            MARKER,
            width=22,
            help="Tên đăng nhập của cán bộ chấm (không bắt buộc). Nếu ghi, phải đúng cán bộ được phân công.",
        ),
    ]

    def __init__(self, actor, request=None, *, exam_subject, round_: str):
        super().__init__(actor, request)
        self.subject = exam_subject
        self.round = round_
        self.title = f"Nhập điểm {MarkRound(round_).label.lower()} – môn {exam_subject.name}"
        self.template_filename = f"diem-cham-lan-{round_}-{exam_subject.code}.xlsx"

    def marks(self):
        return (
            Mark.objects.filter(script__exam_subject=self.subject, round=self.round)
            .select_related("script", "marker__user")
            .order_by("script__code")
        )

    # --- the template: the codes given for the round, nothing about candidates --------------------

    def template(self) -> bytes:
        book = xlsx.Workbook()
        sheet = book.sheet(self.sheet_title, [(c.header, c.width) for c in self.columns])
        for mark in self.marks():
            sheet.row([mark.script.code, mark.score, mark.marker.user.username])
            sheet.ws.cell(row=sheet.last_row, column=1).number_format = "@"
        guide = book.sheet("Hướng dẫn", [("Cột", 28), ("Bắt buộc", 10), ("Ghi chú", 80)])
        for column in self.columns:
            guide.row([column.header, "Có" if column.required else "Không", column.help])
        return book.save()

    # --- checking (no writes) ------------------------------------------------------------------------

    def preview(self, data: bytes) -> Preview:
        refusal = marking.import_refusal(self.actor, self.subject, self.round)
        if refusal:
            return Preview(rows=[], errors=[refusal])
        return super().preview(data)

    def check(self, rows: list[RowResult]) -> None:
        marks = {m.script.code: m for m in self.marks()}
        scripts = dict(Script.objects.filter(exam_subject=self.subject).values_list("code", "status"))
        width = max((len(c) for c in scripts), default=marking.CODE_WIDTH)
        label = MarkRound(self.round).label.lower()
        seen: dict[str, int] = {}
        for row in rows:
            v = row.values
            code = _code(v.get(CODE), width)
            mark = None
            if not code:
                row.error(CODE, "chưa ghi số phách.")
            elif code in seen:
                row.error(CODE, f"số phách {code} đã có ở dòng {seen[code]}.")
            elif code not in scripts:
                row.error(CODE, f"môn {self.subject.name} không có bài thi số phách {code}.")
            elif scripts[code] == ScriptStatus.ABSENT:
                row.error(CODE, f"bài phách {code} của thí sinh vắng thi, không chấm.")
            elif code not in marks:
                row.error(CODE, f"bài phách {code} chưa được phân công {label}.")
            else:
                mark = marks[code]
            if code:
                seen.setdefault(code, row.number)
            username = _text(v.get(MARKER))
            if mark is not None and username and username.lower() != mark.marker.user.username.lower():
                row.error(MARKER, f"bài phách {code} được phân công cho cán bộ khác, không phải “{username}”.")
            raw = v.get(SCORE)
            try:
                value = marking.parse_score(raw)
            except ValueError:
                row.error(SCORE, f"“{_text(raw)}” không phải là điểm (ví dụ 6,75).")
                continue
            if value is not None:
                problem = marking.score_problem(value, self.subject.max_score)
                if problem:
                    row.error(SCORE, problem + ".")
                    continue
                value = value.quantize(Decimal("0.01"))
            if not row.ok or mark is None:
                continue
            if value is None:
                row.status = Status.UNCHANGED
                row.notes.append("Chưa có điểm: bỏ qua." if mark.score is None else "Để trống: giữ điểm đã có.")
            elif mark.score == value:
                row.status = Status.UNCHANGED
            else:
                row.status = Status.NEW if mark.score is None else Status.UPDATED
                if mark.score is not None:
                    row.notes.append(f"Điểm cũ {marking.vn(mark.score)}.")
                row.data = {"mark": mark.pk, "score": value}

    def apply(self, preview: Preview) -> dict:
        scores = {r.data["mark"]: r.data["score"] for r in preview.rows if r.data}
        if not scores:
            return {"saved": 0, "unchanged": len(preview.rows), "scripts": {}}
        return marking.record_marks(self.actor, self.subject, self.round, scores)
