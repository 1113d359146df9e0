"""Use-cases of background jobs: queue one for an actor, run it in a worker.

``enqueue`` creates the Job row and queues the Celery task when the surrounding transaction
commits (a rolled-back request queues nothing). The task receives the job id only; the
actor is rebuilt from the job's membership, so a job never acts with more than the person
who queued it still has.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sms.accounts.actors import actor_for_membership_id
from sms.audit.history import acting_as

from .models import Job, JobStatus
from .registry import JobError, JobOutput, get_kind

logger = logging.getLogger(__name__)

INTERRUPTED = "Tác vụ bị gián đoạn (quá thời gian chờ hoặc máy chạy tác vụ dừng). Vui lòng tạo lại tác vụ."
GENERIC_ERROR = "Tác vụ gặp lỗi ngoài dự kiến. Vui lòng thử lại sau hoặc báo quản trị hệ thống."
MEMBERSHIP_ENDED = "Vai trò dùng để tạo tác vụ này đã hết hiệu lực, nên tác vụ không được thực hiện."
UNKNOWN_KIND = "Loại tác vụ “{kind}” không tồn tại."


def _is_json_value(value) -> bool:
    if value is None or isinstance(value, str | bool | int | float):
        return True
    if isinstance(value, list | tuple):
        return all(_is_json_value(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json_value(v) for k, v in value.items())
    return False


def check_params(params: dict) -> dict:
    """Parameters are ids and plain values (JSON), never model instances or other objects."""
    for name, value in params.items():
        if not _is_json_value(value):
            kind = type(value).__name__
            message = f"Tham số “{name}” phải là mã (id) hoặc giá trị đơn giản, không phải {kind}."
            raise ValidationError({"params": message})
    try:
        return json.loads(json.dumps(params, allow_nan=False))
    except ValueError:
        raise ValidationError({"params": "Tham số không hợp lệ."}) from None


def enqueue(actor, kind: str, /, **params) -> Job:
    """Create the job for ``actor`` and queue it on commit (``actor`` and ``kind`` are
    positional-only, so a job may have parameters of those names)."""
    from .tasks import run_job_task

    job_kind = get_kind(kind)
    if job_kind is None:
        raise ValidationError({"kind": UNKNOWN_KIND.format(kind=kind)})
    if not job_kind.allowed_for(actor):
        raise PermissionDenied("Vai trò hiện tại của bạn không được chạy tác vụ này.")
    params = check_params(params)
    try:
        job_kind.check_params(params)
    except TypeError:
        raise ValidationError({"params": f"Tham số không phù hợp với tác vụ “{job_kind.title}”."}) from None
    job = Job.objects.create(
        unit=actor.unit,
        membership=actor.membership,
        created_by=actor.user,
        kind=kind,
        title=job_kind.title,
        params=params,
        message="Đang chờ đến lượt chạy.",
    )
    job_id = job.pk
    transaction.on_commit(lambda: run_job_task.delay(job_id))
    return job


def _finish(job: Job, status: str, **fields) -> None:
    fields.update(status=status, finished_at=timezone.now())
    for name, value in fields.items():
        setattr(job, name, value)
    Job.objects.filter(pk=job.pk).update(**fields)


def _fail(job: Job, error: str) -> None:
    _finish(job, JobStatus.FAILED, error=error[:1000], message="Tác vụ không thành công.")


def store_output(job: Job, output: JobOutput):
    from sms.files.models import StoredFile

    days = getattr(settings, "SMS_JOB_OUTPUT_DAYS", 30)
    return StoredFile.store(
        unit=job.unit,
        uploaded_by=job.created_by,
        content=output.data,
        name=output.filename,
        content_type=output.content_type,
        purpose="job",
        private=True,
        max_bytes=0,
        expires_at=timezone.now() + timedelta(days=days) if days else None,
    )


def run_job(job_id: int) -> Job | None:
    """Run a queued job (the Celery task's body). Runs each job once: a job that is no
    longer queued (run already, or redelivered) is left alone."""
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), progress=0, message="Đang chạy."
    )
    if not claimed:
        return None
    job = Job.objects.select_related("unit", "created_by").get(pk=job_id)
    actor = actor_for_membership_id(job.membership_id, user=job.created_by)
    if actor is None:
        _fail(job, MEMBERSHIP_ENDED)
        return job
    job_kind = get_kind(job.kind)
    if job_kind is None:
        _fail(job, UNKNOWN_KIND.format(kind=job.kind))
        return job
    if not job_kind.allowed_for(actor):
        _fail(job, "Vai trò dùng để tạo tác vụ này không còn được chạy loại tác vụ này.")
        return job
    try:
        # Rows the job saves get the actor in their history (there is no request here).
        # A job that writes does so through services, each one transaction.
        with acting_as(actor):
            output = job_kind.fn(job, actor, **job.params)
        stored = store_output(job, output) if output is not None else None
    except JobError as exc:
        _fail(job, str(exc) or GENERIC_ERROR)
        return job
    except Exception:
        logger.exception("background job %s (%s) failed", job.pk, job.kind)
        _fail(job, GENERIC_ERROR)
        return job
    _finish(job, JobStatus.SUCCEEDED, progress=100, output=stored, message="Đã xong.", error="")
    if stored is not None:
        from sms.audit.services import EventKind, record

        record(EventKind.EXPORT, actor=actor, obj=job, detail=f"{job.title}: {stored.name}")
    return job


def fail_stale_jobs(now=None) -> int:
    """Mark jobs that can no longer finish as failed: queued longer than
    ``SMS_JOB_QUEUE_TIMEOUT`` (the task was lost) or running longer than the worker's hard
    time limit (the worker died or killed it). Run periodically (Celery beat)."""
    now = now or timezone.now()
    queued_before = now - timedelta(seconds=settings.SMS_JOB_QUEUE_TIMEOUT)
    running_before = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    return Job.objects.filter(
        Q(status=JobStatus.QUEUED, created_at__lt=queued_before)
        | Q(status=JobStatus.RUNNING, started_at__lt=running_before)
    ).update(status=JobStatus.FAILED, finished_at=now, error=INTERRUPTED, message="Tác vụ không thành công.")
