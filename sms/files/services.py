"""Use-cases on stored files."""

from __future__ import annotations

import logging

from django.utils import timezone

from .models import StoredFile

log = logging.getLogger(__name__)


def purge_expired(now=None, batch: int = 500) -> int:
    """Delete expired files from storage and their rows (login slips carry temporary
    passwords; import sheets and job outputs are kept only as long as promised).

    Rows go first, one batch at a time, then their files: a crash between the two leaves an
    orphan file under its unit's folder, never a row pointing at nothing. Returns how many
    files were removed."""
    now = now or timezone.now()
    removed = 0
    while True:
        expired = list(StoredFile.objects.filter(expires_at__lte=now).order_by("pk")[:batch])
        if not expired:
            return removed
        StoredFile.objects.filter(pk__in=[f.pk for f in expired]).delete()
        for stored in expired:
            try:
                stored.file.storage.delete(stored.file.name)
            except OSError:  # already gone, or the disk refused: the row is gone either way
                log.warning("could not delete expired file %s", stored.file.name)
        removed += len(expired)
