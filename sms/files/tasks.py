from celery import shared_task

from .services import purge_expired


@shared_task(name="files.purge_expired")
def purge_expired_files() -> int:
    """Run hourly by Celery beat in a deployment (CELERY_BEAT_SCHEDULE)."""
    return purge_expired()
