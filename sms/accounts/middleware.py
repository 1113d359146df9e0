from __future__ import annotations

from django.contrib.auth import middleware as auth_middleware

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

    def process_view(self, request, view_func, view_args, view_kwargs):
        if is_sessionless(view_func):
            return None
        return _must_change_password(request)


def sessionless(view):
    """Mark a view that never uses the session (public lookups, the health check): the
    account middleware then leaves the session unread, so its responses carry no session
    cookie, no ``Vary: Cookie`` and cost no session or user query."""
    view.sessionless = True
    view.login_required = False
    return view


def is_sessionless(view_func) -> bool:
    return getattr(view_func, "sessionless", False)


def _must_change_password(request):
    """A user with an initial or reset password goes to the password change page before
    anything else (OWASP ASVS 2.3.1); only that page, logging out and static files are open.
    API calls with a token carry no session user and are not affected here."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not getattr(user, "must_change_password", False):
        return None
    from django.conf import settings
    from django.http import JsonResponse
    from django.shortcuts import redirect
    from django.urls import reverse

    change_url = reverse("password-change")
    open_paths = (change_url, reverse("logout"), "/" + settings.STATIC_URL.lstrip("/"))
    if request.path.startswith(open_paths):
        return None
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Bạn cần đổi mật khẩu trước khi tiếp tục."}, status=403)
    if request.method == "GET":
        from django.utils.http import urlencode

        return redirect(f"{change_url}?{urlencode({'next': request.get_full_path()})}")
    return redirect(change_url)


IDLE_KEY = "sms_last_seen"
#: write the last-seen time at most this often (seconds), so most requests save no session
IDLE_RESOLUTION = 60


class IdleTimeoutMiddleware:
    """Ends a logged-in session after ``SESSION_IDLE_TIMEOUT`` seconds without a request.

    The absolute lifetime is ``SESSION_COOKIE_AGE``; this is the idle one. A request after
    the timeout is logged out and treated as anonymous (the page asks to log in again and
    says why). API calls with a token carry no session and are not affected.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Runs before LoginRequiredMiddleware's check, so a timed-out request is sent to log in.
        import time

        from django.conf import settings
        from django.contrib import auth, messages

        timeout = getattr(settings, "SESSION_IDLE_TIMEOUT", 0)
        session = getattr(request, "session", None)
        if not timeout or session is None or is_sessionless(view_func):
            return None
        if settings.SESSION_COOKIE_NAME not in request.COOKIES or not session.get(auth.SESSION_KEY):
            return None
        now = int(time.time())
        last = session.get(IDLE_KEY)
        if last is not None and now - int(last) > timeout:
            auth.logout(request)
            messages.warning(request, "Phiên làm việc đã hết hạn vì lâu không thao tác. Vui lòng đăng nhập lại.")
        elif last is None or now - int(last) >= IDLE_RESOLUTION:
            session[IDLE_KEY] = now
        return None


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Django's, asking the view before the session: a public view (``login_required =
    False``) never loads the session or the user, so public answers cost no session query
    and carry no ``Vary: Cookie``."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "login_required", True):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
