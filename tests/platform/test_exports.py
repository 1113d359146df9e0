"""The export building blocks (sms.exports): Vietnamese PDFs, xlsx round trips, file responses."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from decimal import Decimal
from urllib.parse import unquote

import pypdf
import pytest
from openpyxl import load_workbook

from sms.exports import pdf, xlsx
from sms.exports.http import ascii_name, content_disposition
from sms.exports.numbers import vn_date, vn_decimal, vn_money

LINE = "Nguyễn Thị Hương – Điểm trung bình: 8,5"


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def is_nfc(text: str) -> bool:
    return unicodedata.is_normalized("NFC", text)


# --- PDF --------------------------------------------------------------------------------------


def build_pdf() -> bytes:
    doc = pdf.Document(nfd("Bảng điểm lớp 10A1"), author=nfd("Trường THPT Lương Văn Tụy"))
    doc.title_block(nfd("Bảng điểm lớp 10A1"))
    doc.paragraph(nfd(LINE))
    doc.table([[nfd("Họ và tên"), nfd("Điểm")], [nfd("Nguyễn Thị Hương"), vn_decimal(Decimal("8.5"))]])
    return doc.build()


def test_pdf_text_comes_back_exactly_in_nfc_from_decomposed_input():
    assert nfd(LINE) != LINE  # the input really is decomposed
    reader = pypdf.PdfReader(io.BytesIO(build_pdf()))
    lines = reader.pages[0].extract_text().splitlines()
    assert LINE in lines
    assert all(is_nfc(line) for line in lines)
    assert "Nguyễn Thị Hương" in lines and "8,5" in lines
    assert reader.metadata.title == "Bảng điểm lớp 10A1"
    assert reader.metadata.author == "Trường THPT Lương Văn Tụy"


def test_pdf_embeds_roboto_and_no_other_font():
    reader = pypdf.PdfReader(io.BytesIO(build_pdf()))
    fonts = [f.get_object() for f in reader.pages[0]["/Resources"]["/Font"].values()]
    names = {str(f["/BaseFont"]).split("+", 1)[-1] for f in fonts}
    assert names == {"Roboto-Regular", "Roboto-Bold"}
    for font in fonts:
        assert "/FontFile2" in font["/FontDescriptor"].get_object()  # the TrueType program is embedded
        assert "/ToUnicode" in font  # so text can be searched and copied


def test_pdf_escapes_markup_in_data():
    doc = pdf.Document("Thử")
    doc.paragraph("Lớp <b>10A1</b> & 10A2")
    text = pypdf.PdfReader(io.BytesIO(doc.build())).pages[0].extract_text()
    assert "Lớp <b>10A1</b> & 10A2" in text


def test_pdf_response_is_a_named_uncacheable_download():
    response = pdf.response(build_pdf(), "Bảng điểm 10A1.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="bang-diem-10a1.pdf"')
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content.startswith(b"%PDF-")


# --- xlsx -------------------------------------------------------------------------------------


def build_book() -> bytes:
    book = xlsx.Workbook()
    sheet = book.sheet(nfd("Danh sách: lớp 10A1"), [(nfd("Họ và tên"), 28), ("Ngày sinh", 12), ("Điểm TB", 8)])
    sheet.row([nfd("Nguyễn Thị Hương"), dt.date(2010, 5, 1), Decimal("8.5")])
    sheet.row(["Trần Văn Bình", dt.date(2010, 12, 31), Decimal("7.25")])
    sheet.row([None, None, None])
    sheet.row(['=HYPERLINK("http://evil.example","Bấm")', None, 9])
    return book.save()


def test_xlsx_round_trip_through_read_rows():
    rows = list(xlsx.read_rows(build_book()))
    assert rows[0] == (2, {"Họ và tên": "Nguyễn Thị Hương", "Ngày sinh": dt.date(2010, 5, 1), "Điểm TB": 8.5})
    assert rows[1][1]["Ngày sinh"] == dt.date(2010, 12, 31)
    assert type(rows[1][1]["Ngày sinh"]) is dt.date
    assert rows[1][1]["Điểm TB"] == pytest.approx(7.25)
    # the blank row is skipped, the numbering keeps Excel's row numbers
    assert [number for number, _ in rows] == [2, 3, 5]
    assert all(is_nfc(k) and (not isinstance(v, str) or is_nfc(v)) for _, row in rows for k, v in row.items())


def test_xlsx_cells_are_typed_with_vietnamese_formats():
    ws = load_workbook(io.BytesIO(build_book())).active
    assert ws.title == "Danh sách lớp 10A1"  # ":" is not allowed in a sheet title
    assert [c.value for c in ws[1]] == ["Họ và tên", "Ngày sinh", "Điểm TB"]
    assert is_nfc(ws["A2"].value) and ws["A2"].value == "Nguyễn Thị Hương"
    assert ws["B2"].is_date and ws["B2"].number_format == "dd/mm/yyyy"
    assert ws["B2"].value.date() == dt.date(2010, 5, 1)
    assert isinstance(ws["C2"].value, float) and ws["C2"].value == 8.5
    assert ws["C2"].number_format == "0.0"
    assert ws["A1"].font.b and ws.freeze_panes == "A2"


def test_xlsx_text_that_looks_like_a_formula_stays_text():
    ws = load_workbook(io.BytesIO(build_book())).active
    cell = ws["A5"]
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://evil.example","Bấm")'


def test_xlsx_rows_are_written_without_looking_at_the_whole_sheet(monkeypatch):
    """``Sheet.row`` keeps its own row number: openpyxl's ``max_row`` and ``max_column`` look at
    every cell of the sheet, and asking them for each row made a 20,000-row export quadratic
    (the exam results' xlsx took minutes)."""
    from openpyxl.worksheet.worksheet import Worksheet

    book = xlsx.Workbook()
    sheet = book.sheet("Danh sách", [("Mã", 8), ("Điểm", 8)])
    assert sheet.last_row == 1

    def whole_sheet(self):
        raise AssertionError("a row must not make the whole sheet be looked at")

    monkeypatch.setattr(Worksheet, "max_row", property(whole_sheet))
    monkeypatch.setattr(Worksheet, "max_column", property(whole_sheet))
    for n in range(3):
        sheet.row([f"=A{n}", Decimal(n) / 2])
    assert sheet.last_row == 4
    monkeypatch.undo()  # saving the book reads the sheet's size once
    ws = load_workbook(io.BytesIO(book.save())).active
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=2)] == [["=A0", 0], ["=A1", 0.5], ["=A2", 1]]
    assert ws["A4"].data_type == "s" and ws["B3"].number_format == "0.0"


