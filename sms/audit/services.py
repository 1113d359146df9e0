"""Recording audit events: ``record(kind, request=…, actor=…, obj=…)`` and ``record_read``."""

from __future__ import annotations

from django.db.models import Manager, Model

from sms.net import client_ip

from .models import AuditEvent, EventKind


def _actor_of(request):
    from sms.accounts.actors import actor_from_request

    try:
        return actor_from_request(request)
    except Exception:  # noqa: BLE001 - an unauthenticated DRF request may refuse to authenticate again
        return None


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
    request (the API token's membership first); the IP always from ``sms.net.client_ip``;
    ``unit`` defaults to the actor's."""
    if actor is None and request is not None:
        actor = _actor_of(request)
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


def owning_unit(obj: Model):
    """The unit that owns ``obj`` by its model's Scope, or None when that is not one unit
    (no Scope, a path through a many-valued relation, an empty link)."""
    from sms.accounts.scoping import Scope

    scope = getattr(type(obj), "scope", None)
    if not isinstance(scope, Scope):
        return None
    value = obj
    for part in scope.unit.split("__") if scope.unit else []:
        value = getattr(value, part, None)
        if value is None or isinstance(value, Manager):
            return None
    from sms.org.models import Unit

    return value if isinstance(value, Unit) else None


_READS_ATTR = "_sms_audit_reads"


def record_reads(actor, objects, *, detail: str = "") -> int:
    """Log that ``actor`` read each of ``objects`` (people's records) outside a request — a
    background job printing a class's record books — in one insert. Each event belongs to the
    unit that owns its record, as with ``record_read``."""
    events = [
        AuditEvent(
            kind=EventKind.RECORD_READ,
            user=actor.user,
            username=actor.user.get_username()[:254],
            membership=actor.membership,
            unit=owning_unit(obj) or actor.unit,
            object_type=obj._meta.label,
            object_id=str(obj.pk),
            object_repr=str(obj)[:255],
            detail=detail[:500],
        )
        for obj in objects
    ]
    AuditEvent.objects.bulk_create(events)
    return len(events)


def record_read(request, obj: Model, *, actor=None) -> AuditEvent | None:
    """Log that the request's actor read ``obj`` (a person's record), once per request.

    The event belongs to the unit that owns the record when there is one, so the school
    sees who read its people's records, and the units above it see it too; otherwise to
    the reader's unit.
    """
    django_request = getattr(request, "_request", request)
    seen = getattr(django_request, _READS_ATTR, None)
    if seen is None:
        seen = set()
        setattr(django_request, _READS_ATTR, seen)
    key = (obj._meta.label, str(obj.pk))
    if key in seen:
        return None
    seen.add(key)
    if actor is None:
        actor = _actor_of(request)
    return record(EventKind.RECORD_READ, request=request, actor=actor, obj=obj, unit=owning_unit(obj))


__all__ = ["EventKind", "owning_unit", "record", "record_read", "record_reads"]
