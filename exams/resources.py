"""Candidates of one exam from a spreadsheet (upload → dry run → confirm, ``sms.imports``).

Columns: Họ và tên, Ngày sinh (dd/mm/yyyy), Giới tính, Số định danh, Dân tộc, Nơi sinh, Trường
(the code of a unit, or free text for a school outside the system), Lớp, Đối tượng ưu tiên and
Khuyến khích (codes of the exam's point table), NV1..NVn (school codes, n = the exam's number
of choices, admission rounds only).

A row is matched to a candidate already in the exam on the personal id, else on (name, date
of birth, school): a match is updated where the file differs (blank optional cells keep what
is stored), anything else is added (source "Nhập từ tệp Excel"). So importing the same file
twice changes nothing and writes no history. Every error names its row and column; the
confirm writes every row in one transaction, or none (``ImportFlowView``). Organisers and the
secretariat import (``candidates.may_manage``).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError

from sms.audit.history import acting_here, bulk_create_with_history, bulk_update_with_history
from sms.imports import Column, Importer, Preview, RowResult, Status
from sms.imports import cell_date as _date
from sms.imports import cell_text as _text
from sms.org.models import Unit
from sms.text import search_key

from .models import ADMISSION_KINDS, Candidate, CandidateSource, Choice, Exam, PointRule, Quota
from .services import candidates as services

NAME = "Họ và tên"
BIRTH = "Ngày sinh"
SEX = "Giới tính"
PID = "Số định danh"
ETHNICITY = "Dân tộc"
BIRTHPLACE = "Nơi sinh"
SCHOOL = "Trường"
CLASS = "Lớp"
PRIORITY = "Đối tượng ưu tiên"
BONUS = "Khuyến khích"

SEXES = {"nam": "M", "m": "M", "nu": "F", "f": "F"}
#: candidate fields an import writes (compared to decide "Không đổi")
FIELDS = (
    "full_name",
    "birth_date",
    "sex",
    "personal_id",
    "ethnicity",
    "birthplace",
    "school",
    "school_name",
    "class_name",
    "priority",
    "bonus",
)


def _digits(value, width: int) -> str:
    """An identifier cell: as typed; a number Excel made of it gets its leading zeros back."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return str(value).zfill(width)
    return re.sub(r"[\s.]", "", _text(value))


def _choice_header(rank: int) -> str:
    return f"NV{rank}"


