"""Importing a spreadsheet, the one way: upload → dry-run preview → confirm.

A module plugs in an :class:`Importer` (its columns, how one row is checked, how the checked
rows are written) and gets the pages::

    class StudentImport(ImportFlowView):
        model = Student                 # the door decides who may import (its writers)
        importer_class = StudentImporter
        template_url_name = "students:student-import-template"

    path("nhap/", StudentImport.as_view(), name="student-import"),
    path("nhap/mau.xlsx", ImportTemplateView.as_view(importer_class=StudentImporter, model=Student), ...)

The guarantees: the preview writes nothing and lists every bad row with its Excel row
number and column; the confirm checks the whole file again and writes it, and whatever the
importer keeps alongside (``finish``: the login slips), in ONE transaction only when no row
is bad (a bad row never corrupts what is already stored). A write that fails anyway (a row
changed by somebody else in between) rolls everything back and shows the preview again with
"Chưa lưu gì", never an error page. The importer upserts on natural keys, so confirming the
same file twice changes nothing. The uploaded sheet is kept as a private
:class:`~sms.files.models.StoredFile` (purpose ``"import"``) for 24 hours between preview
and confirm; the confirm form carries only its id, which is fetched back through the door,
and only the uploader's own, unexpired sheet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import render
from django.utils import timezone
from django.views import generic

from sms.accounts.scoping import get_visible_or_404, visible_to
from sms.exports import xlsx
from sms.files.validators import validate_upload
from sms.text import nfc
from sms.views import ActorMixin

#: an uploaded sheet is kept this long for its confirm
UPLOAD_KEEP = timedelta(hours=24)


# --- reading cells ---------------------------------------------------------------------------------


def cell_text(value) -> str:
    """A cell as NFC text with its spaces collapsed ("" for an empty cell; 12.0 read as "12")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(nfc(str(value)).split())


