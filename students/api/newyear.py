"""API of module (a): opening a new school year (issue 6, point 5). ``routes``: the openings done
(read-only, through the door: the school's leaders, Sở/Phòng); ``extra_urlpatterns``: POST preview
(``dry_run``, the default) or confirm, for the principal or school admin. Same service as the pages
(students.services.newyear)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from sms.accounts.scoping import get_visible_or_404, visible_to
from sms.api.serializers import ScopedModelSerializer
from sms.api.viewsets import ScopedMixin, ScopedReadOnlyViewSet
from sms.org.models import SchoolYear

from ..models import SCHOOL_WRITERS, YearOpening
from ..services import newyear as service


class YearOpeningSerializer(ScopedModelSerializer):
    class Meta:
        model = YearOpening
        fields = ["id", "school", "from_year", "to_year", "opened_by", "opened_at", "closed_at", "summary"]
        read_only_fields = fields


class YearOpeningViewSet(ScopedReadOnlyViewSet):
    """Openings of a new school year: what was promoted, repeated, graduated, left pending, copied."""

    queryset = YearOpening.objects.order_by("-opened_at", "-pk")
    serializer_class = YearOpeningSerializer


class YearOpeningRunSerializer(serializers.Serializer):
    school_year = serializers.IntegerField(
        required=False, min_value=1, help_text="Năm học cũ; mặc định năm học hiện tại của trường."
    )
    dry_run = serializers.BooleanField(default=True, help_text="true: chỉ xem trước, không ghi gì.")
    allow_pending = serializers.BooleanField(
        default=False, help_text=f"{service.ALLOW_PENDING_LABEL} (bắt buộc khi còn học sinh chưa có quyết định)."
    )


class YearOpeningRun(ScopedMixin, APIView):
    """POST: preview (``dry_run``: true, the default) or open the year after the school's current one
    (principal or school admin of the school)."""

    queryset = YearOpening.objects.all()

    @extend_schema(
        request=YearOpeningRunSerializer,
        responses={200: OpenApiTypes.OBJECT, 201: YearOpeningSerializer},
    )
    def post(self, request):
        data = YearOpeningRunSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actor = self.actor
        if actor is None or actor.role not in SCHOOL_WRITERS:
            raise PermissionDenied(service.NOT_ALLOWED)
        years = SchoolYear.objects.select_related("school")
        pk = data.validated_data.get("school_year")
        if pk is not None:
            year = get_visible_or_404(actor, years, pk)
        else:
            year = visible_to(actor, years).filter(school_id=actor.unit_id, is_current=True).first()
            if year is None:
                raise serializers.ValidationError({"school_year": "Trường chưa có năm học hiện tại."})
        if data.validated_data["dry_run"]:
            plan = service.preview(actor, year)
            body = plan.as_dict()
            body["may_confirm"] = not plan.problems
            body["needs_allow_pending"] = bool(plan.pending)
            return Response(body)
        opening = service.open_year(actor, year, allow_pending=data.validated_data["allow_pending"])
        return Response(
            YearOpeningSerializer(opening, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


routes = [
    ("year-openings", YearOpeningViewSet, "yearopening"),
]

extra_urlpatterns = [
    path("year-openings/run/", YearOpeningRun.as_view(), name="year-opening-run"),
]
