"""Class lists in Excel: import (upload → dry run → confirm, sms/imports.py) and export.

The importer works on one school year, chosen on the upload form, and the classes of that
year. It upserts on the learner code (mã định danh), so the same file twice changes nothing
and writes no history row:

- a code not seen before creates the learner, their class of the year and their parents;
- a code of the importing school updates what differs (a corrected name or date of birth is
  common), moves the learner to the class the file names, and updates the parents' names and
  phones — all with row history;
- a code already used at another school is refused with a neutral message that names no
  school (the old school records the transfer; the learner's record is not theirs to see).

Blank optional cells keep what is stored. Every write is a bulk write with history
(``bulk_create_with_history`` / ``bulk_update_with_history``), attributed to the importer.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from sms.audit.history import bulk_create_with_history, bulk_update_with_history
from sms.exports import xlsx
from sms.imports import Column, Importer, Preview, RowResult, Status
from sms.imports import cell_date as _date
from sms.imports import cell_text as _text
from sms.org.catalogue import ETHNIC_GROUPS
from sms.org.models import SchoolClass
from sms.text import nfc, search_key, sort_key

from .models import Enrolment, Guardian, Relation, Score, Sex, Student, StudentStatus
from .services.records import CODE_TAKEN

CODE = "Mã định danh"
PID = "Số định danh cá nhân"
NAME = "Họ và tên"
BIRTH = "Ngày sinh"
SEX = "Giới tính"
ETHNICITY = "Dân tộc"
BIRTHPLACE = "Nơi sinh"
ADDRESS = "Địa chỉ"
CLASS = "Lớp"
FATHER = "Họ tên cha"
FATHER_PHONE = "SĐT cha"
MOTHER = "Họ tên mẹ"
MOTHER_PHONE = "SĐT mẹ"

#: a learner code already used at another school: the message names no school
FOREIGN_CODE = CODE_TAKEN
FOREIGN_PID = "số định danh cá nhân đã được dùng cho một học sinh khác."
#: student fields an import writes (compared to decide “Không đổi”)
FIELDS = ("personal_id", "full_name", "birth_date", "sex", "ethnicity", "birthplace", "address")
PARENTS = ((Relation.FATHER, FATHER, FATHER_PHONE), (Relation.MOTHER, MOTHER, MOTHER_PHONE))
#: foreign keys ``_ready`` leaves out of a learner's ``full_clean`` (Django checks each with one SELECT per
#: learner): the school is the importer's own, the chosen year's school, read through the door (``Student.clean``
#: still checks that it is a school); the account and the residence area are never written by an import (empty on
#: a new learner, the stored value, held by the database's constraint, on a known one).
TRUSTED_FKS = ("school", "user", "address_area")
SEXES = {search_key(label): value for value, label in Sex.choices} | {"nu": Sex.FEMALE, "nam": Sex.MALE}
ETHNIC_KEYS = {search_key(e): e for e in ETHNIC_GROUPS}
EXAMPLE = {
    CODE: "3712345678",
    PID: "037213001234",
    NAME: "Nguyễn Thị Hương",
    BIRTH: "15/03/2014",
    SEX: "Nữ",
    ETHNICITY: "Kinh",
    BIRTHPLACE: "Ninh Bình",
    ADDRESS: "Số 12, đường Trần Hưng Đạo",
    CLASS: "6A1",
    FATHER: "Nguyễn Văn Hùng",
    FATHER_PHONE: "0912345678",
    MOTHER: "Trần Thị Lan",
    MOTHER_PHONE: "0987654321",
}


def _digits_cell(value, width: int) -> str:
    """An identifier cell: text as typed; a number Excel made of it gets its leading zeros back."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return str(value).zfill(width)
    return re.sub(r"[\s.]", "", _text(value))


