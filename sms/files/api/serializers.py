from rest_framework import serializers

from sms.api.serializers import ScopedModelSerializer

from ..models import StoredFile


class StoredFileSerializer(ScopedModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = StoredFile
        fields = [
            "id",
            "unit",
            "name",
            "content_type",
            "size",
            "sha256",
            "purpose",
            "private",
            "created_at",
            "expires_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, obj) -> str:
        from django.urls import reverse

        return reverse("api:storedfile-download", kwargs={"pk": obj.pk})
