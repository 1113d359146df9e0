from __future__ import annotations

from .actors import SESSION_KEY, Actor, actor_for_membership_id, default_actor


def _resolve(request) -> Actor | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    actor = actor_for_membership_id(request.session.get(SESSION_KEY), user=user)
    if actor is None:
        actor = default_actor(user)
        if actor is not None:
            request.session[SESSION_KEY] = actor.membership.pk
    return actor


class ActorMiddleware:
    """Gives every request ``request.get_actor()``: the user and their active membership.

    Resolved on first use and cached for the request; no thread-local state.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        cache: dict[str, Actor | None] = {}

        def get() -> Actor | None:
            if "actor" not in cache:
                cache["actor"] = _resolve(request)
            return cache["actor"]

        request.get_actor = get
        return self.get_response(request)
