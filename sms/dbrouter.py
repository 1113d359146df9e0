"""Reads that may go to a PostgreSQL read replica, and the router that sends them there.

Writes always go to the primary (``default``). A read goes to the replica only where the code says
it may (``replica_reads()`` / ``@reads_from_replica``): the public lookups, and reports that can show
data a moment old. Everything else — a teacher's grade sheet just saved, a form re-read after its
write, a permission check — reads the primary, so nobody ever sees their own write missing.

The replica is configured with ``DATABASE_REPLICA_URL`` (``sms.settings``): the alias ``replica``,
the router ``ReplicaRouter``. Without it there is no replica alias, the router is not installed, and
``replica_reads()`` changes nothing — the same code runs on one database.

The opt-in is a context variable, not thread state: it follows the code that set it and nothing
else (a Celery task, another request on the same thread, an async task all start without it).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import connections

DEFAULT = "default"

_reading_replica: contextvars.ContextVar[bool] = contextvars.ContextVar("sms_reading_replica", default=False)


def replica_alias() -> str | None:
    """The replica's alias when one is configured (``READ_REPLICA_ALIAS`` names a database)."""
    alias = getattr(settings, "READ_REPLICA_ALIAS", None)
    return alias if alias and alias in connections else None


@contextlib.contextmanager
def replica_reads() -> Iterator[None]:
    """Inside this block, reads routed by ``ReplicaRouter`` go to the replica (when there is one)."""
    token = _reading_replica.set(True)
    try:
        yield
    finally:
        _reading_replica.reset(token)


def reads_from_replica(view: Callable) -> Callable:
    """A view (function) whose reads may go to the replica: public lookups, reports."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        with replica_reads():
            return view(*args, **kwargs)

    return wrapper


class ReplicaRouter:
    """Writes to the primary; reads to the replica inside ``replica_reads()``, else to the primary.

    Both aliases hold the same rows (physical replication), so relations between objects read from
    either are allowed; migrations run on the primary only (the replica receives them by replication).
    """

    def db_for_read(self, model, **hints) -> str:
        alias = replica_alias()
        if alias is not None and _reading_replica.get():
            instance = hints.get("instance")
            # an object already read from the primary keeps reading its relations there
            if instance is not None and instance._state.db not in (None, alias):
                return instance._state.db
            return alias
        return DEFAULT

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        aliases = {DEFAULT, replica_alias() or DEFAULT}
        if obj1._state.db in aliases and obj2._state.db in aliases:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT
