"""Home-page widgets per role, in a registry modules can add to later.

A widget is a template plus a function of the actor giving its context; it shows for the
roles it lists. Every query a widget runs goes through ``visible_to``. Modules add theirs
from ``AppConfig.ready()`` with ``register_widget(Widget(...))``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count
from django.utils import timezone

from sms.accounts.roles import LEARNER_ROLES, OVERSIGHT_ROLES, SCHOOL_LEVEL_KINDS, STAFF_ROLES, Role
from sms.accounts.scoping import visible_to

from .modules import modules_for

if TYPE_CHECKING:
    from sms.accounts.actors import Actor


@dataclass(frozen=True)
class Widget:
    key: str
    title: str
    roles: frozenset[str]
    template: str
    context: Callable[[Actor], dict | None]
    order: int = 100


_widgets: dict[str, Widget] = {}


def register_widget(widget: Widget) -> Widget:
    _widgets[widget.key] = widget
    return widget


@dataclass(frozen=True)
class RenderedWidget:
    widget: Widget
    context: dict

    @property
    def title(self) -> str:
        return self.widget.title

    @property
    def template(self) -> str:
        return self.widget.template

    @property
    def key(self) -> str:
        return self.widget.key


def widgets_for(actor: Actor | None) -> list[RenderedWidget]:
    """The widgets for the actor's role, with their context (a widget returning None is left out)."""
    if actor is None:
        return []
    out = []
    for widget in sorted(_widgets.values(), key=lambda w: (w.order, w.key)):
        if actor.role not in widget.roles:
            continue
        context = widget.context(actor)
        if context is not None:
            out.append(RenderedWidget(widget, context))
    return out


# --- the platform's own widgets ---------------------------------------------------------------


def oversight_context(actor: Actor) -> dict:
    """A Sở or Phòng: its schools and centres by type, and the active accounts under it."""
    from sms.accounts.models import Membership
    from sms.org.models import Unit
    from sms.org.rules import SchoolType

    rows = (
        visible_to(actor, Unit)
        .filter(kind__in=SCHOOL_LEVEL_KINDS, is_active=True)
        .values("school_type")
        .annotate(n=Count("id"))
        .order_by("school_type")
    )
    labels = dict(SchoolType.choices)
    by_type = [{"label": labels.get(r["school_type"], r["school_type"] or "Chưa phân loại"), "n": r["n"]} for r in rows]
    by_type.sort(key=lambda r: list(labels).index(r["label"]) if r["label"] in labels else 99)
    accounts = (
        visible_to(actor, Membership)
        .filter(is_active=True, user__is_active=True)
        .aggregate(n=Count("user", distinct=True))["n"]
    )
    return {"by_type": by_type, "schools": sum(r["n"] for r in by_type), "accounts": accounts}


def current_year(actor: Actor):
    from sms.org.models import SchoolYear

    return visible_to(actor, SchoolYear).filter(school=actor.unit_id, is_current=True).first()


def school_context(actor: Actor) -> dict | None:
    """A principal or school admin: the school year now, its classes, accounts by role."""
    from sms.accounts.models import Membership
    from sms.org.models import SchoolClass, Semester

    if actor.unit.kind not in SCHOOL_LEVEL_KINDS:
        return None
    year = current_year(actor)
    semester = None
    classes = 0
    if year is not None:
        semesters = list(visible_to(actor, Semester).filter(school_year=year).order_by("number"))
        today = timezone.localdate()
        semester = next((s for s in semesters if s.starts_on <= today <= s.ends_on), None)
        classes = visible_to(actor, SchoolClass).filter(school_year=year).count()
    labels = dict(Role.choices)
    order = list(labels)
    counts = (
        visible_to(actor, Membership)
        .filter(is_active=True, user__is_active=True)
        .values("role")
        .annotate(n=Count("id"))
        .order_by("role")
    )
    by_role = [
        {"label": labels.get(r["role"], r["role"]), "n": r["n"]}
        for r in sorted(counts, key=lambda r: order.index(r["role"]) if r["role"] in order else 99)
    ]
    return {"year": year, "semester": semester, "classes": classes, "by_role": by_role}


def homeroom_context(actor: Actor) -> dict:
    """A teacher: the classes of the current year they are homeroom teacher of."""
    from sms.org.models import SchoolClass

    classes = list(
        visible_to(actor, SchoolClass)
        .filter(school_year__is_current=True, homeroom_teacher=actor.user)
        .select_related("school_year")
        .order_by("grade", "name")
    )
    return {"classes": classes}


def modules_context(actor: Actor) -> dict:
    return {"modules": modules_for(actor), "learner": actor.role in LEARNER_ROLES}


register_widget(
    Widget("oversight", "Các đơn vị trực thuộc", OVERSIGHT_ROLES, "shell/widgets/oversight.html", oversight_context, 10)
)
register_widget(
    Widget(
        "school",
        "Nhà trường",
        frozenset({Role.PRINCIPAL, Role.SCHOOL_ADMIN}),
        "shell/widgets/school.html",
        school_context,
        10,
    )
)
register_widget(
    Widget("homeroom", "Lớp chủ nhiệm", frozenset({Role.TEACHER}), "shell/widgets/homeroom.html", homeroom_context, 10)
)
register_widget(
    Widget(
        "modules",
        "Phân hệ của bạn",
        STAFF_ROLES | LEARNER_ROLES,
        "shell/widgets/modules.html",
        modules_context,
        50,
    )
)
