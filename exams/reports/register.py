"""The original register on paper and in Excel, and a copy from the register as PDF.

DOMAIN (/work/shared/domain/exams-diplomas.md, "Diplomas and certificates", TT21/2019): the original register (sổ gốc
cấp văn bằng) holds the holder's full identity, the serial number (số hiệu) and the entry number (số vào sổ gốc),
consecutive per issuer, diploma type and calendar year; corrections, copies from the register and revocations are
kept with it. So each book printed here is one issuer's, of one diploma type, of one calendar year:

- ``register_pdf``: A4 landscape, the title block, one line per entry in entry-number order — số vào sổ, họ và tên,
  ngày sinh, nơi sinh, giới tính, dân tộc, nơi học, năm tốt nghiệp, số hiệu, số/ngày quyết định công nhận, ngày cấp,
  ghi chú (the corrections, copies and revocation: ``entry_notes``) — "Trang k/n" on every page and the signer block;
- ``register_xlsx``: the same, one row per diploma, with the columns of the past-register import
  (``exams.register_import``: an exported book imports back as "Không đổi"), and the copy book (sổ cấp bản sao) of
  that year as a second sheet;
- ``copy_pdf``: the copy from the register (bản sao văn bằng từ sổ gốc) of one ``DiplomaCopy``, with the content as
  the register holds it now; a copy made before the diploma was revoked stays printable for the record, marked with
  the revocation. With ``check_url`` it carries the QR code of the diploma's public check page (``check_block``: the
  code and, under it, the URL as text for who has no scanner), as the diploma itself does (``exams.reports.diploma``).

Nothing here queries rows of its own: the views hand over what came through the door (``register_rows``: the
diplomas with their revocation, corrections and copies selected in three queries whatever their number).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from sms.exports import fonts, pdf, xlsx
from sms.exports.numbers import vn_date

from .. import rules
from ..models import Diploma, DiplomaCopy, DiplomaCorrection, DiplomaKind, Issuer

#: the holder's data a correction changes, as the notes name them
FIELD_NAMES = {
    "full_name": "họ tên",
    "birth_date": "ngày sinh",
    "birthplace": "nơi sinh",
    "sex": "giới tính",
    "ethnicity": "dân tộc",
}
SEX = {"M": "Nam", "F": "Nữ"}
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập – Tự do – Hạnh phúc"

#: the columns of the exported book, shared with the past-register import (its headers)
ENTRY = "Số vào sổ"
SERIAL = "Số hiệu"
KIND = "Loại văn bằng"
YEAR = "Năm cấp"
NAME = "Họ và tên"
BIRTH_DATE = "Ngày sinh"
BIRTHPLACE = "Nơi sinh"
SEX_COLUMN = "Giới tính"
ETHNICITY = "Dân tộc"
SCHOOL = "Nơi học"
GRADUATION_YEAR = "Năm tốt nghiệp"
DECISION_NUMBER = "Số quyết định"
DECISION_DATE = "Ngày quyết định"
ISSUED_ON = "Ngày cấp"
SIGNER_TITLE = "Chức danh người ký"
SIGNER_NAME = "Họ tên người ký"
PERSONAL_ID = "Số định danh cá nhân"
NOTE = "Ghi chú"
STATUS = "Tình trạng"
HISTORY = "Chỉnh sửa, bản sao, thu hồi"


# --- what the views select ---------------------------------------------------------------------------------------


def register_rows(diplomas: QuerySet) -> list[Diploma]:
    """The diplomas of a book (a queryset that came through the door), in entry-number order, each with its
    revocation, corrections and copies: three queries whatever the number of entries."""
    return list(
        diplomas.select_related("revocation")
        .prefetch_related(
            Prefetch("corrections", queryset=DiplomaCorrection.objects.order_by("made_at", "pk")),
            Prefetch("copies", queryset=DiplomaCopy.objects.order_by("issued_on", "year", "number")),
        )
        .order_by("entry_number", "pk")
    )


def book_title(kind: str) -> str:
    """ "SỔ GỐC CẤP BẰNG TỐT NGHIỆP TRUNG HỌC PHỔ THÔNG" for ``kind``."""
    return f"SỔ GỐC CẤP {DiplomaKind(kind).label.upper()}"


def book_detail(issuer: Issuer, kind: str, year: int, what: str) -> str:
    """The audit log's words for an export of a book: "Sổ gốc cấp bằng tốt nghiệp … năm 2026 – <issuer> (PDF)"."""
    return f"{book_title(kind).capitalize()} năm {year} – {issuer.name} ({what})"


