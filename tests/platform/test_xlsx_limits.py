"""Reading uploaded workbooks is bounded: the zip is checked before openpyxl opens it (not a zip, too big
once unpacked, a zip bomb, too many sheets), a sheet's declared dimension is not trusted (a 5 KB file
declaring A1:XFD1048576), and rows / columns stop at a limit, with data after the limit refused."""

from __future__ import annotations

import io
import re
import zipfile
from typing import ClassVar

import pytest
from openpyxl import Workbook, load_workbook

from sms.accounts.resources import EMAIL, NAME, PERSONAL_ID, PHONE, ROLE, UNIT, USERNAME
from sms.accounts.roles import Role
from sms.exports import xlsx
from sms.imports import Column, Importer
from tests.world import web_client

IMPORT = "/tai-khoan/nhap/"
BOMB = "Tệp có nội dung nén bất thường (nghi là “bom nén”); hệ thống không đọc tệp này."


def book(rows: list[list], title: str = "Dữ liệu") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def inflate(data: bytes, *, sheet: int = 1, rows_declared: int = 1048576, far_text: str = "z") -> bytes:
    """The workbook with sheet ``sheet`` declaring A1:XFD<rows_declared> and holding one more cell
    on that last row (what /tmp/rev6/bomb.py does: a few KB that openpyxl would pad to millions of
    cells), and a cell in column XFD of the first row."""
    zin = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            content = zin.read(item.filename)
            if item.filename == f"xl/worksheets/sheet{sheet}.xml":
                text = content.decode()
                text = re.sub(r'<dimension ref="[^"]+" ?/>', f'<dimension ref="A1:XFD{rows_declared}"/>', text)
                text = text.replace(
                    "</sheetData>",
                    f'<row r="{rows_declared}"><c r="A{rows_declared}" t="inlineStr"><is><t>{far_text}</t></is></c>'
                    "</row></sheetData>",
                )
                content = text.encode()
            zout.writestr(item, content)
    return out.getvalue()


def with_member(data: bytes, name: str, content: bytes) -> bytes:
    """The workbook with one more zip member (deflated)."""
    zin = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item, zin.read(item.filename))
        zout.writestr(name, content)
    return out.getvalue()


def zip_bomb(data: bytes) -> bytes:
    """5 MB of zeros packed to a few KB (ratio ≈ 1000), well under the size cap."""
    return with_member(data, "xl/media/image1.bin", b"\0" * (5 * 1024 * 1024))


# --- the archive ---------------------------------------------------------------------------------------


def test_not_a_zip_is_refused():
    with pytest.raises(xlsx.WorkbookRejected) as refused:
        xlsx.check_archive(b"<html>not a workbook</html>")
    assert refused.value.message == xlsx.NOT_XLSX
    with pytest.raises(xlsx.WorkbookRejected):
        list(xlsx.read_rows(b"PK\x03\x04 truncated"))


def test_a_plain_workbook_passes():
    xlsx.check_archive(book([["Họ và tên"], ["An"]]))


def test_unpacked_size_is_capped_by_the_setting(settings):
    data = book([["Họ và tên"], ["An"]])
    settings.SMS_XLSX_MAX_UNPACKED_BYTES = 2 * 1024 * 1024
    xlsx.check_archive(data)
    settings.SMS_XLSX_MAX_UNPACKED_BYTES = 1000
    with pytest.raises(xlsx.WorkbookRejected, match="quá lớn khi giải nén"):
        xlsx.check_archive(data)


def test_a_zip_bomb_member_is_refused():
    with pytest.raises(xlsx.WorkbookRejected) as refused:
        xlsx.check_archive(zip_bomb(book([["Họ và tên"], ["An"]])))
    assert refused.value.message == BOMB


def test_too_many_worksheets_are_refused():
    wb = Workbook()
    for number in range(xlsx.MAX_SHEETS):
        wb.create_sheet(f"T{number}")
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(xlsx.WorkbookRejected, match=f"quá {xlsx.MAX_SHEETS} trang tính"):
        xlsx.check_archive(out.getvalue())


# --- the rows ------------------------------------------------------------------------------------------


