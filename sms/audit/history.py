"""Row history for every module: ``history = AuditedHistory()`` on a model, and that is all.

Each historical row (django-simple-history) records who made the change (``history_user``),
in which membership they acted (so also the unit and the role), and from which client IP.
Inside a request these come from the request (``request.get_actor()`` or the API token's
membership; the IP from ``sms.net.client_ip``). Outside a request — a background job, a
management command — the code that does the work says who it acts for::

    with acting_as(actor):
        grade.save()

Bulk saves write one historical row per object, filled the same way::

    bulk_create_with_history(rows, Grade, actor=actor)
    bulk_update_with_history(rows, Grade, ["score"], actor=actor)
    bulk_delete_with_history(rows, Absence, actor=actor)

``changes(record)`` turns a historical row into ``(field, old, new)`` triples for display.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils import timezone
from simple_history import utils as sh_utils
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record


class AuditedHistoryModel(models.Model):
    """The extra columns of every audited historical table."""

    history_ip = models.GenericIPAddressField("địa chỉ IP", null=True, blank=True)
    # History is never rewritten: the id stays even if the membership row is removed later.
    history_membership = models.ForeignKey(
        "accounts.Membership",
        verbose_name="vai trò khi thay đổi",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )

    class Meta:
        abstract = True


@dataclass(frozen=True)
class Attribution:
    """Who made a change, acting in which membership, from where."""

    user: Any = None
    membership: Any = None
    ip: str | None = None

    @property
    def membership_id(self) -> int | None:
        return getattr(self.membership, "pk", None)


_explicit: contextvars.ContextVar[Attribution | None] = contextvars.ContextVar("sms_audit_acting_as", default=None)


@contextmanager
def acting_as(actor, *, ip: str | None = None) -> Iterator[Attribution]:
    """Attribute every change made inside the block to ``actor`` (a background job, a command).

    This is only the label on history rows; it grants nothing and scopes nothing.
    """
    attribution = Attribution(user=actor.user, membership=actor.membership, ip=ip)
    token = _explicit.set(attribution)
    try:
        yield attribution
    finally:
        _explicit.reset(token)


@contextmanager
def acting_here(actor) -> Iterator[Attribution]:
    """``acting_as(actor)`` with the current request's client IP (none outside a request):
    what a service called from a view or a job wraps its writes in."""
    request = getattr(HistoricalRecords.context, "request", None)
    ip = None
    if request is not None:
        from sms.net import client_ip

        ip = client_ip(request)
    with acting_as(actor, ip=ip) as attribution:
        yield attribution


def _request_attribution(request) -> Attribution:
    from sms.accounts.actors import actor_from_request
    from sms.net import client_ip

    user = getattr(request, "user", None)
    if user is not None and not user.is_authenticated:
        user = None
    actor = actor_from_request(request) if user is not None else None
    if actor is not None and user is not None and actor.user.pk != user.pk:
        actor = None
    return Attribution(user=user, membership=actor.membership if actor else None, ip=client_ip(request))


def current_attribution(actor=None) -> Attribution:
    """The attribution for a change now: ``actor`` if given, then ``acting_as``, then the request."""
    explicit = _explicit.get()
    request = getattr(HistoricalRecords.context, "request", None)
    if actor is not None:
        if explicit is not None:
            ip = explicit.ip
        elif request is not None:
            from sms.net import client_ip

            ip = client_ip(request)
        else:
            ip = None
        return Attribution(user=actor.user, membership=actor.membership, ip=ip)
    if explicit is not None:
        return explicit
    if request is not None:
        return _request_attribution(request)
    return Attribution()


class AuditedHistory(HistoricalRecords):
    """``HistoricalRecords`` whose rows also carry the membership and the client IP."""

    def __init__(self, *args, bases=(), **kwargs):
        bases = tuple(bases)
        if not any(isinstance(b, type) and issubclass(b, AuditedHistoryModel) for b in bases):
            bases = (AuditedHistoryModel, *bases)
        super().__init__(*args, bases=bases, **kwargs)

    def get_history_user(self, instance):
        if hasattr(instance, "_history_user"):
            return instance._history_user
        explicit = _explicit.get()
        if explicit is not None and explicit.user is not None:
            return explicit.user
        return super().get_history_user(instance)


def _fill_attribution(sender, history_instance, **kwargs) -> None:
    """Single saves: put the membership and IP on the row simple-history is about to write."""
    if not isinstance(history_instance, AuditedHistoryModel):
        return
    attribution = current_attribution()
    if history_instance.history_membership_id is None and attribution.membership_id is not None:
        history_instance.history_membership_id = attribution.membership_id
    if history_instance.history_ip is None and attribution.ip:
        history_instance.history_ip = attribution.ip


pre_create_historical_record.connect(_fill_attribution, dispatch_uid="sms.audit.history.fill_attribution")


def _bulk_kwargs(model, actor) -> dict[str, Any]:
    attribution = current_attribution(actor)
    extra: dict[str, Any] = {}
    history_model = sh_utils.get_history_model_for_model(model)
    if issubclass(history_model, AuditedHistoryModel):
        extra = {"history_membership_id": attribution.membership_id, "history_ip": attribution.ip}
    return {"default_user": attribution.user, "custom_historical_attrs": extra}


def bulk_create_with_history(
    objs: Iterable[models.Model],
    model: type[models.Model],
    *,
    actor=None,
    batch_size: int | None = None,
    ignore_conflicts: bool = False,
    default_change_reason: str | None = None,
    default_date=None,
) -> list[models.Model]:
    """``bulk_create`` plus one historical row per object, attributed like a single save."""
    return sh_utils.bulk_create_with_history(
        list(objs),
        model,
        batch_size=batch_size,
        ignore_conflicts=ignore_conflicts,
        default_change_reason=default_change_reason,
        default_date=default_date,
        **_bulk_kwargs(model, actor),
    )


def bulk_update_with_history(
    objs: Iterable[models.Model],
    model: type[models.Model],
    fields: list[str],
    *,
    actor=None,
    batch_size: int | None = None,
    default_change_reason: str | None = None,
    default_date=None,
) -> int:
    """``bulk_update`` plus one historical row per object, attributed like a single save."""
    return sh_utils.bulk_update_with_history(
        list(objs),
        model,
        fields,
        batch_size=batch_size,
        default_change_reason=default_change_reason,
        default_date=default_date,
        **_bulk_kwargs(model, actor),
    )


def bulk_delete_with_history(objs: Iterable[models.Model], model: type[models.Model], *, actor=None) -> int:
    """Delete ``objs`` in one statement, each leaving a "-" historical row (one bulk insert),
    attributed like a single save. Deletion signals are not sent (the history rows are written
    here); for rows that nothing else listens to, such as a corrected day of attendance."""
    objs = list(objs)
    if not objs:
        return 0
    history_model = sh_utils.get_history_model_for_model(model)
    kwargs = _bulk_kwargs(model, actor)
    now = timezone.now()
    history_model.objects.bulk_create(
        [
            history_model(
                history_date=now,
                history_user=kwargs["default_user"],
                history_type="-",
                history_change_reason=None,
                **{f.attname: getattr(obj, f.attname) for f in history_model.tracked_fields},
                **kwargs["custom_historical_attrs"],
            )
            for obj in objs
        ]
    )
    queryset = model._default_manager.filter(pk__in=[o.pk for o in objs])
    return queryset._raw_delete(queryset.db)


@dataclass(frozen=True)
class Change:
    field: str  # the field's verbose name
    old: Any
    new: Any


def _display(record, field: models.Field, value):
    if value is None or value == "":
        return value
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(field, models.ForeignKey):
        try:
            return getattr(record, field.name)
        except Exception:  # noqa: BLE001 - a deleted target still shows its id
            return value
    return value


def changes(record, previous=None) -> list[Change]:
    """What ``record`` (a historical row) changed against ``previous`` (default: the row before
    it), as (field verbose name, old, new), choices and related rows shown in words. A
    creation lists every field that has a value, with ``None`` as the old one."""
    previous = previous if previous is not None else record.prev_record
    model = record.instance_type
    if previous is None:
        result = []
        for field in record.tracked_fields:
            if not field.editable or field.primary_key:
                continue
            value = getattr(record, field.attname)
            if value in (None, ""):
                continue
            original = model._meta.get_field(field.name)
            result.append(Change(str(original.verbose_name), None, _display(record, original, value)))
        return result
    delta = record.diff_against(previous)
    result = []
    for change in delta.changes:
        original = model._meta.get_field(change.field)
        result.append(
            Change(
                str(original.verbose_name),
                _display(previous, original, change.old),
                _display(record, original, change.new),
            )
        )
    return result


__all__ = [
    "AuditedHistory",
    "AuditedHistoryModel",
    "Attribution",
    "Change",
    "acting_as",
    "bulk_create_with_history",
    "bulk_update_with_history",
    "changes",
    "current_attribution",
]
