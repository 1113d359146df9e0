"""``AuditReadsMixin``: an API viewset whose ``retrieve`` logs a read of the person's record.

    class StudentViewSet(AuditReadsMixin, ScopedViewSet): ...

HTML detail pages use ``audit_reads = True`` on ``sms.views.ScopedDetailView`` instead.
"""

from __future__ import annotations

from .services import record_read


class AuditReadsMixin:
    #: the viewset actions that count as reading one record
    audit_read_actions = ("retrieve",)

    def get_object(self):
        obj = super().get_object()
        if getattr(self, "action", None) in self.audit_read_actions:
            record_read(self.request, obj, actor=self.actor)
        return obj