def copy_book_title(kind: str) -> str:
    return f"SỔ CẤP BẢN SAO {DiplomaKind(kind).label.upper()} TỪ SỔ GỐC"


class BadBook(Exception):
    """The book asked for does not exist: ``field`` ("kind" or "year") and a Vietnamese message."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def book_kinds(issuer: Issuer, diplomas: QuerySet) -> list[str]:
    """The types of the issuer's books: the types it issues, then those it no longer issues but whose entries its
    register holds (THCS moved from the Phòng to the commune chair: the Phòng's THCS books stay printable).
    ``diplomas``: the rows the actor sees."""
    held = set(diplomas.filter(issuer=issuer).order_by().values_list("kind", flat=True).distinct())
    current = [k for k in DiplomaKind.values if k in (issuer.kinds or [])]
    return current + [k for k in DiplomaKind.values if k in held and k not in current]


def chosen_book(issuer: Issuer, kind: str | None, year: str | int | None, diplomas: QuerySet) -> tuple[str, int]:
    """(kind, calendar year) of the book asked for: ``kind`` among the issuer's types or the types its register
    already holds entries of (``book_kinds``; default its first current type); ``year`` a calendar year (default the
    last year of that type with entries in ``diplomas``, the rows the actor sees, else this year). ``BadBook``
    otherwise."""
    kind = str(kind or "").strip()
    current = [k for k in DiplomaKind.values if k in (issuer.kinds or [])]
    if not kind:
        kind = current[0] if current else next(iter(book_kinds(issuer, diplomas)), "")
    elif kind not in current and (kind not in DiplomaKind.values or kind not in book_kinds(issuer, diplomas)):
        raise BadBook("kind", "Loại văn bằng không hợp lệ hoặc sổ gốc của cơ quan này không có loại văn bằng đó.")
    if not kind:
        raise BadBook("kind", "Cơ quan này chưa cấp loại văn bằng nào.")
    raw = str(year or "").strip()
    if not raw:
        last = diplomas.filter(issuer=issuer, kind=kind).order_by("-year").values_list("year", flat=True).first()
        return kind, last or timezone.localdate().year
    if not (raw.isascii() and raw.isdigit()) or not 1900 <= int(raw) <= 9999:
        raise BadBook("year", f"Năm cấp “{raw[:10]}” không hợp lệ (ví dụ {timezone.localdate().year}).")
    return kind, int(raw)


# --- the notes of an entry ---------------------------------------------------------------------------------------


def _value(field: str, value) -> str:
    if value in (None, ""):
        return "(trống)"
    if field == "birth_date":
        try:
            return vn_date(dt.date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    if field == "sex":
        return SEX.get(value, str(value))
    return str(value)


def correction_note(correction) -> str:
    """ "Đã chỉnh sửa theo QĐ 12/QĐ ngày 01/09/2026: họ tên Nguyễn Văn A thành Nguyễn Văn Anh" (old → new, in words:
    the PDF font has no arrow)."""
    parts = [
        f"{FIELD_NAMES.get(field, field)} {_value(field, old)} thành {_value(field, new)}"
        for field, (old, new) in (correction.changes or {}).items()
    ]
    return f"Đã chỉnh sửa theo QĐ {correction.decision_number} ngày {vn_date(correction.decision_date)}: " + "; ".join(
        parts
    )


def copy_note(copy: DiplomaCopy) -> str:
    quantity = f" ({copy.quantity} bản)" if copy.quantity > 1 else ""
    return f"Cấp bản sao số {copy.number_label} ngày {vn_date(copy.issued_on)}{quantity}"


def revocation_note(revocation) -> str:
    """ "ĐÃ THU HỒI theo QĐ 5/QĐ-SGDĐT ngày 01/10/2026 – Cấp cho người không đủ điều kiện"."""
    return (
        f"ĐÃ THU HỒI theo QĐ {revocation.decision_number} ngày {vn_date(revocation.decision_date)} – "
        f"{revocation.get_reason_display()}"
    )


def _revocation(diploma: Diploma):
    try:
        return diploma.revocation
    except Diploma.revocation.RelatedObjectDoesNotExist:
        return None


def entry_notes(diploma: Diploma) -> list[str]:
    """The remarks column of one entry: the diploma's own note, each correction, each copy, the revocation (last,
    so it reads as the entry's final state). Select the diploma with ``register_rows``."""
    notes = [diploma.note] if diploma.note else []
    if diploma.imported:
        notes.append("Nhập từ sổ gốc cũ")
    notes += [correction_note(c) for c in diploma.corrections.all()]
    notes += [copy_note(c) for c in diploma.copies.all()]
    revocation = _revocation(diploma)
    if revocation is not None:
        notes.append(revocation_note(revocation))
    elif diploma.is_revoked:
        notes.append("ĐÃ THU HỒI")
    return notes


def decision_text(diploma: Diploma) -> str:
    number = diploma.decision_number or "—"
    return f"{number}, ngày {vn_date(diploma.decision_date)}" if diploma.decision_date else number


# --- PDF building blocks ---------------------------------------------------------------------------------------


class _NumberedCanvas(Canvas):
    """Keeps every page until the end, then writes "Trang k/n" and the book's name in each footer."""

    page_size: tuple[float, float] = A4
    margin: float = 12 * mm
    label: str = ""

    @classmethod
    def maker(cls, page_size, margin: float, label: str):
        return type("RegisterCanvas", (cls,), {"page_size": page_size, "margin": margin, "label": label})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(fonts.FAMILY, 8)
            self.drawRightString(
                self.page_size[0] - self.margin, self.margin / 2, f"Trang {self.getPageNumber()}/{total}"
            )
            if self.label:
                self.drawString(self.margin, self.margin / 2, self.label)
            super().showPage()
        super().save()


class _Document(pdf.Document):
    """``sms.exports.pdf.Document`` on a page size of our choosing, numbered "Trang k/n" with a footer label."""

    def __init__(self, title: str, *, page_size=A4, margins_mm: float = 12, footer: str = ""):
        super().__init__(title, margins_mm=margins_mm)
        self.page_size = page_size
        self.footer = footer
        family = fonts.register()
        self.styles.add(ParagraphStyle("tiny", fontName=family, fontSize=8, leading=10))
        self.styles.add(ParagraphStyle("tiny_bold", parent=self.styles["tiny"], fontName=fonts.BOLD))
        self.styles.add(ParagraphStyle("tiny_centre", parent=self.styles["tiny"], alignment=TA_CENTER))
        self.styles.add(
            ParagraphStyle("head_centre", parent=self.styles["body"], fontName=fonts.BOLD, alignment=TA_CENTER)
        )
        self.styles.add(ParagraphStyle("italic_centre", parent=self.styles["centre"], fontName=fonts.ITALIC))
        self.styles.add(
            ParagraphStyle("banner", parent=self.styles["title"], textColor=colors.HexColor("#b00020"), fontSize=14)
        )

    @property
    def width(self) -> float:
        return self.page_size[0] - 2 * self.margin

    def p(self, value, style: str = "tiny") -> Paragraph:
        return Paragraph(pdf.text(value), self.styles[style])

    def lines(self, values: Iterable[str], style: str = "tiny") -> Paragraph:
        return Paragraph("<br/>".join(pdf.text(v) for v in values), self.styles[style])

    def plain_table(self, rows, col_widths: Sequence[float]) -> Table:
        total = sum(col_widths)
        table = Table(rows, colWidths=[self.width * w / total for w in col_widths])
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), fonts.register()),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        return table

    def letterhead(self, issuer: Issuer) -> _Document:
        """The issuer on the left, the nation and its motto on the right, as every Vietnamese official paper."""
        left = self.lines([issuer.name.upper()], "head_centre")
        right = Paragraph(
            f"{pdf.text(NATION)}<br/><u>{pdf.text(MOTTO)}</u>",
            ParagraphStyle("nation", parent=self.styles["head_centre"]),
        )
        self.story.append(self.plain_table([[left, right]], [45, 55]))
        self.spacer(5)
        return self

    def signer_block(
        self,
        issuer: Issuer,
        *,
        left: Sequence[str] = (),
        on: dt.date | None = None,
        signer: tuple[str, str] | None = None,
    ) -> _Document:
        """The right half: "<place>, ngày … tháng … năm …", the signer's title, "(Ký, ghi rõ họ tên và đóng dấu)",
        room to sign, the name; ``left``: lines on the left half (who kept the book). ``signer``: (title, name) of
        who signed (a copy's snapshot), else the issuer's current signer."""
        title, name = signer or (issuer.signer_title, issuer.signer_name)
        place = issuer.place_name or "……………"
        date = f"ngày {on:%d} tháng {on:%m} năm {on:%Y}" if on else "ngày …… tháng …… năm ……"
        right = [
            self.p(f"{place}, {date}", "italic_centre"),
            self.p(title.upper(), "head_centre"),
            self.p("(Ký, ghi rõ họ tên và đóng dấu)", "italic_centre"),
            Spacer(1, 20 * mm),
            self.p(name, "head_centre"),
        ]
        left_cells = [self.p(line, "head_centre" if i == 0 else "italic_centre") for i, line in enumerate(left)]
        self.story.append(KeepTogether([Spacer(1, 6 * mm), self.plain_table([[left_cells, right]], [45, 55])]))
        return self

    def build(self) -> bytes:
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(
            buffer,
            pagesize=self.page_size,
            leftMargin=self.margin,
            rightMargin=self.margin,
            topMargin=self.margin,
            bottomMargin=self.margin,
            title=self.title,
            author=self.author,
            lang="vi",
            initialFontName=fonts.register(),
        )
        doc.build(
            self.story or [Spacer(1, 1)], canvasmaker=_NumberedCanvas.maker(self.page_size, self.margin, self.footer)
        )
        return buffer.getvalue()


