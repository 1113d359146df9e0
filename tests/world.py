"""A small province for tests, built through the same models and services as the real one.

    Sở ─┬─ Phòng 1 ── school A (THCS)
        └─ Phòng 2 ── school B (THCS)

Each school has a current year with two semesters, a class with its homeroom teacher, a
subject, a subject plan, and one account for each school role.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.test import Client
from rest_framework.test import APIClient

from sms.accounts.actors import SESSION_KEY, Actor
from sms.accounts.models import ApiToken, Membership, User
from sms.accounts.roles import Role, UnitKind
from sms.org.models import AdministrativeArea, AreaLevel, SchoolClass, Subject, SubjectPlan, Unit
from sms.org.rules import SchoolType
from sms.org.services import create_school_year

_counter = iter(range(1, 10**9))


def make_user(username: str | None = None, full_name: str = "Nguyễn Văn An") -> User:
    n = next(_counter)
    return User.objects.create_user(username=username or f"user{n}", password="Mật-khẩu-đủ-dài-1", full_name=full_name)


def grant(user: User, unit: Unit, role: str) -> Membership:
    return Membership.objects.create(user=user, unit=unit, role=role)


@dataclass
class SchoolSide:
    school: Unit
    year: object
    klass: SchoolClass
    subject: Subject
    plan: SubjectPlan
    members: dict[str, Membership] = field(default_factory=dict)

    def m(self, role: str) -> Membership:
        return self.members[role]


@dataclass
class World:
    so: Unit
    phong1: Unit
    phong2: Unit
    province: AdministrativeArea
    a: SchoolSide
    b: SchoolSide
    members: dict[str, Membership]

    def actor(self, membership: Membership) -> Actor:
        return Actor(membership.user, membership)


def make_school(parent: Unit, code: str, name: str, school_type: str = SchoolType.C2) -> SchoolSide:
    school = Unit.objects.create(kind=UnitKind.SCHOOL, school_type=school_type, code=code, name=name, parent=parent)
    year = create_school_year(school, 2026, make_current=True)
    grade = school.grades[0]
    subject = Subject.objects.create(school=school, code="toan", name="Toán", assessment="scored")
    plan = SubjectPlan.objects.create(
        school=school, school_year=year, grade=grade, subject=subject, periods_per_year=140
    )
    side = SchoolSide(school=school, year=year, klass=None, subject=subject, plan=plan)
    for role in (Role.PRINCIPAL, Role.SCHOOL_ADMIN, Role.TEACHER, Role.CLERK, Role.STUDENT, Role.PARENT):
        side.members[role] = grant(make_user(f"{role}.{code}".lower()), school, role)
    side.members["teacher2"] = grant(make_user(f"teacher2.{code}".lower(), "Trần Thị Bình"), school, Role.TEACHER)
    side.klass = SchoolClass.objects.create(
        school=school, school_year=year, grade=grade, name=f"{grade}A1", homeroom_teacher=side.m(Role.TEACHER).user
    )
    return side


def build_world() -> World:
    so = Unit.objects.create(kind=UnitKind.SO, code="SO", name="Sở Giáo dục và Đào tạo tỉnh Thử Nghiệm")
    province = AdministrativeArea.objects.create(code="99", name="Tỉnh Thử Nghiệm", level=AreaLevel.PROVINCE, owner=so)
    AdministrativeArea.objects.create(
        code="99-1",
        name="Xã Đồng Tâm",
        level=AreaLevel.COMMUNE,
        parent=province,
        owner=so,
        valid_from=dt.date(2025, 7, 1),
    )
    phong1 = Unit.objects.create(kind=UnitKind.PHONG, code="P1", name="Phòng GD&ĐT Một", parent=so)
    phong2 = Unit.objects.create(kind=UnitKind.PHONG, code="P2", name="Phòng GD&ĐT Hai", parent=so)
    a = make_school(phong1, "C2A", "Trường THCS An Bình")
    b = make_school(phong2, "C2B", "Trường THCS Bắc Sơn")
    members = {
        "so_admin": grant(make_user("so.admin"), so, Role.SO_ADMIN),
        "so_staff": grant(make_user("so.staff"), so, Role.SO_STAFF),
        "phong1_admin": grant(make_user("p1.admin"), phong1, Role.PHONG_ADMIN),
        "phong1_staff": grant(make_user("p1.staff"), phong1, Role.PHONG_STAFF),
        "phong2_admin": grant(make_user("p2.admin"), phong2, Role.PHONG_ADMIN),
    }
    return World(so=so, phong1=phong1, phong2=phong2, province=province, a=a, b=b, members=members)


def web_client(membership: Membership) -> Client:
    """A browser session logged in and acting in ``membership``."""
    client = Client()
    client.force_login(membership.user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[SESSION_KEY] = membership.pk
    session.save()
    return client


def api_client(membership: Membership) -> APIClient:
    """An API client authenticated by a real token bound to ``membership``."""
    _, raw = ApiToken.issue(membership, "test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client
