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


def list_routes() -> list[Route]:
    from django.views.generic import ListView

    out = []
    for r in all_routes():
        if r.kwargs or r.model is None:
            continue
        if r.is_api and "GET" in r.api_methods and getattr(r.callback, "actions", {}).get("get") == "list":
            out.append(r)
        elif not r.is_api and isinstance(r.view_class, type) and issubclass(r.view_class, ListView):
            out.append(r)
    return out


def create_routes() -> list[Route]:
    from django.views.generic.edit import CreateView

    out = []
    for r in all_routes():
        if r.kwargs or r.model is None:
            continue
        if r.is_api and getattr(r.callback, "actions", {}).get("post") == "create":
            out.append(r)
        elif not r.is_api and isinstance(r.view_class, type) and issubclass(r.view_class, CreateView):
            out.append(r)
    return out


def update_routes() -> list[Route]:
    from django.views.generic.edit import UpdateView

    out = []
    for r in object_routes():
        if r.is_api and getattr(r.callback, "actions", {}).get("patch") == "partial_update":
            out.append(r)
        elif not r.is_api and isinstance(r.view_class, type) and issubclass(r.view_class, UpdateView):
            out.append(r)
    return out
