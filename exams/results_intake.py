"""Results intake (nhập kết quả thi): the final scores of a graduation (or vocational) exam, from Excel.

The national graduation tests are marked by the Ministry's system; the Sở receives each candidate's final
scores and takes them in here, through ``sms.imports`` (upload → dry run → confirm, one transaction):

- one row per candidate, found by "Số báo danh" (a number Excel turned into digits gets its leading zeros
  back); "Họ và tên" and "Ngày sinh" may stay in the sheet for checking by eye and are not read;
- one column per subject of the exam, its header the subject's name or code (case and diacritics ignored:
  "Toán", "toan", "TOÁN"); a cell is a score (7,25 or 7.25; 0 to the subject's maximum, at most two decimals),
  "V" or "vắng" for a candidate registered but absent, or empty when the candidate did not register the subject
  (an empty cell keeps whatever is stored: nothing is deleted);
- the preview lists every bad row with its Excel row and column (unknown or repeated candidate number, a
  withdrawn candidate, a bad score, more electives than the 2025 format allows — counting those an earlier file
  took in) and every header that is not a subject of the exam (row 1); the confirm writes all of it or nothing
  (``exams.services.graduation_thpt.record_results``, history attributed to the actor);
- the same file twice changes nothing (equal values are not written). The board's secretariat and chair see the
  comparison with the stored scores ("Không đổi", "Cập nhật", "giữ điểm đã có"); an organiser who is not on the
  board does not read unpublished scores, so their preview says "Sẽ ghi" for every row with a score and shows
  nothing stored (``graduation_thpt.sees_stored_scores``);
- only the organisers and the secretariat, only for ``INTAKE_KINDS``, only until the publication is scheduled
  (``graduation_thpt.intake_refusal``); a subject the board marks itself is not taken in.
"""

from __future__ import annotations

import re
from decimal import Decimal

from sms.accounts.scoping import visible_to
from sms.exports import xlsx
from sms.imports import Column, Importer, Preview, RowResult, Status
from sms.imports import cell_text as _text
from sms.text import search_key

from .models import Candidate, CandidateScore
from .services import graduation_thpt as services
from .services.marking import parse_score, vn

NUMBER = "Số báo danh"
NAME = "Họ và tên"
BIRTH = "Ngày sinh"
#: columns kept for checking by eye, not read
INFO_COLUMNS = (NAME, BIRTH)
#: what an absent candidate's cell says (compared without case, diacritics or spaces: "V", "vắng", "Vắng thi")
ABSENT_WORDS = frozenset({"v", "vang", "vangthi"})
#: rows the preview page lists at most besides the bad ones (the API lists every row)
SHOWN_ROWS = 1000
#: the 2025 format: two electives besides Toán and Ngữ văn (TT24/2024)
ELECTIVES_ALLOWED = services.ELECTIVES_ALLOWED
#: the status shown instead of "Thêm mới"/"Cập nhật"/"Không đổi" to who does not read the stored scores
WILL_WRITE = "Sẽ ghi"


def header_key(text) -> str:
    """A header or a subject's name or code compared without case, diacritics, spaces or punctuation."""
    return re.sub(r"[^a-z0-9]+", "", search_key(str(text or "")))


