from rest_framework import serializers

from sms.api.serializers import ScopedModelSerializer

from ..models import AuditEvent


class AuditEventSerializer(ScopedModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    user_name = serializers.SerializerMethodField()
    role = serializers.SerializerMethodField()
    unit_name = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "kind",
            "kind_display",
            "at",
            "user",
            "username",
            "user_name",
            "membership",
            "role",
            "unit",
            "unit_name",
            "ip",
            "path",
            "object_type",
            "object_id",
            "object_repr",
            "detail",
        ]
        read_only_fields = fields

    def get_user_name(self, obj) -> str:
        return str(obj.user) if obj.user_id else ""

    def get_role(self, obj) -> str:
        return obj.membership.get_role_display() if obj.membership_id else ""

    def get_unit_name(self, obj) -> str:
        return obj.unit.name if obj.unit_id else ""
