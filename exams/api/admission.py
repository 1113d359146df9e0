"""API of the exams module's admission area, under /api/exams/: quotas, the allocation, the
publication of results at a set time, the results and the candidates' scores.

Every write calls ``exams.services.admission`` / ``exams.services.publication`` — the functions
the HTML pages call. The exam comes through the door first (another unit's exam is a 404), then
the service decides; its Vietnamese ``ValidationError`` is the platform's 400, a refusal a 403.
Writes are endpoints of their own, not DRF's generic create: the board's chair reaches the exam
through the board's grant, not through their role.
"""

from __future__ import annotations

import django_filters
from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from sms.accounts.actors import actor_from_request
from sms.accounts.scoping import get_visible_or_404
from sms.api.viewsets import ScopedMixin

from ..models import AdmissionStatus, BoardMember, CandidateScore, Exam, Quota
from ..services import admission as services
from ..services import publication

# --- serializers ----------------------------------------------------------------------------------------


class QuotaSerializer(serializers.ModelSerializer):
    """A quota; ``cut_off`` and ``admitted`` are null until the outcome may be read (after
    publication, or for the board's chair and secretariat)."""

    school_name = serializers.CharField(source="school.name", read_only=True)
    cut_off = serializers.SerializerMethodField()
    admitted = serializers.SerializerMethodField()

    class Meta:
        model = Quota
        fields = ["id", "exam", "school", "school_name", "places", "cut_off", "admitted"]
        read_only_fields = ["id", "exam", "school", "school_name"]

    def _visible(self, quota) -> bool:
        cache = self.context.setdefault("_outcome", {})
        if quota.exam_id not in cache:
            request = self.context.get("request")
            actor = (getattr(request, "actor", None) or actor_from_request(request)) if request is not None else None
            # Every exam of the page at once: one query for the actor's board seats, not one per exam.
            page = getattr(self.parent, "instance", None) if self.parent is not None else None
            exams = {q.exam_id: q.exam for q in (page if isinstance(page, list | tuple) else [quota])}
            exams[quota.exam_id] = quota.exam
            seats: dict[int, set[str]] = {}
            if actor is not None:
                for exam_id, role in BoardMember.objects.filter(
                    exam_id__in=exams, user=actor.user, is_active=True
                ).values_list("exam_id", "role"):
                    seats.setdefault(exam_id, set()).add(role)
            for exam_id, exam in exams.items():
                cache.setdefault(
                    exam_id, actor is not None and services.sees_outcome(actor, exam, seats.get(exam_id, ()))
                )
        return cache[quota.exam_id]

    def get_cut_off(self, quota) -> str | None:
        if quota.cut_off is None or not self._visible(quota):
            return None
        return str(quota.cut_off)

    def get_admitted(self, quota) -> int | None:
        return quota.admitted if self._visible(quota) else None


class QuotaSetSerializer(serializers.Serializer):
    school = serializers.IntegerField(help_text="Mã đơn vị của trường (thuộc đơn vị tổ chức, có dạy lớp tuyển).")
    places = serializers.IntegerField(min_value=0, max_value=services.MAX_PLACES)


class QuotaPlacesSerializer(serializers.Serializer):
    places = serializers.IntegerField(min_value=0, max_value=services.MAX_PLACES)


class CandidateScoreSerializer(serializers.ModelSerializer):
    candidate_number = serializers.CharField(source="candidate.number", read_only=True)
    candidate_name = serializers.CharField(source="candidate.full_name", read_only=True)
    exam = serializers.IntegerField(source="candidate.exam_id", read_only=True)
    subject_code = serializers.CharField(source="exam_subject.code", read_only=True)
    subject_name = serializers.CharField(source="exam_subject.name", read_only=True)

    class Meta:
        model = CandidateScore
        fields = [
            "id",
            "exam",
            "candidate",
            "candidate_number",
            "candidate_name",
            "exam_subject",
            "subject_code",
            "subject_name",
            "score",
            "absent",
            "matched_at",
        ]
        read_only_fields = fields


