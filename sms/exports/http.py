"""File responses for exports: a Vietnamese file name that every browser keeps, no caching."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers

from sms.text import nfc, search_key


def ascii_name(filename: str) -> str:
    """A plain-ASCII fallback for old clients: "Lớp 10A1.xlsx" → "lop-10a1.xlsx"."""
    stem, dot, ext = nfc(filename).rpartition(".")
    if not dot:
        stem, ext = ext, ""
    plain = "-".join(search_key(stem).split()) or "tep"
    plain = "".join(ch for ch in plain if ch.isascii() and (ch.isalnum() or ch in "-_")) or "tep"
    # The extension is filtered too: a quote or ";" in it would break out of the header parameter.
    ext = "".join(ch for ch in search_key(ext) if ch.isascii() and ch.isalnum())
    return f"{plain}.{ext}" if ext else plain


def content_disposition(filename: str, *, inline: bool = False) -> str:
    kind = "inline" if inline else "attachment"
    name = nfc(filename)
    # RFC 6266 / 5987: every byte outside attr-char percent-encoded ("/" included).
    return f"{kind}; filename=\"{ascii_name(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


def attachment(data: bytes, filename: str, content_type: str, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename, inline=inline)
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    return response
