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

Reading an uploaded workbook is bounded: ``check_archive`` looks at the zip before openpyxl
loads anything (not a zip, too big once unpacked, a zip bomb, too many sheets: refused with
a Vietnamese message), and ``iter_sheet`` reads a read-only sheet with its declared dimension
ignored (a 5 KB file may declare A1:XFD1048576) and stops after ``max_row`` rows and
``max_col`` columns. Everything that opens an upload calls ``check_archive`` first (``open_upload``
does both: the check, then openpyxl in read-only mode).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from django.conf import settings
from openpyxl import Workbook as _Workbook
from openpyxl import load_workbook
from openpyxl.cell.read_only import EMPTY_CELL
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
        #: the number of the last row written (the header's is 1): ``row`` writes the next one
        self.last_row = 0
        if headers:
            self.ws.append(headers)
            self.last_row = 1
            for cell in self.ws[1]:
                cell.font = Font(bold=True)
                cell.fill = HEADER_FILL
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            self.ws.freeze_panes = "A2"

    def row(self, values: Iterable) -> Sheet:
        # cell by cell at a row number kept here: openpyxl's ``max_row`` (and ``ws[n]``, which
        # reads ``max_column``) looks at every cell of the sheet, so a row written through them
        # costs as much as the rows before it (a 20,000-row export took minutes)
        self.last_row += 1
        for column, raw in enumerate(values, start=1):
            cell = self.ws.cell(row=self.last_row, column=column)
            cell.value = cell_value(raw)
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


# --- reading uploads, bounded ---------------------------------------------------------------------

#: the default cap on a workbook's total unpacked size (setting ``SMS_XLSX_MAX_UNPACKED_BYTES``)
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
#: a member bigger than ``RATIO_FLOOR`` unpacked may not be more than ``MAX_RATIO`` times its packed size
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024
MAX_SHEETS = 60
MAX_MEMBERS = 2000
#: how many empty rows after ``max_row`` are looked at for a forgotten row with data
TAIL_ROWS = 1000
NOT_XLSX = "Không đọc được tệp. Hãy dùng tệp Excel (.xlsx)."


class WorkbookRejected(ValueError):
    """An upload refused before (or while) reading it; ``message`` is Vietnamese, for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TooManyRows(WorkbookRejected):
    """A sheet holds data after the last row allowed."""


def max_unpacked_bytes() -> int:
    return int(getattr(settings, "SMS_XLSX_MAX_UNPACKED_BYTES", MAX_UNPACKED_BYTES) or MAX_UNPACKED_BYTES)


def check_archive(data: bytes) -> None:
    """Refuse (``WorkbookRejected``) an upload openpyxl should not open: not a zip, more than
    the allowed size once unpacked, a member packed more than ``MAX_RATIO`` times, or more
    than ``MAX_SHEETS`` worksheets. Only the zip's directory is read (Python's zipfile never
    unpacks more than a member's declared size, so the declared sizes are upper bounds)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise WorkbookRejected(NOT_XLSX) from None
    if len(members) > MAX_MEMBERS:
        raise WorkbookRejected("Tệp có quá nhiều thành phần bên trong; hãy lưu lại bằng Excel rồi tải lên.")
    limit = max_unpacked_bytes()
    if sum(m.file_size for m in members) > limit:
        raise WorkbookRejected(
            f"Tệp quá lớn khi giải nén (quá {limit // (1024 * 1024)} MB); hãy bỏ bớt dữ liệu hoặc chia thành nhiều tệp."
        )
    for member in members:
        if member.file_size > RATIO_FLOOR and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise WorkbookRejected("Tệp có nội dung nén bất thường (nghi là “bom nén”); hệ thống không đọc tệp này.")
    sheets = [
        m
        for m in members
        if m.filename.startswith("xl/worksheets/") and m.filename.count("/") == 2 and m.filename.endswith(".xml")
    ]
    if len(sheets) > MAX_SHEETS:
        raise WorkbookRejected(f"Tệp có quá {MAX_SHEETS} trang tính; hãy bỏ bớt các trang không dùng.")


def open_upload(data: bytes, *, data_only: bool = True):
    """An uploaded workbook, read-only, after ``check_archive``. Raises ``WorkbookRejected``
    (a refused or unreadable file). The caller closes it."""
    check_archive(data)
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a file that is not xlsx
        raise WorkbookRejected(NOT_XLSX) from None


def _blank(values) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def iter_sheet(
    ws, *, max_row: int, max_col: int, min_row: int = 1, values_only: bool = True, strict: bool = True
) -> Iterator[tuple]:
    """The rows ``min_row``..``max_row`` of a read-only sheet, each exactly ``max_col`` cells
    (values, or cells with ``values_only=False``), whatever dimension the file declares.
    ``strict``: a row after ``max_row`` that holds anything is refused (``TooManyRows``: "quá N
    dòng"); empty rows after it are looked at for ``TAIL_ROWS`` more rows, then reading stops.
    Not ``strict``: reading stops at ``max_row`` (only the first rows are wanted)."""
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()  # the declared <dimension> is not trusted (it is what pads rows)
    last = max_row + TAIL_ROWS if strict else max_row
    filler = None if values_only else EMPTY_CELL
    number = min_row - 1
    for row in ws.iter_rows(min_row=min_row, max_row=last, max_col=max_col, values_only=values_only):
        number += 1
        row = tuple(row) + (filler,) * (max_col - len(row)) if len(row) < max_col else tuple(row)[:max_col]
        if number > max_row:
            if not _blank(c if values_only else c.value for c in row):
                title = nfc(getattr(ws, "title", "") or "")
                raise TooManyRows(
                    f"Trang “{title}” có quá {max_row} dòng; hãy bỏ bớt dữ liệu hoặc chia thành nhiều tệp."
                )
            continue
        yield row


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


#: ``read_rows``' defaults: rows (the header included) and columns read at most
MAX_ROWS = 20000
MAX_COLUMNS = 200


def read_rows(
    data: bytes, *, sheet: str | None = None, max_row: int = MAX_ROWS, max_col: int = MAX_COLUMNS
) -> Iterator[tuple[int, dict[str, object]]]:
    """Rows of the first (or named) sheet as ``(excel row number, {header: value})``; text NFC,
    dates formatted as dates (dd/mm/yyyy) as ``date``, blank rows skipped. The first row holds
    the headers. At most ``max_row`` rows (header included) and ``max_col`` columns are read;
    raises ``WorkbookRejected`` for a refused file or a sheet with data after ``max_row``."""
    book = open_upload(data)
    try:
        ws = book[sheet] if sheet else book.worksheets[0]
        rows = iter_sheet(ws, max_row=max_row, max_col=max_col, values_only=False)
        headers = [nfc(str(c.value)).strip() if c.value is not None else "" for c in next(rows, [])]
        while headers and not headers[-1]:
            headers.pop()
        for number, cells in enumerate(rows, start=2):
            values = [_read_value(c) for c in cells]
            if all(v is None or v == "" for v in values):
                continue
            yield number, {h: v for h, v in zip(headers, values, strict=False) if h}
    finally:
        book.close()


def response(data: bytes, filename: str):
    return attachment(data, filename, CONTENT_TYPE)
