"""A file somebody uploaded or a job produced, owned by a unit."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from sms.accounts.roles import ADMIN_ROLES, LEARNER_ROLES, STAFF_ROLES, Role
from sms.accounts.scoping import Scope

from .storage import safe_name, unit_path
from .validators import megabytes


def _stored_file_path(instance: StoredFile, filename: str) -> str:
    return unit_path(instance.unit_id, filename)


def _own_or_shared(actor) -> Q:
    return Q(uploaded_by=actor.user) | Q(private=False)


def _own(actor) -> Q:
    return Q(uploaded_by=actor.user)


class StoredFile(models.Model):
    """An uploaded file (an import sheet, evidence) or a job's output, kept under its unit.

    Private files (the default) are seen by the person who uploaded them and by nobody
    else, whatever their role: not the unit's admins, not a Phòng or the Sở (login slips
    carry temporary passwords; a job's output is its creator's). Shared files
    (``private=False``) are seen by every staff member of the unit's subtree. Learners see
    only their own uploads.
    """

    unit = models.ForeignKey("org.Unit", verbose_name="đơn vị", on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="người tải lên", null=True, blank=True, on_delete=models.SET_NULL
    )
    file = models.FileField("tệp", upload_to=_stored_file_path, max_length=500)
    name = models.CharField("tên tệp", max_length=255)
    content_type = models.CharField("kiểu tệp", max_length=100, blank=True)
    size = models.PositiveBigIntegerField("dung lượng (byte)", default=0)
    sha256 = models.CharField(max_length=64, blank=True, editable=False)
    purpose = models.CharField("mục đích", max_length=50, blank=True)
    private = models.BooleanField("chỉ người tải lên xem", default=True)
    created_at = models.DateTimeField("tải lên lúc", auto_now_add=True)
    expires_at = models.DateTimeField("hết hạn", null=True, blank=True)

    scope = Scope(
        unit="unit",
        readers=frozenset(Role),
        writers=ADMIN_ROLES,
        # Every role is narrowed, admins included: a private file is its uploader's alone.
        narrow={
            **{role: _own_or_shared for role in STAFF_ROLES},
            **{role: _own for role in LEARNER_ROLES},
        },
    )

    class Meta:
        verbose_name = "tệp"
        verbose_name_plural = "tệp"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["unit", "purpose", "-created_at"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("files:download", kwargs={"pk": self.pk})

    @classmethod
    def store(
        cls,
        *,
        unit,
        uploaded_by,
        content,
        name: str,
        purpose: str = "",
        content_type: str = "",
        private: bool = True,
        max_bytes: int | None = None,
        expires_at=None,
    ) -> StoredFile:
        """Save ``content`` (bytes or an uploaded file) under ``unit``; refuse it when larger
        than ``max_bytes`` (default ``SMS_UPLOAD_MAX_BYTES``)."""
        from django.core.files.base import ContentFile

        limit = settings.SMS_UPLOAD_MAX_BYTES if max_bytes is None else max_bytes
        if isinstance(content, bytes | bytearray):
            data = bytes(content)
        else:
            if limit and getattr(content, "size", 0) > limit:
                raise ValidationError({"file": f"Tệp lớn quá {megabytes(limit)}."})
            data = b"".join(content.chunks()) if hasattr(content, "chunks") else content.read()
            content_type = content_type or getattr(content, "content_type", "") or ""
        if limit and len(data) > limit:
            raise ValidationError({"file": f"Tệp lớn quá {megabytes(limit)}."})
        clean = safe_name(name)
        stored = cls(
            unit=unit,
            uploaded_by=uploaded_by,
            name=clean,
            content_type=content_type[:100],
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            purpose=purpose,
            private=private,
            expires_at=expires_at,
        )
        stored.file.save(clean, ContentFile(data), save=False)
        stored.save()
        return stored

    def read_bytes(self) -> bytes:
        with self.file.open("rb") as handle:
            return handle.read()
