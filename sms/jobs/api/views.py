from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied

from sms.accounts.scoping import get_visible_or_404
from sms.api.errors import django_validation_to_dict
from sms.api.viewsets import ScopedCreateModelMixin, ScopedMixin
from sms.files.models import StoredFile
from sms.files.responses import file_response
from sms.files.views import unexpired

from .. import services
from ..models import Job
from .serializers import JobSerializer


class JobViewSet(
    ScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedCreateModelMixin, viewsets.GenericViewSet
):
    """Background jobs: the actor's own (an admin's: their subtree's). POST queues a job;
    ``download/`` serves its output once it has succeeded. Jobs are not edited or deleted."""

    queryset = Job.objects.select_related("output")
    serializer_class = JobSerializer
    filterset_fields = ["status", "kind"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = services.enqueue(self.actor, data["kind"], **data.get("params", {}))
        except DjangoValidationError as exc:
            raise serializers.ValidationError(django_validation_to_dict(exc)) from None
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None

    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        job = self.get_object()
        if not job.output_id:
            raise Http404("Tác vụ chưa có tệp kết quả.")
        stored = get_visible_or_404(self.actor, unexpired(StoredFile.objects.all()), job.output_id)
        return file_response(stored.file, stored.name, stored.content_type)
