"""API of the marking area: scripts and marks (markers see codes only), the secretariat's
steps on a subject, the chair's and secretariat's handling of disputed scripts, appeals.

Every write calls ``exams.services.marking`` / ``exams.services.appeals`` (the services the HTML
pages call). Refusals: 400 for a wrong state or bad input (``ValidationError``, Vietnamese
messages by field or by mark id), 403 for a wrong person, 404 for what the door does not show.

``routes``: (prefix, viewset, basename); ``extra_urlpatterns``: POSTs on one subject, GET of an
exam's marking summary, and the secretariat's spreadsheet of a round's marks (template, dry run,
confirm: ``exams.marks_import.MarksImporter``, the importer of the HTML page) and its code → candidate
list (bảng ghép phách; the door on ``ScriptKey`` shows it to the secretariat alone). See
/work/shared/domain/exams-diplomas.md (làm phách: the codes stay secret until matching).
"""

from __future__ import annotations

from django.db import transaction
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from sms.accounts.actors import actor_from_request
from sms.accounts.scoping import get_visible_or_404, visible_to
from sms.api.serializers import RELATION_ERRORS, ImportCountsSerializer, ImportRowSerializer, ScopedModelSerializer
from sms.api.viewsets import ScopedMixin, ScopedReadOnlyViewSet
from sms.exports import xlsx
from sms.files.validators import validate_upload
from sms.imports import Status
from sms.text import as_id

from ..marks_import import MarksImporter
from ..models import (
    Appeal,
    AppealStatus,
    BoardRole,
    CandidateScore,
    Exam,
    ExamSubject,
    Mark,
    MarkRound,
    Script,
    ScriptKey,
    ScriptStatus,
    board_exams,
)
from ..selectors import board_roles
from ..services import appeals as appeal_services
from ..services import marking as services


def _runner_exams(actor) -> set[int]:
    """Exams where the actor is the chair or the secretariat (they see outcomes, not only codes)."""
    if actor is None:
        return set()
    return set(board_exams(actor, (BoardRole.CHAIR, BoardRole.SECRETARIAT)).values_list("exam_id", flat=True))


# --- scripts ------------------------------------------------------------------------------------------------


class ScriptSerializer(serializers.ModelSerializer):
    """A script by its code. ``status`` and ``final_score`` only for the chair and secretariat
    (null for a marker); never anything about the candidate."""

    exam = serializers.IntegerField(source="exam_subject.exam_id", read_only=True)
    subject_name = serializers.CharField(source="exam_subject.name", read_only=True)
    status_display = serializers.SerializerMethodField()

    class Meta:
        model = Script
        fields = ["id", "exam", "exam_subject", "subject_name", "code", "status", "status_display", "final_score"]
        read_only_fields = fields

    def get_status_display(self, obj) -> str | None:
        return obj.get_status_display()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.exam_subject.exam_id not in self.context.get("runner_exams", set()):
            data["status"] = data["status_display"] = data["final_score"] = None
        return data


class MarkerSerializer(serializers.Serializer):
    marker = serializers.IntegerField(help_text="Mã chỗ ngồi (BoardMember) của cán bộ chấm lần 3.")


class JointSerializer(serializers.Serializer):
    score = serializers.CharField(help_text="Điểm thống nhất, ví dụ “6.75” hoặc “6,75”.")


_EXAM_PARAMS = [
    OpenApiParameter("exam", int, description="Chỉ các bài của kỳ thi này."),
    OpenApiParameter("exam_subject", int, description="Chỉ các bài của môn thi này."),
]


