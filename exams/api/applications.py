"""API of the applications area, under /api/exams/: the staff's view of the public online
applications (list, read) and the review actions (accept → candidate, needs-changes, reject)
as POSTs on one application.

Every write calls ``exams.services.applications`` (the functions the HTML pages call). The
reviewers are the exam's organisers and its board's secretariat, reached through the door
(``can(actor, "change", application)``), not through a role check: DRF's generic create and
update are not offered. The public side needs no API of its own: the status lookup
(``exams/portal.py``) answers JSON when asked.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from sms.accounts.scoping import get_visible_or_404
from sms.api.viewsets import ScopedMixin

from ..models import Application, ApplicationDocument, ApplicationStatus
from ..services import applications as services


class ApplicationDocumentSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    name = serializers.CharField(source="file.name", read_only=True)
    size = serializers.IntegerField(source="file.size", read_only=True)
    content_type = serializers.CharField(source="file.content_type", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ApplicationDocument
        fields = ["id", "kind", "kind_display", "name", "size", "content_type", "download_url"]
        read_only_fields = fields

    def get_download_url(self, document: ApplicationDocument) -> str:
        return reverse("exams:applicationdocument-download", kwargs={"pk": document.pk})


class ApplicationSerializer(serializers.ModelSerializer):
    """An online application as the staff see it (read-only: writes go through the review actions)."""

    exam = serializers.IntegerField(source="exam_id", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    sex_display = serializers.CharField(source="get_sex_display", read_only=True)
    priority_claim = serializers.IntegerField(source="priority_claim_id", read_only=True, allow_null=True)
    bonus_claim = serializers.IntegerField(source="bonus_claim_id", read_only=True, allow_null=True)
    candidate = serializers.IntegerField(source="candidate_id", read_only=True, allow_null=True)
    choices = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    documents = ApplicationDocumentSerializer(many=True, read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "exam",
            "reference",
            "status",
            "status_display",
            "full_name",
            "birth_date",
            "sex",
            "sex_display",
            "personal_id",
            "ethnicity",
            "birthplace",
            "address",
            "previous_school",
            "guardian_name",
            "phone",
            "email",
            "choices",
            "priority_claim",
            "bonus_claim",
            "staff_note",
            "submitted_at",
            "reviewed_at",
            "candidate",
            "documents",
        ]
        read_only_fields = fields


class ReviewNoteSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=services.NOTE_MAX, help_text="Ghi chú gửi người nộp."
    )


LIST_PARAMETERS = [
    OpenApiParameter("exam", OpenApiTypes.INT, description="Chỉ hồ sơ của kỳ thi này."),
    OpenApiParameter("status", OpenApiTypes.STR, enum=ApplicationStatus.values, description="Trạng thái hồ sơ."),
    OpenApiParameter("q", OpenApiTypes.STR, description="Họ tên (không dấu cũng được) hoặc mã hồ sơ."),
]


@extend_schema_view(list=extend_schema(parameters=LIST_PARAMETERS))
class ApplicationViewSet(ScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Hồ sơ trực tuyến: the organisers and the board's chair and secretariat read them; the
    organisers and the secretariat review them."""

    queryset = Application.objects.select_related("exam").prefetch_related("documents__file")
    serializer_class = ApplicationSerializer

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action != "list":
            return qs
        params = self.request.query_params
        exam = services.as_id(params.get("exam"), strip=True)
        if params.get("exam") not in (None, ""):
            qs = qs.filter(exam_id=exam) if exam is not None else qs.none()
        status = params.get("status")
        if status:
            qs = qs.filter(status=status) if status in ApplicationStatus.values else qs.none()
        if params.get("q"):
            qs = services.search(qs, params["q"])
        return qs.order_by("-submitted_at", "-pk")

    def _application(self, pk) -> Application:
        # Read through the door ("view"); the service checks the right to review ("change").
        return get_visible_or_404(self.actor, Application, pk)

    def _answer(self, application: Application) -> Response:
        fresh = self.queryset.get(pk=application.pk)
        return Response(ApplicationSerializer(fresh, context=self.get_serializer_context()).data)

    def _note(self, request) -> str:
        serializer = ReviewNoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data.get("note", "")

    @extend_schema(request=ReviewNoteSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Chấp nhận hồ sơ: creates the candidate (source online) with its choices; idempotent."""
        application = self._application(pk)
        services.accept(self.actor, application, self._note(request))
        return self._answer(application)

    @extend_schema(request=ReviewNoteSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"], url_path="needs-changes")
    def needs_changes(self, request, pk=None):
        """Yêu cầu bổ sung: sends the application back to the applicant with the note."""
        application = self._application(pk)
        services.needs_changes(self.actor, application, self._note(request))
        return self._answer(application)

    @extend_schema(request=ReviewNoteSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Không chấp nhận: refuses the application with the note."""
        application = self._application(pk)
        services.reject(self.actor, application, self._note(request))
        return self._answer(application)


routes = [("applications", ApplicationViewSet, "application")]
extra_urlpatterns: list = []
