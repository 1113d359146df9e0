"""API of module (a): the approval lifecycle of grade-book sheets, unlock requests, entry
deadlines, publication, conduct and attendance. Every write calls the services the HTML pages
call (students.services.workflow / homeroom); a refused transition answers 400 (wrong state,
bad input) or 403 (wrong person) in the platform's error format.

`routes`: (prefix, viewset, basename); `extra_urlpatterns`: endpoints on one sheet or class.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from sms.accounts.scoping import get_visible_or_404, scope_of, visible_to
from sms.api.serializers import ScopedModelSerializer
from sms.api.viewsets import ScopedCreateModelMixin, ScopedMixin, ScopedReadOnlyViewSet, ScopedViewSet
from sms.org.models import SchoolClass, Semester

from ..filters_workflow import AbsenceFilter, DeadlineFilter, HomeroomFilter, PublicationFilter, UnlockFilter
from ..models import (
    Absence,
    EntryDeadline,
    HomeroomAssessment,
    Publication,
    ScoreSheet,
    UnlockRequest,
)
from ..services import homeroom as homeroom_services
from ..services import workflow as services
from ..services.workflow import WorkflowError


def refused(exc: WorkflowError) -> Response:
    body = {"detail": exc.message, "code": "permission_denied" if exc.status == 403 else "invalid"}
    if exc.errors:
        body["errors"] = {"rows": [f"{e['message']}" for e in exc.errors]}
        body["rows"] = exc.errors
    return Response(body, status=exc.status)


# --- sheets: submit, check, return, approve --------------------------------------------------------------


class SheetStatusSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = ScoreSheet
        fields = [
            "id",
            "status",
            "status_display",
            "submitted_by",
            "submitted_at",
            "checked_by",
            "checked_at",
            "approved_by",
            "approved_at",
        ]
        read_only_fields = fields


class UnlockRequestSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    sheet_status = serializers.CharField(source="sheet.status", read_only=True)

    class Meta:
        model = UnlockRequest
        fields = [
            "id",
            "school",
            "sheet",
            "sheet_status",
            "reason",
            "status",
            "status_display",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, help_text="Lý do trả lại (bắt buộc khi trả lại).")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Lý do đề nghị mở khoá.")


class SheetStep(ScopedMixin, APIView):
    """POST moves the sheet one step; the answer is the sheet's new status."""

    queryset = ScoreSheet.objects.select_related("school_class", "subject", "semester")
    http_method_names = ["post", "options"]

    @extend_schema(request=NoteSerializer, responses=SheetStatusSerializer)
    def post(self, request, pk):
        sheet = get_visible_or_404(self.actor, self.queryset, pk)
        try:
            sheet = self.step(request, sheet)
        except WorkflowError as exc:
            return refused(exc)
        return Response(SheetStatusSerializer(sheet).data)


class SheetSubmitApi(SheetStep):
    def step(self, request, sheet):
        return services.submit(self.actor, sheet)


class SheetCheckApi(SheetStep):
    def step(self, request, sheet):
        return services.check(self.actor, sheet)


class SheetReturnApi(SheetStep):
    """Body: ``{"note": "…"}`` (required)."""

    def step(self, request, sheet):
        return services.return_sheet(self.actor, sheet, str(request.data.get("note") or ""))


class SheetApproveApi(SheetStep):
    def step(self, request, sheet):
        return services.approve(self.actor, sheet)


class SheetUnlockRequestApi(SheetStep):
    """Body: ``{"reason": "…"}``; answers the new request (201)."""

    @extend_schema(request=ReasonSerializer, responses={201: UnlockRequestSerializer})
    def post(self, request, pk):
        sheet = get_visible_or_404(self.actor, self.queryset, pk)
        try:
            unlock = services.request_unlock(self.actor, sheet, str(request.data.get("reason") or ""))
        except WorkflowError as exc:
            return refused(exc)
        return Response(UnlockRequestSerializer(unlock).data, status=status.HTTP_201_CREATED)


class ApproveManySerializer(serializers.Serializer):
    semester = serializers.IntegerField()
    school_class = serializers.IntegerField(required=False)
    grade = serializers.IntegerField(required=False, min_value=1, max_value=12)

    def validate(self, attrs):
        if ("school_class" in attrs) == ("grade" in attrs):
            raise serializers.ValidationError({"school_class": "Chọn một lớp (school_class) hoặc một khối (grade)."})
        return attrs


