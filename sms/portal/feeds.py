"""The portal's announcements: an Atom feed and a small page (Circular 53/2012/TT-BGDĐT Art. 17.5: the
department publishes its announcements — exam schedules, application windows, publication dates — for the
public and for the portal to pick up).

Mechanics only: each module registers a provider in its ``portal.py`` with ``announcements(fn)``; ``fn(now)``
returns ``Announcement`` items about what it has made public (``sms`` names no module). Providers are read on
each request — a handful of indexed queries — and the answers are public and cacheable for a few minutes.

Routes (no URL kwargs; listed in ``sms.portal.public.PUBLIC_ROUTE_NAMES``):

- ``portal:announcements``       /cong/thong-bao/          the page (with the feed's ``<link rel="alternate">``)
- ``portal:announcements-feed``  /cong/thong-bao/atom.xml  the Atom 1.0 feed
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from sms.accounts.middleware import sessionless

from .lookups import LookupView

#: how many announcements the feed and the page show, newest first
LIMIT = 50
#: public data: intermediaries may keep it this long (seconds)
MAX_AGE = 300
FEED_TITLE = "Thông báo thi, tuyển sinh"


@dataclass(frozen=True)
class Announcement:
    """One announcement: ``key`` is stable (the feed's entry id), ``link`` a path on this server."""

    key: str
    title: str
    summary: str
    link: str
    updated: dt.datetime
    category: str = ""
    author: str = ""


Provider = Callable[[dt.datetime], Iterable[Announcement]]
_providers: list[Provider] = []


def announcements(provider: Provider) -> Provider:
    """Register ``provider`` (a module's ``portal.py`` does, at import); usable as a decorator."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def current(now: dt.datetime | None = None, limit: int = LIMIT) -> list[Announcement]:
    """Every provider's announcements, newest first, at most ``limit``."""
    now = now or timezone.now()
    items = [item for provider in _providers for item in provider(now)]
    items.sort(key=lambda a: (a.updated, a.key), reverse=True)
    return items[:limit]


def _public(response: HttpResponse, request: HttpRequest) -> HttpResponse:
    response = LookupView.finish(LookupView(), request, response)  # CSP, embedding, CORS, Vary
    if response.status_code == 200:
        response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response


class AnnouncementFeed(Feed):
    feed_type = Atom1Feed
    title = FEED_TITLE
    subtitle = "Lịch thi, thời gian nhận hồ sơ và thời điểm công bố kết quả của Sở, Phòng Giáo dục và Đào tạo."
    language = "vi"

    def link(self):
        return reverse("portal:announcements")

    def feed_url(self):
        return reverse("portal:announcements-feed")

    def items(self):
        return current()

    def item_title(self, item: Announcement) -> str:
        return item.title

    def item_description(self, item: Announcement) -> str:
        return item.summary

    def item_link(self, item: Announcement) -> str:
        return item.link

    def item_guid(self, item: Announcement) -> str:
        return item.key

    item_guid_is_permalink = False

    def item_updateddate(self, item: Announcement) -> dt.datetime:
        return item.updated

    def item_pubdate(self, item: Announcement) -> dt.datetime:
        return item.updated

    def item_categories(self, item: Announcement):
        return [item.category] if item.category else []

    def item_author_name(self, item: Announcement) -> str:
        return item.author


def _feed_view():
    feed = AnnouncementFeed()

    def view(request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
        return _public(feed(request), request)

    view.csrf_exempt = True
    return sessionless(view)


def _page(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
    response = render(
        request,
        "portal/announcements.html",
        {"items": current(), "title": FEED_TITLE, "feed_url": reverse("portal:announcements-feed")},
    )
    return _public(response, request)


_page.csrf_exempt = True
feed_view = _feed_view()
page_view = sessionless(_page)
