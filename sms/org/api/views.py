from django.db import transaction
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from sms.accounts.scoping import get_visible_or_404
from sms.api.viewsets import ScopedViewSet

from .. import filters, services
from ..models import AdministrativeArea, SchoolClass, SchoolYear, Semester, Subject, SubjectPlan, Unit
from . import serializers as s


class MoveUnitSerializer(serializers.Serializer):
    parent = serializers.IntegerField(help_text="Mã (id) đơn vị cấp trên mới")
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True)


class UnitViewSet(ScopedViewSet):
    """Management units in the actor's subtree. Moving a unit goes through ``move/``."""

    queryset = Unit.objects.select_related("parent", "area")
    serializer_class = s.UnitSerializer
    filterset_class = filters.UnitFilter
    ordering_fields = ["name", "code", "path"]

    def perform_update(self, serializer):
        if "parent" in serializer.validated_data and serializer.validated_data["parent"] != serializer.instance.parent:
            raise serializers.ValidationError(
                {"parent": "Dùng thao tác “chuyển đơn vị” (move/) để đổi đơn vị cấp trên."}
            )
        serializer.save()

    @action(detail=True, methods=["post"], serializer_class=MoveUnitSerializer)
    def move(self, request, pk=None):
        unit = self.get_object()
        data = MoveUnitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new_parent = get_visible_or_404(self.actor, Unit, data.validated_data["parent"], "change")
        services.move_unit(self.actor, unit, new_parent, data.validated_data.get("reason", ""))
        unit.refresh_from_db()
        return Response(s.UnitSerializer(unit, context=self.get_serializer_context()).data)


class AdministrativeAreaViewSet(ScopedViewSet):
    queryset = AdministrativeArea.objects.select_related("parent", "successor")
    serializer_class = s.AdministrativeAreaSerializer
    filterset_class = filters.AreaFilter


class SchoolYearViewSet(ScopedViewSet):
    queryset = SchoolYear.objects.select_related("school").prefetch_related("semesters")
    serializer_class = s.SchoolYearSerializer
    filterset_class = filters.SchoolYearFilter

    def perform_create(self, serializer):
        data = serializer.validated_data
        with transaction.atomic():
            serializer.instance = services.create_school_year(
                data["school"], data["start_year"], starts_on=data["starts_on"], ends_on=data["ends_on"]
            )

    @action(detail=True, methods=["post"], url_path="make-current")
    def make_current(self, request, pk=None):
        year = self.get_object()
        services.set_current_year(year)
        return Response(self.get_serializer(year).data)


class SemesterViewSet(ScopedViewSet):
    queryset = Semester.objects.select_related("school_year")
    serializer_class = s.SemesterSerializer
    filterset_fields = ["school", "school_year", "number"]


class SchoolClassViewSet(ScopedViewSet):
    queryset = SchoolClass.objects.select_related("school_year", "homeroom_teacher")
    serializer_class = s.SchoolClassSerializer
    filterset_class = filters.SchoolClassFilter
    ordering_fields = ["grade", "name"]


class SubjectViewSet(ScopedViewSet):
    queryset = Subject.objects.all()
    serializer_class = s.SubjectSerializer
    filterset_class = filters.SubjectFilter


class SubjectPlanViewSet(ScopedViewSet):
    queryset = SubjectPlan.objects.select_related("subject", "school_year")
    serializer_class = s.SubjectPlanSerializer
    filterset_class = filters.SubjectPlanFilter
