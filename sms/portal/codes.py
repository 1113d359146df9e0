"""Random codes printed on papers as a second secret for public lookups."""

from __future__ import annotations

import secrets

LOOKUP_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no look-alikes (0/O, 1/I)


def new_lookup_code(length: int = 8) -> str:
    """A random code (about 40 bits for 8 characters), read aloud and typed without confusion."""
    return "".join(secrets.choice(LOOKUP_CODE_ALPHABET) for _ in range(length))