#: the words over the URL printed under the QR code of a diploma or a copy
CHECK_CAPTION = "Kiểm tra văn bằng: quét mã QR bằng điện thoại, hoặc mở địa chỉ dưới đây trên trình duyệt."


def check_block(url: str):
    """The QR code of a document's public check page (``sms.portal.documents.check_url``), how to use it, and the
    URL itself as text on one line (``sms.exports.pdf.qr_code``: people without a scanner type it), left-aligned."""
    block = pdf.qr_code(url, caption=CHECK_CAPTION)
    block.hAlign = "LEFT"
    return block


# --- the register as PDF -------------------------------------------------------------------------------------------

REGISTER_HEADERS = [
    "Số vào sổ",
    "Họ và tên",
    "Ngày sinh",
    "Nơi sinh",
    "Giới tính",
    "Dân tộc",
    "Nơi học",
    "Năm tốt nghiệp",
    "Số hiệu",
    "Số, ngày quyết định công nhận",
    "Ngày cấp",
    "Ghi chú",
]
#: in millimetres on A4 landscape with 10 mm margins (277 mm): a label "00001/THCS/2026" and a date on one line
REGISTER_WIDTHS = [27, 33, 18, 23, 11, 12, 29, 13, 19, 27, 18, 47]


def register_pdf(issuer: Issuer, kind: str, year: int, diplomas: Sequence[Diploma]) -> bytes:
    """The book of ``issuer`` for ``kind`` and calendar ``year`` (``diplomas`` from ``register_rows``)."""
    title = book_title(kind)
    doc = _Document(
        f"{title} – năm {year} – {issuer.name}",
        page_size=landscape(A4),
        margins_mm=10,
        footer=f"{title.capitalize()} năm {year} – {issuer.name}",
    )
    doc.letterhead(issuer)
    doc.title_block(title)
    doc.paragraph(f"Năm {year}", "head_centre")
    revoked = sum(1 for d in diplomas if d.is_revoked)
    summary = f"Cơ quan cấp: {issuer.name}. Số văn bằng ghi vào sổ: {len(diplomas)}"
    summary += f", trong đó {revoked} đã thu hồi." if revoked else "."
    doc.paragraph(summary, "centre")
    doc.spacer()
    if diplomas:
        rows: list[list] = [[doc.p(h, "tiny_bold") for h in REGISTER_HEADERS]]
        for d in diplomas:
            notes = entry_notes(d)
            note_cell = doc.lines(notes) if notes else doc.p("")
            rows.append(
                [
                    doc.p(d.entry_label),
                    doc.p(d.full_name),
                    doc.p(vn_date(d.birth_date)),
                    doc.p(d.birthplace),
                    doc.p(d.get_sex_display()),
                    doc.p(d.ethnicity),
                    doc.p(d.school_name),
                    doc.p(str(d.graduation_year)),
                    doc.p(d.serial),
                    doc.p(decision_text(d)),
                    doc.p(vn_date(d.issued_on)),
                    note_cell,
                ]
            )
        table = doc.make_table(rows, col_widths=REGISTER_WIDTHS)
        table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3)]))
        doc.story.append(table)
    else:
        doc.paragraph("Chưa có văn bằng nào được ghi vào sổ trong năm này.", "centre")
    doc.signer_block(issuer, left=["NGƯỜI LẬP SỔ", "(Ký, ghi rõ họ tên)"])
    return doc.build()


