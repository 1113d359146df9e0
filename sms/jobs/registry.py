"""The kinds of background job the platform offers, registered by the apps that own them.

    from sms.jobs.registry import JobOutput, register_job

    @register_job("org.classes_xlsx", title="Xuất cơ cấu lớp học (xlsx)")
    def export_classes(job, actor, **params) -> JobOutput | None:
        ...

A job function receives the ``Job`` row, the actor rebuilt from the job's membership and
the job's JSON parameters. It reads data only through ``visible_to(actor, …)``, may report
``job.set_progress(n, message)``, and returns ``None`` or a ``JobOutput``. To fail with a
message for the user it raises ``JobError("…")`` (Vietnamese); any other exception is logged
with its traceback and shown to the user as a generic failure.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sms.accounts.roles import STAFF_ROLES


@dataclass(frozen=True)
class JobOutput:
    data: bytes
    filename: str
    content_type: str = "application/octet-stream"


class JobError(Exception):
    """A failure whose message (Vietnamese) is meant for the user."""


@dataclass(frozen=True)
class JobKind:
    kind: str
    title: str
    fn: Callable
    roles: frozenset[str]

    def allowed_for(self, actor) -> bool:
        return actor is not None and actor.role in self.roles

    def check_params(self, params: dict) -> None:
        """Raise TypeError when ``params`` do not fit the function's signature."""
        inspect.signature(self.fn).bind(None, None, **params)


_REGISTRY: dict[str, JobKind] = {}


def register_job(kind: str, *, title: str, roles: Iterable[str] = STAFF_ROLES):
    """Register ``fn(job, actor, **params)`` as the job ``kind`` that the given roles may run."""

    def decorator(fn: Callable) -> Callable:
        existing = _REGISTRY.get(kind)
        if existing is not None and existing.fn is not fn:
            raise ValueError(f"job kind {kind!r} is already registered by {existing.fn.__module__}")
        _REGISTRY[kind] = JobKind(kind=kind, title=title, fn=fn, roles=frozenset(roles))
        return fn

    return decorator


def get_kind(kind: str) -> JobKind | None:
    return _REGISTRY.get(kind)


def kinds_for(actor) -> list[JobKind]:
    """The job kinds the actor's role may run, by title."""
    return sorted((k for k in _REGISTRY.values() if k.allowed_for(actor)), key=lambda k: k.title)


def all_kinds() -> list[JobKind]:
    return sorted(_REGISTRY.values(), key=lambda k: k.kind)
