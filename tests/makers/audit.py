"""Makers for sms.audit: an event of a school (a read of one of its people's records)."""

from __future__ import annotations

from sms.accounts.roles import Role
from sms.audit.models import AuditEvent, EventKind


def _event(side) -> AuditEvent:
    membership = side.m(Role.PRINCIPAL)
    return AuditEvent.objects.create(
        kind=EventKind.RECORD_READ,
        user=membership.user,
        username=membership.user.username,
        membership=membership,
        unit=side.school,
        ip="10.0.0.9",
        object_type="accounts.User",
        object_id=str(side.m(Role.TEACHER).user_id),
        object_repr=str(side.m(Role.TEACHER).user),
    )


MAKERS = {AuditEvent: _event}
