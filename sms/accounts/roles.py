"""Roles a membership can carry, where each may be held, and who may grant what.

The roles are those of ARCHITECTURE.md. A role belongs to a kind of unit (a principal to a
school, a Sở admin to a Sở); granting follows two rules: never above your own rank, never
outside your own subtree (the subtree half is checked by the grant service).
"""

from __future__ import annotations

from django.db import models


class UnitKind(models.TextChoices):
    SO = "so", "Sở GD&ĐT"
    PHONG = "phong", "Phòng GD&ĐT"
    SCHOOL = "school", "Trường"
    CENTRE = "centre", "Trung tâm"


class Role(models.TextChoices):
    SO_ADMIN = "so_admin", "Quản trị Sở"
    SO_STAFF = "so_staff", "Chuyên viên Sở"
    PHONG_ADMIN = "phong_admin", "Quản trị Phòng"
    PHONG_STAFF = "phong_staff", "Chuyên viên Phòng"
    PRINCIPAL = "principal", "Hiệu trưởng / Giám đốc"
    SCHOOL_ADMIN = "school_admin", "Quản trị nhà trường"
    TEACHER = "teacher", "Giáo viên"
    CLERK = "clerk", "Văn thư"
    LIBRARIAN = "librarian", "Nhân viên thư viện"
    EQUIPMENT_OFFICER = "equipment_officer", "Nhân viên thiết bị"
    STUDENT = "student", "Học sinh"
    PARENT = "parent", "Cha mẹ / người giám hộ"


SCHOOL_LEVEL_KINDS = frozenset({UnitKind.SCHOOL, UnitKind.CENTRE})

#: the kinds of unit where a role can be held
ROLE_UNIT_KINDS: dict[str, frozenset[str]] = {
    Role.SO_ADMIN: frozenset({UnitKind.SO}),
    Role.SO_STAFF: frozenset({UnitKind.SO}),
    Role.PHONG_ADMIN: frozenset({UnitKind.PHONG}),
    Role.PHONG_STAFF: frozenset({UnitKind.PHONG}),
    **{
        role: SCHOOL_LEVEL_KINDS
        for role in (
            Role.PRINCIPAL,
            Role.SCHOOL_ADMIN,
            Role.TEACHER,
            Role.CLERK,
            Role.LIBRARIAN,
            Role.EQUIPMENT_OFFICER,
            Role.STUDENT,
            Role.PARENT,
        )
    },
}

#: rank used for "never grant above your own"
ROLE_RANK: dict[str, int] = {
    Role.SO_ADMIN: 100,
    Role.PHONG_ADMIN: 90,
    Role.PRINCIPAL: 80,
    Role.SCHOOL_ADMIN: 75,
    Role.SO_STAFF: 60,
    Role.PHONG_STAFF: 55,
    Role.TEACHER: 40,
    Role.CLERK: 30,
    Role.LIBRARIAN: 30,
    Role.EQUIPMENT_OFFICER: 30,
    Role.STUDENT: 10,
    Role.PARENT: 10,
}

#: roles that administer their unit and everything under it (accounts, structure)
ADMIN_ROLES = frozenset({Role.SO_ADMIN, Role.PHONG_ADMIN, Role.PRINCIPAL, Role.SCHOOL_ADMIN})
#: people learning, or their families: they see their own records only
LEARNER_ROLES = frozenset({Role.STUDENT, Role.PARENT})
#: everybody working in a unit
STAFF_ROLES = frozenset(set(Role) - LEARNER_ROLES)
#: staff of a Sở or Phòng (oversight over a subtree)
OVERSIGHT_ROLES = frozenset({Role.SO_ADMIN, Role.SO_STAFF, Role.PHONG_ADMIN, Role.PHONG_STAFF})


def role_allowed_at(role: str, unit_kind: str) -> bool:
    """A role is held only at the kind of unit it belongs to (a principal at a school)."""
    return unit_kind in ROLE_UNIT_KINDS.get(role, frozenset())


def can_grant(granter_role: str, role: str) -> bool:
    """Whether a holder of ``granter_role`` may grant ``role`` (never above their own rank)."""
    return granter_role in ADMIN_ROLES and ROLE_RANK[role] <= ROLE_RANK[granter_role]
