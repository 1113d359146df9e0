"""Recording audit events: ``record(kind, request=…, actor=…, obj=…)``."""

from __future__ import annotations

from django.db.models import Model

from sms.net import client_ip

from .models import AuditEvent, EventKind


def record(
    kind: str,
    *,
    request=None,
    actor=None,
    user=None,
    username: str = "",
    unit=None,
    obj: Model | None = None,
    detail: str = "",
) -> AuditEvent:
    """Write one event. The actor (user + membership + unit) comes from ``actor`` or the
    request; the IP always from ``sms.net.client_ip``; ``unit`` defaults to the actor's."""
    if actor is None and request is not None:
        get = getattr(getattr(request, "_request", request), "get_actor", None)
        actor = get() if get else None
    if actor is not None:
        user = user or actor.user
        unit = unit or actor.unit
    if user is None and request is not None:
        candidate = getattr(request, "user", None)
        if candidate is not None and candidate.is_authenticated:
            user = candidate
    return AuditEvent.objects.create(
        kind=kind,
        user=user,
        username=(username or (user.get_username() if user is not None else ""))[:254],
        membership=actor.membership if actor is not None else None,
        unit=unit,
        ip=client_ip(request) if request is not None else None,
        path=(getattr(request, "path", "") or "")[:500] if request is not None else "",
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:255] if obj is not None else "",
        detail=detail[:500],
    )


__all__ = ["EventKind", "record"]
