"""Responses that carry one person's data are never stored by a browser cache or a proxy."""

from __future__ import annotations

from django.utils.cache import add_never_cache_headers

from sms.accounts.middleware import is_sessionless


class PrivateResponsesMiddleware:
    """Every page and API answer that does not set its own ``Cache-Control`` gets
    ``private, no-store``: audit logs, account lists and exports show personal data, and a
    shared computer in a school office, or a proxy, must keep none of it. Sessionless
    public views (portal lookups, the health check) decide for themselves."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control") and not getattr(request, "_sms_sessionless", False):
            add_never_cache_headers(response)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        request._sms_sessionless = is_sessionless(view_func)
        return None
