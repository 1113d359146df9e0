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

Cost (results day, ``bench/portal_bench.py``). On Django's Redis cache the counters do not go
through the cache API (``cache.add`` + ``cache.incr``, which checks ``EXISTS`` first: three or
four round trips per counter, each building a new redis-py client): each thread keeps its own
connection to the cache's Redis (``_exchange``) and a change of counters is ONE write of
``SET key <start> EX <window> NX`` (creates the window's key with its expiry, on any Redis
version) + ``INCRBY`` per counter, and one read of the replies. ``hit_ip_and_reserve`` counts
the address and reserves the identifier's place in that one round trip; giving the place back
after a hit is sent without waiting (Redis applies it on arrival; its reply is read with the
next exchange), so a lookup that finds its record waits for Redis once. Other cache backends
(locmem in tests and on one process) take the portable ``add``/``incr`` path.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
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


class _Wire(threading.local):
    """This thread's own connection to the cache's Redis (where Django writes), for the counters."""

    def __init__(self):
        self.connection = None
        self.backend = None
        self.pid = 0
        self.unread = 0  # replies of commands sent without waiting, read before the next answer


_wire = _Wire()


def _hang_up() -> None:
    if _wire.connection is not None:
        with contextlib.suppress(Exception):
            _wire.connection.disconnect()
    _wire.connection, _wire.backend, _wire.unread = None, None, 0


def _pack(commands: list[tuple]) -> bytes:
    """Commands in the Redis protocol (RESP): arrays of bulk strings."""
    out = []
    for command in commands:
        out.append(f"*{len(command)}\r\n")
        for arg in command:
            text = str(arg)
            out.append(f"${len(text.encode()) if not text.isascii() else len(text)}\r\n{text}\r\n")
    return "".join(out).encode()


def _exchange(backend, commands: list[tuple], *, wait: bool = True) -> list:
    """Send ``commands`` to the Redis of ``backend`` in one write. With ``wait``, return their
    replies (after reading those of earlier commands sent without waiting, which are already on
    their way: one connection answers in order). Without, return at once: Redis applies them as
    they arrive. A broken connection is dropped and the exchange tried once more on a new one
    (at worst a counter counts one more: the safe side)."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    for attempt in (1, 2):
        wire = _wire
        if wire.connection is None or wire.backend is not backend or wire.pid != os.getpid():
            _hang_up()
            # a connection of Django's pool for writes (the cache's first server), kept: never given back
            wire.connection = backend._cache.get_client(write=True).connection_pool.make_connection()
            wire.backend, wire.pid = backend, os.getpid()
        connection = wire.connection
        try:
            connection.send_packed_command([_pack(commands)], check_health=False)
            if not wait:
                wire.unread += len(commands)
                return []
            for _ in range(wire.unread):
                connection.read_response()
            wire.unread = 0
            return [connection.read_response() for _ in commands]
        except (RedisConnectionError, RedisTimeoutError):
            _hang_up()
            if attempt == 2:
                raise
        except BaseException:
            _hang_up()
            raise
    raise AssertionError("unreachable")


def _bump(changes: list[tuple[str, int, int]], *, wait: bool = True) -> list[int]:
    """Add ``delta`` to each counter of ``changes`` — (key, window length, delta) — and return the new
    values. A missing counter starts at 0 (at 1 for a decrement: nothing reserved is nothing to give
    back) and expires shortly after its window. On Redis: one round trip for all of them, or none to
    wait for without ``wait`` (nothing is returned then)."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(backend, RedisCache):
        return [_count(key, length) if delta > 0 else _give_back(key) for key, length, delta in changes]
    commands = []
    for key, length, delta in changes:
        full = backend.make_key(key)  # our own keys: ASCII, no spaces, short (nothing to validate)
        commands += [("SET", full, 0 if delta > 0 else 1, "EX", length + 5, "NX"), ("INCRBY", full, delta)]
    replies = _exchange(backend, commands, wait=wait)
    return [int(value) for value in replies[1::2]]