class ScriptViewSet(ScopedReadOnlyViewSet):
    """Scripts (bài thi) by code: the chair and secretariat read every script of their exams, a
    marker the scripts given to them. ``assign_third`` (chair, secretariat) and ``joint``
    (chair) resolve a disputed script."""

    queryset = Script.objects.select_related("exam_subject")
    serializer_class = ScriptSerializer

    def get_queryset(self):
        qs = super().get_queryset()
        params = self.request.query_params
        if (exam := as_id(params.get("exam"))) is not None:
            qs = qs.filter(exam_subject__exam_id=exam)
        if (subject := as_id(params.get("exam_subject"))) is not None:
            qs = qs.filter(exam_subject_id=subject)
        if params.get("status") in ScriptStatus.values:
            qs = qs.filter(status=params["status"])
        return qs.order_by("exam_subject_id", "code")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["runner_exams"] = _runner_exams(self.actor)
        return context

    @extend_schema(parameters=[*_EXAM_PARAMS, OpenApiParameter("status", str, enum=ScriptStatus.values)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _script(self, pk):
        return get_visible_or_404(self.actor, Script.objects.select_related("exam_subject__exam"), pk)

    @extend_schema(request=MarkerSerializer, responses=ScriptSerializer)
    @action(detail=True, methods=["post"], url_path="assign-third")
    def assign_third(self, request, pk=None):
        script = self._script(pk)
        data = MarkerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.assign_third(self.actor, script, data.validated_data["marker"])
        script.refresh_from_db()
        return Response(self.get_serializer(script).data)

    @extend_schema(request=JointSerializer, responses=ScriptSerializer)
    @action(detail=True, methods=["post"])
    def joint(self, request, pk=None):
        script = self._script(pk)
        data = JointSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        script = services.record_joint(self.actor, script, data.validated_data["score"])
        return Response(self.get_serializer(script).data)


# --- marks --------------------------------------------------------------------------------------------------


class MarkSerializer(serializers.ModelSerializer):
    """One mark by the script's code; a marker reads only their own."""

    code = serializers.CharField(source="script.code", read_only=True)
    exam_subject = serializers.IntegerField(source="script.exam_subject_id", read_only=True)
    subject_name = serializers.CharField(source="script.exam_subject.name", read_only=True)
    exam = serializers.IntegerField(source="script.exam_subject.exam_id", read_only=True)
    round_display = serializers.CharField(source="get_round_display", read_only=True)

    class Meta:
        model = Mark
        fields = [
            "id",
            "script",
            "code",
            "exam",
            "exam_subject",
            "subject_name",
            "round",
            "round_display",
            "marker",
            "score",
            "marked_at",
        ]
        read_only_fields = fields


class MarkEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    score = serializers.CharField(allow_blank=True, allow_null=True, help_text="Ví dụ “6.75” hoặc “6,75”.")


class EnterMarksSerializer(serializers.Serializer):
    marks = MarkEntrySerializer(many=True)


class EnterMarksResultSerializer(serializers.Serializer):
    saved = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    marks = MarkSerializer(many=True)


class MarkViewSet(ScopedReadOnlyViewSet):
    """Marks (điểm chấm). A marker reads and enters their own (``enter``: a batch in one
    transaction); the chair and secretariat read every mark of their exams. ``?mine=1``: only
    the actor's own marks."""

    queryset = Mark.objects.select_related("script__exam_subject")
    serializer_class = MarkSerializer

    def get_queryset(self):
        qs = super().get_queryset()
        params = self.request.query_params
        if params.get("mine") in ("1", "true"):
            qs = qs.filter(marker__user=self.actor.user)
        if (exam := as_id(params.get("exam"))) is not None:
            qs = qs.filter(script__exam_subject__exam_id=exam)
        if (subject := as_id(params.get("exam_subject"))) is not None:
            qs = qs.filter(script__exam_subject_id=subject)
        if params.get("round") in MarkRound.values:
            qs = qs.filter(round=params["round"])
        return qs.order_by("script__exam_subject_id", "round", "script__code")

    @extend_schema(
        parameters=[
            *_EXAM_PARAMS,
            OpenApiParameter("mine", bool, description="Chỉ điểm chấm của chính mình."),
            OpenApiParameter("round", str, enum=MarkRound.values),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=EnterMarksSerializer, responses=EnterMarksResultSerializer)
    @action(detail=False, methods=["post"])
    def enter(self, request):
        data = EnterMarksSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        scores = {row["id"]: row["score"] for row in data.validated_data["marks"]}
        done = services.enter_marks(self.actor, scores)
        # Only the marks the service accepted, read again through the door (never the raw ids).
        marks = (
            visible_to(self.actor, Mark, "change")
            .filter(pk__in=done["ids"])
            .select_related("script__exam_subject")
            .order_by("pk")
        )
        return Response(
            {"saved": done["saved"], "unchanged": done["unchanged"], "marks": MarkSerializer(marks, many=True).data}
        )


# --- the secretariat's steps on a subject ---------------------------------------------------------------------


class MakeScriptsSerializer(serializers.Serializer):
    absent_candidates = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list, help_text="Mã thí sinh vắng thi."
    )


class AssignMarkersSerializer(serializers.Serializer):
    markers_round1 = serializers.ListField(child=serializers.IntegerField(), help_text="Chỗ ngồi cán bộ chấm lần 1.")
    markers_round2 = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list, help_text="Chỗ ngồi cán bộ chấm lần 2."
    )


class SubjectStep(ScopedMixin, APIView):
    queryset = ExamSubject.objects.select_related("exam")
    http_method_names = ["post", "options"]

    def subject(self, pk):
        return get_visible_or_404(self.actor, self.queryset, pk)


class MakeScriptsApi(SubjectStep):
    """Làm phách: scripts with random codes for the numbered candidates still without one."""

    @extend_schema(request=MakeScriptsSerializer, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk):
        subject = self.subject(pk)
        data = MakeScriptsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = services.make_scripts(self.actor, subject, absent_candidate_ids=data.validated_data["absent_candidates"])
        return Response(done)


class AssignMarkersApi(SubjectStep):
    """Phân công chấm: round-1 (and round-2) marks for the scripts still without one."""

    @extend_schema(request=AssignMarkersSerializer, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk):
        subject = self.subject(pk)
        data = AssignMarkersSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attrs = data.validated_data
        return Response(services.assign_markers(self.actor, subject, attrs["markers_round1"], attrs["markers_round2"]))


class MatchApi(SubjectStep):
    """Ghép phách: scores for the candidates once every script is final or absent."""

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk):
        return Response(services.match(self.actor, self.subject(pk)))