# --- the register as xlsx ------------------------------------------------------------------------------------------

REGISTER_COLUMNS = [
    (ENTRY, 16),
    (SERIAL, 16),
    (KIND, 30),
    (YEAR, 8),
    (NAME, 28),
    (BIRTH_DATE, 12),
    (BIRTHPLACE, 24),
    (SEX_COLUMN, 8),
    (ETHNICITY, 10),
    (SCHOOL, 30),
    (GRADUATION_YEAR, 10),
    (DECISION_NUMBER, 16),
    (DECISION_DATE, 12),
    (ISSUED_ON, 12),
    (SIGNER_TITLE, 16),
    (SIGNER_NAME, 24),
    (PERSONAL_ID, 16),
    (NOTE, 24),
    (STATUS, 22),
    (HISTORY, 60),
]

COPY_COLUMNS = [
    ("Số vào sổ cấp bản sao", 18),
    ("Ngày cấp bản sao", 12),
    ("Số bản", 8),
    ("Họ tên người được cấp văn bằng", 28),
    ("Ngày sinh", 12),
    ("Số hiệu văn bằng", 16),
    ("Số vào sổ gốc", 16),
    ("Người yêu cầu", 26),
    ("Quan hệ với người được cấp", 24),
    ("Số giấy tờ tùy thân", 16),
    ("Giấy ủy quyền / căn cứ đại diện", 26),
    ("Ghi chú", 40),
]


