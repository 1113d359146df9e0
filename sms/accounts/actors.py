"""The actor: a user plus the one membership they act in now.

A web request gets its actor from the membership picked in the unit switcher (kept in the
session), an API request from the membership its token is bound to, a background job from
the membership id it was queued with. Nothing is kept in thread-local state.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sms.org.models import Unit

    from .models import Membership, User

SESSION_KEY = "sms_membership_id"


@dataclass(frozen=True, eq=False)
class Actor:
    user: User
    membership: Membership

    is_authenticated = True

    @property
    def role(self) -> str:
        return self.membership.role

    @property
    def unit(self) -> Unit:
        return self.membership.unit

    @property
    def unit_id(self) -> int:
        return self.membership.unit_id

    @cached_property
    def ancestor_ids(self) -> list[int]:
        """Ids of the actor's unit and every unit above it, read from the materialised path."""
        return self.unit.path_ids

    def __repr__(self) -> str:
        return f"<Actor {self.user.username} as {self.role} @ {self.unit_id}>"


def actor_for_membership_id(membership_id: int | None, user: User | None = None) -> Actor | None:
    """The actor for a membership id, or None if it is gone, inactive or not the user's.

    Background jobs receive the membership id and rebuild the actor with this.
    """
    from .models import Membership

    if not membership_id:
        return None
    try:
        membership = Membership.objects.active().select_related("user", "unit").get(pk=int(membership_id))
    except (Membership.DoesNotExist, TypeError, ValueError):
        return None
    if user is not None and membership.user_id != user.pk:
        return None
    if not membership.user.is_active:
        return None
    return Actor(membership.user, membership)


def default_actor(user: User) -> Actor | None:
    """The actor for a user who has not picked a unit yet: their first active membership."""
    from .models import Membership

    membership = (
        Membership.objects.active()
        .filter(user=user)
        .select_related("unit")
        .order_by("unit__depth", "unit__name", "pk")
        .first()
    )
    return Actor(user, membership) if membership else None


def actor_from_request(request) -> Actor | None:
    """The actor of a Django or DRF request (token-bound membership first)."""
    auth = getattr(request, "auth", None)
    token_membership = getattr(auth, "membership", None)
    if token_membership is not None:
        return Actor(request.user, token_membership)
    django_request = getattr(request, "_request", request)
    get = getattr(django_request, "get_actor", None)
    return get() if get else None
