"""API of the exams module's setup area, under /api/exams/: exams, their subjects (the
timetable), their boards and their priority / bonus / direct tables.

Every write calls ``exams.services.setup`` — the functions the HTML pages call — so the API
accepts and refuses exactly what the pages do; the services' Vietnamese ``ValidationError``
becomes the platform's 400 answer, a refusal a 403, another unit's row a 404. Board writes
are endpoints of their own (``exams/<id>/board/``, ``board/<id>/deactivate/``): board members
reach their exam through the board's grant, not through their role, so DRF's generic create
(which checks the role) is not used for them.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from sms.accounts.scoping import get_visible_or_404, units_for
from sms.api.serializers import ScopedModelSerializer
from sms.api.viewsets import ScopedMixin

from ..filters import BoardMemberFilter, ExamFilter, ExamSubjectFilter, PointRuleFilter
from ..models import BoardMember, BoardRole, Exam, ExamSubject, PointRule
from ..services import setup as services

# --- serializers ----------------------------------------------------------------------------------------


class ServiceValidatedSerializer(ScopedModelSerializer):
    """Fields are parsed here; the rules are checked once, by the service that writes the row
    (its ValidationError is the API's 400), so the pages and the API cannot disagree."""

    def validate(self, attrs):
        return attrs


class ExamSubjectSerializer(ServiceValidatedSerializer):
    class Meta:
        model = ExamSubject
        fields = [
            "id",
            "exam",
            "code",
            "name",
            "duration_minutes",
            "coefficient",
            "max_score",
            "double_marked",
            "starts_at",
            "order",
        ]
        extra_kwargs = {"code": {"required": False, "allow_blank": True}, "order": {"required": False}}


class ExamSerializer(ServiceValidatedSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Exam
        fields = [
            "id",
            "unit",
            "unit_name",
            "kind",
            "kind_display",
            "name",
            "start_year",
            "grade",
            "accepts_online",
            "applications_open_at",
            "applications_close_at",
            "room_capacity",
            "number_prefix",
            "number_width",
            "mark_threshold",
            "choices_allowed",
            "choice_margins",
            "tie_breaks",
            "results_publish_at",
            "created_at",
        ]
        read_only_fields = ["results_publish_at", "created_at"]
        extra_kwargs = {
            "unit": {"required": False},
            "grade": {"required": False, "allow_null": True},
            "room_capacity": {"required": False, "allow_null": True},
            "choices_allowed": {"required": False, "allow_null": True},
            "choice_margins": {"required": False, "allow_null": True},
            "tie_breaks": {"required": False, "allow_null": True},
        }


class InitialSubjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExamSubject
        fields = ["code", "name", "duration_minutes", "coefficient", "max_score", "double_marked", "starts_at", "order"]
        extra_kwargs = {"code": {"required": False, "allow_blank": True}, "order": {"required": False}}


class ExamCreateSerializer(ExamSerializer):
    """An exam with, optionally, its subjects (``initial_subjects`` absent: the kind's default
    subjects; ``[]``: none) and whether to copy the default points table (``default_point_rules``)."""

    initial_subjects = InitialSubjectSerializer(
        many=True,
        allow_null=True,
        write_only=True,
        default=None,
        help_text="Các môn thi: code, name, duration_minutes, coefficient, max_score, double_marked, starts_at.",
    )
    default_point_rules = serializers.BooleanField(default=True, write_only=True)

    class Meta(ExamSerializer.Meta):
        fields = [*ExamSerializer.Meta.fields, "initial_subjects", "default_point_rules"]


class BoardMemberSerializer(serializers.ModelSerializer):
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    home_unit_name = serializers.CharField(source="home_unit.name", read_only=True)

    class Meta:
        model = BoardMember
        fields = ["id", "exam", "user", "full_name", "role", "role_display", "home_unit", "home_unit_name", "is_active"]
        read_only_fields = fields


class SeatSerializer(serializers.Serializer):
    user = serializers.IntegerField(help_text="Mã người dùng (có vai trò đang hiệu lực thuộc đơn vị tổ chức).")
    role = serializers.ChoiceField(choices=BoardRole.choices)
    home_unit = serializers.IntegerField(
        required=False, allow_null=True, help_text="Đơn vị công tác; để trống: đơn vị của vai trò đầu tiên tìm thấy."
    )


class SeatReleaseSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, default="", max_length=100)


class PointRuleSerializer(ServiceValidatedSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = PointRule
        fields = ["id", "exam", "kind", "kind_display", "code", "label", "points"]


# --- viewsets --------------------------------------------------------------------------------------------


class ExamViewSet(
    ScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Exams the actor sees (``visible_to``). Organisers create them (owner among their units,
    kind allowed for that owner, defaults per kind); organisers and the board's chair and
    secretariat change them. ``board/`` seats a person on the exam's board."""

    queryset = Exam.objects.select_related("unit")
    serializer_class = ExamSerializer
    filterset_class = ExamFilter

    def get_serializer_class(self):
        return ExamCreateSerializer if self.action == "create" else ExamSerializer

    def create(self, request, *args, **kwargs):
        if not units_for(self.actor, Exam, "add").exists():
            raise PermissionDenied("Bạn không có quyền tổ chức kỳ thi.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        subjects = data.pop("initial_subjects", None)
        subjects = None if subjects is None else [dict(row) for row in subjects]
        point_rules = data.pop("default_point_rules", True)
        exam = services.create_exam(self.actor, subjects=subjects, point_rules=point_rules, **data)
        return Response(
            ExamSerializer(exam, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        exam = self.get_object()
        serializer = self.get_serializer(exam, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        exam = services.update_exam(self.actor, exam, **serializer.validated_data)
        return Response(self.get_serializer(exam).data)

    @extend_schema(request=SeatSerializer, responses={201: BoardMemberSerializer})
    @action(detail=True, methods=["post"], url_path="board")
    def seat(self, request, pk=None):
        """Seat a person on the exam's board: organisers of the owner's subtree and the chair seat
        markers and invigilators, only an admin of the owner's subtree the chair and the
        secretariat; nobody seats themselves (``services.may_seat``)."""
        exam = get_visible_or_404(self.actor, Exam.objects.select_related("unit"), pk)
        data = SeatSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attrs = data.validated_data
        seat = services.add_member(self.actor, exam, attrs["user"], attrs["role"], home_unit=attrs.get("home_unit"))
        return Response(BoardMemberSerializer(seat).data, status=status.HTTP_201_CREATED)


class ExamSubjectViewSet(
    ScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The exam's tests and timetable. No two tests of an exam overlap in time; once marking
    has started, codes, coefficients, scales and double marking are fixed and nothing is added
    or removed."""

    queryset = ExamSubject.objects.select_related("exam")
    serializer_class = ExamSubjectSerializer
    filterset_class = ExamSubjectFilter

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        if self.action in ("update", "partial_update"):
            serializer.fields["exam"].read_only = True  # a subject never moves to another exam
        return serializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        exam = data.pop("exam")
        subject = services.add_subject(self.actor, exam, **data)
        return Response(self.get_serializer(subject).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        subject = self.get_object()
        serializer = self.get_serializer(subject, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if k != "exam"}
        subject = services.update_subject(self.actor, subject, **data)
        return Response(self.get_serializer(subject).data)

    def perform_destroy(self, instance):
        services.remove_subject(self.actor, instance)


class BoardMemberViewSet(ScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Board seats the door shows: organisers and the exam's chair and secretariat see the whole
    board, every member their own seats. A seat is never deleted: ``deactivate`` relieves the
    member (their marks keep naming the seat), ``reactivate`` gives it back. Seats are added on
    the exam (``exams/<id>/board/``)."""

    queryset = BoardMember.objects.select_related("home_unit")
    serializer_class = BoardMemberSerializer
    filterset_class = BoardMemberFilter

    @extend_schema(request=SeatReleaseSerializer, responses={200: BoardMemberSerializer})
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        member = get_visible_or_404(self.actor, BoardMember, pk)
        data = SeatReleaseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = services.deactivate_member(self.actor, member, data.validated_data["reason"])
        return Response(BoardMemberSerializer(member).data)

    @extend_schema(request=None, responses={200: BoardMemberSerializer})
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        member = get_visible_or_404(self.actor, BoardMember, pk)
        member = services.reactivate_member(self.actor, member)
        return Response(BoardMemberSerializer(member).data)


class PointRuleViewSet(
    ScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The exam's priority / bonus / direct-admission table (organisers write it). A line a
    candidate or an application uses keeps its kind and code and cannot be removed."""

    queryset = PointRule.objects.select_related("exam")
    serializer_class = PointRuleSerializer
    filterset_class = PointRuleFilter

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        if self.action in ("update", "partial_update"):
            serializer.fields["exam"].read_only = True
        return serializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        exam = data.pop("exam")
        rule = services.add_point_rule(self.actor, exam, **data)
        return Response(self.get_serializer(rule).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        rule = self.get_object()
        serializer = self.get_serializer(rule, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if k != "exam"}
        rule = services.update_point_rule(self.actor, rule, **data)
        return Response(self.get_serializer(rule).data)

    def perform_destroy(self, instance):
        services.remove_point_rule(self.actor, instance)


routes = [
    ("exams", ExamViewSet, "exam"),
    ("subjects", ExamSubjectViewSet, "examsubject"),
    ("board", BoardMemberViewSet, "boardmember"),
    ("point-rules", PointRuleViewSet, "pointrule"),
]
extra_urlpatterns: list = []