def register_xlsx(
    issuer: Issuer, kind: str, year: int, diplomas: Sequence[Diploma], copies: Sequence[DiplomaCopy]
) -> bytes:
    """Sheet "Sổ gốc": one row per diploma (``diplomas`` from ``register_rows``), the import's columns first; sheet
    "Sổ cấp bản sao": the copies issued from the register in ``year`` (``copies`` with their diploma selected)."""
    book = xlsx.Workbook()
    sheet = book.sheet("Sổ gốc", REGISTER_COLUMNS)
    kind_label = DiplomaKind(kind).label
    for d in diplomas:
        sheet.row(
            [
                d.entry_label,
                d.serial,
                kind_label,
                d.year,
                d.full_name,
                d.birth_date,
                d.birthplace,
                d.get_sex_display(),
                d.ethnicity,
                d.school_name,
                d.graduation_year,
                d.decision_number,
                d.decision_date,
                d.issued_on,
                d.signer_title,
                d.signer_name,
                d.personal_id,
                d.note,
                d.get_status_display(),
                "\n".join(n for n in entry_notes(d) if n != d.note),
            ]
        )
    copy_sheet = book.sheet("Sổ cấp bản sao", COPY_COLUMNS)
    for c in copies:
        d = c.diploma
        notes = [revocation_note(_revocation(d))] if _revocation(d) is not None else []
        copy_sheet.row(
            [
                c.number_label,
                c.issued_on,
                c.quantity,
                d.full_name,
                d.birth_date,
                d.serial,
                d.entry_label,
                c.requester_name,
                c.get_relation_display(),
                c.requester_id_number,
                c.authorisation,
                "\n".join(notes + (["Người được cấp văn bằng đã chết"] if c.holder_deceased else [])),
            ]
        )
    info = book.sheet("Thông tin", [("Mục", 30), ("Nội dung", 70)])
    info.rows(
        [
            ("Sổ", f"{book_title(kind)} năm {year}"),
            ("Cơ quan cấp", issuer.name),
            ("Người ký", f"{issuer.signer_title} {issuer.signer_name}"),
            ("Số văn bằng", len(diplomas)),
            ("Đã thu hồi", sum(1 for d in diplomas if d.is_revoked)),
            ("Bản sao cấp trong năm", len(copies)),
            ("Xuất lúc", timezone.now()),
        ]
    )
    return book.save()


def register_filename(issuer: Issuer, kind: str, year: int, ext: str) -> str:
    return f"so-goc-{rules.DIPLOMA_CODES[kind].lower()}-{year}-{issuer.pk}.{ext}"