def _phone(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        text = str(value)
        return "0" + text if len(text) == 9 else text  # Excel drops the leading 0 of 09…
    return re.sub(r"[\s.\-()]", "", _text(value))


class ClassListImporter(Importer):
    title = "Nhập danh sách lớp từ tệp Excel"
    template_filename = "mau-danh-sach-lop.xlsx"
    sheet_title = "Danh sách lớp"
    columns = [
        Column(CODE, required=True, width=14, text=True,
               help="Mã định danh học sinh (thường 10 chữ số). Dùng để nhận ra học sinh đã có."),
        Column(PID, width=16, text=True, help="Số định danh cá nhân: đúng 12 chữ số. Để trống nếu chưa có."),
        Column(NAME, required=True, width=28, help="Họ và tên đầy đủ, có dấu."),
        Column(BIRTH, required=True, width=12, help="dd/mm/yyyy (hoặc ô kiểu ngày của Excel)."),
        Column(SEX, required=True, width=10, help="Nam hoặc Nữ."),
        Column(ETHNICITY, width=12, help="Tên dân tộc theo danh mục 54 dân tộc (ví dụ Kinh, Mường). Để trống: Kinh."),
        Column(BIRTHPLACE, width=20, help="Tỉnh/thành phố nơi sinh."),
        Column(ADDRESS, width=30, help="Số nhà, đường, thôn/xóm. Xã/phường chọn trên hồ sơ học sinh."),
        Column(CLASS, required=True, width=8, help="Tên lớp của năm học đã chọn khi tải lên (ví dụ 6A1)."),
        Column(FATHER, width=24),
        Column(FATHER_PHONE, width=14, text=True),
        Column(MOTHER, width=24),
        Column(MOTHER_PHONE, width=14, text=True),
    ]  # fmt: skip

    def __init__(self, actor, request=None, *, school_year=None):
        super().__init__(actor, request)
        self.school_year = school_year

    # --- the template: headers, one example row, a guide ------------------------------------------

    def template(self) -> bytes:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(super().template()))
        sheet = book.worksheets[0]
        for index, column in enumerate(self.columns, start=1):  # row 2 (the text format made cells below)
            sheet.cell(row=2, column=index, value=EXAMPLE.get(column.header, ""))
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()

    # --- checking (no writes) --------------------------------------------------------------------------

    def check(self, rows: list[RowResult]) -> None:
        year = self.school_year
        if year is None:
            for row in rows:
                row.error(None, "chưa chọn năm học.")
            return
        self.school = year.school
        self.classes = {search_key(c.name): c for c in SchoolClass.objects.filter(school_year=year)}
        codes = {_digits_cell(r.values.get(CODE), 10) for r in rows} - {""}
        pids = {_digits_cell(r.values.get(PID), 12) for r in rows} - {""}
        # Unscoped on purpose: only to refuse a code or ID in use elsewhere, never shown.
        self.by_code = {s.learner_code: s for s in Student.objects.filter(learner_code__in=codes)}
        self.by_pid = {s.personal_id: s for s in Student.objects.filter(personal_id__in=pids)} if pids else {}
        mine = [s.pk for s in self.by_code.values() if s.school_id == self.school.pk]
        self.enrolments = {
            e.student_id: e
            for e in Enrolment.objects.filter(school_year=year, student_id__in=mine).select_related("school_class")
        }
        # Learners already scored in their class this semester: a class change would split
        # the semester's results (the same rule as the class-change page).
        self.scored_now = set(
            Score.objects.filter(
                enrolment__in=self.enrolments.values(), sheet__semester__ends_on__gte=timezone.localdate()
            )
            .filter(sheet__school_class_id=F("enrolment__school_class_id"))
            .exclude(value="")
            .values_list("enrolment_id", flat=True)
            .distinct()
        )
        self.guardians: dict[tuple[int, str], Guardian] = {}
        for g in Guardian.objects.filter(student_id__in=mine, relation__in=[Relation.FATHER, Relation.MOTHER]).order_by(
            "pk"
        ):
            self.guardians.setdefault((g.student_id, g.relation), g)
        seen_codes: dict[str, int] = {}
        seen_pids: dict[str, int] = {}
        for row in rows:
            self.check_row(row, seen_codes, seen_pids)

    def check_row(self, row: RowResult, seen_codes: dict, seen_pids: dict) -> None:
        v = row.values
        data: dict[str, Any] = {}
        code = _digits_cell(v.get(CODE), 10)
        if not code:
            row.error(CODE, "chưa có mã định danh học sinh.")
        elif not re.fullmatch(r"\d{6,20}", code):
            row.error(CODE, f"“{code}” không hợp lệ: mã định danh chỉ gồm chữ số (thường là 10 chữ số).")
        elif code in seen_codes:
            row.error(CODE, f"trùng mã định danh với dòng {seen_codes[code]}.")
        seen_codes.setdefault(code, row.number)
        data["learner_code"] = code

        pid = _digits_cell(v.get(PID), 12)
        if pid:
            if not re.fullmatch(r"\d{12}", pid):
                row.error(PID, "số định danh cá nhân phải gồm đúng 12 chữ số.")
            elif pid in seen_pids:
                row.error(PID, f"trùng số định danh cá nhân với dòng {seen_pids[pid]}.")
            seen_pids.setdefault(pid, row.number)
            other = self.by_pid.get(pid)
            if other is not None and other.learner_code != code:
                row.error(PID, FOREIGN_PID)
            data["personal_id"] = pid

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
            elif not (dt.date(1990, 1, 1) <= birth <= timezone.localdate()):
                row.error(BIRTH, f"ngày sinh {birth:%d/%m/%Y} không hợp lệ.")
        data["birth_date"] = birth

        sex_text = _text(v.get(SEX))
        data["sex"] = SEXES.get(search_key(sex_text), "")
        if not sex_text:
            row.error(SEX, "chưa ghi giới tính (Nam hoặc Nữ).")
        elif not data["sex"]:
            row.error(SEX, f"“{sex_text}” không hợp lệ (Nam hoặc Nữ).")

        ethnicity = _text(v.get(ETHNICITY))
        if ethnicity:
            data["ethnicity"] = ETHNIC_KEYS.get(search_key(ethnicity), "")
            if not data["ethnicity"]:
                row.error(ETHNICITY, f"“{ethnicity}” không có trong danh mục 54 dân tộc.")
        for column, key in ((BIRTHPLACE, "birthplace"), (ADDRESS, "address")):
            text = _text(v.get(column))
            if len(text) > 255:
                row.error(column, "dài quá 255 ký tự.")
            if text:
                data[key] = text

        class_name = _text(v.get(CLASS))
        klass = self.classes.get(search_key(class_name)) if class_name else None
        if not class_name:
            row.error(CLASS, "chưa ghi lớp.")
        elif klass is None:
            row.error(CLASS, f"năm học {self.school_year.name} không có lớp “{class_name}”.")
        data["class"] = klass

        parents = []
        for relation, name_col, phone_col in PARENTS:
            parent_name = _text(v.get(name_col))
            phone = _phone(v.get(phone_col))
            if phone and not re.fullmatch(r"\+?\d{8,15}", phone):
                row.error(phone_col, f"“{_text(v.get(phone_col))}” không phải số điện thoại hợp lệ.")
            if phone and not parent_name:
                row.error(name_col, "có số điện thoại nhưng chưa có họ tên.")
            if len(parent_name) > 150:
                row.error(name_col, "họ tên dài quá 150 ký tự.")
            if parent_name:
                parents.append((relation, parent_name, phone))
        data["parents"] = parents

        existing = self.by_code.get(code) if code else None
        if existing is not None and existing.school_id != self.school.pk:
            row.error(CODE, FOREIGN_CODE)
            existing = None
        row.data = data
        if not row.ok:
            return
        if existing is None:
            row.status = Status.NEW
            return
        self._compare(row, existing, klass)

    def _compare(self, row: RowResult, student: Student, klass: SchoolClass) -> None:
        data = row.data
        student.school = self.school  # the same school (checked above), so ``Student.clean`` reads no row
        data["instance"] = student
        notes = []
        changed = [f for f in FIELDS if f in data and getattr(student, f) != data[f]]
        if changed:
            labels = [str(Student._meta.get_field(f).verbose_name) for f in changed]
            notes.append("Sửa: " + ", ".join(labels) + ".")
        enrolment = self.enrolments.get(student.pk)
        moves = enrolment is None or enrolment.school_class_id != klass.pk or enrolment.left_on is not None
        if moves and student.status != StudentStatus.STUDYING:
            row.error(
                CLASS,
                f"học sinh đang ở tình trạng “{student.get_status_display()}”; ghi trở lại học trước khi xếp lớp.",
            )
            return
        if enrolment is not None and enrolment.school_class_id != klass.pk and enrolment.pk in self.scored_now:
            row.error(
                CLASS,
                f"học sinh đã có điểm ở lớp {enrolment.school_class.name} trong học kỳ đang diễn ra; "
                "chỉ chuyển lớp vào đầu học kỳ hoặc sau khi kết thúc học kỳ.",
            )
            return
        if enrolment is None:
            notes.append(f"Xếp vào lớp {klass.name}.")
        elif enrolment.school_class_id != klass.pk:
            notes.append(f"Chuyển lớp {enrolment.school_class.name} → {klass.name}.")
        elif enrolment.left_on is not None:
            notes.append(f"Trở lại lớp {klass.name}.")
        parent_changes = False
        for relation, name, phone in data["parents"]:
            guardian = self.guardians.get((student.pk, relation))
            if guardian is None or guardian.full_name != name or (phone and guardian.phone != phone):
                parent_changes = True
        if parent_changes:
            notes.append("Cập nhật cha mẹ.")
        data["changed"] = changed
        data["enrolment"] = enrolment
        if not changed and not moves and not parent_changes:
            row.status = Status.UNCHANGED
        else:
            row.status = Status.UPDATED
            row.notes.extend(notes)

    # --- writing (inside the confirm's one transaction) --------------------------------------------------

    def apply(self, preview: Preview) -> dict[str, int]:
        year, actor = self.school_year, self.actor
        counts = {Status.NEW: 0, Status.UPDATED: 0, Status.UNCHANGED: 0}
        new_students: list[tuple[RowResult, Student]] = []
        updated: list[Student] = []
        update_fields: set[str] = set()
        for row in preview.rows:
            counts[row.status] += 1
            if row.status == Status.UNCHANGED:
                continue
            data = row.data
            if row.status == Status.NEW:
                student = Student(
                    school=self.school,
                    learner_code=data["learner_code"],
                    ethnicity="Kinh",
                    status=StudentStatus.STUDYING,
                )
                for f in FIELDS:
                    if f in data:
                        setattr(student, f, data[f])
                self._ready(row, student)
                new_students.append((row, student))
            else:
                student = data["instance"]
                for f in data["changed"]:
                    setattr(student, f, data[f])
                if data["changed"]:
                    self._ready(row, student)
                    updated.append(student)
                    update_fields.update(data["changed"])
        if new_students:
            bulk_create_with_history([s for _, s in new_students], Student, actor=actor, batch_size=500)
        if updated:
            fields = sorted(update_fields | {"search_key", "sort_key"})
            bulk_update_with_history(updated, Student, fields, actor=actor, batch_size=500)
        created_ids = {s.learner_code: s for _, s in new_students}
        if len(created_ids) != len(new_students) or any(s.pk is None for s in created_ids.values()):
            # A database that does not return ids from bulk inserts: read them back.
            found = Student.objects.filter(learner_code__in=list(created_ids)).only("pk", "learner_code")
            for s in found:
                created_ids[s.learner_code].pk = s.pk

        new_enrolments, moved_enrolments = [], []
        new_guardians, changed_guardians = [], []
        for row in preview.rows:
            if row.status == Status.UNCHANGED:
                continue
            data = row.data
            student = data.get("instance") or created_ids[data["learner_code"]]
            klass = data["class"]
            enrolment = data.get("enrolment")
            if enrolment is None:
                new_enrolments.append(
                    Enrolment(
                        school=self.school,
                        student=student,
                        school_year=year,
                        school_class=klass,
                        enrolled_on=year.starts_on,
                    )
                )
            elif enrolment.school_class_id != klass.pk or enrolment.left_on is not None:
                enrolment.school_class = klass
                enrolment.left_on = None
                moved_enrolments.append(enrolment)
            for relation, name, phone in data["parents"]:
                guardian = self.guardians.get((student.pk, relation)) if "instance" in data else None
                if guardian is None:
                    new_guardians.append(Guardian(student=student, relation=relation, full_name=name, phone=phone))
                elif guardian.full_name != name or (phone and guardian.phone != phone):
                    guardian.full_name = name
                    guardian.phone = phone or guardian.phone
                    changed_guardians.append(guardian)
        if new_enrolments:
            bulk_create_with_history(new_enrolments, Enrolment, actor=actor, batch_size=500)
        if moved_enrolments:
            bulk_update_with_history(moved_enrolments, Enrolment, ["school_class", "left_on"], actor=actor)
        if new_guardians:
            bulk_create_with_history(new_guardians, Guardian, actor=actor, batch_size=500)
        if changed_guardians:
            bulk_update_with_history(changed_guardians, Guardian, ["full_name", "phone"], actor=actor)
        if updated or moved_enrolments:
            # the portal's published results show the name and open with the birth date; a class decides
            # what a grade's publication covers
            from .services.portal import sync_students

            sync_students([s.pk for s in updated] + [e.student_id for e in moved_enrolments])
        return counts

    @staticmethod
    def _ready(row: RowResult, student: Student) -> None:
        """The derived keys ``save()`` would fill, and the model's own checks (bulk writes skip both) but
        those of ``TRUSTED_FKS``; uniqueness is the database's (a clash rolls the confirm back)."""
        student.full_name = nfc(student.full_name).strip()
        student.search_key = search_key(f"{student.full_name} {student.learner_code}")
        student.sort_key = sort_key(student.full_name)
        try:
            student.full_clean(exclude=TRUSTED_FKS, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            raise ValidationError(f"Dòng {row.number}: " + " ".join(error.messages)) from None


def export_class(school_class: SchoolClass, enrolments, readable_student_ids: set[int]) -> bytes:
    """A class list in the import template's columns (so an export can be re-imported).

    ``readable_student_ids``: learners whose record the reader may see; for the others (who
    have since moved to another school) only what the class list itself holds is written."""
    book = xlsx.Workbook()
    sheet = book.sheet(ClassListImporter.sheet_title, [(c.header, c.width) for c in ClassListImporter.columns])
    enrolments = list(enrolments)
    parents: dict[tuple[int, str], Guardian] = {}
    for g in Guardian.objects.filter(
        student_id__in=[e.student_id for e in enrolments if e.student_id in readable_student_ids],
        relation__in=[Relation.FATHER, Relation.MOTHER],
    ).order_by("pk"):
        parents.setdefault((g.student_id, g.relation), g)
    for e in enrolments:
        s = e.student
        readable = s.pk in readable_student_ids
        father, mother = parents.get((s.pk, Relation.FATHER)), parents.get((s.pk, Relation.MOTHER))
        sheet.row(
            [
                s.learner_code,
                s.personal_id if readable else "",
                s.full_name,
                s.birth_date,
                s.get_sex_display(),
                s.ethnicity if readable else "",
                s.birthplace if readable else "",
                s.address if readable else "",
                school_class.name,
                father.full_name if father else "",
                father.phone if father else "",
                mother.full_name if mother else "",
                mother.phone if mother else "",
            ]
        )
    return book.save()
