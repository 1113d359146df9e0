"""Users, memberships (user, unit, role) and API tokens bound to one membership."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from sms.audit.history import AuditedHistory
from sms.text import nfc, search_key, sort_key

from .roles import ADMIN_ROLES, OVERSIGHT_ROLES, Role, role_allowed_at
from .scoping import Scope

personal_id_validator = RegexValidator(r"^\d{12}$", "Số định danh cá nhân gồm đúng 12 chữ số.")


class SmsUserManager(UserManager):
    def get_by_natural_key(self, username):
        # One login field: the username, or the official e-mail treated as a username.
        return self.get(Q(username__iexact=username) | Q(email__iexact=username, email__gt=""))


class User(AbstractUser):
    """A person who logs in. What they may do comes from their memberships, not from here."""

    full_name = models.CharField("họ và tên", max_length=150, blank=True)
    personal_id = models.CharField(
        "số định danh cá nhân", max_length=12, blank=True, validators=[personal_id_validator]
    )
    phone = models.CharField("điện thoại", max_length=30, blank=True)
    # Set for an initial or reset password (OWASP ASVS 2.3.1): the next login goes to the
    # password change page first. There is no periodic rotation.
    must_change_password = models.BooleanField("phải đổi mật khẩu khi đăng nhập", default=False)
    search_key = models.CharField(max_length=150, editable=False, db_index=True, default="")
    sort_key = models.CharField(max_length=1000, editable=False, default="")

    objects = SmsUserManager()

    class Meta:
        verbose_name = "người dùng"
        verbose_name_plural = "người dùng"
        constraints = [
            models.UniqueConstraint(
                fields=["personal_id"], condition=~Q(personal_id=""), name="accounts_user_personal_id_unique"
            ),
            models.UniqueConstraint(fields=["email"], condition=~Q(email=""), name="accounts_user_email_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    def clean(self) -> None:
        super().clean()
        self.full_name = nfc(self.full_name)
        if self.email and User.objects.exclude(pk=self.pk).filter(username__iexact=self.email).exists():
            raise ValidationError({"email": "Hộp thư này đã là tên đăng nhập của người khác."})

    def save(self, *args, **kwargs):
        self.full_name = nfc(self.full_name)
        self.email = (self.email or "").strip().lower()
        self.search_key = search_key(self.full_name or self.username)
        self.sort_key = sort_key(self.full_name or self.username)
        super().save(*args, **kwargs)


class MembershipQuerySet(models.QuerySet):
    def active(self):
        today = timezone.localdate()
        return self.filter(is_active=True, unit__is_active=True).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))


class Membership(models.Model):
    """A user holds a role at a unit. One person may hold several (two schools; a principal who teaches)."""

    user = models.ForeignKey(User, verbose_name="người dùng", on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey("org.Unit", verbose_name="đơn vị", on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField("vai trò", max_length=20, choices=Role.choices)
    is_active = models.BooleanField("còn hiệu lực", default=True)
    starts_on = models.DateField("từ ngày", default=timezone.localdate)
    ends_on = models.DateField("đến ngày", null=True, blank=True)
    granted_by = models.ForeignKey(
        User, verbose_name="người cấp", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()
    history = AuditedHistory()
    # Staff see the memberships of their subtree; admins manage them (through the grant service).
    scope = Scope(unit="unit", readers=ADMIN_ROLES | OVERSIGHT_ROLES)

    class Meta:
        verbose_name = "vai trò tại đơn vị"
        verbose_name_plural = "vai trò tại đơn vị"
        ordering = ["unit__path", "role", "user__sort_key"]
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], name="accounts_membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.unit}"

    @property
    def label(self) -> str:
        return f"{self.get_role_display()} – {self.unit.name}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("account-detail", kwargs={"pk": self.pk})

    def clean(self) -> None:
        if self.unit_id and self.role and not role_allowed_at(self.role, self.unit.kind):
            raise ValidationError(
                {"role": f"Vai trò “{self.get_role_display()}” không dùng cho {self.unit.get_kind_display()}."}
            )
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "Ngày kết thúc phải sau ngày bắt đầu."})


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ApiToken(models.Model):
    """An API token, stored hashed, expiring, and bound to exactly one membership."""

    PREFIX_LENGTH = 8

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField("tên gợi nhớ", max_length=100)
    prefix = models.CharField(max_length=PREFIX_LENGTH, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField("hết hạn")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()
    # Everyone manages their own tokens, and only for the unit they act in now.
    scope = Scope(
        unit="membership__unit",
        readers=frozenset(Role),
        writers=frozenset(Role),
        narrow={role: (lambda actor: Q(membership__user=actor.user)) for role in Role},
    )

    class Meta:
        verbose_name = "khoá API"
        verbose_name_plural = "khoá API"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, membership: Membership, name: str, days: int | None = None) -> tuple[ApiToken, str]:
        """Create a token; the raw key is returned once and never stored."""
        days = min(days or settings.SMS_API_TOKEN_DAYS, settings.SMS_API_TOKEN_DAYS)
        raw = secrets.token_urlsafe(32)
        token = cls.objects.create(
            membership=membership,
            name=nfc(name) or "API",
            prefix=raw[: cls.PREFIX_LENGTH],
            key_hash=_hash_token(raw),
            expires_at=timezone.now() + timedelta(days=days),
        )
        return token, raw

    @classmethod
    def find(cls, raw: str) -> ApiToken | None:
        return (
            cls.objects.usable()
            .select_related("membership__user", "membership__unit")
            .filter(key_hash=_hash_token(raw))
            .first()
        )
