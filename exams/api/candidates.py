"""API of the candidates area, under /api/exams/: candidates (list, read, add, change,
withdraw, ticket PDF) and the per-exam endpoints: register from the students module, assign
numbers, import a spreadsheet (dry run or confirm), print tickets.

Every write calls ``exams.services.candidates`` (the functions the HTML pages call); its
Vietnamese ``ValidationError`` is the platform's 400, a refusal a 403, another unit's row a
404. Board members (the secretariat) reach the exam through the board's grant, not their role,
so DRF's generic create (which checks the role) is not used.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from sms.accounts.roles import LEARNER_ROLES
from sms.accounts.scoping import get_visible_or_404, visible_to
from sms.api.viewsets import ScopedMixin
from sms.exports import xlsx
from sms.files.validators import validate_upload
from sms.text import as_id, search_key

from ..models import Candidate, Exam
from ..reports import tickets
from ..resources import CandidateImporter
from ..services import candidates as services

PDF_RESPONSE = {(200, "application/pdf"): OpenApiTypes.BINARY}


class CandidateSerializer(serializers.ModelSerializer):
    """A candidate. The writable fields are those ``CandidateWriteSerializer`` reads; the write
    itself goes through the service, never through ``save()``."""

    exam = serializers.IntegerField(source="exam_id", required=False)
    school = serializers.IntegerField(source="school_id", required=False, allow_null=True)
    priority = serializers.IntegerField(source="priority_id", required=False, allow_null=True)
    bonus = serializers.IntegerField(source="bonus_id", required=False, allow_null=True)
    direct = serializers.IntegerField(source="direct_id", required=False, allow_null=True)
    sex_display = serializers.CharField(source="get_sex_display", read_only=True)
    source_display = serializers.CharField(source="get_source_display", read_only=True)
    school_label = serializers.SerializerMethodField()
    choices = serializers.SerializerMethodField()

    class Meta:
        model = Candidate
        fields = [
            "id",
            "exam",
            "number",
            "student",
            "school",
            "school_name",
            "school_label",
            "source",
            "source_display",
            "full_name",
            "birth_date",
            "sex",
            "sex_display",
            "personal_id",
            "ethnicity",
            "birthplace",
            "class_name",
            "priority",
            "bonus",
            "direct",
            "choices",
            "room",
            "seat",
            "withdrawn",
        ]
        read_only_fields = ["id", "number", "student", "source", "room", "seat", "withdrawn"]

    def get_school_label(self, obj) -> str:
        return obj.school.name if obj.school_id else obj.school_name

    def get_choices(self, obj) -> list[int]:
        return [c.school_id for c in sorted(obj.choices.all(), key=lambda c: c.rank)]


class CandidateWriteSerializer(serializers.Serializer):
    """What a client sends to add or change a candidate. ``school`` is a school of the exam
    owner's subtree (the service checks it); ``priority``/``bonus``/``direct`` are rows or codes
    of the exam's point table; ``choices`` school ids in rank order."""

    exam = serializers.IntegerField(required=False, help_text="Kỳ thi (bắt buộc khi thêm).")
    full_name = serializers.CharField(max_length=150)
    birth_date = serializers.DateField()
    sex = serializers.ChoiceField(choices=[("M", "Nam"), ("F", "Nữ")])
    personal_id = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")
    ethnicity = serializers.CharField(max_length=40, required=False, allow_blank=True, default="Kinh")
    birthplace = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    school = serializers.IntegerField(required=False, allow_null=True, default=None)
    school_name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    class_name = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    priority = serializers.CharField(required=False, allow_null=True, allow_blank=True, default=None)
    bonus = serializers.CharField(required=False, allow_null=True, allow_blank=True, default=None)
    direct = serializers.CharField(required=False, allow_null=True, allow_blank=True, default=None)
    choices = serializers.ListField(child=serializers.IntegerField(), required=False, allow_null=True, default=None)


class CandidateWithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)


#: the largest primary key a filter takes (a bigint): a longer number matches nothing


