"""The client's IP address, the one way: login lockout, audit, portal throttling all use it.

Behind ``TRUSTED_PROXY_COUNT`` reverse proxies, each proxy appends the address it received
the request from to ``X-Forwarded-For``. Only those last N entries were written by our own
proxies; anything to their left was sent by the client and may be forged. So the client is
the entry N places from the right, and with no trusted proxy it is ``REMOTE_ADDR``.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _valid(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "1.2.3.4:5678"
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str:
    """The address of the client that sent ``request`` (a Django or DRF request)."""
    request = getattr(request, "_request", request)
    meta = request.META
    remote = _valid(meta.get("REMOTE_ADDR", "")) or "0.0.0.0"  # noqa: S104 (a value, not a bind)
    trusted = getattr(settings, "SMS_TRUSTED_PROXY_COUNT", 0)
    if trusted <= 0:
        return remote
    chain = [part for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(chain) < trusted:
        # Fewer entries than proxies: the request did not come through all of them.
        return remote
    return _valid(chain[-trusted]) or remote


def axes_client_ip(request, *args, **kwargs) -> str:
    """``AXES_CLIENT_IP_CALLABLE``: django-axes takes the address from the same helper."""
    return client_ip(request)
