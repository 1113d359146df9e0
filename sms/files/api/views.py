from rest_framework.decorators import action

from sms.api.viewsets import ScopedReadOnlyViewSet

from ..models import StoredFile
from ..responses import file_response
from ..views import unexpired
from .serializers import StoredFileSerializer


class StoredFileViewSet(ScopedReadOnlyViewSet):
    """Files the actor may see (their own, shared ones, and for admins their subtree's);
    ``download/`` serves the content. Expired files are gone."""

    queryset = StoredFile.objects.all()
    serializer_class = StoredFileSerializer
    filterset_fields = ["purpose"]

    def get_queryset(self):
        return unexpired(super().get_queryset())

    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        stored = self.get_object()
        return file_response(stored.file, stored.name, stored.content_type)
