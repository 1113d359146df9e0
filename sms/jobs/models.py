"""A background job: who queued it (as which membership), its status, progress and output."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from sms.accounts.roles import ADMIN_ROLES, Role
from sms.accounts.scoping import Scope


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Đang chờ"
    RUNNING = "running", "Đang chạy"
    SUCCEEDED = "succeeded", "Hoàn thành"
    FAILED = "failed", "Thất bại"


ACTIVE_STATUSES = frozenset({JobStatus.QUEUED, JobStatus.RUNNING})


def _own(actor) -> Q:
    # Queued in this very membership: a role that has ended takes its jobs with it, and a
    # principal who also teaches does not see the principal's exports while acting as teacher.
    return Q(membership=actor.membership)


class Job(models.Model):
    """A job queued by an actor. Admins of a unit see the jobs of their subtree; everybody
    else (staff and learners) only the jobs they queued themselves."""

    unit = models.ForeignKey("org.Unit", verbose_name="đơn vị", on_delete=models.PROTECT, related_name="+")
    membership = models.ForeignKey(
        "accounts.Membership",
        verbose_name="vai trò khi tạo",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="người tạo",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField("loại tác vụ", max_length=100)
    title = models.CharField("tên tác vụ", max_length=255)
    params = models.JSONField("tham số", default=dict, blank=True)
    status = models.CharField(
        "trạng thái", max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField("tiến độ (%)", default=0, validators=[MaxValueValidator(100)])
    message = models.CharField("thông báo", max_length=500, blank=True)
    error = models.CharField("lỗi", max_length=1000, blank=True)
    output = models.ForeignKey(
        "files.StoredFile",
        verbose_name="tệp kết quả",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("tạo lúc", default=timezone.now, db_index=True)
    started_at = models.DateTimeField("bắt đầu lúc", null=True, blank=True)
    finished_at = models.DateTimeField("kết thúc lúc", null=True, blank=True)

    scope = Scope(
        unit="unit",
        readers=frozenset(Role),
        writers=frozenset(Role),
        narrow={role: _own for role in Role if role not in ADMIN_ROLES},
    )

    class Meta:
        verbose_name = "tác vụ nền"
        verbose_name_plural = "tác vụ nền"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["unit", "-created_at"]), models.Index(fields=["created_by", "-created_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("jobs:job-detail", kwargs={"pk": self.pk})

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_done(self) -> bool:
        return self.status == JobStatus.SUCCEEDED

    @property
    def output_ready(self) -> bool:
        """An output file that can still be downloaded (it expires; see SMS_JOB_OUTPUT_DAYS)."""
        output = self.output if self.output_id else None
        return output is not None and (output.expires_at is None or output.expires_at > timezone.now())

    def set_progress(self, percent: int, message: str | None = None) -> None:
        """Report progress (0–100) of a running job; saved at once so followers see it."""
        self.progress = max(0, min(100, int(percent)))
        fields = {"progress": self.progress}
        if message is not None:
            self.message = message[:500]
            fields["message"] = self.message
        Job.objects.filter(pk=self.pk).update(**fields)
