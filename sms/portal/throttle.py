"""Throttling for public lookups: per client IP (every lookup) and per identifier (misses only).

Counters live in Django's default cache (locmem on one process, Redis in a deployment, so
every web process shares them) in fixed windows: a key per (what, window number), created
with ``cache.add`` and counted with ``cache.incr``, both atomic on Redis. A window's key
expires shortly after the window ends, so nothing needs cleaning up.

Per IP, every lookup counts: ``PORTAL_RATE_PER_IP`` a minute. Per identifier (a learner code,
a candidate number), only misses count: ``PORTAL_MISSES_PER_IDENTIFIER`` an hour, from any IP.
A correct lookup never counts, so guessing somebody's date of birth cannot lock out the
real candidate, while guessing one candidate's secret from many addresses is still capped.

Identifiers never reach the cache in clear: the key carries an HMAC of (kind, identifier)
with the project's secret key.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac

from sms.text import nfc

IP_WINDOW = 60  # seconds
IDENTIFIER_WINDOW = 3600  # seconds
_PREFIX = "portal-throttle"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the current window ends (0 when allowed)


def normalise_identifier(value, case: str | None = "upper") -> str:
    """What a person typed, as the one key it stands for: NFC, trimmed, inner runs of spaces
    made one, and upper- or lower-cased when the identifier is case-blind ("abc " == "ABC")."""
    text = " ".join(nfc("" if value is None else str(value)).split())
    if case == "upper":
        return text.upper()
    if case == "lower":
        return text.lower()
    return text


def identifier_key(kind: str, identifier: str) -> str:
    """A cache-safe, irreversible key for (kind, identifier)."""
    return salted_hmac("sms.portal.throttle", f"{kind}\x00{identifier}").hexdigest()[:40]


def _window(length: int, now: float | None = None) -> tuple[int, int]:
    now = time.time() if now is None else now
    number = int(now // length)
    retry_after = max(1, int((number + 1) * length - now + 0.999))
    return number, retry_after


def _count(key: str, length: int) -> int:
    """Add one to ``key`` (created at 0 if absent) and return the new value."""
    if cache.add(key, 1, timeout=length + 5):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=length + 5)
        return 1


def _read(key: str) -> int:
    return int(cache.get(key) or 0)


def hit_ip(ip: str, *, now: float | None = None) -> Verdict:
    """Count one lookup from ``ip``; refused once the minute's budget is spent."""
    number, retry_after = _window(IP_WINDOW, now)
    count = _count(f"{_PREFIX}:ip:{ip}:{number}", IP_WINDOW)
    if count > settings.PORTAL_RATE_PER_IP:
        return Verdict(False, retry_after)
    return Verdict(True, 0)


def identifier_blocked(kind: str, identifier: str, *, now: float | None = None) -> Verdict:
    """Whether ``identifier`` has used up its misses this hour (checked before the lookup)."""
    number, retry_after = _window(IDENTIFIER_WINDOW, now)
    misses = _read(f"{_PREFIX}:id:{identifier_key(kind, identifier)}:{number}")
    if misses >= settings.PORTAL_MISSES_PER_IDENTIFIER:
        return Verdict(False, retry_after)
    return Verdict(True, 0)


def record_miss(kind: str, identifier: str, *, now: float | None = None) -> int:
    """Count one miss against ``identifier`` (after a lookup that found nothing)."""
    number, _ = _window(IDENTIFIER_WINDOW, now)
    return _count(f"{_PREFIX}:id:{identifier_key(kind, identifier)}:{number}", IDENTIFIER_WINDOW)