class SheetApproveManyApi(ScopedMixin, APIView):
    """The principal approves every checked sheet of a class or a grade for a semester, in one
    transaction. Body: ``{"semester": id, "school_class": id}`` or ``{"semester": id, "grade": n}``."""

    queryset = ScoreSheet.objects.all()
    http_method_names = ["post", "options"]

    @extend_schema(request=ApproveManySerializer, responses={200: OpenApiTypes.OBJECT})
    def post(self, request):
        data = ApproveManySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attrs = data.validated_data
        semester = get_visible_or_404(self.actor, Semester, attrs["semester"])
        sheets = visible_to(self.actor, ScoreSheet).filter(semester=semester)
        if "school_class" in attrs:
            klass = get_visible_or_404(self.actor, SchoolClass, attrs["school_class"])
            sheets = sheets.filter(school_class=klass)
        else:
            sheets = sheets.filter(school_class__grade=attrs["grade"])
        try:
            done = services.approve_many(self.actor, sheets)
        except WorkflowError as exc:
            return refused(exc)
        return Response({"approved": [s.pk for s in done], "count": len(done)})


# --- unlock requests -----------------------------------------------------------------------------------------


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class UnlockRequestViewSet(ScopedReadOnlyViewSet):
    """Requests to reopen approved sheets. A request is made on its sheet
    (``sheets/<id>/unlock-request/``); the principal answers with ``grant`` or ``refuse``
    (body ``{"note": "…"}``, required when refusing)."""

    queryset = UnlockRequest.objects.select_related("sheet")
    serializer_class = UnlockRequestSerializer
    filterset_class = UnlockFilter

    def _decide(self, request, pk, grant: bool):
        unlock = get_visible_or_404(self.actor, self.queryset, pk)
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            unlock = services.decide_unlock(self.actor, unlock, grant=grant, note=data.validated_data["note"])
        except WorkflowError as exc:
            return refused(exc)
        return Response(self.get_serializer(unlock).data)

    @action(detail=True, methods=["post"])
    def grant(self, request, pk=None):
        return self._decide(request, pk, True)

    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        return self._decide(request, pk, False)


# --- entry deadlines ----------------------------------------------------------------------------------------


class DeadlineSerializer(ScopedModelSerializer):
    class Meta:
        model = EntryDeadline
        fields = ["id", "school", "semester", "grade", "closes_on", "note"]
        validate_constraints = False  # said in Vietnamese by validate()

    def validate(self, attrs):
        instance = self.instance
        semester = attrs.get("semester", getattr(instance, "semester", None))
        grade = attrs["grade"] if "grade" in attrs else getattr(instance, "grade", None)
        closes_on = attrs.get("closes_on", getattr(instance, "closes_on", None))
        errors = services.deadline_errors(semester, grade, closes_on, instance_pk=getattr(instance, "pk", None))
        if errors:
            raise serializers.ValidationError(errors)
        return super().validate(attrs)


class WritersOnlyMixin:
    """A create by a role the model does not let write is refused before any field is read."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.action == "create" and self.actor.role not in scope_of(self.queryset.model).writers:
            raise PermissionDenied("Bạn không có quyền thực hiện thao tác này.")


class DeadlineViewSet(WritersOnlyMixin, ScopedViewSet):
    """Entry deadlines per semester (one for every grade, or one grade); the school's leaders write."""

    queryset = EntryDeadline.objects.select_related("semester", "school")
    serializer_class = DeadlineSerializer
    filterset_class = DeadlineFilter


# --- publication --------------------------------------------------------------------------------------------


class PublicationSerializer(ScopedModelSerializer):
    class Meta:
        model = Publication
        fields = [
            "id",
            "school",
            "school_year",
            "period",
            "grade",
            "include_scores",
            "published_by",
            "published_at",
            "withdrawn_at",
        ]
        read_only_fields = ["school", "published_by", "published_at", "withdrawn_at"]

    def validate(self, attrs):
        return attrs  # the publish service checks everything (and writes the row)


