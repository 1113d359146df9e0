"""API of the register on paper and in Excel, the past-register import and the copy from the register.

The same rules as the HTML pages (``exams.views.register_reports``): an issuer or a copy the door does not show is a
404; a visible one whose register the actor does not keep (``selectors.may_keep_register``) is a 403 with a
Vietnamese ``detail``. The documents are built by ``exams.reports.register`` from rows that came through the door;
the import is ``exams.register_import.RegisterImporter``, the importer of the HTML page.

``extra_urlpatterns`` (under /api/exams/):

- ``api:issuer-register-pdf``       GET  issuers/<pk>/register/pdf/?kind=&year=       the book as PDF
- ``api:issuer-register-xlsx``      GET  issuers/<pk>/register/xlsx/?kind=&year=      the book and its copy book
- ``api:issuer-register-template``  GET  issuers/<pk>/register/import-template/       the import's template
- ``api:issuer-register-import``    POST issuers/<pk>/register/import/                multipart: file, dry_run
- ``api:diplomacopy-pdf``           GET  diploma-copies/<pk>/pdf/                     bản sao từ sổ gốc as PDF
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from sms.accounts.scoping import get_visible_or_404, visible_to
from sms.api.serializers import ImportCountsSerializer, ImportRowSerializer
from sms.api.viewsets import ScopedMixin
from sms.audit.models import EventKind
from sms.audit.services import record
from sms.exports import pdf, xlsx
from sms.files.validators import validate_upload
from sms.imports import Status

from ..models import Diploma, DiplomaCopy, DiplomaKind, Issuer
from ..register_import import MSG_COPY_NOT_KEEPER, MSG_NOT_KEEPER, RegisterImporter
from ..reports import register as reports
from ..selectors import may_keep_register
from ..services import portal_diplomas

PDF_RESPONSE = {(200, "application/pdf"): OpenApiTypes.BINARY}
XLSX_RESPONSE = {(200, xlsx.CONTENT_TYPE): OpenApiTypes.BINARY}
BOOK_PARAMS = [
    OpenApiParameter(
        "kind", str, enum=DiplomaKind.values, description="Loại văn bằng (mặc định: loại đầu tiên cơ quan cấp)."
    ),
    OpenApiParameter("year", int, description="Năm cấp (mặc định: năm gần nhất có văn bằng trong sổ)."),
]


class IssuerEndpoint(ScopedMixin, APIView):
    """An endpoint on one issuer's register (``pk``), for who keeps it."""

    queryset = Issuer.objects.select_related("unit")
    refusal = MSG_NOT_KEEPER

    def issuer(self, pk) -> Issuer:
        issuer = get_visible_or_404(self.actor, self.queryset, pk)
        if not may_keep_register(self.actor, issuer):
            raise PermissionDenied(self.refusal)
        return issuer

    def book(self, request, issuer: Issuer) -> tuple[str, int, list[Diploma]]:
        params = request.query_params
        try:
            kind, year = reports.chosen_book(
                issuer, params.get("kind"), params.get("year"), visible_to(self.actor, Diploma)
            )
        except reports.BadBook as bad:
            raise serializers.ValidationError({bad.field: [bad.message]}) from None
        rows = reports.register_rows(visible_to(self.actor, Diploma).filter(issuer=issuer, kind=kind, year=year))
        return kind, year, rows

    def exported(self, request, obj, detail: str) -> None:
        """A bulk export of people's records (or the import's template): logged like the HTML twin's."""
        record(EventKind.EXPORT, request=request, actor=self.actor, obj=obj, detail=detail)


class RegisterPdfApi(IssuerEndpoint):
    """Sổ gốc cấp văn bằng of one type and calendar year, as PDF (A4 landscape)."""

    http_method_names = ["get", "head", "options"]

    @extend_schema(parameters=BOOK_PARAMS, responses=PDF_RESPONSE)
    def get(self, request, pk):
        issuer = self.issuer(pk)
        kind, year, rows = self.book(request, issuer)
        self.exported(request, issuer, reports.book_detail(issuer, kind, year, "PDF"))
        data = reports.register_pdf(issuer, kind, year, rows)
        return pdf.response(data, reports.register_filename(issuer, kind, year, "pdf"))


class RegisterXlsxApi(IssuerEndpoint):
    """The same book as xlsx (one row per diploma; the copy book of that year as a second sheet)."""

    http_method_names = ["get", "head", "options"]

    @extend_schema(parameters=BOOK_PARAMS, responses=XLSX_RESPONSE)
    def get(self, request, pk):
        issuer = self.issuer(pk)
        kind, year, rows = self.book(request, issuer)
        self.exported(request, issuer, reports.book_detail(issuer, kind, year, "xlsx, kèm sổ cấp bản sao"))
        copies = list(
            visible_to(self.actor, DiplomaCopy)
            .filter(issuer=issuer, kind=kind, year=year)
            .select_related("diploma", "diploma__revocation")
            .order_by("number", "pk")
        )
        data = reports.register_xlsx(issuer, kind, year, rows, copies)
        return xlsx.response(data, reports.register_filename(issuer, kind, year, "xlsx"))


class RegisterTemplateApi(IssuerEndpoint):
    """The past-register import's template (.xlsx, with its guide sheet)."""

    http_method_names = ["get", "head", "options"]

    @extend_schema(responses=XLSX_RESPONSE)
    def get(self, request, pk):
        issuer = self.issuer(pk)
        importer = RegisterImporter(self.actor, request, issuer=issuer)
        self.exported(request, issuer, importer.template_detail)
        return xlsx.response(importer.template(), importer.template_filename)


class RegisterImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="Tệp .xlsx theo mẫu nhập sổ gốc (hoặc tệp Excel xuất từ sổ gốc).")
    dry_run = serializers.BooleanField(required=False, default=True, help_text="Chỉ kiểm tra, không lưu (mặc định).")


class ImportBookSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DiplomaKind.choices)
    kind_display = serializers.CharField()
    year = serializers.IntegerField()
    last_number = serializers.IntegerField(help_text="Số vào sổ lớn nhất của sổ này trong tệp.")


class ImportSavedSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Số văn bằng đã ghi vào sổ.")
    unchanged = serializers.IntegerField(help_text="Số dòng đã có trong sổ, không đổi.")
    books = ImportBookSerializer(many=True)


class RegisterImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    ok = serializers.BooleanField(help_text="Tệp không có lỗi nào.")
    saved = serializers.BooleanField(help_text="Đã lưu (chỉ khi xác nhận và tệp không có lỗi).")
    errors = serializers.ListField(child=serializers.CharField(), help_text="Mọi lỗi: của cả tệp và của từng dòng.")
    counts = ImportCountsSerializer()
    result = ImportSavedSerializer(allow_null=True)
    rows = ImportRowSerializer(many=True)


def _column_errors(row, columns) -> dict[str, list[str]]:
    """A row's errors by column header (``RowResult.error`` writes "Dòng n, cột “X”: …")."""
    out: dict[str, list[str]] = {}
    for message in row.errors:
        for column in columns:
            prefix = f"Dòng {row.number}, cột “{column.header}”: "
            if message.startswith(prefix):
                out.setdefault(column.header, []).append(message[len(prefix) :])
                break
    return out


class RegisterImportApi(IssuerEndpoint):
    """Nhập sổ gốc đã có (multipart: ``file``, ``dry_run``). A dry run writes nothing and lists every row (its Excel
    row, status, errors by column); a confirm (``dry_run=false``) checks the file again and writes every new entry in
    one transaction — or, when any row is bad, nothing (400 with every error). The same file twice changes nothing."""

    http_method_names = ["post", "options"]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": RegisterImportSerializer},
        responses={200: RegisterImportResultSerializer, 400: RegisterImportResultSerializer},
    )
    def post(self, request, pk):
        issuer = self.issuer(pk)
        data = RegisterImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        validate_upload(upload, allowed=("xlsx",))
        content = upload.read()
        dry_run = data.validated_data["dry_run"]
        importer = RegisterImporter(self.actor, request, issuer=issuer)
        refused: list[str] = []
        result = None
        try:
            with transaction.atomic():
                preview = importer.preview(content)
                if preview.ok and not dry_run:
                    result = importer.apply(preview)
        except DjangoValidationError as error:
            refused = ["Chưa lưu gì: " + " ".join(error.messages)]
        except IntegrityError:
            refused = ["Chưa lưu gì: sổ gốc vừa bị người khác thay đổi trong lúc lưu. Hãy kiểm tra thử lại tệp."]
        if refused:
            result = None
            preview = importer.preview(content)
        ok = preview.ok and not refused
        body = {
            "dry_run": dry_run,
            "ok": ok,
            "saved": result is not None,
            "errors": refused + preview.errors + [e for r in preview.bad_rows for e in r.errors],
            "counts": {name: preview.count(name) for name in Status.LABELS},
            "result": result,
            "rows": [
                {
                    "row": r.number,
                    "status": r.status,
                    "status_display": r.status_label,
                    "errors": r.errors,
                    "column_errors": _column_errors(r, importer.columns),
                    "notes": r.notes,
                }
                for r in preview.rows
            ],
        }
        return Response(body, status=status.HTTP_200_OK if ok else status.HTTP_400_BAD_REQUEST)


class CopyPdfApi(ScopedMixin, APIView):
    """Bản sao văn bằng từ sổ gốc of one copy, as PDF, for the register's keepers (a copy made before the diploma was
    revoked prints under the revocation)."""

    queryset = DiplomaCopy.objects.select_related(
        "issuer", "issuer__unit", "diploma", "diploma__issuer", "diploma__revocation"
    ).prefetch_related("diploma__corrections")
    http_method_names = ["get", "head", "options"]

    @extend_schema(responses=PDF_RESPONSE)
    def get(self, request, pk):
        copy = get_visible_or_404(self.actor, self.queryset, pk)
        if not may_keep_register(self.actor, copy.issuer):
            raise PermissionDenied(MSG_COPY_NOT_KEEPER)
        with transaction.atomic():  # the printing's QR token (the diploma's check page) only if the PDF was built
            check_url = portal_diplomas.print_check_url(self.actor, copy.diploma, copy=copy)
            data = reports.copy_pdf(copy, check_url=check_url)
        record(EventKind.EXPORT, request=request, actor=self.actor, obj=copy, detail=reports.copy_detail(copy))
        return pdf.response(data, reports.copy_filename(copy))


routes: list = []
extra_urlpatterns: list = [
    path("issuers/<int:pk>/register/pdf/", RegisterPdfApi.as_view(), name="issuer-register-pdf"),
    path("issuers/<int:pk>/register/xlsx/", RegisterXlsxApi.as_view(), name="issuer-register-xlsx"),
    path("issuers/<int:pk>/register/import-template/", RegisterTemplateApi.as_view(), name="issuer-register-template"),
    path("issuers/<int:pk>/register/import/", RegisterImportApi.as_view(), name="issuer-register-import"),
    path("diploma-copies/<int:pk>/pdf/", CopyPdfApi.as_view(), name="diplomacopy-pdf"),
]
