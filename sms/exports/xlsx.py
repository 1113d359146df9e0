"""xlsx building blocks (openpyxl): a header row, typed cells, Vietnamese display formats.

    from sms.exports import xlsx
    book = xlsx.Workbook()
    sheet = book.sheet("Danh sách", [("Họ và tên", 28), ("Ngày sinh", 12), ("Điểm TB", 8)])
    sheet.row(["Nguyễn Thị Hương", date(2010, 5, 1), Decimal("8.5")])
    return xlsx.response(book.save(), "danh-sach.xlsx")

Numbers stay numbers and dates stay dates (so Excel can sort and sum them); how they show
(8,5 and dd/mm/yyyy) follows the number formats set here and the reader's Excel locale.
Text is NFC. Reading a sheet back for imports is django-import-export's job (tablib);
``read_rows`` serves simple layouts.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from openpyxl import Workbook as _Workbook
from openpyxl import load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from sms.text import nfc

from .http import attachment

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
DECIMAL_FORMAT = "0.0"
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")


def cell_value(value):
    """A Python value as what openpyxl should store: NFC text, naive local datetimes."""
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        from django.utils import timezone

        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, bool):
        return "Có" if value else "Không"
    return value


class Sheet:
    def __init__(self, worksheet, columns: Sequence[tuple[str, float] | str]):
        self.ws = worksheet
        headers = []
        for index, column in enumerate(columns, start=1):
            title, width = (column, None) if isinstance(column, str) else column
            headers.append(nfc(title))
            self.ws.column_dimensions[get_column_letter(index)].width = width or max(10, len(title) + 2)
        if headers:
            self.ws.append(headers)
            for cell in self.ws[1]:
                cell.font = Font(bold=True)
                cell.fill = HEADER_FILL
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            self.ws.freeze_panes = "A2"

    def row(self, values: Iterable) -> Sheet:
        self.ws.append([cell_value(v) for v in values])
        for cell in self.ws[self.ws.max_row]:
            value = cell.value
            if cell.data_type == "f":
                # Text that starts with "=" (a name, a note typed by a user) stays text: openpyxl
                # would otherwise write it as a live formula (spreadsheet formula injection).
                cell.data_type = "s"
            elif isinstance(value, dt.datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(value, dt.date):
                cell.number_format = DATE_FORMAT
            elif isinstance(value, Decimal | float):
                cell.number_format = DECIMAL_FORMAT
        return self

    def rows(self, rows: Iterable[Iterable]) -> Sheet:
        for values in rows:
            self.row(values)
        return self


class Workbook:
    def __init__(self):
        self.book = _Workbook()
        self._first = True

    def sheet(self, title: str, columns: Sequence[tuple[str, float] | str]) -> Sheet:
        # Sheet titles: at most 31 characters, none of []:*?/\
        safe = "".join(ch for ch in nfc(title) if ch not in "[]:*?/\\")[:31] or "Sheet"
        if self._first:
            ws = self.book.active
            ws.title = safe
            self._first = False
        else:
            ws = self.book.create_sheet(safe)
        return Sheet(ws, columns)

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self.book.save(buffer)
        return buffer.getvalue()


def _read_value(cell):
    """A cell's value for imports: text NFC and trimmed, a date-only cell as a ``date``."""
    value = cell.value
    if isinstance(value, str):
        return nfc(value).strip()
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        number_format = (getattr(cell, "number_format", "") or "").lower()
        if "h" not in number_format and "s" not in number_format:
            return value.date()
    return value


def read_rows(data: bytes, *, sheet: str | None = None) -> Iterator[tuple[int, dict[str, object]]]:
    """Rows of the first (or named) sheet as ``(excel row number, {header: value})``; text NFC,
    dates formatted as dates (dd/mm/yyyy) as ``date``, blank rows skipped. The first row holds
    the headers."""
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        ws = book[sheet] if sheet else book.worksheets[0]
        rows = ws.iter_rows()
        headers = [nfc(str(c.value)).strip() if c.value is not None else "" for c in next(rows, [])]
        for number, cells in enumerate(rows, start=2):
            values = [_read_value(c) for c in cells]
            if all(v is None or v == "" for v in values):
                continue
            yield number, {h: v for h, v in zip(headers, values, strict=False) if h}
    finally:
        book.close()


def response(data: bytes, filename: str):
    return attachment(data, filename, CONTENT_TYPE)
