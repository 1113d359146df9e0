"""The navigation and the quick links: entries by role, resolved lazily.

A route another part of the platform has not built yet (NoReverseMatch) is left out rather
than breaking every page; once it exists the entry appears by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.urls import NoReverseMatch, reverse

from sms.accounts.roles import ADMIN_ROLES, LEARNER_ROLES, OVERSIGHT_ROLES, STAFF_ROLES

from .modules import modules_for

if TYPE_CHECKING:
    from sms.accounts.actors import Actor

EVERYONE = STAFF_ROLES | LEARNER_ROLES


@dataclass(frozen=True)
class Entry:
    label: str
    url_name: str
    roles: frozenset[str]


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    current: bool = False
    description: str = ""


#: the platform's own entries, in the order they are shown
PLATFORM_ENTRIES: tuple[Entry, ...] = (
    Entry("Trang chủ", "home", EVERYONE),
    Entry("Đơn vị", "org:unit-list", STAFF_ROLES),
    Entry("Năm học", "org:schoolyear-list", STAFF_ROLES),
    Entry("Lớp", "org:schoolclass-list", STAFF_ROLES),
    Entry("Môn học", "org:subject-list", STAFF_ROLES),
    Entry("Kế hoạch môn học", "org:subjectplan-list", STAFF_ROLES),
    Entry("Địa bàn", "org:area-list", STAFF_ROLES),
    Entry("Tài khoản", "account-list", ADMIN_ROLES),
    Entry("Nhật ký hoạt động", "audit:event-list", ADMIN_ROLES | OVERSIGHT_ROLES),
    Entry("Tác vụ nền", "jobs:job-list", STAFF_ROLES),
    Entry("API", "api:docs", STAFF_ROLES),
    Entry("Đổi mật khẩu", "password-change", EVERYONE),
)

#: the account entry, also shown beside the logout button
PASSWORD_ENTRY = PLATFORM_ENTRIES[-1]

#: extra quick links on the home page (beyond the modules), by role
QUICK_ENTRIES: tuple[Entry, ...] = (
    Entry("Danh sách lớp", "org:schoolclass-list", STAFF_ROLES),
    Entry("Năm học và học kỳ", "org:schoolyear-list", ADMIN_ROLES),
    Entry("Kế hoạch môn học", "org:subjectplan-list", ADMIN_ROLES),
    Entry("Đơn vị trực thuộc", "org:unit-list", OVERSIGHT_ROLES),
    Entry("Tài khoản", "account-list", ADMIN_ROLES),
    Entry("Nhập tài khoản từ Excel", "account-import", ADMIN_ROLES),
    Entry("Nhật ký hoạt động", "audit:event-list", ADMIN_ROLES | OVERSIGHT_ROLES),
    Entry("Tác vụ nền", "jobs:job-list", STAFF_ROLES),
    Entry("Đổi mật khẩu", "password-change", EVERYONE),
)


def url_or_none(url_name: str) -> str | None:
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


def _links(entries, actor: Actor) -> list[Link]:
    out = []
    for entry in entries:
        if actor.role not in entry.roles:
            continue
        url = url_or_none(entry.url_name)
        if url is not None:
            out.append(Link(entry.label, url))
    return out


def _mark_current(links: list[Link], path: str) -> list[Link]:
    """``aria-current="page"`` on the one entry the path lies under (the longest match)."""
    best = None
    for i, link in enumerate(links):
        hit = path == link.url if link.url == "/" else path.startswith(link.url)
        if hit and (best is None or len(link.url) > len(links[best].url)):
            best = i
    if best is None:
        return links
    return [Link(lk.label, lk.url, i == best, lk.description) for i, lk in enumerate(links)]


def navigation(actor: Actor | None, path: str) -> dict:
    """The menu for the actor: platform entries and the modules their role may use."""
    if actor is None:
        return {"platform": [], "modules": [], "password_url": None}
    platform = _links(PLATFORM_ENTRIES, actor)
    modules = [
        Link(m.short_title, url, description=m.title)
        for m in modules_for(actor)
        if (url := url_or_none(m.url_name)) is not None
    ]
    marked = _mark_current(platform + modules, path)
    return {
        "platform": marked[: len(platform)],
        "modules": marked[len(platform) :],
        "password_url": url_or_none(PASSWORD_ENTRY.url_name),
    }


def quick_links(actor: Actor | None) -> list[Link]:
    return _links(QUICK_ENTRIES, actor) if actor is not None else []
