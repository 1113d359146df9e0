"""API of module (a): the grade book. `routes`: (prefix, viewset, basename) registered by
students/api/urls.py.

- ``GET sheets/`` — the sheets the actor may read (filters: semester, school_class, subject, status);
- ``GET sheets/{id}/`` — the grid (rows, columns, cells with who changed them, results, editable/reason);
- ``POST sheets/{id}/save/`` — ``{"batch_id": uuid, "cells": [{"enrolment", "column", "value", "old"}]}``:
  one all-or-nothing save (400 ``{detail, code, errors}`` for bad cells or a closed sheet, 409 for
  cells changed meanwhile, 403 for anybody but the assigned teacher); the same batch id twice
  answers the stored reply;
- ``POST sheets/open/`` — ``{"school_class", "subject", "semester"}``: the sheet, created if new.

Session and token authentication both work (the grid's script uses the session).
"""

from __future__ import annotations

from django_filters import rest_framework as filters
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from sms.accounts.scoping import get_visible_or_404
from sms.api.viewsets import ScopedMixin
from sms.org.filters import _visible
from sms.org.models import SchoolClass, Semester, Subject

from ..models import ScoreSheet, SheetStatus
from ..services import gradebook as service


class SheetFilter(filters.FilterSet):
    semester = filters.ModelChoiceFilter(queryset=_visible(Semester, "school_year"))
    school_class = filters.ModelChoiceFilter(queryset=_visible(SchoolClass))
    subject = filters.ModelChoiceFilter(queryset=_visible(Subject))
    status = filters.ChoiceFilter(choices=SheetStatus.choices)

    class Meta:
        model = ScoreSheet
        fields = ["semester", "school_class", "subject", "status"]


class SheetSerializer(serializers.ModelSerializer):
    class_name = serializers.CharField(source="school_class.name", read_only=True)
    subject_name = serializers.CharField(source="subject.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = ScoreSheet
        fields = [
            "id",
            "school",
            "semester",
            "school_class",
            "class_name",
            "subject",
            "subject_name",
            "rule_set",
            "columns",
            "status",
            "status_label",
            "version",
        ]
        read_only_fields = fields


class SaveSerializer(serializers.Serializer):
    batch_id = serializers.UUIDField(error_messages={"invalid": "Mã lần lưu phải là một UUID."})
    # each cell ({enrolment, column, value, old}) is checked by the service, which names the
    # learner and the column in its messages; a per-cell DRF serializer would only add cost
    cells = serializers.ListField(child=serializers.DictField(), max_length=service.MAX_CELLS)


class OpenSerializer(serializers.Serializer):
    school_class = serializers.IntegerField()
    subject = serializers.IntegerField()
    semester = serializers.IntegerField()


def _error_response(exc: service.SheetError) -> Response:
    return Response(exc.as_dict(), status=exc.status)


class SheetViewSet(ScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Grade-book sheets (class × subject × semester) through the door: the assigned teacher,
    the homeroom teacher, the school's leaders and Sở/Phòng staff read; only the assigned
    teacher saves cells."""

    queryset = ScoreSheet.objects.select_related("school_class", "subject", "semester__school_year", "school")
    serializer_class = SheetSerializer
    filterset_class = SheetFilter

    def retrieve(self, request, *args, **kwargs):
        sheet = self.get_object()
        return Response(service.grid_json(service.grid(self.actor, sheet)))

    @action(detail=True, methods=["post"], serializer_class=SaveSerializer)
    def save(self, request, pk=None):
        sheet = self.get_object()
        payload = SaveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        cells = payload.validated_data["cells"]
        try:
            reply = service.save_cells(self.actor, sheet, batch_id=payload.validated_data["batch_id"], cells=cells)
        except service.SheetError as exc:
            return _error_response(exc)
        return Response(reply)

    @action(detail=False, methods=["post"], url_path="open", serializer_class=OpenSerializer)
    def open(self, request):
        payload = OpenSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        actor = self.actor
        school_class = get_visible_or_404(
            actor, SchoolClass.objects.select_related("school_year"), data["school_class"]
        )
        subject = get_visible_or_404(actor, Subject, data["subject"])
        semester = get_visible_or_404(actor, Semester, data["semester"])
        try:
            sheet = service.open_sheet(actor, school_class, subject, semester)
        except service.SheetError as exc:
            return _error_response(exc)
        body = SheetSerializer(sheet).data
        body["url"] = sheet.get_absolute_url()
        return Response(body, status=status.HTTP_200_OK)


routes = [("sheets", SheetViewSet, "scoresheet")]