def test_a_declared_dimension_is_not_trusted():
    data = inflate(book([["Họ và tên", "Lớp"], ["An", "6A1"], ["Bình", "6A2"]]))
    # openpyxl alone believes the file: a million rows, 16,384 columns
    ws = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    assert (ws.max_row, ws.max_column) == (1048576, 16384)

    rows = list(xlsx.iter_sheet(ws, max_row=50, max_col=4))
    assert len(rows) <= 50
    assert {len(r) for r in rows} == {4}
    assert rows[:3] == [("Họ và tên", "Lớp", None, None), ("An", "6A1", None, None), ("Bình", "6A2", None, None)]
    assert list(xlsx.read_rows(data)) == [
        (2, {"Họ và tên": "An", "Lớp": "6A1"}),
        (3, {"Họ và tên": "Bình", "Lớp": "6A2"}),
    ]


def test_data_after_the_last_row_allowed_is_refused():
    data = book([["Họ và tên"], *([f"Học sinh {n}"] for n in range(30))], title="Danh sách")
    with pytest.raises(xlsx.TooManyRows, match="Trang “Danh sách” có quá 10 dòng"):
        list(xlsx.read_rows(data, max_row=10))
    assert len(list(xlsx.read_rows(data, max_row=31))) == 30
    # data a little after the limit, beyond blank rows, is seen too
    near = inflate(book([["Họ và tên"], ["An"]]), rows_declared=40)
    with pytest.raises(xlsx.TooManyRows):
        list(xlsx.read_rows(near, max_row=10))


def test_only_the_first_rows_when_not_strict():
    data = book([["Họ và tên"], *([f"Học sinh {n}"] for n in range(30))])
    ws = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    assert list(xlsx.iter_sheet(ws, max_row=1, max_col=2, strict=False)) == [("Họ và tên", None)]


# --- an importer ---------------------------------------------------------------------------------------


class NameImporter(Importer):
    columns: ClassVar[list[Column]] = [Column("Họ và tên", required=True), Column("Lớp")]
    max_rows = 3

    def check(self, rows):
        for row in rows:
            row.data = dict(row.values)


def test_importer_reads_a_bomb_like_file_within_bounds():
    data = inflate(book([["Họ và tên", "Lớp"], ["An", "6A1"], ["Bình", "6A2"]]))
    preview = NameImporter(actor=None).preview(data)
    assert preview.errors == []
    assert [(r.number, r.values) for r in preview.rows] == [
        (2, {"Họ và tên": "An", "Lớp": "6A1"}),
        (3, {"Họ và tên": "Bình", "Lớp": "6A2"}),
    ]


def test_importer_refusals_keep_their_messages():
    importer = NameImporter(actor=None)
    too_many = ["Tệp có quá 3 dòng; hãy chia thành nhiều tệp."]
    # many rows: refused while reading (nothing after row 2 × 3 + 1 is read)
    assert importer.preview(book([["Họ và tên"], *([f"HS {n}"] for n in range(50))])).errors == too_many
    # a few too many: refused after reading, as before
    assert importer.preview(book([["Họ và tên"], *([f"HS {n}"] for n in range(5))])).errors == too_many
    assert importer.preview(b"not a workbook").errors == ["Không đọc được tệp. Hãy dùng tệp Excel (.xlsx) theo mẫu."]
    assert importer.preview(zip_bomb(book([["Họ và tên"], ["An"]]))).errors == [BOMB]
    assert importer.preview(book([["Lớp"], ["6A1"]])).errors == ["Tệp thiếu cột: “Họ và tên”."]


# --- the import flow ------------------------------------------------------------------------------------


def upload(client, data: bytes):
    file = io.BytesIO(data)
    file.name = "tai-khoan.xlsx"
    return client.post(IMPORT, {"file": file})


@pytest.mark.django_db
def test_the_import_flow_shows_the_refusal_not_an_error_page(world):
    principal = web_client(world.a.m(Role.PRINCIPAL))
    headers = [NAME, USERNAME, EMAIL, PERSONAL_ID, PHONE, UNIT, ROLE]
    good = book([headers, ["Trần Thị Mai", "mai.tt", "", "", "", "C2A", "Văn thư"]])

    response = upload(principal, zip_bomb(good))
    assert response.status_code == 200
    assert response.context["preview"].errors == [BOMB]

    response = upload(principal, inflate(good))
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview.errors == []
    assert [r.number for r in preview.rows] == [2]
