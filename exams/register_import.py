"""Import of a past original register (sổ gốc cấp văn bằng đã có) from Excel, for one issuer.

An issuer that starts using the system keeps its earlier books: their entries are typed into a spreadsheet (or an
older system's export) and imported through ``sms.imports`` (template → upload → dry run → confirm, one
transaction). DOMAIN (/work/shared/domain/exams-diplomas.md, TT21/2019): entry numbers run consecutively within a
calendar year per diploma type, each number on exactly one diploma; so:

- one row per diploma; the columns (``COLUMNS``; the register's xlsx export has the same headers, so an exported
  book imports back as "Không đổi"):
  Số vào sổ (the number, "123", or the full label "00123/THPT/2019"), Số hiệu, Loại văn bằng (thcs / thpt /
  completion, the short codes THCS / THPT / CNHT, or the Vietnamese name), Năm cấp (optional: the label's year or
  the issue date's), Họ và tên, Ngày sinh (dd/mm/yyyy or an Excel date), Nơi sinh, Giới tính (Nam/Nữ), Dân tộc
  (default Kinh), Nơi học, Năm tốt nghiệp, Số quyết định, Ngày quyết định, Ngày cấp, and the signer in TWO columns,
  Chức danh người ký and Họ tên người ký (as printed on the diploma: "Giám đốc" + "Nguyễn Văn A"); optional
  Số định danh cá nhân and Ghi chú;
- the dry run lists every bad row by row and column; the confirm writes all rows in one transaction or none;
- idempotent on the serial number: a row whose serial (same type) is already in this issuer's book with the same
  content is "Không đổi" (also when the entry was corrected since: its content before the corrections counts);
  with different content it is an error naming the row ("đã có trong sổ với nội dung khác — dùng chức năng chỉnh
  sửa"); a serial of another issuer's book, an entry number already given to another serial in that
  issuer/type/year, and two rows of the file with the same serial or the same entry number are errors;
- imported diplomas are marked ``imported``, their history is attributed to the importer, and the counter of each
  (type, year) is raised with ``exams.services.register.bump_counter`` so new issues continue after the largest
  imported number; they are public like issued ones (``exams.services.portal_diplomas.publish``, in the confirm's
  transaction).

Only who keeps the issuer's register (``selectors.may_keep_register``) imports into it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.utils import timezone

from sms.accounts.roles import UnitKind
from sms.accounts.scoping import visible_to
from sms.audit.history import acting_here, bulk_create_with_history
from sms.exports import xlsx
from sms.imports import Column, Importer, Preview, RowResult, Status, cell_date, cell_text
from sms.org.models import Unit
from sms.text import nfc, search_key, sort_key

from . import rules
from .models import Diploma, DiplomaKind, Issuer
from .reports import register as book
from .selectors import may_keep_register
from .services import portal_diplomas
from .services.register import bump_counter

#: who keeps an issuer's register prints, exports and imports its books and prints its copies
MSG_NOT_KEEPER = (
    "Chỉ cán bộ quản lý sổ gốc của cơ quan cấp văn bằng này (hoặc của đơn vị cấp trên) mới được in, xuất hoặc nhập "
    "sổ gốc."
)
MSG_COPY_NOT_KEEPER = "Chỉ cán bộ quản lý sổ gốc của cơ quan cấp văn bằng mới in được bản sao từ sổ gốc."
#: the earliest graduation year the register takes (as the issuing service)
FIRST_YEAR = 1945
MAX_ROWS = 10000

#: what "Loại văn bằng" may say, by its search key (no diacritics, lower case)
KIND_NAMES: dict[str, str] = {}
for _code, _label in DiplomaKind.choices:
    KIND_NAMES[search_key(_code)] = _code
    KIND_NAMES[search_key(_label)] = _code
    KIND_NAMES[search_key(rules.DIPLOMA_CODES[_code])] = _code
KIND_NAMES.update(
    {
        "bang tot nghiep thcs": DiplomaKind.THCS,
        "tot nghiep thcs": DiplomaKind.THCS,
        "bang thcs": DiplomaKind.THCS,
        "bang tot nghiep thpt": DiplomaKind.THPT,
        "tot nghiep thpt": DiplomaKind.THPT,
        "bang thpt": DiplomaKind.THPT,
        "giay chung nhan hoan thanh chuong trinh": DiplomaKind.COMPLETION,
        "giay chung nhan hoan thanh chuong trinh gdpt": DiplomaKind.COMPLETION,
        "chung nhan hoan thanh chuong trinh giao duc pho thong": DiplomaKind.COMPLETION,
        "hoan thanh chuong trinh giao duc pho thong": DiplomaKind.COMPLETION,
    }
)
SEXES = {"nam": "M", "m": "M", "nu": "F", "f": "F"}
_ENTRY = re.compile(r"^0*(\d{1,7})(?:/([A-Z-]+)/(\d{4}))?$")
_CODES = {code: kind for kind, code in rules.DIPLOMA_CODES.items()}

#: the diploma's fields a row gives, and the column each comes from (for "khác ở: …")
CONTENT_COLUMNS = {
    "kind": book.KIND,
    "year": book.YEAR,
    "entry_number": book.ENTRY,
    "full_name": book.NAME,
    "birth_date": book.BIRTH_DATE,
    "birthplace": book.BIRTHPLACE,
    "sex": book.SEX_COLUMN,
    "ethnicity": book.ETHNICITY,
    "school_name": book.SCHOOL,
    "graduation_year": book.GRADUATION_YEAR,
    "decision_number": book.DECISION_NUMBER,
    "decision_date": book.DECISION_DATE,
    "issued_on": book.ISSUED_ON,
    "signer_title": book.SIGNER_TITLE,
    "signer_name": book.SIGNER_NAME,
    "personal_id": book.PERSONAL_ID,
    "note": book.NOTE,
}
#: optional columns: compared with a stored entry only when the file has the column
OPTIONAL = {
    "birthplace": book.BIRTHPLACE,
    "ethnicity": book.ETHNICITY,
    "personal_id": book.PERSONAL_ID,
    "note": book.NOTE,
}
TEXT_LIMITS = {
    "full_name": 150,
    "birthplace": 255,
    "ethnicity": 40,
    "school_name": 255,
    "decision_number": 60,
    "signer_title": 120,
    "signer_name": 150,
    "note": 500,
}


def kind_of(value: Any) -> str | None:
    """The diploma type a cell names, or None."""
    return KIND_NAMES.get(search_key(cell_text(value)))


def parse_entry(value: Any) -> tuple[int, str | None, int | None]:
    """``(number, type code or None, year or None)`` from "123", 123 or "00123/THPT/2019"; ``ValueError``."""
    text = cell_text(value).upper().replace(" ", "")
    match = _ENTRY.match(text)
    if not match:
        raise ValueError(text)
    number, code, year = match.groups()
    if int(number) < 1:
        raise ValueError(text)
    return int(number), code, int(year) if year else None


def past_kinds(issuer: Issuer) -> list[str]:
    """The types ``issuer`` once issued and no longer does (its history's ``kinds``, or entries its register holds):
    their books of the years before this one are imported too (THCS moved from the Phòng to the commune chair: the
    Phòng's past THCS books still come into its register)."""
    once: set[str] = set()
    for kinds in issuer.history.values_list("kinds", flat=True):
        once.update(k for k in kinds or [] if isinstance(k, str))
    once.update(Diploma.objects.filter(issuer=issuer).order_by().values_list("kind", flat=True).distinct())
    return [k for k in DiplomaKind.values if k in once and k not in (issuer.kinds or [])]


def _personal_id(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return str(value).zfill(12)  # Excel dropped the leading zero of a province code
    return cell_text(value).replace(" ", "")


def _comparable(value: Any) -> Any:
    """A value as compared with a stored entry: text in NFC (None and "" alike)."""
    if value is None or isinstance(value, str):
        return nfc(value)
    return value


def _before_corrections(diploma: Diploma) -> dict[str, Any]:
    """The content the diploma had when it was entered: its corrections undone, newest first."""
    values = {field: getattr(diploma, field) for field in CONTENT_COLUMNS}
    for correction in sorted(diploma.corrections.all(), key=lambda c: (c.made_at, c.pk), reverse=True):
        for field, (old, _new) in (correction.changes or {}).items():
            if field == "birth_date" and old:
                old = dt.date.fromisoformat(str(old))
            values[field] = old
    return values


class RegisterImporter(Importer):
    title = "Nhập sổ gốc cấp văn bằng đã có"
    sheet_title = "Sổ gốc"
    template_filename = "mau-nhap-so-goc.xlsx"
    max_rows = MAX_ROWS
    columns: ClassVar[list[Column]] = [
        Column(
            book.ENTRY,
            required=True,
            width=16,
            text=True,
            help="Số vào sổ gốc: số thứ tự (ví dụ 123) hoặc đủ dạng 00123/THPT/2019. Mỗi số chỉ ghi cho một văn bằng "
            "trong cùng loại và năm cấp.",
        ),
        Column(book.SERIAL, required=True, width=16, text=True, help="Số hiệu in trên phôi văn bằng."),
        Column(
            book.KIND,
            required=True,
            width=30,
            help="thcs, thpt hoặc completion; THCS, THPT, CNHT; hoặc tên đầy đủ: "
            + "; ".join(label for _, label in DiplomaKind.choices)
            + ".",
        ),
        Column(
            book.YEAR,
            width=8,
            help="Năm cấp (năm của ngày cấp). Có thể để trống: lấy theo số vào sổ đủ dạng hoặc theo ngày cấp.",
        ),
        Column(book.NAME, required=True, width=28, help="Họ và tên người được cấp, như trên văn bằng."),
        Column(book.BIRTH_DATE, required=True, width=12, help="dd/mm/yyyy hoặc ô kiểu ngày của Excel."),
        Column(book.BIRTHPLACE, width=24, help="Nơi sinh (tỉnh, thành phố)."),
        Column(book.SEX_COLUMN, required=True, width=8, help="Nam hoặc Nữ."),
        Column(book.ETHNICITY, width=10, help="Để trống: Kinh."),
        Column(
            book.SCHOOL,
            required=True,
            width=30,
            help="Trường nơi học. Nếu trùng tên một trường trên hệ thống thuộc phạm vi cơ quan cấp, văn bằng được gắn "
            "với trường đó (trường xem được văn bằng của học sinh mình).",
        ),
        Column(book.GRADUATION_YEAR, required=True, width=10, help="Ví dụ 2019."),
        Column(book.DECISION_NUMBER, required=True, width=16, help="Số quyết định công nhận tốt nghiệp."),
        Column(book.DECISION_DATE, required=True, width=12, help="Ngày ký quyết định công nhận (dd/mm/yyyy)."),
        Column(book.ISSUED_ON, required=True, width=12, help="Ngày cấp văn bằng (dd/mm/yyyy)."),
        Column(book.SIGNER_TITLE, required=True, width=16, help="Chức danh người ký văn bằng, ví dụ Giám đốc."),
        Column(book.SIGNER_NAME, required=True, width=24, help="Họ tên người ký văn bằng."),
        Column(book.PERSONAL_ID, width=16, text=True, help="12 chữ số, nếu có."),
        Column(book.NOTE, width=24, help="Ghi chú của sổ gốc (không bắt buộc)."),
    ]

    def __init__(self, actor, request=None, *, issuer: Issuer):
        super().__init__(actor, request)
        self.issuer = issuer
        self.title = f"Nhập sổ gốc đã có – {issuer.name}"
        self.template_filename = f"mau-nhap-so-goc-{issuer.pk}.xlsx"
        self.template_detail = f"Mẫu nhập sổ gốc cấp văn bằng – {issuer.name} (xlsx)"
        self._past: list[str] | None = None

    @property
    def past(self) -> list[str]:
        """``past_kinds`` of the issuer, read once."""
        if self._past is None:
            self._past = past_kinds(self.issuer)
        return self._past

    # --- the template ---------------------------------------------------------------------------------------------

    def template(self) -> bytes:
        workbook = xlsx.Workbook()
        sheet = workbook.sheet(self.sheet_title, [(c.header, c.width) for c in self.columns])
        for index, column in enumerate(self.columns, start=1):
            if column.text:
                letter = sheet.ws.cell(row=1, column=index).column_letter
                for row in range(2, 502):
                    sheet.ws[f"{letter}{row}"].number_format = "@"
        guide = workbook.sheet("Hướng dẫn", [("Cột", 28), ("Bắt buộc", 10), ("Ghi chú", 90)])
        for column in self.columns:
            guide.row([column.header, "Có" if column.required else "Không", column.help])
        guide.row([])
        guide.row(["Cơ quan cấp", "", self.issuer.name])
        kinds = ", ".join(DiplomaKind(k).label for k in DiplomaKind.values if k in (self.issuer.kinds or []))
        guide.row(["Loại văn bằng cơ quan này cấp", "", kinds])
        if self.past:
            guide.row(
                [
                    "Loại văn bằng cơ quan này từng cấp",
                    "",
                    ", ".join(DiplomaKind(k).label for k in self.past)
                    + f": chỉ nhập được sổ của các năm trước năm {timezone.localdate().year}.",
                ]
            )
        guide.row(
            [
                "Nhập lại",
                "",
                "Nhập lại cùng một tệp không thay đổi gì. Văn bằng đã có trong sổ mà nội dung khác là lỗi: dùng chức "
                "năng chỉnh sửa văn bằng.",
            ]
        )
        return workbook.save()

    # --- checking (no writes) -------------------------------------------------------------------------------------

    def preview(self, data: bytes) -> Preview:
        if not may_keep_register(self.actor, self.issuer):
            return Preview(rows=[], errors=[MSG_NOT_KEEPER])
        return super().preview(data)

    def _schools(self) -> dict[str, list[int]]:
        """The schools a "Nơi học" may name, by search key: the units under the issuer's keeping unit or the units
        it covers, that the actor sees."""
        paths = [self.issuer.unit.path] + [u.path for u in self.issuer.covers.all()]
        units = visible_to(self.actor, Unit).filter(kind__in=(UnitKind.SCHOOL, UnitKind.CENTRE))
        found: dict[str, list[int]] = {}
        for pk, name, path in units.values_list("pk", "name", "path"):
            if any(path.startswith(p) for p in paths):
                found.setdefault(search_key(name), []).append(pk)
        return found

    def _parse(self, row: RowResult, schools: dict[str, list[int]]) -> dict[str, Any]:
        """The row's diploma fields (None where a cell is bad), the row's errors filled: every column is checked."""
        v = row.values
        out: dict[str, Any] = {}

        kind = kind_of(v.get(book.KIND))
        if not cell_text(v.get(book.KIND)):
            row.error(book.KIND, "chưa ghi loại văn bằng.")
        elif kind is None:
            row.error(book.KIND, f"“{cell_text(v.get(book.KIND))}” không phải loại văn bằng (THCS, THPT, CNHT).")
        elif kind not in (self.issuer.kinds or []) and kind not in self.past:
            row.error(book.KIND, f"{self.issuer.name} không cấp {DiplomaKind(kind).label.lower()}.")
            kind = None
        out["kind"] = kind
        # a type the issuer no longer issues: its past books only (checked once the year is known, below)
        past_kind = kind is not None and kind not in (self.issuer.kinds or [])

        label_code = label_year = None
        number = None
        if not cell_text(v.get(book.ENTRY)):
            row.error(book.ENTRY, "chưa ghi số vào sổ.")
        else:
            try:
                number, label_code, label_year = parse_entry(v.get(book.ENTRY))
            except ValueError:
                row.error(
                    book.ENTRY,
                    f"“{cell_text(v.get(book.ENTRY))}” không phải số vào sổ (ví dụ 123 hoặc 00123/THPT/2019).",
                )
        if label_code is not None and label_code not in _CODES:
            row.error(book.ENTRY, f"mã loại văn bằng “{label_code}” trong số vào sổ không đúng (THCS, THPT, CNHT).")
        elif label_code is not None and kind is not None and _CODES[label_code] != kind:
            row.error(book.ENTRY, f"số vào sổ ghi loại {label_code}, khác cột “{book.KIND}”.")
        out["entry_number"] = number

        try:
            out["serial"] = rules.normalise_serial(cell_text(v.get(book.SERIAL)))
        except ValueError as error:
            row.error(book.SERIAL, str(error)[0].lower() + str(error)[1:])
            out["serial"] = None

        for field, column in (
            ("full_name", book.NAME),
            ("school_name", book.SCHOOL),
            ("decision_number", book.DECISION_NUMBER),
            ("signer_title", book.SIGNER_TITLE),
            ("signer_name", book.SIGNER_NAME),
        ):
            text = cell_text(v.get(column))
            if not text:
                row.error(column, f"chưa ghi {column[0].lower() + column[1:]}.")
            elif len(text) > TEXT_LIMITS[field]:
                row.error(column, f"dài quá {TEXT_LIMITS[field]} ký tự.")
            out[field] = text
        for field, column in (("birthplace", book.BIRTHPLACE), ("ethnicity", book.ETHNICITY), ("note", book.NOTE)):
            text = cell_text(v.get(column))
            if len(text) > TEXT_LIMITS[field]:
                row.error(column, f"dài quá {TEXT_LIMITS[field]} ký tự.")
            out[field] = text
        out["ethnicity"] = out["ethnicity"] or "Kinh"

        sex = SEXES.get(search_key(cell_text(v.get(book.SEX_COLUMN))))
        if sex is None:
            raw = cell_text(v.get(book.SEX_COLUMN))
            row.error(book.SEX_COLUMN, f"“{raw}” không hợp lệ: ghi Nam hoặc Nữ." if raw else "chưa ghi giới tính.")
        out["sex"] = sex

        personal_id = _personal_id(v.get(book.PERSONAL_ID))
        if personal_id and (not personal_id.isdigit() or len(personal_id) != 12):
            row.error(book.PERSONAL_ID, "số định danh cá nhân gồm đúng 12 chữ số.")
        out["personal_id"] = personal_id

        today = timezone.localdate()
        for field, column, label in (
            ("birth_date", book.BIRTH_DATE, "ngày sinh"),
            ("decision_date", book.DECISION_DATE, "ngày quyết định"),
            ("issued_on", book.ISSUED_ON, "ngày cấp"),
        ):
            raw = v.get(column)
            try:
                value = cell_date(raw)
            except (ValueError, TypeError):
                row.error(column, f"“{cell_text(raw)}” không phải ngày (dd/mm/yyyy).")
                value = None
            else:
                if value is None:
                    row.error(column, f"chưa ghi {label}.")
                elif value.year < 1900:
                    row.error(column, f"{label} {value:%d/%m/%Y} không hợp lệ.")
                    value = None
                elif value > today:
                    row.error(column, f"{label} {value:%d/%m/%Y} ở sau ngày hôm nay.")
                    value = None
            out[field] = value
        born, decided, issued = out["birth_date"], out["decision_date"], out["issued_on"]
        if born and issued and born >= issued:
            row.error(book.BIRTH_DATE, "ngày sinh phải trước ngày cấp.")
        if decided and issued:
            problem = rules.issue_date_problem(decided, issued)
            if problem:
                row.error(book.ISSUED_ON, problem[0].lower() + problem[1:])

        year = None
        raw_year = cell_text(v.get(book.YEAR))
        if raw_year:
            try:
                year = int(raw_year)
            except ValueError:
                row.error(book.YEAR, f"“{raw_year}” không phải năm (ví dụ 2019).")
        if year is not None and label_year is not None and year != label_year:
            row.error(book.YEAR, f"năm cấp {year} khác năm {label_year} trong số vào sổ.")
        year = year or label_year or (issued.year if issued else None)
        if year is not None and issued is not None and year != issued.year:
            column = book.YEAR if raw_year else book.ENTRY
            row.error(
                column,
                f"năm cấp {year} khác năm của ngày cấp ({issued:%d/%m/%Y}): số vào sổ đánh theo năm cấp văn bằng.",
            )
        out["year"] = year
        if past_kind and year is not None and year >= today.year:
            row.error(
                book.KIND,
                f"{self.issuer.name} không còn cấp {DiplomaKind(kind).label.lower()}: chỉ nhập được sổ của các năm "
                f"trước năm {today.year}.",
            )

        raw_graduation = cell_text(v.get(book.GRADUATION_YEAR))
        graduation = None
        if not raw_graduation:
            row.error(book.GRADUATION_YEAR, "chưa ghi năm tốt nghiệp.")
        else:
            try:
                graduation = int(raw_graduation)
            except ValueError:
                row.error(book.GRADUATION_YEAR, f"“{raw_graduation}” không phải năm (ví dụ 2019).")
            else:
                last = issued.year if issued else today.year
                if not FIRST_YEAR <= graduation <= last:
                    row.error(book.GRADUATION_YEAR, f"năm tốt nghiệp phải từ {FIRST_YEAR} đến {last}.")
                    graduation = None
        out["graduation_year"] = graduation

        matches = schools.get(search_key(out["school_name"]), []) if out["school_name"] else []
        out["school_id"] = matches[0] if len(matches) == 1 else None
        return out

    def check(self, rows: list[RowResult]) -> None:
        schools = self._schools()
        parsed: dict[int, dict[str, Any]] = {}
        serial_rows: dict[tuple[str, str], int] = {}
        entry_rows: dict[tuple[str, int, int], int] = {}
        for row in rows:
            out = self._parse(row, schools)
            # duplicates inside the file are named even on rows with other errors, whenever the key could be read
            if out["kind"] and out["serial"]:
                first = serial_rows.setdefault((out["kind"], out["serial"]), row.number)
                if first != row.number:
                    row.error(book.SERIAL, f"số hiệu {out['serial']} trùng với dòng {first}.")
            if out["kind"] and out["year"] and out["entry_number"]:
                key = (out["kind"], out["year"], out["entry_number"])
                first = entry_rows.setdefault(key, row.number)
                if first != row.number:
                    row.error(book.ENTRY, f"số vào sổ {rules.entry_label(*key)} trùng với dòng {first}.")
            if row.ok:
                parsed[row.number] = out
        if not parsed:
            return
        existing: dict[tuple[str, str], Diploma] = {
            (d.kind, d.serial): d
            for d in Diploma.objects.filter(serial__in={p["serial"] for p in parsed.values()})
            .select_related("revocation")
            .prefetch_related("corrections")
        }
        taken = {
            (kind, year, number): serial
            for kind, year, number, serial in Diploma.objects.filter(
                issuer=self.issuer,
                kind__in={p["kind"] for p in parsed.values()},
                year__in={p["year"] for p in parsed.values()},
                entry_number__in={p["entry_number"] for p in parsed.values()},
            ).values_list("kind", "year", "entry_number", "serial")
        }
        for row in rows:
            out = parsed.get(row.number)
            if out is None:
                continue
            label = rules.entry_label(out["kind"], out["year"], out["entry_number"])
            stored = existing.get((out["kind"], out["serial"]))
            if stored is not None:
                if stored.issuer_id != self.issuer.pk:
                    row.error(
                        book.SERIAL,
                        f"số hiệu {out['serial']} đã được dùng cho {DiplomaKind(out['kind']).label.lower()} trong sổ "
                        "gốc của cơ quan cấp khác.",
                    )
                    continue
                differ = self._differences(row, out, stored)
                if differ:
                    row.error(
                        book.SERIAL,
                        f"số hiệu {out['serial']} đã có trong sổ với nội dung khác (khác ở: {', '.join(differ)}) — "
                        "dùng chức năng chỉnh sửa văn bằng.",
                    )
                    continue
                row.status = Status.UNCHANGED
                row.notes.append(f"Đã có trong sổ: {stored.entry_label}.")
                if stored.corrections.all():
                    row.notes.append("Văn bằng đã được chỉnh sửa sau khi vào sổ.")
                if stored.is_revoked:
                    row.notes.append("Văn bằng đã bị thu hồi.")
                row.data = {"kind": out["kind"], "year": out["year"], "entry_number": out["entry_number"]}
                continue
            holder = taken.get((out["kind"], out["year"], out["entry_number"]))
            if holder is not None:
                row.error(book.ENTRY, f"số vào sổ {label} đã được ghi cho văn bằng số hiệu {holder}.")
                continue
            row.status = Status.NEW
            row.notes.append(f"Vào sổ: {label}.")
            if out["school_id"] is None and out["school_name"]:
                row.notes.append("Nơi học không trùng tên trường nào trên hệ thống: chỉ ghi tên.")
            row.data = out

    def _differences(self, row: RowResult, out: dict[str, Any], stored: Diploma) -> list[str]:
        """The columns where the row and the stored entry differ: none when it matches the entry as it is now or as it
        was entered (before its corrections). An optional column the file does not have is not compared."""
        checked = [f for f in CONTENT_COLUMNS if f not in OPTIONAL or OPTIONAL[f] in row.values]

        def differ(values: dict[str, Any]) -> list[str]:
            return [CONTENT_COLUMNS[f] for f in checked if _comparable(out.get(f)) != _comparable(values.get(f))]

        now = differ({f: getattr(stored, f) for f in CONTENT_COLUMNS})
        if now and stored.corrections.all() and not differ(_before_corrections(stored)):
            return []
        return now

    # --- writing ----------------------------------------------------------------------------------------------------

    def apply(self, preview: Preview) -> dict[str, Any]:
        """Inside the confirm's transaction: lock and raise each book's counter first (a clerk issuing in the same
        book waits), look once more for numbers given meanwhile, then write the new entries with their history."""
        books: dict[tuple[str, int], int] = {}
        for row in preview.rows:
            key = (row.data["kind"], row.data["year"])
            books[key] = max(books.get(key, 0), row.data["entry_number"])
        new = [r for r in preview.rows if r.status == Status.NEW]
        with acting_here(self.actor):
            for (kind, year), top in sorted(books.items()):
                bump_counter(self.issuer, kind, year, top)
            wanted = {(r.data["kind"], r.data["year"], r.data["entry_number"]) for r in new}
            if wanted:
                given = Diploma.objects.filter(
                    issuer=self.issuer,
                    kind__in={k for k, _, _ in wanted},
                    year__in={y for _, y, _ in wanted},
                    entry_number__in={n for _, _, n in wanted},
                ).values_list("kind", "year", "entry_number")
                clash = sorted(rules.entry_label(*key) for key in set(given) & wanted)
                if clash:
                    raise ValidationError(
                        f"số vào sổ {', '.join(clash[:5])} vừa được cấp cho văn bằng khác. Hãy kiểm tra lại tệp."
                    )
            diplomas = [self._diploma(r.data) for r in new]
            created = bulk_create_with_history(
                diplomas, Diploma, actor=self.actor, batch_size=500, default_change_reason="Nhập từ sổ gốc cũ"
            )
            # an imported diploma is public like an issued one: in the portal's store, in this transaction
            ids = [d.pk for d in created if d.pk]
            if len(ids) != len(diplomas):  # a database that does not return the new ids
                ids = Diploma.objects.filter(
                    issuer=self.issuer, serial__in=[d.serial for d in diplomas], imported=True
                ).values_list("pk", flat=True)
            portal_diplomas.publish(ids)
        return {
            "created": len(diplomas),
            "unchanged": preview.count(Status.UNCHANGED),
            "books": [
                {"kind": kind, "kind_display": DiplomaKind(kind).label, "year": year, "last_number": top}
                for (kind, year), top in sorted(books.items())
            ],
        }

    def _diploma(self, data: dict[str, Any]) -> Diploma:
        fields = {f: data[f] for f in CONTENT_COLUMNS}
        diploma = Diploma(
            issuer=self.issuer,
            serial=data["serial"],
            school_id=data["school_id"],
            imported=True,
            issued_by=self.actor.user,
            **fields,
        )
        # what Diploma.save does, for rows written in bulk
        for name in ("full_name", "birthplace", "ethnicity", "school_name", "signer_title", "signer_name", "note"):
            setattr(diploma, name, nfc(getattr(diploma, name)))
        diploma.search_key = search_key(diploma.full_name)
        diploma.sort_key = sort_key(diploma.full_name)
        return diploma
