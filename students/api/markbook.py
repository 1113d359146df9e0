"""API of module (a): the class mark book (sổ theo dõi và đánh giá học sinh).

- ``GET classes/{pk}/markbook/`` — the workbook (xlsx), as the page's download;
- ``POST classes/{pk}/markbook/import/`` — multipart ``file`` (the same workbook, edited) and ``dry_run``
  (default true): the changed cells found and every problem (``errors``, each naming the sheet, the row
  and the column); with ``dry_run=false`` everything is written in one transaction, or nothing (400 with the
  problems). The same service serves the pages (students.reports.markbook).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from sms.accounts.scoping import get_visible_or_404
from sms.api.viewsets import ScopedMixin
from sms.exports import xlsx
from sms.files.validators import validate_upload
from sms.org.models import SchoolClass

from ..reports import markbook as report


class MarkbookImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="Sổ theo dõi và đánh giá (.xlsx) đã xuất từ hệ thống rồi sửa.")
    dry_run = serializers.BooleanField(default=True, help_text="Chỉ kiểm tra, chưa lưu gì (mặc định).")

    def validate_file(self, upload):
        try:
            validate_upload(upload, allowed=("xlsx",))
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return upload


class MarkbookChangeSerializer(serializers.Serializer):
    sheet = serializers.CharField()
    row = serializers.IntegerField()
    learner = serializers.CharField()
    learner_code = serializers.CharField()
    column = serializers.CharField()
    subject = serializers.IntegerField(allow_null=True)
    semester = serializers.IntegerField(allow_null=True)
    key = serializers.CharField()
    old = serializers.CharField()
    new = serializers.CharField()
    status = serializers.CharField()
    errors = serializers.ListField(child=serializers.CharField())


class MarkbookImportResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    dry_run = serializers.BooleanField()
    changes = serializers.IntegerField()
    saved = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.CharField())
    notes = serializers.ListField(child=serializers.CharField())
    rows = MarkbookChangeSerializer(many=True)


class MarkbookExport(ScopedMixin, APIView):
    """GET: the class's mark book as xlsx (the school's leaders, Sở/Phòng, the class's teachers)."""

    queryset = SchoolClass.objects.all()

    @extend_schema(responses={(200, xlsx.CONTENT_TYPE): OpenApiTypes.BINARY})
    def get(self, request, pk):
        klass = get_visible_or_404(self.actor, SchoolClass.objects.all(), pk)
        data, filename = report.export_markbook(self.actor, klass, request=request)
        return xlsx.response(data, filename)


class MarkbookImport(ScopedMixin, APIView):
    """POST multipart: check (``dry_run``, the default) or write an edited mark book, all or nothing."""

    queryset = SchoolClass.objects.all()
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": MarkbookImportSerializer},
        responses={
            200: MarkbookImportResultSerializer,
            400: OpenApiResponse(MarkbookImportResultSerializer, description="Tệp có lỗi: không lưu gì."),
        },
    )
    def post(self, request, pk):
        klass = get_visible_or_404(self.actor, SchoolClass.objects.all(), pk)
        report.check_writer(self.actor, klass)
        form = MarkbookImportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        dry_run = form.validated_data["dry_run"]
        data = form.validated_data["file"].read()
        preview = report.import_markbook(self.actor, klass, data, dry_run=dry_run, request=request)
        body = {**preview.as_dict(), "dry_run": dry_run}
        return Response(body, status=200 if preview.ok else 400)


routes: list = []

extra_urlpatterns = [
    path("classes/<int:pk>/markbook/", MarkbookExport.as_view(), name="class-markbook"),
    path("classes/<int:pk>/markbook/import/", MarkbookImport.as_view(), name="class-markbook-import"),
]
