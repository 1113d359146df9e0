"""One diploma as printed on its blank (phôi văn bằng), with the QR code of its public check page.

DOMAIN (/work/shared/domain/exams-diplomas.md, TT21/2019): a THCS or THPT diploma, or a certificate of completion,
prints the nation's heading, the type, the authority that issues it, what it recognises, the holder (name, date
and place of birth, sex, ethnicity, school), the graduation year, "<place>, ngày … tháng … năm …" of the issue
date, the signer's title and name, the serial number (số hiệu) and the entry number (số vào sổ gốc cấp văn bằng).

``diploma_pdf``: A4 landscape, the packaged Vietnamese font, every string NFC (``sms.exports.pdf.text``), the
content as the register holds it now (a corrected diploma prints its corrected content and names the correction
decisions in small type), and — bottom left, beside the serial — the QR code of ``check_url`` (a token of this
printing: ``exams.services.portal_diplomas.print_check_url``) with the URL printed as text under the instructions.
Nothing here queries rows: the view hands over the diploma with its issuer and corrections.
"""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from sms.exports import fonts, pdf
from sms.exports.numbers import vn_date

from ..models import Diploma, DiplomaKind
from .register import MOTTO, NATION, _Document, check_block, decision_text

#: what each type recognises, under the authority's name
RECOGNISES = {
    DiplomaKind.THCS: "Công nhận tốt nghiệp trung học cơ sở",
    DiplomaKind.THPT: "Công nhận tốt nghiệp trung học phổ thông",
    DiplomaKind.COMPLETION: "Chứng nhận hoàn thành chương trình giáo dục phổ thông",
}
#: the widths of the holder's block (label, value), centred on the page
HOLDER_WIDTHS = (45 * mm, 130 * mm)


def _styles(doc: _Document) -> None:
    family = fonts.register()
    doc.styles.add(
        ParagraphStyle(
            "diploma_title", parent=doc.styles["title"], fontSize=22, leading=28, textColor=colors.HexColor("#8a1c1c")
        )
    )
    doc.styles.add(ParagraphStyle("diploma_line", parent=doc.styles["body"], fontSize=12, leading=17))
    doc.styles.add(ParagraphStyle("diploma_value", parent=doc.styles["diploma_line"], fontName=fonts.BOLD))
    doc.styles.add(ParagraphStyle("diploma_centre", parent=doc.styles["head_centre"], fontSize=12, leading=17))
    doc.styles.add(ParagraphStyle("diploma_small", fontName=family, fontSize=8.5, leading=11))


def diploma_pdf(diploma: Diploma, *, check_url: str) -> bytes:
    """The diploma on one A4 landscape page (``diploma`` with its issuer selected and its corrections in order)."""
    d = diploma
    issuer = d.issuer
    kind = DiplomaKind(d.kind)
    doc = _Document(
        f"{kind.label} số hiệu {d.serial} – {d.full_name}",
        page_size=landscape(A4),
        margins_mm=12,
        footer=f"{kind.label} số hiệu {d.serial}",
    )
    _styles(doc)
    doc.story.append(Paragraph(f"{pdf.text(NATION)}<br/><u>{pdf.text(MOTTO)}</u>", doc.styles["diploma_centre"]))
    doc.spacer(4)
    doc.story.append(Paragraph(pdf.text(kind.label.upper()), doc.styles["diploma_title"]))
    doc.paragraph(issuer.name.upper(), "diploma_centre")
    doc.paragraph(RECOGNISES[kind], "italic_centre")
    doc.spacer(3)

    holder = [
        ("Cho", d.full_name),
        ("Ngày sinh", vn_date(d.birth_date)),
        ("Nơi sinh", d.birthplace or "—"),
        ("Giới tính", d.get_sex_display()),
        ("Dân tộc", d.ethnicity or "—"),
        ("Học sinh trường", d.school_name or "—"),
        ("Năm tốt nghiệp", str(d.graduation_year)),
    ]
    table = Table(
        [[doc.p(f"{label}:", "diploma_line"), doc.p(value, "diploma_value")] for label, value in holder],
        colWidths=list(HOLDER_WIDTHS),
    )
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), fonts.register()),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    table.hAlign = "CENTER"
    doc.story.append(table)
    doc.spacer(4)

    # bottom: the serial, the entry number and the QR code on the left; the place, date and signer on the right
    left = [
        doc.p(f"Số hiệu: {d.serial}", "diploma_line"),
        doc.p(f"Số vào sổ gốc cấp văn bằng: {d.entry_label}", "diploma_line"),
        doc.p(f"Theo quyết định công nhận: {decision_text(d)}", "diploma_small"),
    ]
    for correction in d.corrections.all():
        decision = f"số {correction.decision_number} ngày {vn_date(correction.decision_date)}"
        left.append(doc.p(f"Đã chỉnh sửa theo quyết định {decision}.", "diploma_small"))
    left += [Spacer(1, 3 * mm), check_block(check_url)]
    place = issuer.place_name or "……………"
    on = d.issued_on
    right = [
        doc.p(f"{place}, ngày {on:%d} tháng {on:%m} năm {on:%Y}", "italic_centre"),
        doc.p(d.signer_title.upper(), "diploma_centre"),
        Spacer(1, 24 * mm),
        doc.p(d.signer_name, "diploma_centre"),
    ]
    doc.story.append(doc.plain_table([[left, right]], [50, 50]))
    return doc.build()


def diploma_filename(diploma: Diploma) -> str:
    """ "van-bang-thcs-a-0000123.pdf"."""
    serial = "-".join(diploma.serial.lower().replace("/", "-").replace(".", "-").split())
    return f"van-bang-{diploma.kind}-{serial}.pdf"


def diploma_detail(diploma: Diploma) -> str:
    """The audit log's words for a printed diploma."""
    return f"{DiplomaKind(diploma.kind).label} số hiệu {diploma.serial} – {diploma.issuer.name} (PDF có mã QR kiểm tra)"