AllocationSummary = inline_serializer(
    "ExamAllocationSummary",
    {
        "candidates": serializers.IntegerField(),
        "admitted": serializers.IntegerField(allow_null=True),
        "direct": serializers.IntegerField(allow_null=True),
        "not_admitted": serializers.IntegerField(allow_null=True),
        "absent": serializers.IntegerField(allow_null=True),
        "changed": serializers.IntegerField(),
        "over_quota": serializers.IntegerField(allow_null=True),
        "at": serializers.DateTimeField(),
    },
)


class ExamPublicationSerializer(serializers.Serializer):
    exam = serializers.IntegerField(read_only=True)
    results_publish_at = serializers.DateTimeField(read_only=True, allow_null=True)
    published = serializers.BooleanField(read_only=True)
    state = serializers.CharField(read_only=True)
    problems = serializers.ListField(child=serializers.CharField(), read_only=True)


class ExamScheduleSerializer(serializers.Serializer):
    at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Thời điểm công bố (ISO 8601); để trống: công bố ngay."
    )


class ExamResultScoreSerializer(serializers.Serializer):
    subject = serializers.CharField()
    score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    absent = serializers.BooleanField()


class ExamResultRowSerializer(serializers.Serializer):
    candidate = serializers.IntegerField()
    number = serializers.CharField()
    full_name = serializers.CharField()
    birth_date = serializers.DateField()
    school = serializers.IntegerField(allow_null=True)
    scores = ExamResultScoreSerializer(many=True)
    admission_score = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    admission_status = serializers.CharField(allow_null=True)
    admitted_to = serializers.IntegerField(allow_null=True)
    admitted_choice = serializers.IntegerField(allow_null=True)


def _publication(actor, exam) -> dict:
    may = services.may_run(actor, exam)
    return {
        "exam": exam.pk,
        "results_publish_at": exam.results_publish_at,
        "published": exam.is_published(),
        "state": publication.state(exam),
        "problems": publication.readiness(exam) if may and not exam.is_published() else [],
    }


# --- viewsets -------------------------------------------------------------------------------------------


class QuotaFilter(django_filters.FilterSet):
    exam = django_filters.NumberFilter(field_name="exam_id")
    school = django_filters.NumberFilter(field_name="school_id")

    class Meta:
        model = Quota
        fields = ["exam", "school"]


