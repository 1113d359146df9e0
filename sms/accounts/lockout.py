"""django-axes hooks: which account a failed login counts against, and the lockout page.

Failures count per (account, client IP): ``AXES_LOCKOUT_PARAMETERS = [["username",
"ip_address"]]``. A login by official e-mail counts against the account that e-mail belongs
to, so switching between the two names gives no extra tries.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.shortcuts import render

from sms.text import nfc


def canonical_username(request, credentials=None) -> str:
    """The account a login attempt names, as one lower-case key (``AXES_USERNAME_CALLABLE``)."""
    given = None
    if credentials:
        given = credentials.get("username")
    if given is None and request is not None:
        given = getattr(request, "POST", {}).get("username")
    given = nfc(given or "").strip().lower()
    if not given:
        return ""
    from .models import User

    username = (
        User.objects.filter(Q(username__iexact=given) | Q(email__iexact=given, email__gt=""))
        .values_list("username", flat=True)
        .first()
    )
    return (username or given).lower()


def cooloff_minutes() -> int:
    return max(1, round(float(settings.AXES_COOLOFF_TIME) * 60))


def lockout_response(request, original_response=None, credentials=None):
    """The page shown while an account is locked for this client (HTTP 429, in Vietnamese)."""
    return render(
        request,
        "accounts/lockout.html",
        {"minutes": cooloff_minutes(), "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
