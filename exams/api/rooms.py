"""API of the rooms area, under /api/exams/: sites, rooms (with their seat lists), placing
candidates, invigilators and the room lists as PDF.

Every write calls ``exams.services.rooms`` (the functions the HTML pages call); the
secretariat reaches the exam through the board's grant, so DRF's generic create (which checks
the role) is not used.
"""

from __future__ import annotations

from django.http import Http404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from sms.accounts.roles import LEARNER_ROLES
from sms.accounts.scoping import get_visible_or_404, visible_to
from sms.api.viewsets import ScopedMixin

from ..models import Candidate, Exam, Room, Site
from ..reports import tickets
from ..services import rooms as services

PDF_RESPONSE = {(200, "application/pdf"): OpenApiTypes.BINARY}


def _exam_filter(request, qs, field: str):
    value = request.query_params.get("exam", "")
    return qs.filter(**{field: int(value)}) if value.isdigit() else qs


def _room_lists(actor, exam, rooms, filename):
    rooms = list(rooms.select_related("site", "invigilator_1__user", "invigilator_2__user"))
    seated: dict[int, list] = {}
    for c in visible_to(actor, Candidate).filter(room__in=rooms).select_related("school").order_by("seat", "number"):
        seated.setdefault(c.room_id, []).append(c)
    return tickets.pdf.response(tickets.room_lists(exam, rooms, seated), filename)


# --- sites -----------------------------------------------------------------------------------------------------


class SiteSerializer(serializers.ModelSerializer):
    """A site; the write goes through ``services.save_site``."""

    exam = serializers.IntegerField(source="exam_id", required=False, help_text="Kỳ thi (bắt buộc khi thêm).")
    host = serializers.IntegerField(source="host_id", required=False, allow_null=True)
    code = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    rooms = serializers.SerializerMethodField()

    class Meta:
        model = Site
        fields = ["id", "exam", "code", "name", "address", "host", "rooms"]

    def get_rooms(self, obj) -> list[int]:
        return [r.pk for r in obj.rooms.all()]


