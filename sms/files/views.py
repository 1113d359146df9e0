"""Serving files after the scoping door: the reusable ``ScopedFileView`` and StoredFile's own."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.views import generic

from sms.views import ScopedObjectMixin

from .models import StoredFile
from .responses import file_response


def unexpired(queryset):
    return queryset.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))


class ScopedFileView(ScopedObjectMixin, generic.DetailView):
    """Serve ``file_field`` of one row the door shows the actor (another school's row, or a
    row without a file, is a 404). Subclass with ``model`` and ``file_field``::

        class EvidenceFile(ScopedFileView):
            model = Evidence
            file_field = "attachment"
    """

    file_field = "file"
    http_method_names = ["get", "head"]

    def get_filename(self, obj) -> str:
        fieldfile = getattr(obj, self.file_field)
        return getattr(obj, "name", "") or fieldfile.name.rsplit("/", 1)[-1]

    def get_content_type(self, obj) -> str:
        return getattr(obj, "content_type", "") or "application/octet-stream"

    def get(self, request, *args, **kwargs):
        obj = self.get_object()
        fieldfile = getattr(obj, self.file_field)
        if not fieldfile:
            raise Http404("Không tìm thấy tệp.")
        return file_response(fieldfile, self.get_filename(obj), self.get_content_type(obj))


class StoredFileDownload(ScopedFileView):
    """``files:download``: an uploaded file or a job's output; expired files are gone (404)."""

    model = StoredFile

    def get_queryset(self):
        return unexpired(super().get_queryset())
