"""PDF building blocks: A4 documents in Vietnamese with the packaged font, text in NFC.

    from sms.exports import pdf
    doc = pdf.Document("Phiếu đăng nhập")
    doc.heading("Phiếu đăng nhập")
    doc.paragraph("Nguyễn Thị Hương – Điểm trung bình: 8,5")
    doc.table([["Họ và tên", "Điểm"], ["Nguyễn Thị Hương", "8,5"]])
    data = doc.build()                      # bytes
    return pdf.response(data, "phieu-dang-nhap.pdf")

Every string that reaches a flowable goes through ``sms.text.nfc`` (a name typed on a Mac
arrives decomposed and would otherwise print as a letter and a floating tone mark).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, StyleSheet1
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from sms.text import nfc

from . import fonts
from .http import attachment


def text(value) -> str:
    """A value as NFC text, escaped for reportlab's paragraph markup."""
    return escape(nfc("" if value is None else str(value)))


#: the check URL under a QR code: small, on one line, shrunk down to this size before widening
QR_URL_FONT_SIZE = 6.5
QR_URL_MIN_FONT_SIZE = 5


def qr_code(url: str, *, size: float = 24 * mm, caption: str = "") -> Flowable:
    """A QR code carrying ``url`` (reportlab's own encoder, error correction M), ``size`` wide,
    then ``caption`` if any, then ``url`` itself in small print on one line (a link in the PDF):
    a document's check page (``sms.portal.documents``), which people without a scanner type in.

    The URL is never broken across lines (it is typed back, and read back from the PDF): its
    line is as wide as it needs, at a size between 6.5 and 5 points."""
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.pdfbase.pdfmetrics import stringWidth

    family = fonts.register()
    url = nfc(url).strip()
    widget = QrCodeWidget(url, barLevel="M", barBorder=2)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(
        size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0], initialFontName=fonts.register()
    )
    drawing.add(widget)

    base = max(size, 40 * mm)
    font_size = QR_URL_FONT_SIZE
    while font_size > QR_URL_MIN_FONT_SIZE and stringWidth(url, family, font_size) > base:
        font_size -= 0.5
    width = max(base, stringWidth(url, family, font_size) + 2)
    url_style = ParagraphStyle(
        "qr-url", fontName=family, fontSize=font_size, leading=font_size + 1.5, alignment=TA_CENTER,
        splitLongWords=0,
    )  # fmt: skip
    link = escape(url, {'"': "&quot;"})
    rows: list[list] = [[drawing]]
    if caption and nfc(caption).strip() != url:
        style = ParagraphStyle("qr-caption", fontName=family, fontSize=7, leading=8.5, alignment=TA_CENTER)
        rows.append([Paragraph(text(caption), style)])
    rows.append([Paragraph(f'<link href="{link}">{text(url)}</link>', url_style)])
    table = Table(rows, colWidths=[width])
    table.setStyle(TableStyle([("ALIGN", (0, 0), (-1, -1), "CENTER"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 1), (-1, -1), 1),
                               ("BOTTOMPADDING", (0, 1), (-1, -1), 1),
                               ("FONTNAME", (0, 0), (-1, -1), family)]))  # fmt: skip
    return table


def stylesheet() -> StyleSheet1:
    family = fonts.register()
    sheet = StyleSheet1()
    sheet.add(ParagraphStyle("body", fontName=family, fontSize=11, leading=15))
    sheet.add(ParagraphStyle("small", parent=sheet["body"], fontSize=9, leading=12))
    sheet.add(
        ParagraphStyle(
            "title",
            parent=sheet["body"],
            fontName=fonts.BOLD,
            fontSize=15,
            leading=20,
            alignment=TA_CENTER,
            spaceAfter=6,
        )
    )
    sheet.add(
        ParagraphStyle(
            "heading", parent=sheet["body"], fontName=fonts.BOLD, fontSize=12, leading=16, spaceBefore=6, spaceAfter=4
        )
    )
    sheet.add(ParagraphStyle("centre", parent=sheet["body"], alignment=TA_CENTER))
    sheet.add(ParagraphStyle("cell", parent=sheet["body"], fontSize=10, leading=13))
    sheet.add(ParagraphStyle("cell_bold", parent=sheet["cell"], fontName=fonts.BOLD))
    return sheet