class SiteViewSet(
    ScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Exam sites (điểm thi). Filter ``exam``. POST adds one, PUT/PATCH changes one, DELETE
    removes one without candidates; ``room-lists`` is every room's list (PDF)."""

    queryset = Site.objects.select_related("exam").prefetch_related("rooms")
    serializer_class = SiteSerializer

    def get_queryset(self):
        return _exam_filter(self.request, super().get_queryset(), "exam_id").order_by("exam_id", "code", "pk")

    @extend_schema(parameters=[OpenApiParameter("exam", int, description="Kỳ thi")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _data(self, request, site=None, partial=False) -> dict:
        serializer = SiteSerializer(site, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        attrs = serializer.validated_data
        data = {"code": site.code, "name": site.name, "address": site.address, "host": site.host_id} if site else {}
        for name in ("code", "name", "address"):
            if name in attrs:
                data[name] = attrs[name]
        if "host_id" in attrs:
            data["host"] = attrs["host_id"]
        data["exam"] = attrs.get("exam_id")
        return data

    def create(self, request, *args, **kwargs):
        data = self._data(request)
        exam = visible_to(self.actor, Exam).filter(pk=data.pop("exam") or 0).select_related("unit").first()
        if exam is None:
            raise serializers.ValidationError({"exam": "Không tìm thấy kỳ thi."})
        site = services.save_site(self.actor, exam, data)
        return Response(SiteSerializer(site).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        site = self.get_object()
        data = self._data(request, site, partial=kwargs.get("partial", False))
        data.pop("exam", None)  # a site never moves to another exam
        site = services.save_site(self.actor, site.exam, data, site=site)
        return Response(SiteSerializer(site).data)

    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def perform_destroy(self, instance):
        services.delete_site(self.actor, instance)

    @extend_schema(responses=PDF_RESPONSE)
    @action(detail=True, methods=["get"], url_path="room-lists")
    def room_lists(self, request, pk=None):
        site = get_visible_or_404(self.actor, Site.objects.select_related("exam__unit"), pk)
        rooms = visible_to(self.actor, Room).filter(site=site).order_by("number")
        return _room_lists(self.actor, site.exam, rooms, f"danh-sach-phong-thi-{site.code}.pdf")


# --- rooms -----------------------------------------------------------------------------------------------------


class RoomSeatSerializer(serializers.ModelSerializer):
    school_label = serializers.SerializerMethodField()

    class Meta:
        model = Candidate
        fields = ["id", "seat", "number", "full_name", "birth_date", "school", "school_label", "withdrawn"]
        read_only_fields = fields

    def get_school_label(self, obj) -> str:
        return obj.school.name if obj.school_id else obj.school_name


class RoomSerializer(serializers.ModelSerializer):
    """A room; the write goes through ``services.save_room``."""

    site = serializers.IntegerField(source="site_id", required=False, help_text="Điểm thi (bắt buộc khi thêm).")
    number = serializers.IntegerField(min_value=1, max_value=999, required=False)
    location = serializers.CharField(max_length=120, required=False, allow_blank=True)
    capacity = serializers.IntegerField(min_value=1, max_value=60, required=False, allow_null=True)
    invigilator_1 = serializers.IntegerField(source="invigilator_1_id", read_only=True)
    invigilator_2 = serializers.IntegerField(source="invigilator_2_id", read_only=True)

    class Meta:
        model = Room
        fields = ["id", "site", "number", "location", "capacity", "invigilator_1", "invigilator_2"]


class RoomDetailSerializer(RoomSerializer):
    seats = serializers.SerializerMethodField()

    class Meta(RoomSerializer.Meta):
        fields = [*RoomSerializer.Meta.fields, "seats"]

    def get_seats(self, obj) -> list[dict]:
        return RoomSeatSerializer(self.context["seats"], many=True).data


class RoomInvigilatorsSerializer(serializers.Serializer):
    invigilator_1 = serializers.IntegerField(required=False, allow_null=True, default=None)
    invigilator_2 = serializers.IntegerField(required=False, allow_null=True, default=None)


class RoomViewSet(ScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Exam rooms. Filters ``exam``, ``site``. Retrieve includes the seat list. POST adds a room
    to a site, PUT/PATCH changes its location and capacity; ``invigilators`` changes its two
    invigilators (the same check as the automatic assignment); ``list-pdf`` is its list (PDF)."""

    queryset = Room.objects.select_related("site")
    serializer_class = RoomSerializer

    def get_queryset(self):
        qs = _exam_filter(self.request, super().get_queryset(), "site__exam_id")
        value = self.request.query_params.get("site", "")
        if value.isdigit():
            qs = qs.filter(site_id=int(value))
        return qs.order_by("site_id", "number", "pk")

    @extend_schema(parameters=[OpenApiParameter("exam", int, description="Kỳ thi"), OpenApiParameter("site", int)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=RoomDetailSerializer)
    def retrieve(self, request, *args, **kwargs):
        room = self.get_object()
        seats = list(
            visible_to(self.actor, Candidate).filter(room=room).select_related("school").order_by("seat", "number")
        )
        return Response(RoomDetailSerializer(room, context={"seats": seats}).data)

    def create(self, request, *args, **kwargs):
        serializer = RoomSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attrs = serializer.validated_data
        site = visible_to(self.actor, Site).filter(pk=attrs.get("site_id") or 0).select_related("exam__unit").first()
        if site is None:
            raise serializers.ValidationError({"site": "Không tìm thấy điểm thi."})
        room = services.save_room(self.actor, site, attrs)
        return Response(RoomSerializer(room).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        room = self.get_object()
        serializer = RoomSerializer(room, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        attrs = {"location": room.location, "capacity": room.capacity, **serializer.validated_data}
        room = services.save_room(self.actor, room.site, attrs, room=room)
        return Response(RoomSerializer(room).data)

    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    @extend_schema(request=RoomInvigilatorsSerializer, responses=RoomSerializer)
    @action(detail=True, methods=["post"])
    def invigilators(self, request, pk=None):
        room = get_visible_or_404(self.actor, Room.objects.select_related("site__exam__unit"), pk)
        data = RoomInvigilatorsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        room = services.set_room_invigilators(
            self.actor, room, data.validated_data["invigilator_1"], data.validated_data["invigilator_2"]
        )
        return Response(RoomSerializer(room).data)

    @extend_schema(responses=PDF_RESPONSE)
    @action(detail=True, methods=["get"], url_path="list-pdf")
    def list_pdf(self, request, pk=None):
        room = get_visible_or_404(self.actor, Room.objects.select_related("site__exam__unit"), pk)
        rooms = visible_to(self.actor, Room).filter(pk=room.pk)
        return _room_lists(
            self.actor, room.site.exam, rooms, f"danh-sach-phong-thi-{room.site.code}-{room.number:02d}.pdf"
        )


# --- per-exam endpoints -------------------------------------------------------------------------------------


class ExamEndpoint(ScopedMixin, APIView):
    queryset = Exam.objects.select_related("unit")

    def exam(self, pk) -> Exam:
        if self.actor is not None and self.actor.role in LEARNER_ROLES:
            raise Http404
        return get_visible_or_404(self.actor, self.queryset, pk)


class PlaceCandidatesSerializer(serializers.Serializer):
    site_ids = serializers.ListField(child=serializers.IntegerField(), required=False, allow_null=True, default=None)
    reset = serializers.BooleanField(required=False, default=False)


class PlaceCandidatesApi(ExamEndpoint):
    """Seat the numbered candidates in the sites' rooms (``site_ids``: some sites; ``reset``:
    start again). Answers the counts."""

    http_method_names = ["post", "options"]

    @extend_schema(request=PlaceCandidatesSerializer, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk):
        exam = self.exam(pk)
        data = PlaceCandidatesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attrs = data.validated_data
        return Response(services.place_candidates(self.actor, exam, attrs["site_ids"], reset=attrs["reset"]))


class AssignInvigilatorsApi(ExamEndpoint):
    """Give every room with candidates two invigilators, none from a school of its candidates."""

    http_method_names = ["post", "options"]

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk):
        return Response(services.assign_invigilators(self.actor, self.exam(pk)))


routes = [("sites", SiteViewSet, "site"), ("rooms", RoomViewSet, "room")]

extra_urlpatterns = [
    path("exams/<int:pk>/place-candidates/", PlaceCandidatesApi.as_view(), name="exams-place-candidates"),
    path("exams/<int:pk>/assign-invigilators/", AssignInvigilatorsApi.as_view(), name="exams-assign-invigilators"),
]
