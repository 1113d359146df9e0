"""The lookup log: one row per public lookup, written with a single INSERT, never the secret."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from sms.accounts.roles import Role
from sms.accounts.scoping import Scope


class LookupLog(models.Model):
    """Who looked up what on the public portal, and what came of it.

    ``identifier`` is the normalised public identifier (learner code, candidate number,
    diploma serial); the second secret (date of birth and the like) is never stored.
    ``unit`` is the unit whose portal answered (null when the lookup names none).
    """

    kind = models.CharField("loại tra cứu", max_length=40)
    identifier = models.CharField("mã tra cứu", max_length=100, blank=True)
    found = models.BooleanField("tìm thấy", default=False)
    throttled = models.BooleanField("bị giới hạn", default=False)
    ip = models.GenericIPAddressField("địa chỉ IP", null=True, blank=True)
    at = models.DateTimeField("thời điểm", default=timezone.now)
    unit = models.ForeignKey(
        "org.Unit", verbose_name="đơn vị", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # The department's administrators and staff read their portal's log; nobody edits it.
    scope = Scope(unit="unit", readers=frozenset({Role.SO_ADMIN, Role.SO_STAFF}), writers=frozenset())

    class Meta:
        verbose_name = "lượt tra cứu công khai"
        verbose_name_plural = "nhật ký tra cứu công khai"
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["kind", "identifier", "-at"]),
            models.Index(fields=["unit", "-at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} – {self.identifier} – {timezone.localtime(self.at):%d/%m/%Y %H:%M}"
