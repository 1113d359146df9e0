from django.utils import timezone
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from sms.api.viewsets import ApiViewMixin, ScopedCreateModelMixin, ScopedMixin

from .. import services
from ..actors import actor_from_request
from ..models import ApiToken, Membership
from . import serializers as s


class MeView(ApiViewMixin, APIView):
    """Who am I acting as: the user and the membership of this request."""

    serializer_class = s.MeSerializer

    def get(self, request):
        return Response(s.MeSerializer(actor_from_request(request)).data)


class MembershipViewSet(
    ScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedCreateModelMixin, viewsets.GenericViewSet
):
    """Roles held at units of the actor's subtree. Granting follows the grant rules (never
    above your own role, never outside your subtree); ending keeps the row and its history."""

    queryset = Membership.objects.select_related("user", "unit")
    serializer_class = s.MembershipSerializer
    filterset_fields = ["unit", "role", "is_active", "user"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.grant_membership(
            self.actor,
            user=data["user"],
            unit=data["unit"],
            role=data["role"],
            starts_on=data.get("starts_on"),
            ends_on=data.get("ends_on"),
        )

    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        membership = self.get_object()
        services.end_membership(self.actor, membership)
        return Response(self.get_serializer(membership).data)


class ApiTokenViewSet(
    ScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedCreateModelMixin, viewsets.GenericViewSet
):
    """Your own API tokens for the membership you act in now. The key is shown once."""

    queryset = ApiToken.objects.select_related("membership")
    serializer_class = s.ApiTokenSerializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, raw = ApiToken.issue(
            self.actor.membership, serializer.validated_data["name"], serializer.validated_data.get("days")
        )
        data = s.ApiTokenSerializer(token).data
        data["key"] = raw
        return Response(data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = self.get_object()
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
        return Response(s.ApiTokenSerializer(token).data)