class SubjectSummarySerializer(serializers.Serializer):
    exam_subject = serializers.IntegerField(source="subject.pk")
    name = serializers.CharField(source="subject.name")
    total = serializers.IntegerField()
    marking = serializers.IntegerField()
    disputed = serializers.IntegerField()
    final = serializers.IntegerField()
    absent = serializers.IntegerField()
    given_1 = serializers.IntegerField()
    entered_1 = serializers.IntegerField()
    given_2 = serializers.IntegerField()
    entered_2 = serializers.IntegerField()
    matched = serializers.BooleanField()
    ready = serializers.BooleanField()


class MarkingSummaryApi(ScopedMixin, APIView):
    """Tiến độ chấm thi của một kỳ thi, theo môn (chair and secretariat)."""

    queryset = Exam.objects.all()
    http_method_names = ["get", "head", "options"]

    @extend_schema(responses=SubjectSummarySerializer(many=True))
    def get(self, request, pk):
        exam = get_visible_or_404(self.actor, self.queryset, pk)
        if not board_roles(self.actor, exam) & {BoardRole.CHAIR, BoardRole.SECRETARIAT}:
            raise PermissionDenied("Chỉ chủ tịch và thư ký hội đồng thi mới xem được tiến độ chấm thi.")
        return Response(SubjectSummarySerializer(services.subject_summary(exam), many=True).data)


# --- marks from a spreadsheet, and the code → candidate list (the secretariat's) -------------------------------

#: the rounds a spreadsheet may carry (``services.IMPORT_ROUNDS``), as the API names them
ROUND_CHOICES = [(r.value, r.label) for r in services.IMPORT_ROUNDS]
MSG_ROUND = "Lượt chấm phải là 1 (chấm lần 1) hoặc 2 (chấm lần 2)."
XLSX_RESPONSE = {(200, xlsx.CONTENT_TYPE): OpenApiTypes.BINARY}


class SecretariatSubjectEndpoint(ScopedMixin, APIView):
    """An endpoint on one subject (``pk``) for the exam's secretariat: a subject the door does
    not show is a 404; a readable one (the chair, a marker, the organisers) is a 403 with
    ``refusal``, like the HTML pages."""

    queryset = ExamSubject.objects.select_related("exam")
    refusal = "Chỉ thư ký hội đồng thi mới thực hiện được thao tác này."

    def subject(self, pk) -> ExamSubject:
        subject = get_visible_or_404(self.actor, self.queryset, pk)
        if BoardRole.SECRETARIAT not in board_roles(self.actor, subject.exam):
            raise PermissionDenied(self.refusal)
        return subject


class MarksImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="Tệp .xlsx theo mẫu (số phách, điểm, cán bộ chấm).")
    round = serializers.ChoiceField(
        choices=ROUND_CHOICES,
        help_text="Lượt chấm: 1 hoặc 2.",
        error_messages={"invalid_choice": MSG_ROUND, "required": "Hãy chọn lượt chấm (1 hoặc 2)."},
    )
    dry_run = serializers.BooleanField(required=False, default=True, help_text="Chỉ kiểm tra, không lưu (mặc định).")


class MarksImportSavedSerializer(serializers.Serializer):
    saved = serializers.IntegerField(help_text="Số điểm đã ghi (mới hoặc thay đổi).")
    unchanged = serializers.IntegerField(help_text="Số dòng không đổi.")


class MarksImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    round = serializers.CharField()
    ok = serializers.BooleanField(help_text="Tệp không có lỗi nào.")
    saved = serializers.BooleanField(help_text="Đã lưu (chỉ khi xác nhận và tệp không có lỗi).")
    errors = serializers.ListField(child=serializers.CharField(), help_text="Mọi lỗi: của cả tệp và của từng dòng.")
    counts = ImportCountsSerializer()
    result = MarksImportSavedSerializer(allow_null=True)
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


class MarksImportApi(SecretariatSubjectEndpoint):
    """Nhập điểm chấm lần 1 hoặc 2 của một môn từ tệp Excel (multipart: ``file``, ``round``,
    ``dry_run``). A dry run writes nothing and lists every row (its Excel row, status, errors by
    column); a confirm (``dry_run=false``) checks the file again and writes it in one transaction,
    or, when any row is bad, writes nothing (400 with every error). The same file twice changes
    nothing (unchanged marks are "Không đổi"). The secretariat only."""

    http_method_names = ["post", "options"]
    parser_classes = [MultiPartParser, FormParser]
    refusal = "Chỉ thư ký hội đồng thi mới nhập điểm chấm từ tệp."

    @extend_schema(
        request={"multipart/form-data": MarksImportSerializer},
        responses={200: MarksImportResultSerializer, 400: MarksImportResultSerializer},
    )
    def post(self, request, pk):
        subject = self.subject(pk)
        data = MarksImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        validate_upload(upload, allowed=("xlsx",))
        content = upload.read()
        round_, dry_run = data.validated_data["round"], data.validated_data["dry_run"]
        importer = MarksImporter(self.actor, request, exam_subject=subject, round_=round_)
        with transaction.atomic():
            preview = importer.preview(content)
            result = importer.apply(preview) if preview.ok and not dry_run else None
        body = {
            "dry_run": dry_run,
            "round": round_,
            "ok": preview.ok,
            "saved": result is not None,
            "errors": preview.errors + [e for r in preview.bad_rows for e in r.errors],
            "counts": {name: preview.count(name) for name in Status.LABELS},
            "result": None if result is None else {"saved": result["saved"], "unchanged": result["unchanged"]},
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
        return Response(body, status=status.HTTP_200_OK if preview.ok else status.HTTP_400_BAD_REQUEST)


class MarksTemplateApi(SecretariatSubjectEndpoint):
    """Mẫu nhập điểm (.xlsx) of one round (``?round=1`` or ``2``): the codes given for that round,
    their mark so far and marker's username — never a candidate's name or number."""

    http_method_names = ["get", "head", "options"]
    refusal = "Chỉ thư ký hội đồng thi mới tải được mẫu nhập điểm chấm."

    @extend_schema(
        parameters=[
            OpenApiParameter("round", str, enum=[c[0] for c in ROUND_CHOICES], description="Lượt chấm (1 hoặc 2).")
        ],
        responses=XLSX_RESPONSE,
    )
    def get(self, request, pk):
        subject = self.subject(pk)
        round_ = request.query_params.get("round") or MarkRound.FIRST
        if round_ not in services.IMPORT_ROUNDS:
            raise serializers.ValidationError({"round": [MSG_ROUND]})
        importer = MarksImporter(self.actor, request, exam_subject=subject, round_=round_)
        return xlsx.response(importer.template(), importer.template_filename)


class ScriptKeySerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="script.code", read_only=True)
    absent = serializers.SerializerMethodField()
    number = serializers.CharField(source="candidate.number", read_only=True)
    full_name = serializers.CharField(source="candidate.full_name", read_only=True)

    class Meta:
        model = ScriptKey
        fields = ["code", "script", "absent", "candidate", "number", "full_name"]
        read_only_fields = fields

    def get_absent(self, obj) -> bool:
        return obj.script.status == ScriptStatus.ABSENT


class SubjectKeysApi(SecretariatSubjectEndpoint):
    """Bảng ghép phách of one subject: each code and whose script it is (candidate id, number,
    full name), by candidate number. The secretariat only (the door on ``ScriptKey``); the chair,
    markers and organisers get a 403, like the HTML page."""

    http_method_names = ["get", "head", "options"]
    refusal = "Chỉ thư ký hội đồng thi mới xem được bảng ghép phách."

    @extend_schema(responses=ScriptKeySerializer(many=True))
    def get(self, request, pk):
        subject = self.subject(pk)
        keys = (
            visible_to(self.actor, ScriptKey)
            .filter(script__exam_subject=subject)
            .select_related("script", "candidate")
            .order_by("candidate__number", "script__code")
        )
        return Response(ScriptKeySerializer(keys, many=True).data)


