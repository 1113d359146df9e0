"""The base viewset: every queryset comes from the door, picked by the HTTP method."""

from __future__ import annotations

from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import APIException, PermissionDenied

from sms.accounts.actors import actor_from_request
from sms.accounts.scoping import METHOD_ACTIONS, scope_of, visible_to


class ApiViewMixin:
    """DRF does its own authentication (session or membership token); Django's
    LoginRequiredMiddleware must not redirect API clients to the HTML login page."""

    @classmethod
    def as_view(cls, *args, **kwargs):
        view = super().as_view(*args, **kwargs)
        view.login_required = False
        return view


class InUse(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Không thể xoá vì dữ liệu này đang được sử dụng ở nơi khác."
    default_code = "in_use"


class ScopedMixin(ApiViewMixin):
    """Every queryset through ``visible_to(actor, model, action)``.

    ``queryset`` names the model and its joins; the door narrows it per request: GET → view,
    POST → add, PUT/PATCH → change, DELETE → delete. An object outside the actor's reach is
    a 404, exactly like one that does not exist. Ids are digits only, so a malformed id never
    reaches the database.
    """

    lookup_value_regex = r"[0-9]{1,19}"

    @property
    def actor(self):
        actor = getattr(self.request, "actor", None)
        return actor if actor is not None else actor_from_request(self.request)

    def get_queryset(self):
        action = METHOD_ACTIONS.get(self.request.method, "view")
        return visible_to(self.actor, super().get_queryset(), action)

    def _model(self):
        return self.queryset.model

    def _require_role(self, action) -> None:
        if self.actor is None or self.actor.role not in scope_of(self._model()).roles_for(action):
            raise PermissionDenied()

    def _require_reach(self, response, action) -> None:
        """The row as saved must be one the door lets the actor ``action`` (NetBox's re-read):
        a relation picked from what one may only *read*, or a narrowed role creating a row
        outside its narrowing, is refused and the transaction rolled back."""
        pk = response.data.get("id") if isinstance(response.data, dict) else None
        if pk is not None and not visible_to(self.actor, self._model(), action).filter(pk=pk).exists():
            raise PermissionDenied()

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            # Visible but not writable for this actor: say so (it confirms nothing they
            # cannot already read). Anything else stays a plain 404.
            if METHOD_ACTIONS.get(self.request.method, "view") != "view":
                readable = visible_to(self.actor, self.queryset, "view")
                if readable.filter(
                    **{self.lookup_field: self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)}
                ).exists():
                    raise PermissionDenied() from None
            raise


class ScopedCreateModelMixin(mixins.CreateModelMixin):
    """DRF's create, for a role the model lists as a writer, re-read through the door."""

    def create(self, request, *args, **kwargs):
        self._require_role("add")
        with transaction.atomic():
            response = super().create(request, *args, **kwargs)
            self._require_reach(response, "add")
        return response


class ScopedUpdateModelMixin(mixins.UpdateModelMixin):
    """DRF's update; the row as saved must still be within the actor's reach."""

    def update(self, request, *args, **kwargs):
        with transaction.atomic():
            response = super().update(request, *args, **kwargs)
            self._require_reach(response, "change")
        return response


class ScopedViewSet(ScopedMixin, ScopedCreateModelMixin, ScopedUpdateModelMixin, viewsets.ModelViewSet):
    def perform_destroy(self, instance):
        try:
            instance.delete()
        except (ProtectedError, RestrictedError):
            raise InUse() from None


class ScopedReadOnlyViewSet(ScopedMixin, viewsets.ReadOnlyModelViewSet):
    pass