class Document:
    """An A4 document assembled from headings, paragraphs and tables, then ``build()``."""

    def __init__(self, title: str, *, author: str = "", margins_mm: float = 15):
        self.title = nfc(title)
        self.author = nfc(author)
        self.margin = margins_mm * mm
        self.styles = stylesheet()
        self.story: list = []

    @property
    def width(self) -> float:
        return A4[0] - 2 * self.margin

    def title_block(self, value: str) -> Document:
        self.story.append(Paragraph(text(value), self.styles["title"]))
        return self

    def heading(self, value: str) -> Document:
        self.story.append(Paragraph(text(value), self.styles["heading"]))
        return self

    def paragraph(self, value: str, style: str = "body") -> Document:
        self.story.append(Paragraph(text(value), self.styles[style]))
        return self

    def spacer(self, height_mm: float = 4) -> Document:
        self.story.append(Spacer(1, height_mm * mm))
        return self

    def table(
        self,
        rows: Sequence[Sequence],
        *,
        header: bool = True,
        col_widths: Sequence[float] | None = None,
        repeat_header: bool = True,
    ) -> Document:
        self.story.append(self.make_table(rows, header=header, col_widths=col_widths, repeat_header=repeat_header))
        return self

    def make_table(self, rows, *, header=True, col_widths=None, repeat_header=True) -> Table:
        cells = [
            [
                cell
                if not isinstance(cell, str | int | float | type(None))
                else Paragraph(text(cell), self.styles["cell_bold" if header and r == 0 else "cell"])
                for cell in row
            ]
            for r, row in enumerate(rows)
        ]
        widths = None
        if col_widths is not None:
            total = sum(col_widths)
            widths = [self.width * w / total for w in col_widths]
        table = Table(cells, colWidths=widths, repeatRows=1 if header and repeat_header else 0)
        style = [
            # reportlab's default cell font is Helvetica (no Vietnamese); cells given as other
            # flowables still get it set on the canvas, so name ours for every cell.
            ("FONTNAME", (0, 0), (-1, -1), fonts.register()),
            ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")))
        table.setStyle(TableStyle(style))
        return table

    def keep_together(self, flowables: Iterable) -> Document:
        self.story.append(KeepTogether(list(flowables)))
        return self

    def page_break(self) -> Document:
        self.story.append(PageBreak())
        return self

    def start_part(self, label: str) -> Document:
        """Start a part with its own page numbers ("Trang 2/3") and ``label`` in every footer —
        one learner's record book in a class's PDF. Call it first thing on the part's first page."""
        self.story.append(_PartStart(nfc(label)))
        return self

    def need(self, height_mm: float) -> Document:
        """Start a new page unless ``height_mm`` is left on this one."""
        self.story.append(CondPageBreak(height_mm * mm))
        return self

    def build(self) -> bytes:
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=self.margin,
            rightMargin=self.margin,
            topMargin=self.margin,
            bottomMargin=self.margin,
            title=self.title,
            author=self.author,
            lang="vi",
            # Start every page in Roboto: otherwise reportlab's Helvetica (no Vietnamese
            # glyphs, not embedded) is set up on each page and listed among its fonts.
            initialFontName=fonts.register(),
        )
        if any(isinstance(f, _PartStart) for f in self.story):
            doc.build(self.story, canvasmaker=_PartCanvas.maker(self.margin))
        else:
            doc.build(self.story or [Spacer(1, 1)], onFirstPage=self._footer, onLaterPages=self._footer)
        return buffer.getvalue()

    def _footer(self, canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(fonts.FAMILY, 8)
        canvas.drawRightString(A4[0] - self.margin, self.margin / 2, f"Trang {doc.page}")
        canvas.restoreState()


class _PartStart(Flowable):
    """Marks where a part starts; takes no room. Drawn on the part's first page."""

    def __init__(self, label: str):
        super().__init__()
        self.label = label

    def wrap(self, available_width, available_height):
        return (0, 0)

    def draw(self) -> None:
        self.canv.part_starts.append((self.canv.getPageNumber(), self.label))


class _PartCanvas(Canvas):
    """A canvas that keeps each page until the end, then writes every footer knowing where each
    part starts and ends ("Trang k/n" within the part, and its label)."""

    margin: float = 15 * mm

    @classmethod
    def maker(cls, margin: float):
        return type("PartCanvas", (cls,), {"margin": margin})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.part_starts: list[tuple[int, str]] = []
        self._pages: list[dict] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        starts = sorted(self.part_starts) or [(1, "")]
        for state in self._pages:
            self.__dict__.update(state)
            page = self.getPageNumber()
            begin, label = max(((p, lb) for p, lb in starts if p <= page), default=(1, ""))
            after = [p for p, _ in starts if p > begin]
            end = (after[0] - 1) if after else total
            self.setFont(fonts.FAMILY, 8)
            self.drawRightString(A4[0] - self.margin, self.margin / 2, f"Trang {page - begin + 1}/{end - begin + 1}")
            if label:
                self.drawString(self.margin, self.margin / 2, label)
            super().showPage()
        super().save()


def response(data: bytes, filename: str, *, inline: bool = False):
    """An HTTP response carrying a PDF, never cached by intermediaries."""
    return attachment(data, filename, "application/pdf", inline=inline)
