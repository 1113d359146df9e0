"""API of the graduation rounds, under /api/exams/: rounds (list, retrieve, open; actions review, propose, return,
decide), their council members, and their entries (list, retrieve; actions exclude, include).

Every write calls ``exams.services.graduation`` — the functions the HTML pages call — so the API accepts and refuses
exactly what the pages do: the service's Vietnamese ``ValidationError`` is the platform's 400, a refusal a 403,
another unit's row a 404 (the object comes through the door first). A learner (student, parent) reads their own
entry once its round is decided.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from sms.accounts.scoping import get_visible_or_404
from sms.api.serializers import ScopedModelSerializer
from sms.api.viewsets import ScopedMixin

from ..filters_graduation import GraduationCouncilMemberFilter, GraduationEntryFilter, GraduationRoundFilter
from ..models import GraduationCouncilMember, GraduationEntry, GraduationRound
from ..reports.graduation import reason_texts
from ..services import graduation as services

# --- serializers ----------------------------------------------------------------------------------------------


class ServiceValidatedSerializer(ScopedModelSerializer):
    """Relations through the door; the rules are checked once, by the service that writes the row."""

    def validate(self, attrs):
        return attrs


class GraduationRoundSerializer(ServiceValidatedSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    issuer_name = serializers.CharField(source="issuer.name", read_only=True, default=None)

    class Meta:
        model = GraduationRound
        fields = [
            "id",
            "unit",
            "unit_name",
            "level",
            "level_display",
            "start_year",
            "number",
            "exam",
            "issuer",
            "issuer_name",
            "status",
            "status_display",
            "reviewed_at",
            "proposed_at",
            "decision_number",
            "decision_date",
            "decision_signer",
            "decided_at",
            "note",
            "created_at",
        ]
        read_only_fields = [
            "unit",
            "number",
            "issuer",
            "status",
            "reviewed_at",
            "proposed_at",
            "decision_number",
            "decision_date",
            "decision_signer",
            "decided_at",
            "created_at",
        ]
        extra_kwargs = {
            "start_year": {
                "required": False,
                "allow_null": True,
                "help_text": "THCS: năm bắt đầu của năm học; để trống: năm học hiện tại của trường.",
            },
            "exam": {"required": False, "allow_null": True, "help_text": "THPT: kỳ thi tốt nghiệp đã công bố."},
            "note": {"required": False, "allow_blank": True},
        }


class GraduationRoundSummarySerializer(serializers.Serializer):
    total = serializers.IntegerField()
    recognised = serializers.IntegerField()
    not_recognised = serializers.IntegerField()
    excluded = serializers.IntegerField()
    may_retry = serializers.IntegerField()


class GraduationRoundActionsSerializer(serializers.Serializer):
    review = serializers.BooleanField()
    propose = serializers.BooleanField()
    decide = serializers.BooleanField()
    send_back = serializers.BooleanField()
    edit = serializers.BooleanField()


class GraduationRoundDetailSerializer(GraduationRoundSerializer):
    """A round with the counts of the entries the actor reads, what keeps its council from deciding, and the
    actions the actor may take now."""

    summary = serializers.SerializerMethodField()
    council_problems = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()

    class Meta(GraduationRoundSerializer.Meta):
        fields = [*GraduationRoundSerializer.Meta.fields, "summary", "council_problems", "actions", "warnings"]
        read_only_fields = fields

    def _actor(self):
        return self.context["view"].actor

    @extend_schema_field(GraduationRoundSummarySerializer)
    def get_summary(self, rnd) -> dict:
        return services.summary(services.entries_for(self._actor(), rnd))

    def get_council_problems(self, rnd) -> list[str]:
        return services.council_problems(rnd)

    def get_warnings(self, rnd) -> list[str]:
        """What to know before deciding (no priority table for the exam; an issuer that cannot recognise it)."""
        return services.warnings(rnd)

    @extend_schema_field(GraduationRoundActionsSerializer)
    def get_actions(self, rnd) -> dict:
        a = services.actions_for(self._actor(), rnd)
        return {"review": a.review, "propose": a.propose, "decide": a.decide, "send_back": a.send_back, "edit": a.edit}


class CouncilMemberSerializer(ServiceValidatedSerializer):
    role_display = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = GraduationCouncilMember
        fields = ["id", "round", "full_name", "position", "role", "role_display", "user", "order"]
        extra_kwargs = {
            "full_name": {"required": False, "allow_blank": True, "help_text": "Để trống: lấy họ tên của tài khoản."},
            "position": {"required": False, "allow_blank": True},
            "user": {"required": False, "allow_null": True},
            "order": {"required": False},
        }


class GraduationEntrySerializer(serializers.ModelSerializer):
    reason_texts = serializers.SerializerMethodField()
    school_display = serializers.SerializerMethodField()

    class Meta:
        model = GraduationEntry
        fields = [
            "id",
            "round",
            "student",
            "candidate",
            "school",
            "school_name",
            "school_display",
            "class_name",
            "full_name",
            "birth_date",
            "sex",
            "ethnicity",
            "birthplace",
            "personal_id",
            "outcome",
            "learning",
            "conduct",
            "absences",
            "tests",
            "record_average",
            "graduation_score",
            "recognised",
            "reasons",
            "reason_texts",
            "may_retry",
            "excluded",
            "note",
        ]
        read_only_fields = fields

    def get_reason_texts(self, entry) -> list[str]:
        return reason_texts(entry, entry.round.level)

    def get_school_display(self, entry) -> str:
        return entry.school.name if entry.school_id else entry.school_name


class GraduationReviewResultSerializer(serializers.Serializer):
    entries = serializers.IntegerField()
    recognised = serializers.IntegerField()
    not_recognised = serializers.IntegerField()
    added = serializers.IntegerField()
    updated = serializers.IntegerField()
    removed = serializers.IntegerField()
    warnings = serializers.ListField(
        child=serializers.CharField(), help_text="Lưu ý (ví dụ: kỳ thi chưa có đối tượng ưu tiên: điểm ưu tiên là 0)."
    )
    round = GraduationRoundSerializer()


class GraduationNoteSerializer(serializers.Serializer):
    note = serializers.CharField(allow_blank=True, max_length=2000)


class GraduationDecisionSerializer(serializers.Serializer):
    decision_number = serializers.CharField(allow_blank=True, max_length=60)
    decision_date = serializers.DateField(allow_null=True)
    decision_signer = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=255, help_text="Để trống: theo cơ quan cấp bằng."
    )


# --- viewsets -----------------------------------------------------------------------------------------------------


class GraduationRoundViewSet(ScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Graduation rounds the actor sees (``visible_to``). A school's principal or school admin opens its THCS round
    (``level=thcs``, ``start_year``); the organiser of a published graduation exam opens its THPT round
    (``level=thpt``, ``exam``). The workflow's steps are actions on the round."""

    queryset = GraduationRound.objects.select_related("unit", "exam__unit", "issuer__unit")
    serializer_class = GraduationRoundSerializer
    filterset_class = GraduationRoundFilter

    def get_serializer_class(self):
        return GraduationRoundDetailSerializer if self.action != "list" else GraduationRoundSerializer

    def _round(self, pk) -> GraduationRound:
        return get_visible_or_404(self.actor, self.queryset, pk)

    def _detail(self, rnd, code=status.HTTP_200_OK) -> Response:
        rnd = self.queryset.get(pk=rnd.pk)
        return Response(GraduationRoundDetailSerializer(rnd, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=GraduationRoundSerializer, responses={201: GraduationRoundDetailSerializer})
    def create(self, request, *args, **kwargs):
        serializer = GraduationRoundSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        rnd = services.create_round(
            self.actor,
            level=data.get("level"),
            start_year=data.get("start_year"),
            exam=data.get("exam"),
            note=data.get("note") or "",
        )
        return self._detail(rnd, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=GraduationReviewResultSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """ "Xét": build or refresh the entries (a draft round, by who runs it)."""
        rnd = self._round(pk)
        counts = services.review(self.actor, rnd)
        rnd = self.queryset.get(pk=rnd.pk)
        return Response({**counts, "round": GraduationRoundSerializer(rnd, context=self.get_serializer_context()).data})

    @extend_schema(request=None, responses=GraduationRoundDetailSerializer)
    @action(detail=True, methods=["post"])
    def propose(self, request, pk=None):
        """ "Trình": a THCS round with a complete council and a current list goes to the decider."""
        rnd = services.propose(self.actor, self._round(pk))
        return self._detail(rnd)

    @extend_schema(request=GraduationNoteSerializer, responses=GraduationRoundDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def send_back(self, request, pk=None):
        """ "Trả lại": the decider sends a proposed round back to the school, with a note."""
        rnd = self._round(pk)
        data = GraduationNoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._detail(services.return_round(self.actor, rnd, data.validated_data["note"]))

    @extend_schema(request=GraduationDecisionSerializer, responses=GraduationRoundDetailSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """ "Công nhận": the decision's number, date and signer (default: the issuer's signer)."""
        rnd = self._round(pk)
        data = GraduationDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._detail(services.decide(self.actor, rnd, **data.validated_data))


class GraduationCouncilViewSet(
    ScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Council members of the rounds the actor sees (``?round=``). Who runs a draft round adds, changes and removes
    them; a member never moves to another round."""

    queryset = GraduationCouncilMember.objects.select_related("round__unit", "user")
    serializer_class = CouncilMemberSerializer
    filterset_class = GraduationCouncilMemberFilter

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        if self.action in ("update", "partial_update"):
            serializer.fields["round"].read_only = True
        return serializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        rnd = data.pop("round")
        member = services.add_council_member(
            self.actor,
            rnd,
            full_name=data.get("full_name", ""),
            position=data.get("position", ""),
            role=data.get("role"),
            user=data.get("user"),
            order=data.get("order"),
        )
        return Response(self.get_serializer(member).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        member = self.get_object()
        serializer = self.get_serializer(member, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if k != "round"}
        if "user" not in data:
            data["user"] = ...
        member = services.update_council_member(self.actor, member, **data)
        return Response(self.get_serializer(member).data)

    def perform_destroy(self, instance):
        services.remove_council_member(self.actor, instance)


class GraduationEntryViewSet(ScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Entries the actor reads (``?round=``, ``?school=``, ``?recognised=``, ``?q=``): the round's unit and the
    offices above it all of them, a school its own learners of a round run above it, a learner their own once the
    round is decided. Who runs a draft round excludes a recognised learner (``exclude``, with a note) or undoes it
    (``include``)."""

    queryset = GraduationEntry.objects.select_related("round", "school")
    serializer_class = GraduationEntrySerializer
    filterset_class = GraduationEntryFilter

    @extend_schema(request=GraduationNoteSerializer, responses=GraduationEntrySerializer)
    @action(detail=True, methods=["post"])
    def exclude(self, request, pk=None):
        entry = get_visible_or_404(self.actor, GraduationEntry, pk)
        data = GraduationNoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.exclude_entry(self.actor, entry, data.validated_data["note"])
        return Response(GraduationEntrySerializer(self.queryset.get(pk=entry.pk)).data)

    @extend_schema(request=None, responses=GraduationEntrySerializer)
    @action(detail=True, methods=["post"])
    def include(self, request, pk=None):
        entry = get_visible_or_404(self.actor, GraduationEntry, pk)
        entry = services.include_entry(self.actor, entry)
        return Response(GraduationEntrySerializer(self.queryset.get(pk=entry.pk)).data)


routes = [
    ("graduation-rounds", GraduationRoundViewSet, "graduationround"),
    ("graduation-council", GraduationCouncilViewSet, "graduationcouncilmember"),
    ("graduation-entries", GraduationEntryViewSet, "graduationentry"),
]
extra_urlpatterns: list = []