class CandidateViewSet(
    ScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Candidates the actor may see. Filters: ``exam``, ``school``, ``room``, ``q`` (number or
    name, diacritics ignored). POST adds one (body: ``CandidateWriteSerializer``), PUT/PATCH
    changes one; ``withdraw`` withdraws (before numbering the registration is removed);
    ``ticket`` is the admission ticket PDF (the candidate and their parents download their own)."""

    queryset = Candidate.objects.select_related("school").prefetch_related("choices")
    serializer_class = CandidateSerializer

    def get_queryset(self):
        qs = super().get_queryset()
        params = self.request.query_params
        for name, field in (("exam", "exam_id"), ("school", "school_id"), ("room", "room_id")):
            value = params.get(name, "")
            if value == "":
                continue
            number = as_id(value, strip=True)
            qs = qs.filter(**{field: number}) if number is not None else qs.none()  # malformed: nothing
        if params.get("q"):
            text = params["q"].strip()
            qs = qs.filter(Q(search_key__contains=search_key(text)) | Q(number__icontains=text))
        return qs.order_by("exam_id", "number", "sort_key", "pk")

    @extend_schema(
        parameters=[
            OpenApiParameter("exam", int, description="Kỳ thi"),
            OpenApiParameter("school", int, description="Trường"),
            OpenApiParameter("room", int, description="Phòng thi"),
            OpenApiParameter("q", str, description="Số báo danh hoặc họ tên"),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _write(self, request, candidate=None, partial=False):
        data = CandidateWriteSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        attrs = dict(data.validated_data)
        if candidate is None:
            if not attrs.get("exam"):
                raise serializers.ValidationError({"exam": "Hãy chọn kỳ thi."})
            exam = visible_to(self.actor, Exam).filter(pk=attrs["exam"]).select_related("unit").first()
            if exam is None:
                raise serializers.ValidationError({"exam": "Không tìm thấy kỳ thi."})
        else:
            exam = candidate.exam
            if partial:
                current = {
                    name: getattr(candidate, name)
                    for name in (
                        "full_name",
                        "birth_date",
                        "sex",
                        "personal_id",
                        "ethnicity",
                        "birthplace",
                        "school_name",
                        "class_name",
                    )
                }
                current.update(
                    school=candidate.school_id,
                    priority=candidate.priority_id,
                    bonus=candidate.bonus_id,
                    direct=candidate.direct_id,
                )
                current.update(attrs)
                attrs = current
        attrs.pop("exam", None)
        return services.save_candidate(self.actor, exam, attrs, candidate=candidate)

    @extend_schema(request=CandidateWriteSerializer, responses={201: CandidateSerializer})
    def create(self, request, *args, **kwargs):
        candidate = self._write(request)
        return Response(self.get_serializer(candidate).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CandidateWriteSerializer, responses=CandidateSerializer)
    def update(self, request, *args, **kwargs):
        candidate = self.get_object()
        candidate = self._write(request, candidate, partial=kwargs.get("partial", False))
        return Response(self.get_serializer(candidate).data)

    @extend_schema(request=CandidateWriteSerializer, responses=CandidateSerializer)
    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    @extend_schema(request=CandidateWithdrawSerializer, responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        candidate = get_visible_or_404(self.actor, Candidate.objects.select_related("exam__unit"), pk)
        data = CandidateWithdrawSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = services.withdraw(self.actor, candidate, reason=data.validated_data["reason"])
        return Response({"outcome": outcome})

    def _readable(self, pk) -> Candidate:
        """The candidate through the door, or a learner's own candidacy (``readable_candidates``)."""
        qs = services.readable_candidates(self.actor).select_related("exam__unit", "school", "room__site")
        number = as_id(pk, strip=True)
        candidate = qs.filter(pk=number).first() if number is not None else None
        if candidate is None:
            raise Http404("Không tìm thấy.")
        return candidate

    @extend_schema(responses=PDF_RESPONSE)
    @action(detail=True, methods=["get"])
    def ticket(self, request, pk=None):
        candidate = self._readable(pk)
        if not candidate.number or candidate.withdrawn:
            raise serializers.ValidationError(
                "Thí sinh chưa có số báo danh (hoặc đã rút hồ sơ) nên chưa có thẻ dự thi."
            )
        data = tickets.admission_tickets(candidate.exam, [candidate], one_per_page=True)
        return tickets.pdf.response(data, f"the-du-thi-{candidate.number}.pdf")


# --- per-exam endpoints ---------------------------------------------------------------------------------------


class ExamEndpoint(ScopedMixin, APIView):
    """An endpoint on one exam (``pk``), reached through the door; learners reach none."""

    queryset = Exam.objects.select_related("unit")

    def exam(self, pk) -> Exam:
        if self.actor is not None and self.actor.role in LEARNER_ROLES:
            from django.http import Http404

            raise Http404
        return get_visible_or_404(self.actor, self.queryset, pk)


class RegisterStudentsSerializer(serializers.Serializer):
    school_ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    class_ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    student_ids = serializers.ListField(child=serializers.IntegerField(), required=False)


class RegisterStudentsApi(ExamEndpoint):
    """Register current learners (whole schools, classes or single learners) as candidates.
    Answers ``{"registered": n, "skipped": m}``."""

    http_method_names = ["post", "options"]

    @extend_schema(request=RegisterStudentsSerializer, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk):
        exam = self.exam(pk)
        data = RegisterStudentsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attrs = data.validated_data
        return Response(
            services.register_students(
                self.actor,
                exam,
                school_ids=attrs.get("school_ids"),
                class_ids=attrs.get("class_ids"),
                student_ids=attrs.get("student_ids"),
            )
        )


class AssignNumbersApi(ExamEndpoint):
    """Number every candidate still without a number; answers ``{"numbered": n, "kept": m}``."""

    http_method_names = ["post", "options"]

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk):
        return Response(services.assign_numbers(self.actor, self.exam(pk)))


class CandidateImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="Tệp .xlsx theo mẫu.")
    dry_run = serializers.BooleanField(required=False, default=True, help_text="Chỉ kiểm tra, không lưu (mặc định).")


class ImportCandidatesApi(ExamEndpoint):
    """Import candidates from a spreadsheet (multipart: ``file``, ``dry_run``). A dry run writes
    nothing; a confirm (``dry_run=false``) writes every row in one transaction, or nothing when
    any row is bad (400 with the rows' errors)."""

    http_method_names = ["post", "options"]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(request={"multipart/form-data": CandidateImportSerializer}, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk):
        exam = self.exam(pk)
        if not services.may_manage(self.actor, exam):
            raise PermissionDenied(services.MSG_NOT_ORGANISER)
        data = CandidateImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        validate_upload(upload, allowed=("xlsx",))
        content = upload.read()
        importer = CandidateImporter(self.actor, request, exam=exam)
        dry_run = data.validated_data["dry_run"]
        with transaction.atomic():
            preview = importer.preview(content)
            result = None
            if preview.ok and not dry_run:
                result = importer.apply(preview)
        body = {
            "dry_run": dry_run,
            "ok": preview.ok,
            "saved": result is not None,
            "errors": preview.errors + [e for r in preview.bad_rows for e in r.errors],
            "counts": {status_: preview.count(status_) for status_ in ("new", "updated", "unchanged", "error")},
            "rows": [{"row": r.number, "status": r.status, "errors": r.errors, "notes": r.notes} for r in preview.rows],
        }
        return Response(body, status=status.HTTP_200_OK if preview.ok else status.HTTP_400_BAD_REQUEST)


class ImportTemplateApi(ExamEndpoint):
    """The import template (.xlsx) of one exam."""

    http_method_names = ["get", "options"]

    @extend_schema(
        responses={(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY}
    )
    def get(self, request, pk):
        importer = CandidateImporter(self.actor, request, exam=self.exam(pk))
        return xlsx.response(importer.template(), importer.template_filename)


class ExamTicketsApi(ExamEndpoint):
    """Admission tickets (PDF) of the exam's numbered candidates the actor may print:
    organisers, chair and secretariat all (``school``, ``site``, ``room`` narrow), a school's
    leaders their own school's. ``one_per_page=1`` prints one a page."""

    http_method_names = ["get", "options"]

    @extend_schema(
        parameters=[
            OpenApiParameter("school", int),
            OpenApiParameter("site", int),
            OpenApiParameter("room", int),
            OpenApiParameter("one_per_page", int),
        ],
        responses=PDF_RESPONSE,
    )
    def get(self, request, pk):
        exam = self.exam(pk)
        qs = (
            visible_to(self.actor, Candidate)
            .filter(exam=exam, withdrawn=False)
            .exclude(number="")
            .select_related("school", "room__site")
            .order_by("number")
        )
        if services.may_read_all(self.actor, exam):
            for name, field in (("school", "school_id"), ("site", "room__site_id"), ("room", "room_id")):
                value = request.query_params.get(name, "")
                if value == "":
                    continue
                number = as_id(value, strip=True)
                if number is None:
                    raise serializers.ValidationError({name: f"“{value[:20]}” không phải là mã hợp lệ."})
                qs = qs.filter(**{field: number})
        elif services.is_school_registrar(self.actor):
            qs = qs.filter(school_id=self.actor.unit_id)
        else:
            raise PermissionDenied("Chỉ đơn vị tổ chức, hội đồng thi hoặc lãnh đạo nhà trường được in thẻ dự thi.")
        data = tickets.admission_tickets(exam, qs, one_per_page=request.query_params.get("one_per_page") == "1")
        return tickets.pdf.response(data, f"the-du-thi-{exam.pk}.pdf")


routes = [("candidates", CandidateViewSet, "candidate")]

extra_urlpatterns = [
    path("exams/<int:pk>/register-students/", RegisterStudentsApi.as_view(), name="exams-register-students"),
    path("exams/<int:pk>/assign-numbers/", AssignNumbersApi.as_view(), name="exams-assign-numbers"),
    path("exams/<int:pk>/import-candidates/", ImportCandidatesApi.as_view(), name="exams-import-candidates"),
    path("exams/<int:pk>/import-candidates/template/", ImportTemplateApi.as_view(), name="exams-import-template"),
    path("exams/<int:pk>/tickets/", ExamTicketsApi.as_view(), name="exams-tickets"),
]