def test_xlsx_datetimes_are_local_and_booleans_vietnamese():
    from django.utils import timezone

    book = xlsx.Workbook()
    sheet = book.sheet("Nhật ký", ["Thời điểm", "Đã duyệt"])
    moment = dt.datetime(2026, 1, 1, 1, 30, tzinfo=dt.UTC)  # 08:30 in Hà Nội
    sheet.row([moment, True])
    ws = load_workbook(io.BytesIO(book.save())).active
    assert ws["A2"].value == timezone.localtime(moment).replace(tzinfo=None) == dt.datetime(2026, 1, 1, 8, 30)
    assert ws["A2"].number_format == "dd/mm/yyyy hh:mm"
    assert ws["B2"].value == "Có"
    rows = list(xlsx.read_rows(book.save()))
    assert rows[0][1]["Thời điểm"] == dt.datetime(2026, 1, 1, 8, 30)  # a time of day stays a datetime


def test_xlsx_response_content_type():
    response = xlsx.response(build_book(), "Danh sách lớp 10A1.xlsx")
    assert response["Content-Type"] == xlsx.CONTENT_TYPE
    assert "filename*=UTF-8''" in response["Content-Disposition"]


# --- file names -------------------------------------------------------------------------------


def test_content_disposition_has_ascii_fallback_and_utf8_name():
    header = content_disposition(nfd("Điểm lớp 10A1/HK1.xlsx"))
    kind, fallback, star = (part.strip() for part in header.split(";"))
    assert kind == "attachment"
    assert fallback == 'filename="diem-lop-10a1hk1.xlsx"'
    assert fallback.isascii()
    assert star.startswith("filename*=UTF-8''") and star.isascii()
    assert "/" not in star  # percent-encoded, not a path separator
    assert unquote(star.removeprefix("filename*=UTF-8''")) == "Điểm lớp 10A1/HK1.xlsx"  # NFC
    assert content_disposition("Phiếu.pdf", inline=True).startswith('inline; filename="phieu.pdf"')


def test_ascii_fallback_cannot_break_out_of_the_header():
    name = ascii_name("bao-cao.pdf\"; filename*=UTF-8''x.exe")
    assert '"' not in name and ";" not in name and "'" not in name
    assert ascii_name("Đơn vị") == "don-vi"
    assert ascii_name("....") == "tep"


# --- numbers and dates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (Decimal("8.5"), 1, "8,5"),
        (Decimal("8.25"), 1, "8,3"),  # half up, as schools round
        (Decimal("8.35"), 1, "8,4"),
        (6.65, 1, "6,7"),  # a float is read as it prints, not as its binary value
        (10, 1, "10,0"),
        (Decimal("7.125"), 2, "7,13"),
        (None, 1, ""),
    ],
)
def test_vn_decimal(value, places, expected):
    assert vn_decimal(value, places) == expected


def test_vn_date_and_money():
    assert vn_date(dt.date(2026, 9, 5)) == "05/09/2026"
    assert vn_date(None) == ""
    assert vn_money(1250000) == "1.250.000"
    assert vn_money(None) == ""
