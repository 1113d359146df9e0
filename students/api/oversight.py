"""API of module (a): oversight (issue 6, point 4) — the JSON of the oversight pages, from the same
selectors (students.stats): grade-entry completion per school and grade, one school's expected sheets
(who has not submitted, by deadline), and the distributions of approved results per school and grade.
GET parameters as on the pages: ``nam``, ``hoc_ky``, ``ky``, ``don_vi``, ``chua_nop``, ``sap_xep``."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from sms.accounts.roles import SCHOOL_LEVEL_KINDS
from sms.accounts.scoping import get_visible_or_404
from sms.api.viewsets import ScopedMixin
from sms.org.models import Unit
from teachers.models import TeachingAssignment

from .. import stats
from ..models import TermResult

YEAR = OpenApiParameter("nam", OpenApiTypes.INT, description="Năm bắt đầu của năm học (2026 = 2026–2027)")
SEMESTER = OpenApiParameter("hoc_ky", OpenApiTypes.INT, enum=[1, 2], description="Học kỳ (1 hoặc 2)")
PERIOD = OpenApiParameter("ky", OpenApiTypes.STR, enum=["hk1", "hk2", "cn"], description="Kỳ: hk1, hk2, cn")
WITHIN = OpenApiParameter("don_vi", OpenApiTypes.INT, description="Chỉ các trường thuộc đơn vị này (Phòng, Sở…)")
UNSUBMITTED = OpenApiParameter("chua_nop", OpenApiTypes.BOOL, description="Chỉ nơi / bảng điểm còn chưa gửi")
SORT = OpenApiParameter("sap_xep", OpenApiTypes.STR, enum=[v for v, _ in stats.SORTS], description="Sắp xếp trường")


# --- serializers (read-only shapes, for the schema and the answer) ----------------------------------


class OversightCountsSerializer(serializers.Serializer):
    expected = serializers.IntegerField(help_text="Số bảng điểm phải nhập (phân công của học kỳ)")
    not_opened = serializers.IntegerField(help_text="Chưa nhập (chưa mở bảng điểm)")
    draft = serializers.IntegerField(help_text="Đang nhập")
    submitted = serializers.IntegerField(help_text="Giáo viên bộ môn đã gửi")
    checked = serializers.IntegerField(help_text="GVCN đã kiểm tra")
    approved = serializers.IntegerField(help_text="Hiệu trưởng đã duyệt")
    approved_percent = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    overdue = serializers.IntegerField(help_text="Quá hạn nhập điểm mà chưa gửi")


class OversightSchoolCountsSerializer(OversightCountsSerializer):
    school = serializers.IntegerField()
    name = serializers.CharField()
    parent = serializers.CharField(help_text="Đơn vị quản lý trực tiếp")


class OversightGradeCountsSerializer(OversightCountsSerializer):
    grade = serializers.IntegerField()


class OversightCompletionSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    semester = serializers.IntegerField()
    schools = OversightSchoolCountsSerializer(many=True)
    grades = OversightGradeCountsSerializer(many=True)
    totals = OversightCountsSerializer()


class OversightSheetLineSerializer(serializers.Serializer):
    school_class = serializers.IntegerField(source="school_class_id")
    class_name = serializers.CharField()
    grade = serializers.IntegerField()
    subject = serializers.IntegerField(source="subject_id")
    subject_name = serializers.CharField()
    teacher = serializers.CharField()
    status = serializers.CharField(source="stage")
    status_label = serializers.CharField(source="stage_label")
    sheet = serializers.IntegerField(source="sheet_id", allow_null=True)
    last_change = serializers.DateTimeField(allow_null=True)
    deadline = serializers.DateField(allow_null=True)
    overdue = serializers.BooleanField()


class OversightClassSerializer(serializers.Serializer):
    school_class = serializers.IntegerField(source="school_class_id")
    name = serializers.CharField()
    grade = serializers.IntegerField()
    counts = OversightCountsSerializer()
    lines = OversightSheetLineSerializer(many=True)


class OversightSchoolCompletionSerializer(serializers.Serializer):
    school = serializers.IntegerField()
    name = serializers.CharField()
    year = serializers.IntegerField()
    semester = serializers.IntegerField()
    totals = OversightCountsSerializer()
    classes = OversightClassSerializer(many=True)


class OversightLevelSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class OversightDistRowSerializer(serializers.Serializer):
    key = serializers.IntegerField(allow_null=True, help_text="Mã trường, hoặc khối; null ở dòng cộng")
    name = serializers.CharField()
    approved = serializers.IntegerField(help_text="Số học sinh có kết quả đã duyệt")
    unapproved = serializers.IntegerField(help_text="Số kết quả chưa duyệt (không tính vào tỉ lệ)")
    unclassified = serializers.IntegerField()
    counts = serializers.DictField(child=serializers.IntegerField())
    percents = serializers.DictField(child=serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True))


class OversightDistTableSerializer(serializers.Serializer):
    scheme = serializers.CharField()
    scheme_label = serializers.CharField()
    dimension = serializers.ChoiceField(choices=[("learning", "Kết quả học tập"), ("conduct", "Rèn luyện")])
    title = serializers.CharField()
    levels = OversightLevelSerializer(many=True)
    schools = OversightDistRowSerializer(many=True)
    grades = OversightDistRowSerializer(many=True)
    total = OversightDistRowSerializer()


class OversightResultsSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    period = serializers.CharField()
    tables = OversightDistTableSerializer(many=True)


# --- plain dicts for the serializers --------------------------------------------------------------------


def _counts(completion: stats.Completion) -> dict:
    return completion.as_dict()


def _query(view) -> stats.OversightQuery:
    stats.require_overseer(view.actor)
    query = stats.OversightQuery(view.request.query_params, request=view.request, actor=view.actor)
    if not query.is_valid():
        raise ValidationError({k: [str(m) for m in v] for k, v in query.errors.items()})
    return query


def _dist_row(row: stats.DistRow) -> dict:
    return {
        "key": row.key,
        "name": row.name,
        "approved": row.approved,
        "unapproved": row.unapproved,
        "unclassified": row.unclassified,
        "counts": row.counts,
        "percents": row.percents,
    }


class OversightCompletion(ScopedMixin, APIView):
    """Grade-entry completion of a semester per school and grade in the actor's reach."""

    queryset = TeachingAssignment.objects.all()

    @extend_schema(parameters=[YEAR, SEMESTER, WITHIN, UNSUBMITTED, SORT], responses=OversightCompletionSerializer)
    def get(self, request):
        q = _query(self)
        report = stats.completion_report(self.actor, q.year, q.semester, within=q.within)
        rows = [r for r in report.schools if r.completion.unsubmitted] if q.unsubmitted_only else report.schools
        data = {
            "year": report.year,
            "semester": report.semester,
            "schools": [
                {"school": r.school.pk, "name": r.school.name, "parent": r.parent_name, **_counts(r.completion)}
                for r in stats.sort_schools(rows, q.sort)
            ],
            "grades": [{"grade": g, **_counts(c)} for g, c in report.grades.items()],
            "totals": _counts(report.total),
        }
        return Response(OversightCompletionSerializer(data).data)


