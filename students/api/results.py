"""API of module (a): year results. ``routes``: term results and subject results (read-only, filterable by
class and period); ``extra_urlpatterns``: compute and approve a class's results (POST, only ``pk`` in the path).
The endpoints call the same service as the pages (students.services.results)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from sms.accounts.scoping import get_visible_or_404
from sms.api.serializers import ScopedModelSerializer
from sms.api.viewsets import ScopedMixin, ScopedReadOnlyViewSet
from sms.org.models import SchoolClass

from ..filters_results import SubjectResultFilter, TermResultFilter
from ..models import Period, SubjectResult, TermResult
from ..services import results as service


class TermResultSerializer(ScopedModelSerializer):
    final_learning = serializers.CharField(read_only=True)
    school_class = serializers.IntegerField(source="enrolment.school_class_id", read_only=True)

    class Meta:
        model = TermResult
        fields = [
            "id",
            "school",
            "enrolment",
            "school_class",
            "period",
            "rule_set",
            "learning",
            "learning_before_adjustment",
            "adjusted_by_subject",
            "manual_learning",
            "manual_reason",
            "final_learning",
            "conduct",
            "conduct_after_summer",
            "absences",
            "absences_excused",
            "outcome",
            "title",
            "missing",
            "status",
            "computed_at",
        ]
        read_only_fields = fields


class SubjectResultSerializer(ScopedModelSerializer):
    school_class = serializers.IntegerField(source="enrolment.school_class_id", read_only=True)

    class Meta:
        model = SubjectResult
        fields = [
            "id",
            "school",
            "enrolment",
            "school_class",
            "subject",
            "period",
            "average",
            "passed",
            "level",
            "test_score",
            "retest_average",
            "retest_passed",
            "excluded",
            "status",
        ]
        read_only_fields = fields


class TermResultViewSet(ScopedReadOnlyViewSet):
    """Semester and year results the door shows (learners: their own, once approved)."""

    queryset = TermResult.objects.select_related("enrolment").order_by("enrolment_id", "period")
    serializer_class = TermResultSerializer
    filterset_class = TermResultFilter


class SubjectResultViewSet(ScopedReadOnlyViewSet):
    """Subject results per semester and year (ĐTBmhk, ĐTBmcn, Đ/CĐ, primary levels, re-tests)."""

    queryset = SubjectResult.objects.select_related("enrolment").order_by("enrolment_id", "subject_id", "period")
    serializer_class = SubjectResultSerializer
    filterset_class = SubjectResultFilter


class PeriodSerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=Period.choices, default=Period.YEAR)


class ClassResultsCompute(ScopedMixin, APIView):
    """POST: compute the class's semester and year results (principal, school admin, homeroom teacher)."""

    queryset = SchoolClass.objects.all()

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk):
        klass = get_visible_or_404(self.actor, SchoolClass.objects.select_related("school_year"), pk)
        summary = service.compute_results(self.actor, klass.school_year, school_class=klass)
        return Response(summary.as_dict())


class ClassResultsApprove(ScopedMixin, APIView):
    """POST {"period": "hk1"|"hk2"|"cn"}: the principal approves the class's results of that period."""

    queryset = SchoolClass.objects.all()

    @extend_schema(request=PeriodSerializer, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk):
        klass = get_visible_or_404(self.actor, SchoolClass.objects.select_related("school_year"), pk)
        data = PeriodSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        count = service.approve_results(self.actor, klass, data.validated_data["period"])
        return Response({"approved": count, "period": data.validated_data["period"]})


routes = [
    ("term-results", TermResultViewSet, "termresult"),
    ("subject-results", SubjectResultViewSet, "subjectresult"),
]

extra_urlpatterns = [
    path("classes/<int:pk>/results/compute/", ClassResultsCompute.as_view(), name="class-results-compute"),
    path("classes/<int:pk>/results/approve/", ClassResultsApprove.as_view(), name="class-results-approve"),
]
