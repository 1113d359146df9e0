"""Django's ``salted_hmac`` (SHA-1, the project's ``SECRET_KEY``) with its derived key kept: the public
lookups take two or three of these per request, and deriving the key is half of each one's cost. The
digests are byte for byte those of ``django.utils.crypto.salted_hmac(salt, value).hexdigest()``, so
what was stored with one is found with the other."""

from __future__ import annotations

import functools
import hashlib
import hmac

from django.conf import settings


@functools.lru_cache(maxsize=8)
def _keyed(salt: str, secret: str) -> hmac.HMAC:
    # SHA-1 as in salted_hmac's default: the digests already stored must still match (HMAC-SHA1 is sound).
    return hmac.new(hashlib.sha1((salt + secret).encode()).digest(), digestmod=hashlib.sha1)  # noqa: S324


def salted_hexdigest(salt: str, value: str) -> str:
    mac = _keyed(salt, settings.SECRET_KEY).copy()
    mac.update(value.encode())
    return mac.hexdigest()
