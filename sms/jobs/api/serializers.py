from django.urls import reverse
from rest_framework import serializers

from sms.api.serializers import ScopedModelSerializer

from ..models import Job


class JobSerializer(ScopedModelSerializer):
    """A job; POST ``kind`` (and ``params``, plain JSON values and ids) to queue one."""

    params = serializers.JSONField(required=False, default=dict, help_text="Tham số của tác vụ (giá trị JSON, mã id)")
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "params",
            "title",
            "unit",
            "created_by",
            "status",
            "status_display",
            "progress",
            "message",
            "error",
            "output",
            "download_url",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = [f for f in fields if f not in ("kind", "params")]

    def get_download_url(self, obj) -> str | None:
        return reverse("api:job-download", kwargs={"pk": obj.pk}) if obj.output_id else None

    def validate_params(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Tham số phải là một đối tượng JSON.")
        return value

    def validate(self, attrs):
        # The row is built by sms.jobs.services.enqueue (unit, actor, title), which checks
        # the kind and the parameters; nothing else comes from input.
        return attrs
