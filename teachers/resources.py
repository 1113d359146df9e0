"""The sector's Excel staff list: import (upload → dry run → confirm, sms/imports.py) and export.

Matching (upsert, so the same file twice changes nothing and writes no history row):
the 12-digit personal ID, else (school, staff code). A person of a school outside the
importer's reach is never matched nor revealed; a person already at another school of the
reach is not moved (that is a transfer, teachers/movements.py). Subject groups must exist.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from sms.accounts.roles import UnitKind
from sms.accounts.scoping import units_for
from sms.exports import xlsx
from sms.imports import Column, Importer, Preview, RowResult, Status
from sms.imports import cell_date as _date
from sms.imports import cell_text as _text
from sms.text import search_key

from . import catalogue
from .models import EmploymentType, Position, QualificationLevel, Sex, StaffRecord, SubjectGroup

CODE = "Mã cán bộ"
NAME = "Họ và tên"
BIRTH = "Ngày sinh"
SEX = "Giới tính"
ETHNICITY = "Dân tộc"
PID = "Số định danh cá nhân"
PHONE = "Điện thoại"
EMAIL = "Hộp thư công vụ"
POSITION = "Chức vụ"
GROUP = "Tổ chuyên môn"
QUALIFICATION = "Trình độ đào tạo"
FIELD = "Chuyên ngành"
RANK = "Hạng chức danh"
EMPLOYMENT = "Loại hình"
STARTED = "Ngày vào ngành"
UNIT = "Mã đơn vị"

OUTSIDE_REACH = "số định danh này thuộc một người ngoài phạm vi bạn quản lý; đề nghị Sở GD&ĐT xử lý."
#: the fields an import writes (compared to decide "Không đổi")
FIELDS = (
    "staff_code",
    "full_name",
    "birth_date",
    "sex",
    "ethnicity",
    "personal_id",
    "phone",
    "email",
    "position",
    "subject_group_id",
    "qualification_level",
    "qualification_field",
    "rank_code",
    "employment_type",
    "started_on",
)


def _lookup(choices) -> dict[str, str]:
    table = {}
    for value, label in choices:
        table[search_key(value)] = value
        table[search_key(label)] = value
        for part in str(label).replace("(", "/").replace(")", "").split("/"):
            if part.strip():
                table.setdefault(search_key(part), value)
    return table


POSITIONS = _lookup(Position.choices)
QUALIFICATIONS = _lookup(QualificationLevel.choices)
EMPLOYMENTS = _lookup(EmploymentType.choices)
SEXES = _lookup(Sex.choices)
ETHNIC_KEYS = {search_key(e): e for e in catalogue.ETHNIC_GROUPS}


def _personal_id(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return str(value).zfill(12)  # Excel drops the leading zeros of a number
    return re.sub(r"[\s.]", "", _text(value))


class StaffImporter(Importer):
    title = "Nhập danh sách cán bộ từ tệp Excel"
    template_filename = "mau-danh-sach-can-bo.xlsx"
    sheet_title = "Cán bộ"
    columns = [
        Column(
            CODE,
            width=14,
            text=True,
            help="Mã cán bộ trong trường. Dùng để nhận ra người đã có khi không có số định danh.",
        ),
        Column(NAME, required=True, width=28, help="Họ và tên đầy đủ, có dấu."),
        Column(BIRTH, width=12, help="dd/mm/yyyy."),
        Column(SEX, width=10, help="Nam hoặc Nữ."),
        Column(ETHNICITY, width=12, help="Tên dân tộc theo danh mục 54 dân tộc (ví dụ Kinh, Tày)."),
        Column(PID, width=16, text=True, help="Đúng 12 chữ số. Dùng để nhận ra người đã có."),
        Column(PHONE, width=14, text=True),
        Column(EMAIL, width=28, help="Hộp thư công vụ (…edu.vn), không dùng Gmail, Yahoo…"),
        Column(POSITION, width=16, help="Hiệu trưởng, Phó hiệu trưởng, Giáo viên hoặc Nhân viên."),
        Column(GROUP, width=20, help="Tên tổ chuyên môn đã có của trường (tạo tổ trước khi nhập)."),
        Column(QUALIFICATION, width=14, help="Trung cấp, Cao đẳng, Đại học, Thạc sĩ, Tiến sĩ hoặc Khác."),
        Column(FIELD, width=20),
        Column(RANK, width=14, help="Mã hạng chức danh, ví dụ V.07.04.31."),
        Column(EMPLOYMENT, width=12, help="Biên chế hoặc Hợp đồng."),
        Column(STARTED, width=12, help="dd/mm/yyyy."),
        Column(UNIT, width=12, help="Mã trường trong phạm vi bạn quản lý; để trống là trường của bạn."),
    ]

    def check(self, rows: list[RowResult]) -> None:
        reach = units_for(self.actor, StaffRecord, "add").filter(kind__in=[UnitKind.SCHOOL, UnitKind.CENTRE])
        self.units = {u.code.upper(): u for u in reach}
        own = self.actor.unit if self.actor.unit.kind in (UnitKind.SCHOOL, UnitKind.CENTRE) else None
        self.default_unit = own if own is not None and own.code.upper() in self.units else None
        pids = {_personal_id(r.values.get(PID)) for r in rows} - {""}
        self.by_pid = {s.personal_id: s for s in StaffRecord.objects.filter(personal_id__in=pids)} if pids else {}
        school_ids = [u.pk for u in self.units.values()]
        codes = {_text(r.values.get(CODE)) for r in rows} - {""}
        self.by_code = (
            {
                (s.school_id, s.staff_code): s
                for s in StaffRecord.objects.filter(school_id__in=school_ids, staff_code__in=codes)
            }
            if codes
            else {}
        )
        self.groups = {
            (g.school_id, search_key(g.name)): g for g in SubjectGroup.objects.filter(school_id__in=school_ids)
        }
        seen_pids: dict[str, int] = {}
        seen_codes: dict[tuple, int] = {}
        for row in rows:
            self.check_row(row, seen_pids, seen_codes)

    def check_row(self, row: RowResult, seen_pids, seen_codes) -> None:
        v = row.values
        data: dict = {}
        name = _text(v.get(NAME))
        if not name:
            row.error(NAME, "chưa có họ và tên.")
        elif len(name) > 150:
            row.error(NAME, "họ và tên dài quá 150 ký tự.")
        data["full_name"] = name
        code = _text(v.get(CODE))
        if len(code) > 30:
            row.error(CODE, "mã cán bộ dài quá 30 ký tự.")
        data["staff_code"] = code
        for column, key in ((BIRTH, "birth_date"), (STARTED, "started_on")):
            try:
                data[key] = _date(v.get(column))
            except (ValueError, TypeError):
                data[key] = None
                row.error(column, f"“{_text(v.get(column))}” không phải ngày dạng dd/mm/yyyy.")
        today = dt.date.today()
        if data["birth_date"] and not (dt.date(1940, 1, 1) <= data["birth_date"] <= today):
            row.error(BIRTH, "ngày sinh không hợp lệ.")
        data["sex"] = self._choice(row, SEX, SEXES, "Nam hoặc Nữ")
        ethnicity = _text(v.get(ETHNICITY))
        data["ethnicity"] = ETHNIC_KEYS.get(search_key(ethnicity), "") if ethnicity else ""
        if ethnicity and not data["ethnicity"]:
            row.error(ETHNICITY, f"“{ethnicity}” không có trong danh mục 54 dân tộc.")
        pid = _personal_id(v.get(PID))
        if pid and not re.fullmatch(r"\d{12}", pid):
            row.error(PID, "số định danh cá nhân phải gồm đúng 12 chữ số.")
        data["personal_id"] = pid
        data["phone"] = _text(v.get(PHONE))
        if len(data["phone"]) > 30:
            row.error(PHONE, "số điện thoại quá dài.")
        email = _text(v.get(EMAIL)).lower()
        if email:
            try:
                validate_email(email)
                if catalogue.is_private_mailbox(email):
                    row.error(EMAIL, "chỉ dùng hộp thư công vụ, không dùng Gmail, Yahoo…")
            except ValidationError:
                row.error(EMAIL, f"“{email}” không phải địa chỉ thư hợp lệ.")
        data["email"] = email
        data["position"] = self._choice(row, POSITION, POSITIONS, "Hiệu trưởng, Phó hiệu trưởng, Giáo viên, Nhân viên")
        data["position"] = data["position"] or Position.TEACHER
        data["qualification_level"] = self._choice(row, QUALIFICATION, QUALIFICATIONS, "Đại học, Thạc sĩ…")
        data["qualification_field"] = _text(v.get(FIELD))[:150]
        rank = _text(v.get(RANK)).upper()
        if rank and rank not in catalogue.RANK_BY_CODE:
            row.error(RANK, f"mã hạng chức danh “{rank}” không có trong danh mục (ví dụ V.07.04.31).")
        data["rank_code"] = rank if rank in catalogue.RANK_BY_CODE else ""
        data["employment_type"] = self._choice(row, EMPLOYMENT, EMPLOYMENTS, "Biên chế hoặc Hợp đồng")
        data["employment_type"] = data["employment_type"] or EmploymentType.PERMANENT

        unit_code = _text(v.get(UNIT)).upper()
        school = self.units.get(unit_code) if unit_code else self.default_unit
        if school is None:
            if unit_code:
                row.error(UNIT, f"không tìm thấy trường có mã “{unit_code}” trong phạm vi bạn quản lý.")
            else:
                row.error(UNIT, "chưa ghi mã trường.")
            row.data = data
            return
        data["school"] = school
        group_name = _text(v.get(GROUP))
        group = self.groups.get((school.pk, search_key(group_name))) if group_name else None
        if group_name and group is None:
            row.error(GROUP, f"trường chưa có tổ chuyên môn “{group_name}”; hãy tạo tổ trước khi nhập.")
        data["subject_group_id"] = group.pk if group else None
        data["subject_group"] = group  # the object too: the model's same-school check reads no row

        if not pid and not code:
            row.error(None, "cần số định danh cá nhân hoặc mã cán bộ để nhận ra người đã có.")
        # duplicates inside the file
        if pid:
            if pid in seen_pids:
                row.error(PID, f"trùng với dòng {seen_pids[pid]}.")
            seen_pids.setdefault(pid, row.number)
        if code:
            if (school.pk, code) in seen_codes:
                row.error(CODE, f"trùng mã cán bộ với dòng {seen_codes[(school.pk, code)]}.")
            seen_codes.setdefault((school.pk, code), row.number)

        existing = None
        if pid and pid in self.by_pid:
            existing = self.by_pid[pid]
            if existing.school_id not in {u.pk for u in self.units.values()}:
                row.error(PID, OUTSIDE_REACH)
                existing = None
            elif existing.school_id != school.pk:
                row.error(UNIT, "người này đang công tác ở trường khác; hãy dùng chức năng chuyển công tác.")
                existing = None
        elif code and (school.pk, code) in self.by_code:
            existing = self.by_code[(school.pk, code)]
            if existing.personal_id and pid and existing.personal_id != pid:
                row.error(CODE, "mã cán bộ này đã dùng cho một người có số định danh khác.")
                existing = None
        if existing is not None and code and existing.staff_code != code:
            other = self.by_code.get((school.pk, code))
            if other is not None and other.pk != existing.pk:
                row.error(CODE, "mã cán bộ này đã dùng cho một người khác của trường.")
        row.data = data
        if not row.ok:
            return
        if existing is None:
            row.status = Status.NEW
            return
        row.data["instance"] = existing
        changed = [f for f in FIELDS if getattr(existing, f) != data[f]]
        if not changed:
            row.status = Status.UNCHANGED
        else:
            row.status = Status.UPDATED
            labels = [StaffRecord._meta.get_field(f.removesuffix("_id")).verbose_name for f in changed]
            row.notes.append("Thay đổi: " + ", ".join(labels) + ".")

    @staticmethod
    def _choice(row: RowResult, column: str, table: dict[str, str], hint: str) -> str:
        text = _text(row.values.get(column))
        if not text:
            return ""
        value = table.get(search_key(text))
        if value is None:
            row.error(column, f"“{text}” không hợp lệ ({hint}).")
            return ""
        return value

    def apply(self, preview: Preview) -> dict[str, int]:
        counts = {Status.NEW: 0, Status.UPDATED: 0, Status.UNCHANGED: 0}
        for row in preview.rows:
            if row.status == Status.UNCHANGED:
                counts[Status.UNCHANGED] += 1
                continue
            data = dict(row.data)
            instance = data.pop("instance", None) or StaffRecord(school=data["school"])
            data.pop("school", None)
            for name, value in data.items():
                setattr(instance, name, value)
            # The school and the subject group were looked up in bulk by ``check`` (this same transaction),
            # among the schools within reach and their groups; the account is never written by an import
            # (the stored one, held by the database): no SELECT per row for any of them.
            instance.full_clean(exclude=["school", "subject_group", "user"], validate_constraints=False)
            instance.save()
            counts[row.status] += 1
        return counts


def export_rows(queryset) -> bytes:
    """The staff list in the import template's columns (so an export can be re-imported)."""
    book = xlsx.Workbook()
    sheet = book.sheet(StaffImporter.sheet_title, [(c.header, c.width) for c in StaffImporter.columns])
    for s in queryset.select_related("school", "subject_group"):
        sheet.row(
            [
                s.staff_code,
                s.full_name,
                s.birth_date,
                s.get_sex_display() if s.sex else "",
                s.ethnicity,
                s.personal_id,
                s.phone,
                s.email,
                s.get_position_display(),
                s.subject_group.name if s.subject_group else "",
                s.get_qualification_level_display() if s.qualification_level else "",
                s.qualification_field,
                s.rank_code,
                s.get_employment_type_display(),
                s.started_on,
                s.school.code,
            ]
        )
    return book.save()