class CandidateImporter(Importer):
    template_filename = "mau-nhap-thi-sinh.xlsx"
    sheet_title = "Thí sinh"

    def __init__(self, actor, request=None, *, exam: Exam):
        super().__init__(actor, request)
        self.exam = exam
        self.title = f"Nhập thí sinh từ tệp Excel – {exam.name}"
        self.choices = exam.choices_allowed if exam.kind in ADMISSION_KINDS else 0
        self.columns = [
            Column(NAME, required=True, width=28, help="Họ và tên đầy đủ, có dấu."),
            Column(BIRTH, required=True, width=12, help="dd/mm/yyyy (hoặc ô kiểu ngày của Excel)."),
            Column(SEX, required=True, width=10, help="Nam hoặc Nữ."),
            Column(PID, width=16, text=True, help="Số định danh cá nhân (12 chữ số): nhận ra thí sinh đã có."),
            Column(ETHNICITY, width=12, help="Để trống: Kinh."),
            Column(BIRTHPLACE, width=20),
            Column(SCHOOL, width=24, help="Mã trường trong hệ thống (ví dụ C2A), hoặc tên trường ngoài hệ thống."),
            Column(CLASS, width=8),
            Column(PRIORITY, width=14, help="Mã đối tượng ưu tiên trong bảng điểm ưu tiên của kỳ thi (ví dụ ut1)."),
            Column(BONUS, width=14, help="Mã diện khuyến khích của kỳ thi (ví dụ kk1)."),
        ] + [
            Column(_choice_header(rank), width=10, help=f"Mã trường nguyện vọng {rank} (có chỉ tiêu trong kỳ thi).")
            for rank in range(1, self.choices + 1)
        ]  # fmt: skip

    # --- checking (no writes) ------------------------------------------------------------------------------

    def check(self, rows: list[RowResult]) -> None:
        exam = self.exam
        if not services.may_manage(self.actor, exam):
            for row in rows:
                row.error(None, services.MSG_NOT_ORGANISER)
            return
        if exam.results_publish_at is not None:
            for row in rows:
                row.error(None, "kết quả kỳ thi đã được lên lịch công bố, danh sách thí sinh đã khoá.")
            return
        codes = set()
        for row in rows:
            codes.add(_text(row.values.get(SCHOOL)).upper())
            for rank in range(1, self.choices + 1):
                codes.add(_text(row.values.get(_choice_header(rank))).upper())
        codes.discard("")
        self.schools = {u.code.upper(): u for u in services.exam_schools(exam).filter(code__in=codes)}
        # Units outside the exam's reach are only told apart from free text, never shown.
        self.foreign_codes = set(Unit.objects.filter(code__in=codes).values_list("code", flat=True)) - set(self.schools)
        self.quota_schools = set(Quota.objects.filter(exam=exam).values_list("school_id", flat=True))
        self.rules = {
            (r.kind, r.code.lower()): r for r in PointRule.objects.filter(exam=exam, kind__in=["priority", "bonus"])
        }
        existing = list(Candidate.objects.filter(exam=exam).select_related("school"))
        self.by_pid = {c.personal_id: c for c in existing if c.personal_id}
        self.by_key = {}
        for c in existing:
            self.by_key.setdefault(self._key(c.full_name, c.birth_date, c.school_id, c.school_name), c)
        self.current_choices: dict[int, list[int]] = {}
        for candidate_id, school_id in (
            Choice.objects.filter(candidate__exam=exam).order_by("rank").values_list("candidate_id", "school_id")
        ):
            self.current_choices.setdefault(candidate_id, []).append(school_id)
        seen_pids: dict[str, int] = {}
        seen_keys: dict[tuple, int] = {}
        for row in rows:
            self.check_row(row, seen_pids, seen_keys)

    @staticmethod
    def _key(name, birth, school_id, school_name) -> tuple:
        return (search_key(name or ""), birth, school_id or search_key(school_name or ""))

    def check_row(self, row: RowResult, seen_pids: dict, seen_keys: dict) -> None:
        v = row.values
        data: dict[str, Any] = {}
        name = _text(v.get(NAME))
        if not name:
            row.error(NAME, "chưa có họ và tên.")
        elif len(name) > 150:
            row.error(NAME, "họ và tên dài quá 150 ký tự.")
        data["full_name"] = name
        try:
            birth = _date(v.get(BIRTH))
        except (ValueError, TypeError):
            birth = None
            row.error(BIRTH, f"“{_text(v.get(BIRTH))}” không phải ngày dạng dd/mm/yyyy.")
        else:
            if birth is None:
                row.error(BIRTH, "chưa có ngày sinh.")
        data["birth_date"] = birth
        sex_text = _text(v.get(SEX))
        data["sex"] = SEXES.get(search_key(sex_text), "")
        if not sex_text:
            row.error(SEX, "chưa ghi giới tính (Nam hoặc Nữ).")
        elif not data["sex"]:
            row.error(SEX, f"“{sex_text}” không hợp lệ (Nam hoặc Nữ).")
        pid = _digits(v.get(PID), 12)
        if pid:
            if not re.fullmatch(r"\d{12}", pid):
                row.error(PID, "số định danh cá nhân phải gồm đúng 12 chữ số.")
            elif pid in seen_pids:
                row.error(PID, f"trùng số định danh với dòng {seen_pids[pid]}.")
            seen_pids.setdefault(pid, row.number)
        data["personal_id"] = pid
        for column, key, limit in (
            (ETHNICITY, "ethnicity", 40),
            (BIRTHPLACE, "birthplace", 255),
            (CLASS, "class_name", 30),
        ):
            text = _text(v.get(column))
            if len(text) > limit:
                row.error(column, f"dài quá {limit} ký tự.")
            if text:
                data[key] = text
        school_text = _text(v.get(SCHOOL))
        school = self.schools.get(school_text.upper()) if school_text else None
        if school_text and school is None and school_text in self.foreign_codes:
            row.error(SCHOOL, f"trường mã “{school_text}” không thuộc phạm vi của kỳ thi.")
        elif school_text and len(school_text) > 255:
            row.error(SCHOOL, "dài quá 255 ký tự.")
        data["school"] = school
        data["school_name"] = "" if school is not None else school_text
        for column, kind in ((PRIORITY, "priority"), (BONUS, "bonus")):
            code = _text(v.get(column)).lower()
            rule = self.rules.get((kind, code)) if code else None
            if code and rule is None:
                row.error(
                    column, f"mã “{code}” không có trong bảng {dict(PointRule.Kind.choices)[kind].lower()} của kỳ thi."
                )
            data[kind] = rule
        choices = []
        for rank in range(1, self.choices + 1):
            column = _choice_header(rank)
            code = _text(v.get(column))
            if not code:
                continue
            unit = self.schools.get(code.upper())
            if unit is None:
                row.error(column, f"không có trường mã “{code}” trong phạm vi kỳ thi.")
            elif unit.pk not in self.quota_schools:
                row.error(column, f"{unit.name} chưa có chỉ tiêu tuyển sinh trong kỳ thi này.")
            elif unit.pk in choices:
                row.error(column, f"{unit.name} đã được chọn ở nguyện vọng khác.")
            else:
                choices.append(unit.pk)
        data["choices"] = choices if self.choices else None
        key = self._key(name, birth, getattr(school, "pk", None), data["school_name"])
        if row.ok and key in seen_keys and not pid:
            row.error(NAME, f"trùng họ tên, ngày sinh và trường với dòng {seen_keys[key]}.")
        seen_keys.setdefault(key, row.number)
        row.data = data
        if not row.ok:
            return
        existing = self.by_pid.get(pid) if pid else None
        if existing is None:
            existing = self.by_key.get(key)
            if existing is not None and pid and existing.personal_id and existing.personal_id != pid:
                existing = None
        if existing is None:
            row.status = Status.NEW
            return
        data["instance"] = existing
        changed = [f for f in FIELDS if f in data and self._differs(existing, f, data[f])]
        choices_changed = data["choices"] is not None and data["choices"] != self.current_choices.get(existing.pk, [])
        if choices_changed and not data["choices"]:
            choices_changed = False  # blank choice cells keep the stored choices
        data["changed"], data["choices_changed"] = changed, choices_changed
        if not changed and not choices_changed:
            row.status = Status.UNCHANGED
            return
        row.status = Status.UPDATED
        labels = [str(Candidate._meta.get_field(f).verbose_name) for f in changed]
        if choices_changed:
            labels.append("nguyện vọng")
        row.notes.append("Sửa: " + ", ".join(labels) + ".")

    @staticmethod
    def _differs(candidate: Candidate, field: str, value) -> bool:
        if field in ("school", "priority", "bonus"):
            if value is None and field != "school":
                return False  # a blank claim keeps the stored one
            return getattr(candidate, f"{field}_id") != getattr(value, "pk", None)
        if field == "personal_id" and not value:
            return False
        return getattr(candidate, field) != value

    # --- writing (inside the confirm's one transaction) --------------------------------------------------------

    def apply(self, preview: Preview) -> dict[str, int]:
        actor, exam = self.actor, self.exam
        if not services.may_manage(actor, exam):
            raise PermissionDenied(services.MSG_NOT_ORGANISER)
        services.refuse_if_scheduled(exam)
        counts = {Status.NEW: 0, Status.UPDATED: 0, Status.UNCHANGED: 0}
        new_rows: list[tuple[RowResult, Candidate]] = []
        updated: list[Candidate] = []
        fields: set[str] = set()
        with acting_here(actor):
            services._lock_exam(exam)
            for row in preview.rows:
                counts[row.status] += 1
                data = row.data
                if row.status == Status.NEW:
                    candidate = Candidate(exam=exam, source=CandidateSource.IMPORT, ethnicity="Kinh")
                    for f in FIELDS:
                        if f in data and data[f] is not None:
                            setattr(candidate, f, data[f])
                    self._ready(row, candidate)
                    new_rows.append((row, candidate))
                elif row.status == Status.UPDATED:
                    candidate = data["instance"]
                    for f in data["changed"]:
                        setattr(candidate, f, data[f])
                    if data["changed"]:
                        self._ready(row, candidate)
                        updated.append(candidate)
                        fields.update(data["changed"])
            if new_rows:
                bulk_create_with_history([c for _, c in new_rows], Candidate, actor=actor, batch_size=500)
                missing = [c for _, c in new_rows if c.pk is None]
                if missing:  # a database that does not return ids from bulk inserts
                    for c in missing:
                        c.pk = (
                            Candidate.objects.filter(exam=exam, full_name=c.full_name, birth_date=c.birth_date)
                            .order_by("-pk")
                            .values_list("pk", flat=True)
                            .first()
                        )
            if updated:
                bulk_update_with_history(
                    updated, Candidate, sorted(fields | {"search_key", "sort_key"}), actor=actor, batch_size=500
                )
            for row in preview.rows:
                data = row.data
                wanted = data.get("choices")
                if row.status == Status.NEW and wanted:
                    candidate = next(c for r, c in new_rows if r is row)
                    services._write_choices(exam, candidate, wanted)
                elif row.status == Status.UPDATED and data.get("choices_changed"):
                    services._write_choices(exam, data["instance"], wanted)
            ids = [c.pk for _, c in new_rows] + [c.pk for c in updated]
            services._recheck(actor, Candidate.objects.filter(pk__in=ids), "change")
        return counts

    @staticmethod
    def _ready(row: RowResult, candidate: Candidate) -> None:
        services._ready(candidate)
        try:
            candidate.full_clean(
                exclude=["exam", "student", "room", "lookup_code", "priority", "bonus", "direct", "school"],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as error:
            raise ValidationError(f"Dòng {row.number}: " + " ".join(error.messages)) from None
