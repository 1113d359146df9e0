from sms.api.viewsets import ScopedReadOnlyViewSet

from ..filters import AuditEventFilter
from ..models import AuditEvent
from .serializers import AuditEventSerializer


class AuditEventViewSet(ScopedReadOnlyViewSet):
    """The activity log of the actor's unit and the units under it (read-only)."""

    queryset = AuditEvent.objects.select_related("user", "membership", "unit")
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    ordering_fields = ["at"]