class OversightCompletionSchool(ScopedMixin, APIView):
    """One school's expected sheets of a semester by class: subject, teacher, status, last change, deadline,
    overdue. A school outside the actor's reach is a 404."""

    queryset = Unit.objects.filter(kind__in=SCHOOL_LEVEL_KINDS)

    @extend_schema(parameters=[YEAR, SEMESTER, UNSUBMITTED], responses=OversightSchoolCompletionSerializer)
    def get(self, request, pk):
        school = get_visible_or_404(self.actor, self.queryset, pk)
        q = _query(self)
        lines = stats.sheet_lines(self.actor, q.year, q.semester, school=school, unsubmitted_only=q.unsubmitted_only)
        classes = stats.by_class(lines)
        total = stats.Completion()
        for klass in classes:
            total.merge(klass.completion)
        data = {
            "school": school.pk,
            "name": school.name,
            "year": q.year,
            "semester": q.semester,
            "totals": _counts(total),
            "classes": [
                {
                    "school_class_id": k.school_class_id,
                    "name": k.name,
                    "grade": k.grade,
                    "counts": _counts(k.completion),
                    "lines": k.lines,
                }
                for k in classes
            ],
        }
        return Response(OversightSchoolCompletionSerializer(data).data)


class OversightResults(ScopedMixin, APIView):
    """Distributions of approved learning and conduct results of a period per school and grade."""

    queryset = TermResult.objects.all()

    @extend_schema(parameters=[YEAR, PERIOD, WITHIN], responses=OversightResultsSerializer)
    def get(self, request):
        q = _query(self)
        report = stats.results_report(self.actor, q.year, q.period, within=q.within)
        data = {
            "year": report.year,
            "period": report.period,
            "tables": [
                {
                    "scheme": t.scheme.key,
                    "scheme_label": t.scheme.title,
                    "dimension": t.dimension,
                    "title": t.title,
                    "levels": [{"value": v, "label": lbl} for v, lbl in t.levels],
                    "schools": [_dist_row(r) for r in t.schools],
                    "grades": [_dist_row(r) for r in t.grades],
                    "total": _dist_row(t.total),
                }
                for t in report.tables
            ],
        }
        return Response(OversightResultsSerializer(data).data)


routes: list = []
extra_urlpatterns = [
    path("oversight/completion/", OversightCompletion.as_view(), name="oversight-completion"),
    path(
        "oversight/completion/schools/<int:pk>/",
        OversightCompletionSchool.as_view(),
        name="oversight-completion-school",
    ),
    path("oversight/results/", OversightResults.as_view(), name="oversight-results"),
]
