"""Signal receivers that turn logins, logouts, failed logins and lockouts into events.

Connected in ``AuditConfig.ready()``. A failed login keeps the name that was tried, never
the password; when that name belongs to an account, the event goes to the unit of the
account's first membership, so that school's admins see attempts on their people.
"""

from __future__ import annotations

from sms.text import nfc

from .models import EventKind
from .services import record


def _account_named(username: str):
    from django.db.models import Q

    from sms.accounts.models import User

    given = nfc(username or "").strip()
    if not given:
        return None
    return User.objects.filter(Q(username__iexact=given) | Q(email__iexact=given, email__gt="")).first()


def _first_unit(user):
    """The unit of the account's first membership (active ones first), or None."""
    from sms.accounts.models import Membership

    if user is None:
        return None
    membership = (
        Membership.objects.filter(user=user)
        .select_related("unit")
        .order_by("-is_active", "unit__depth", "unit__name", "pk")
        .first()
    )
    return membership.unit if membership else None


def on_logged_in(sender, request, user, **kwargs) -> None:
    from sms.accounts.actors import actor_from_request, default_actor

    actor = actor_from_request(request) if request is not None else None
    if actor is None or actor.user.pk != user.pk:
        actor = default_actor(user)
    record(EventKind.LOGIN, request=request, actor=actor, user=user, unit=None if actor else _first_unit(user))


def on_logged_out(sender, request, user, **kwargs) -> None:
    if user is None:  # logging out an anonymous session: nothing happened
        return
    from sms.accounts.actors import actor_from_request

    actor = actor_from_request(request) if request is not None else None
    if actor is not None and actor.user.pk != user.pk:
        actor = None
    record(EventKind.LOGOUT, request=request, actor=actor, user=user, unit=None if actor else _first_unit(user))


def _tried_username(credentials, request) -> str:
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = getattr(request, "POST", {}).get("username")
    return nfc(str(username or "")).strip()[:254]


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = _tried_username(credentials, request)
    account = _account_named(username)
    detail = "" if account is not None else "Không có tài khoản với tên này."
    # Never ``request`` alone: the anonymous request has no actor, and the password
    # (in ``credentials`` or the POST body) is never read here.
    record(
        EventKind.LOGIN_FAILED,
        request=request,
        actor=None,
        username=username,
        unit=_first_unit(account),
        detail=detail,
    )


def on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    from sms.accounts.lockout import cooloff_minutes

    name = nfc(str(username or "")).strip()[:254]
    account = _account_named(name)
    record(
        EventKind.LOCKED_OUT,
        request=request,
        username=name,
        unit=_first_unit(account),
        detail=f"Tạm khoá đăng nhập {cooloff_minutes()} phút sau nhiều lần đăng nhập sai.",
    )


def connect() -> None:
    from axes.signals import user_locked_out
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

    user_logged_in.connect(on_logged_in, dispatch_uid="sms.audit.login")
    user_logged_out.connect(on_logged_out, dispatch_uid="sms.audit.logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="sms.audit.login_failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="sms.audit.locked_out")
