"""Use-cases on accounts: granting and ending memberships. One transaction each."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .actors import Actor
from .models import ApiToken, Membership, User
from .roles import Role, can_grant, role_allowed_at
from .scoping import units_for


def check_can_grant(actor: Actor, unit, role: str) -> None:
    """Raise unless ``actor`` may give ``role`` at ``unit``: never above their own rank,
    never outside their subtree, and only a role that fits that kind of unit."""
    if not units_for(actor, Membership, "add").filter(pk=unit.pk).exists():
        # Same answer as for a unit that does not exist: nothing confirms it is there.
        raise ValidationError({"unit": "Không tìm thấy đơn vị này trong phạm vi bạn quản lý."})
    if not can_grant(actor.role, role):
        raise PermissionDenied(f"Bạn không thể cấp vai trò “{Role(role).label}” (cao hơn vai trò của bạn).")
    if not role_allowed_at(role, unit.kind):
        raise ValidationError({"role": f"Vai trò “{Role(role).label}” không dùng cho {unit.get_kind_display()}."})


@transaction.atomic
def grant_membership(actor: Actor, *, user: User, unit, role: str, starts_on=None, ends_on=None) -> Membership:
    check_can_grant(actor, unit, role)
    membership, created = Membership.objects.get_or_create(
        user=user,
        unit=unit,
        role=role,
        defaults={"granted_by": actor.user, "starts_on": starts_on or timezone.localdate(), "ends_on": ends_on},
    )
    if not created:
        if membership.is_active and membership.ends_on == ends_on and not starts_on:
            return membership  # already held as asked: nothing to write, no history row
        membership.is_active = True
        membership.ends_on = ends_on
        membership.granted_by = actor.user
        membership.full_clean()
        membership.save()
    else:
        membership.full_clean()
    return membership


@transaction.atomic
def end_membership(actor: Actor, membership: Membership) -> Membership:
    """End (never delete) a membership; history keeps who held what, when."""
    check_can_grant(actor, membership.unit, membership.role)
    if membership.pk == actor.membership.pk:
        raise ValidationError("Bạn không thể tự kết thúc vai trò đang dùng.")
    membership.is_active = False
    membership.ends_on = timezone.localdate()
    membership.save(update_fields=["is_active", "ends_on"])
    membership.tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    return membership


def check_can_reset(actor: Actor, membership: Membership) -> None:
    """Raise unless ``actor`` may reset the password of ``membership``'s person (Circular
    53/2012, Art. 16.4).

    A reset takes over the whole account, every role in it, so the actor must administer
    the whole person, not only the role addressed: the membership itself must be one the
    actor may change through the door and grant; the person may not be an operator
    (``is_staff``/``is_superuser``), may not hold an active role at any unit outside the
    actor's reach (a Sở staff member teaching in the school, another school's principal, a
    teacher who moved on), and may not hold an active role above the actor's rank. One's own
    account is changed on the password change page, never here.
    """
    from .roles import ROLE_RANK
    from .scoping import visible_to

    if membership.user_id == actor.user.pk:
        raise ValidationError("Hãy dùng trang “Đổi mật khẩu” cho tài khoản của chính bạn.")
    if not visible_to(actor, Membership, "change").filter(pk=membership.pk).exists():
        raise PermissionDenied("Không tìm thấy tài khoản này trong phạm vi bạn quản lý.")
    check_can_grant(actor, membership.unit, membership.role)
    refused = "Người này còn giữ vai trò ngoài phạm vi hoặc cao hơn vai trò của bạn; đề nghị cấp trên đặt lại mật khẩu."
    user = membership.user
    if user.is_superuser or user.is_staff:
        raise PermissionDenied("Đây là tài khoản vận hành hệ thống; bạn không thể đặt lại mật khẩu.")
    active = Membership.objects.active().filter(user_id=membership.user_id)
    if active.exclude(unit__in=units_for(actor, Membership, "add")).exists():
        raise PermissionDenied(refused)
    if any(ROLE_RANK[role] > ROLE_RANK[actor.role] for role in active.values_list("role", flat=True)):
        raise PermissionDenied(refused)


@transaction.atomic
def reset_password(actor: Actor, membership: Membership) -> str:
    """Give the person a new temporary password and return it (never stored in clear).

    The next login goes to the password change page; their API tokens are revoked; their
    open sessions end, because Django ties a session to the password hash."""
    from .slips import temporary_password

    check_can_reset(actor, membership)
    user = membership.user
    password = temporary_password()
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    ApiToken.objects.filter(membership__user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    return password