# --- appeals -------------------------------------------------------------------------------------------------


class AppealSerializer(ScopedModelSerializer):
    """An appeal. On create, ``score`` is any published score the actor can *see* (the door's
    "view" on ``CandidateScore``: a candidate's own, a parent's child's, the organisers' and the
    board's); ``appeals.file_appeal`` then decides whether the actor may file it."""

    score = serializers.PrimaryKeyRelatedField(
        queryset=CandidateScore.objects.all(), error_messages=RELATION_ERRORS, help_text="Mã điểm thi phúc khảo."
    )
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        actor = getattr(request, "actor", None) or (actor_from_request(request) if request else None)
        fields["score"].queryset = visible_to(actor, CandidateScore)
        return fields

    class Meta:
        model = Appeal
        fields = [
            "id",
            "score",
            "reason",
            "status",
            "status_display",
            "requested_at",
            "old_score",
            "new_score",
            "decided_at",
            "decided_by",
        ]
        read_only_fields = ["status", "requested_at", "old_score", "new_score", "decided_at", "decided_by"]

    def validate(self, attrs):
        return attrs  # file_appeal checks everything and writes the row


class AppealMarkersSerializer(serializers.Serializer):
    marker_1 = serializers.IntegerField()
    marker_2 = serializers.IntegerField(required=False, allow_null=True, help_text="Môn chấm hai vòng: bắt buộc.")


class DecideSerializer(serializers.Serializer):
    joint = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text="Điểm thống nhất khi hai điểm lệch quá mức."
    )


class AppealViewSet(ScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Appeals (phúc khảo) of published scores. POST files one (the candidate, a parent, the
    organisers or the secretariat, within the appeal window); the chair or secretariat assigns
    new markers (``assign_markers``) and decides (``decide``)."""

    queryset = Appeal.objects.select_related("score__candidate__exam", "score__exam_subject")
    serializer_class = AppealSerializer

    def get_queryset(self):
        qs = super().get_queryset()
        params = self.request.query_params
        if (exam := as_id(params.get("exam"))) is not None:
            qs = qs.filter(score__candidate__exam_id=exam)
        if params.get("status") in AppealStatus.values:
            qs = qs.filter(status=params["status"])
        return qs

    @extend_schema(
        parameters=[
            OpenApiParameter("exam", int, description="Chỉ đơn của kỳ thi này."),
            OpenApiParameter("status", str, enum=AppealStatus.values),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=AppealSerializer, responses={201: AppealSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        appeal = appeal_services.file_appeal(self.actor, data["score"], data.get("reason", ""))
        return Response(self.get_serializer(appeal).data, status=status.HTTP_201_CREATED)

    def _appeal(self, pk):
        return get_visible_or_404(self.actor, self.queryset, pk)

    @extend_schema(request=AppealMarkersSerializer, responses=AppealSerializer)
    @action(detail=True, methods=["post"], url_path="assign-markers")
    def assign_markers(self, request, pk=None):
        appeal = self._appeal(pk)
        data = AppealMarkersSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attrs = data.validated_data
        appeal_services.assign_appeal_markers(self.actor, appeal, attrs["marker_1"], attrs.get("marker_2"))
        appeal.refresh_from_db()
        return Response(self.get_serializer(appeal).data)

    @extend_schema(request=DecideSerializer, responses=AppealSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        appeal = self._appeal(pk)
        data = DecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = appeal_services.decide_appeal(self.actor, appeal, joint=data.validated_data.get("joint") or None)
        return Response(self.get_serializer(appeal).data)


routes = [
    ("scripts", ScriptViewSet, "script"),
    ("marks", MarkViewSet, "mark"),
    ("appeals", AppealViewSet, "appeal"),
]

extra_urlpatterns = [
    path("subjects/<int:pk>/make-scripts/", MakeScriptsApi.as_view(), name="exams-subject-make-scripts"),
    path("subjects/<int:pk>/assign-markers/", AssignMarkersApi.as_view(), name="exams-subject-assign-markers"),
    path("subjects/<int:pk>/match/", MatchApi.as_view(), name="exams-subject-match"),
    path("subjects/<int:pk>/import-marks/", MarksImportApi.as_view(), name="exams-subject-import-marks"),
    path("subjects/<int:pk>/marks-template/", MarksTemplateApi.as_view(), name="exams-subject-marks-template"),
    path("subjects/<int:pk>/keys/", SubjectKeysApi.as_view(), name="exams-subject-keys"),
    path("exams/<int:pk>/marking-summary/", MarkingSummaryApi.as_view(), name="exams-exam-marking-summary"),
]