class PublicationViewSet(ScopedMixin, ScopedCreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """What the school publishes to the public portal; the principal publishes and withdraws."""

    queryset = Publication.objects.select_related("school_year", "school")
    serializer_class = PublicationSerializer
    filterset_class = PublicationFilter

    def create(self, request, *args, **kwargs):
        self._require_role("add")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            publication = services.publish(
                self.actor, data["school_year"], data["period"], data.get("grade"), data.get("include_scores", True)
            )
        except WorkflowError as exc:
            return refused(exc)
        return Response(self.get_serializer(publication).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        publication = get_visible_or_404(self.actor, self.queryset, pk)
        try:
            publication = services.withdraw(self.actor, publication)
        except WorkflowError as exc:
            return refused(exc)
        return Response(self.get_serializer(publication).data)


# --- conduct, qualities, competencies -----------------------------------------------------------------------


class HomeroomSerializer(serializers.ModelSerializer):
    student_name = serializers.CharField(source="enrolment.student.full_name", read_only=True)

    class Meta:
        model = HomeroomAssessment
        fields = [
            "id",
            "school",
            "enrolment",
            "student_name",
            "semester",
            "conduct",
            "qualities",
            "competencies",
            "comment",
            "approved",
            "updated_by",
            "updated_at",
        ]
        read_only_fields = fields


class HomeroomViewSet(ScopedReadOnlyViewSet):
    """The homeroom teacher's assessments (conduct or qualities and competencies) per semester;
    saved a class at a time through ``classes/<id>/homeroom/``."""

    queryset = HomeroomAssessment.objects.select_related("enrolment__student")
    serializer_class = HomeroomSerializer
    filterset_class = HomeroomFilter


class HomeroomRowSerializer(serializers.Serializer):
    enrolment = serializers.IntegerField()
    conduct = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    qualities = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    competencies = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    comment = serializers.CharField(required=False, allow_blank=True, allow_null=True, trim_whitespace=False)


class HomeroomSaveSerializer(serializers.Serializer):
    semester = serializers.IntegerField()
    rows = HomeroomRowSerializer(many=True)


class ClassHomeroomSave(ScopedMixin, APIView):
    """POST ``{"semester": id, "rows": [{"enrolment", "conduct", "qualities", "competencies",
    "comment"}, …]}``: the whole class in one transaction (homeroom teacher only)."""

    queryset = SchoolClass.objects.select_related("school_year")
    http_method_names = ["post", "options"]

    @extend_schema(request=HomeroomSaveSerializer, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk):
        klass = get_visible_or_404(self.actor, self.queryset, pk)
        data = HomeroomSaveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        semester = get_visible_or_404(self.actor, Semester, data.validated_data["semester"])
        rows = [{k: v for k, v in row.items()} for row in data.validated_data["rows"]]
        try:
            result = homeroom_services.save_homeroom(self.actor, klass, semester, rows)
        except WorkflowError as exc:
            return refused(exc)
        return Response(result)


# --- attendance ---------------------------------------------------------------------------------------------


class AbsenceSerializer(serializers.ModelSerializer):
    student_name = serializers.CharField(source="enrolment.student.full_name", read_only=True)

    class Meta:
        model = Absence
        fields = ["id", "school", "enrolment", "student_name", "day", "sessions", "excused", "reason", "recorded_by"]
        read_only_fields = fields


class AbsenceViewSet(ScopedReadOnlyViewSet):
    """Days absent, per learner; saved a class and a day at a time through ``classes/<id>/attendance/``."""

    queryset = Absence.objects.select_related("enrolment__student")
    serializer_class = AbsenceSerializer
    filterset_class = AbsenceFilter


class AttendanceRowSerializer(serializers.Serializer):
    enrolment = serializers.IntegerField()
    sessions = serializers.IntegerField(min_value=0, max_value=2)
    excused = serializers.BooleanField(required=False, default=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class AttendanceSaveSerializer(serializers.Serializer):
    day = serializers.DateField()
    rows = AttendanceRowSerializer(many=True)


class ClassAttendanceSave(ScopedMixin, APIView):
    """POST ``{"day": "yyyy-mm-dd", "rows": [{"enrolment", "sessions" 0–2, "excused", "reason"}, …]}``;
    0 sessions removes that day's absence. Homeroom teacher, principal or school administrator."""

    queryset = SchoolClass.objects.select_related("school_year")
    http_method_names = ["post", "options"]

    @extend_schema(request=AttendanceSaveSerializer, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk):
        klass = get_visible_or_404(self.actor, self.queryset, pk)
        data = AttendanceSaveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attrs = data.validated_data
        try:
            result = homeroom_services.save_attendance(
                self.actor, klass, attrs["day"], [dict(r) for r in attrs["rows"]]
            )
        except WorkflowError as exc:
            return refused(exc)
        return Response(result)


routes = [
    ("unlock-requests", UnlockRequestViewSet, "unlockrequest"),
    ("deadlines", DeadlineViewSet, "entrydeadline"),
    ("publications", PublicationViewSet, "publication"),
    ("homeroom", HomeroomViewSet, "homeroomassessment"),
    ("absences", AbsenceViewSet, "absence"),
]

extra_urlpatterns = [
    path("sheets/<int:pk>/submit/", SheetSubmitApi.as_view(), name="students-sheet-submit"),
    path("sheets/<int:pk>/check/", SheetCheckApi.as_view(), name="students-sheet-check"),
    path("sheets/<int:pk>/return/", SheetReturnApi.as_view(), name="students-sheet-return"),
    path("sheets/<int:pk>/approve/", SheetApproveApi.as_view(), name="students-sheet-approve"),
    path("sheets/<int:pk>/unlock-request/", SheetUnlockRequestApi.as_view(), name="students-sheet-unlock-request"),
    path("sheets/approve-many/", SheetApproveManyApi.as_view(), name="students-sheet-approve-many"),
    path("classes/<int:pk>/homeroom/", ClassHomeroomSave.as_view(), name="students-class-homeroom"),
    path("classes/<int:pk>/attendance/", ClassAttendanceSave.as_view(), name="students-class-attendance"),
]
