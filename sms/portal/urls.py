"""The public portal's routes (under /cong/, namespace "portal").

Each module contributes its lookups from its own ``portal.py`` as ``portal_urlpatterns``
(collected here, so ``sms`` names no module), and lists each route's name ("portal:<name>")
in ``sms.portal.public.PUBLIC_ROUTE_NAMES``.
"""

from __future__ import annotations

from importlib import import_module

from django.apps import apps
from django.urls import path
from django.utils.module_loading import module_has_submodule

from . import documents, feeds

app_name = "portal"


def module_patterns() -> list:
    patterns: list = []
    for config in apps.get_app_configs():
        if config.name.startswith("sms") or not module_has_submodule(config.module, "portal"):
            continue
        patterns.extend(getattr(import_module(f"{config.name}.portal"), "portal_urlpatterns", []))
    return patterns


urlpatterns: list = [
    path("thong-bao/", feeds.page_view, name="announcements"),
    path("thong-bao/atom.xml", feeds.feed_view, name="announcements-feed"),
    path("kiem-tra/", documents.check_view, name="document-check"),
    *module_patterns(),
]