class QuotaViewSet(
    ScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    """Quotas through the door (``?exam=``). Organisers change ``places`` (refused once a
    publication is scheduled); a school's quota is given with ``POST exams/<id>/quotas/``."""

    queryset = Quota.objects.select_related("school", "exam")
    serializer_class = QuotaSerializer
    filterset_class = QuotaFilter

    @extend_schema(request=QuotaPlacesSerializer, responses=QuotaSerializer)
    def update(self, request, *args, **kwargs):
        quota = self.get_object()
        data = QuotaPlacesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        quota = services.update_quota(self.actor, quota, data.validated_data["places"])
        return Response(self.get_serializer(quota).data)

    @extend_schema(request=QuotaPlacesSerializer, responses=QuotaSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)


class CandidateScoreFilter(django_filters.FilterSet):
    exam = django_filters.NumberFilter(field_name="candidate__exam_id")
    candidate = django_filters.NumberFilter(field_name="candidate_id")

    class Meta:
        model = CandidateScore
        fields = ["exam", "candidate"]


class CandidateScoreViewSet(ScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Candidates' scores, read-only; the door decides who sees which (the board before
    publication; the organisers, the candidates' schools and the learners after it)."""

    queryset = CandidateScore.objects.select_related("candidate", "exam_subject")
    serializer_class = CandidateScoreSerializer
    filterset_class = CandidateScoreFilter


# --- per-exam endpoints -----------------------------------------------------------------------------------


class ExamEndpoint(ScopedMixin, APIView):
    """An endpoint about one exam: the exam comes through the door (``view``), then the
    service decides."""

    queryset = Exam.objects.select_related("unit")

    def exam(self, pk) -> Exam:
        return get_visible_or_404(self.actor, self.queryset, pk)


class SetQuotaApi(ExamEndpoint):
    http_method_names = ["post", "options"]

    @extend_schema(request=QuotaSetSerializer, responses={200: QuotaSerializer, 201: QuotaSerializer})
    def post(self, request, pk):
        exam = self.exam(pk)
        data = QuotaSetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        existed = Quota.objects.filter(exam=exam, school_id=data.validated_data["school"]).exists()
        quota = services.set_quota(self.actor, exam, data.validated_data["school"], data.validated_data["places"])
        body = QuotaSerializer(quota, context={"request": request}).data
        return Response(body, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)


class AllocateApi(ExamEndpoint):
    http_method_names = ["post", "options"]

    @extend_schema(request=None, responses=AllocationSummary)
    def post(self, request, pk):
        exam = self.exam(pk)
        summary = services.run_allocation(self.actor, exam)
        if not services.sees_outcome(self.actor, exam):
            for key in ("admitted", "direct", "not_admitted", "absent", "over_quota"):
                summary[key] = None
        return Response(summary)


class PublicationApi(ExamEndpoint):
    """GET the state; POST schedules (``at`` in the future, or now); DELETE cancels a
    publication whose moment has not come."""

    http_method_names = ["get", "post", "delete", "options"]

    @extend_schema(responses=ExamPublicationSerializer)
    def get(self, request, pk):
        exam = self.exam(pk)
        return Response(_publication(self.actor, exam))

    @extend_schema(request=ExamScheduleSerializer, responses=ExamPublicationSerializer)
    def post(self, request, pk):
        exam = self.exam(pk)
        data = ExamScheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        exam = publication.schedule_publication(self.actor, exam, data.validated_data.get("at"))
        return Response(_publication(self.actor, exam))

    @extend_schema(request=None, responses=ExamPublicationSerializer)
    def delete(self, request, pk):
        exam = self.exam(pk)
        exam = publication.cancel_publication(self.actor, exam)
        return Response(_publication(self.actor, exam))


class ResultsApi(ExamEndpoint):
    """The exam's results as the actor may read them (``?school=``, ``?outcome=``)."""

    http_method_names = ["get", "options"]

    @extend_schema(responses=ExamResultRowSerializer(many=True))
    def get(self, request, pk):
        exam = self.exam(pk)
        school = request.query_params.get("school") or ""
        outcome = request.query_params.get("outcome") or ""
        valid = {v for v, _ in AdmissionStatus.choices if v}
        results = publication.results_for(
            self.actor,
            exam,
            school=int(school) if school.isdigit() and len(school) < 19 else None,
            outcome=outcome if outcome in valid else None,
        )
        rows = []
        for row in results.rows:
            c = row.candidate
            rows.append(
                {
                    "candidate": c.pk,
                    "number": c.number,
                    "full_name": c.full_name,
                    "birth_date": c.birth_date,
                    "school": c.school_id,
                    "scores": [
                        {"subject": s.code, "score": sc.score if sc else None, "absent": bool(sc and sc.absent)}
                        for s, sc in zip(results.subjects, row.scores, strict=True)
                        if sc is not None
                    ],
                    "admission_score": c.admission_score if row.outcome_visible else None,
                    "admission_status": c.admission_status if row.outcome_visible else None,
                    "admitted_to": c.admitted_to_id if row.outcome_visible else None,
                    "admitted_choice": c.admitted_choice if row.outcome_visible else None,
                }
            )
        return Response(ExamResultRowSerializer(rows, many=True).data)


routes = [("quotas", QuotaViewSet, "quota"), ("scores", CandidateScoreViewSet, "candidatescore")]
extra_urlpatterns = [
    path("exams/<int:pk>/quotas/", SetQuotaApi.as_view(), name="exams-set-quota"),
    path("exams/<int:pk>/allocate/", AllocateApi.as_view(), name="exams-allocate"),
    path("exams/<int:pk>/publication/", PublicationApi.as_view(), name="exams-publication"),
    path("exams/<int:pk>/results/", ResultsApi.as_view(), name="exams-results"),
]
