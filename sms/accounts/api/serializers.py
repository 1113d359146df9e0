from rest_framework import serializers

from sms.api.serializers import ScopedModelSerializer

from ..models import ApiToken, Membership, User


class MembershipSerializer(ScopedModelSerializer):
    user_name = serializers.CharField(source="user.full_name", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = Membership
        fields = [
            "id",
            "user",
            "username",
            "user_name",
            "unit",
            "unit_name",
            "role",
            "role_display",
            "is_active",
            "starts_on",
            "ends_on",
            "granted_by",
        ]
        read_only_fields = ["is_active", "granted_by"]
        # Granting a role held before reactivates that row (grant_membership), so the
        # (user, unit, role) uniqueness is the service's business, not a validation error.
        validate_constraints = False


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user.pk")
    username = serializers.CharField(source="user.username")
    full_name = serializers.CharField(source="user.full_name")
    membership = serializers.IntegerField(source="membership.pk")
    role = serializers.CharField()
    unit = serializers.IntegerField(source="unit_id")
    unit_name = serializers.CharField(source="unit.name")


class UserBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "full_name"]


class ApiTokenSerializer(serializers.ModelSerializer):
    days = serializers.IntegerField(write_only=True, required=False, min_value=1, max_value=3650)
    key = serializers.CharField(read_only=True, help_text="Chỉ trả về một lần, khi tạo khoá.")

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "membership",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "days",
            "key",
        ]
        read_only_fields = ["prefix", "membership", "created_at", "expires_at", "last_used_at", "revoked_at"]
