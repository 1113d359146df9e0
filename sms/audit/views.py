"""The activity log for unit admins, and the 403 handler that records every refusal."""

from __future__ import annotations

from django.shortcuts import render

from sms.views import ScopedDetailView, ScopedListView

from .filters import AuditEventFilter
from .models import AuditEvent, EventKind
from .services import record


def permission_denied(request, exception=None):
    """Every "permission denied" page (HTML) goes through here, and is logged."""
    message = str(exception or "")
    record(EventKind.PERMISSION_DENIED, request=request, detail=message)
    return render(request, "403.html", {"exception": message}, status=403)


class AuditEventList(ScopedListView):
    """What happened in the actor's unit and the units under it (admins and Sở/Phòng staff;
    anybody else sees an empty log)."""

    model = AuditEvent
    filterset_class = AuditEventFilter
    template_name = "audit/event_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("user", "membership", "unit")


class AuditEventDetail(ScopedDetailView):
    model = AuditEvent
    template_name = "audit/event_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("user", "membership", "unit")