def cell_date(value) -> dt.date | None:
    """A date cell, or text dd/mm/yyyy; None when empty; raises ValueError otherwise."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.datetime.strptime(cell_text(value), "%d/%m/%Y").date()


class Status:
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    ERROR = "error"

    LABELS: ClassVar[dict[str, str]] = {
        "new": "Thêm mới",
        "updated": "Cập nhật",
        "unchanged": "Không đổi",
        "error": "Lỗi",
    }


#: a row's status as choices (the import APIs' schema names them ImportRowStatusEnum)
STATUS_CHOICES = list(Status.LABELS.items())


@dataclass(frozen=True)
class Column:
    header: str
    required: bool = False
    width: float = 20
    help: str = ""
    text: bool = False  # kept as text in the template (leading zeros of an ID)


@dataclass
class RowResult:
    """One checked row: its Excel row number, what the confirm would do, and why not."""

    number: int
    values: dict[str, Any]
    status: str = Status.NEW
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)  # what ``apply`` needs

    def error(self, column: str | None, message: str) -> None:
        where = f"Dòng {self.number}" + (f", cột “{column}”" if column else "")
        self.errors.append(f"{where}: {message}")
        self.status = Status.ERROR

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def status_label(self) -> str:
        return Status.LABELS[self.status]


@dataclass
class Preview:
    rows: list[RowResult]
    errors: list[str] = field(default_factory=list)  # errors of the whole file (missing columns)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows) and all(r.ok for r in self.rows)

    @property
    def bad_rows(self) -> list[RowResult]:
        return [r for r in self.rows if not r.ok]

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def counts(self) -> dict[str, int]:
        return {label: self.count(status) for status, label in Status.LABELS.items()}


class Importer:
    """What a module plugs into the flow. Subclasses set ``title``, ``columns`` and
    ``template_filename`` and implement ``check`` (no writes) and ``apply``."""

    title: str = "Nhập dữ liệu"
    columns: ClassVar[list[Column]] = []
    template_filename: str = "mau-nhap.xlsx"
    sheet_title: str = "Dữ liệu"
    max_rows: int = 5000

    def __init__(self, actor, request=None):
        self.actor = actor
        self.request = request

    # --- the template -------------------------------------------------------------------------

    def template(self) -> bytes:
        book = xlsx.Workbook()
        sheet = book.sheet(self.sheet_title, [(c.header, c.width) for c in self.columns])
        for index, column in enumerate(self.columns, start=1):
            if column.text:
                letter = sheet.ws.cell(row=1, column=index).column_letter
                for row in range(2, 502):
                    sheet.ws[f"{letter}{row}"].number_format = "@"
        guide = book.sheet("Hướng dẫn", [("Cột", 28), ("Bắt buộc", 10), ("Ghi chú", 80)])
        for column in self.columns:
            guide.row([column.header, "Có" if column.required else "Không", column.help])
        return book.save()

    # --- reading and checking -----------------------------------------------------------------

    def read(self, data: bytes) -> Preview:
        too_many = f"Tệp có quá {self.max_rows} dòng; hãy chia thành nhiều tệp."
        unreadable = "Không đọc được tệp. Hãy dùng tệp Excel (.xlsx) theo mẫu."
        try:
            headers = set(self._headers(data))
            # bounded (xlsx.iter_sheet): the header, then room for ``max_rows`` rows and as many blank ones
            rows = list(xlsx.read_rows(data, max_row=2 * self.max_rows + 1))
        except xlsx.TooManyRows:
            return Preview(rows=[], errors=[too_many])
        except xlsx.WorkbookRejected as refused:  # not a workbook, a zip bomb, too many sheets
            return Preview(rows=[], errors=[unreadable if refused.message == xlsx.NOT_XLSX else refused.message])
        except Exception:  # openpyxl raises many kinds for a file that is not xlsx
            return Preview(rows=[], errors=[unreadable])
        missing = [c.header for c in self.columns if c.required and c.header not in headers]
        if missing:
            return Preview(rows=[], errors=[f"Tệp thiếu cột: {', '.join('“' + m + '”' for m in missing)}."])
        if not rows:
            return Preview(rows=[], errors=["Tệp không có dòng dữ liệu nào."])
        if len(rows) > self.max_rows:
            return Preview(rows=[], errors=[too_many])
        return Preview(rows=[RowResult(number=n, values=v) for n, v in rows])

    @staticmethod
    def _headers(data: bytes) -> list[str]:
        book = xlsx.open_upload(data, data_only=False)
        try:
            rows = xlsx.iter_sheet(book.worksheets[0], max_row=1, max_col=xlsx.MAX_COLUMNS, strict=False)
            first = next(rows, ())
        finally:
            book.close()
        return [nfc(str(h)).strip() for h in first if h is not None]

    def cells(self, row: RowResult) -> list[Any]:
        """The row's values in the order of ``columns``, "" for an empty or missing cell: the
        preview table's cells, looked up once each (not by scanning the row for every column)."""
        values = row.values
        return ["" if (value := values.get(column.header)) is None else value for column in self.columns]

    def preview(self, data: bytes) -> Preview:
        """Check every row; nothing is written."""
        preview = self.read(data)
        if preview.errors:
            return preview
        self.check(preview.rows)
        return preview

    def check(self, rows: list[RowResult]) -> None:  # pragma: no cover - abstract
        """Fill each row's status, errors and data. Must not write anything."""
        raise NotImplementedError

    def apply(self, preview: Preview) -> Any:  # pragma: no cover - abstract
        """Write the checked rows (called inside one transaction, only when the preview is ok)."""
        raise NotImplementedError

    def finish(self, result: Any, preview: Preview) -> dict[str, Any]:
        """Inside the same transaction, after ``apply``: keep what goes with the rows (a
        failure here rolls the rows back too) and give extra context for the result page."""
        return {}


class UploadForm(forms.Form):
    file = forms.FileField(label="Tệp Excel (.xlsx)")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise ValidationError("Hãy chọn tệp Excel có đuôi .xlsx (tải mẫu ở trên).")
        validate_upload(upload, allowed=("xlsx",))  # the content too: a real workbook, within the size limit
        return upload


