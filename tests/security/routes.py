"""Discover every route of the project, so the security suites cover new routes by themselves."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    name: str  # namespaced, e.g. "api:schoolclass-detail"
    pattern: str
    callback: object = field(compare=False, repr=False)

    @property
    def kwargs(self) -> list[str]:
        return [a or b for a, b in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", self.pattern)]

    @property
    def is_api(self) -> bool:
        return hasattr(self.callback, "cls")

    @property
    def view_class(self):
        return getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)

    @property
    def model(self):
        cls = self.view_class
        if cls is None:
            return None
        queryset = getattr(cls, "queryset", None)
        if queryset is not None:
            return queryset.model
        return getattr(cls, "model", None)

    @property
    def api_methods(self) -> set[str]:
        return {m.upper() for m in getattr(self.callback, "actions", {}) or {}}

    @property
    def methods(self) -> set[str]:
        if self.is_api:
            allowed = {m.upper() for m in self.view_class.http_method_names}
            actions = self.api_methods & allowed
            if actions:
                return actions
            return {m.upper() for m in self.view_class.http_method_names if hasattr(self.view_class, m)} - {"OPTIONS"}
        cls = self.view_class
        if cls is None:
            allowed = getattr(self.callback, "__wrapped__", None)
            return {"GET", "POST"} if allowed else {"GET"}
        return {m.upper() for m in cls.http_method_names if hasattr(cls, m)} - {"OPTIONS", "HEAD"}

    def url(self, **kwargs) -> str:
        """Fill the pattern's named groups with ``kwargs`` (values may be malformed on purpose)."""
        path = self.pattern
        for key, value in kwargs.items():
            path = re.sub(rf"<(?:\w+:)?{key}>|\(\?P<{key}>[^)]*\)", str(value), path)
        path = path.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\.", ".")
        return "/" + path


def _walk(patterns, prefix: str = "", namespace: str | None = None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            full_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), full_ns)
        elif isinstance(entry, URLPattern):
            name = entry.name or ""
            full = f"{namespace}:{name}" if namespace and name else name
            yield Route(full, prefix + str(entry.pattern), entry.callback)


def all_routes() -> list[Route]:
    routes = [r for r in _walk(get_resolver().url_patterns) if not r.name.startswith("admin:") and r.name]
    return sorted(set(routes), key=lambda r: r.name)


def object_routes() -> list[Route]:
    """Routes that address one object by an id in the URL."""
    return [r for r in all_routes() if r.kwargs]


def _html_view_of(route: Route, base) -> bool:
    return not route.is_api and isinstance(route.view_class, type) and issubclass(route.view_class, base)


def _api_action(route: Route, method: str) -> str | None:
    return (getattr(route.callback, "actions", None) or {}).get(method)


def list_routes() -> list[Route]:
    from django.views.generic import ListView

    return [
        r
        for r in all_routes()
        if not r.kwargs and r.model is not None and (_api_action(r, "get") == "list" or _html_view_of(r, ListView))
    ]


def create_routes() -> list[Route]:
    from django.views.generic.edit import CreateView

    return [
        r
        for r in all_routes()
        if not r.kwargs and r.model is not None and (_api_action(r, "post") == "create" or _html_view_of(r, CreateView))
    ]


def update_routes() -> list[Route]:
    from django.views.generic.edit import UpdateView

    return [r for r in object_routes() if _api_action(r, "patch") == "partial_update" or _html_view_of(r, UpdateView)]