def _count(key: str, length: int) -> int:
    """Add one to ``key`` (created at 0 if absent) and return the new value (any cache backend)."""
    if cache.add(key, 1, timeout=length + 5):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=length + 5)
        return 1


def _give_back(key: str) -> int:
    with contextlib.suppress(ValueError):  # the window ended meanwhile: nothing to give back
        return cache.decr(key)
    return 0


def _read(key: str) -> int:
    backend = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(backend, RedisCache):
        return int(cache.get(key) or 0)
    (value,) = _exchange(backend, [("GET", backend.make_and_validate_key(key))])
    return int(value or 0)


def ip_bucket(ip: str) -> str:
    """The unit an IP is counted in: the address itself for IPv4, its /64 for IPv6."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _ip_counter(ip: str, now: float | None) -> tuple[str, int]:
    number, retry_after = _window(IP_WINDOW, now)
    return f"{_PREFIX}:ip:{ip_bucket(ip)}:{number}", retry_after


def _ip_verdict(count: int, retry_after: int) -> Verdict:
    return Verdict(False, retry_after) if count > settings.PORTAL_RATE_PER_IP else Verdict(True, 0)


def _identifier_verdict(count: int, retry_after: int) -> Verdict:
    return Verdict(False, retry_after) if count > settings.PORTAL_MISSES_PER_IDENTIFIER else Verdict(True, 0)


def hit_ip(ip: str, *, now: float | None = None) -> Verdict:
    """Count one lookup from ``ip``; refused once the minute's budget is spent."""
    key, retry_after = _ip_counter(ip, now)
    (count,) = _bump([(key, IP_WINDOW, 1)])
    return _ip_verdict(count, retry_after)


def _identifier_counter(kind: str, identifier: str, now: float | None) -> tuple[str, int]:
    number, retry_after = _window(IDENTIFIER_WINDOW, now)
    return f"{_PREFIX}:id:{identifier_key(kind, identifier)}:{number}", retry_after


def reserve_attempt(kind: str, identifier: str, *, now: float | None = None) -> Verdict:
    """Take one of ``identifier``'s misses for this hour before the lookup runs; refused when
    none is left. Give it back with ``release_attempt`` if the lookup finds the record."""
    key, retry_after = _identifier_counter(kind, identifier, now)
    (count,) = _bump([(key, IDENTIFIER_WINDOW, 1)])
    return _identifier_verdict(count, retry_after)


def hit_ip_and_reserve(ip: str, kind: str, identifier: str, *, now: float | None = None) -> tuple[Verdict, Verdict]:
    """``hit_ip`` and ``reserve_attempt`` in one round trip: (the address's verdict, the
    identifier's). When the address is refused, the lookup does not run, so the identifier's
    place is given back at once (its verdict is then "allowed": it was not tried)."""
    ip_key, ip_retry = _ip_counter(ip, now)
    id_key, id_retry = _identifier_counter(kind, identifier, now)
    ip_count, id_count = _bump([(ip_key, IP_WINDOW, 1), (id_key, IDENTIFIER_WINDOW, 1)])
    by_ip = _ip_verdict(ip_count, ip_retry)
    if not by_ip.allowed:
        _bump([(id_key, IDENTIFIER_WINDOW, -1)], wait=False)
        return by_ip, Verdict(True, 0)
    return by_ip, _identifier_verdict(id_count, id_retry)


def release_attempt(kind: str, identifier: str, *, now: float | None = None) -> None:
    """The lookup found the record: a hit does not count against the identifier."""
    key, _ = _identifier_counter(kind, identifier, now)
    _bump([(key, IDENTIFIER_WINDOW, -1)], wait=False)


def misses(kind: str, identifier: str, *, now: float | None = None) -> int:
    """Misses counted against ``identifier`` this hour (for tests and the log page)."""
    key, _ = _identifier_counter(kind, identifier, now)
    return _read(key)
