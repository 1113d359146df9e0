"""Use-cases on accounts: granting and ending memberships. One transaction each."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .actors import Actor
from .models import Membership, User
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
