"""Where uploaded files go: one folder per unit, a random name per file.

``units/<unit id>/<yyyy>/<mm>/<random>/<original name>``: a file's unit is visible in its
path (backups and quotas per school), and the random part makes names unguessable. Nothing
under MEDIA_ROOT is ever served by URL; views hand files out after the scoping door.
"""

from __future__ import annotations

import secrets

from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.text import get_valid_filename

from sms.text import nfc


def safe_name(name: str) -> str:
    """The last component of an uploaded name, NFC, safe on every filesystem."""
    base = nfc(name or "").replace("\\", "/").rsplit("/", 1)[-1].strip() or "tep"
    try:
        return get_valid_filename(base)[:150]
    except Exception:  # SuspiciousFileOperation for names such as ".."
        return "tep"


def unit_path(unit_id: int, filename: str) -> str:
    now = timezone.now()
    return f"units/{unit_id}/{now:%Y/%m}/{secrets.token_hex(16)}/{safe_name(filename)}"


@deconstructible(path="sms.files.storage.UnitUploadTo")
class UnitUploadTo:
    """``upload_to`` for a FileField on a model with a unit (or school) relation, serialisable
    in migrations: ``models.FileField(upload_to=UnitUploadTo("school"))``."""

    def __init__(self, field: str = "unit"):
        self.field = field

    def __call__(self, instance, filename: str) -> str:
        return unit_path(getattr(instance, f"{self.field}_id"), filename)

    def __eq__(self, other) -> bool:
        return isinstance(other, UnitUploadTo) and other.field == self.field

    def __hash__(self) -> int:
        return hash(self.field)


def unit_upload_to(field: str = "unit") -> UnitUploadTo:
    return UnitUploadTo(field)
