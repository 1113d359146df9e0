"""Demo accounts: one or more for every role, at the Sở, each Phòng and each school."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password

from sms.names import person_name
from sms.org.models import SchoolClass, Unit
from sms.org.rules import ascii_slug
from sms.seeding import SeedContext
from sms.text import search_key, sort_key

from .models import Membership, User
from .roles import Role, UnitKind

SCHOOL_STAFF = [
    ("ht", Role.PRINCIPAL),
    ("qt", Role.SCHOOL_ADMIN),
    ("vt", Role.CLERK),
    ("tv", Role.LIBRARIAN),
    ("tb", Role.EQUIPMENT_OFFICER),
]


def unit_slug(unit: Unit) -> str:
    return unit.code.lower().replace("-", "")


class _Builder:
    def __init__(self, ctx: SeedContext, password_hash: str):
        self.ctx = ctx
        self.password_hash = password_hash
        self.users: list[User] = []
        self.memberships: list[tuple[int, Unit, str]] = []

    def user(self, username: str, unit: Unit, role: str, female: bool | None = None, name: str | None = None) -> int:
        full_name = name or person_name(self.ctx.random, female)[0]
        domain = unit.edu_domain or "demo.edu.vn"
        email = f"{username}@{domain}" if role not in (Role.STUDENT, Role.PARENT) else ""
        self.users.append(
            User(
                username=username,
                full_name=full_name,
                email=email,
                password=self.password_hash,
                search_key=search_key(full_name),
                sort_key=sort_key(full_name),
            )
        )
        index = len(self.users) - 1
        self.memberships.append((index, unit, role))
        return index


def seed_accounts(ctx: SeedContext) -> None:
    b = _Builder(ctx, make_password(ctx.password))
    so = ctx.data["so"]
    b.user("so.admin", so, Role.SO_ADMIN)
    b.user("so.chuyenvien", so, Role.SO_STAFF)
    for phong in ctx.data["phong"]:
        slug = ascii_slug(phong.name.replace("Phòng Giáo dục và Đào tạo", ""))
        b.user(f"pgd.{slug}.admin", phong, Role.PHONG_ADMIN)
        b.user(f"pgd.{slug}.chuyenvien", phong, Role.PHONG_STAFF)

    classes_by_school: dict[int, list[SchoolClass]] = {}
    for klass in SchoolClass.objects.filter(school_year__is_current=True).order_by("grade", "name"):
        classes_by_school.setdefault(klass.school_id, []).append(klass)
    homeroom: list[tuple[SchoolClass, int]] = []
    for school in ctx.data["schools"]:
        slug = unit_slug(school)
        for prefix, role in SCHOOL_STAFF:
            b.user(f"{prefix}.{slug}", school, role)
        classes = classes_by_school.get(school.pk, [])
        teachers = max(len(classes) + 2, 4)
        for n in range(1, teachers + 1):
            index = b.user(f"gv{n}.{slug}", school, Role.TEACHER)
            if n <= len(classes):
                homeroom.append((classes[n - 1], index))
        b.user(f"hs.{slug}", school, Role.STUDENT)
        b.user(f"ph.{slug}", school, Role.PARENT)

    # bulk_create skips save(), so the builder fills the derived keys itself.
    created = User.objects.bulk_create(b.users, batch_size=1000)
    Membership.objects.bulk_create(
        [Membership(user=created[i], unit=unit, role=role) for i, unit, role in b.memberships], batch_size=1000
    )
    for klass, index in homeroom:
        klass.homeroom_teacher = created[index]
    SchoolClass.objects.bulk_update([k for k, _ in homeroom], ["homeroom_teacher"], batch_size=1000)
    # The principal of the first school also teaches there (one person, two memberships).
    first = ctx.data["schools"][0]
    principal = User.objects.get(username=f"ht.{unit_slug(first)}")
    Membership.objects.create(user=principal, unit=first, role=Role.TEACHER)
    ctx.data["password"] = ctx.password


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, role, unit) for the logins worth showing a newcomer, read from the database."""
    rows = []
    first_school = Unit.objects.filter(kind=UnitKind.SCHOOL).exclude(school_type="C0").order_by("pk").first()
    wanted = Membership.objects.select_related("user", "unit").filter(unit__kind__in=[UnitKind.SO, UnitKind.PHONG])
    if first_school:
        wanted = wanted | Membership.objects.select_related("user", "unit").filter(unit=first_school)
    seen_roles: set[tuple[int, str]] = set()
    for m in wanted.order_by("unit__path", "pk"):
        key = (m.unit_id, m.role)
        if key in seen_roles:
            continue
        seen_roles.add(key)
        rows.append((m.user.username, m.get_role_display(), m.unit.name))
    return rows