class ImportFlowView(ActorMixin, generic.TemplateView):
    """GET: the upload form. POST with a file: store it, preview. POST ``confirm`` with the
    stored file's id: check again and write everything in one transaction, or nothing."""

    model = None  # the model whose writers may import (ActorMixin's required_action)
    required_action = "add"
    importer_class: type[Importer] = Importer
    template_name = "imports/upload.html"
    preview_template_name = "imports/preview.html"
    result_template_name = "imports/result.html"
    template_url_name: str = ""

    def get_importer(self) -> Importer:
        return self.importer_class(self.actor, self.request)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        importer = self.get_importer()
        context.update(importer=importer, title=importer.title, template_url_name=self.template_url_name)
        context.setdefault("form", UploadForm())
        preview = context.get("preview")
        if isinstance(preview, Preview):
            # the preview table, built here in one pass: each row with its cells in column order
            context.setdefault("preview_table", [(row, importer.cells(row)) for row in preview.rows])
        return context

    def render_page(self, template: str, status: int = 200, **context):
        return render(self.request, template, self.get_context_data(**context), status=status)

    def stored_upload(self, pk):
        """The uploaded sheet, through the door, and only the uploader's own."""
        from sms.files.models import StoredFile

        files = visible_to(self.actor, StoredFile).filter(
            purpose="import", uploaded_by=self.actor.user, expires_at__gt=timezone.now()
        )
        return get_visible_or_404(self.actor, files, pk)

    def post(self, request, *args, **kwargs):
        if "confirm" in request.POST:
            return self.confirm(self.stored_upload(request.POST.get("upload")))
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_page(self.template_name, status=400, form=form)
        from sms.files.models import StoredFile

        try:
            stored = StoredFile.store(
                unit=self.actor.unit,
                uploaded_by=self.actor.user,
                content=form.cleaned_data["file"],
                name=form.cleaned_data["file"].name,
                purpose="import",
                content_type=xlsx.CONTENT_TYPE,
                expires_at=timezone.now() + UPLOAD_KEEP,
            )
        except ValidationError as error:
            form.add_error("file", error.message_dict.get("file", error.messages))
            return self.render_page(self.template_name, status=400, form=form)
        preview = self.get_importer().preview(stored.read_bytes())
        return self.render_page(self.preview_template_name, preview=preview, upload=stored)

    def confirm(self, stored):
        """Check again and write, in one transaction; on any refusal nothing is kept."""
        importer = self.get_importer()
        data = stored.read_bytes()
        try:
            with transaction.atomic():
                preview = importer.preview(data)
                if not preview.ok:
                    raise _Refused(preview)
                result = importer.apply(preview)
                extra = importer.finish(result, preview)
        except _Refused as refusal:
            return self.refuse(stored, "tệp còn dòng lỗi. Hãy sửa tệp rồi tải lên lại.", refusal.preview)
        except ValidationError as error:
            return self.refuse(stored, " ".join(error.messages) or "dữ liệu không hợp lệ.")
        except IntegrityError:
            return self.refuse(
                stored,
                "dữ liệu vừa bị người khác thay đổi trong lúc lưu (ví dụ một tên đăng nhập, số định danh "
                "hoặc hộp thư vừa được dùng). Hãy xem lại kết quả kiểm tra dưới đây rồi xác nhận lại.",
            )
        except OSError:
            return self.refuse(stored, "không ghi được tệp kèm theo. Hãy thử lại sau ít phút.")
        return self.render_page(self.result_template_name, preview=preview, result=result, **extra)

    def refuse(self, stored, reason: str, preview: Preview | None = None):
        """Nothing was kept: say so, and show the file checked against what is stored now."""
        message = f"Chưa lưu gì: {reason}"
        messages.error(self.request, message)
        if preview is None:
            preview = self.get_importer().preview(stored.read_bytes())
        return self.render_page(self.preview_template_name, status=400, preview=preview, upload=stored)


class _Refused(Exception):
    """The re-check inside the confirm's transaction found a bad row: roll back, write nothing."""

    def __init__(self, preview: Preview):
        super().__init__("the file has bad rows")
        self.preview = preview


class ImportTemplateView(ActorMixin, generic.View):
    """The importer's blank template (.xlsx) with a guide sheet."""

    model = None
    required_action = "add"
    importer_class: type[Importer] = Importer

    def get(self, request, *args, **kwargs):
        importer = self.importer_class(self.actor, request)
        return xlsx.response(importer.template(), importer.template_filename)
