"""API of module (b): teaching assignments, norms and the load report.
`routes`: (prefix, viewset, basename) registered by teachers/api/urls.py."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from sms.accounts.scoping import get_visible_or_404, scope_of
from sms.api.serializers import ScopedModelSerializer
from sms.api.viewsets import ScopedViewSet
from sms.org.models import Semester

from .. import load
from ..filters_assignments import AssignmentFilter, NormFilter
from ..models import TeachingAssignment, TeachingNorm


class AssignmentSerializer(ScopedModelSerializer):
    teacher_name = serializers.CharField(source="teacher.full_name", read_only=True)
    class_name = serializers.CharField(source="school_class.name", read_only=True)
    subject_name = serializers.CharField(source="subject.name", read_only=True)
    homeroom_teacher = serializers.PrimaryKeyRelatedField(source="school_class.homeroom_teacher", read_only=True)

    class Meta:
        model = TeachingAssignment
        fields = [
            "id",
            "school",
            "semester",
            "school_class",
            "class_name",
            "subject",
            "subject_name",
            "teacher",
            "teacher_name",
            "homeroom_teacher",
        ]


class NormSerializer(ScopedModelSerializer):
    class Meta:
        model = TeachingNorm
        fields = ["id", "unit", "level", "position", "boarding", "periods_per_week", "teaching_weeks"]


def _decimal(value):
    return None if value is None else str(value)


class WritersOnlyMixin:
    """A create by a role the model does not let write is refused before any field is read
    (relations other than units are checked for "view" only, so a teacher could otherwise
    create a row from rows they may read). Updates and deletes go through the door already."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.action == "create" and self.actor.role not in scope_of(self.queryset.model).writers:
            raise PermissionDenied("Bạn không có quyền thực hiện thao tác này.")


class AssignmentViewSet(WritersOnlyMixin, ScopedViewSet):
    """Teaching assignments (teacher × class × subject × semester); staff read, admins write.
    ``load/?semester=<id>``: the load report of that semester's school."""

    queryset = TeachingAssignment.objects.select_related(
        "semester", "school_class__homeroom_teacher", "subject", "teacher", "school"
    )
    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilter

    @action(detail=False, methods=["get"])
    def load(self, request):
        semester_id = request.query_params.get("semester")
        if not semester_id:
            raise serializers.ValidationError({"semester": "Chọn học kỳ (tham số semester)."})
        semester = get_visible_or_404(self.actor, Semester.objects.select_related("school", "school_year"), semester_id)
        rows = load.load_report(self.actor, semester)
        return Response(
            {
                "school": semester.school_id,
                "semester": semester.pk,
                "results": [
                    {
                        "staff": row.staff.pk,
                        "full_name": row.staff.full_name,
                        "position": row.staff.position,
                        "level": row.level,
                        "classes": row.classes,
                        "assigned_weekly": _decimal(row.assigned),
                        "norm_weekly": _decimal(row.norm),
                        "difference": _decimal(row.difference),
                        "status": row.status,
                        "norm_source": row.norm_source,
                    }
                    for row in rows
                ],
            }
        )


class NormViewSet(WritersOnlyMixin, ScopedViewSet):
    """Weekly teaching norms set by a Sở or Phòng (read by the schools under it)."""

    queryset = TeachingNorm.objects.select_related("unit")
    serializer_class = NormSerializer
    filterset_class = NormFilter


routes = [
    ("assignments", AssignmentViewSet, "teachingassignment"),
    ("norms", NormViewSet, "teachingnorm"),
]
