"""Checking an upload before it is stored: its type by extension AND content, and its size.

    from sms.files.validators import UploadValidator, validate_upload

    content_type = validate_upload(request.FILES["file"], allowed=("pdf", "docx"))
    file = forms.FileField(validators=[UploadValidator(allowed=("xlsx",))])

Messages are Vietnamese and name the file, so a person uploading several knows which one.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

from sms.text import nfc

#: extension → (content type, how the content must begin, a member an Office zip must hold)
FILE_TYPES: dict[str, tuple[str, tuple[bytes, ...], str | None]] = {
    "pdf": ("application/pdf", (b"%PDF-",), None),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",), None),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",), None),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",), None),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",), "xl/workbook.xml"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
        "word/document.xml",
    ),
}
DEFAULT_ALLOWED = ("pdf", "png", "jpg", "jpeg", "xlsx", "docx")
#: names shown to people ("PDF, PNG, JPG, XLSX, DOCX")
LABELS = {"jpeg": "JPG"}


def megabytes(size: int) -> str:
    """``1572864`` → ``"1,5 MB"`` (decimal comma)."""
    value = size / (1024 * 1024)
    text = f"{value:.1f}".rstrip("0").rstrip(".") if value < 10 else f"{value:.0f}"
    return f"{text.replace('.', ',')} MB"


def _display_name(name: str) -> str:
    """The name as the person chose it (last path component, NFC), for messages."""
    return nfc(name).replace("\\", "/").rsplit("/", 1)[-1].strip()[:150] or "không tên"


def _extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def _read(upload) -> bytes:
    if isinstance(upload, bytes | bytearray):
        return bytes(upload)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = b"".join(upload.chunks()) if hasattr(upload, "chunks") else upload.read()
    if hasattr(upload, "seek"):
        upload.seek(0)
    return data


def _allowed_label(allowed: Iterable[str]) -> str:
    seen: list[str] = []
    for ext in allowed:
        label = LABELS.get(ext, ext.upper())
        if label not in seen:
            seen.append(label)
    return ", ".join(seen)


def validate_upload(
    upload, *, allowed: Iterable[str] = DEFAULT_ALLOWED, max_bytes: int | None = None, name: str | None = None
) -> str:
    """Check an uploaded file (or bytes with ``name``); return its content type.

    The extension must be allowed, the content must be what the extension says (magic
    bytes; for xlsx/docx the zip must be a workbook/document), and the size within
    ``max_bytes`` (default ``SMS_UPLOAD_MAX_BYTES``; 0 means no limit).
    """
    allowed = tuple(ext.lower() for ext in allowed)
    display = _display_name(name or getattr(upload, "name", "") or "")
    limit = settings.SMS_UPLOAD_MAX_BYTES if max_bytes is None else max_bytes
    size = getattr(upload, "size", None)
    if limit and size is not None and size > limit:
        raise ValidationError(
            f"Tệp “{display}” có dung lượng {megabytes(size)}, vượt quá giới hạn {megabytes(limit)}.", code="too_big"
        )
    ext = _extension(display)
    if ext not in allowed or ext not in FILE_TYPES:
        raise ValidationError(
            f"Tệp “{display}” không thuộc loại được phép (chỉ nhận {_allowed_label(allowed)}).", code="type"
        )
    data = _read(upload)
    if limit and len(data) > limit:
        raise ValidationError(
            f"Tệp “{display}” có dung lượng {megabytes(len(data))}, vượt quá giới hạn {megabytes(limit)}.",
            code="too_big",
        )
    if not data:
        raise ValidationError(f"Tệp “{display}” rỗng.", code="empty")
    content_type, magics, member = FILE_TYPES[ext]
    if not data.startswith(magics) or (member and not _zip_has(data, member)):
        raise ValidationError(
            f"Nội dung tệp “{display}” không phải là tệp {LABELS.get(ext, ext.upper())} hợp lệ.", code="content"
        )
    return content_type


def _zip_has(data: bytes, member: str) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return member in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


@deconstructible
class UploadValidator:
    """A field validator: ``FileField(validators=[UploadValidator(allowed=("pdf",))])``."""

    def __init__(self, allowed: Iterable[str] = DEFAULT_ALLOWED, max_bytes: int | None = None):
        self.allowed = tuple(allowed)
        self.max_bytes = max_bytes

    def __call__(self, upload) -> None:
        validate_upload(upload, allowed=self.allowed, max_bytes=self.max_bytes)

    def __eq__(self, other) -> bool:
        return isinstance(other, UploadValidator) and (self.allowed, self.max_bytes) == (
            other.allowed,
            other.max_bytes,
        )


def store_upload(actor, upload, *, purpose: str, allowed: Iterable[str] = DEFAULT_ALLOWED, private: bool = True):
    """Validate ``upload`` and keep it under the actor's unit, as theirs."""
    from .models import StoredFile

    content_type = validate_upload(upload, allowed=allowed)
    return StoredFile.store(
        unit=actor.unit,
        uploaded_by=actor.user,
        content=upload,
        name=getattr(upload, "name", "") or "tep",
        purpose=purpose,
        content_type=content_type,
        private=private,
    )