def _shown(value) -> str:
    """A score cell as the preview shows it: numbers with a decimal comma (8,25), text as typed."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        try:
            return vn(Decimal(str(value)))
        except ArithmeticError:
            return _text(value)
    return _text(value)


def _number(value) -> str:
    """A candidate number cell as text (12.0 read as "12"), spaces removed, upper case."""
    return _text(value).replace(" ", "").upper()


class ResultsImporter(Importer):
    title = "Nhập kết quả thi"
    sheet_title = "Kết quả thi"
    max_rows = 20000

    def __init__(self, actor, request=None, *, exam):
        super().__init__(actor, request)
        self.exam = exam
        self.title = f"Nhập kết quả thi – {exam.name}"
        self.template_filename = f"ket-qua-thi-{exam.pk}.xlsx"
        self.subjects, self.marked = services.intake_subjects(exam)
        self.columns = [
            Column(NUMBER, required=True, width=14, text=True, help="Số báo danh của thí sinh, đúng như trong kỳ thi."),
            Column(NAME, width=28, help="Không bắt buộc: để đối chiếu, hệ thống không đọc cột này."),
            Column(BIRTH, width=12, help="Không bắt buộc: để đối chiếu, hệ thống không đọc cột này."),
            *[
                Column(
                    s.name,
                    width=max(10, len(s.name) + 2),
                    help=(
                        f"Mã môn “{s.code}”. Điểm từ 0 đến {vn(s.max_score)} (ví dụ 7,25); V hoặc “vắng”: vắng thi; "
                        "để trống: thí sinh không đăng ký dự thi môn này (điểm đã lưu, nếu có, được giữ nguyên)."
                    ),
                )
                for s in self.subjects
            ],
        ]

    # --- the template: the numbered candidates, scores left blank ------------------------------------------

    def candidates(self):
        return (
            visible_to(self.actor, Candidate)
            .filter(exam=self.exam, withdrawn=False)
            .exclude(number="")
            .order_by("number", "pk")
        )

    def template(self) -> bytes:
        book = xlsx.Workbook()
        sheet = book.sheet(self.sheet_title, [(c.header, c.width) for c in self.columns])
        blanks = [None] * len(self.subjects)
        for c in self.candidates().only("number", "full_name", "birth_date"):
            sheet.row([c.number, c.full_name, c.birth_date, *blanks])
            sheet.ws.cell(row=sheet.last_row, column=1).number_format = "@"
        guide = book.sheet("Hướng dẫn", [("Cột", 36), ("Bắt buộc", 10), ("Ghi chú", 90)])
        for column in self.columns:
            guide.row([column.header, "Có" if column.required else "Không", column.help])
        guide.row(
            ["", "", "Tiêu đề cột môn thi là tên môn hoặc mã môn (không phân biệt hoa thường, có dấu hay không)."]
        )
        if self.marked:
            names = ", ".join(s.name for s in self.marked)
            guide.row(["", "", f"Các môn chấm tại hội đồng (điểm lấy từ ghép phách, không nhập từ tệp): {names}."])
        return book.save()

    # --- checking (no writes) ------------------------------------------------------------------------------

    def preview(self, data: bytes) -> Preview:
        refusal = services.intake_refusal(self.actor, self.exam)
        if refusal:
            return Preview(rows=[], errors=[refusal])
        preview = self.read(data)
        if preview.errors:
            return preview
        self.mapping, preview.errors = self.map_headers(self._headers(data), preview.rows)
        self.check(preview.rows)
        self.describe(preview)
        return preview

    def describe(self, preview: Preview) -> None:
        """What the preview page shows: the subject columns read (``preview.subject_columns``: header, subject),
        each row's cells in that order (``row.cells``), and the rows worth a look (``preview.shown``: every bad
        row, then the rows that would change, at most ``SHOWN_ROWS`` in all; ``preview.hidden`` the rest)."""
        preview.subject_columns = list(self.mapping.items())
        preview.compared = self.compares
        if self.compares:
            preview.summary = [(label, preview.count(status)) for status, label in Status.LABELS.items()]
        else:
            preview.summary = [
                (WILL_WRITE, preview.count(Status.NEW)),
                ("Không có điểm", preview.count(Status.UNCHANGED)),
                (Status.LABELS[Status.ERROR], preview.count(Status.ERROR)),
            ]
        for row in preview.rows:
            row.cells = [_text(row.values.get(NUMBER)), *[_shown(row.values.get(h)) for h in self.mapping]]
            row.shown_status = WILL_WRITE if not self.compares and row.ok and row.data else row.status_label
        bad = [r for r in preview.rows if not r.ok]
        changing = [r for r in preview.rows if r.ok and r.status in (Status.NEW, Status.UPDATED)]
        preview.shown = (bad + changing)[: max(SHOWN_ROWS, len(bad))]
        preview.hidden = len(preview.rows) - len(preview.shown)

    def map_headers(self, headers: list[str], rows: list[RowResult]) -> tuple[dict[str, object], list[str]]:
        """{header: subject} for the subject columns, and the errors of the header row (row 1)."""
        by_key = {}
        for s in self.subjects:
            by_key.setdefault(header_key(s.name), s)
            by_key.setdefault(header_key(s.code), s)
        marked = {}
        for s in self.marked:
            marked.setdefault(header_key(s.name), s)
            marked.setdefault(header_key(s.code), s)
        known = {header_key(NUMBER)} | {header_key(h) for h in INFO_COLUMNS}
        mapping: dict[str, object] = {}
        errors: list[str] = []
        seen_headers: set[str] = set()
        taken: dict[int, str] = {}
        names = ", ".join(s.name for s in self.subjects) or "chưa có môn nào"
        for header in headers:
            key = header_key(header)
            where = f"Dòng 1, cột “{header}”"
            if header in seen_headers:
                errors.append(f"{where}: tiêu đề cột bị lặp lại.")
                continue
            seen_headers.add(header)
            if key in known:
                continue
            subject = by_key.get(key)
            if subject is not None:
                if subject.pk in taken:
                    errors.append(f"{where}: trùng môn {subject.name} với cột “{taken[subject.pk]}”.")
                    continue
                taken[subject.pk] = header
                mapping[header] = subject
            elif key in marked:
                if any(_text(r.values.get(header)) for r in rows):
                    errors.append(
                        f"{where}: môn {marked[key].name} chấm tại hội đồng thi, điểm lấy từ ghép phách, "
                        "không nhập từ tệp. Hãy bỏ cột này."
                    )
            else:
                errors.append(f"{where}: không phải môn thi của kỳ thi (các môn nhập điểm: {names}).")
        if not mapping and not errors:
            errors.append(f"Tệp không có cột môn thi nào; tiêu đề cột là tên hoặc mã môn (các môn nhập điểm: {names}).")
        return mapping, errors

    def check(self, rows: list[RowResult]) -> None:
        mapping = getattr(self, "mapping", None)
        if mapping is None:
            mapping = {s.name: s for s in self.subjects}
        candidates = list(
            Candidate.objects.filter(exam=self.exam).exclude(number="").values_list("pk", "number", "withdrawn")
        )
        by_number = {number.upper(): (pk, number, withdrawn) for pk, number, withdrawn in candidates}
        by_digits: dict[str, list] = {}
        for pk, number, withdrawn in candidates:
            if number.isdigit():
                by_digits.setdefault(number.lstrip("0"), []).append((pk, number, withdrawn))
        # every score of the exam: the comparison (for who may read them) and the electives already taken in
        stored = {
            (c, s): (score, absent)
            for c, s, score, absent in CandidateScore.objects.filter(candidate__exam=self.exam).values_list(
                "candidate_id", "exam_subject_id", "score", "absent"
            )
        }
        compare = self.compares
        two_electives = services.two_electives(self.exam)
        elective_names = {}
        if two_electives:
            elective_names = {s.pk: s.name for s in [*self.subjects, *self.marked] if services.is_elective(s)}
        seen: dict[str, int] = {}
        for row in rows:
            found = self._candidate(row, by_number, by_digits, seen)
            wanted: dict[int, tuple[Decimal | None, bool]] = {}
            electives = []
            for header, subject in mapping.items():
                raw = row.values.get(header)
                text = _text(raw)
                if not text:
                    continue
                if header_key(text) in ABSENT_WORDS:
                    value, absent = None, True
                else:
                    try:
                        value = parse_score(raw)
                    except ValueError:
                        row.error(header, f"“{text}” không phải là điểm (ví dụ 7,25) hoặc V (vắng thi).")
                        continue
                    problem = services.score_problem(value, subject.max_score)
                    if problem:
                        row.error(header, problem + ".")
                        continue
                    value, absent = value.quantize(services.SCORE_PLACES), False
                wanted[subject.pk] = (value, absent)
                if subject.pk in elective_names:
                    electives.append(subject.pk)
            if two_electives:
                # the electives already taken in (an earlier file) count too: a later file cannot add a third
                had = [] if found is None else [k for k in elective_names if (found, k) in stored]
                problem = services.elective_problem(
                    [elective_names[k] for k in electives], [elective_names[k] for k in had if k not in electives]
                )
                if problem:
                    row.error(None, problem)
            if not row.ok or found is None:
                continue
            if not wanted:
                row.status = Status.UNCHANGED
                row.notes.append("Không có điểm môn nào: bỏ qua.")
                continue
            if not compare:
                # blind intake (an organiser not on the board): every score given is written, nothing compared
                row.status = Status.NEW
                row.data = {"candidate": found, "scores": wanted}
                continue
            changes = {k: v for k, v in wanted.items() if stored.get((found, k)) != v}
            if not changes:
                row.status = Status.UNCHANGED
            else:
                row.status = Status.UPDATED if any((found, k) in stored for k in changes) else Status.NEW
                row.data = {"candidate": found, "scores": changes}
            kept = [s.name for h, s in mapping.items() if not _text(row.values.get(h)) and (found, s.pk) in stored]
            if kept:
                row.notes.append(f"Để trống, giữ điểm đã có: {', '.join(kept)}.")

    @property
    def compares(self) -> bool:
        """Whether the preview compares the file with the stored scores ("Không đổi", "Cập nhật", "giữ điểm đã
        có"): only for who may read them before publication (``services.sees_stored_scores``: the board's
        secretariat and chair). Anyone else sees "Sẽ ghi" for every row with a score and nothing stored."""
        if not hasattr(self, "_compares"):
            self._compares = services.sees_stored_scores(self.actor, self.exam)
        return self._compares

    @staticmethod
    def _candidate(row: RowResult, by_number, by_digits, seen: dict[str, int]) -> int | None:
        """The candidate of the row (its id), or None with the row's error."""
        raw = row.values.get(NUMBER)
        number = _number(raw)
        if not number:
            row.error(NUMBER, "chưa ghi số báo danh.")
            return None
        match = by_number.get(number)
        if match is None and number.isdigit():
            matches = by_digits.get(number.lstrip("0"), [])
            match = matches[0] if len(matches) == 1 else None
        key = match[1] if match is not None else number
        if key in seen:
            row.error(NUMBER, f"số báo danh {key} đã có ở dòng {seen[key]}.")
            return None
        seen[key] = row.number
        if match is None:
            row.error(NUMBER, f"kỳ thi không có thí sinh số báo danh {number}.")
            return None
        pk, number, withdrawn = match
        if withdrawn:
            row.error(NUMBER, f"thí sinh số báo danh {number} đã rút hồ sơ, không nhập điểm.")
            return None
        return pk

    def apply(self, preview: Preview) -> dict:
        """Write the rows (``services.record_results``). Who does not read the stored scores learns nothing of
        them from the result either: ``created``/``updated``/``unchanged`` are None and ``saved`` counts the scores
        of the file (a score equal to the stored one is still not written)."""
        results = {r.data["candidate"]: r.data["scores"] for r in preview.rows if r.data}
        unchanged_rows = sum(1 for r in preview.rows if not r.data)
        done = {"created": 0, "updated": 0, "unchanged": 0}
        if results:
            done = services.record_results(self.actor, self.exam, results)
        if not self.compares:
            given = sum(len(scores) for scores in results.values())
            return {
                "created": None,
                "updated": None,
                "unchanged": None,
                "saved": given,
                "rows_unchanged": unchanged_rows,
                "compared": False,
            }
        return {**done, "saved": done["created"] + done["updated"], "rows_unchanged": unchanged_rows, "compared": True}
