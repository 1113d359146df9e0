from rest_framework.permissions import BasePermission

from sms.accounts.actors import actor_from_request


class HasActor(BasePermission):
    """Authenticated and acting through an active membership; the door does the rest."""

    message = "Bạn cần đăng nhập và chọn đơn vị làm việc."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        actor = actor_from_request(request)
        request.actor = actor
        return actor is not None
