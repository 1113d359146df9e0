"""API of module (b): professional-standard evaluation (Thông tư 20/2018) and in-service
training (Thông tư 19/2019). `routes`: (prefix, viewset, basename) registered by teachers/api/urls.py."""

from __future__ import annotations

from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from sms.accounts.roles import ADMIN_ROLES
from sms.accounts.scoping import visible_to
from sms.api.serializers import ScopedModelSerializer
from sms.api.viewsets import ScopedReadOnlyViewSet, ScopedViewSet
from sms.org.models import SchoolYear

from .. import catalogue_tt20, rules, services
from ..filters_evaluation import EvaluationFilter, TrainingFilter
from ..models import CriterionRating, Evaluation, TrainingPlan
from ..views.evaluation import SCORED, _scored


class CriterionRatingSerializer(ScopedModelSerializer):
    title = serializers.SerializerMethodField()
    has_evidence = serializers.SerializerMethodField()

    class Meta:
        model = CriterionRating
        fields = [
            "id",
            "school",
            "evaluation",
            "criterion",
            "title",
            "self_rating",
            "group_rating",
            "final_rating",
            "evidence_note",
            "has_evidence",
        ]
        read_only_fields = fields

    def get_title(self, obj) -> str:
        return catalogue_tt20.CRITERIA.get(obj.criterion, "")

    def get_has_evidence(self, obj) -> bool:
        return bool(obj.evidence)


class EvaluationSerializer(ScopedModelSerializer):
    ratings = CriterionRatingSerializer(many=True, read_only=True)

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "school",
            "school_year",
            "staff",
            "stage",
            "self_level",
            "group_comment",
            "group_level",
            "final_level",
            "principal_comment",
            "decided_by",
            "decided_at",
            "ratings",
        ]
        read_only_fields = fields


class StartSerializer(serializers.Serializer):
    school_year = serializers.IntegerField()


class RatingsSerializer(serializers.Serializer):
    ratings = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False, default=dict)
    evidence_notes = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False, default=dict)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class EvaluationViewSet(ScopedReadOnlyViewSet):
    """Evaluations the door shows (a teacher: their own and those of the group they lead);
    the steps are actions: ``start``, ``self-ratings``, ``submit``, ``comment``, ``decide``."""

    queryset = Evaluation.objects.select_related("school", "school_year", "staff").prefetch_related("ratings")
    serializer_class = EvaluationSerializer
    filterset_class = EvaluationFilter

    def _reply(self, evaluation, code=status.HTTP_200_OK):
        evaluation = self.queryset.get(pk=evaluation.pk)
        return Response(EvaluationSerializer(evaluation, context=self.get_serializer_context()).data, status=code)

    def _input(self):
        data = RatingsSerializer(data=self.request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data

    @action(detail=False, methods=["post"])
    def start(self, request):
        data = StartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        year = visible_to(self.actor, SchoolYear).filter(pk=data.validated_data["school_year"]).first()
        if year is None:
            raise serializers.ValidationError({"school_year": "Không tìm thấy năm học."})
        return self._reply(services.start_self_assessment(self.actor, year), status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], url_path="self-ratings")
    def self_ratings(self, request, pk=None):
        data = self._input()
        evaluation = services.save_self_ratings(self.actor, self.get_object(), data["ratings"], data["evidence_notes"])
        return self._reply(evaluation)

    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._reply(services.submit_self_assessment(self.actor, self.get_object()))

    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None):
        data = self._input()
        return self._reply(services.group_comment(self.actor, self.get_object(), data["comment"], data["ratings"]))

    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        data = self._input()
        return self._reply(services.decide(self.actor, self.get_object(), data["ratings"], data["comment"]))


class CriterionRatingViewSet(ScopedReadOnlyViewSet):
    queryset = CriterionRating.objects.all()
    serializer_class = CriterionRatingSerializer


class TrainingPlanSerializer(ScopedModelSerializer):
    result = serializers.SerializerMethodField()

    class Meta:
        model = TrainingPlan
        fields = [
            "id",
            "school",
            "school_year",
            "staff",
            "content1_periods",
            "content2_periods",
            "content3_periods",
            "content3_modules",
            "submitted_on",
            "score1",
            "score2",
            "score3",
            "result",
        ]

    def get_result(self, obj) -> str:
        periods = (obj.content1_periods, obj.content2_periods, obj.content3_periods)
        return rules.training_result(periods, (obj.score1, obj.score2, obj.score3))

    def validate(self, attrs):
        request = self.context.get("request")
        actor = getattr(self.context.get("view"), "actor", None) if request is not None else None
        if self.instance is not None:
            for name in ("school_year", "staff"):
                if name in attrs and attrs[name] != getattr(self.instance, name):
                    raise serializers.ValidationError({name: "Không đổi được sau khi đã tạo kế hoạch."})
        if actor is not None and actor.role not in ADMIN_ROLES:
            scores = [name for name in ("score1", "score2", "score3") if name in attrs]
            if scores:
                raise serializers.ValidationError({scores[0]: "Điểm kiểm tra do nhà trường nhập."})
            if _scored(self.instance):
                raise serializers.ValidationError(SCORED)
            staff = attrs.get("staff") or getattr(self.instance, "staff", None)
            if staff is not None and staff.user_id != actor.user.pk:
                raise serializers.ValidationError({"staff": "Giáo viên chỉ lập kế hoạch bồi dưỡng của chính mình."})
        staff, year = attrs.get("staff"), attrs.get("school_year")
        if staff is not None and year is not None and staff.school_id != year.school_id:
            raise serializers.ValidationError({"staff": "Giáo viên không thuộc trường của năm học này."})
        return super().validate(attrs)


class TrainingPlanViewSet(ScopedViewSet):
    queryset = TrainingPlan.objects.select_related("school", "school_year", "staff")
    serializer_class = TrainingPlanSerializer
    filterset_class = TrainingFilter

    def perform_destroy(self, instance):
        # A plan with test scores is a result: nobody deletes it (a teacher could otherwise
        # delete and recreate it without the scores). Nothing graded is hard-deleted.
        if _scored(instance):
            raise PermissionDenied("Kế hoạch đã có điểm kiểm tra, không thể xoá.")
        super().perform_destroy(instance)


routes = [
    ("evaluations", EvaluationViewSet, "evaluation"),
    ("criterion-ratings", CriterionRatingViewSet, "criterionrating"),
    ("training-plans", TrainingPlanViewSet, "trainingplan"),
]
