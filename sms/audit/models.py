"""Events worth an audit trail that are not row changes: logins, refusals, reads of a person's record.

Row changes (who changed which value, when) are django-simple-history's historical tables;
see ``sms.audit.history``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from sms.accounts.roles import ADMIN_ROLES, OVERSIGHT_ROLES
from sms.accounts.scoping import Scope


class EventKind(models.TextChoices):
    LOGIN = "login", "Đăng nhập"
    LOGOUT = "logout", "Đăng xuất"
    LOGIN_FAILED = "login_failed", "Đăng nhập sai"
    LOCKED_OUT = "locked_out", "Bị tạm khoá đăng nhập"
    PERMISSION_DENIED = "denied", "Bị từ chối truy cập"
    RECORD_READ = "read", "Xem hồ sơ cá nhân"
    PASSWORD_CHANGED = "password_changed", "Đổi mật khẩu"
    PASSWORD_RESET = "password_reset", "Đặt lại mật khẩu"
    ACCOUNTS_CREATED = "accounts_created", "Tạo tài khoản hàng loạt"
    EXPORT = "export", "Xuất dữ liệu"
    IMPORT = "import", "Nhập dữ liệu"
    YEAR_OPENED = "year_opened", "Mở năm học mới"
    RESULTS_PUBLISHED = "results_published", "Công bố kết quả thi"
    RESULTS_UNPUBLISHED = "results_unpublished", "Huỷ lịch công bố kết quả thi"
    BOARD_CHANGED = "board_changed", "Thay đổi hội đồng thi"


class AuditEvent(models.Model):
    """One event: what, who (user and the membership they acted in), at which unit, from
    which IP, when, and on which object (for reads of a person's record)."""

    kind = models.CharField("sự kiện", max_length=20, choices=EventKind.choices, db_index=True)
    at = models.DateTimeField("thời điểm", auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="người dùng", null=True, blank=True, on_delete=models.SET_NULL
    )
    username = models.CharField("tên đăng nhập", max_length=254, blank=True)
    membership = models.ForeignKey(
        "accounts.Membership", verbose_name="vai trò", null=True, blank=True, on_delete=models.SET_NULL
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name="đơn vị", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ip = models.GenericIPAddressField("địa chỉ IP", null=True, blank=True)
    path = models.CharField("đường dẫn", max_length=500, blank=True)
    object_type = models.CharField("loại đối tượng", max_length=100, blank=True)
    object_id = models.CharField("mã đối tượng", max_length=64, blank=True)
    object_repr = models.CharField("đối tượng", max_length=255, blank=True)
    detail = models.CharField("chi tiết", max_length=500, blank=True)

    # Unit admins and Sở/Phòng staff follow what happens in their subtree; nobody edits it.
    scope = Scope(unit="unit", readers=ADMIN_ROLES | OVERSIGHT_ROLES, writers=frozenset())

    class Meta:
        verbose_name = "sự kiện hệ thống"
        verbose_name_plural = "nhật ký hoạt động"
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["unit", "-at"]),
            models.Index(fields=["object_type", "object_id"]),
        ]

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("audit:event-detail", kwargs={"pk": self.pk})

    def __str__(self) -> str:
        from django.utils import timezone

        at = timezone.localtime(self.at) if self.at else None
        return (
            f"{self.get_kind_display()} – {self.username or self.user_id} – {at:%d/%m/%Y %H:%M}"
            if at
            else (self.get_kind_display())
        )
