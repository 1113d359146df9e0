"""API of the results intake (nhập kết quả thi) of a graduation or vocational exam, under /api/exams/.

The same importer as the HTML page (``exams.results_intake.ResultsImporter``) and the same service
(``exams.services.graduation_thpt.record_results``):

- ``POST exams/<pk>/results-import/`` (multipart: ``file``, ``dry_run``): a dry run (the default) writes nothing
  and lists every row with its Excel row, status and errors by column, and the errors of the file (row 1: a
  column that is not a subject of the exam); a confirm (``dry_run=false``) checks the file again and writes all
  of it in one transaction, or — any error — nothing (400 with every error). The same file twice changes nothing.
  Only the board's secretariat and chair get the comparison with the stored (unpublished) scores
  (``compared``); for an organiser who is not on the board every row with a score is "new" ("Sẽ ghi") and the
  result's ``created``/``updated`` are null.
- ``GET exams/<pk>/results-template/``: the template (.xlsx).

The exam comes through the door (another unit's exam is a 404); who sees it but may not take its results in (a
school's principal, the chair, a marker) gets a 403 with the reason; a closed intake (another kind, results
published) is a 400 with the reason.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from sms.accounts.scoping import get_visible_or_404
from sms.api.serializers import ImportCountsSerializer, ImportRowSerializer
from sms.api.viewsets import ScopedMixin
from sms.exports import xlsx
from sms.files.validators import validate_upload
from sms.imports import Status

from ..models import Exam
from ..results_intake import ResultsImporter
from ..services import graduation_thpt as services


class ResultsImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="Tệp .xlsx theo mẫu: số báo danh và điểm từng môn (V: vắng thi).")
    dry_run = serializers.BooleanField(required=False, default=True, help_text="Chỉ kiểm tra, không lưu (mặc định).")


class ResultsRowSerializer(ImportRowSerializer):
    number = serializers.CharField(help_text="Số báo danh như trong tệp.")


BLIND = "null khi không so sánh với điểm đã lưu (người nhập không thuộc ban thư ký hoặc chủ tịch hội đồng thi)."


class ResultsSavedSerializer(serializers.Serializer):
    created = serializers.IntegerField(allow_null=True, help_text=f"Số điểm môn thi mới; {BLIND}")
    updated = serializers.IntegerField(allow_null=True, help_text=f"Số điểm môn thi thay đổi; {BLIND}")
    saved = serializers.IntegerField(
        help_text="Tổng số điểm đã ghi (khi không so sánh: số điểm trong tệp; điểm trùng điểm đã lưu không ghi lại)."
    )
    rows_unchanged = serializers.IntegerField(help_text="Số dòng không thay đổi gì (không so sánh: không có điểm).")


class ResultsImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    ok = serializers.BooleanField(help_text="Tệp không có lỗi nào.")
    compared = serializers.BooleanField(
        help_text=(
            "Đã so sánh với điểm đã lưu (chỉ ban thư ký, chủ tịch hội đồng thi). Nếu không: mọi dòng có điểm là "
            "“new” (“Sẽ ghi”), không dòng nào “updated”/“unchanged” vì điểm đã lưu."
        )
    )
    saved = serializers.BooleanField(help_text="Đã lưu (chỉ khi xác nhận và tệp không có lỗi).")
    errors = serializers.ListField(child=serializers.CharField(), help_text="Mọi lỗi: của cả tệp và của từng dòng.")
    subjects = serializers.DictField(child=serializers.CharField(), help_text="Cột trong tệp → mã môn thi.")
    counts = ImportCountsSerializer()
    result = ResultsSavedSerializer(allow_null=True)
    rows = ResultsRowSerializer(many=True)


def _column_errors(row) -> dict[str, list[str]]:
    """A row's errors by column header (``RowResult.error`` writes "Dòng n, cột “X”: …")."""
    out: dict[str, list[str]] = {}
    prefix = f"Dòng {row.number}, cột “"
    for message in row.errors:
        if message.startswith(prefix) and "”: " in message:
            header, _, text = message[len(prefix) :].partition("”: ")
            out.setdefault(header, []).append(text)
    return out


class IntakeEndpoint(ScopedMixin, APIView):
    """An endpoint on one exam (``pk``) for who may take its results in."""

    queryset = Exam.objects.select_related("unit")

    def exam(self, pk) -> Exam:
        exam = get_visible_or_404(self.actor, self.queryset, pk)
        if not services.may_take_results(self.actor, exam):
            raise PermissionDenied(services.MSG_NOT_TAKER)
        return exam


class ResultsImportApi(IntakeEndpoint):
    """Nhập kết quả thi từ tệp Excel (multipart: ``file``, ``dry_run``): see the module docstring."""

    http_method_names = ["post", "options"]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": ResultsImportSerializer},
        responses={200: ResultsImportResultSerializer, 400: ResultsImportResultSerializer},
    )
    def post(self, request, pk):
        exam = self.exam(pk)
        data = ResultsImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        validate_upload(upload, allowed=("xlsx",))
        content = upload.read()
        dry_run = data.validated_data["dry_run"]
        importer = ResultsImporter(self.actor, request, exam=exam)
        with transaction.atomic():
            preview = importer.preview(content)
            result = importer.apply(preview) if preview.ok and not dry_run else None
        body = {
            "dry_run": dry_run,
            "ok": preview.ok,
            "compared": importer.compares,
            "saved": result is not None,
            "errors": preview.errors + [e for r in preview.bad_rows for e in r.errors],
            "subjects": {h: s.code for h, s in getattr(preview, "subject_columns", [])},
            "counts": {name: preview.count(name) for name in Status.LABELS},
            "result": None
            if result is None
            else {k: result[k] for k in ("created", "updated", "saved", "rows_unchanged")},
            "rows": [
                {
                    "row": r.number,
                    "status": r.status,
                    "status_display": getattr(r, "shown_status", r.status_label),
                    "number": (getattr(r, "cells", None) or [""])[0],
                    "errors": r.errors,
                    "column_errors": _column_errors(r),
                    "notes": r.notes,
                }
                for r in preview.rows
            ],
        }
        return Response(body, status=status.HTTP_200_OK if preview.ok else status.HTTP_400_BAD_REQUEST)


class ResultsTemplateApi(IntakeEndpoint):
    """Mẫu nhập kết quả thi (.xlsx): the numbered candidates and one column per subject taken in."""

    http_method_names = ["get", "head", "options"]

    @extend_schema(responses={(200, xlsx.CONTENT_TYPE): OpenApiTypes.BINARY})
    def get(self, request, pk):
        exam = self.exam(pk)
        importer = ResultsImporter(self.actor, request, exam=exam)
        return xlsx.response(importer.template(), importer.template_filename)


routes: list = []
extra_urlpatterns = [
    path("exams/<int:pk>/results-import/", ResultsImportApi.as_view(), name="exams-exam-results-import"),
    path("exams/<int:pk>/results-template/", ResultsTemplateApi.as_view(), name="exams-exam-results-template"),
]