# --- one copy from the register --------------------------------------------------------------------------------------


def copy_pdf(copy: DiplomaCopy, *, diploma: Diploma | None = None, check_url: str = "") -> bytes:
    """Bản sao văn bằng từ sổ gốc: the diploma's content as the register holds it (corrections applied, each named),
    the copy's number in the copy book and its date, the issuer's signer. A diploma revoked after the copy was made:
    the copy prints for the record, under a banner with the revocation. ``diploma``: the copy's diploma with
    ``register_rows``' selections (else read from ``copy``). ``check_url``: the diploma's check page for this
    printing (``exams.services.portal_diplomas.print_check_url``), printed as a QR code and as text."""
    d = diploma or copy.diploma
    issuer = copy.issuer
    revocation = _revocation(d)
    doc = _Document(f"Bản sao từ sổ gốc {copy.number_label} – {d.full_name}", footer=f"Bản sao số {copy.number_label}")
    doc.letterhead(issuer)
    if revocation is not None or d.is_revoked:
        doc.paragraph("VĂN BẰNG ĐÃ BỊ THU HỒI", "banner")
        if revocation is not None:
            doc.paragraph(revocation_note(revocation), "centre")
        doc.paragraph(
            "Bản sao này được cấp trước khi văn bằng bị thu hồi; bản in chỉ để lưu hồ sơ, không còn giá trị sử dụng.",
            "italic_centre",
        )
        doc.spacer()
    doc.title_block("BẢN SAO TỪ SỔ GỐC")
    doc.paragraph(DiplomaKind(d.kind).label.upper(), "head_centre")
    doc.spacer(6)
    doc.paragraph(f"{d.signer_title} {issuer.name}".strip(), "centre")
    doc.paragraph("Cấp cho:", "body")
    rows = [
        ("Họ và tên", d.full_name),
        ("Ngày sinh", vn_date(d.birth_date)),
        ("Nơi sinh", d.birthplace or "—"),
        ("Giới tính", d.get_sex_display()),
        ("Dân tộc", d.ethnicity),
        ("Quốc tịch", d.nationality),
        ("Nơi học", d.school_name or "—"),
        ("Năm tốt nghiệp", str(d.graduation_year)),
        ("Theo quyết định công nhận", decision_text(d)),
        ("Ngày cấp văn bằng", vn_date(d.issued_on)),
        ("Người ký văn bằng", f"{d.signer_title} {d.signer_name} (đã ký)"),
        ("Số hiệu", d.serial),
        ("Số vào sổ gốc cấp văn bằng", d.entry_label),
    ]
    doc.story.append(
        doc.plain_table([[doc.p(label, "body"), doc.p(value, "cell_bold")] for label, value in rows], [40, 60])
    )
    corrections = list(d.corrections.all())
    if corrections:
        doc.spacer()
        doc.paragraph("Nội dung văn bằng đã được chỉnh sửa:", "body")
        for correction in corrections:
            doc.paragraph(f"– {correction_note(correction)}.", "small")
    doc.spacer(6)
    doc.paragraph(
        f"Số vào sổ cấp bản sao: {copy.number_label}. Cấp ngày {vn_date(copy.issued_on)}, {copy.quantity} bản, "
        f"theo yêu cầu của {copy.requester_name} ({copy.get_relation_display().lower()}).",
        "body",
    )
    if check_url:
        doc.spacer(3)
        doc.story.append(check_block(check_url))
    doc.signer_block(issuer, on=copy.issued_on, signer=copy_signer(copy))
    return doc.build()


def copy_signer(copy: DiplomaCopy) -> tuple[str, str]:
    """Who signed the copy, as recorded when it was issued; a copy recorded before the signer was kept (blank
    fields) falls back to the issuer's current signer."""
    if copy.signer_title or copy.signer_name:
        return copy.signer_title, copy.signer_name
    return copy.issuer.signer_title, copy.issuer.signer_name


def copy_detail(copy: DiplomaCopy) -> str:
    """The audit log's words for a printed copy: its number, the book, the year, the issuer."""
    return (
        f"Bản sao từ sổ gốc số {copy.number_label} – {copy_book_title(copy.kind).capitalize()} năm {copy.year} – "
        f"{copy.issuer.name} (PDF)"
    )


def copy_filename(copy: DiplomaCopy) -> str:
    return f"ban-sao-{copy.number_label.replace('/', '-').lower()}.pdf"
