"""The one Celery task: run a Job row by id (see sms.jobs.services.run_job)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="sms.jobs.run")
def run_job_task(job_id: int) -> None:
    from .services import run_job

    run_job(job_id)


@shared_task(name="sms.jobs.fail_stale")
def fail_stale_jobs_task() -> int:
    from .services import fail_stale_jobs

    return fail_stale_jobs()
