"""Handing a stored file to the browser: always an attachment, never sniffed, never cached."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.utils.cache import add_never_cache_headers

from sms.exports.http import content_disposition


def file_response(fieldfile, filename: str, content_type: str = "") -> FileResponse:
    """A FileResponse for a FieldFile; a missing file on disk is a 404, not a 500."""
    if not fieldfile:
        raise Http404("Không tìm thấy tệp.")
    try:
        handle = fieldfile.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("Không tìm thấy tệp.") from None
    response = FileResponse(handle, content_type=content_type or "application/octet-stream")
    response["Content-Disposition"] = content_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    add_never_cache_headers(response)
    return response
