"""Throttling for public lookups: per client IP (every lookup) and per identifier (misses only).

Counters live in Django's default cache (locmem on one process, Redis in a deployment, so
every web process shares them) in fixed windows: a key per (what, window number), created
with ``cache.add`` and counted with ``cache.incr``, both atomic on Redis. A window's key
expires shortly after the window ends, so nothing needs cleaning up.

Per IP, every lookup counts: ``PORTAL_RATE_PER_IP`` a minute. Per identifier (a learner code,
a candidate number), only misses count: ``PORTAL_MISSES_PER_IDENTIFIER`` an hour, from any IP.
A correct lookup never counts, so a candidate who looks their result up again and again is
never throttled for it, while guessing one candidate's secret from many addresses is capped.
The cap is per identifier, so misses by somebody else do block that identifier until the
hour ends: the price of capping guesses from many addresses.

An attempt reserves its place before the lookup runs (``reserve_attempt``) and gives it back
when the lookup finds the record (``release_attempt``), so a burst of simultaneous guesses
cannot all pass the check before any of them is counted. IPv6 clients are counted per /64
network, the block one subscriber gets.

Identifiers never reach the cache in clear: the key carries an HMAC of (kind, identifier)
with the project's secret key.
"""

from __future__ import annotations

import contextlib
import ipaddress
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


def ip_bucket(ip: str) -> str:
    """The unit an IP is counted in: the address itself for IPv4, its /64 for IPv6."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def hit_ip(ip: str, *, now: float | None = None) -> Verdict:
    """Count one lookup from ``ip``; refused once the minute's budget is spent."""
    number, retry_after = _window(IP_WINDOW, now)
    count = _count(f"{_PREFIX}:ip:{ip_bucket(ip)}:{number}", IP_WINDOW)
    if count > settings.PORTAL_RATE_PER_IP:
        return Verdict(False, retry_after)
    return Verdict(True, 0)


def _identifier_counter(kind: str, identifier: str, now: float | None) -> tuple[str, int]:
    number, retry_after = _window(IDENTIFIER_WINDOW, now)
    return f"{_PREFIX}:id:{identifier_key(kind, identifier)}:{number}", retry_after


def reserve_attempt(kind: str, identifier: str, *, now: float | None = None) -> Verdict:
    """Take one of ``identifier``'s misses for this hour before the lookup runs; refused when
    none is left. Give it back with ``release_attempt`` if the lookup finds the record."""
    key, retry_after = _identifier_counter(kind, identifier, now)
    if _count(key, IDENTIFIER_WINDOW) > settings.PORTAL_MISSES_PER_IDENTIFIER:
        return Verdict(False, retry_after)
    return Verdict(True, 0)


def release_attempt(kind: str, identifier: str, *, now: float | None = None) -> None:
    """The lookup found the record: a hit does not count against the identifier."""
    key, _ = _identifier_counter(kind, identifier, now)
    with contextlib.suppress(ValueError):  # the window ended meanwhile: nothing to give back
        cache.decr(key)


def misses(kind: str, identifier: str, *, now: float | None = None) -> int:
    """Misses counted against ``identifier`` this hour (for tests and the log page)."""
    key, _ = _identifier_counter(kind, identifier, now)
    return _read(key)
