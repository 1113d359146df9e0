"""One maker per routed model: ``MAKERS[Model](side)`` saves a fresh row owned by ``side``.

The cross-tenant suite finds routes by itself; for each model behind a route it needs a way
to make a row in school A and in school B. A new route for an existing model needs nothing
here; a new model needs its maker (the suite fails and names the model until it has one).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

from django.db import models

from sms.accounts.models import ApiToken, Membership
from sms.accounts.roles import Role, UnitKind
from sms.org.models import AdministrativeArea, AreaLevel, SchoolClass, SchoolYear, Semester, Subject, SubjectPlan, Unit
from sms.org.rules import SchoolType
from sms.org.services import create_school_year

from .world import SchoolSide, make_user

_n = itertools.count(1)


def _unit(side: SchoolSide) -> Unit:
    n = next(_n)
    return Unit.objects.create(
        kind=UnitKind.SCHOOL,
        school_type=SchoolType.C1,
        code=f"MK{n}",
        name=f"Trường Tiểu học Số {n}",
        parent=side.school.parent,
    )


def _area(side: SchoolSide) -> AdministrativeArea:
    n = next(_n)
    return AdministrativeArea.objects.create(
        code=f"A{n}", name=f"Thôn {n}", level=AreaLevel.VILLAGE, owner=side.school, valid_from=dt.date(2025, 7, 1)
    )


def _year(side: SchoolSide) -> SchoolYear:
    start = 2000 + next(_n) % 20
    while SchoolYear.objects.filter(school=side.school, start_year=start).exists():
        start -= 1
    return create_school_year(side.school, start)


def _semester(side: SchoolSide) -> Semester:
    year = _year(side)
    semester = year.semesters.get(number=2)
    return semester


def _class(side: SchoolSide) -> SchoolClass:
    return SchoolClass.objects.create(
        school=side.school,
        school_year=side.year,
        grade=side.school.grades[-1],
        name=f"{side.school.grades[-1]}B{next(_n)}",
    )


def _subject(side: SchoolSide) -> Subject:
    n = next(_n)
    return Subject.objects.create(school=side.school, code=f"mon-{n}", name=f"Môn tự chọn {n}", assessment="comment")


def _plan(side: SchoolSide) -> SubjectPlan:
    return SubjectPlan.objects.create(
        school=side.school,
        school_year=side.year,
        grade=side.school.grades[-1],
        subject=_subject(side),
        periods_per_year=35,
    )


def _membership(side: SchoolSide) -> Membership:
    """A second role for a person already working at the school (a teacher who is also librarian)."""
    user = make_user()
    Membership.objects.create(user=user, unit=side.school, role=Role.TEACHER)
    return Membership.objects.create(user=user, unit=side.school, role=Role.LIBRARIAN)


def _token(side: SchoolSide) -> ApiToken:
    return ApiToken.issue(side.m(Role.TEACHER), "khoá của người khác")[0]


MAKERS: dict[type[models.Model], Callable[[SchoolSide], models.Model]] = {
    Unit: _unit,
    AdministrativeArea: _area,
    SchoolYear: _year,
    Semester: _semester,
    SchoolClass: _class,
    Subject: _subject,
    SubjectPlan: _plan,
    Membership: _membership,
    ApiToken: _token,
}


def _merge_app_makers() -> None:
    import importlib
    import pkgutil

    from tests import makers

    for info in pkgutil.iter_modules(makers.__path__):
        module = importlib.import_module(f"tests.makers.{info.name}")
        MAKERS.update(getattr(module, "MAKERS", {}))


_merge_app_makers()
