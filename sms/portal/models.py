"""The portal's tables: the lookup log (one row per public lookup, never the secret), the
precomputed store of published items the lookups read, and the hashed tokens behind the QR
codes printed on documents."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from sms.accounts.roles import ADMIN_ROLES, OVERSIGHT_ROLES, Role
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
    # No foreign-key check on insert (``db_constraint``): on results day every lookup of one school
    # would take a share lock on that school's row; the (unit, at) index below serves the readers.
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name="đơn vị",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
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


class PublishedRecord(models.Model):
    """One published item in the precomputed store the public lookups read (``sms.portal.store``).

    A module writes here what it has published — a learner's published results, a candidate's
    published marks, a diploma — when it publishes, changes or withdraws it, so a lookup is
    one indexed query on (kind, key) and nothing unpublished is ever in reach of the portal.

    ``key`` is the normalised public identifier (learner code, "exam/number", diploma serial,
    "name|birth date"); ``secrets`` the HMAC digests of the accepted second secrets (empty when
    the identifier alone opens the item); ``ref`` names the source row ("<pk>"), unique per
    kind, so a module replaces or removes exactly the rows of what it changed. ``visible_from``
    lets a module load results before their announced publication time: until then the
    lookups do not see them, and at that moment they all appear at once. ``rank`` orders the
    items under one key (smallest first, then by ref): a learner's newest period first.
    """

    kind = models.CharField("loại", max_length=40)
    key = models.CharField("khoá tra cứu", max_length=200)
    ref = models.CharField("nguồn", max_length=80)
    secrets = models.JSONField("mã bí mật (đã băm)", default=list, blank=True)
    payload = models.JSONField("dữ liệu công bố", default=dict)
    unit = models.ForeignKey(
        "org.Unit", verbose_name="đơn vị", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    rank = models.IntegerField("thứ tự", default=0)
    visible_from = models.DateTimeField(
        "công bố từ", null=True, blank=True, help_text="Để trống: công bố ngay. Trước thời điểm này tra cứu không thấy."
    )
    updated_at = models.DateTimeField("cập nhật", auto_now=True)

    # Read by the public lookups only, never listed to a user; the department's administrators
    # may read it through the door (for support), nobody writes it but the modules' services.
    scope = Scope(unit="unit", readers=frozenset({Role.SO_ADMIN}), writers=frozenset())

    class Meta:
        verbose_name = "dữ liệu tra cứu công khai"
        verbose_name_plural = "dữ liệu tra cứu công khai"
        ordering = ["kind", "key", "ref"]
        constraints = [models.UniqueConstraint(fields=["kind", "ref"], name="portal_record_kind_ref_unique")]
        indexes = [models.Index(fields=["kind", "key"], name="portal_record_lookup")]

    def __str__(self) -> str:
        return f"{self.kind} – {self.key}"


class DocumentToken(models.Model):
    """The random token behind the QR code printed on a document (a record book, a diploma).

    Only its SHA-256 digest is stored, so a copy of the database cannot print a valid code;
    each printing mints a new token. Revoking one (a lost or forged paper) makes its check page
    answer like an unknown code; the document's other tokens keep working.
    """

    kind = models.CharField("loại giấy tờ", max_length=40)
    ref = models.CharField("giấy tờ", max_length=80)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    label = models.CharField("mô tả", max_length=255, blank=True)
    unit = models.ForeignKey("org.Unit", verbose_name="đơn vị cấp", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField("ngày in", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="người in", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    revoked_at = models.DateTimeField("ngày thu hồi", null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="người thu hồi", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    # The leaders of the unit that printed the paper (and the offices above it) see and revoke its codes.
    scope = Scope(unit="unit", readers=ADMIN_ROLES | OVERSIGHT_ROLES, writers=ADMIN_ROLES)

    class Meta:
        verbose_name = "mã kiểm tra giấy tờ"
        verbose_name_plural = "mã kiểm tra giấy tờ"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["kind", "ref"], name="portal_token_document")]

    def __str__(self) -> str:
        return self.label or f"{self.kind} {self.ref}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
